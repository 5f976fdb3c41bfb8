"""Benchmark of territory.review on the sample region (proposed: benchmarks/review.py).

Builds a synthetic 4-week journey plan for the sample region (customers graded A/B/C by
potential with 4/2/1 visits per cycle, each customer with the nearest rep), simulates its
execution and a month of sales, and times every review stage. Prints medians.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from territory.datasets import sample_region, simulate_execution, simulate_sales
from territory.review import (
    audit_sample,
    balance_drift,
    month_pace,
    rep_criteria,
    rep_scorecard,
    target_achievement,
    visit_execution,
)

CYCLE_START = "2026-11-02"


def journey_plan(customers: pd.DataFrame, reps: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Grades, nearest-rep assignment and a 4-week x 5-day plan."""
    c = customers.copy()
    q80, q50 = c["potential"].quantile([0.8, 0.5])
    c["grade"] = np.where(c["potential"] > q80, "A", np.where(c["potential"] > q50, "B", "C"))
    c["visits_per_cycle"] = c["grade"].map({"A": 4, "B": 2, "C": 1}).astype(int)
    homes = reps[["home_lon", "home_lat"]].to_numpy(dtype=float)
    c["rep_id"] = reps["rep_id"].to_numpy()[cKDTree(homes).query(c[["lon", "lat"]].to_numpy())[1]]
    rows = []
    for rep, group in c.groupby("rep_id", sort=True):
        for k, (cid, v) in enumerate(
            zip(group["customer_id"], group["visits_per_cycle"], strict=True)
        ):
            for j in range(v):
                slot = (k + j * (20 // v)) % 20
                rows.append((rep, slot // 5 + 1, slot % 5 + 1, slot % 5, cid))
    visits = pd.DataFrame(rows, columns=["rep_id", "week", "day", "weekday", "customer_id"])
    visits["seq"] = visits.groupby(["rep_id", "week", "day"]).cumcount() + 1
    visits["arrival"] = 480.0 + 30.0 * (visits["seq"] - 1)
    return c, visits


def targets_from_history(sales: pd.DataFrame, hierarchy: pd.DataFrame) -> pd.DataFrame:
    """Rep year and month targets for 2026: 2025 sales plus 6 %."""
    s = sales[sales["month"].str.startswith("2025")].merge(hierarchy, on="customer_id")
    monthly = s.groupby(["rep_id", "month"])["sales"].sum().reset_index()
    rows = [
        {"level": "rep", "unit": r, "period": f"2026-{m[5:]}", "value": v * 1.06}
        for r, m, v in monthly.itertuples(index=False)
    ]
    for rep, value in monthly.groupby("rep_id")["sales"].sum().items():
        rows.append({"level": "rep", "unit": rep, "period": "year", "value": value * 1.06})
    return pd.DataFrame(rows)


def timed(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    runs, result = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=20000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    region = sample_region(args.customers, seed=args.seed)
    customers, visits = journey_plan(region.customers, region.reps)
    hierarchy = customers[["customer_id", "rep_id"]]
    targets = targets_from_history(region.sales, hierarchy)
    requirements = customers[["customer_id", "grade", "visits_per_cycle"]]
    print(
        f"{len(customers)} customers, {hierarchy['rep_id'].nunique()} reps, "
        f"{len(visits)} planned visits, {len(region.sales)} sales rows"
    )
    stages: list[tuple[str, Callable[[], Any]]] = []
    log = simulate_execution(visits, customers, cycle_start=CYCLE_START, seed=args.seed)
    stages.append(
        (
            "simulate_execution",
            lambda: simulate_execution(visits, customers, cycle_start=CYCLE_START, seed=args.seed),
        )
    )
    stages.append(
        (
            "visit_execution ±0 d",
            lambda: visit_execution(
                visits, log, cycle_start=CYCLE_START, requirements=requirements
            ),
        )
    )
    stages.append(
        (
            "visit_execution ±2 d",
            lambda: visit_execution(
                visits, log, cycle_start=CYCLE_START, requirements=requirements, tolerance_days=2
            ),
        )
    )
    stages.append(
        (
            "target_achievement (24 months)",
            lambda: target_achievement(targets, region.sales, hierarchy, year=2026),
        )
    )
    nov = simulate_sales(
        region.sales,
        month="2026-11",
        seed=1,
        targets=targets,
        hierarchy=hierarchy,
        as_of="2026-11-13",
    )
    stages.append(
        (
            "simulate_sales (1 month)",
            lambda: simulate_sales(
                region.sales, month="2026-11", seed=1, targets=targets, hierarchy=hierarchy
            ),
        )
    )
    stages.append(("month_pace", lambda: month_pace(targets, nov, hierarchy, as_of="2026-11-13")))
    stages.append(
        (
            "audit_sample (10 %, min 3)",
            lambda: audit_sample(log, requirements, month="2026-11", seed=args.seed),
        )
    )
    monthly = (
        region.sales.merge(hierarchy).groupby(["rep_id", "month"])["sales"].sum().reset_index()
    )
    stages.append(("balance_drift (24 months)", lambda: balance_drift(monthly, measures=["sales"])))
    for name, fn in stages:
        median, _ = timed(fn, args.repeats)
        print(f"{name:34s} {median:8.3f} s")
    execution = visit_execution(
        visits, log, cycle_start=CYCLE_START, requirements=requirements, tolerance_days=2
    )
    achievement = target_achievement(targets, region.sales, hierarchy, year=2026)
    median, _ = timed(lambda: rep_scorecard(rep_criteria(achievement, execution)), args.repeats)
    print(f"{'rep_criteria + rep_scorecard':34s} {median:8.3f} s")
    print(execution.summary())


if __name__ == "__main__":
    main()
