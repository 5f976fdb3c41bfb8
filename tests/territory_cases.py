"""Shared builders and independent checks for the territory tests."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from scipy.spatial import Delaunay

from territory.errors import ValidationError
from territory.routing.engines import DayProblem
from territory.routing.periodic import PeriodicInstance
from territory.territories import TerritoryPlan

if TYPE_CHECKING:
    from territory.service.testing import InProcessClient

__all__ = [
    "ManualClock",
    "assert_contiguous",
    "company_reps",
    "customers_at_one_spot",
    "customers_frame",
    "dealers_frame",
    "delaunay_graph",
    "graded_customers",
    "grid_customers",
    "line_problem",
    "monthly_sales",
    "random_pvrp_instance",
    "records",
    "reps_frame",
    "territories_body",
    "validation_error_text",
    "wait_done",
    "wait_for",
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


def random_pvrp_instance(seed: int, customers: int = 25) -> PeriodicInstance:
    """A seeded periodic VRP: 3 days, 2 vehicles, customers visited once or twice."""
    rng = np.random.default_rng(seed)
    n, days = customers, 3
    frequency = np.concatenate(([0], rng.integers(1, 3, n)))
    singles, doubles = (4, 2, 1), (6, 5, 3)
    combinations = ((), *tuple(singles if f == 1 else doubles for f in frequency[1:]))
    return PeriodicInstance(
        days=days,
        vehicles=2,
        capacity=np.full(days, 40.0),
        max_duration=np.full(days, 400.0),
        x=np.concatenate(([50.0], rng.uniform(0, 100, n))),
        y=np.concatenate(([50.0], rng.uniform(0, 100, n))),
        service=np.concatenate(([0.0], np.full(n, 5.0))),
        demand=np.concatenate(([0.0], rng.integers(1, 10, n).astype(float))),
        frequency=frequency,
        combinations=combinations,
        name="random",
    )


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


def monthly_sales(values: dict[str, list[float]], start: str = "2026-01") -> pd.DataFrame:
    """Long sales history: one row per customer and month from ``start``, column ``sales``."""
    months = [
        str(p) for p in pd.period_range(start, periods=len(next(iter(values.values()))), freq="M")
    ]
    rows = [
        {"customer_id": cid, "month": month, "sales": value}
        for cid, series in values.items()
        for month, value in zip(months, series, strict=True)
    ]
    return pd.DataFrame(rows)


def graded_customers(counts: dict[str, int]) -> pd.DataFrame:
    """Customers ``C0``, ``C1``, ... with ``counts[grade]`` customers of each grade, in order."""
    grades = [g for g, n in counts.items() for _ in range(n)]
    return pd.DataFrame({"customer_id": [f"C{i}" for i in range(len(grades))], "grade": grades})


def customers_at_one_spot(ids: pd.Series) -> pd.DataFrame:
    """Customers all at one spot, so the travel estimate is zero."""
    return pd.DataFrame({"customer_id": ids, "lon": 9.18, "lat": 48.78})


def customers_frame(**overrides: object) -> pd.DataFrame:
    """Three valid customers (two stores, one dealer, D1's store first); columns overridable."""
    base = {
        "customer_id": ["C1", "C2", "C3"],
        "lon": [9.0, 9.1, 9.2],
        "lat": [48.0, 48.1, 48.2],
        "kind": ["store", "store", "dealer"],
        "dealer_id": ["D1", None, None],
        "opens": ["08:00", "09:00", 480],
        "closes": ["18:00", "17:30", 1020],
        "service_minutes": [20, 15, 30],
    }
    base.update(overrides)
    return pd.DataFrame(base)


def reps_frame(**overrides: object) -> pd.DataFrame:
    """A valid company rep R1 and a dealer rep R2 of dealer D1; columns overridable."""
    base = {
        "rep_id": ["R1", "R2"],
        "kind": ["company", "dealer"],
        "dealer_id": [None, "D1"],
        "home_lon": [9.0, 9.1],
        "home_lat": [48.0, 48.1],
        "day_start": ["08:00", "08:30"],
        "day_end": ["17:00", 1020],
        "weekdays": ["Mon-Fri", "Mon,Wed,Fri"],
    }
    base.update(overrides)
    return pd.DataFrame(base)


def dealers_frame() -> pd.DataFrame:
    """The one dealer D1 that :func:`customers_frame` and :func:`reps_frame` refer to."""
    return pd.DataFrame({"dealer_id": ["D1"], "name": ["Dealer 1"], "lon": [9.0], "lat": [48.0]})


def validation_error_text(func: object, *args: object, **kwargs: object) -> str:
    """The message of the ValidationError that ``func(*args, **kwargs)`` must raise."""
    with pytest.raises(ValidationError) as info:
        func(*args, **kwargs)  # type: ignore[operator]
    return str(info.value)


# ----------------------------------------------------------------------- service


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A frame as JSON records, the way a request body carries a table."""
    result: list[dict[str, Any]] = json.loads(frame.to_json(orient="records"))
    return result


def territories_body(region: Any, **options: Any) -> dict[str, Any]:
    """A ``POST /v1/territories`` body for ``region``; ``options`` add or replace members."""
    return {
        "customers": records(region.customers),
        "reps": records(region.reps),
        "balance": {"count": 0.15, "potential": 0.15},
        "time_limit": 20,
        **options,
    }


def wait_for(
    client: InProcessClient,
    job_id: str,
    until: Callable[[dict[str, Any]], bool],
    timeout: float = 60,
) -> dict[str, Any]:
    """Poll ``GET /v1/jobs/{job_id}`` (each answer must be 200) until ``until(job)`` holds."""
    deadline = time.monotonic() + timeout
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        response = client.request("GET", f"/v1/jobs/{job_id}")
        assert response.status_code == 200, response.text
        body = response.json()
        if until(body):
            return body
        time.sleep(0.02)
    raise AssertionError(f"job {job_id} never satisfied the condition: {body.get('state')}")


def wait_done(client: InProcessClient, job_id: str, timeout: float = 60) -> dict[str, Any]:
    """Poll a job until it is neither queued nor running; any answer without a state ends it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body: dict[str, Any] = client.get(f"/v1/jobs/{job_id}").json()
        if body.get("state") not in ("queued", "running"):
            return body
        time.sleep(0.02)
    raise AssertionError(f"job {job_id} did not finish")
