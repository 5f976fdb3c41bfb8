"""Cordeau periodic VRP benchmark: solve the instances, check every solution independently.

Example::

    python benchmarks/cordeau_pvrp.py --data ../shared/benchmarks/cordeau-pvrp \
        --time-limit 60 --engine pyvrp --out results/pvrp --instances p01,p02 [--workers 2]

Writes ``OUT/<instance>.json`` (instance, engine, time_limit, seconds, cost, routes) and
prints one row per instance with the gap to the best known solution (``bks.csv``),
then the mean gap and the number of feasible solutions. The checker below re-reads the
instance file and does not use the solver's own check.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import math
import statistics
import time
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from territory.routing.periodic import read_cordeau, solve_pvrp


def _instance_numbers(path: Path) -> dict[str, Any]:
    """Parse the instance again, independently of the library's reader."""
    tokens = path.read_text().split()
    pos = 0

    def nxt() -> float:
        nonlocal pos
        pos += 1
        return float(tokens[pos - 1])

    _, m, n, t = (int(nxt()) for _ in range(4))
    limits = [(nxt(), nxt()) for _ in range(t)]
    nodes = []
    for _ in range(n + 1):
        i, x, y, d, q, f, a = (nxt() for _ in range(7))
        combos = [int(nxt()) for _ in range(int(a))]
        nodes.append({"id": int(i), "x": x, "y": y, "d": d, "q": q, "f": int(f), "combos": combos})
    return {"m": m, "n": n, "t": t, "limits": limits, "nodes": nodes}


def check_solution(path: Path, routes: list[dict[str, Any]]) -> tuple[float, list[str]]:
    """Recompute the cost and list violations of ``routes`` for the instance at ``path``."""
    data = _instance_numbers(path)
    m, n, t, nodes = data["m"], data["n"], data["t"], data["nodes"]
    problems: list[str] = []
    seen: dict[int, list[int]] = {i: [] for i in range(1, n + 1)}
    per_day = [0] * (t + 1)
    total = 0.0
    for route in routes:
        day, customers = route["day"], route["customers"]
        if not 1 <= day <= t or not 1 <= route["vehicle"] <= m:
            problems.append(f"bad day/vehicle {day}/{route['vehicle']}")
            continue
        per_day[day] += 1
        path_nodes = [0, *customers, 0]
        dist = sum(
            math.dist(
                (nodes[a]["x"], nodes[a]["y"]),
                (nodes[b]["x"], nodes[b]["y"]),
            )
            for a, b in itertools.pairwise(path_nodes)
        )
        total += dist
        load = sum(nodes[c]["q"] for c in customers)
        duration = dist + sum(nodes[c]["d"] for c in customers)
        max_duration, capacity = data["limits"][day - 1]
        if load > capacity + 1e-6:
            problems.append(f"day {day}: load {load} > {capacity}")
        if max_duration > 0 and duration > max_duration + 1e-6:
            problems.append(f"day {day}: duration {duration:.3f} > {max_duration}")
        for c in customers:
            seen[c].append(day)
    for day in range(1, t + 1):
        if per_day[day] > m:
            problems.append(f"day {day}: {per_day[day]} vehicles > {m}")
    for c, days in seen.items():
        code = sum(1 << (t - d) for d in days)
        if len(set(days)) != len(days) or code not in nodes[c]["combos"]:
            problems.append(f"customer {c}: days {sorted(days)} not an allowed combination")
    return total, problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="folder with p01.txt ... bks.csv")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per instance")
    parser.add_argument("--engine", default="ortools", choices=["ortools", "pyvrp"])
    parser.add_argument("--out", type=Path, required=True, help="folder for the JSON results")
    parser.add_argument("--instances", default="", help="comma-separated names (default all)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--method",
        default="combinations",
        choices=["combinations", "cycle"],
        help="solve_pvrp's search: its combination search, or the planner's cycle search",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="searches side by side in worker processes (seeds seed, seed + 1, ...), "
        "each with the whole time limit; the cheapest plan is kept",
    )
    args = parser.parse_args()
    with ExitStack() as stack:
        executor = (
            stack.enter_context(ProcessPoolExecutor(args.workers)) if args.workers > 1 else None
        )
        run(args, executor)


def run(args: argparse.Namespace, executor: Executor | None) -> None:
    """Solve and check every instance named in ``args``; print a row each."""
    with (args.data / "bks.csv").open() as handle:
        bks = {row["instance"]: float(row["bks"]) for row in csv.DictReader(handle)}
    names = [s for s in args.instances.split(",") if s] or sorted(bks)
    args.out.mkdir(parents=True, exist_ok=True)
    gaps: list[float] = []
    feasible = 0
    print(f"{'instance':<9}{'cost':>11}{'bks':>11}{'gap %':>8}{'seconds':>9}  check")
    for name in names:
        path = args.data / f"{name}.txt"
        instance = read_cordeau(path)
        started = time.perf_counter()
        solution = solve_pvrp(
            instance,
            engine=args.engine,
            time_limit=args.time_limit,
            seed=args.seed,
            method=args.method,
            executor=executor,
        )
        seconds = time.perf_counter() - started
        routes = solution.to_dict()["routes"]
        cost, problems = check_solution(path, routes)
        record = {
            "instance": name,
            "engine": args.engine,
            "method": args.method,
            "time_limit": args.time_limit,
            "workers": args.workers,
            "seconds": round(seconds, 3),
            "cost": cost,
            "routes": routes,
        }
        (args.out / f"{name}.json").write_text(json.dumps(record, indent=1))
        gap = 100.0 * (cost - bks[name]) / bks[name]
        if not problems:
            feasible += 1
            gaps.append(gap)
        state = "ok" if not problems else f"{len(problems)} violations: {problems[0]}"
        print(
            f"{name:<9}{cost:>11.2f}{bks[name]:>11.2f}{gap:>8.2f}{seconds:>9.1f}  {state}",
            flush=True,
        )
    mean = statistics.fmean(gaps) if gaps else float("nan")
    print(f"mean gap {mean:.2f} % over {len(gaps)} feasible; feasible {feasible}/{len(names)}")


if __name__ == "__main__":
    main()
