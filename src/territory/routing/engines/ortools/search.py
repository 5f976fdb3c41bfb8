"""Iterated ruin and repair around OR-Tools' local search (the OR-Tools engine's phase 2).

Each round takes out a random visit and its nearest neighbours and lets OR-Tools'
descent (greedy local search) reinsert them and improve the routes. Two kinds of
round:

- *full*: the descent runs on a model of the whole problem, with the removed
  visits soft (see :class:`~territory.routing.engines.ortools.model.Model`). Used for
  small problems (a rep-day), where a round takes a few milliseconds.
- *decomposed*: only the routes that lost a visit (plus the visits left out, and
  one empty vehicle when the fleet allows) are modelled, and the descent repairs
  them alone. On 100 visits in short routes this is about five times faster than a
  full round, because a descent scans every pair of positions of its model. The
  best routes get one full descent at the end.

A worse result is accepted with a threshold that shrinks from :data:`ACCEPT_WORSE`
to 0 over the run, so the search can leave a local optimum.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from territory.routing.engines.ortools.model import (
    Candidate,
    Model,
    objective,
    parameters,
    penalties,
    sub_ticks,
)
from territory.routing.engines.problem import DayProblem, IntegerProblem

__all__ = ["ACCEPT_WORSE", "DECOMPOSE_FROM", "SPARE_VEHICLES", "Search", "ruin_and_repair"]

#: Visits taken out per ruin step (a random visit and its nearest neighbours).
RUIN_MIN, RUIN_MAX = 5, 15
#: Rounds without a new best after which the search stops: base + per visit.
PATIENCE_BASE, PATIENCE_PER_VISIT = 10, 2
#: ... per visit in decomposed rounds, which are smaller steps.
PATIENCE_PER_VISIT_DECOMPOSED = 10
#: Largest relative worsening accepted at the start of the search.
ACCEPT_WORSE = 0.01
#: Problems with at least this many visits are repaired a few routes at a time.
DECOMPOSE_FROM = 40
#: Vehicles a full model may open beyond the routes of its start.
SPARE_VEHICLES = 3
#: Seconds one descent may take when the run is limited by ``iterations``.
ROUND_CAP = 60.0


@dataclass(frozen=True)
class Search:
    """What a ruin-and-repair run works on.

    Attributes
    ----------
    problem, ticks
        The problem and its integer ticks.
    seed
        Seed of the ruin steps and of the solver.
    deadline
        ``time.perf_counter()`` value at which the run stops.
    iterations
        Work limit (number of rounds), or ``None`` to run until ``deadline``.
    """

    problem: DayProblem
    ticks: IntegerProblem
    seed: int
    deadline: float
    iterations: int | None

    def seconds(self) -> float:
        """Time limit of one descent: the time left, capped under a work limit."""
        left = self.deadline - time.perf_counter()
        if self.iterations is not None:
            left = min(ROUND_CAP, left)
        return max(0.01, left)


def full_model(search: Search, routes: int) -> Model:
    """A closed soft model of the whole problem with room for ``routes`` plus spares."""
    fleet = min(search.problem.vehicles, routes + SPARE_VEHICLES)
    model = Model(search.problem, search.ticks, search.seed, fleet, soft=True)
    # OR-Tools applies the time limit of the latest solve (here: of closing) to
    # every later ReadAssignmentFromRoutes, so closing gets a generous one.
    model.routing.CloseModelWithParameters(
        parameters(None, max(1.0, search.deadline - time.perf_counter()))
    )
    return model


def ruin_and_repair(search: Search, start: Candidate) -> tuple[Candidate, int]:
    """Iterated local search from ``start``; the best candidate and the rounds run.

    The search stops after ``search.iterations`` rounds, at ``search.deadline``, or
    after a number of rounds without a new best that grows with the problem size (so
    a small rep-day does not use its whole time limit). A returned candidate found
    in decomposed rounds has no assignment: see :func:`polish`.
    """
    problem = search.problem
    n = problem.size
    decomposed = n >= DECOMPOSE_FROM
    rng = np.random.default_rng(search.seed)
    cost = problem.arc_cost
    model: Model | None = None
    if not decomposed:
        model = start.model if start.model is not None else full_model(search, len(start.routes))
        if start.model is not model:
            restored = model.restore(start.routes)
            start = restored if restored is not None else start
    dropped = penalties(search.ticks)
    current = best = start
    rounds = since_best = 0
    per_visit = PATIENCE_PER_VISIT_DECOMPOSED if decomposed else PATIENCE_PER_VISIT
    patience = PATIENCE_BASE + per_visit * n
    began = time.perf_counter()
    while time.perf_counter() < search.deadline and (
        search.iterations is None or rounds < search.iterations
    ):
        if since_best >= patience:
            break
        rounds += 1
        since_best += 1
        centre = int(rng.integers(1, n + 1))
        size = int(rng.integers(RUIN_MIN, RUIN_MAX + 1))
        closeness = cost[centre, 1:] + cost[1:, centre]
        removed = set((np.argsort(closeness, kind="stable")[:size] + 1).tolist())
        if model is None:
            candidate = _repair_routes(search, current, removed, dropped)
        else:
            candidate = _repair_full(search, model, current, removed)
        if candidate is None:
            continue
        progress = min(1.0, (time.perf_counter() - began) / max(1e-9, search.deadline - began))
        if search.iterations is not None:
            progress = rounds / search.iterations
        threshold = ACCEPT_WORSE * (1.0 - progress) * float(rng.random())
        if candidate.objective < current.objective * (1.0 + threshold):
            current = candidate
            if candidate.objective < best.objective:
                best, since_best = candidate, 0
    return best, rounds


def _repair_full(
    search: Search, model: Model, current: Candidate, removed: set[int]
) -> Candidate | None:
    """One full round: the descent of ``model`` from ``current`` without ``removed``.

    On a one-vehicle day with a break the removed visits are first put back by
    cheapest feasible insertion (:func:`~territory.routing.engines.insertion.insertion_route`):
    OR-Tools checks every insertion move against its break intervals by constraint
    propagation, and a descent that re-inserts 5-15 visits took 1-2 s per round on a
    10-visit day (against about a millisecond from a complete route).
    """
    partial = [[v for v in route if v not in removed] for route in current.routes]
    problem = search.problem
    if problem.breaks is not None and problem.vehicles == 1 and len(partial) == 1:
        from territory.routing.engines.insertion import insertion_route

        visits = [v for v in sorted(removed) if v not in partial[0]]
        refilled = insertion_route(problem, route=partial[0], visits=visits)
        if refilled is not None:
            partial = [refilled]
    initial = model.routing.ReadAssignmentFromRoutes(model.index_routes(partial), True)
    if initial is None:  # only at the very end, when the last time limit was tiny
        return None
    assignment = model.routing.SolveFromAssignmentWithParameters(
        initial, parameters(None, search.seconds())
    )
    return None if assignment is None else model.candidate(assignment)


def _repair_routes(
    search: Search, current: Candidate, removed: set[int], dropped: Any
) -> Candidate | None:
    """One decomposed round: repair the routes that lost a visit in a sub-model.

    The sub-model holds those routes' visits, the visits currently left out and one
    spare vehicle if the fleet has room. ``None`` when a mandatory visit stays out
    (the sub-model's penalties are not those of the whole problem) or the descent
    found nothing in time.
    """
    problem, ticks = search.problem, search.ticks
    touched = [i for i, route in enumerate(current.routes) if removed.intersection(route)]
    if not touched:
        return None
    routed = {v for route in current.routes for v in route}
    left_out = [v for v in range(1, problem.size + 1) if v not in routed]
    nodes = [v for i in touched for v in current.routes[i]] + left_out
    local = {v: k + 1 for k, v in enumerate(nodes)}
    spare = 1 if len(current.routes) < problem.vehicles else 0
    model = Model(None, sub_ticks(ticks, nodes), search.seed, len(touched) + spare, soft=True)
    model.routing.CloseModelWithParameters(parameters(None, search.seconds()))
    partial = [[local[v] for v in current.routes[i] if v not in removed] for i in touched]
    initial = model.routing.ReadAssignmentFromRoutes(model.index_routes(partial), True)
    if initial is None:
        return None
    assignment = model.routing.SolveFromAssignmentWithParameters(
        initial, parameters(None, search.seconds())
    )
    if assignment is None:
        return None
    repaired = [[nodes[k - 1] for k in route] for route in model.node_routes(assignment)]
    if ticks.drop_penalty is None and sum(map(len, repaired)) < len(nodes):
        return None
    kept = set(touched)
    routes = [r for i, r in enumerate(current.routes) if i not in kept] + repaired
    return Candidate(objective(ticks, routes, dropped), routes)


def polish(search: Search, best: Candidate) -> Candidate:
    """``best`` with an assignment: as it is, or after a descent of the whole problem."""
    if best.assignment is not None:
        return best
    model = full_model(search, len(best.routes))
    initial = model.restore(best.routes)
    if initial is None:  # cannot happen: the routes come from an equal model
        return best
    assignment = model.routing.SolveFromAssignmentWithParameters(
        initial.assignment, parameters(None, search.seconds())
    )
    if assignment is None or assignment.ObjectiveValue() >= initial.objective:
        return initial
    return model.candidate(assignment)
