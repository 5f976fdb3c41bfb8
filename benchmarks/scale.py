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

``--homes among`` moves each rep's home onto a random customer of the region (seeded by
``--seed``; reps live among their customers, not at the centres of their patches) and
implies ``--no-rep-id``, which drops any ``rep_id`` column so the planner assigns every
customer. ``--reps N`` keeps a seeded sample of N of the region's reps. The figures then
include the visits left out for capacity and how many of those belong to a customer with
a rep within 30 travel minutes (home to customer) that works under 90 % of its time (work
= the ``work_minutes`` of its days over working days x (day end - day start - lunch)).
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

import numpy as np
import pandas as pd

from territory.datasets import SampleRegion, sample_region
from territory.eligibility import eligibility
from territory.routing import RoutePlan, plan_routes
from territory.tables import validate_reps
from territory.travel import GreatCircleTravel, Points

#: A rep this close to a customer (travel minutes from its home) counts as nearby.
NEARBY_MINUTES = 30.0
#: A rep working less than this share of its time counts as having room.
UNDERUSED_SHARE = 0.9


def requirements(region: SampleRegion) -> pd.DataFrame:
    """Visit requirements of the sample region.

    With ``territory.grading``: ``territory.demo.demo_grades`` (relationship x potential
    matrix and ``VisitPolicy.default()``). Without it: grade A = relationship >= 4 and potential at
    or above the median, B = relationship < 4 and high potential, C = good relationship
    and low potential, D = the rest; visits 8/4/2/1, service 30/20/15/15 minutes.
    """
    try:
        from territory.demo import demo_grades
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


def sample_reps(reps: pd.DataFrame, count: int, *, seed: int) -> pd.DataFrame:
    """A seeded sample of ``count`` reps (all of them when there are not more).

    Every side (the company and each dealer) keeps at least one rep, so that every
    customer still has a rep allowed to serve it; a dealer rep whose supervisor was left
    out reports to the kept company rep living nearest to it.
    """
    if count >= len(reps):
        return reps.copy()
    rng = np.random.default_rng([seed, 7907])
    side = (
        reps["dealer_id"].fillna("") if "dealer_id" in reps.columns else pd.Series("", reps.index)
    )
    first = [int(rng.choice(np.flatnonzero((side == s).to_numpy()))) for s in sorted(set(side))]
    if len(first) > count:
        raise ValueError(f"--reps {count} cannot keep one rep for each of {len(first)} sides")
    rest = np.setdiff1d(np.arange(len(reps)), first)
    keep = np.sort(np.concatenate([first, rng.choice(rest, count - len(first), replace=False)]))
    out = reps.iloc[keep].reset_index(drop=True)
    if "supervisor_id" in out.columns and "dealer_id" in out.columns:
        company = out[out["dealer_id"].isna() | (out["dealer_id"] == "")]
        lost = out["dealer_id"].notna() & (out["dealer_id"] != "")
        lost &= ~out["supervisor_id"].isin(company["rep_id"])
        for i in np.flatnonzero(lost.to_numpy()):
            far = np.hypot(
                company["home_lon"].to_numpy() - out.at[i, "home_lon"],
                company["home_lat"].to_numpy() - out.at[i, "home_lat"],
            )
            out.at[i, "supervisor_id"] = company["rep_id"].iloc[int(np.argmin(far))]
    return out


def reps_among_customers(reps: pd.DataFrame, customers: pd.DataFrame, *, seed: int) -> pd.DataFrame:
    """A copy of ``reps`` living at random customers of their own side.

    Each rep's home is moved onto the location of a distinct customer drawn uniformly
    (seeded) among those it may serve: its dealer's stores for a dealer's rep, the
    direct stores, dealers and key accounts for a company rep (any customer when the
    tables have no ``dealer_id``). Homes so follow the density of the customers a rep
    works for, but not the centres of patches.
    """
    rng = np.random.default_rng([seed, 7919])
    if "dealer_id" in customers.columns and "dealer_id" in reps.columns:
        store = customers["dealer_id"].fillna("").astype(str)
        if "key_account" in customers.columns:
            store = store.where(~customers["key_account"].fillna(False).astype(bool), "")
        if "kind" in customers.columns:
            store = store.where(customers["kind"] != "dealer", "")
        side = reps["dealer_id"].fillna("").astype(str).to_numpy()
    else:
        store = pd.Series("", index=customers.index)
        side = np.full(len(reps), "", dtype=object)
    home = np.empty(len(reps), dtype=np.int64)
    taken: set[int] = set()
    for r in rng.permutation(len(reps)):
        pool = [i for i in np.flatnonzero((store == side[r]).to_numpy()) if i not in taken]
        pool = pool or [i for i in range(len(customers)) if i not in taken]
        home[r] = int(rng.choice(pool))
        taken.add(int(home[r]))
    out = reps.copy()
    out["home_lon"] = customers["lon"].to_numpy(dtype=float)[home]
    out["home_lat"] = customers["lat"].to_numpy(dtype=float)[home]
    return out


def capacity_figures(
    plan: RoutePlan, customers: pd.DataFrame, reps: pd.DataFrame
) -> dict[str, object]:
    """Visits unplanned for capacity, and those with an under-used rep nearby.

    A rep's use is the ``work_minutes`` of its days over its capacity (working days of
    the cycle x (day end - day start - lunch)); ``work_minutes`` runs from leaving home to
    coming back, lunch included, so a full rep's use is a little above 1. A capacity
    shortfall is "avoidable" when a rep allowed to serve the customer
    (:func:`territory.eligibility.eligibility`) whose home is within
    :data:`NEARBY_MINUTES` of it works under :data:`UNDERUSED_SHARE` of its time.
    """
    frame = validate_reps(reps)
    cycle = plan.cycle
    working = np.array(
        [cycle.weeks * sum(1 for d in days if d < cycle.days) for days in frame["weekdays"]],
        dtype=float,
    )
    lunch = np.zeros(len(frame))
    if "lunch_minutes" in frame.columns and "lunch_start" in frame.columns:
        given = frame["lunch_start"].notna().to_numpy()
        lunch = np.where(given, frame["lunch_minutes"].fillna(0.0).to_numpy(dtype=float), 0.0)
    capacity = working * (
        frame["day_end"].to_numpy(dtype=float) - frame["day_start"].to_numpy(dtype=float) - lunch
    )
    work = plan.days.groupby("rep_id")["work_minutes"].sum()
    used = work.reindex(frame["rep_id"]).fillna(0.0).to_numpy(dtype=float) / np.maximum(
        capacity, 1.0
    )
    short = plan.unplanned[plan.unplanned["reason"] == "capacity"]
    located = short.merge(customers[["customer_id", "lon", "lat"]], on="customer_id")
    avoidable = 0
    if len(located):
        under = np.flatnonzero(used < UNDERUSED_SHARE)
        homes = Points(
            frame["rep_id"].to_numpy(dtype=object)[under],
            frame["home_lon"].to_numpy(dtype=float)[under],
            frame["home_lat"].to_numpy(dtype=float)[under],
        )
        stops = Points(
            located["customer_id"].to_numpy(dtype=object),
            located["lon"].to_numpy(dtype=float),
            located["lat"].to_numpy(dtype=float),
        )
        if len(under):
            minutes = GreatCircleTravel().matrix(homes, stops).minutes
            allowed = eligibility(customers, reps)
            position = pd.Index(customers["customer_id"]).get_indexer(located["customer_id"])
            may = np.array(
                [[allowed.may_serve(int(i), int(r)) for i in position] for r in under], dtype=bool
            ).reshape(minutes.shape)
            near = ((minutes <= NEARBY_MINUTES) & may).any(axis=0)
            avoidable = int(located["visits_missing"].to_numpy()[near].sum())
    return {
        "capacity_unplanned_visits": int(short["visits_missing"].sum()),
        "capacity_unplanned_reps": int(short["rep_id"].nunique()),
        "capacity_unplanned_with_underused_rep_nearby": avoidable,
        "reps_under_80_percent": int((used < 0.8).sum()),
        "reps_under_90_percent": int((used < UNDERUSED_SHARE).sum()),
        "rep_use_min_median_max": [
            round(float(used.min()), 3),
            round(float(np.median(used)), 3),
            round(float(used.max()), 3),
        ],
    }


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
    parser.add_argument(
        "--homes",
        choices=("region", "among"),
        default="region",
        help="rep homes: the region's (near patch centres) or 'among' (at random customers)",
    )
    parser.add_argument(
        "--reps", type=int, default=None, help="keep a seeded sample of this many reps"
    )
    parser.add_argument(
        "--no-dealer-rules",
        action="store_true",
        help="drop the dealer_id columns, so that any rep may serve any customer "
        "(the problem as it was before the company/dealer rules)",
    )
    parser.add_argument(
        "--no-rep-id",
        action="store_true",
        help="drop any rep_id of the customers (implied by --homes among)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(message)s")
    region = sample_region(args.customers, seed=args.seed)
    need = requirements(region)
    customers = region.customers.merge(need, on="customer_id")
    reps = region.reps
    if args.reps is not None:
        reps = sample_reps(reps, args.reps, seed=args.seed)
    if args.homes == "among":
        reps = reps_among_customers(reps, customers, seed=args.seed)
    if args.no_dealer_rules:
        customers = customers.drop(columns=["dealer_id"], errors="ignore")
        reps = reps.drop(columns=["kind", "dealer_id", "supervisor_id"], errors="ignore")
    if (args.no_rep_id or args.homes == "among") and "rep_id" in customers.columns:
        customers = customers.drop(columns=["rep_id"])
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
            reps,
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
        "reps": len(reps),
        "homes": args.homes,
        "seed": args.seed,
        "dealer_rules": not args.no_dealer_rules,
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
        "travel_minutes": round(float(plan.stats["travel_minutes"]), 1),
        "construction_travel_minutes": round(float(plan.stats["construction_travel_minutes"]), 1),
        "search_rounds": plan.stats["search_rounds"],
        "phase_seconds": {k: round(v, 1) for k, v in plan.stats["phase_seconds"].items()},
        "engine_days": plan.stats["engine_days"],
        "days_without_engine": plan.stats["days_without_engine"],
        "violations": len(violations),
        "check_seconds": round(check_seconds, 1),
        **capacity_figures(plan, customers, reps),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    text = json.dumps(result, indent=2)
    suffix = f"_dask{args.dask}" if args.dask else ""
    suffix += "_among" if args.homes == "among" else ""
    suffix += f"_reps{args.reps}" if args.reps is not None else ""
    suffix += "_no_dealer_rules" if args.no_dealer_rules else ""
    (args.out / f"scale_{args.customers}{suffix}.json").write_text(text + "\n")
    sys.stdout.write(text + "\n")
    return result


if __name__ == "__main__":
    main()
