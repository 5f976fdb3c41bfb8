"""Territories from real areas: the county polygons that ship inside the libpysal wheel.

* North Carolina (``sids2``, 100 counties), balancing births 1979 (``BIR79``);
* Georgia (``georgia``, 159 counties, UTM 17N), balancing 1990 population (``TotPop90``).

Counties touch each other (queen adjacency, computed by territory through the
GeoPandas spatial index); territories must be contiguous and balanced on the
population-like column. Compared with spopt's Skater (``p`` regions, coordinates
as attributes so that it aims at compactness; its ``floor`` counts counties, so it
cannot balance population -- half the mean county count per region is used) and MaxP
(as many regions as possible, each with at least ``(1 - tol) x target`` population),
and with k-means on the county centres (ignores balance and contiguity: a compactness
reference). Contiguity is checked with libpysal's own Queen weights, independently of territory.

Optional dependencies, for this script only: ``pip install libpysal spopt``.

    python benchmarks/territories_counties.py
"""

from __future__ import annotations

import argparse
import time
import warnings

import networkx as nx
import numpy as np
import pandas as pd
from scipy.cluster.vq import kmeans2

from territory.territories import design_territories
from territory.territories.graph import project_km

CASES = {
    # name: (example, shapefile, crs, column, p, tolerances)
    "north_carolina": ("sids2", "sids2.shp", "EPSG:4269", "BIR79", 10, (0.05, 0.02)),
    "georgia": ("georgia", "G_utm.shp", "EPSG:26917", "TotPop90", 8, (0.05, 0.02)),
}


def figures(labels: np.ndarray, xy: np.ndarray, values: np.ndarray, graph: nx.Graph) -> dict:
    p = int(labels.max()) + 1
    totals = np.bincount(labels, weights=values, minlength=p)
    dev = np.abs(totals / (values.sum() / p) - 1)
    dispersion = 0.0
    diameter = 0.0
    parts = 0
    for t in range(p):
        members = np.flatnonzero(labels == t)
        pts = xy[members]
        dispersion += float(np.linalg.norm(pts - pts.mean(axis=0), axis=1).sum())
        if len(pts) > 1:
            diameter = max(diameter, float(np.linalg.norm(pts[:, None] - pts[None], axis=2).max()))
        parts += nx.number_connected_components(graph.subgraph(members.tolist()))
    return {
        "regions": p,
        "worst_dev": float(dev.max()),
        "dispersion_km": dispersion,
        "max_diameter_km": diameter,
        "split_regions": parts - p,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--no-spopt", action="store_true")
    args = parser.parse_args()
    try:
        import geopandas as gpd
        import libpysal
        from libpysal import examples
    except ImportError:
        print("libpysal is not installed: pip install libpysal spopt; skipping")
        return
    rows = []
    for name in args.cases.split(","):
        _, shapefile, crs, column, p, tolerances = CASES[name]
        try:
            path = examples.get_path(shapefile)
        except Exception as exc:  # not shipped offline
            print(f"{name}: {shapefile} not available offline ({exc}); skipping")
            continue
        frame = gpd.read_file(path).set_crs(crs, allow_override=True)
        frame["customer_id"] = [f"{name[:2].upper()}{i:03d}" for i in range(len(frame))]
        frame = frame[["customer_id", column, "geometry"]]
        values = frame[column].to_numpy(dtype=float)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            w = libpysal.weights.Queen.from_dataframe(frame, use_index=False)
        graph = nx.Graph()
        graph.add_nodes_from(range(len(frame)))
        graph.add_edges_from((i, j) for i, nbrs in w.neighbors.items() for j in nbrs)
        pts = frame.to_crs(4326).representative_point()
        xy = project_km(pts.x.to_numpy(), pts.y.to_numpy())
        reps = pd.DataFrame({"rep_id": [f"R{i:02d}" for i in range(p)]})
        reps["home_lon"] = pts.x.mean()
        reps["home_lat"] = pts.y.mean()
        target = values.sum() / p
        print(
            f"{name}: {len(frame)} counties, {column} total {values.sum():,.0f}, p={p}, "
            f"target {target:,.0f}, largest county {values.max():,.0f} "
            f"({values.max() / target:.0%} of a target)"
        )
        for tol in tolerances:
            started = time.perf_counter()
            plan = design_territories(frame, reps, balance={column: tol}, seed=0, starts=8)
            seconds = time.perf_counter() - started
            labels = pd.factorize(plan.assignment["rep_id"])[0]
            rows.append(
                {"case": name, "method": f"territory ±{tol:.0%}", "seconds": seconds}
                | figures(labels, xy, values, graph)
            )
        best_km = None
        for run in range(10):
            _, km = kmeans2(xy, p, minit="++", seed=run)
            f = figures(km, xy, values, graph)
            if best_km is None or f["dispersion_km"] < best_km["dispersion_km"]:
                best_km = f
        assert best_km is not None
        rows.append({"case": name, "method": "k-means (best of 10)", "seconds": 0.0} | best_km)
        if not args.no_spopt:
            try:
                from spopt.region import MaxPHeuristic, Skater
            except ImportError:
                print("spopt is not installed; skipping its comparison")
            else:
                data = frame.copy()
                data["x"], data["y"] = xy[:, 0], xy[:, 1]
                floor_value = (1 - tolerances[0]) * target
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    started = time.perf_counter()
                    try:
                        skater = Skater(
                            data,
                            w,
                            ["x", "y"],
                            n_clusters=p,
                            floor=max(1, len(frame) // (2 * p)),
                            islands="increase",
                        )
                        skater.solve()
                        labels = np.asarray(skater.labels_)
                        rows.append(
                            {
                                "case": name,
                                "method": "spopt Skater (coords)",
                                "seconds": time.perf_counter() - started,
                            }
                            | figures(pd.factorize(labels)[0], xy, values, graph)
                        )
                    except Exception as exc:
                        print(f"spopt Skater failed: {exc!r}")
                    started = time.perf_counter()
                    try:
                        maxp = MaxPHeuristic(
                            data,
                            w,
                            ["x", "y"],
                            column,
                            floor_value,
                            top_n=2,
                            max_iterations_construction=20,
                        )
                        maxp.solve()
                        labels = pd.factorize(np.asarray(maxp.labels_))[0]
                        rows.append(
                            {
                                "case": name,
                                "method": f"spopt MaxP (floor {floor_value:,.0f})",
                                "seconds": time.perf_counter() - started,
                            }
                            | figures(labels, xy, values, graph)
                        )
                    except Exception as exc:
                        print(f"spopt MaxP failed: {exc!r}")
    table = pd.DataFrame(rows)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.round({"seconds": 2, "worst_dev": 3, "dispersion_km": 0, "max_diameter_km": 0}))


if __name__ == "__main__":
    main()
