"""Benchmark of territory.grading: every scheme on synthetic customers and monthly sales.

.venv/bin/python benchmarks/grading.py --customers 1000000 --months 24 --seed 0
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from territory.grading import (
    ParetoABC,
    RelationshipPotentialMatrix,
    RFMGrading,
    StableGrading,
    VisitPolicy,
    WeightedScore,
)


def synthesise(n: int, months: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Customers (relationship, potential, distance) and a long monthly sales table."""
    rng = np.random.default_rng(seed)
    ids = pd.array([f"C{i:07d}" for i in range(n)], dtype="str")
    potential = np.round(rng.lognormal(np.log(60_000), 0.9, n), -2)
    relationship = np.clip(np.round(rng.normal(3.2, 1.1, n)), 1, 5).astype(np.int64)
    customers = pd.DataFrame(
        {
            "customer_id": ids,
            "relationship": relationship,
            "potential": potential,
            "distance_km": rng.gamma(2.0, 8.0, n),
        }
    )
    labels = [str(p) for p in pd.period_range(end="2026-10", periods=months, freq="M")]
    base = potential * np.clip(0.15 + 0.12 * relationship, 0.05, 0.95) / 12
    values = base[:, None] * rng.lognormal(0.0, 0.3, (n, months))
    values[rng.random(n) < 0.02] = 0.0
    sales = pd.DataFrame(
        {
            "customer_id": pd.Categorical.from_codes(np.repeat(np.arange(n), months), ids),
            "month": pd.Categorical.from_codes(np.tile(np.arange(months), n), labels),
            "sales": np.round(values.ravel(), 2),
        }
    )
    return customers, sales


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--string-ids",
        action="store_true",
        help="customer_id and month in the sales table as plain strings, not categoricals",
    )
    args = parser.parse_args()
    start = time.perf_counter()
    customers, sales = synthesise(args.customers, args.months, args.seed)
    if args.string_ids:
        sales = sales.astype({"customer_id": "str", "month": "str"})
    print(
        f"synthesised {len(customers):,} customers, {len(sales):,} sales rows "
        f"in {time.perf_counter() - start:.1f} s"
    )
    weighted = WeightedScore(
        {"potential": 0.5, "relationship": 0.3, "distance_km": 0.2},
        normalisation="rank",
        lower_is_better=("distance_km",),
    )
    previous = weighted.grade(customers.assign(potential=customers["potential"] * 0.97))
    current = weighted.grade(customers)
    stable = StableGrading(margin=0.02, max_change_share=0.05)
    cases: dict[str, Callable[[], object]] = {
        "matrix": lambda: RelationshipPotentialMatrix().grade(customers),
        "pareto_abc": lambda: ParetoABC(window_months=12).grade(customers, sales),
        "rfm": lambda: RFMGrading(window_months=12).grade(customers, sales),
        "weighted": lambda: weighted.grade(customers),
        "stability": lambda: stable.apply(current, previous),
        "requirements": lambda: VisitPolicy.default().requirements(current),
    }
    for name, run in cases.items():
        times = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            run()
            times.append(time.perf_counter() - t0)
        print(
            f"{name:13s} median {statistics.median(times):6.2f} s  "
            f"(runs: {', '.join(f'{t:.2f}' for t in times)})"
        )


if __name__ == "__main__":
    main()
