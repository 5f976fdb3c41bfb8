"""Re-planning after a month of change: ``plan_routes(previous=...)`` against a fresh plan.

Usage::

    .venv/bin/python benchmarks/replan.py --customers 2000 --seed 0 --time-limit 60 \
        --out /tmp/replan

Plans the sample region (customers graded by ``territory.demo.demo_grades``; the
planner assigns the reps), then makes a month of change -- 5 % of the customers leave,
5 % new ones open near existing ones, 5 % change frequency (a grade move: 1 <-> 2,
4 -> 2, 8 -> 4) -- and plans the new month twice at the same time limit: from the
previous plan, and from scratch. A second scenario removes the busiest rep (the reps it
supervised report to the nearest company rep). Prints, for each
scenario, the share of returning customers that kept their rep and weekdays, the travel
of both plans, the visits planned and the violations, and writes ``OUT/replan.json``.
``--stability 10 1`` re-plans once per stability weight against the same base and fresh plans.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from territory.datasets import sample_region
from territory.demo import demo_grades
from territory.routing import PlanOptions, RoutePlan, plan_routes


def month_of_change(customers: pd.DataFrame, seed: int, share: float) -> pd.DataFrame:
    """Remove ``share`` of the customers, add as many new ones, change as many frequencies."""
    rng = np.random.default_rng(seed)
    n = len(customers)
    count = round(share * n)
    kept = customers.drop(index=rng.choice(n, count, replace=False)).reset_index(drop=True)
    moved = rng.choice(len(kept), count, replace=False)
    grade_move = {1: 2, 2: 1, 4: 2, 8: 4}
    kept.loc[moved, "visits_per_cycle"] = kept.loc[moved, "visits_per_cycle"].map(grade_move)
    new = customers.iloc[rng.choice(n, count, replace=False)].copy()
    new["customer_id"] = [f"NEW{k:05d}" for k in range(count)]
    new["lon"] = new["lon"].to_numpy() + rng.normal(0.0, 0.01, count)
    new["lat"] = new["lat"].to_numpy() + rng.normal(0.0, 0.01, count)
    return pd.concat([kept, new], ignore_index=True)


def kept_share(before: RoutePlan, after: RoutePlan, customers: pd.DataFrame) -> float:
    """Share of returning customers (same frequency) with the same rep and weekdays."""
    frequency = dict(zip(customers["customer_id"], customers["visits_per_cycle"], strict=True))

    def by_customer(plan: RoutePlan) -> dict[str, tuple[str, frozenset[str]]]:
        visits = plan.visits
        return {
            str(c): (str(g["rep_id"].iloc[0]), frozenset(g["weekday"]))
            for c, g in visits.groupby("customer_id")
        }

    old, new = by_customer(before), by_customer(after)
    returning = [
        c
        for c in old
        if c in frequency
        and frequency[c] == int((before.visits["customer_id"] == c).sum())
        and old[c][0] in set(after.reps["rep_id"])
    ]
    same = sum(old[c] == new.get(c) for c in returning)
    return same / max(1, len(returning))


def measure(plan: RoutePlan, seconds: float) -> dict[str, Any]:
    """Travel, visits and violations of a plan."""
    return {
        "seconds": round(seconds, 1),
        "travel_minutes": round(float(plan.days["travel_minutes"].sum()), 1),
        "visits_planned": len(plan.visits),
        "visits_required": plan.visits_required,
        "planned_share": round(len(plan.visits) / max(1, plan.visits_required), 4),
        "violations": len(plan.violations()),
    }


def scenario(
    name: str,
    customers: pd.DataFrame,
    reps: pd.DataFrame,
    base: RoutePlan,
    args: argparse.Namespace,
) -> list[dict[str, Any]]:
    """Plan from scratch once, re-plan at each stability weight; compare with the base."""
    started = time.perf_counter()
    fresh = plan_routes(customers, reps, time_limit=args.time_limit, seed=args.seed)
    scratch = measure(fresh, time.perf_counter() - started) | {
        "kept_rep_and_weekdays": round(kept_share(base, fresh, customers), 4)
    }
    records = []
    for stability in args.stability:
        started = time.perf_counter()
        again = plan_routes(
            customers,
            reps,
            time_limit=args.time_limit,
            seed=args.seed,
            previous=base,
            options=PlanOptions(stability_minutes=stability),
        )
        replanned = measure(again, time.perf_counter() - started)
        record = {
            "scenario": name,
            "stability_minutes": stability,
            "replan": replanned
            | {"kept_rep_and_weekdays": round(kept_share(base, again, customers), 4)},
            "scratch": scratch,
            "travel_vs_scratch_percent": round(
                100.0 * (replanned["travel_minutes"] / scratch["travel_minutes"] - 1.0), 2
            ),
            "summary": again.change_summary(base),
            "reasons": again.changes(base)["reason"].value_counts().to_dict(),
        }
        print(json.dumps(record, indent=2), flush=True)
        records.append(record)
    return records


def without_rep(reps: pd.DataFrame, rep_id: str) -> pd.DataFrame:
    """The reps table without ``rep_id``; the reps it supervised go to the nearest company rep."""
    left = reps[reps["rep_id"].astype(str) != rep_id].reset_index(drop=True)
    if "supervisor_id" not in left.columns:
        return left
    gone = reps[reps["rep_id"].astype(str) == rep_id].iloc[0]
    company = left[left["kind"] == "company"] if "kind" in left.columns else left
    nearest = company.iloc[
        int(
            np.argmin(
                (company["home_lon"] - gone["home_lon"]) ** 2
                + (company["home_lat"] - gone["home_lat"]) ** 2
            )
        )
    ]["rep_id"]
    orphans = left["supervisor_id"].astype(str) == rep_id
    left.loc[orphans, "supervisor_id"] = nearest
    return left


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--share", type=float, default=0.05)
    parser.add_argument(
        "--stability",
        type=float,
        nargs="+",
        default=[10.0],
        help="PlanOptions.stability_minutes of the re-plans (one re-plan per value)",
    )
    parser.add_argument("--out", type=Path, default=Path("benchmark-results"))
    args = parser.parse_args()
    region = sample_region(args.customers, seed=args.seed)
    _, requirements = demo_grades(region)
    customers = region.customers.drop(columns=["rep_id"], errors="ignore").merge(
        requirements[["customer_id", "grade", "visits_per_cycle", "service_minutes"]],
        on="customer_id",
    )
    reps = region.reps
    started = time.perf_counter()
    base = plan_routes(customers, reps, time_limit=args.time_limit, seed=args.seed)
    records: list[dict[str, Any]] = [
        {"scenario": "base", **measure(base, time.perf_counter() - started)}
    ]
    print(json.dumps(records[0], indent=2))
    records += scenario(
        "month of change", month_of_change(customers, args.seed, args.share), reps, base, args
    )
    busiest = str(base.visits["rep_id"].value_counts().index[0])
    records += scenario(f"rep {busiest} removed", customers, without_rep(reps, busiest), base, args)
    args.out.mkdir(parents=True, exist_ok=True)
    output = {
        "command": " ".join(["benchmarks/replan.py", *sys.argv[1:]]),
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "load": os.getloadavg(),
        "reps": len(reps),
        "records": records,
    }
    (args.out / "replan.json").write_text(json.dumps(output, indent=2))


if __name__ == "__main__":
    main()
