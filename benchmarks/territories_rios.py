"""Commercial territory design instances in the style of Ríos-Mercado & Fernández (2009).

Each instance: ``n`` points uniform in a 500 x 500 km square, Delaunay adjacency, three
activity measures drawn from U[4, 20], U[15, 400] and U[15, 100], ``p`` territories,
the same tolerance on each measure. An instance counts as feasible when every measure
of every territory lies within tolerance and every territory is connected on the
Delaunay graph -- both checked here, independently of the solver (networkx).

Compactness is compared with plain k-means (scipy.cluster.vq.kmeans2, best of 10
runs), which ignores balance: it is a reference, not a competitor.

    python benchmarks/territories_rios.py --instances 20
"""

from __future__ import annotations

import argparse
import statistics
import time

import networkx as nx
import numpy as np
import pandas as pd
from scipy.cluster.vq import kmeans2
from scipy.spatial import Delaunay
from scipy.spatial.distance import pdist

from territory.territories import design_territories

KM_PER_DEGREE = 111.195


def instance(seed: int, n: int) -> tuple[np.ndarray, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0.0, 500.0, size=(n, 2))
    customers = pd.DataFrame(
        {
            "customer_id": [f"B{i:04d}" for i in range(n)],
            "lon": xy[:, 0] / KM_PER_DEGREE,  # on the equator one degree is 111.195 km
            "lat": xy[:, 1] / KM_PER_DEGREE,
            "m1": rng.uniform(4, 20, n),
            "m2": rng.uniform(15, 400, n),
            "m3": rng.uniform(15, 100, n),
        }
    )
    return xy, customers


def max_diameter(xy: np.ndarray, labels: np.ndarray) -> float:
    return max(float(pdist(xy[labels == t]).max()) for t in np.unique(labels))


def dispersion(xy: np.ndarray, labels: np.ndarray) -> float:
    total = 0.0
    for t in np.unique(labels):
        part = xy[labels == t]
        total += float(np.linalg.norm(part - part.mean(axis=0), axis=1).sum())
    return total


def kmeans_reference(xy: np.ndarray, p: int, seed: int) -> np.ndarray:
    best, best_labels = np.inf, None
    for run in range(10):
        _, labels = kmeans2(xy, p, minit="++", seed=seed * 100 + run)
        value = dispersion(xy, labels)
        if value < best:
            best, best_labels = value, labels
    assert best_labels is not None
    return best_labels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--instances", type=int, default=20)
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--p", type=int, default=10)
    parser.add_argument("--tolerance", type=float, default=0.05)
    parser.add_argument("--starts", type=int, default=4)
    args = parser.parse_args()
    p = args.p
    reps = pd.DataFrame(
        {
            "rep_id": [f"R{i:02d}" for i in range(p)],
            "home_lon": np.linspace(0, 500, p) / KM_PER_DEGREE,
            "home_lat": np.full(p, 250 / KM_PER_DEGREE),
        }
    )
    rows = []
    for k in range(args.instances):
        xy, customers = instance(1000 + k, args.n)
        started = time.perf_counter()
        plan = design_territories(
            customers,
            reps,
            balance={"m1": args.tolerance, "m2": args.tolerance, "m3": args.tolerance},
            max_edge_factor=None,
            seed=k,
            starts=args.starts,
        )
        seconds = time.perf_counter() - started
        labels = pd.factorize(plan.assignment["rep_id"])[0]
        # Independent checks: balance from the raw columns, contiguity with networkx.
        values = customers[["m1", "m2", "m3"]].to_numpy()
        loads = np.zeros((p, 3))
        np.add.at(loads, labels, values)
        worst_dev = float(np.abs(loads / (values.sum(axis=0) / p) - 1).max())
        graph = nx.Graph()
        graph.add_nodes_from(range(args.n))
        for a, b, c in Delaunay(xy).simplices.tolist():
            graph.add_edges_from([(a, b), (b, c), (a, c)])
        connected = all(
            nx.is_connected(graph.subgraph(np.flatnonzero(labels == t).tolist())) for t in range(p)
        )
        km_labels = kmeans_reference(xy, p, k)
        km_loads = np.zeros((p, 3))
        np.add.at(km_loads, km_labels, values)
        rows.append(
            {
                "instance": k,
                "seconds": seconds,
                "feasible": worst_dev <= args.tolerance + 1e-9 and connected,
                "worst_dev": worst_dev,
                "dispersion": dispersion(xy, labels),
                "max_diameter": max_diameter(xy, labels),
                "kmeans_dispersion": dispersion(xy, km_labels),
                "kmeans_max_diameter": max_diameter(xy, km_labels),
                "kmeans_worst_dev": float(np.abs(km_loads / (values.sum(axis=0) / p) - 1).max()),
            }
        )
        r = rows[-1]
        print(
            f"instance {k:2d}: {seconds:5.2f} s feasible={r['feasible']} "
            f"worst dev {worst_dev:.3f} dispersion {r['dispersion']:.0f} "
            f"(k-means {r['kmeans_dispersion']:.0f}) max diameter {r['max_diameter']:.0f}"
        )
    frame = pd.DataFrame(rows)
    print()
    print(f"feasible: {int(frame['feasible'].sum())}/{len(frame)}")
    print(
        f"seconds: median {statistics.median(frame['seconds']):.2f}, "
        f"max {frame['seconds'].max():.2f}"
    )
    print(
        f"mean dispersion {frame['dispersion'].mean():.0f} km vs k-means "
        f"{frame['kmeans_dispersion'].mean():.0f} km "
        f"(+{frame['dispersion'].mean() / frame['kmeans_dispersion'].mean() - 1:.1%})"
    )
    print(
        f"mean max diameter {frame['max_diameter'].mean():.0f} km vs k-means "
        f"{frame['kmeans_max_diameter'].mean():.0f} km"
    )
    print(f"k-means worst balance deviation (mean): {frame['kmeans_worst_dev'].mean():.1%}")


if __name__ == "__main__":
    main()
