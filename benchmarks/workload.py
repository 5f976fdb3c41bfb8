"""Workload: the one estimate (territory.workload) against the route plan it should predict.

Usage::

    nice -n 19 .venv/bin/python benchmarks/workload.py --customers 2000 --seed 0 \
        --time-limit 60 [--no-dealer-rules] --out /tmp/workload

Steps: the sample region (``territory.datasets.sample_region``) with the demo grades and
the default visit policy (as ``benchmarks/scale.py``); territories designed on
``balance={"workload": 0.05}`` (``--tolerance``) and ``centre="home"`` (``--centre``:
reps keep their homes inside their territories; with ``"centroid"`` a rep may be given a
territory far from home); routes planned on those territories (each customer keeps its
territory's rep); then

* each rep's *planned* minutes (service + travel of its days) against the mean over all
  reps and against the mean of its group (the company's reps, or one dealer's reps:
  territories are balanced within a group, since a dealer's stores go to its own reps).
  Target: every rep within +/-10 %;
* each rep's *estimated* minutes (``territory.workload.estimate_workload`` with the
  territory's rep: trips from its home and to its own other customers, the figure the
  design balances) against its planned minutes: mean and standard deviation
  of planned / estimated - 1;
* the capacity check's verdict (``territory.grading.capacity_check``) on the plan's
  input (each customer with its territory's rep, so each rep is checked on its own as
  well as each side) against the plan. Target: when it says "fits", at least 99.5 % of
  the required visits are planned. The verdict before the territories (customers
  without reps: per side only) is shown too. The sample region has room to spare, so
  the verdict is also put to the test at the edge (``--edge``, default 0.97): every
  rep's working day (less lunch) is shortened by one factor until the tightest side or
  rep needs that share of the time the planner fills; the check must then still say
  "fits", and the routes are planned again on the same territories with the shorter
  days.

``--no-dealer-rules`` drops the dealer columns: every rep is then the company's, and the
territories are balanced over all reps at once, so the spread target reads on every rep.

Writes ``DIR/workload_<N>_<centre>[_no_dealer_rules].json`` and prints a markdown table.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from territory.datasets import SampleRegion, sample_region
from territory.demo import demo_grades
from territory.grading import CapacityCheck, capacity_check
from territory.routing import plan_routes
from territory.tables import format_time, validate_reps
from territory.territories import design_territories
from territory.workload import estimate_workload, planned_work

#: Target: every rep's planned minutes within this share of the mean.
REP_SPREAD_TARGET = 0.10
#: Target: share of the required visits planned when the capacity check says "fits".
FITS_PLANNED_TARGET = 0.995


def requirements(region: SampleRegion) -> pd.DataFrame:
    """Visit requirements from the demo grades and the default visit policy."""
    return demo_grades(region)[1]


def shortened_days(reps: pd.DataFrame, check: CapacityCheck, edge: float) -> pd.DataFrame:
    """A copy of ``reps`` whose days are shortened so the tightest side or rep is at ``edge``.

    ``edge`` is the demand over the minutes the planner fills of the tightest side, or of
    the tightest rep with fixed customers; every rep's working minutes (day end - day
    start - lunch) are multiplied by the same factor.
    """
    loads = [t for t in (check.sides, check.rep_load) if t is not None]
    demand = np.concatenate([t["demand_minutes"].to_numpy(dtype=float) for t in loads])
    usable = np.concatenate([t["usable_minutes"].to_numpy(dtype=float) for t in loads])
    ratio = float(np.max(demand[usable > 0] / usable[usable > 0]))
    factor = ratio / edge
    frame = validate_reps(reps)
    start = frame["day_start"].to_numpy(dtype=float)
    lunch = (
        frame["lunch_minutes"].fillna(0.0).to_numpy(dtype=float)
        if "lunch_minutes" in frame.columns
        else np.zeros(len(frame))
    )
    room = frame["day_end"].to_numpy(dtype=float) - start - lunch
    out = reps.copy()
    out["day_end"] = [format_time(m) for m in start + lunch + room * factor]
    return out


def _spread(values: pd.Series) -> dict[str, float]:
    """Smallest and largest deviation from the mean, as shares."""
    mean = float(values.mean())
    deviation = values / mean - 1.0 if mean > 0 else values * 0.0
    return {
        "mean": round(mean, 1),
        "min_deviation": round(float(deviation.min()), 4),
        "max_deviation": round(float(deviation.max()), 4),
    }


def rep_figures(
    plan_days: pd.DataFrame, reps: pd.DataFrame, estimate: pd.DataFrame
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Per rep: planned and estimated minutes, deviations from the mean and group mean."""
    planned = planned_work(plan_days)
    table = pd.DataFrame({"rep_id": reps["rep_id"].astype(str)})
    if "kind" in reps.columns:
        table["group"] = np.where(
            reps["kind"].astype(str) == "dealer", reps["dealer_id"].astype(str), "company"
        )
    else:  # no dealer rules: every rep is the company's
        table["group"] = "company"
    minutes = planned["service_minutes"] + planned["travel_minutes"]
    table["planned_minutes"] = table["rep_id"].map(minutes).fillna(0.0).to_numpy()
    by_rep = estimate.set_index("rep_id")["minutes"]
    table["estimated_minutes"] = table["rep_id"].map(by_rep).fillna(0.0).to_numpy()
    mean = table["planned_minutes"].mean()
    table["deviation"] = table["planned_minutes"] / mean - 1.0
    group_mean = table.groupby("group")["planned_minutes"].transform("mean")
    table["group_deviation"] = table["planned_minutes"] / group_mean - 1.0
    busy = table["estimated_minutes"] > 0
    error = table.loc[busy, "planned_minutes"] / table.loc[busy, "estimated_minutes"] - 1.0
    figures = {
        "planned_minutes": _spread(table["planned_minutes"]),
        "reps_within_target": int((table["deviation"].abs() <= REP_SPREAD_TARGET).sum()),
        "reps_within_target_of_group_mean": int(
            (table["group_deviation"].abs() <= REP_SPREAD_TARGET).sum()
        ),
        "group_deviation_min_max": [
            round(float(table["group_deviation"].min()), 4),
            round(float(table["group_deviation"].max()), 4),
        ],
        "planned_over_estimate_mean": round(float(error.mean()), 4),
        "planned_over_estimate_sd": round(float(error.std(ddof=0)), 4),
    }
    return table, figures


def markdown(result: dict[str, Any], table: pd.DataFrame) -> str:
    """The figures as a markdown table, then one row per rep."""
    rows = [
        ("customers / reps", f"{result['customers']:,} / {result['reps']}"),
        ("territory design s / plan s", f"{result['design_seconds']} / {result['plan_seconds']}"),
        (
            "territory design: workload tolerance, centre",
            f"±{result['tolerance']:.0%}, {result['centre']}",
        ),
        (
            "planned minutes per rep: mean (min, max deviation)",
            f"{result['planned_minutes']['mean']:,.0f} "
            f"({result['planned_minutes']['min_deviation']:+.1%}, "
            f"{result['planned_minutes']['max_deviation']:+.1%})",
        ),
        (
            "reps within ±10 % of the mean (of their group's mean)",
            f"{result['reps_within_target']} ({result['reps_within_target_of_group_mean']}) "
            f"of {result['reps']}",
        ),
        (
            "planned / estimated - 1 per rep: mean, sd",
            f"{result['planned_over_estimate_mean']:+.1%}, "
            f"{result['planned_over_estimate_sd']:.1%}",
        ),
        (
            "capacity check: utilisation, verdict before territories / on them",
            f"{result['capacity_utilisation']:.1%}, "
            f"{'fits' if result['region_fits'] else 'does not fit'} / "
            f"{'fits' if result['capacity_fits'] else 'does not fit'}"
            + (
                f" (over: {', '.join(result['capacity_short_reps'])})"
                if result["capacity_short_reps"]
                else ""
            ),
        ),
        (
            "visits planned / required",
            f"{result['visits_planned']:,} / {result['visits_required']:,} "
            f"({result['planned_share']:.2%})",
        ),
        ("target: all reps within ±10 % of the mean", "met" if result["spread_met"] else "not met"),
        (
            "target: 'fits' -> >= 99.5 % planned",
            "n/a (does not fit)"
            if result["verdict_met"] is None
            else ("met" if result["verdict_met"] else "not met"),
        ),
    ]
    if "edge" in result:
        rows += [
            (
                "edge test: days end at",
                ", ".join(result["edge_day_end"]),
            ),
            (
                "edge test: utilisation, tightest side, tightest rep, verdict",
                f"{result['edge_utilisation']:.1%}, "
                f"{max(result['edge_side_use'].values()):.1%} of usable, "
                f"{result['edge_tightest_rep_use'] or 0:.1%} of usable, "
                f"{'fits' if result['edge_fits'] else 'does not fit'}",
            ),
            (
                "edge test: visits planned / required",
                f"{result['edge_visits_planned']:,} / {result['visits_required']:,} "
                f"({result['edge_planned_share']:.2%}); unplanned "
                f"{result['edge_unplanned_by_reason'] or 'none'}",
            ),
            (
                "edge test target: 'fits' -> >= 99.5 % planned",
                "n/a (does not fit)"
                if result["edge_verdict_met"] is None
                else ("met" if result["edge_verdict_met"] else "not met"),
            ),
        ]
    lines = ["| figure | value |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows), ""]
    lines += [
        "| rep | group | planned min | estimated min | vs mean | vs group mean |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for row in table.itertuples(index=False):
        lines.append(
            f"| {row.rep_id} | {row.group} | {row.planned_minutes:,.0f} | "
            f"{row.estimated_minutes:,.0f} | {row.deviation:+.1%} | {row.group_deviation:+.1%} |"
        )
    return "\n".join(lines)


def edge_test(
    assigned: pd.DataFrame,
    need: pd.DataFrame,
    reps: pd.DataFrame,
    check: CapacityCheck,
    args: argparse.Namespace,
) -> dict[str, Any]:
    """The capacity check and the plan with days shortened to the edge of "fits"."""
    short = shortened_days(reps, check, args.edge)
    edge_check = capacity_check(need, assigned, short)
    started = time.perf_counter()
    plan = plan_routes(assigned, short, time_limit=args.time_limit, seed=args.seed)
    seconds = time.perf_counter() - started
    planned, required = len(plan.visits), plan.visits_required
    share = planned / max(required, 1)
    sides = edge_check.sides if edge_check.sides is not None else pd.DataFrame()
    reps_use = edge_check.rep_load if edge_check.rep_load is not None else pd.DataFrame()
    return {
        "edge": args.edge,
        "edge_day_end": sorted(set(short["day_end"].astype(str))),
        "edge_plan_seconds": round(seconds, 1),
        "edge_utilisation": round(edge_check.utilisation, 4),
        "edge_side_use": {
            str(row.side): round(float(row.demand_minutes / max(row.usable_minutes, 1e-9)), 4)
            for row in sides.itertuples(index=False)
        },
        "edge_tightest_rep_use": round(
            float((reps_use["demand_minutes"] / reps_use["usable_minutes"]).max()), 4
        )
        if len(reps_use)
        else None,
        "edge_fits": edge_check.fits,
        "edge_visits_planned": planned,
        "edge_planned_share": round(share, 4),
        "edge_unplanned_by_reason": {
            str(k): int(v)
            for k, v in plan.unplanned.groupby("reason")["visits_missing"].sum().items()
        },
        "edge_verdict_met": bool(share >= FITS_PLANNED_TARGET) if edge_check.fits else None,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark and return its figures."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--time-limit", type=float, default=60.0, help="plan_routes seconds")
    parser.add_argument("--tolerance", type=float, default=0.05, help="workload balance")
    parser.add_argument("--centre", choices=("home", "centroid"), default="home")
    parser.add_argument("--out", type=Path, default=Path("benchmark-results"))
    parser.add_argument(
        "--edge",
        type=float,
        default=0.97,
        help="tightest side's demand / usable minutes of the edge test (0: skip it)",
    )
    parser.add_argument(
        "--no-dealer-rules",
        action="store_true",
        help="drop the dealer_id columns, so that territories are balanced over all reps "
        "at once (as benchmarks/scale.py --no-dealer-rules)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(message)s")
    region = sample_region(args.customers, seed=args.seed)
    need = requirements(region)
    customers = region.customers.merge(need, on="customer_id")
    reps = region.reps
    if args.no_dealer_rules:
        customers = customers.drop(columns=["dealer_id"], errors="ignore")
        reps = reps.drop(columns=["kind", "dealer_id", "supervisor_id"], errors="ignore")
    started = time.perf_counter()
    territories = design_territories(
        customers, reps, balance={"workload": args.tolerance}, seed=args.seed, centre=args.centre
    )
    design_seconds = time.perf_counter() - started
    assigned = customers.merge(territories.assignment[["customer_id", "rep_id"]], on="customer_id")
    region_check = capacity_check(need, customers, reps)  # before the territories
    check = capacity_check(need, assigned, reps)  # the plan's input: each rep's customers
    started = time.perf_counter()
    plan = plan_routes(assigned, reps, time_limit=args.time_limit, seed=args.seed)
    plan_seconds = time.perf_counter() - started
    estimate = estimate_workload(assigned, reps, rep_column="rep_id", neighbours="rep").by_rep()
    table, figures = rep_figures(plan.days, reps, estimate)
    planned, required = len(plan.visits), plan.visits_required
    share = planned / max(required, 1)
    result: dict[str, Any] = {
        "customers": args.customers,
        "reps": len(reps),
        "seed": args.seed,
        "time_limit": args.time_limit,
        "tolerance": args.tolerance,
        "centre": args.centre,
        "dealer_rules": not args.no_dealer_rules,
        "design_seconds": round(design_seconds, 1),
        "plan_seconds": round(plan_seconds, 1),
        "territory_workload_out_of_tolerance": len(territories.out_of_tolerance),
        **figures,
        "capacity_utilisation": round(check.utilisation, 4),
        "capacity_usable_share": round(1 - check.margin, 2),
        "region_fits": region_check.fits,
        "capacity_fits": check.fits,
        "capacity_short_reps": check.short_reps(),
        "visits_required": required,
        "visits_planned": planned,
        "planned_share": round(share, 4),
        "unplanned_by_reason": {
            str(k): int(v)
            for k, v in plan.unplanned.groupby("reason")["visits_missing"].sum().items()
        },
        "spread_met": bool((table["deviation"].abs() <= REP_SPREAD_TARGET).all()),
        "verdict_met": bool(share >= FITS_PLANNED_TARGET) if check.fits else None,
        **(edge_test(assigned, need, reps, check, args) if args.edge > 0 else {}),
        "reps_table": table.round(4).to_dict(orient="records"),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    suffix = "_no_dealer_rules" if args.no_dealer_rules else ""
    name = f"workload_{args.customers}_{args.centre}{suffix}.json"
    (args.out / name).write_text(json.dumps(result, indent=2) + "\n")
    sys.stdout.write(markdown(result, table) + "\n")
    return result


if __name__ == "__main__":
    main()
