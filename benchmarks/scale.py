"""Route planning at scale: the sample region -> grades -> plan_routes.

Usage::

    .venv/bin/python benchmarks/scale.py --customers 10000 --seed 0 --out /tmp/scale \
        --time-limit 540

Grades and visit requirements come from ``territory.grading`` (relationship x potential
matrix, default visit policy: A 8, B 4, C 2, D 1 visits per 4-week cycle) when it is
installed; otherwise from a simple rule documented in :func:`requirements`. Writes
``DIR/scale_<N>.json`` and prints it: seconds, peak memory (``ru_maxrss``), visits
planned / required, unplanned visits by reason, travel per visit, violations.
``--workers N`` plans the reps in a ``ProcessPoolExecutor`` of N processes (peak memory
is then that of the main process; ``ru_maxrss`` of the children is reported separately).
``--dask N`` plans them on a local Dask cluster of N worker processes (one thread each)
through ``Client.get_executor()``, the same path as an existing cluster.
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import pandas as pd

from territory.datasets import SampleRegion, sample_region
from territory.routing import plan_routes


def requirements(region: SampleRegion) -> pd.DataFrame:
    """Visit requirements of the sample region.

    With ``territory.grading``: its ``demo_grades`` (relationship x potential matrix and
    ``VisitPolicy.default()``). Without it: grade A = relationship >= 4 and potential at
    or above the median, B = relationship < 4 and high potential, C = good relationship
    and low potential, D = the rest; visits 8/4/2/1, service 30/20/15/15 minutes.
    """
    try:
        from territory.grading import demo_grades
    except ImportError:
        customers = region.customers
        high = customers["potential"] >= customers["potential"].median()
        good = customers["relationship"] >= 4
        grade = pd.Series("D", index=customers.index)
        grade[good & high], grade[~good & high], grade[good & ~high] = "A", "B", "C"
        table = {"A": (8, 30.0), "B": (4, 20.0), "C": (2, 15.0), "D": (1, 15.0)}
        return pd.DataFrame(
            {
                "customer_id": customers["customer_id"],
                "grade": grade,
                "visits_per_cycle": [table[g][0] for g in grade],
                "service_minutes": [table[g][1] for g in grade],
            }
        )
    return demo_grades(region)[1]


def main(argv: list[str] | None = None) -> dict[str, object]:
    """Run the benchmark and return its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("benchmark-results"))
    parser.add_argument("--time-limit", type=float, default=540.0)
    parser.add_argument("--engine", default="ortools")
    parser.add_argument(
        "--workers", type=int, default=1, help="processes for the reps (1: in-process)"
    )
    parser.add_argument(
        "--dask", type=int, default=0, help="Dask LocalCluster workers for the reps (0: none)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(message)s")
    region = sample_region(args.customers, seed=args.seed)
    need = requirements(region)
    customers = region.customers.merge(need, on="customer_id")
    started = time.perf_counter()
    with ExitStack() as stack:
        executor = (
            stack.enter_context(ProcessPoolExecutor(max_workers=args.workers))
            if args.workers > 1
            else None
        )
        if args.dask > 0:
            from distributed import Client, LocalCluster

            cluster = stack.enter_context(
                LocalCluster(
                    n_workers=args.dask,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=":0",
                )
            )
            executor = stack.enter_context(Client(cluster)).get_executor()
        plan = plan_routes(
            customers,
            region.reps,
            time_limit=args.time_limit,
            seed=args.seed,
            engine=args.engine,
            executor=executor,
        )
    seconds = time.perf_counter() - started
    checked = time.perf_counter()
    violations = plan.violations()
    check_seconds = time.perf_counter() - checked
    planned, required = len(plan.visits), plan.visits_required
    travel = float(plan.days["travel_minutes"].sum())
    missing = plan.unplanned.groupby("reason")["visits_missing"].sum()
    result: dict[str, object] = {
        "customers": args.customers,
        "reps": len(region.reps),
        "seed": args.seed,
        "time_limit": args.time_limit,
        "workers": args.workers,
        "dask_workers": args.dask,
        "seconds": round(seconds, 1),
        "peak_memory_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "peak_memory_worker_mb": round(
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1
        ),
        "visits_required": required,
        "visits_planned": planned,
        "planned_share": round(planned / max(required, 1), 4),
        "unplanned_by_reason": {str(k): int(v) for k, v in missing.items()},
        "rep_days": len(plan.days),
        "travel_minutes_per_visit": round(travel / max(planned, 1), 2),
        "travel_km_total": round(float(plan.days["travel_km"].sum()), 1),
        "regularity": {k: round(v, 3) for k, v in plan.regularity.items()},
        "engine_days": plan.stats["engine_days"],
        "days_without_engine": plan.stats["days_without_engine"],
        "violations": len(violations),
        "check_seconds": round(check_seconds, 1),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    text = json.dumps(result, indent=2)
    suffix = f"_dask{args.dask}" if args.dask else ""
    (args.out / f"scale_{args.customers}{suffix}.json").write_text(text + "\n")
    sys.stdout.write(text + "\n")
    return result


if __name__ == "__main__":
    main()
