"""Territory design at scale: 10,000 customers into 100 territories, 100,000 into 500.

Customers come from the sample region (clustered towns, a rural tail); all are
treated as company customers so that one subproblem carries the whole size. Reps live
at k-means centres. Three measures at ±5 %, either

* ``--measures sample``: workload (``territory.workload``: visits × (service + travel
  to the nearest customer and from the nearest rep home)), the region's log-normal
  potential (dealers ×8, key accounts ×4 -- a heavy tail) and customer count; or
* ``--measures uniform``: the three activity measures of Ríos-Mercado & Fernández,
  U[4, 20], U[15, 400] and U[15, 100], on the same clustered points.

Peak memory is the process's peak resident set size (``resource.getrusage``), so it
includes Python, numpy and the data.

    python benchmarks/territories_scale.py --sizes 10000:100
    python benchmarks/territories_scale.py --sizes 100000:500
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import pandas as pd
from scipy.cluster.vq import kmeans2

from territory.datasets import sample_region
from territory.territories import design_territories


def build(n: int, p: int, seed: int, measures: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    region = sample_region(n, seed=seed)
    customers = region.customers[["customer_id", "kind", "lon", "lat", "potential"]].copy()
    dealer = (customers["kind"] == "dealer").to_numpy()
    customers["visits_per_cycle"] = np.where(dealer, 4, 2)
    customers["service_minutes"] = np.where(dealer, 60.0, 20.0)
    customers = customers.drop(columns=["kind"])
    rng = np.random.default_rng(seed)
    customers["m1"] = rng.uniform(4, 20, n)
    customers["m2"] = rng.uniform(15, 400, n)
    customers["m3"] = rng.uniform(15, 100, n)
    centres, _ = kmeans2(customers[["lon", "lat"]].to_numpy(), p, minit="++", seed=seed)
    reps = pd.DataFrame(
        {
            "rep_id": [f"R{i:04d}" for i in range(p)],
            "home_lon": centres[:, 0],
            "home_lat": centres[:, 1],
        }
    )
    return customers, reps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000:100", help="n:p pairs, comma separated")
    parser.add_argument("--tolerance", type=float, default=0.05)
    parser.add_argument("--measures", choices=["sample", "uniform"], default="sample")
    parser.add_argument("--starts", type=int, default=1)
    parser.add_argument("--max-starts", type=int, default=2)
    parser.add_argument("--kicks", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--region-size", type=int, default=32, help="most territories per part; 0: never split"
    )
    args = parser.parse_args()
    for size in args.sizes.split(","):
        n, p = (int(x) for x in size.split(":"))
        customers, reps = build(n, p, args.seed, args.measures)
        names = (
            ("workload", "potential", "count") if args.measures == "sample" else ("m1", "m2", "m3")
        )
        started = time.perf_counter()
        plan = design_territories(
            customers,
            reps,
            balance=dict.fromkeys(names, args.tolerance),
            seed=args.seed,
            starts=args.starts,
            max_starts=args.max_starts,
            kicks=args.kicks,
            region_size=args.region_size or None,
        )
        seconds = time.perf_counter() - started
        peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        t = plan.territories
        worst = {m: float(t[f"{m}_deviation"].abs().max()) for m in plan.measures}
        print(
            f"n={n} p={p} measures={args.measures}: {seconds:.1f} s, balanced={plan.balanced}, "
            f"contiguous={plan.contiguous}, out-of-tolerance rows={len(plan.out_of_tolerance)}, "
            "worst deviation "
            + ", ".join(f"{m} {v:.1%}" for m, v in worst.items())
            + f", dispersion {t['dispersion_km'].sum():,.0f} km, "
            f"max diameter {t['diameter_km'].max():.1f} km, peak RSS {peak_mib:,.0f} MiB"
        )


if __name__ == "__main__":
    main()
