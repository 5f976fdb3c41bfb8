"""plan_routes through concurrent.futures executors: threads and a Dask cluster."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest

from territory.routing import Cycle, PlanOptions, plan_routes

#: A work limit: the plan does not depend on how fast threads or workers run.
OPTIONS = PlanOptions(iterations=300)


def _instance() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(7)
    reps = pd.DataFrame(
        {"rep_id": ["r1", "r2", "r3"], "home_lon": [9.0, 9.2, 9.4], "home_lat": [48.0] * 3}
    )
    customers = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(24)],
            "lon": rng.uniform(8.95, 9.45, 24),
            "lat": rng.uniform(47.95, 48.05, 24),
            "visits_per_cycle": rng.choice([1, 2], 24),
            "service_minutes": 30.0,
        }
    )
    return customers, reps


def test_thread_pool_gives_the_same_plan_as_in_process() -> None:
    """Reps planned in a ThreadPoolExecutor give the in-process plan, with progress."""
    customers, reps = _instance()
    cycle = Cycle(weeks=2, days=5)
    local = plan_routes(customers, reps, cycle=cycle, time_limit=30, seed=2, options=OPTIONS)
    calls: list[tuple[int, int]] = []
    with ThreadPoolExecutor(max_workers=2) as pool:
        threaded = plan_routes(
            customers,
            reps,
            cycle=cycle,
            time_limit=30,
            seed=2,
            options=OPTIONS,
            executor=pool,
            progress=lambda done, total: calls.append((done, total)),
        )
    pd.testing.assert_frame_equal(local.visits, threaded.visits)
    assert calls[:3] == [(1, 3), (2, 3), (3, 3)]  # then the second round: (3, 3) per rep
    assert set(calls[3:]) <= {(3, 3)}


@pytest.mark.slow
def test_dask_local_cluster_executor() -> None:
    """A Dask LocalCluster's executor runs the rep tasks (pickled plain data)."""
    distributed = pytest.importorskip("distributed")
    customers, reps = _instance()
    cycle = Cycle(weeks=2, days=5)
    local = plan_routes(customers, reps, cycle=cycle, time_limit=30, seed=2, options=OPTIONS)
    with (
        distributed.LocalCluster(
            n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        plan = plan_routes(
            customers,
            reps,
            cycle=cycle,
            time_limit=60,
            seed=2,
            executor=client.get_executor(),
            options=OPTIONS,
        )
    pd.testing.assert_frame_equal(local.visits, plan.visits)
    assert plan.is_feasible()
