"""Search over day combinations alternated with whole-period PyVRP runs.

The whole-period PyVRP model (:mod:`territory.routing.periodic.joint`) re-optimises the
routes and the day of every one-visit customer, but keeps the combination of each
multi-visit customer. This module searches those combinations with an adaptive large
neighbourhood search of two kinds of rounds:

* a **ruin** round takes a cluster of related customers off all their days, puts them
  back on their cheapest combinations (with noise), lets the combination local search
  of :class:`~territory.routing.periodic.dayplan.DayPlan` move them and their
  neighbours between combinations, and gives the routes around them a short PyVRP
  run. Its plan replaces the current one when it is feasible and not worse than the
  current cost plus a threshold (threshold accepting). The threshold falls to zero
  in each of :data:`EPOCHS` equal parts of the search: while it is high, the current
  plan drifts away from the best (traced with one epoch over the whole run: up to two
  per cent on pr10 and p23), and as it falls the search settles in the region it
  drifted to, where most of its improvements are found; several epochs settle in
  several regions;
* a **polishing** round gives a short PyVRP run to the routes, on every day, around
  one random customer of the current plan (a decomposition of the whole-period model:
  a small model converges in a fraction of the time of the whole one, and the current
  plan only ever gets cheaper).

Each round's kind is drawn with a probability that follows the two kinds' recent
relative gains, within bounds. On instances with many routes the polishing rounds pay
most (a whole-period run of PyVRP needs minutes there); on small ones, where the
combinations matter, the ruin rounds do. The best feasible plan is kept.
"""

from __future__ import annotations

import logging
import math
import time

import numpy as np
from numpy.typing import NDArray

from territory.routing.periodic.dayplan import DayPlan
from territory.routing.periodic.joint import improve_jointly, routes_around

__all__ = ["polish_bounds", "search_combinations", "threshold_share"]

logger = logging.getLogger("territory")

IntArray = NDArray[np.int64]

#: Share of the time limit for the first PyVRP run on the constructed plan.
FIRST_SHARE = 0.1
#: Share of the time limit kept for the last PyVRP run on the best plan.
FINAL_SHARE = 0.1
#: Target number of ruin-and-recreate rounds per time limit.
ROUNDS = 720
#: Shortest and longest PyVRP run of a round, seconds.
SLICE_BOUNDS = (0.08, 4.0)
#: Acceptance threshold at the start of an epoch, as a share of the best cost...
THRESHOLD = 0.01
#: ...which falls to zero in each of this many equal epochs of the search. Chosen on 16
#: Cordeau instances at 60 s (benchmarks/README.md).
EPOCHS = 5
#: Fewest and most customers ruined in a round.
RUIN_BOUNDS = (4, 40)
#: Nearest customers of each ruined one that the local search tries after the ruin.
NEIGHBOURS = 10
#: A polishing round re-optimises, in a short PyVRP run, the routes (on every day) that
#: visit a random customer or one of its nearest: this many customers in all...
POLISH_REGION = 15
#: ...for this many seconds.
POLISH_SLICE = 0.06
#: Late-acceptance history of those short PyVRP runs (ruin and polishing rounds), shorter
#: than their iterations so that each run is greedy (see ``improve_jointly``); chosen on
#: Cordeau instances at 60 s (benchmarks/README.md).
SHORT_RUN_HISTORY = 10
#: Least and most share of polishing rounds; between them the share follows the
#: operators' recent gains (an exponential average with weight ``REACTION``).
POLISH_SHARE_BOUNDS = (0.1, 0.9)
REACTION = 0.1


def _gain(before: float, after: float) -> float:
    """Relative gain of a round, the reward of its operator (1 for a first feasible plan)."""
    if not np.isfinite(after):
        return 0.0
    if not np.isfinite(before):
        return 1.0
    return max(0.0, (before - after) / max(before, 1e-9))


def threshold_share(progress: float) -> float:
    """The acceptance threshold, as a share of the best cost, at ``progress`` of the search.

    Parameters
    ----------
    progress
        Share of the search done, from 0 to 1 (of its time, or of its rounds under a
        work limit).

    Returns
    -------
    float
        :data:`THRESHOLD` at the start of each of the :data:`EPOCHS` equal epochs,
        falling linearly to zero at its end; zero from ``progress`` 1 on.
    """
    if progress >= 1.0:
        return 0.0
    phase = progress * EPOCHS - math.floor(progress * EPOCHS)
    return THRESHOLD * (1.0 - phase)


def polish_bounds(plan: DayPlan, closest: IntArray) -> tuple[float, float]:
    """Least and most share of polishing rounds on ``plan``.

    A polishing round's model holds the routes around a region; where those are most
    of the plan's routes (a small instance), polishing is a whole-period PyVRP run,
    which the ruin rounds make anyway. The most share is therefore at most the mean
    share of the routes *outside* such a model, over regions around evenly spread
    customers.

    Parameters
    ----------
    plan
        The plan whose routes are counted.
    closest
        Per customer (row ``c - 1``), the customers of the region around it.

    Returns
    -------
    tuple of float
        The least and the most share (the least never above the most).
    """
    total = sum(len(day) for day in plan.routes)
    if total == 0:
        return POLISH_SHARE_BOUNDS
    rows = closest[:: max(1, len(closest) // 20)]
    inside = np.mean([sum(map(len, routes_around(plan, set(row.tolist())))) for row in rows])
    high = min(POLISH_SHARE_BOUNDS[1], 1.0 - float(inside) / total)
    return min(POLISH_SHARE_BOUNDS[0], high), high


def _has_choices(plan: DayPlan) -> bool:
    inst = plan.instance
    return any(inst.frequency[c] > 1 and len(plan.options[c]) > 1 for c in range(1, inst.size + 1))


def search_combinations(
    plan: DayPlan,
    rng: np.random.Generator,
    deadline: float,
    time_limit: float,
    seed: int,
    max_rounds: int | None,
    iterations: int | None,
) -> tuple[DayPlan, int]:
    """Ruin and recreate combinations between short PyVRP runs; return the best plan.

    Parameters
    ----------
    plan
        A complete plan (every customer on a combination); it is changed.
    rng
        Random generator of the ruin and recreate choices.
    deadline
        ``time.perf_counter()`` value to finish by.
    time_limit
        Total seconds of the solve, to size the PyVRP runs.
    seed
        Base seed of the PyVRP runs (each run adds its round number).
    max_rounds
        Optional cap on the rounds (``None``: until the deadline).
    iterations
        Optional PyVRP iteration limit of every run.

    Returns
    -------
    tuple
        The best plan found (feasible when any was) and the number of rounds made.
    """
    n = plan.instance.size
    # Customers by distance from each customer (row c - 1; column 0 is c itself).
    order = np.argsort(plan.dist[1:, 1:], axis=1, kind="stable") + 1
    nearest = order[:, 1 : NEIGHBOURS + 1]
    closest = order[:, :POLISH_REGION]  # each customer and its nearest others
    first = FIRST_SHARE * time_limit if _has_choices(plan) else time_limit
    overhead = 0.0

    def run_pyvrp(
        target: DayPlan, seconds: float, run_seed: int, around: set[int] | None = None
    ) -> None:
        nonlocal overhead
        seconds = min(seconds, deadline - time.perf_counter() - overhead)
        if seconds < 0.05:
            return
        began = time.perf_counter()
        history = None if around is None else SHORT_RUN_HISTORY
        improve_jointly(target, seconds, run_seed, iterations, around, around, history)
        overhead = max(overhead, time.perf_counter() - began - seconds)

    run_pyvrp(plan, first, seed)
    plan.local_search(rng, deadline)
    best = plan.copy()
    best_cost = plan.cost() if plan.violation() == 0 else np.inf
    current, current_cost = plan, best_cost
    slice_seconds = float(np.clip(time_limit / ROUNDS, *SLICE_BOUNDS))
    final = FINAL_SHARE * time_limit
    ruin_high = max(RUIN_BOUNDS[0] + 1, min(RUIN_BOUNDS[1], n // 5))
    rounds = 0
    began = time.perf_counter()
    span = max(deadline - final - began, 1e-9)
    weights = {"ruin": 1.0, "polish": 1.0}
    low, high = polish_bounds(current, closest)
    uses = {"ruin": 0, "polish": 0}
    while max_rounds is None or rounds < max_rounds:
        if deadline - time.perf_counter() - overhead < final + SLICE_BOUNDS[0]:
            break
        rounds += 1
        if max_rounds is not None:
            progress = rounds / max_rounds
        else:
            progress = min(1.0, (time.perf_counter() - began) / span)
        total = weights["polish"] + weights["ruin"]
        share = weights["polish"] / total if total > 0 else 0.5
        operator = "polish" if rng.random() < np.clip(share, low, high) else "ruin"
        before = current_cost
        uses[operator] += 1
        if operator == "polish":
            # Re-optimise the routes around one customer of the current plan (never worse).
            region = set(closest[int(rng.integers(n))].tolist())
            run_pyvrp(current, POLISH_SLICE, seed + rounds, region)
            if current.violation() == 0:
                current_cost = current.cost()
        else:
            trial = current.copy()
            ruined = trial.perturb(rng, int(rng.integers(RUIN_BOUNDS[0], ruin_high + 1)))
            around = {*ruined, *nearest[np.array(ruined) - 1].ravel().tolist()}
            trial.local_search(rng, deadline, sorted(around))
            run_pyvrp(trial, slice_seconds, seed + rounds, around)
            trial.local_search(rng, deadline, sorted(around))
            if trial.violation() == 0:
                cost = trial.cost()
                threshold = threshold_share(progress) * min(best_cost, current_cost)
                if not np.isfinite(current_cost) or cost < current_cost + threshold:
                    current, current_cost = trial, cost
        if current_cost < best_cost - 1e-9:
            best, best_cost = current.copy(), current_cost
            logger.debug(
                "pvrp %s: round %d (%s), best %.2f", plan.instance.name, rounds, operator, best_cost
            )
        gain = _gain(before, current_cost)
        weights[operator] = (1.0 - REACTION) * weights[operator] + REACTION * gain
    logger.debug(
        "pvrp %s: %d ruin and %d polishing rounds, best %.2f",
        plan.instance.name,
        uses["ruin"],
        uses["polish"],
        best_cost,
    )
    if np.isfinite(best_cost):
        run_pyvrp(best, deadline - time.perf_counter(), seed)
        best.local_search(rng, deadline)
    else:
        best = current
    return best, rounds
