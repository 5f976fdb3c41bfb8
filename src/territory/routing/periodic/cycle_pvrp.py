"""The periodic VRP solved by the planner's own cycle search.

:func:`search_cycle` hands a :class:`~territory.routing.periodic.PeriodicInstance` to
:class:`~territory.routing.periodic.cycle_search.CycleSearch`, the search behind
``plan_routes``: the instance's days become the cycle, its ``m`` vehicles the routes of
each day, its allowed day combinations the customers' patterns, its duration limit the
working day (duration = travel + service, no time windows) and its capacity the load a
route may carry. The search starts from the sweep construction of
:class:`~territory.routing.periodic.dayplan.DayPlan` when that is feasible, and from
nothing otherwise (it then places every customer where it fits); whatever it cannot
place stays missing and shows in the solution's check.
"""

from __future__ import annotations

import time

import numpy as np

from territory.routing.budget import Budget
from territory.routing.options import PlanOptions
from territory.routing.periodic.cycle_search import CycleProblem, CycleSearch
from territory.routing.periodic.dayplan import DayPlan
from territory.routing.periodic.instance import PeriodicInstance
from territory.routing.timing import DayShape

__all__ = ["cycle_problem", "search_cycle"]


def cycle_problem(
    instance: PeriodicInstance, combinations: list[list[tuple[int, ...]]]
) -> CycleProblem:
    """The instance as a cycle: node ``i`` is customer ``i``, node 0 the depot.

    Parameters
    ----------
    instance
        The periodic VRP (one duration limit and one capacity for every day).
    combinations
        Usable 0-based day combinations per node (entry 0 for the depot).
    """
    n = instance.size
    dist = np.array(instance.distance, dtype=float)
    service = np.asarray(instance.service, dtype=float).copy()
    service[0] = 0.0
    horizon = float(service.sum() + (n + 2) * dist.max() + 1.0)
    limit = float(instance.max_duration[0])
    day_end = limit if np.isfinite(limit) else horizon
    shape = DayShape(
        travel=dist,
        service=service,
        earliest=np.zeros(n + 1),
        latest=np.full(n + 1, day_end + horizon),
        day_start=0.0,
        day_end=day_end,
        lunch=None,
    )
    return CycleProblem(
        shape=shape,
        working=(True,) * instance.days,
        visits=np.asarray(instance.frequency[1:], dtype=np.int64),
        weight=np.ones(n),
        patterns=[list(c) for c in combinations[1:]],
        irregular=[np.zeros(len(c)) for c in combinations[1:]],
        options=PlanOptions(regularity_minutes=0.0),
        vehicles=instance.vehicles,
        demand=np.asarray(instance.demand[1:], dtype=float),
        capacity=float(instance.capacity[0]),
    )


def _start(plan: DayPlan) -> list[list[int]]:
    """The plan's routes as ``m`` routes per day (empty ones filled in)."""
    m = plan.instance.vehicles
    routes: list[list[int]] = []
    for day in plan.routes:
        routes.extend(list(r) for r in day[:m])
        routes.extend([] for _ in range(m - min(m, len(day))))
    return routes


def search_cycle(
    plan: DayPlan, seconds: float, seed: int, max_rounds: int | None
) -> tuple[DayPlan, int]:
    """Improve ``plan`` with the cycle search for ``seconds``; return the best and rounds.

    Parameters
    ----------
    plan
        A constructed plan; used as the start only when it is feasible.
    seconds
        Time for the search.
    seed
        Seed of the search.
    max_rounds
        Optional work limit (rounds).
    """
    instance = plan.instance
    problem = cycle_problem(instance, plan.options)
    m = instance.vehicles
    start = _start(plan) if plan.violation() == 0 else [[] for _ in range(instance.days * m)]
    search = CycleSearch(problem, start, seed)
    report = search.run(Budget(seconds, time.time() + seconds).start(), max_rounds)
    best = plan.copy()
    for day in range(instance.days):
        best.set_day(day, search.routes[day * m : (day + 1) * m])
    for customer in range(1, instance.size + 1):
        days = tuple(sorted(search.days_of[customer - 1]))
        best.chosen[customer] = days or None
    return best, report.rounds
