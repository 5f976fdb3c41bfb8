"""The OR-Tools engine (default): OR-Tools' routing library solves a :class:`DayProblem`.

The model (time dimension with windows, shift, breaks and ``max_duration``; load
dimension; penalties of optional visits) is built in
:mod:`territory.routing.engines.ortools.model`. OR-Tools does all route optimisation; this
module only decides where its searches start and which result is kept. In two
phases:

1. Construction: a one-vehicle problem (a rep-day) starts from the local engine's
   cheapest-insertion route when OR-Tools accepts it (OR-Tools' own heuristics can
   backtrack for seconds on a tight day). Otherwise: four first-solution heuristics
   (parallel and local cheapest insertion, path cheapest arc, global cheapest arc),
   each followed by OR-Tools' local search descent; the best local optimum wins.
   They win on different shapes of instance, and the arc-based ones often find no
   solution on tight windows (so their time is capped, and with a work limit they
   are left out).
2. Iterated ruin and repair (:mod:`territory.routing.engines.ortools.search`): take out a
   random visit and its nearest neighbours and let OR-Tools' descent reinsert them
   and improve, accept the result when it is better (or slightly worse early on).
   Small problems (a rep-day) are repaired in a model of the whole problem; from
   :data:`~territory.routing.engines.ortools.search.DECOMPOSE_FROM` visits on, a round
   models only the routes that lost a visit, which makes rounds several times
   faster on 100 visits; the best routes then get one descent of the whole problem.
   In the repair models mandatory visits are soft (a penalty larger than any set
   of routes can cost), so a ruined solution is a valid start; a mandatory visit
   still left out at the end marks the answer infeasible.

OR-Tools applies the time limit of a model's latest solve to its later
``ReadAssignmentFromRoutes`` calls; the search therefore keeps copies of its
assignments and reads routes into a model only right after closing it (under a
generous limit). Reading the best routes back after a round with a tiny limit used
to fail now and then under load, and the engine then returned a fresh cheapest-
insertion solution: the cause of the 10-30 % outliers on R2/RC2 in earlier runs.

``seed`` drives the ruin steps (``numpy.random.default_rng``) and the solvers' own
random generators. With ``iterations`` (a work limit) the result depends only on the
problem and the seed.
"""

from __future__ import annotations

import dataclasses
import logging
import time

from territory.routing.engines.ortools.model import Candidate, Model, parameters
from territory.routing.engines.ortools.search import Search, full_model, polish, ruin_and_repair
from territory.routing.engines.problem import DayProblem, DaySolution, IntegerProblem, to_integers

__all__ = ["OrToolsEngine"]

logger = logging.getLogger("territory")

#: Share of ``time_limit`` kept back for building the model and reading the result.
_OVERHEAD_SHARE = 0.05
#: Share of ``time_limit`` kept for the final descent after decomposed rounds.
_POLISH_SHARE = 0.015


class OrToolsEngine:
    """Solve a :class:`DayProblem` with the OR-Tools routing library.

    Examples
    --------
    >>> import numpy as np
    >>> from territory.routing.engines.problem import DayProblem
    >>> t = np.array([[0.0, 1.0, 2.0], [1.0, 0.0, 1.0], [2.0, 1.0, 0.0]])
    >>> p = DayProblem(t, np.zeros(3), np.zeros(3), np.full(3, 100.0))
    >>> solution = OrToolsEngine().solve(p, time_limit=1.0, iterations=5)
    >>> solution.cost, sorted(solution.routes[0])
    (4.0, [1, 2])
    """

    name = "ortools"

    def solve(
        self,
        problem: DayProblem,
        *,
        time_limit: float,
        seed: int = 0,
        iterations: int | None = None,
    ) -> DaySolution:
        """Solve ``problem``.

        Parameters
        ----------
        problem
            The routing problem.
        time_limit
            Wall-clock cap in seconds (model building included).
        seed
            Seed of the ruin steps (``numpy.random.default_rng``) and of the solver.
        iterations
            Deterministic work limit: the number of ruin-and-repair rounds after the
            construction; ``time_limit`` stays a cap.

        Returns
        -------
        DaySolution
            The best solution found. ``feasible`` is ``False`` when a mandatory visit
            could not be routed; such visits are listed in ``dropped``.
        """
        started = time.perf_counter()
        deadline = started + time_limit * (1 - _OVERHEAD_SHARE)
        n = problem.size
        if n == 0:
            return DaySolution(routes=[], break_starts=[])
        ticks = to_integers(problem)
        search = Search(problem, ticks, seed, deadline - time_limit * _POLISH_SHARE, iterations)
        start = _best_start(problem, ticks, seed, search.deadline, iterations is not None)
        if start is None:
            model = full_model(search, problem.vehicles)
            assignment = model.routing.SolveWithParameters(
                parameters("PARALLEL_CHEAPEST_INSERTION", deadline - time.perf_counter())
            )
            if assignment is None:
                logger.warning("ortools: no solution found within %.1f s", time_limit)
                return DaySolution(
                    routes=[], dropped=list(range(1, n + 1)), feasible=False, break_starts=[]
                )
            start = model.candidate(assignment)
        best, rounds = ruin_and_repair(search, start)
        logger.debug(
            "ortools: %d visits, %d rounds, objective %d -> %d ticks",
            n,
            rounds,
            start.objective,
            best.objective,
        )
        if (
            iterations is not None
            and rounds < iterations
            and time.perf_counter() >= search.deadline
        ):
            logger.info(
                "ortools: time limit %.1f s hit after %d of %d rounds; the result is not "
                "reproducible",
                time_limit,
                rounds,
                iterations,
            )
        best = polish(dataclasses.replace(search, deadline=deadline), best)
        assert best.model is not None, "the best routes could not be read into a model"
        solution: DaySolution = best.model.read(best.assignment)
        return solution


def _best_start(
    problem: DayProblem,
    ticks: IntegerProblem,
    seed: int,
    deadline: float,
    deterministic: bool,
) -> Candidate | None:
    """Each start heuristic followed by a descent; the best local optimum, if any.

    A one-vehicle problem (a rep-day) starts instead from the route of
    :func:`~territory.routing.engines.insertion.insertion_route` when OR-Tools accepts it
    (see :func:`_route_start`). Otherwise the insertion heuristics come first: they
    always build a solution, quickly. The arc-based ones can search a long time
    without finding any on tight windows, so each gets at most ``_START_SLOWDOWN``
    times the slowest insertion start; with ``deterministic`` (a work limit) they are
    skipped, since a cut-off start would make the result depend on the machine's
    speed.
    """
    if problem.vehicles == 1 and problem.drop_penalty is None:
        start = _route_start(problem, ticks, seed, deadline)
        if start is not None:
            return start
    best: Candidate | None = None
    slowest = 0.0
    strategies = _INSERTION_STARTS if deterministic else _INSERTION_STARTS + _ARC_STARTS
    for position, strategy in enumerate(strategies):
        remaining = deadline - time.perf_counter()
        share = remaining * _START_SHARE / (len(strategies) - position)
        if strategy in _ARC_STARTS:
            share = min(share, max(_MIN_ARC_START_SECONDS, _START_SLOWDOWN * slowest))
        began = time.perf_counter()
        model = Model(problem, ticks, seed, problem.vehicles, soft=False)
        assignment = model.routing.SolveWithParameters(parameters(strategy, share))
        if strategy in _INSERTION_STARTS:
            slowest = max(slowest, time.perf_counter() - began)
        if assignment is None:
            continue
        if best is None or assignment.ObjectiveValue() < best.objective:
            best = Candidate(assignment.ObjectiveValue(), model.node_routes(assignment))
    return best


def _route_start(
    problem: DayProblem, ticks: IntegerProblem, seed: int, deadline: float
) -> Candidate | None:
    """A descent from the local engine's cheapest-insertion route, if OR-Tools accepts it.

    On a tight rep-day OR-Tools' own first-solution heuristics can search for seconds
    (backtracking while a visit fits nowhere; 4.7 s of a 5 s limit on 15 visits with
    opening hours, with or without a lunch break), while the insertion of the local
    engine takes a millisecond. The route is read into a hard model (so it is
    rejected if it breaks a constraint the local engine does not know, such as a
    capacity or ``max_duration``) and improved by OR-Tools' descent.
    """
    from territory.routing.engines.insertion import insertion_route

    route = insertion_route(problem)
    if route is None:
        return None
    model = Model(problem, ticks, seed, 1, soft=False)
    model.routing.CloseModelWithParameters(
        parameters(None, max(1.0, deadline - time.perf_counter()))
    )
    initial = model.routing.ReadAssignmentFromRoutes(model.index_routes([route]), True)
    if initial is None:
        return None
    share = max(0.01, (deadline - time.perf_counter()) * _START_SHARE)
    assignment = model.routing.SolveFromAssignmentWithParameters(initial, parameters(None, share))
    if assignment is None:
        return None
    return Candidate(assignment.ObjectiveValue(), model.node_routes(assignment))


#: First-solution heuristics tried in turn; they win on different instance shapes
#: (clustered, random, tight or wide windows). Insertion heuristics always succeed;
#: arc-based ones may not find any solution on tight windows.
_INSERTION_STARTS = ("PARALLEL_CHEAPEST_INSERTION", "LOCAL_CHEAPEST_INSERTION")
_ARC_STARTS = ("PATH_CHEAPEST_ARC", "GLOBAL_CHEAPEST_ARC")
#: An arc-based start may take this many times the slowest insertion start ...
_START_SLOWDOWN = 3.0
#: ... but at least this many seconds.
_MIN_ARC_START_SECONDS = 0.2
#: Share of the remaining time the construction phase may use at most.
_START_SHARE = 0.4
