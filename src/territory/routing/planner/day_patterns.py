"""Pattern choice for one rep: balanced, geographically tight days.

Each working day of the cycle gets a centre. Customers are placed by decreasing
frequency (then workload) on the valid pattern that minimises the distance from the
customer to the centres of the pattern's days, a load penalty (convex, so days stay
balanced; steep beyond the day's capacity) and a small penalty per point of
:func:`~territory.routing.patterns.irregularity`. Centres start from a weighted
k-means (:func:`territory.geometry.weighted_kmeans`) with one cluster per working
weekday (the same weekday of every week shares a centre, so routes tend to repeat week
to week); a few passes then move the centres to their days' customers and re-place
each customer.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from territory.geometry import weighted_kmeans

__all__ = ["choose_patterns", "pattern_costs"]

FloatArray = NDArray[np.float64]

#: Minutes of extra distance worth one point of pattern irregularity.
REGULARITY_MINUTES = 10.0
#: Penalty per minute of estimated work beyond a day's capacity.
OVERLOAD_WEIGHT = 20.0
#: Improvement passes after the greedy placement.
PASSES = 3
#: Most Lloyd steps of the k-means that places the first day centres.
KMEANS_STEPS = 20


def pattern_costs(
    customer_xy: FloatArray,
    patterns: NDArray[np.int64],
    irregular: FloatArray,
    centres: FloatArray,
    load: FloatArray,
    capacity: FloatArray,
    work: float,
    minutes_per_km: float,
    opening: float = 0.0,
) -> FloatArray:
    """Cost of putting one customer on each of ``patterns`` (rows of day indices).

    Parameters
    ----------
    customer_xy
        The customer's position (km on a local plane).
    patterns
        ``(P, f)`` cycle days per pattern.
    irregular
        ``(P,)`` irregularity of each pattern.
    centres
        ``(N, 2)`` day centres.
    load, capacity
        ``(N,)`` estimated minutes of work planned on each day, and available.
    work
        Minutes one visit adds to a day (service plus travel estimate).
    minutes_per_km
        Converts distances to minutes.
    opening
        Extra cost of putting the customer on a day that is still empty (the round
        trip from home), so that light workloads use few days.

    Returns
    -------
    numpy.ndarray
        ``(P,)`` costs in minutes.
    """
    distance = np.hypot(*(centres - customer_xy).T) * minutes_per_km
    cap = np.maximum(capacity, 1.0)
    over = np.maximum(0.0, load + work - cap) - np.maximum(0.0, load - cap)
    balance = ((load + work) ** 2 - load**2) / cap
    day_cost = 2.0 * distance + OVERLOAD_WEIGHT * over + 0.5 * balance
    day_cost = day_cost + np.where(load <= 1e-9, opening, 0.0)
    day_cost = np.where(capacity > 0, day_cost, np.inf)
    return np.asarray(day_cost[patterns].sum(axis=1) + REGULARITY_MINUTES * irregular)


def choose_patterns(
    xy: FloatArray,
    patterns: Sequence[NDArray[np.int64]],
    irregular: Sequence[FloatArray],
    work: FloatArray,
    capacity: FloatArray,
    weekday_of_day: NDArray[np.int64],
    minutes_per_km: float,
    seed: int,
    home_trip: FloatArray | None = None,
) -> list[int]:
    """Pick one pattern per customer.

    Parameters
    ----------
    xy
        ``(n, 2)`` customer positions on a local plane, km.
    patterns
        Per customer, ``(P_i, f_i)`` valid patterns (at least one each).
    irregular
        Per customer, ``(P_i,)`` pattern irregularity.
    work
        ``(n,)`` minutes one visit of each customer adds to a day.
    capacity
        ``(N,)`` minutes of work each cycle day can take (0 when the rep is off).
    weekday_of_day
        ``(N,)`` weekday of each cycle day.
    minutes_per_km
        Converts distances to minutes.
    seed
        Seed of the k-means start.
    home_trip
        ``(n,)`` minutes home -> customer -> home (cost of opening an empty day).

    Returns
    -------
    list of int
        Index of the chosen pattern of each customer.
    """
    n, n_days = len(xy), len(capacity)
    if n == 0:
        return []
    freq = np.array([p.shape[1] for p in patterns], dtype=float)
    working = sorted({int(weekday_of_day[d]) for d in range(n_days) if capacity[d] > 0})
    trips = np.zeros(n) if home_trip is None else home_trip
    weekly = float((freq * work).sum()) * len(working) / max(1, int((capacity > 0).sum()))
    needed = int(np.ceil(weekly / max(float(capacity.max()), 1.0)))
    k = max(1, min(len(working), n, needed))
    # the first centre drawn uniformly: drawn by weight, it sends the search of tight
    # one-rep cycles into a worse basin (benchmarks/rep_cycles.py instance 0)
    clusters = weighted_kmeans(xy, freq * work, k, seed, steps=KMEANS_STEPS, first_by_weight=False)
    # clusters in angular order around their mean, mapped onto working weekdays in order
    middle = clusters.mean(axis=0)
    order = np.argsort(np.arctan2(*(clusters - middle).T[::-1]))
    centre_of_weekday = {wd: clusters[order[j % k]] for j, wd in enumerate(working)}
    centres = np.array(
        [centre_of_weekday.get(int(weekday_of_day[d]), middle) for d in range(n_days)]
    )
    sequence = sorted(range(n), key=lambda i: (-freq[i], -freq[i] * work[i], i))
    load = np.zeros(n_days)
    chosen = [-1] * n

    def costs_of(i: int) -> FloatArray:
        return pattern_costs(
            xy[i],
            patterns[i],
            irregular[i],
            centres,
            load,
            capacity,
            float(work[i]),
            minutes_per_km,
            float(trips[i]),
        )

    for i in sequence:
        costs = costs_of(i)
        best = int(np.argmin(costs))
        chosen[i] = best
        load[patterns[i][best]] += work[i]
    for _ in range(PASSES):
        members: list[list[int]] = [[] for _ in range(n_days)]
        for i in range(n):
            for d in patterns[i][chosen[i]]:
                members[int(d)].append(i)
        for d in range(n_days):
            if members[d]:
                centres[d] = xy[members[d]].mean(axis=0)
        moved = 0
        for i in sequence:
            current = patterns[i][chosen[i]]
            load[current] -= work[i]
            costs = costs_of(i)
            best = int(np.argmin(costs))
            if costs[best] < costs[chosen[i]] - 1e-9:
                chosen[i] = best
                moved += 1
            load[patterns[i][chosen[i]]] += work[i]
        if moved == 0:
            break
    return chosen
