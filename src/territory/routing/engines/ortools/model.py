"""The OR-Tools RoutingModel of a :class:`DayProblem` and the helpers around it.

Model: integer ticks from :func:`to_integers` (travel rounded up); a time dimension
whose transit is service plus travel, with every node's window, the shift at the
depot, a span limit for ``max_duration`` and one break interval per vehicle; a load
dimension for ``capacity``; a disjunction with its penalty per optional visit (and,
in a *soft* model, a prohibitive one per mandatory visit, so that a partial solution
is a valid starting point).

:func:`sub_ticks` cuts the integer problem down to a subset of the visits; the
search in :mod:`territory.routing.engines.ortools.search` repairs a few routes at a time in
such a sub-model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2
from ortools.util import optional_boolean_pb2

from territory.routing.engines.check import route_cost
from territory.routing.engines.problem import TIME_SCALE, DayProblem, DaySolution, IntegerProblem

__all__ = ["Candidate", "Model", "objective", "parameters", "penalties", "sub_ticks"]


@dataclass(frozen=True)
class Candidate:
    """A solution during the search: objective in ticks and routes as node lists.

    ``assignment`` is a copy of an OR-Tools assignment of these routes (with times
    and breaks) and ``model`` its :class:`Model` (kept alive with it), or both are
    ``None`` when the routes were found in another model.
    """

    objective: int
    routes: list[list[int]]
    assignment: Any = None
    model: Any = None


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


def parameters(strategy: str | None, seconds: float) -> Any:
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


class Model:
    """A RoutingModel of an integer problem, with the helpers to read its solutions.

    Parameters
    ----------
    problem
        The float problem, needed only by :meth:`read` (``None`` for a sub-model).
    ticks
        The integer problem that is modelled.
    seed
        Seed of the solver's random generator.
    vehicles
        Vehicles in the model.
    soft
        Whether mandatory visits get a prohibitive penalty instead of being required.
    """

    def __init__(
        self,
        problem: DayProblem | None,
        ticks: IntegerProblem,
        seed: int,
        vehicles: int,
        *,
        soft: bool,
    ) -> None:
        self.problem = problem
        self.vehicles = vehicles
        self.manager = pywrapcp.RoutingIndexManager(len(ticks.service), vehicles, 0)
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

    def candidate(self, assignment: Any) -> Candidate:
        """A :class:`Candidate` holding a copy of ``assignment`` (the solver reuses it)."""
        kept = self.routing.solver().Assignment(assignment)
        return Candidate(assignment.ObjectiveValue(), self.node_routes(assignment), kept, self)

    def restore(self, routes: list[list[int]]) -> Candidate | None:
        """The candidate of node routes in this model, or ``None`` if they do not fit."""
        assignment = self.routing.ReadAssignmentFromRoutes(self.index_routes(routes), True)
        return None if assignment is None else self.candidate(assignment)

    def index_routes(self, routes: list[list[int]]) -> list[list[int]]:
        """Routing indices per vehicle (empty lists for idle ones) of node routes."""
        indexed = [[self.manager.NodeToIndex(n) for n in route] for route in routes]
        return indexed + [[] for _ in range(self.vehicles - len(indexed))]

    def read(self, assignment: Any) -> DaySolution:
        """The :class:`DaySolution` of an assignment (of a model with a ``problem``)."""
        assert self.problem is not None, "a sub-model has no DaySolution"
        return _read_solution(
            self.problem, self.routing, self.manager, self.time, assignment, self.vehicles
        )


def sub_ticks(ticks: IntegerProblem, nodes: list[int]) -> IntegerProblem:
    """The integer problem restricted to the depot and ``nodes`` (in that order).

    Node ``i`` of the result is ``nodes[i - 1]`` of ``ticks``.
    """
    index = np.asarray([0, *nodes], dtype=np.int64)
    square = np.ix_(index, index)

    def pick(values: Any) -> Any:
        return None if values is None else values[index]

    return IntegerProblem(
        travel=ticks.travel[square],
        service=ticks.service[index],
        earliest=ticks.earliest[index],
        latest=ticks.latest[index],
        cost=ticks.cost[square],
        demand=pick(ticks.demand),
        capacity=ticks.capacity,
        max_duration=ticks.max_duration,
        drop_penalty=pick(ticks.drop_penalty),
        breaks=ticks.breaks,
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


def penalties(ticks: IntegerProblem) -> Any:
    """Cost of leaving out each node in a soft model (entry 0, the depot, is 0).

    Optional visits cost their penalty; a mandatory visit costs more than any set of
    routes, so a solution that routes it is always better.
    """
    n = len(ticks.service) - 1
    if ticks.drop_penalty is not None:
        values = ticks.drop_penalty.copy()
    else:
        values = np.full(n + 1, 2 * (n + 1) * max(1, int(ticks.cost.max())) + 1, dtype=np.int64)
    values[0] = 0
    return values


def objective(ticks: IntegerProblem, routes: list[list[int]], dropped: Any) -> int:
    """The objective of a soft model for node routes: arc costs plus penalties.

    ``dropped`` is :func:`penalties` of ``ticks`` (passed in, as it is reused).
    """
    routed = [node for route in routes for node in route]
    total = int(dropped.sum()) - int(dropped[routed].sum())
    for route in routes:
        path = [0, *route, 0]
        total += int(ticks.cost[path[:-1], path[1:]].sum())
    return total


def _add_drops(routing: Any, manager: Any, ticks: IntegerProblem, *, soft: bool) -> None:
    """Optional visits get their penalty; with ``soft``, mandatory ones a huge one."""
    if ticks.drop_penalty is None and not soft:
        return
    values = penalties(ticks)
    for node in range(1, len(ticks.service)):
        routing.AddDisjunction([manager.NodeToIndex(node)], int(values[node]))


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
