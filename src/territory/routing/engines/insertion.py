"""One day, one vehicle: a fast feasibility walk and cheapest feasible insertion.

Shared by the ``local`` engine (:mod:`territory.routing.engines.local`) and the OR-Tools
engine's one-vehicle starts and repairs. :class:`DayModel` holds a
:class:`~territory.routing.engines.DayProblem` as plain lists; its ``fits`` follows the
lunch rule of :func:`territory.routing.timing.schedule_day` in one forward pass.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from territory.routing.engines.problem import DayProblem
from territory.routing.timing import DayShape

__all__ = ["DayModel", "day_shape", "insertion_order", "insertion_route", "route_fits"]

#: Time tolerance in minutes, as in :mod:`territory.routing.timing`.
_EPS = 1e-6


def day_shape(problem: DayProblem) -> DayShape:
    """The :class:`~territory.routing.timing.DayShape` of a one-vehicle day problem.

    The shift is ``earliest[0]``-``latest[0]`` and the lunch break is ``problem.breaks``.

    Parameters
    ----------
    problem
        The day problem.

    Returns
    -------
    DayShape
        The same day for :func:`~territory.routing.timing.schedule_day`.
    """
    return DayShape(
        travel=problem.travel,
        service=problem.service,
        earliest=problem.earliest,
        latest=problem.latest,
        day_start=float(problem.earliest[0]),
        day_end=float(problem.latest[0]),
        lunch=None if problem.breaks is None else tuple(map(float, problem.breaks)),  # type: ignore[arg-type]
    )


class DayModel:
    """A day problem as plain Python lists (fast scalar access) and numpy arrays."""

    def __init__(self, problem: DayProblem) -> None:
        self.problem = problem
        self.n = problem.size
        self.travel_np = np.asarray(problem.travel, dtype=np.float64)
        self.cost_np = np.asarray(problem.arc_cost, dtype=np.float64)
        self.travel: list[list[float]] = self.travel_np.tolist()
        self.cost: list[list[float]] = self.cost_np.tolist()
        self.service: list[float] = problem.service.tolist()
        self.earliest: list[float] = problem.earliest.tolist()
        self.latest: list[float] = problem.latest.tolist()
        self.start = float(problem.earliest[0])
        self.end = float(problem.latest[0])
        self.lunch: tuple[float, float, float] | None = (
            None if problem.breaks is None else tuple(map(float, problem.breaks))  # type: ignore[assignment]
        )

    def fits(self, route: Sequence[int]) -> bool:
        """Whether ``route`` can be driven on time, lunch included (O(len(route)))."""
        travel, service, earliest, latest = self.travel, self.service, self.earliest, self.latest
        here = 0
        free = self.start  # leaving time, lunch not taken yet
        if self.lunch is None:
            for node in route:
                arrive = free + travel[here][node]
                if arrive < earliest[node]:
                    arrive = earliest[node]
                if arrive > latest[node] + _EPS:
                    return False
                free = arrive + service[node]
                here = node
            return free + travel[here][0] <= self.end + _EPS
        low, high, minutes = self.lunch
        fed = math.inf  # leaving time, lunch taken
        for node in route:
            drive = travel[here][node]
            arrive_fed = fed + drive
            if (free if free > low else low) <= high + _EPS:
                reach = free + drive
                with_break = (reach if reach > low else low) + minutes
                if with_break < arrive_fed:
                    arrive_fed = with_break
            arrive = free + drive
            if arrive < earliest[node]:
                arrive = earliest[node]
            if arrive > latest[node] + _EPS:
                return False  # a break only delays: no label is on time
            free = arrive + service[node]
            if arrive_fed < earliest[node]:
                arrive_fed = earliest[node]
            fed = math.inf if arrive_fed > latest[node] + _EPS else arrive_fed + service[node]
            if fed == math.inf and free > high + _EPS:
                return False  # too late for lunch on every later gap
            here = node
        drive = travel[here][0]
        back = free + drive
        if back <= high + _EPS and back <= self.end + _EPS:
            return True  # home before lunch must start: no break
        back_fed = fed + drive
        if (free if free > low else low) <= high + _EPS:
            reach = free + drive
            back_fed = min(back_fed, (reach if reach > low else low) + minutes)
        return back_fed <= self.end + _EPS

    def route_cost(self, route: Sequence[int]) -> float:
        """Arc cost of ``route`` from home and back."""
        cost = self.cost
        total, here = 0.0, 0
        for node in route:
            total += cost[here][node]
            here = node
        return total + cost[here][0]

    def insert(self, route: list[int], nodes: Sequence[int]) -> list[int] | None:
        """``route`` with ``nodes`` added one by one, each at its cheapest feasible place.

        ``None`` when some node fits nowhere.
        """
        cost_np = self.cost_np
        for node in nodes:
            path = np.asarray([0, *route, 0], dtype=np.int64)
            deltas = (
                cost_np[path[:-1], node] + cost_np[node, path[1:]] - cost_np[path[:-1], path[1:]]
            )
            for position in np.argsort(deltas, kind="stable").tolist():
                candidate = [*route[:position], node, *route[position:]]
                if self.fits(candidate):
                    route = candidate
                    break
            else:
                return None
        return route


def route_fits(problem: DayProblem, route: Sequence[int]) -> bool:
    """Whether one vehicle can drive ``route`` within every window, lunch included.

    The same rule as :func:`territory.routing.timing.schedule_day` (leave home at
    ``earliest[0]``, be back by ``latest[0]``), in one pass without building a schedule.

    Parameters
    ----------
    problem
        The day problem (``max_duration``, demand and penalties are ignored).
    route
        Visit nodes in order.

    Returns
    -------
    bool
        ``True`` when the route is on time everywhere.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.array([[0.0, 10.0], [10.0, 0.0]])
    >>> p = DayProblem(t, np.array([0.0, 30.0]), np.array([480.0, 540.0]),
    ...                np.array([1020.0, 600.0]), breaks=(720.0, 780.0, 45.0))
    >>> route_fits(p, [1])
    True
    """
    return DayModel(problem).fits(route)


def insertion_order(day: DayModel) -> list[int]:
    """Visits with the tightest windows first, then the farthest from home first."""
    nodes = range(1, day.n + 1)
    return sorted(nodes, key=lambda v: (day.latest[v], -day.cost[0][v] - day.cost[v][0], v))


def insertion_route(
    problem: DayProblem,
    *,
    route: Sequence[int] = (),
    visits: Sequence[int] | None = None,
) -> list[int] | None:
    """A cheapest-feasible-insertion route, or ``None`` if it gets stuck.

    Visits are inserted one by one, each at the cheapest place where the route stays
    on time, lunch included. This is the local engine's start, and the OR-Tools
    engine's start and repair on one-vehicle days.

    Parameters
    ----------
    problem
        A one-vehicle day problem.
    route
        Visits already in the route, in order (default: none).
    visits
        Visits to insert, in this order; default: every visit not in ``route``,
        tightest window first, then farthest from home first.

    Returns
    -------
    list of int or None
        Visit nodes in order, or ``None`` when some visit fits nowhere.

    Examples
    --------
    >>> import numpy as np
    >>> xs = np.array([0.0, 3.0, 1.0, 2.0])
    >>> p = DayProblem(np.abs(xs[:, None] - xs), np.zeros(4), np.zeros(4), np.full(4, 100.0))
    >>> insertion_route(p)
    [2, 3, 1]
    >>> insertion_route(p, route=[1, 2], visits=[3])
    [3, 1, 2]
    """
    day = DayModel(problem)
    if visits is None:
        placed = set(route)
        visits = [v for v in insertion_order(day) if v not in placed]
    return day.insert(list(route), visits)
