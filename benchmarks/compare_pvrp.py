"""Paired comparison of two Cordeau PVRP runs of ``benchmarks/cordeau_pvrp.py``.

Usage::

    python benchmarks/compare_pvrp.py --data ../shared/benchmarks/cordeau-pvrp A B

``A`` and ``B`` are ``--out`` folders of two runs (``<instance>.json`` each). For the
instances both solved, prints each gap to the best known cost, the difference B - A,
then the mean difference with its standard error, and on how many instances B is
better or worse by more than 0.1 point.

Why: a single 60 s run of one instance varies by about a point between runs (seed,
load), so a change is read from the mean difference over many instances, with its
standard error beside it: a mean difference smaller than twice its standard error is
noise.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import statistics
import sys
from pathlib import Path

#: Differences within this many points of the gap count as ties.
TIE = 0.1


def gaps(folder: Path, bks: dict[str, float]) -> dict[str, float]:
    """Gap in % to the best known cost of every instance solved in ``folder``."""
    out = {}
    for path in sorted(folder.glob("*.json")):
        run = json.loads(path.read_text())
        name = str(run.get("instance", path.stem))
        if name in bks and run.get("cost") is not None:
            out[name] = 100.0 * (float(run["cost"]) / bks[name] - 1.0)
    return out


def main(argv: list[str] | None = None) -> dict[str, float]:
    """Print the paired comparison and return its summary figures."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="folder with bks.csv")
    parser.add_argument("a", type=Path, help="--out folder of the baseline run")
    parser.add_argument("b", type=Path, help="--out folder of the run compared with it")
    args = parser.parse_args(argv)
    with (args.data / "bks.csv").open() as handle:
        bks = {row["instance"]: float(row["bks"]) for row in csv.DictReader(handle)}
    a, b = gaps(args.a, bks), gaps(args.b, bks)
    common = sorted(set(a) & set(b))
    if not common:
        raise SystemExit(f"no instance solved in both {args.a} and {args.b}")
    lines = ["instance   gap A %   gap B %   B - A"]
    diff = []
    for name in common:
        diff.append(b[name] - a[name])
        lines.append(f"{name:8} {a[name]:9.2f} {b[name]:9.2f} {diff[-1]:+7.2f}")
    mean = statistics.fmean(diff)
    error = statistics.stdev(diff) / math.sqrt(len(diff)) if len(diff) > 1 else math.nan
    summary = {
        "instances": float(len(common)),
        "mean_gap_a": statistics.fmean(a[n] for n in common),
        "mean_gap_b": statistics.fmean(b[n] for n in common),
        "mean_difference": mean,
        "standard_error": error,
        "b_better": float(sum(d < -TIE for d in diff)),
        "b_worse": float(sum(d > TIE for d in diff)),
    }
    lines.append(
        f"mean gap A {summary['mean_gap_a']:.2f} %, B {summary['mean_gap_b']:.2f} % over "
        f"{len(common)} instances; B - A {mean:+.2f} points (standard error {error:.2f}); "
        f"B better on {int(summary['b_better'])}, worse on {int(summary['b_worse'])}"
    )
    sys.stdout.write("\n".join(lines) + "\n")
    return summary


if __name__ == "__main__":
    main()
