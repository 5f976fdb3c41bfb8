"""Periodic vehicle routing over explicit day combinations (Cordeau et al. 1997).

:func:`solve_pvrp` works in stages:

1. **construct** -- greedy insertion in sweep order (customers with more visits
   first, then by angle around the depot from a seeded start), each customer on the
   allowed combination whose cheapest insertions cost least; this keeps each day's
   routes in angular sectors;
2. **combination search** -- every customer moves to its cheapest combination,
   priced with removal savings on its days and cheapest insertions on the others
   (numpy estimates on the current routes, no engine call);
3. **routes**, two ways:

   * *day by day* (engine ``"ortools"``, or ``whole_period=False``): each day is a
     capacitated, duration-limited VRP with ``m`` vehicles for the engine; then, until
     the time limit, ruin and recreate the combinations of a cluster of customers, run
     the combination search, re-solve only the days whose customers changed and keep
     the result when it is cheaper; the time left polishes every day of the best plan;
   * *whole period* (engine ``"pyvrp"``): one PyVRP model of all days (see
     :mod:`territory.routing.periodic.joint`) in which PyVRP also chooses the day of each
     one-visit customer, warm-started from the current plan; when multi-visit
     customers have a choice of combination, an adaptive large neighbourhood search
     (:mod:`territory.routing.periodic.alns`) mixes rounds that ruin and recreate the
     combinations of clusters of customers (threshold acceptance, the threshold
     falling to zero in each of several epochs) and rounds
     that re-optimise the routes around one customer, each in a very short PyVRP run
     of the routes concerned.

With ``method="cycle"`` the stage after the construction is the planner's own
periodic search (:mod:`territory.routing.periodic.cycle_pvrp`, the search behind
``plan_routes``); when the engine is PyVRP it has the first quarter of the time and
ends with a whole-period PyVRP run, and the large neighbourhood search above improves
its plan for the rest.

Capacity and duration excesses are penalised heavily in the search; the engines only
return plans that are feasible. The result is checked by :meth:`PeriodicSolution.check`.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import Executor
from functools import partial

import numpy as np

from territory.errors import ValidationError
from territory.executors import worker_count
from territory.routing.engines import DayProblem, Engine, get_engine
from territory.routing.periodic.alns import search_combinations
from territory.routing.periodic.cycle_pvrp import search_cycle
from territory.routing.periodic.dayplan import DayPlan, feasible_combinations
from territory.routing.periodic.instance import (
    PeriodicInstance,
)
from territory.routing.periodic.joint import improve_jointly, joint_available
from territory.routing.periodic.solution import (
    PeriodicRoute,
    PeriodicSolution,
    check_routes,
    route_cost,
)

__all__ = ["solve_pvrp"]

logger = logging.getLogger("territory")

#: Share of the time limit for the first engine run over all days.
INITIAL_SHARE = 0.25
#: Share of the time limit kept for the final polish of the best plan.
POLISH_SHARE = 0.15
#: Share of the time limit the first combination search may use.
SEARCH_SHARE = 0.15
#: Share of the time of ``method="cycle"`` with a whole-period engine for the pass of
#: the cycle search and PyVRP; the combination search has the rest (see
#: :func:`_cycle_method`). Chosen on 16 Cordeau instances at 60 s (benchmarks/README.md).
CYCLE_SHARE = 0.25
#: Share of that pass for its whole-period PyVRP run (PyVRP's moves between the routes
#: of a day are what the cycle search lacks when a day has several vehicles).
CYCLE_POLISH_SHARE = 0.7
#: Shortest engine call, seconds.
MIN_SLICE = 0.1


def _day_problem(plan: DayPlan, day: int, customers: list[int]) -> DayProblem:
    inst = plan.instance
    nodes = np.array([0, *customers], dtype=np.int64)
    travel = plan.dist[np.ix_(nodes, nodes)]
    service = inst.service[nodes].astype(float)
    service[0] = 0.0
    limit = float(inst.max_duration[day])
    horizon = float(service.sum() + len(nodes) * travel.max() + 1.0)
    horizon = min(horizon, limit) if np.isfinite(limit) else horizon
    latest = np.full(len(nodes), horizon)
    return DayProblem(
        travel=travel,
        service=service,
        earliest=np.zeros(len(nodes)),
        latest=latest,
        cost=travel,
        vehicles=inst.vehicles,
        demand=inst.demand[nodes].astype(float),
        capacity=float(inst.capacity[day]),
        max_duration=limit if np.isfinite(limit) else None,
    )


def _resolve_day(
    plan: DayPlan,
    day: int,
    engine: Engine,
    seconds: float,
    seed: int,
    iterations: int | None = None,
) -> bool:
    """Re-solve ``day`` with the engine; keep its routes when cheaper. Returns whether kept."""
    customers = sorted(plan.customers_on(day))
    if not customers:
        return False
    solution = engine.solve(
        _day_problem(plan, day, customers),
        time_limit=max(seconds, MIN_SLICE),
        seed=seed,
        iterations=iterations,
    )
    if not solution.feasible or solution.dropped:
        logger.debug("pvrp: engine found no feasible routes for day %d", day + 1)
        return False
    routes = [[customers[k - 1] for k in route] for route in solution.routes if route]
    visited = sorted(c for route in routes for c in route)
    if visited != customers or len(routes) > plan.instance.vehicles:
        logger.warning("pvrp: engine %s returned an invalid day %d; ignored", engine.name, day + 1)
        return False
    before = plan.day_cost(day)
    previous = plan.routes[day]
    plan.set_day(day, routes)
    if plan.day_cost(day) < before - 1e-9:
        return True
    plan.set_day(day, previous)
    return False


def _solution(plan: DayPlan, engine: str, seconds: float, seed: int) -> PeriodicSolution:
    routes = tuple(
        PeriodicRoute(day + 1, vehicle, tuple(route))
        for day in range(plan.instance.days)
        for vehicle, route in enumerate(plan.routes[day], start=1)
    )
    cost = sum(route_cost(plan.instance, r.customers) for r in routes)
    return PeriodicSolution(plan.instance, routes, cost, engine, seconds, seed)


def _day_rounds(
    plan: DayPlan,
    solver: Engine,
    rng: np.random.Generator,
    deadline: float,
    time_limit: float,
    seed: int,
    max_rounds: int | None,
    iterations: int | None,
) -> tuple[DayPlan, int]:
    """Solve every day with the engine, then ruin and recreate; keep the best."""
    days = plan.instance.days
    polish = POLISH_SHARE * time_limit
    for day in range(days):
        _resolve_day(plan, day, solver, INITIAL_SHARE * time_limit / days, seed, iterations)
    plan.local_search(rng, deadline - polish)
    best, best_cost = plan.copy(), plan.cost()
    slice_seconds = min(2.0, max(MIN_SLICE, time_limit / (15.0 * days)))
    ruin = max(3, min(30, plan.instance.size // 10))
    rounds = 0
    while max_rounds is None or rounds < max_rounds:
        if deadline - time.perf_counter() < polish + slice_seconds:
            break
        rounds += 1
        trial = best.copy()
        before = [trial.customers_on(d) for d in range(days)]
        trial.perturb(rng, int(rng.integers(2, ruin + 1)))
        trial.local_search(rng, deadline - polish)
        for day in range(days):
            if trial.customers_on(day) != before[day]:
                _resolve_day(trial, day, solver, slice_seconds, seed + rounds, iterations)
            elif trial.day_cost(day) > best.day_cost(day):
                trial.set_day(day, best.routes[day])
        cost = trial.cost()
        if cost < best_cost - 1e-9:
            best, best_cost = trial, cost
            logger.debug("pvrp %s: round %d improved to %.2f", plan.instance.name, rounds, cost)
    remaining = deadline - time.perf_counter()
    if remaining > MIN_SLICE * days:
        for day in range(days):
            _resolve_day(best, day, solver, remaining / days * 0.9, seed, iterations)
    return best, rounds


def _cycle_method(
    plan: DayPlan,
    deadline: float,
    seed: int,
    max_rounds: int | None,
    iterations: int | None,
    whole_period: bool,
) -> tuple[DayPlan, int]:
    """``method="cycle"``: the cycle search, then (``whole_period``) the combination search.

    Without a whole-period engine the cycle search has all the time. With one, a pass
    of the cycle search and PyVRP (see :func:`_cycle_pass`) has the first
    :data:`CYCLE_SHARE` of it, and the combination search
    (:func:`~territory.routing.periodic.alns.search_combinations`) the rest, from the
    pass's plan. The two search different neighbourhoods: the cycle search moves
    customers between day combinations priced on the routes, but settles where a
    better plan needs several customers to change combination together, which the
    combination search's ruin and recreate of clusters finds. The cheaper solution of
    the two is returned. A work limit ``max_rounds`` is split in the same shares.
    """
    if not whole_period:
        found, rounds = search_cycle(plan, deadline - time.perf_counter(), seed, max_rounds)
        return _preferred(found, plan), rounds
    first_rounds = rest = None
    if max_rounds is not None:
        first_rounds = round(CYCLE_SHARE * max_rounds)
        rest = max_rounds - first_rounds
    left = max(0.0, deadline - time.perf_counter())
    found, rounds = _cycle_pass(
        plan, time.perf_counter() + CYCLE_SHARE * left, seed, first_rounds, iterations
    )
    best = _preferred(found, plan)
    # The combination search needs every customer on a combination; a construction has that.
    start = best.copy() if best.complete() else plan.copy()
    left = max(0.0, deadline - time.perf_counter())
    rng = np.random.default_rng([seed, 1])  # not the construction's stream
    found, more = search_combinations(start, rng, deadline, left, seed + 1, rest, iterations)
    return _preferred(found, best), rounds + more


def _cycle_pass(
    start: DayPlan, end: float, seed: int, max_rounds: int | None, iterations: int | None
) -> tuple[DayPlan, int]:
    """The cycle search from ``start``, then one whole-period PyVRP run, until ``end``.

    The last :data:`CYCLE_POLISH_SHARE` of the time goes to PyVRP, whose moves between
    the routes of a day are what the cycle search lacks when a day has several
    vehicles. When the cycle search ends without a solution (a visit not placed, or a
    limit exceeded: the construction of a tight instance is often infeasible) PyVRP's
    share goes to the cycle search too (PyVRP re-optimises complete plans only).
    """
    seconds = max(0.0, end - time.perf_counter())
    found, rounds = search_cycle(start, seconds * (1.0 - CYCLE_POLISH_SHARE), seed, max_rounds)
    if not _solved(found):
        left = None if max_rounds is None else max(0, max_rounds - rounds)
        found, more = search_cycle(found, max(0.0, end - time.perf_counter()), seed, left)
        rounds += more
    if _solved(found):
        improve_jointly(found, end - time.perf_counter(), seed, iterations)
    return found, rounds


def _solved(plan: DayPlan) -> bool:
    """Whether ``plan`` is a solution: complete (every visit placed) and within the limits."""
    return plan.violation() == 0 and plan.complete()


def _preferred(plan: DayPlan, than: DayPlan) -> DayPlan:
    """The better of two plans (``than`` on a tie).

    A solution beats a non-solution, a cheaper solution a dearer one; between two
    non-solutions the one that exceeds the limits less wins (a plan within them, with
    visits missing that the check lists, beats one that exceeds them).
    """
    if _better(plan, than):
        return plan
    if not _solved(than) and not _solved(plan) and plan.violation() < than.violation():
        return plan
    return than


def _better(plan: DayPlan, than: DayPlan) -> bool:
    """Whether ``plan`` is a solution and cheaper than ``than`` (or ``than`` is not one)."""
    if not _solved(plan):
        return False
    if not _solved(than):
        return True
    return plan.cost() < than.cost() - 1e-9


def solve_pvrp(
    instance: PeriodicInstance,
    *,
    engine: str = "ortools",
    time_limit: float = 10.0,
    seed: int = 0,
    max_rounds: int | None = None,
    engine_iterations: int | None = None,
    whole_period: bool | None = None,
    method: str = "combinations",
    executor: Executor | None = None,
    runs: int | None = None,
) -> PeriodicSolution:
    """Solve a periodic VRP: a combination per customer and the routes of every day.

    Parameters
    ----------
    instance
        The problem, for example from :func:`read_cordeau`.
    engine
        Daily routing engine: ``"ortools"`` or ``"pyvrp"``.
    time_limit
        Total wall-clock seconds (the result comes back within about this time plus
        one engine call's overhead).
    seed
        Seed of every random choice and of the engine calls.
    max_rounds
        Optional cap on the ruin-and-recreate rounds (``None``: until the time
        limit).
    engine_iterations
        Optional work limit of every engine call (``None``: each call runs for its
        share of the time). Together with ``max_rounds`` (and a time limit that is
        not reached) the result does not depend on the machine's speed or load.

    whole_period
        Re-optimise the whole period in one PyVRP model (days of one-visit
        customers chosen by PyVRP) instead of re-solving day by day with the engine.
        ``None`` (default) does so when ``engine == "pyvrp"``. It needs PyVRP; the
        day-by-day ``engine`` is then not called.
    method
        ``"combinations"`` (default): the stages above. ``"cycle"``: the planner's own
        periodic search (:mod:`territory.routing.periodic.cycle_pvrp`, the search behind
        ``plan_routes``) over combinations and routes together, from the construction
        when it is feasible; with ``engine="pyvrp"`` it has :data:`CYCLE_SHARE` of the
        time, ending with a whole-period PyVRP run (:data:`CYCLE_POLISH_SHARE` of its
        share), and the combination search of ``"combinations"`` continues from its
        plan for the rest.
    executor
        Runs independent searches side by side (a ``ProcessPoolExecutor``, or a Dask
        ``Client.get_executor()``; threads gain nothing), each with the whole
        ``time_limit``: a portfolio whose cheapest feasible plan is returned. Two
        workers make two searches in the time of one.
    runs
        Searches of the portfolio, seeded ``seed``, ``seed + 1``, ...; default the
        executor's workers (1 without one). Without an executor they run one after
        another, each with ``time_limit / runs``.

    Returns
    -------
    PeriodicSolution
        Its :meth:`~PeriodicSolution.check` lists any violation; it is empty unless
        the search found no feasible plan in time (logged as a warning).

    Raises
    ------
    ValidationError
        For a non-positive time limit or an unknown engine.
    ImportError
        When the engine's package, or PyVRP for ``whole_period``, is not installed.
    InfeasibleError
        When a customer fits on none of its allowed days even alone on a route.
    """
    if not time_limit > 0:
        raise ValidationError(f"solve_pvrp: time_limit must be positive, got {time_limit}")
    if method not in ("combinations", "cycle"):
        raise ValidationError(
            f"solve_pvrp: method must be 'combinations' or 'cycle', got {method!r}"
        )
    count = worker_count(executor) if runs is None else runs
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValidationError(f"solve_pvrp: runs must be a positive integer, got {runs!r}")
    if count > 1 or executor is not None:
        search = partial(
            solve_pvrp,
            instance,
            engine=engine,
            time_limit=time_limit if executor is not None else time_limit / count,
            max_rounds=max_rounds,
            engine_iterations=engine_iterations,
            whole_period=whole_period,
            method=method,
        )
        if executor is None:
            found = [search(seed=seed + k) for k in range(count)]
        else:
            futures = [executor.submit(search, seed=seed + k) for k in range(count)]
            found = [future.result() for future in futures]
        return min(found, key=lambda solution: (bool(solution.check()), solution.cost))
    start = time.perf_counter()
    deadline = start + time_limit
    solver = get_engine(engine)
    rng = np.random.default_rng(seed)

    plan = DayPlan(instance, feasible_combinations(instance))
    plan.construct(rng)
    plan.local_search(rng, start + SEARCH_SHARE * time_limit)
    logger.info("pvrp %s: constructed, cost %.2f", instance.name, plan.cost())
    if whole_period is None:
        whole_period = engine == "pyvrp"
    if whole_period and not joint_available():
        raise ImportError("whole_period=True needs PyVRP: pip install 'territory[pyvrp]'")
    if method == "cycle":
        best, rounds = _cycle_method(
            plan, deadline, seed, max_rounds, engine_iterations, whole_period
        )
    elif whole_period:
        best, rounds = search_combinations(
            plan, rng, deadline, time_limit, seed, max_rounds, engine_iterations
        )
    else:
        best, rounds = _day_rounds(
            plan, solver, rng, deadline, time_limit, seed, max_rounds, engine_iterations
        )
    result = _solution(best, engine, time.perf_counter() - start, seed)
    violations = check_routes(instance, result.routes)
    if violations:
        logger.warning(
            "pvrp %s: no feasible plan found in %.1f s (%d violations, first: %s)",
            instance.name,
            time.perf_counter() - start,
            len(violations),
            violations[0],
        )
    logger.info(
        "pvrp %s: cost %.2f after %d rounds in %.1f s",
        instance.name,
        result.cost,
        rounds,
        result.seconds,
    )
    return result
