"""Time a target breakdown over 100,000 customers x 12 months x 3 levels.

    python benchmarks/allocation.py --customers 100000 --seed 0 --repeats 5

Synthesises a region -> team -> rep -> customer hierarchy (about 40 teams, 600 reps) and
24 months of seasonal history with numpy, then times ``allocate`` from the raw tables
(validation, history pivot, three splits, rounding, month split). Prints the median
seconds (wall clock and CPU), and the same for the Webster divisor option.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from territory.allocation import Allocation, Bounds, LevelRule, allocate


def median_seconds(func: Callable[[], object], repeats: int) -> tuple[float, float]:
    """Median wall-clock and CPU seconds (CPU time is less affected by a shared machine)."""
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        func()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def synthesise(n: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    n_reps = max(1, n // 165)
    n_teams = max(1, n_reps // 15)
    rep_of = rng.integers(0, n_reps, n)
    team_of_rep = np.arange(n_reps) % n_teams
    customers = np.char.add("C", np.char.zfill(np.arange(n).astype(str), 6))
    hierarchy = pd.DataFrame(
        {
            "region": "North",
            "team": np.char.add("T", team_of_rep[rep_of].astype(str)),
            "rep_id": np.char.add("R", rep_of.astype(str)),
            "customer_id": customers,
            "potential": np.round(rng.lognormal(10, 1, n), -2),
        }
    )
    level = rng.lognormal(7, 1.2, n)
    season = 1 + 0.3 * np.sin(np.arange(24) * 2 * np.pi / 12 + rng.uniform(0, 6.3, (n, 1)))
    sales = np.round(level[:, None] * season * rng.uniform(0.5, 1.5, (n, 24)), 2)
    sales[rng.random((n, 24)) < 0.1] = 0.0
    months = pd.period_range("2024-12", periods=24, freq="M").strftime("%Y-%m")
    history = pd.DataFrame(
        {
            "customer_id": np.repeat(customers, 24),
            "month": np.tile(np.asarray(months, dtype=object), n),
            "sales": sales.ravel(),
        }
    )
    return hierarchy, history


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    hierarchy, history = synthesise(args.customers, args.seed)
    target = float(np.round(history["sales"].sum() / 2 * 1.08, -2))

    def run(rounding: str) -> Callable[[], Allocation]:
        return lambda: allocate(
            target,
            hierarchy,
            levels=["region", "team", "rep_id", "customer_id"],
            sales=history,
            potential="potential",
            methods={
                "team": "history",
                "rep_id": LevelRule("index", weights={"history": 0.7, "potential": 0.3}),
                "customer_id": "untapped",
            },
            bounds={
                "rep_id": Bounds(growth=(-0.1, 0.3)),
                "customer_id": Bounds(growth=(-0.2, 0.5)),
            },
            step=100,
            month_step=10,
            rounding=rounding,
            seed=args.seed,
        )

    result = run("largest_remainder")()
    print(result.summary())
    print(f"{args.customers:,} customers x 12 months x 3 levels, {len(history):,} history rows")
    for rounding in ("largest_remainder", "webster"):
        seconds, cpu = median_seconds(run(rounding), args.repeats)
        print(f"{rounding}: median {seconds:.3f} s (CPU {cpu:.3f} s) over {args.repeats} runs")


if __name__ == "__main__":
    main()
