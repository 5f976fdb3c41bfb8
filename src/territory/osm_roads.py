"""Road networks from OpenStreetMap extracts (``.osm.pbf``, read with pyrosm).

The reader lives beside :mod:`territory.travel`, which builds a
:class:`~territory.travel.RoadNetworkTravel` from it, so that the travel models never
depend on the sample data: :mod:`territory.datasets` re-exports
:func:`read_osm_road_graph` and uses it for the Helsinki sample.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from territory.errors import ValidationError

__all__ = ["HIGHWAY_SPEEDS_KMH", "read_osm_road_graph"]

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
