"""Tests of territory.territories.graph: Delaunay and polygon neighbourhood graphs."""

from __future__ import annotations

import networkx as nx
import numpy as np
from scipy.spatial import Delaunay

from territory.territories import neighbourhood_graph
from territory.territories.graph import delaunay_edges, polygon_edges, project_km


def test_delaunay_edges_match_scipy() -> None:
    """Without pruning the graph is exactly the Delaunay triangulation."""
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 10, (60, 2))
    g = neighbourhood_graph(xy, max_edge_factor=None)
    expected = set()
    for a, b, c in Delaunay(xy).simplices.tolist():
        expected |= {tuple(sorted(e)) for e in ((a, b), (b, c), (a, c))}
    assert {tuple(e) for e in g.edges().tolist()} == expected
    assert g.added_edges == 0 and g.pruned_edges == 0


def test_collinear_points_are_chained_in_order() -> None:
    """Points on a line form a path along the line."""
    xy = np.array([[3.0, 3.0], [0.0, 0.0], [2.0, 2.0], [1.0, 1.0]])
    assert sorted(delaunay_edges(xy).tolist()) == [[0, 2], [1, 3], [2, 3]]


def test_long_edges_pruned_and_islands_joined_by_nearest_pair() -> None:
    """Two far clusters: the bridge edges are pruned, then one nearest pair joins them."""
    rng = np.random.default_rng(1)
    a = rng.uniform(0, 1, (30, 2))
    b = rng.uniform(0, 1, (30, 2)) + np.array([50.0, 0.0])
    xy = np.vstack([a, b])
    g = neighbourhood_graph(xy, max_edge_factor=3.0)
    assert g.pruned_edges >= 1 and g.added_edges == 1
    graph = nx.Graph(g.edges().tolist())
    assert nx.is_connected(graph)
    bridges = [(u, v) for u, v in g.edges().tolist() if (u < 30) != (v < 30)]
    assert len(bridges) == 1
    u, v = bridges[0]
    gap = np.linalg.norm(a[:, None] - b[None], axis=2)
    assert np.linalg.norm(xy[u] - xy[v]) == np.min(gap)


def test_duplicate_points_stay_connected() -> None:
    """Duplicate points (left out by qhull) are joined to the graph."""
    xy = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [1.0, 1.0]])
    g = neighbourhood_graph(xy)
    assert nx.is_connected(nx.Graph(g.edges().tolist()))
    assert g.n_nodes == 5


def test_polygon_edges_queen_adjacency() -> None:
    """Squares of a 3 x 3 grid touch their 8 neighbours (queen)."""
    import geopandas as gpd
    from shapely.geometry import box

    cells = [(i, j) for j in range(3) for i in range(3)]
    frame = gpd.GeoSeries([box(i, j, i + 1, j + 1) for i, j in cells])
    edges = {tuple(e) for e in polygon_edges(frame).tolist()}
    centre = 4
    assert {tuple(sorted((centre, k))) for k in range(9) if k != centre} <= edges
    assert len(edges) == 20  # 12 rook + 8 diagonal


def test_project_km_common_origin() -> None:
    """Two point sets projected with one origin share a plane."""
    lon, lat = np.array([10.0, 10.1]), np.array([50.0, 50.0])
    xy = project_km(lon, lat, origin=(10.0, 50.0))
    assert xy[0].tolist() == [0.0, 0.0]
    assert abs(xy[1, 0] - 0.1 * 111.195 * np.cos(np.radians(50.0))) < 1e-9
