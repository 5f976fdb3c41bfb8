"""One-rep visit cycles: ``plan_routes`` against a weekly-regular periodic search, same matrix.

Example::

    nice -n 10 .venv/bin/python benchmarks/rep_cycles.py --instances 6 --seed 0 \
        --time-limit 30 --reference pvrp --reference-time 300 --out results/rep_cycles

Each instance is one rep with 120-140 customers needing 1/2/4/8 visits in a 4-week x
5-day cycle, 15-30 minutes of service, 540-minute days (08:00-17:00), no lunch and no
opening hours; instance ``k`` is rebuilt from ``(seed, k)`` alone (:func:`instance_seed`,
:func:`instance_settings`, :func:`make_cycle`). Locations lie in a plane whose unit is a
*minute of travel*; both solvers see the same Euclidean minute matrix (``MatrixTravel`` for
``plan_routes``, the ``x``/``y`` of a ``PeriodicInstance`` for ``solve_pvrp``).

The reference (``--reference pvrp``) is ``solve_pvrp(engine="pyvrp")`` restricted to the
weekly-regular patterns that also keep ``plan_routes``' spacing rule (gaps of at least
``max(1, ceil(20 / f) - 1)`` working days): ``f = 1`` any day; ``f = 2`` days ``d`` and
``d + 10``; ``f = 4`` one weekday every week; ``f = 8`` two weekdays two or three days apart
every week. ``--reference plan`` runs ``plan_routes`` itself for ``--reference-time``.

Both plans are re-costed on the matrix; the gap is ``plan / reference - 1``. Regularity of
both comes from ``territory.routing.regularity_metrics``; "reg >=" means the plan's
constant-weekday and even-spacing shares are at least the reference's. A gap is marked
comparable only when both plans make every required visit without violations; "vs constr"
is the plan's travel against ``plan.stats["construction_travel_minutes"]`` when present.
``--iterations N`` gives ``plan_routes`` a work limit of ``N`` search rounds (the time
limit then only guards it), so that its plans are the same on any machine.
Prints a markdown table (one row per instance), the numeric entries of ``plan.stats``,
the mean and median gap, and writes ``OUT/rep_cycles.json`` (``OUT/rep_cycles_<k>.json``
with ``--only k``) with the command, the date and the machine's load.
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import json
import math
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from territory.routing import (
    Cycle,
    PeriodicInstance,
    PeriodicSolution,
    PlanOptions,
    RoutePlan,
    plan_routes,
    regularity_metrics,
    solve_pvrp,
)
from territory.routing.patterns import cyclic_gaps, required_gap
from territory.routing.periodic import days_combination
from territory.tables import WEEKDAY_NAMES
from territory.travel import MatrixTravel

CYCLE = Cycle(weeks=4, days=5)
DAY_START, DAY_END = 480.0, 1020.0
DAY_MINUTES = DAY_END - DAY_START
#: Visit frequencies and their shares: mostly 1 and 2, some 4, few 8.
FREQUENCIES = (1, 2, 4, 8)
FREQUENCY_SHARES = (0.42, 0.33, 0.18, 0.07)
SERVICE_RANGE = (15, 30)
CUSTOMER_RANGE = (120, 140)
#: Targets of the *estimated* utilisation. The estimate runs low on wide, sparse regions
#: (``plan_routes`` at 5 s travelled 1.1-1.5 times it on instances 0-9 of seed 0), so
#: the targets stop at 0.88 for the plans' own utilisation to stay within about 0.70-0.95.
UTILISATION_RANGE = (0.70, 0.88)
#: Side of the square region is chosen in this range (minutes of travel).
SIDE_RANGE = (25.0, 100.0)
#: Kilometres per minute of travel (40 km/h), for the lon/lat columns and ``travel_km``.
KM_PER_MINUTE = 40.0 / 60.0
_KM_PER_DEGREE = 111.195
_ORIGIN_LON, _ORIGIN_LAT = 9.0, 48.0
#: Daganzo's constant of the local tour length ``0.57 sqrt(N A)``.
LOCAL_TOUR = 0.57
#: Calibration of the travel estimate: on instance (0, 1) the raw estimate was 1,415
#: minutes, ``solve_pvrp`` (pyvrp, 30 s) found 1,906 and the ``plan_routes`` construction
#: 2,308 (seed 0), so good plans travel about 1.3 times the raw estimate.
TRAVEL_CALIBRATION = 1.3
REP_ID = "R1"
#: Shares compared for "equal or better regularity" (``route_repeat_share``, the overlap of
#: same-weekday routes in consecutive weeks, is reported but not part of the test).
REGULARITY_KEYS = ("constant_weekday_share", "even_spacing_share")

FloatArray = NDArray[np.float64]


class RepCycle(NamedTuple):
    """One generated instance: the tables for ``plan_routes`` and the periodic instance."""

    customers: pd.DataFrame
    reps: pd.DataFrame
    travel: MatrixTravel
    periodic: PeriodicInstance


# --------------------------------------------------------------------------- generator


def instance_seed(seed: int, index: int) -> int:
    """The generator seed of instance ``index`` of a run seeded with ``seed``."""
    return int(np.random.SeedSequence([seed, index]).generate_state(1)[0])


def instance_settings(seed: int, index: int) -> tuple[int, float]:
    """Number of customers and target utilisation of instance ``index``.

    The targets follow a golden-ratio sequence over :data:`UTILISATION_RANGE` (so any
    first ``k`` instances spread over the range, whatever ``--instances`` is) with a
    little seeded jitter; the customer count is drawn from :data:`CUSTOMER_RANGE`.
    """
    rng = np.random.default_rng([seed, index, 1])
    low, high = UTILISATION_RANGE
    position = (0.5 + index * (math.sqrt(5.0) - 1.0) / 2.0) % 1.0
    jitter = rng.uniform(-0.01, 0.01)
    utilisation = float(np.clip(low + (high - low) * position + jitter, low, high))
    customers = int(rng.integers(CUSTOMER_RANGE[0], CUSTOMER_RANGE[1] + 1))
    return customers, round(utilisation, 3)


def weekly_regular_patterns(frequency: int) -> list[tuple[int, ...]]:
    """Weekly-regular patterns (1-based days) of ``frequency`` that keep the spacing rule."""
    n, week = CYCLE.n_days, CYCLE.days
    gap = required_gap(n, frequency)
    if frequency == 1:
        candidates: list[tuple[int, ...]] = [(d,) for d in range(1, n + 1)]
    elif frequency == 2:
        candidates = [(d, d + n // 2) for d in range(1, n // 2 + 1)]
    elif frequency % CYCLE.weeks == 0:
        per_week = frequency // CYCLE.weeks
        candidates = [
            tuple(sorted(w * week + d for w in range(CYCLE.weeks) for d in weekdays))
            for weekdays in itertools.combinations(range(1, week + 1), per_week)
        ]
    else:
        raise ValueError(f"no weekly-regular pattern for {frequency} visits")
    return [p for p in candidates if min(cyclic_gaps(p, n)) >= gap]


def _positions(rng: np.random.Generator, n: int) -> tuple[FloatArray, FloatArray]:
    """Customers in the unit square (clusters plus a uniform share) and a central home."""
    uniform_share = rng.uniform(0.25, 0.6)
    clusters = int(rng.integers(3, 7))
    centres = rng.uniform(0.1, 0.9, size=(clusters, 2))
    spread = rng.uniform(0.03, 0.09, size=clusters)
    weights = rng.dirichlet(np.full(clusters, 2.0))
    uniform = rng.random(n) < uniform_share
    which = rng.choice(clusters, size=n, p=weights)
    xy = np.where(
        uniform[:, None],
        rng.uniform(0.0, 1.0, size=(n, 2)),
        centres[which] + rng.normal(size=(n, 2)) * spread[which][:, None],
    )
    home = np.array([0.5, 0.5]) + rng.normal(scale=0.03, size=2)
    return np.clip(xy, 0.0, 1.0), home


def travel_estimate(xy: FloatArray, home: FloatArray, frequency: NDArray[Any]) -> float:
    """Estimated cycle travel in the units of ``xy`` (Daganzo-style, one tour a day).

    ``2 r D + 0.57 sum_i f_i / sqrt(rho_i)``: ``r`` is the visit-weighted mean distance
    from home, ``D`` the working days, and ``rho_i`` the local density of visits around
    customer ``i`` (visits of its 8 nearest customers over the disc reaching the 8th),
    times :data:`TRAVEL_CALIBRATION`. Linear in the size of the region.
    """
    f = np.asarray(frequency, dtype=float)
    radial = float(np.sum(f * np.hypot(*(xy - home).T)) / f.sum())
    k = min(8, len(xy))
    distance, neighbours = cKDTree(xy).query(xy, k=k)
    reach = np.maximum(distance[:, -1], 1e-9)
    density = f[neighbours].sum(axis=1) / (math.pi * reach**2)
    local = LOCAL_TOUR * float(np.sum(f / np.sqrt(density)))
    return TRAVEL_CALIBRATION * (2.0 * radial * CYCLE.n_days + local)


def estimated_utilisation(customers: pd.DataFrame, reps: pd.DataFrame) -> float:
    """(service + estimated travel) over the cycle's working minutes, from the tables."""
    xy = customers[["x", "y"]].to_numpy(dtype=float)
    home = reps[["x", "y"]].to_numpy(dtype=float)[0]
    f = customers["visits_per_cycle"].to_numpy()
    service = float(np.sum(f * customers["service_minutes"].to_numpy(dtype=float)))
    return (service + travel_estimate(xy, home, f)) / (CYCLE.n_days * DAY_MINUTES)


def _lon_lat(x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Plausible WGS84 coordinates whose great-circle km stay just below matrix km."""
    km = KM_PER_MINUTE * 0.98
    lat = _ORIGIN_LAT + y * km / _KM_PER_DEGREE
    lon = _ORIGIN_LON + x * km / (_KM_PER_DEGREE * math.cos(math.radians(_ORIGIN_LAT)))
    return lon, lat


def make_cycle(seed: int, customers: int, utilisation: float) -> RepCycle:
    """A seeded one-rep cycle whose estimated utilisation is ``utilisation``.

    Frequencies are drawn from :data:`FREQUENCIES` with :data:`FREQUENCY_SHARES`, service
    minutes uniformly from :data:`SERVICE_RANGE`, locations from :func:`_positions`. The
    side of the square region (minutes) is then set so that service plus
    :func:`travel_estimate` fills ``utilisation`` of the 20 x 540 minutes; when that side
    falls outside :data:`SIDE_RANGE`, frequencies and service are drawn again (up to 200
    times, then the side is clipped and the real estimate is reported).
    """
    rng = np.random.default_rng(seed)
    capacity = CYCLE.n_days * DAY_MINUTES
    unit_xy, unit_home = _positions(rng, customers)
    side = SIDE_RANGE[1]
    for _ in range(200):
        frequency = rng.choice(FREQUENCIES, size=customers, p=FREQUENCY_SHARES)
        service = rng.integers(SERVICE_RANGE[0], SERVICE_RANGE[1] + 1, size=customers)
        total_service = float(np.sum(frequency * service))
        per_side = travel_estimate(unit_xy, unit_home, frequency)
        side = (utilisation * capacity - total_service) / per_side
        if SIDE_RANGE[0] <= side <= SIDE_RANGE[1]:
            break
    side = float(np.clip(side, *SIDE_RANGE))
    xy, home = unit_xy * side, unit_home * side
    ids = [f"C{i:03d}" for i in range(1, customers + 1)]
    lon, lat = _lon_lat(xy[:, 0], xy[:, 1])
    home_lon, home_lat = _lon_lat(home[:1], home[1:])
    customer_table = pd.DataFrame(
        {
            "customer_id": ids,
            "lon": lon,
            "lat": lat,
            "x": xy[:, 0],
            "y": xy[:, 1],
            "visits_per_cycle": frequency.astype(int),
            "service_minutes": service.astype(int),
        }
    )
    reps = pd.DataFrame(
        {
            "rep_id": [REP_ID],
            "home_lon": home_lon,
            "home_lat": home_lat,
            "x": [home[0]],
            "y": [home[1]],
            "day_start": [DAY_START],
            "day_end": [DAY_END],
            "weekdays": ["Mon,Tue,Wed,Thu,Fri"],
        }
    )
    all_xy = np.vstack([home, xy])
    minutes = np.hypot(*(all_xy[:, None, :] - all_xy[None, :, :]).transpose(2, 0, 1))
    labels = [REP_ID, *ids]
    matrix = pd.DataFrame(minutes, index=labels, columns=labels)
    travel = MatrixTravel(matrix, km=matrix * KM_PER_MINUTE)
    codes = {
        f: tuple(days_combination(p, CYCLE.n_days) for p in weekly_regular_patterns(f))
        for f in FREQUENCIES
    }
    periodic = PeriodicInstance(
        days=CYCLE.n_days,
        vehicles=1,
        capacity=np.full(CYCLE.n_days, float(customers)),
        max_duration=np.full(CYCLE.n_days, DAY_MINUTES),
        x=all_xy[:, 0].copy(),
        y=all_xy[:, 1].copy(),
        service=np.concatenate([[0.0], service.astype(float)]),
        demand=np.concatenate([[0.0], np.ones(customers)]),
        frequency=np.concatenate([[0], frequency]).astype(np.int64),
        combinations=((), *(codes[int(f)] for f in frequency)),
        name=f"cycle-{seed}",
    )
    return RepCycle(customer_table, reps, travel, periodic)


# --------------------------------------------------------------------------- measuring


def _matrix(instance: RepCycle) -> tuple[FloatArray, dict[str, int]]:
    frame = instance.travel.minutes
    return frame.to_numpy(dtype=float), {str(k): i for i, k in enumerate(frame.index)}


def _tour_minutes(minutes: FloatArray, nodes: list[int]) -> float:
    path = [0, *nodes, 0]
    return float(sum(minutes[a, b] for a, b in itertools.pairwise(path)))


def _round(values: dict[str, float], digits: int = 3) -> dict[str, float]:
    return {k: round(float(v), digits) for k, v in values.items()}


def _utilisation(service: float, travel: float) -> float:
    return (service + travel) / (CYCLE.n_days * DAY_MINUTES)


def measure_plan(instance: RepCycle, plan: RoutePlan, seconds: float) -> dict[str, Any]:
    """Figures of a ``plan_routes`` result, travel re-costed on the instance's matrix."""
    minutes, position = _matrix(instance)
    visits = plan.visits.sort_values(["day", "seq"])
    recosted = sum(
        _tour_minutes(minutes, [position[str(c)] for c in group["customer_id"]])
        for _, group in visits.groupby("day", sort=True)
    )
    service = dict(
        zip(
            instance.customers["customer_id"],
            instance.customers["service_minutes"].astype(float),
            strict=True,
        )
    )
    service_planned = float(sum(service[str(c)] for c in visits["customer_id"]))
    stats = {
        str(k): float(v)
        for k, v in plan.stats.items()
        if isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool)
    }
    return {
        "travel": round(recosted, 3),
        "travel_reported": round(float(plan.days["travel_minutes"].sum()), 3),
        "visits_planned": len(plan.visits),
        "visits_required": int(plan.visits_required),
        "unplanned_customers": len(plan.unplanned),
        "violations": len(plan.violations()),
        "regularity": _round(regularity_metrics(plan.visits, CYCLE)),
        "utilisation": round(_utilisation(service_planned, recosted), 4),
        "seconds": round(seconds, 1),
        "stats": stats,
    }


def pvrp_visits(instance: RepCycle, solution: PeriodicSolution) -> pd.DataFrame:
    """The periodic routes as a visits-like frame for ``regularity_metrics``."""
    ids = instance.customers["customer_id"].to_numpy()
    rows = [
        {
            "rep_id": REP_ID,
            "week": CYCLE.week(route.day - 1) + 1,
            "day": route.day,
            "weekday": WEEKDAY_NAMES[CYCLE.weekday(route.day - 1)],
            "seq": seq,
            "customer_id": str(ids[c - 1]),
        }
        for route in solution.routes
        for seq, c in enumerate(route.customers, start=1)
    ]
    columns = ["rep_id", "week", "day", "weekday", "seq", "customer_id"]
    return pd.DataFrame(rows, columns=columns)


def measure_pvrp(instance: RepCycle, solution: PeriodicSolution, seconds: float) -> dict[str, Any]:
    """Figures of a ``solve_pvrp`` result, re-costed on the same minute matrix."""
    minutes, _ = _matrix(instance)
    # node i of the periodic instance is row i of the matrix (home first, then C001...)
    recosted = sum(_tour_minutes(minutes, list(r.customers)) for r in solution.routes)
    problems = solution.check()
    visits = pvrp_visits(instance, solution)
    service = float(
        instance.periodic.service[[c for r in solution.routes for c in r.customers]].sum()
    )
    return {
        "travel": round(recosted, 3),
        "travel_reported": round(float(solution.cost), 3),
        "visits_planned": len(visits),
        "visits_required": int(instance.periodic.frequency.sum()),
        "violations": len(problems),
        "first_violations": problems[:3],
        "regularity": _round(regularity_metrics(visits, CYCLE)),
        "utilisation": round(_utilisation(service, recosted), 4),
        "seconds": round(seconds, 1),
    }


def run_instance(args: argparse.Namespace, index: int) -> dict[str, Any]:
    """Generate instance ``index``, plan it, run the reference and compare."""
    count, target = instance_settings(args.seed, index)
    seed = instance_seed(args.seed, index)
    instance = make_cycle(seed, count, target)
    customers = instance.customers.drop(columns=["x", "y"])
    reps = instance.reps.drop(columns=["x", "y"])
    record: dict[str, Any] = {
        "index": index,
        "instance_seed": seed,
        "customers": count,
        "visits_required": int(instance.customers["visits_per_cycle"].sum()),
        "frequency_counts": {
            str(f): int((instance.customers["visits_per_cycle"] == f).sum()) for f in FREQUENCIES
        },
        "span_minutes": round(float(np.ptp(instance.periodic.x)), 1),
        "target_utilisation": target,
        "estimated_utilisation": round(estimated_utilisation(instance.customers, instance.reps), 4),
    }
    started = time.perf_counter()
    plan = plan_routes(
        customers,
        reps,
        cycle=CYCLE,
        travel=instance.travel,
        time_limit=args.time_limit,
        seed=args.seed,
        options=PlanOptions(iterations=args.iterations),
    )
    record["plan"] = measure_plan(instance, plan, time.perf_counter() - started)
    references: dict[str, dict[str, Any]] = {}
    if args.reference in ("pvrp", "both"):
        started = time.perf_counter()
        solution = solve_pvrp(
            instance.periodic, engine="pyvrp", time_limit=args.reference_time, seed=args.seed
        )
        references["pvrp"] = measure_pvrp(instance, solution, time.perf_counter() - started)
    if args.reference in ("plan", "both"):
        started = time.perf_counter()
        long_plan = plan_routes(
            customers,
            reps,
            cycle=CYCLE,
            travel=instance.travel,
            time_limit=args.reference_time,
            seed=args.seed,
        )
        references["plan"] = measure_plan(instance, long_plan, time.perf_counter() - started)
    record["references"] = references
    # the reference is the best complete, violation-free plan among those run
    complete = [
        (r["travel"], name)
        for name, r in references.items()
        if r["violations"] == 0 and r["visits_planned"] == r["visits_required"]
    ]
    reference = references[min(complete)[1]] if complete else None
    record["reference"] = reference
    record["reference_kind"] = min(complete)[1] if complete else None
    if reference is not None:
        mine = record["plan"]
        record["gap_percent"] = round(100.0 * (mine["travel"] / reference["travel"] - 1.0), 3)
        record["comparable"] = (
            mine["violations"] == 0
            and reference["violations"] == 0
            and mine["visits_planned"] == mine["visits_required"]
            and reference["visits_planned"] == reference["visits_required"]
        )
        record["regularity_not_worse"] = all(
            mine["regularity"][k] >= reference["regularity"][k] - 1e-9 for k in REGULARITY_KEYS
        )
    stats = record["plan"]["stats"]
    # the planner's own figure, under whichever name it has (construction_travel[_minutes])
    construction = next((v for k, v in stats.items() if k.startswith("construction_travel")), None)
    if construction:
        record["vs_construction_percent"] = round(
            100.0 * (record["plan"]["travel"] / construction - 1.0), 3
        )
    return record


# --------------------------------------------------------------------------- report


def _cell(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def markdown(records: list[dict[str, Any]]) -> str:
    """The per-instance table, the plan.stats table and the gap summary."""
    head = (
        "| k | cust | visits | span | util est | util plan | plan travel | planned | "
        "unpl | viol | wkday | even | repeat | s | pvrp travel | long plan travel | ref | "
        "ref travel | ref viol | ref wkday | "
        "ref even | ref repeat | ref s | gap % | comparable | reg >= | vs constr % |"
    )
    lines = [head, "|" + " ---: |" * (head.count("|") - 1)]
    for r in records:
        p, ref = r["plan"], r.get("reference") or {}
        pr, rr = p["regularity"], ref.get("regularity", {})
        cells = [
            r["index"],
            r["customers"],
            r["visits_required"],
            r["span_minutes"],
            _cell(r["estimated_utilisation"], 3),
            _cell(p["utilisation"], 3),
            _cell(p["travel"]),
            f"{p['visits_planned']}/{p['visits_required']}",
            p["unplanned_customers"],
            p["violations"],
            _cell(pr["constant_weekday_share"], 2),
            _cell(pr["even_spacing_share"], 2),
            _cell(pr["route_repeat_share"], 2),
            _cell(p["seconds"]),
            _cell(r["references"].get("pvrp", {}).get("travel")),
            _cell(r["references"].get("plan", {}).get("travel")),
            _cell(r.get("reference_kind")),
            _cell(ref.get("travel")),
            _cell(ref.get("violations")),
            _cell(rr.get("constant_weekday_share"), 2),
            _cell(rr.get("even_spacing_share"), 2),
            _cell(rr.get("route_repeat_share"), 2),
            _cell(ref.get("seconds")),
            _cell(r.get("gap_percent"), 2),
            _cell(r.get("comparable")),
            _cell(r.get("regularity_not_worse")),
            _cell(r.get("vs_construction_percent"), 2),
        ]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    keys = sorted({k for r in records for k in r["plan"]["stats"]})
    if keys:
        lines += ["", "plan.stats:", "", "| k | " + " | ".join(keys) + " |"]
        lines.append("|" + " ---: |" * (len(keys) + 1))
        for r in records:
            stats = r["plan"]["stats"]
            lines.append(
                f"| {r['index']} | " + " | ".join(_cell(stats.get(k), 2) for k in keys) + " |"
            )
    gaps = [r["gap_percent"] for r in records if r.get("gap_percent") is not None]
    fair = [r["gap_percent"] for r in records if r.get("comparable")]
    if gaps:
        lines.append("")
        lines.append(
            f"gap over all {len(gaps)}: mean {statistics.fmean(gaps):.2f} %, "
            f"median {statistics.median(gaps):.2f} %, worst {max(gaps):.2f} %"
        )
        if fair:
            lines.append(
                f"gap over {len(fair)} comparable: mean {statistics.fmean(fair):.2f} %, "
                f"median {statistics.median(fair):.2f} %, worst {max(fair):.2f} %"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    """Run the benchmark and return one record per instance."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=6)
    parser.add_argument("--only", type=int, default=None, help="run instance K only")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--time-limit", type=float, default=30.0, help="plan_routes seconds")
    parser.add_argument(
        "--iterations",
        type=int,
        default=None,
        help="work limit of plan_routes' search in rounds (reproducible on any machine)",
    )
    parser.add_argument("--reference", default="both", choices=["pvrp", "plan", "both", "none"])
    parser.add_argument("--reference-time", type=float, default=300.0)
    parser.add_argument("--out", type=Path, default=Path("benchmark-results"))
    args = parser.parse_args(argv)
    indices = [args.only] if args.only is not None else list(range(args.instances))
    started = datetime.datetime.now(datetime.UTC)
    records = []
    for index in indices:
        record = run_instance(args, index)
        records.append(record)
        p = record["plan"]
        print(
            f"instance {index}: plan {p['travel']:.1f} min "
            f"({p['visits_planned']}/{p['visits_required']} visits), reference "
            f"{_cell((record.get('reference') or {}).get('travel'))}, gap "
            f"{_cell(record.get('gap_percent'), 2)} %",
            flush=True,
        )
    print()
    print(markdown(records))
    args.out.mkdir(parents=True, exist_ok=True)
    name = "rep_cycles.json" if args.only is None else f"rep_cycles_{args.only}.json"
    document = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "started": started.isoformat(timespec="seconds"),
        "load_average_at_end": [round(v, 2) for v in os.getloadavg()],
        "cpus": os.cpu_count(),
        "arguments": {k: str(v) for k, v in vars(args).items()},
        "instances": records,
    }
    (args.out / name).write_text(json.dumps(document, indent=1) + "\n")
    return records


if __name__ == "__main__":
    main()
