r"""Time and quality of the day engines on seeded random single rep-days.

Example::

    nice -n 10 python benchmarks/day_engines.py --time-limit 10 --days 5 \\
        --engines local,ortools,pyvrp

A rep-day: home at the centre, stops uniform in a disk of 10 km radius (so within
about 20 km of each other), road distance 1.3 x the straight line, driven at 40 km/h;
the cost minimised is kilometres. The shift is 08:00-17:00 (480-1020); service takes
15-30 minutes, scaled down for long days so that the expected service time stays
within 300 minutes (25 stops: 8-16 minutes). *Lunch*: a 45-minute break starting
between 12:00 and 13:00. *Hours*: 20 % of the stops open 09:00-12:00 and 20 %
14:00-18:00 (service must end by closing time). Days on which the plain
cheapest-insertion route finds no feasible route are replaced by the next seed, so
every day is known to be feasible (the filter does not favour an engine: each engine
solves the same days).

For every case (stops x lunch x hours) the table gives, per engine, the median
seconds and the median quality ratio: the engine's travel over the cheapest route any
engine found on that day (1.000 = best). Every solution is checked with
``check_solution``; a failed check counts as infeasible and is reported.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import os
import statistics
import time

import numpy as np

from territory.routing.engines import (
    DayProblem,
    DaySolution,
    check_solution,
    get_engine,
    insertion_route,
)

SHIFT = (480.0, 1020.0)
LUNCH = (720.0, 780.0, 45.0)
MORNING = (540.0, 720.0)
AFTERNOON = (840.0, 1080.0)
RADIUS_KM = 10.0
DETOUR = 1.3
SPEED_KMH = 40.0
SERVICE = (15.0, 30.0)
SERVICE_BUDGET = 300.0
HOURS_SHARE = 0.2


def rep_day(stops: int, seed: int, *, lunch: bool, hours: bool) -> DayProblem:
    """One random rep-day (see the module notes); the same seed gives the same day."""
    rng = np.random.default_rng(seed)
    radius = RADIUS_KM * np.sqrt(rng.uniform(0.0, 1.0, stops))
    angle = rng.uniform(0.0, 2 * np.pi, stops)
    xy = np.zeros((stops + 1, 2))
    xy[1:, 0], xy[1:, 1] = radius * np.cos(angle), radius * np.sin(angle)
    km = DETOUR * np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2))
    scale = min(1.0, SERVICE_BUDGET / (stops * sum(SERVICE) / 2))
    service = np.concatenate([[0.0], rng.uniform(*SERVICE, stops) * scale])
    earliest = np.full(stops + 1, SHIFT[0])
    latest = np.full(stops + 1, SHIFT[1])
    draw = rng.uniform(0.0, 1.0, stops)
    if hours:
        for node in range(1, stops + 1):
            if draw[node - 1] < HOURS_SHARE:
                opening = MORNING
            elif draw[node - 1] < 2 * HOURS_SHARE:
                opening = AFTERNOON
            else:
                continue
            earliest[node] = opening[0]
            latest[node] = opening[1] - service[node]
    return DayProblem(
        travel=km / SPEED_KMH * 60.0,
        service=service,
        earliest=earliest,
        latest=latest,
        cost=km,
        breaks=LUNCH if lunch else None,
    )


def feasible_days(
    stops: int, count: int, *, lunch: bool, hours: bool, first_seed: int
) -> list[DayProblem]:
    """``count`` days on which cheapest insertion finds a feasible route."""
    days: list[DayProblem] = []
    seed = first_seed
    while len(days) < count:
        day = rep_day(stops, seed, lunch=lunch, hours=hours)
        if insertion_route(day) is not None:
            days.append(day)
        seed += 1
        if seed > first_seed + 100 * count:
            raise RuntimeError(f"no feasible {stops}-stop days near seed {first_seed}")
    return days


def solve(
    engine_name: str, problem: DayProblem, time_limit: float, seed: int
) -> tuple[float, DaySolution, list[str]]:
    """Seconds, solution and check violations of one engine on one day."""
    engine = get_engine(engine_name)
    started = time.perf_counter()
    solution = engine.solve(problem, time_limit=time_limit, seed=seed)
    seconds = time.perf_counter() - started
    violations = check_solution(problem, solution)
    if not solution.feasible and not violations:
        violations = ["reported infeasible"]
    return seconds, solution, violations


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=10.0, help="seconds per day")
    parser.add_argument(
        "--engines",
        default="local,ortools,pyvrp",
        help="comma-separated engines (pyvrp is skipped when not installed)",
    )
    parser.add_argument("--stops", default="10,15,25", help="comma-separated day sizes")
    parser.add_argument("--days", type=int, default=5, help="days per case")
    parser.add_argument("--seed", type=int, default=0, help="first day seed and engine seed")
    args = parser.parse_args(argv)

    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    if "pyvrp" in engines and importlib.util.find_spec("pyvrp") is None:
        print("pyvrp is not installed: skipped")
        engines.remove("pyvrp")
    sizes = [int(s) for s in args.stops.split(",") if s.strip()]
    print(
        f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, load {os.getloadavg()[0]:.2f}, "
        f"time limit {args.time_limit:g} s, {args.days} days per case"
    )
    header = "| stops | lunch | hours | " + " | ".join(f"{e} s | {e} ratio" for e in engines)
    print()
    print(header + " |")
    print("|" + "---|" * (3 + 2 * len(engines)))
    failures: list[str] = []
    for stops in sizes:
        for lunch in (False, True):
            for hours in (False, True):
                first_seed = args.seed + 1000 * stops + 100 * lunch + 10 * hours
                days = feasible_days(
                    stops, args.days, lunch=lunch, hours=hours, first_seed=first_seed
                )
                seconds: dict[str, list[float]] = {e: [] for e in engines}
                costs: dict[str, list[float]] = {e: [] for e in engines}
                for index, day in enumerate(days):
                    for name in engines:
                        took, solution, violations = solve(name, day, args.time_limit, args.seed)
                        seconds[name].append(took)
                        if violations:
                            failures.append(
                                f"{name}, {stops} stops, lunch {lunch}, hours {hours}, "
                                f"day {index}: {violations[0]}"
                            )
                            costs[name].append(float("inf"))
                        else:
                            costs[name].append(solution.cost)
                best = [min(costs[e][k] for e in engines) for k in range(len(days))]
                cells = []
                for name in engines:
                    ratios = [c / b for c, b in zip(costs[name], best, strict=True)]
                    cells.append(f"{statistics.median(seconds[name]):.3f}")
                    cells.append(f"{statistics.median(ratios):.3f}")
                    worst = max(ratios)
                    if worst > 1.0 + 1e-9:
                        cells[-1] += f" (max {worst:.3f})"
                yes = {True: "yes", False: "no"}
                print(f"| {stops} | {yes[lunch]} | {yes[hours]} | " + " | ".join(cells) + " |")
    for line in failures:
        print(f"FAILED: {line}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
