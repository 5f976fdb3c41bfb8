"""Whole-period re-optimisation with PyVRP (used by :func:`solve_pvrp` with ``"pyvrp"``).

The day-by-day engine cannot move a customer to another day. This module builds one
PyVRP model of the whole period: one vehicle type per day (``m`` vehicles, the day's
capacity and duration limit) whose shift is a time slot of its own, so that a visit
whose time window is the slot of day ``d`` can only be served by a vehicle of day
``d``. Multi-visit customers keep their current combination (one required visit per
day). A customer with one visit and several allowed days becomes one visit whose time
window spans the slots of those days, so that PyVRP chooses its day with its ordinary
moves between routes; when its allowed days are not consecutive, it becomes a group
of such visits, one per run of consecutive days, of which exactly one is made. The
current plan is the initial solution; the result replaces it only when it is
feasible and cheaper.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Collection
from typing import Any

import numpy as np

from territory.routing.engines import COST_SCALE, DEMAND_SCALE, TIME_SCALE
from territory.routing.periodic.dayplan import DayPlan

__all__ = [
    "candidate_visits",
    "day_runs",
    "improve_jointly",
    "joint_available",
    "replace_if_better",
    "routes_around",
]

logger = logging.getLogger("territory")


def joint_available() -> bool:
    """Whether PyVRP can be imported."""
    try:
        import pyvrp  # noqa: F401
    except ImportError:
        return False
    return True


def routes_around(plan: DayPlan, region: Collection[int] | None) -> list[list[int]]:
    """Per day, the indices of the routes that visit a customer of ``region`` (all: ``None``)."""
    if region is None:
        return [list(range(len(day))) for day in plan.routes]
    inside = set(region)
    return [
        [r for r, route in enumerate(day) if not inside.isdisjoint(route)] for day in plan.routes
    ]


def model_days(plan: DayPlan, region: Collection[int] | None) -> list[int]:
    """The days of a model around ``region``: all days, or those with a route around it."""
    if region is None:
        return list(range(plan.instance.days))
    return [d for d, routes in enumerate(routes_around(plan, region)) if routes]


def day_runs(days: Collection[int], model: list[int]) -> list[tuple[int, int]]:
    """``days`` as maximal runs of consecutive ``model`` days, ``(first, last)`` each.

    Consecutive means with no day of ``model`` (sorted) between them that is not in
    ``days``; days outside the model may lie between (they have no vehicle). Days of
    ``days`` outside ``model`` are left out.
    """
    runs: list[tuple[int, int]] = []
    wanted = set(days)
    open_run: list[int] = []
    for d in model:
        if d in wanted:
            open_run.append(d)
        elif open_run:
            runs.append((open_run[0], open_run[-1]))
            open_run = []
    if open_run:
        runs.append((open_run[0], open_run[-1]))
    return runs


def candidate_visits(
    plan: DayPlan,
    free: Collection[int] | None = None,
    region: Collection[int] | None = None,
) -> tuple[list[tuple[int, int, int]], list[list[int]]]:
    """The visits a whole-period model may make, and the groups of alternatives.

    A visit may be made on any day of a span: the model gives it a time window from
    the first day's slot to the end of the last day's, and a vehicle of a day can
    only serve it within that day's slot. A one-visit customer free to change day is
    one visit spanning its allowed days when they are consecutive among the model's
    days (so that PyVRP moves it between days with its ordinary moves between
    routes), else a group of such visits, one per run of consecutive allowed days.

    Parameters
    ----------
    plan
        The current plan.
    free
        One-visit customers whose day the model may change (default all); the others
        keep their current day.
    region
        Customers the model is around (default all): only the visits on the routes
        around them (:func:`routes_around`) are candidates, and a free customer's
        days are those of its allowed days that have such a route.

    Returns
    -------
    visits
        ``(customer, first day, last day)`` per candidate visit (0-based days): one
        per day of the current combination of a multi-visit customer (first = last),
        and one per run of allowed days of a free one-visit customer.
    groups
        Per free one-visit customer with more than one run, the indices of its
        alternative visits (exactly one of them is made).
    """
    in_model = model_days(plan, region)
    on: dict[int, list[int]] = {}  # customer -> its days on a route in the model
    for d, routes in enumerate(routes_around(plan, region)):
        for r in routes:
            for c in plan.routes[d][r]:
                on.setdefault(c, []).append(d)
    visits: list[tuple[int, int, int]] = []
    groups: list[list[int]] = []
    for c in sorted(on):
        if plan.instance.frequency[c] == 1 and (free is None or c in free):
            runs = day_runs([o[0] for o in plan.options[c]], in_model)
            # A customer off its allowed days (never so in a plan) keeps its day.
            if any(first <= on[c][0] <= last for first, last in runs):
                if len(runs) > 1:
                    groups.append(list(range(len(visits), len(visits) + len(runs))))
                visits.extend((c, first, last) for first, last in runs)
                continue
        visits.extend((c, d, d) for d in sorted(on[c]))
    return visits, groups


def replace_if_better(plan: DayPlan, routes: list[list[list[int]]]) -> bool:
    """Put ``routes`` (customers per route per day) into ``plan`` if feasible and cheaper."""
    days = plan.instance.days
    visited: dict[int, list[int]] = {c: [] for c in range(1, plan.instance.size + 1)}
    for d in range(days):
        for route in routes[d]:
            for c in route:
                visited[c].append(d)
    candidate = plan.copy()
    for d in range(days):
        candidate.set_day(d, routes[d])
    for c, on in visited.items():
        chosen = tuple(sorted(on))
        if chosen not in plan.options[c]:
            logger.warning("pvrp: whole-period run broke customer %d's combination; ignored", c)
            return False
        candidate.chosen[c] = chosen
    if candidate.violation() > 0 or candidate.cost() >= plan.cost() - 1e-9:
        return False
    plan.routes, plan.chosen = candidate.routes, candidate.chosen
    for d in range(days):
        plan.set_day(d, plan.routes[d])
    return True


def _ceil(values: Any, scale: int) -> Any:
    return np.ceil(np.asarray(values, dtype=float) * scale - 1e-9).astype(np.int64)


def improve_jointly(
    plan: DayPlan,
    seconds: float,
    seed: int,
    iterations: int | None = None,
    free: Collection[int] | None = None,
    region: Collection[int] | None = None,
    history: int | None = None,
) -> bool:
    """Re-optimise routes and single-visit days of ``plan`` in one PyVRP run.

    Parameters
    ----------
    plan
        The current plan; changed in place when a cheaper feasible plan is found.
    seconds
        PyVRP run time.
    seed
        PyVRP seed.
    iterations
        Optional PyVRP iteration limit (reproducible runs); ``seconds`` stays a cap.
    free
        One-visit customers whose day may change (default all); the others keep their
        current day.
    region
        Customers to re-optimise around (default the whole plan): the model holds only
        the routes that visit one of them (:func:`routes_around`) and, on their days,
        the vehicles not in use; the other routes stay as they are. A small model
        computes its neighbourhoods and makes its iterations much faster.
    history
        Length of the late-acceptance history of PyVRP's iterated local search
        (``None``: PyVRP's default, 300). Until the history is full, PyVRP accepts any
        candidate cheaper than the initial solution, so a run of fewer iterations than
        the history walks among such candidates; a short history makes a short run
        greedier.

    Returns
    -------
    bool
        Whether the plan was replaced.
    """
    from pyvrp import (
        Client,
        ClientGroup,
        Depot,
        IteratedLocalSearchParams,
        Location,
        ProblemData,
        Route,
        Solution,
        SolveParams,
        VehicleType,
    )
    from pyvrp import solve as pyvrp_solve
    from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria

    inst, days = plan.instance, plan.instance.days
    n = inst.size
    travel = _ceil(plan.dist, TIME_SCALE)
    service = _ceil(inst.service, TIME_SCALE)
    demand = _ceil(inst.demand, DEMAND_SCALE)
    bound = int(service.sum() + (n + 2) * travel.max() + 1)
    day_ticks = [
        min(bound, math.floor(inst.max_duration[d] * TIME_SCALE + 1e-9))
        if np.isfinite(inst.max_duration[d])
        else bound
        for d in range(days)
    ]
    slot = max(day_ticks) + 1
    locations = [Location(x=float(inst.x[i]), y=float(inst.y[i])) for i in range(n + 1)]
    owner, alternatives = candidate_visits(plan, free, region)
    if not owner:
        return False
    selected = routes_around(plan, region)
    on_days = model_days(plan, region)
    visit = {(c, d): k for k, (c, first, last) in enumerate(owner) for d in range(first, last + 1)}
    grouped = {k: g for g, members in enumerate(alternatives) for k in members}
    clients = [
        Client(
            location=c,
            delivery=[int(demand[c])],
            service_duration=int(service[c]),
            tw_early=first * slot,
            tw_late=last * slot + day_ticks[last],
            required=k not in grouped,
            group=grouped.get(k),
        )
        for k, (c, first, last) in enumerate(owner)
    ]
    groups = [ClientGroup(members, required=True) for members in alternatives]
    vehicle_types = [
        VehicleType(
            num_available=inst.vehicles - len(plan.routes[d]) + len(selected[d]),
            capacity=[math.floor(inst.capacity[d] * DEMAND_SCALE + 1e-9)],
            tw_early=d * slot,
            tw_late=d * slot + day_ticks[d],
            shift_duration=day_ticks[d],
            name=f"day{d + 1}",
        )
        for d in on_days
    ]
    distance: Any = np.rint(plan.dist * COST_SCALE).astype(np.int64)
    data = ProblemData(
        locations=locations,
        clients=clients,
        depots=[Depot(location=0, tw_early=0, tw_late=days * slot)],
        vehicle_types=vehicle_types,
        distance_matrices=[distance],
        duration_matrices=[travel],
        groups=groups,
    )
    initial = Solution(
        data,
        [
            Route(data, [visit[(c, d)] for c in plan.routes[d][r]], vehicle_type)
            for vehicle_type, d in enumerate(on_days)
            for r in selected[d]
        ],
    )
    with warnings.catch_warnings():
        # PyVRP warns when its penalties saturate; the result is checked below anyway.
        warnings.simplefilter("ignore", UserWarning)
        stop: Any = MaxRuntime(max(seconds, 0.05))
        if iterations is not None:
            stop = MultipleCriteria([MaxIterations(iterations), stop])
        ils = (
            IteratedLocalSearchParams()
            if history is None
            else IteratedLocalSearchParams(history_length=history)
        )
        result = pyvrp_solve(
            data,
            stop,
            seed=seed,
            collect_stats=False,
            display=False,
            params=SolveParams(ils=ils),
            initial_solution=initial,
        )
    best = result.best
    if not best.is_feasible():
        logger.debug("pvrp: joint PyVRP run found no feasible plan")
        return False
    # The routes outside the model stay; the model's routes replace the others.
    new_routes = [
        [route for r, route in enumerate(plan.routes[d]) if r not in in_model]
        for d, in_model in enumerate(map(set, selected))
    ]
    for route in best.routes():
        d = on_days[int(route.vehicle_type())]
        customers = [owner[int(a.idx)][0] for a in route.schedule() if a.is_client()]
        if customers:
            new_routes[d].append(customers)
    return replace_if_better(plan, new_routes)
