"""An independent feasibility check of a :class:`DaySolution` on the unrounded data.

The engines work on scaled, rounded integers; this module re-walks every route with the
original float minutes so that a rounding or modelling slip in an engine shows up as a
readable violation instead of a late arrival in the field.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise

import numpy as np

from territory.routing.engines.problem import DayProblem, DaySolution

__all__ = ["check_solution", "route_cost"]

_INFEASIBLE = math.inf


def route_cost(problem: DayProblem, route: Sequence[int]) -> float:
    """Sum of arc costs of ``route`` (depot at both ends implied).

    Parameters
    ----------
    problem
        The problem whose ``cost`` (or ``travel``) matrix is used.
    route
        Visit nodes in order.

    Returns
    -------
    float
        The route's cost; ``0.0`` for an empty route.

    Examples
    --------
    >>> import numpy as np
    >>> from territory.routing.engines.problem import DayProblem
    >>> t = np.array([[0.0, 2.0, 3.0], [2.0, 0.0, 1.0], [3.0, 1.0, 0.0]])
    >>> p = DayProblem(t, np.zeros(3), np.zeros(3), np.full(3, 100.0))
    >>> route_cost(p, [1, 2])
    6.0
    """
    if not route:
        return 0.0
    nodes = [0, *route, 0]
    matrix = problem.arc_cost
    return float(sum(matrix[a, b] for a, b in pairwise(nodes)))


def _walk(
    problem: DayProblem, route: Sequence[int], departure: float, break_gap: int | None
) -> tuple[list[float], float]:
    """Earliest start-of-service times and return time when leaving at ``departure``.

    ``break_gap`` ``g`` puts the break on the way into the ``g``-th node of the route
    (``g == len(route)`` is the way home). The break is taken as late as the drive
    allows: ``arrival = max(leave + travel, break_earliest) + minutes``, possible only
    while ``leave <= break_latest``. Windows are not enforced here: starts may exceed
    ``latest``; an impossible break gives an infinite return time.
    """
    starts: list[float] = []
    previous, leave = 0, departure
    for position, node in enumerate([*route, 0]):
        arrival = leave + float(problem.travel[previous, node])
        if break_gap == position and problem.breaks is not None:
            b_earliest, b_latest, minutes = problem.breaks
            if leave > b_latest:
                return starts, _INFEASIBLE
            arrival = max(arrival, b_earliest) + minutes
        if node == 0:
            return starts, arrival
        start = max(arrival, float(problem.earliest[node]))
        starts.append(start)
        previous, leave = node, start + float(problem.service[node])
    raise AssertionError("unreachable")  # pragma: no cover


def _on_time(
    problem: DayProblem, route: Sequence[int], starts: list[float], back: float, tol: float
) -> bool:
    if math.isinf(back):
        return False
    late = [s > problem.latest[n] + tol for n, s in zip(route, starts, strict=True)]
    return not any(late) and back <= problem.latest[0] + tol


def _latest_departure(
    problem: DayProblem,
    route: Sequence[int],
    break_gap: int | None,
    tol: float,
    extra_back: float | None,
) -> float | None:
    """Latest departure keeping the route on time (and back by ``extra_back``), if any."""

    def ok(departure: float) -> bool:
        starts, back = _walk(problem, route, departure, break_gap)
        if extra_back is not None and back > extra_back + tol:
            return False
        return _on_time(problem, route, starts, back, tol)

    low = float(problem.earliest[0])
    if not ok(low):
        return None
    high = float(problem.latest[0])
    if ok(high):
        return high
    for _ in range(60):
        middle = (low + high) / 2
        if ok(middle):
            low = middle
        else:
            high = middle
    return low


def _duration(
    problem: DayProblem, route: Sequence[int], departure: float, break_gap: int | None
) -> float:
    return _walk(problem, route, departure, break_gap)[1] - departure


def _route_fits(problem: DayProblem, route: Sequence[int], tol: float) -> bool:
    """Whether some departure time (and break placement) meets every time constraint."""
    limit = math.inf if problem.max_duration is None else problem.max_duration + tol
    if problem.breaks is None:
        latest = _latest_departure(problem, route, None, tol, None)
        return latest is not None and _duration(problem, route, latest, None) <= limit
    b_earliest, b_latest, minutes = problem.breaks
    # Break at home before leaving: leave no earlier than the break's end.
    latest = _latest_departure(problem, route, None, tol, None)
    if (
        latest is not None
        and latest + tol >= b_earliest + minutes
        and _duration(problem, route, latest, None) <= limit
    ):
        return True
    # Break at home after the route: be back before the break must start.
    latest = _latest_departure(problem, route, None, tol, b_latest)
    if latest is not None and _duration(problem, route, latest, None) <= limit:
        return True
    # Break on the way into one of the nodes (or on the way home).
    for gap in range(len(route) + 1):
        latest = _latest_departure(problem, route, gap, tol, None)
        if latest is not None and _duration(problem, route, latest, gap) <= limit:
            return True
    return False


def _time_violations(problem: DayProblem, index: int, route: list[int], tol: float) -> list[str]:
    if _route_fits(problem, route, tol):
        return []
    starts, back = _walk(problem, route, float(problem.earliest[0]), None)
    found = [
        f"route {index}: node {node} starts at {start:.3f}, "
        f"after its latest {problem.latest[node]:.3f}"
        for node, start in zip(route, starts, strict=True)
        if start > problem.latest[node] + tol
    ]
    if back > problem.latest[0] + tol:
        found.append(
            f"route {index}: returns at {back:.3f}, after the shift end {problem.latest[0]:.3f}"
        )
    if found:
        return found
    if problem.breaks is not None:
        no_break_fits = _route_fits(
            DayProblem(
                problem.travel,
                problem.service,
                problem.earliest,
                problem.latest,
                max_duration=problem.max_duration,
            ),
            route,
            tol,
        )
        if no_break_fits:
            return [
                f"route {index}: no room for the break {problem.breaks} (start, latest, minutes)"
            ]
    latest = _latest_departure(problem, route, None, tol, None)
    shortest = math.inf if latest is None else _duration(problem, route, latest, None)
    return [
        f"route {index}: shortest duration {shortest:.3f} "
        f"exceeds max_duration {problem.max_duration}"
    ]


def _reported_start_violations(problem: DayProblem, solution: DaySolution, tol: float) -> list[str]:
    found: list[str] = []
    if not solution.starts:
        return found
    if len(solution.starts) != len(solution.routes):
        return [f"starts has {len(solution.starts)} entries for {len(solution.routes)} routes"]
    for index, (route, starts) in enumerate(zip(solution.routes, solution.starts, strict=True)):
        if len(route) != len(starts):
            found.append(f"route {index}: {len(starts)} start times for {len(route)} visits")
            continue
        previous, ready = 0, float(problem.earliest[0])
        for node, start in zip(route, starts, strict=True):
            if not problem.earliest[node] - tol <= start <= problem.latest[node] + tol:
                found.append(
                    f"route {index}: reported start {start:.3f} of node {node} "
                    "is outside its window"
                )
            if start < ready + problem.travel[previous, node] - tol:
                found.append(
                    f"route {index}: reported start {start:.3f} of node {node} "
                    "is too early to get there"
                )
            previous, ready = node, start + float(problem.service[node])
    return found


def check_solution(problem: DayProblem, solution: DaySolution, tol: float = 1e-3) -> list[str]:
    """Re-check a solution on the unrounded data and list every violation.

    Checks: every visit at most once and (unless droppable) at least once, dropped
    visits consistent with the routes, at most ``vehicles`` routes, capacity, time
    windows at every node and at the depot, the break (if any), the route duration,
    the reported start times and the reported cost. Arrival times are recomputed from
    the travel matrix, leaving home as late as possible when ``max_duration`` is set.

    Parameters
    ----------
    problem
        The problem as given to the engine (float minutes, not rounded).
    solution
        The engine's answer.
    tol
        Tolerance in minutes (and cost units) for every comparison.

    Returns
    -------
    list of str
        One human-readable line per violation; empty when the solution is feasible.

    Examples
    --------
    >>> import numpy as np
    >>> from territory.routing.engines.problem import DayProblem, DaySolution
    >>> t = np.array([[0.0, 10.0], [10.0, 0.0]])
    >>> p = DayProblem(t, np.zeros(2), np.array([0.0, 0.0]), np.array([100.0, 5.0]))
    >>> check_solution(p, DaySolution(routes=[[1]], cost=20.0))
    ['route 0: node 1 starts at 10.000, after its latest 5.000']
    """
    found: list[str] = []
    n = problem.size
    seen: dict[int, int] = {}
    for index, route in enumerate(solution.routes):
        for node in route:
            if not 1 <= node <= n:
                found.append(f"route {index}: node {node} is not a visit (1..{n})")
            elif node in seen:
                found.append(f"route {index}: node {node} is also visited by route {seen[node]}")
            else:
                seen[node] = index
    if len(solution.routes) > problem.vehicles:
        found.append(f"{len(solution.routes)} routes for {problem.vehicles} vehicles")
    missing = sorted(set(range(1, n + 1)) - set(seen))
    if problem.drop_penalty is None:
        if missing:
            found.append(
                f"visits not routed: {missing[:10]}" + (" ..." if len(missing) > 10 else "")
            )
        if solution.dropped:
            found.append(f"visits dropped although none is optional: {solution.dropped[:10]}")
    else:
        if sorted(solution.dropped) != missing:
            found.append(f"dropped {sorted(solution.dropped)[:10]} but not routed {missing[:10]}")
    if problem.demand is not None and problem.capacity is not None:
        for index, route in enumerate(solution.routes):
            load = float(np.sum(problem.demand[[v for v in route if 1 <= v <= n]]))
            if load > problem.capacity + tol:
                found.append(f"route {index}: load {load:g} exceeds capacity {problem.capacity:g}")
    for index, route in enumerate(solution.routes):
        if route and all(1 <= v <= n for v in route):
            found.extend(_time_violations(problem, index, route, tol))
    found.extend(_reported_start_violations(problem, solution, tol))
    if all(1 <= v <= n for route in solution.routes for v in route):
        total = sum(route_cost(problem, route) for route in solution.routes)
        if abs(total - solution.cost) > tol * max(1.0, abs(total)):
            found.append(
                f"reported cost {solution.cost:.3f} differs from the routes' cost {total:.3f}"
            )
    return found
