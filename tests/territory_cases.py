"""Shared builders and independent checks for the territory tests."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
from scipy.spatial import Delaunay

from territory.routing.engines import DayProblem
from territory.territories import TerritoryPlan

__all__ = [
    "ManualClock",
    "assert_contiguous",
    "company_reps",
    "delaunay_graph",
    "grid_customers",
    "line_problem",
]


class ManualClock:
    """A clock the test moves by hand (``clock.now += seconds``)."""

    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


def line_problem(positions: list[float], **kwargs: object) -> DayProblem:
    """Home at 0 and visits at ``positions`` on a line; one minute per unit."""
    xs = np.array([0.0, *positions])
    n = len(xs)
    defaults: dict[str, object] = {
        "service": np.zeros(n),
        "earliest": np.zeros(n),
        "latest": np.full(n, 1000.0),
    }
    defaults.update(kwargs)
    return DayProblem(travel=np.abs(xs[:, None] - xs[None, :]), **defaults)  # type: ignore[arg-type]


def grid_customers(nx_: int, ny: int, *, step: float = 0.01, **columns: object) -> pd.DataFrame:
    xs, ys = np.meshgrid(np.arange(nx_), np.arange(ny))
    frame = pd.DataFrame(
        {
            "customer_id": [f"C{i:03d}" for i in range(nx_ * ny)],
            "lon": 10.0 + xs.ravel() * step,
            "lat": 50.0 + ys.ravel() * step,
        }
    )
    for name, value in columns.items():
        frame[name] = value
    return frame


def company_reps(n: int, lon: float = 10.0, lat: float = 50.0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "rep_id": [f"R{i}" for i in range(n)],
            "home_lon": [lon + 0.01 * i for i in range(n)],
            "home_lat": [lat] * n,
            "kind": ["company"] * n,
        }
    )


def delaunay_graph(customers: pd.DataFrame) -> nx.Graph:
    """Delaunay graph built here, independently of the solver."""
    pts = np.column_stack(
        [customers["lon"] * np.cos(np.radians(customers["lat"].mean())), customers["lat"]]
    )
    graph = nx.Graph()
    graph.add_nodes_from(range(len(pts)))
    for simplex in Delaunay(pts).simplices:
        a, b, c = (int(v) for v in simplex)
        graph.add_edges_from([(a, b), (b, c), (a, c)])
    return graph


def assert_contiguous(plan: TerritoryPlan, graph: nx.Graph) -> None:
    reps = plan.assignment["rep_id"].to_numpy()
    for rep in np.unique(reps):
        nodes = np.flatnonzero(reps == rep).tolist()
        assert nx.is_connected(graph.subgraph(nodes)), f"territory {rep} is split"
