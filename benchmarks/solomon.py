r"""Solve the Solomon VRPTW instances with a territory routing engine and compare to the BKS.

Example::

    python benchmarks/solomon.py --data ../shared/benchmarks/solomon --time-limit 10 \\
        --engine pyvrp --out results/solomon-pyvrp

Writes ``OUT/<instance>.json`` per instance, checks every solution on the unrounded
Euclidean data (time-window tolerance 0.001) and prints cost, best known distance, gap,
the mean gap per family (C1, C2, R1, R2, RC1, RC2) and the feasible count.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
from pathlib import Path

from territory.routing.engines import (
    ENGINE_NAMES,
    check_solution,
    get_engine,
    read_solomon,
    read_solomon_bks,
)


def family(name: str) -> str:
    """``RC105`` -> ``RC1``."""
    match = re.fullmatch(r"([A-Z]+)(\d)\d\d", name.upper())
    return f"{match.group(1)}{match.group(2)}" if match else name


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="folder with *.txt and bks.csv")
    parser.add_argument("--time-limit", type=float, default=10.0, help="seconds per instance")
    parser.add_argument("--engine", choices=ENGINE_NAMES, default="ortools")
    parser.add_argument("--out", type=Path, required=True, help="folder for <instance>.json")
    parser.add_argument("--instances", default="", help="comma-separated, e.g. R101,C101")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    bks = read_solomon_bks(args.data / "bks.csv")
    names = [n.strip() for n in args.instances.split(",") if n.strip()] or sorted(bks)
    args.out.mkdir(parents=True, exist_ok=True)
    engine = get_engine(args.engine)
    gaps: dict[str, float] = {}
    infeasible: list[str] = []
    print(f"{'instance':<9} {'routes':>6} {'cost':>10} {'bks':>10} {'gap %':>7} {'s':>6}  check")
    for name in names:
        instance = read_solomon(args.data / f"{name}.txt")
        problem = instance.to_day_problem()
        started = time.perf_counter()
        solution = engine.solve(problem, time_limit=args.time_limit, seed=args.seed)
        seconds = time.perf_counter() - started
        violations = check_solution(problem, solution)
        routes = [[int(instance.ids[node]) for node in route] for route in solution.routes]
        record = {
            "instance": name,
            "engine": args.engine,
            "time_limit": args.time_limit,
            "seconds": round(seconds, 3),
            "cost": solution.cost,
            "routes": routes,
        }
        (args.out / f"{name}.json").write_text(json.dumps(record, indent=1) + "\n")
        gap = 100.0 * (solution.cost / bks[name] - 1.0)
        if violations:
            infeasible.append(name)
            status = f"INFEASIBLE: {violations[0]} ({len(violations)} violations)"
        else:
            gaps[name] = gap
            status = "ok"
        print(
            f"{name:<9} {len(routes):>6} {solution.cost:>10.2f} {bks[name]:>10.2f} "
            f"{gap:>7.2f} {seconds:>6.1f}  {status}",
            flush=True,
        )
    print()
    print(f"{'family':<7} {'n':>3} {'mean gap %':>10}")
    for fam in sorted({family(n) for n in gaps}):
        values = [g for n, g in gaps.items() if family(n) == fam]
        print(f"{fam:<7} {len(values):>3} {statistics.mean(values):>10.2f}")
    mean = statistics.mean(gaps.values()) if gaps else float("nan")
    print(
        f"engine {args.engine}, {args.time_limit:g} s per instance: "
        f"feasible {len(gaps)}/{len(names)}, mean gap {mean:.2f} % (over feasible instances)"
    )
    if infeasible:
        print("infeasible:", ", ".join(infeasible))
    return 0 if not infeasible else 1


if __name__ == "__main__":
    raise SystemExit(main())
