"""The OR-Tools engine (default): a RoutingModel for a :class:`DayProblem`.

Model: integer ticks from :func:`to_integers` (travel rounded up); a time dimension
whose transit is service plus travel, with every node's window, the shift at the
depot, a span limit for ``max_duration`` and one break interval per vehicle; a load
dimension for ``capacity``; a disjunction with its penalty per optional visit.

Search, in two phases:

1. Construction: four first-solution heuristics (parallel and local cheapest
   insertion, path cheapest arc, global cheapest arc), each followed by OR-Tools'
   local search descent; the best local optimum wins. They win on different shapes
   of instance, and the arc-based ones often find no solution on tight windows (so
   their time is capped, and with a work limit they are left out).
2. Iterated local search (ruin and repair): take out a random visit and its nearest
   neighbours, let the descent reinsert them and improve, accept the result when it
   is better (or slightly worse early on). In the repair model mandatory visits are
   soft (a penalty larger than any set of routes can cost), so a ruined solution is
   a valid start; a mandatory visit still left out at the end marks the answer
   infeasible. On this machine it beat OR-Tools' guided local search by a wide
   margin at 10 s per Solomon instance, because each GLS step scans a full
   neighbourhood for a single accepted move.

``seed`` drives the ruin steps (``numpy.random.default_rng``) and the solver's own
random generator.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2
from ortools.util import optional_boolean_pb2

from territory.routing._check import route_cost
from territory.routing._engine import (
    TIME_SCALE,
    DayProblem,
    DaySolution,
    IntegerProblem,
    to_integers,
)

__all__ = ["OrToolsEngine"]

logger = logging.getLogger("territory")

#: Share of ``time_limit`` kept back for building the model and reading the result.
_OVERHEAD_SHARE = 0.05


class OrToolsEngine:
    """Solve a :class:`DayProblem` with the OR-Tools routing library.

    Examples
    --------
    >>> import numpy as np
    >>> from territory.routing._engine import DayProblem
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
        best = _best_start(problem, ticks, seed, deadline, iterations is not None)
        # The repair model gets a few spare vehicles beyond the start's routes (idle
        # vehicles only slow the neighbourhoods down) and soft mandatory visits, so
        # that a ruined solution with visits taken out is a valid starting point.
        fleet = problem.vehicles
        if best is not None:
            fleet = min(problem.vehicles, len(best.routes) + _SPARE_VEHICLES)
        model = _Model(problem, ticks, seed, fleet, soft=True)
        model.routing.CloseModelWithParameters(_parameters(None, 1.0))
        if best is None:
            assignment = model.routing.SolveWithParameters(
                _parameters("PARALLEL_CHEAPEST_INSERTION", deadline - time.perf_counter())
            )
            if assignment is None:
                logger.warning("ortools: no solution found within %.1f s", time_limit)
                return DaySolution(
                    routes=[], dropped=list(range(1, n + 1)), feasible=False, break_starts=[]
                )
            best = _Candidate(assignment.ObjectiveValue(), model.node_routes(assignment))
        best, rounds = _ruin_and_repair(problem, model, best, seed, deadline, iterations)
        if iterations is not None and rounds < iterations and time.perf_counter() >= deadline:
            logger.info(
                "ortools: time limit %.1f s hit after %d of %d rounds; the result is not "
                "reproducible",
                time_limit,
                rounds,
                iterations,
            )
        # One more descent from the best routes yields an assignment with every value
        # (times, breaks); from a local optimum it returns at once and unchanged.
        initial = model.routing.ReadAssignmentFromRoutes(model.index_routes(best.routes), True)
        seconds = max(0.05, started + time_limit - time.perf_counter())
        final = model.routing.SolveFromAssignmentWithParameters(initial, _parameters(None, seconds))
        return model.read(final if final is not None else initial)


@dataclass(frozen=True)
class _Candidate:
    """A solution during the search: objective in ticks and routes as node lists."""

    objective: int
    routes: list[list[int]]


def _best_start(
    problem: DayProblem,
    ticks: IntegerProblem,
    seed: int,
    deadline: float,
    deterministic: bool,
) -> _Candidate | None:
    """Each start heuristic followed by a descent; the best local optimum, if any.

    The insertion heuristics come first: they always build a solution, quickly. The
    arc-based ones can search a long time without finding any on tight windows, so
    each gets at most ``_START_SLOWDOWN`` times the slowest insertion start; with
    ``deterministic`` (a work limit) they are skipped, since a cut-off start would
    make the result depend on the machine's speed.
    """
    best: _Candidate | None = None
    slowest = 0.0
    strategies = _INSERTION_STARTS if deterministic else _INSERTION_STARTS + _ARC_STARTS
    for position, strategy in enumerate(strategies):
        remaining = deadline - time.perf_counter()
        share = remaining * _START_SHARE / (len(strategies) - position)
        if strategy in _ARC_STARTS:
            share = min(share, max(_MIN_ARC_START_SECONDS, _START_SLOWDOWN * slowest))
        began = time.perf_counter()
        model = _Model(problem, ticks, seed, problem.vehicles, soft=False)
        assignment = model.routing.SolveWithParameters(_parameters(strategy, share))
        if strategy in _INSERTION_STARTS:
            slowest = max(slowest, time.perf_counter() - began)
        if assignment is None:
            continue
        if best is None or assignment.ObjectiveValue() < best.objective:
            best = _Candidate(assignment.ObjectiveValue(), model.node_routes(assignment))
    return best


def _ruin_and_repair(
    problem: DayProblem,
    model: _Model,
    start: _Candidate,
    seed: int,
    deadline: float,
    iterations: int | None,
) -> tuple[_Candidate, int]:
    """Iterated local search: take out a cluster of visits, descend, accept or not.

    The search stops after ``iterations`` rounds, at ``deadline``, or after
    ``10 + 2 n`` rounds without a new best (so a small rep-day does not use its
    whole time limit). The ruin removes a random visit and its nearest neighbours
    (5 to 15 visits); the descent of OR-Tools' local search reinserts them (they
    are soft in ``model``) and improves the routes. A worse result is accepted with
    a threshold that shrinks from 1 % to 0 over the run, so the search can leave a
    local optimum.
    """
    rng = np.random.default_rng(seed)
    cost = problem.arc_cost
    n = problem.size
    current = best = start
    rounds = since_best = 0
    patience = _PATIENCE_BASE + _PATIENCE_PER_VISIT * n
    began = time.perf_counter()
    while time.perf_counter() < deadline and (iterations is None or rounds < iterations):
        if since_best >= patience:
            break
        rounds += 1
        since_best += 1
        centre = int(rng.integers(1, n + 1))
        size = int(rng.integers(_RUIN_MIN, _RUIN_MAX + 1))
        closeness = cost[centre, 1:] + cost[1:, centre]
        removed = set((np.argsort(closeness, kind="stable")[:size] + 1).tolist())
        partial = [[v for v in route if v not in removed] for route in current.routes]
        initial = model.routing.ReadAssignmentFromRoutes(model.index_routes(partial), True)
        if initial is None:
            continue
        # A work limit keeps rounds reproducible, but never past the caller's time cap.
        seconds = deadline - time.perf_counter()
        if iterations is not None:
            seconds = min(_ROUND_CAP, seconds)
        assignment = model.routing.SolveFromAssignmentWithParameters(
            initial, _parameters(None, max(0.01, seconds))
        )
        if assignment is None:
            continue
        candidate = _Candidate(assignment.ObjectiveValue(), model.node_routes(assignment))
        progress = min(1.0, (time.perf_counter() - began) / max(1e-9, deadline - began))
        if iterations is not None:
            progress = rounds / iterations
        threshold = _ACCEPT_WORSE * (1.0 - progress) * float(rng.random())
        if candidate.objective < current.objective * (1.0 + threshold):
            current = candidate
            if candidate.objective < best.objective:
                best, since_best = candidate, 0
    return best, rounds


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
#: Vehicles the improvement phase may open beyond the routes of the best start.
_SPARE_VEHICLES = 3
#: Visits taken out per ruin step (a random visit and its nearest neighbours).
_RUIN_MIN, _RUIN_MAX = 5, 15
#: Rounds without a new best after which the search stops: base + per visit.
_PATIENCE_BASE, _PATIENCE_PER_VISIT = 10, 2
#: Largest relative worsening accepted at the start of the search.
_ACCEPT_WORSE = 0.01
#: Operators switched off: they serve pickup-delivery, optional chains or big LNS
#: moves, and cost more time per descent than they save (measured on Solomon).
_SLOW_OPERATORS = (
    "use_lin_kernighan",
    "use_relocate_expensive_chain",
    "use_global_cheapest_insertion_path_lns",
    "use_local_cheapest_insertion_path_lns",
    "use_relocate_path_global_cheapest_insertion_insert_unperformed",
    "use_shortest_path_swap_active",
    "use_shortest_path_two_opt",
    "use_swap_active_chain",
    "use_make_chain_inactive",
    "use_exchange_subtrip",
    "use_relocate_subtrip",
    "use_global_cheapest_insertion_visit_types_lns",
    "use_local_cheapest_insertion_visit_types_lns",
)
#: Seconds one repair descent may take when the run is limited by ``iterations``.
_ROUND_CAP = 60.0


def _parameters(strategy: str | None, seconds: float) -> Any:
    """Search parameters: a first-solution heuristic (or none) followed by a descent."""
    params = pywrapcp.DefaultRoutingSearchParameters()
    enums = routing_enums_pb2
    params.first_solution_strategy = getattr(
        enums.FirstSolutionStrategy, strategy or "PARALLEL_CHEAPEST_INSERTION"
    )
    params.local_search_metaheuristic = enums.LocalSearchMetaheuristic.GREEDY_DESCENT
    params.time_limit.FromMilliseconds(max(10, int(1000 * seconds)))
    operators = params.local_search_operators
    for name in _SLOW_OPERATORS:
        setattr(operators, name, optional_boolean_pb2.BOOL_FALSE)
    return params


class _Model:
    """A RoutingModel of one problem, with the helpers to read its solutions."""

    def __init__(
        self, problem: DayProblem, ticks: IntegerProblem, seed: int, vehicles: int, *, soft: bool
    ) -> None:
        self.problem = problem
        self.vehicles = vehicles
        self.manager = pywrapcp.RoutingIndexManager(problem.size + 1, vehicles, 0)
        self.routing = pywrapcp.RoutingModel(self.manager)
        self.routing.solver().ReSeed(int(seed))
        _add_cost(self.routing, ticks)
        self.time = _add_time(self.routing, self.manager, ticks, vehicles)
        _add_load(self.routing, self.manager, ticks, vehicles)
        _add_drops(self.routing, self.manager, ticks, soft=soft)

    def node_routes(self, assignment: Any) -> list[list[int]]:
        """The non-empty routes of an assignment as problem nodes."""
        routes = []
        for vehicle in range(self.vehicles):
            index = assignment.Value(self.routing.NextVar(self.routing.Start(vehicle)))
            route = []
            while not self.routing.IsEnd(index):
                route.append(self.manager.IndexToNode(index))
                index = assignment.Value(self.routing.NextVar(index))
            if route:
                routes.append(route)
        return routes

    def index_routes(self, routes: list[list[int]]) -> list[list[int]]:
        """Routing indices per vehicle (empty lists for idle ones) of node routes."""
        indexed = [[self.manager.NodeToIndex(n) for n in route] for route in routes]
        return indexed + [[] for _ in range(self.vehicles - len(indexed))]

    def read(self, assignment: Any) -> DaySolution:
        """The :class:`DaySolution` of an assignment."""
        return _read_solution(
            self.problem, self.routing, self.manager, self.time, assignment, self.vehicles
        )


def _add_cost(routing: Any, ticks: IntegerProblem) -> None:
    callback = routing.RegisterTransitMatrix(ticks.cost.tolist())
    routing.SetArcCostEvaluatorOfAllVehicles(callback)


def _add_time(routing: Any, manager: Any, ticks: IntegerProblem, vehicles: int) -> Any:
    transit = ticks.travel + ticks.service[:, None]
    callback = routing.RegisterTransitMatrix(transit.tolist())
    horizon = int(ticks.latest[0])
    routing.AddDimension(callback, horizon, horizon, False, "time")
    dimension = routing.GetDimensionOrDie("time")
    for node in range(1, len(ticks.service)):
        index = manager.NodeToIndex(node)
        dimension.CumulVar(index).SetRange(int(ticks.earliest[node]), int(ticks.latest[node]))
    for vehicle in range(vehicles):
        for index in (routing.Start(vehicle), routing.End(vehicle)):
            dimension.CumulVar(index).SetRange(int(ticks.earliest[0]), horizon)
        if ticks.max_duration is not None:
            dimension.SetSpanUpperBoundForVehicle(int(ticks.max_duration), vehicle)
        routing.AddVariableMaximizedByFinalizer(dimension.CumulVar(routing.Start(vehicle)))
        routing.AddVariableMinimizedByFinalizer(dimension.CumulVar(routing.End(vehicle)))
    if ticks.breaks is not None:
        start, end, minutes = ticks.breaks
        solver = routing.solver()
        visit_transits = [
            int(ticks.service[manager.IndexToNode(index)])
            for index in range(routing.Size() + vehicles)
        ]
        for vehicle in range(vehicles):
            interval = solver.FixedDurationIntervalVar(
                start, end, minutes, False, f"break {vehicle}"
            )
            dimension.SetBreakIntervalsOfVehicle([interval], vehicle, visit_transits)
    return dimension


def _add_load(routing: Any, manager: Any, ticks: IntegerProblem, vehicles: int) -> None:
    if ticks.demand is None or ticks.capacity is None:
        return
    callback = routing.RegisterUnaryTransitVector(ticks.demand.tolist())
    routing.AddDimensionWithVehicleCapacity(
        callback, 0, [int(ticks.capacity)] * vehicles, True, "load"
    )


def _add_drops(routing: Any, manager: Any, ticks: IntegerProblem, *, soft: bool) -> None:
    """Optional visits get their penalty; with ``soft``, mandatory ones a huge one."""
    n = len(ticks.service) - 1
    if ticks.drop_penalty is None and not soft:
        return
    # Leaving out one mandatory visit costs more than any set of routes.
    mandatory = int(2 * (n + 1) * max(1, int(ticks.cost.max())) + 1)
    for node in range(1, n + 1):
        penalty = mandatory if ticks.drop_penalty is None else int(ticks.drop_penalty[node])
        routing.AddDisjunction([manager.NodeToIndex(node)], penalty)


def _read_solution(
    problem: DayProblem,
    routing: Any,
    manager: Any,
    dimension: Any,
    assignment: Any,
    vehicles: int,
) -> DaySolution:
    routes: list[list[int]] = []
    starts: list[list[float]] = []
    used: list[int] = []
    for vehicle in range(vehicles):
        index = assignment.Value(routing.NextVar(routing.Start(vehicle)))
        nodes: list[int] = []
        times: list[float] = []
        while not routing.IsEnd(index):
            nodes.append(manager.IndexToNode(index))
            times.append(assignment.Value(dimension.CumulVar(index)) / TIME_SCALE)
            index = assignment.Value(routing.NextVar(index))
        if nodes:
            routes.append(nodes)
            starts.append(times)
            used.append(vehicle)
    break_starts: list[float | None] = [None] * len(routes)
    if problem.breaks is not None:
        intervals = assignment.IntervalVarContainer()
        by_name = {
            intervals.Element(i).Var().Name(): intervals.Element(i).StartValue()
            for i in range(intervals.Size())
        }
        break_starts = [by_name.get(f"break {vehicle}") for vehicle in used]
        break_starts = [None if b is None else b / TIME_SCALE for b in break_starts]
    routed = {node for route in routes for node in route}
    dropped = sorted(set(range(1, problem.size + 1)) - routed)
    return DaySolution(
        routes=routes,
        starts=starts,
        dropped=dropped,
        cost=float(sum(route_cost(problem, route) for route in routes)),
        feasible=problem.drop_penalty is not None or not dropped,
        break_starts=break_starts,
    )
