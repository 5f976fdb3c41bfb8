"""One rep's cycle: patterns -> day routes (insertion, engine) -> repair.

:func:`plan_rep` is a top-level function of one plain-data :class:`RepTask`, so it can
run in any ``concurrent.futures`` executor (threads, processes, Dask). Steps:

1. choose a visit pattern per customer (:func:`.day_patterns.choose_patterns`);
2. build each day by cheapest feasible insertion, highest priority first;
3. repair every customer with a visit that did not fit: another valid pattern whose
   days all take it, else push out lower-priority visits on its days, else keep the
   visits that fit (the rest is reported missing with reason ``capacity``);
4. improve the whole cycle with the periodic search
   (:class:`~territory.routing.periodic.cycle_search.CycleSearch`): ruin and recreate
   related customers over their patterns and the actual day routes, for most of the
   rep's time budget;
5. polish: re-solve each day of the best plan with the routing engine (a
   :class:`DayProblem` of that rep-day only) while the budget lasts, keeping the
   engine's route when it is feasible and shorter; then a last repair pass uses the
   time the engine freed;
6. daily limits: ``max_visits`` bounds every insertion above (and the search's route
   capacity); days with fewer than ``min_visits`` are merged or filled where patterns
   allow, else reported (:mod:`.daily_limits`).

The search and the engine run with work limits when ``options.iterations`` is set, so
a run finished within its budget is reproducible. Otherwise the clock stops the
search, and how far it got depends on machine speed.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from territory.routing.budget import Budget, Clock
from territory.routing.engines import DayProblem, get_engine
from territory.routing.options import PlanOptions
from territory.routing.patterns import irregularity, pattern_holding
from territory.routing.periodic.cycle_search import CycleProblem, CycleSearch
from territory.routing.planner.daily_limits import DailyLimits, meet_daily_minimum
from territory.routing.planner.day_patterns import choose_patterns
from territory.routing.timing import DayShape, schedule_day

__all__ = ["DayRoute", "RepOutcome", "RepTask", "plan_rep"]

logger = logging.getLogger("territory")

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Engine calls shorter than this are not worth making (seconds).
MIN_ENGINE_SECONDS = 0.05
#: Share of a rep's budget kept for the engine's polish after the search.
POLISH_SHARE = 0.15
#: Alternative patterns tried per customer in repair.
REPAIR_PATTERNS = 16
#: Visits one repair may push out of a day.
MAX_EVICTIONS = 3


@dataclass(frozen=True)
class RepTask:
    """Plain-data input of :func:`plan_rep` (picklable).

    Local node ``j + 1`` is customer ``customers[j]``; node 0 is the rep's home.
    ``patterns[j]`` lists the valid patterns of customer ``j`` (most regular first).
    ``initial_routes`` (local nodes per cycle day) turns the task into a top-up: the
    routes are kept and only customers still short of visits are inserted. With
    ``from_previous`` they are last cycle's routes (or a first round's made from them):
    visits that no longer fit are dropped, and the search places what is missing under
    its stability term (``previous_days``, ``locked``).
    """

    rep: int
    customers: IntArray
    visits: IntArray
    service: FloatArray
    opens: FloatArray
    closes: FloatArray
    weight: FloatArray
    patterns: list[list[tuple[int, ...]]]
    travel: FloatArray
    xy: FloatArray
    minutes_per_km: float
    work: FloatArray
    day_start: float
    day_end: float
    lunch: tuple[float, float, float] | None
    working: list[bool]
    week_days: int
    engine: str
    budget: Budget
    seed: int
    engine_iterations: int
    options: PlanOptions
    initial_routes: list[list[int]] | None = None
    previous_days: tuple[frozenset[int], ...] | None = None
    locked: tuple[bool, ...] | None = None
    from_previous: bool = False
    min_visits: int = 0
    max_visits: int | None = None


@dataclass(frozen=True)
class DayRoute:
    """One planned rep-day: global customer indices in order and their times."""

    day: int
    customers: list[int]
    starts: list[float]
    departure: float
    back: float
    break_start: float | None


@dataclass(frozen=True)
class RepOutcome:
    """Result of :func:`plan_rep`.

    ``planned[j]`` is the number of visits of local customer ``j`` in the plan;
    ``engine_days``/``skipped_days`` count the days the engine re-solved or had no time
    for; ``construction_travel`` and ``travel`` are the cycle's travel minutes after
    construction and at the end; ``phases`` the seconds spent in each step.
    """

    rep: int
    days: list[DayRoute]
    planned: IntArray
    engine_days: int
    skipped_days: int
    seconds: float
    construction_travel: float = 0.0
    travel: float = 0.0
    search_rounds: int = 0
    phases: dict[str, float] = field(default_factory=dict)
    thin_days: tuple[tuple[int, int], ...] = ()


class _Days:
    """Mutable routes of one rep (local nodes) with feasibility-checked edits."""

    def __init__(self, task: RepTask) -> None:
        self.task = task
        n = len(task.customers)
        self.shape = DayShape(
            travel=task.travel,
            service=np.r_[0.0, task.service],
            earliest=np.r_[task.day_start, task.opens],
            latest=np.r_[task.day_end, task.closes],
            day_start=task.day_start,
            day_end=task.day_end,
            lunch=task.lunch,
        )
        self.routes: list[list[int]] = [[] for _ in task.working]
        self.days_of: list[set[int]] = [set() for _ in range(n)]
        self.room = task.day_end - task.day_start - (task.lunch[2] if task.lunch else 0.0)

    def travel_of(self, route: list[int]) -> float:
        nodes = np.array([0, *route, 0])
        return float(self.task.travel[nodes[:-1], nodes[1:]].sum())

    def insertion(self, day: int, node: int) -> tuple[int, float] | None:
        """Cheapest feasible position for ``node`` on ``day``."""
        if not self.task.working[day]:
            return None
        route = self.routes[day]
        if self.task.max_visits is not None and len(route) >= self.task.max_visits:
            return None
        t = self.task.travel
        prev = np.array([0, *route])
        nxt = np.array([*route, 0])
        delta = t[prev, node] + t[node, nxt] - t[prev, nxt]
        base = self.travel_of(route) + float(self.shape.service[[*route, node]].sum())
        if base + float(delta.min()) > self.room + 1e-6:
            return None
        for position in np.argsort(delta, kind="stable"):
            if base + float(delta[position]) > self.room + 1e-6:
                return None
            candidate = [*route[:position], node, *route[position:]]
            if schedule_day(self.shape, candidate) is not None:
                return int(position), float(delta[position])
        return None

    def insert(self, day: int, node: int, position: int) -> None:
        self.routes[day].insert(position, node)
        self.days_of[node - 1].add(day)

    def remove(self, day: int, node: int) -> None:
        self.routes[day].remove(node)
        self.days_of[node - 1].discard(day)

    def set_routes(self, routes: list[list[int]]) -> None:
        """Replace every route (for example by the search's best plan)."""
        self.routes = [list(r) for r in routes]
        for days in self.days_of:
            days.clear()
        for day, route in enumerate(self.routes):
            for node in route:
                self.days_of[node - 1].add(day)

    def total_travel(self) -> float:
        """Travel minutes of the whole cycle."""
        return sum(self.travel_of(route) for route in self.routes if route)


def _fill_days(days: _Days, task: RepTask, chosen: list[int]) -> list[tuple[int, int]]:
    """Insert every visit of the chosen patterns; return the (customer, day) left out."""
    order = sorted(
        range(len(task.customers)),
        key=lambda j: (-task.weight[j], task.closes[j] - task.opens[j], j),
    )
    missing: list[tuple[int, int]] = []
    for j in order:
        for day in task.patterns[j][chosen[j]]:
            found = days.insertion(day, j + 1)
            if found is None:
                missing.append((j, day))
            else:
                days.insert(day, j + 1, found[0])
    return missing


def _try_pattern(days: _Days, node: int, pattern: tuple[int, ...]) -> float | None:
    """Cost of inserting ``node`` on every day of ``pattern`` (``None`` if a day is full)."""
    total = 0.0
    for day in pattern:
        found = days.insertion(day, node)
        if found is None:
            return None
        total += found[1]
    return total


def _evict_and_insert(days: _Days, task: RepTask, node: int, day: int) -> list[int] | None:
    """Push lower-priority visits off ``day`` until ``node`` fits; undo on failure."""
    weight = task.weight[node - 1]
    evicted: list[tuple[int, int]] = []
    for _ in range(MAX_EVICTIONS):
        lower = [v for v in days.routes[day] if task.weight[v - 1] < weight]
        if not lower:
            break
        victim = min(lower, key=lambda v: (task.weight[v - 1], -task.travel[0, v], v))
        position = days.routes[day].index(victim)
        days.remove(day, victim)
        evicted.append((victim, position))
        found = days.insertion(day, node)
        if found is not None:
            days.insert(day, node, found[0])
            return [v for v, _ in evicted]
    for victim, position in reversed(evicted):
        days.insert(day, victim, position)
    return None


def _repair(days: _Days, task: RepTask, chosen: list[int], short: set[int]) -> None:
    """Give customers in ``short`` (local indices) all their visits where possible."""
    queue = sorted(short, key=lambda j: (-task.weight[j], j))
    seen: set[int] = set()
    while queue:
        j = queue.pop(0)
        if j in seen or len(days.days_of[j]) >= task.visits[j]:
            continue
        seen.add(j)
        node = j + 1
        kept = sorted(days.days_of[j])
        for day in kept:
            days.remove(day, node)
        best: tuple[float, int] | None = None
        for p, pattern in enumerate(task.patterns[j][:REPAIR_PATTERNS]):
            cost = _try_pattern(days, node, pattern)
            if cost is not None and (best is None or cost < best[0]):
                best = (cost, p)
        if best is not None:
            chosen[j] = best[1]
            for day in task.patterns[j][best[1]]:
                found = days.insertion(day, node)
                if found is None:  # pragma: no cover - checked just above
                    continue
                days.insert(day, node, found[0])
            continue
        # no free pattern: restore, then push out lower-priority visits on missing days
        for day in kept:
            found = days.insertion(day, node)
            if found is not None:
                days.insert(day, node, found[0])
        on = days.days_of[j]
        holding = pattern_holding(task.patterns[j], on) if on else chosen[j]
        if holding < 0:
            continue
        chosen[j] = holding
        for day in task.patterns[j][holding]:
            if day in days.days_of[j]:
                continue
            if len(days.days_of[j]) >= task.visits[j]:  # pragma: no cover - defensive
                break
            evicted = _evict_and_insert(days, task, node, day)
            if evicted:
                queue.extend(v - 1 for v in evicted)
                queue.sort(key=lambda k: (-task.weight[k], k))
                seen.difference_update(v - 1 for v in evicted)


def _engine_pass(days: _Days, task: RepTask, clock: Clock) -> tuple[int, int]:
    """Re-solve each day with the engine while the budget lasts; (solved, skipped)."""
    engine = get_engine(task.engine)
    todo = [d for d, route in enumerate(days.routes) if len(route) >= 3]
    solved = skipped = 0
    shape = days.shape
    slowest = 0.0  # the engine may overrun its limit; never start a call we cannot afford
    for k, day in enumerate(todo):
        left = clock.left()
        share = left / (len(todo) - k)
        if share < MIN_ENGINE_SECONDS or left < slowest:
            skipped += len(todo) - k  # these keep the search's 2-opt/or-opt routes
            break
        route = days.routes[day]
        nodes = np.array([0, *route])
        problem = DayProblem(
            travel=task.travel[np.ix_(nodes, nodes)],
            service=shape.service[nodes],
            earliest=shape.earliest[nodes],
            latest=shape.latest[nodes],
            breaks=task.lunch,
        )
        began = time.perf_counter()
        solution = engine.solve(
            problem, time_limit=share, seed=task.seed + day, iterations=task.engine_iterations
        )
        slowest = max(slowest, time.perf_counter() - began)
        solved += 1
        if not solution.feasible or len(solution.routes) != 1:
            continue
        candidate = [int(nodes[v]) for v in solution.routes[0]]
        if sorted(candidate) != sorted(route):
            continue
        if days.travel_of(candidate) < days.travel_of(route) - 1e-6 and (
            schedule_day(shape, candidate) is not None
        ):
            for node in route:
                days.days_of[node - 1].discard(day)
            days.routes[day] = []
            for position, node in enumerate(candidate):
                days.insert(day, node, position)
    return solved, skipped


def _seed(days: _Days, task: RepTask) -> None:
    """Take the initial routes, visit by visit in their order, as far as each day fits."""
    assert task.initial_routes is not None
    for day, route in enumerate(task.initial_routes):
        if not task.working[day]:
            continue
        for node in route:
            full = task.max_visits is not None and len(days.routes[day]) >= task.max_visits
            if not full and schedule_day(days.shape, [*days.routes[day], node]) is not None:
                days.insert(day, node, len(days.routes[day]))


def _top_up(days: _Days, task: RepTask) -> None:
    """Keep the initial routes, insert the customers still short of visits."""
    assert task.initial_routes is not None
    for day, route in enumerate(task.initial_routes):
        for position, node in enumerate(route):
            days.insert(day, node, position)
    chosen = [pattern_holding(pats, days.days_of[j]) for j, pats in enumerate(task.patterns)]
    short = {j for j in range(len(task.customers)) if len(days.days_of[j]) < task.visits[j]}
    _repair(days, task, chosen, short)


def _irregularities(task: RepTask) -> list[FloatArray]:
    """Irregularity of every pattern of every customer (shared lists computed once)."""
    n_days = len(task.working)
    memo: dict[int, FloatArray] = {}
    irregular = []
    for pats in task.patterns:
        if id(pats) not in memo:
            memo[id(pats)] = np.array(
                [irregularity(p, n_days, task.week_days) for p in pats], dtype=float
            )
        irregular.append(memo[id(pats)])
    return irregular


def _construct(days: _Days, task: RepTask, irregular: list[FloatArray]) -> list[int]:
    """Patterns by day centres, cheapest feasible insertion, repair; the chosen patterns."""
    n = len(task.customers)
    n_days = len(task.working)
    pattern_arrays = [np.asarray(p, dtype=np.int64).reshape(len(p), -1) for p in task.patterns]
    home_legs = float(np.median(task.travel[0, 1:])) if n else 0.0
    capacity = np.where(task.working, max(days.room - home_legs, days.room * 0.5), 0.0)
    chosen = choose_patterns(
        task.xy,
        pattern_arrays,
        irregular,
        task.service + task.work,
        capacity,
        np.arange(n_days) % task.week_days,
        task.minutes_per_km,
        task.seed,
        task.travel[0, 1:] + task.travel[1:, 0],
    )
    missing = _fill_days(days, task, chosen)
    _repair(days, task, chosen, {j for j, _ in missing})
    return chosen


def _search(days: _Days, task: RepTask, irregular: list[FloatArray], clock: Clock) -> int:
    """Improve the cycle with the periodic search; return the rounds made."""
    problem = CycleProblem(
        shape=days.shape,
        working=tuple(task.working),
        visits=task.visits,
        weight=task.weight,
        patterns=task.patterns,
        irregular=irregular,
        options=task.options,
        previous_days=task.previous_days,
        locked=task.locked,
        demand=None if task.max_visits is None else np.ones(len(task.customers)),
        capacity=math.inf if task.max_visits is None else float(task.max_visits),
    )
    search = CycleSearch(problem, days.routes, task.seed)
    report = search.run(clock, task.options.iterations)
    days.set_routes(search.routes)
    logger.debug(
        "routing: rep %d: %d search rounds, travel %.1f -> %.1f min",
        task.rep,
        report.rounds,
        report.start_travel,
        report.best_travel,
    )
    return report.rounds


def _unchanged(days: _Days, task: RepTask) -> bool:
    """Whether a re-planned rep got every customer back on exactly its previous days."""
    if not task.from_previous or task.previous_days is None:
        return False
    return all(
        days.days_of[j] == task.previous_days[j] and len(days.days_of[j]) == task.visits[j]
        for j in range(len(task.customers))
    )


def _day_routes(days: _Days, task: RepTask) -> list[DayRoute]:
    out: list[DayRoute] = []
    for day, route in enumerate(days.routes):
        if not route:
            continue
        schedule = schedule_day(days.shape, route)
        if schedule is None:  # pragma: no cover - every edit is checked
            raise AssertionError(f"rep {task.rep} day {day}: route became infeasible")
        out.append(
            DayRoute(
                day=day,
                customers=[int(task.customers[v - 1]) for v in route],
                starts=list(schedule.starts),
                departure=schedule.departure,
                back=schedule.back,
                break_start=schedule.break_start,
            )
        )
    return out


def plan_rep(task: RepTask) -> RepOutcome:
    """Plan one rep's cycle.

    Parameters
    ----------
    task
        The rep's customers, their valid patterns, travel and limits.

    Returns
    -------
    RepOutcome
        Routes per working day and the number of planned visits per customer.
    """
    clock = task.budget.start()
    phases: dict[str, float] = {}
    n = len(task.customers)
    irregular = _irregularities(task)
    days = _Days(task)
    chosen: list[int] = []
    if task.initial_routes is None:
        chosen = _construct(days, task, irregular)
    elif task.from_previous:
        _seed(days, task)
    else:
        _top_up(days, task)
    phases["construction"] = clock.elapsed()
    construction_travel = days.total_travel()
    reserve = POLISH_SHARE * clock.left() if task.options.polish else 0.0
    search_clock = Budget(clock.left() - reserve, task.budget.deadline - reserve).start()
    rounds = 0  # a rep re-planned without any change keeps its routes exactly
    if not _unchanged(days, task):
        rounds = _search(days, task, irregular, search_clock)
    phases["search"] = search_clock.elapsed()
    began = clock.elapsed()
    solved = skipped = 0
    if task.options.polish:
        solved, skipped = _engine_pass(days, task, clock)
    short = {j for j in range(n) if len(days.days_of[j]) < task.visits[j]}
    if short and task.initial_routes is None:
        _repair(days, task, chosen, short)
    phases["polish"] = clock.elapsed() - began
    if skipped:
        logger.info(
            "routing: rep %d: time budget used up, %d days not re-solved by the engine",
            task.rep,
            skipped,
        )
    thin = _daily_minimum(days, task)
    planned = np.array([len(d) for d in days.days_of], dtype=np.int64)
    return RepOutcome(
        task.rep,
        _day_routes(days, task),
        planned,
        solved,
        skipped,
        clock.elapsed(),
        construction_travel=construction_travel,
        travel=days.total_travel(),
        search_rounds=rounds,
        phases=phases,
        thin_days=thin,
    )


def _daily_minimum(days: _Days, task: RepTask) -> tuple[tuple[int, int], ...]:
    """Mend the days below ``task.min_visits`` (:mod:`.daily_limits`); the ones left."""
    if task.min_visits <= 1:
        return ()
    limits = DailyLimits(
        minimum=task.min_visits,
        maximum=task.max_visits if task.max_visits is not None else len(task.customers),
        visits=task.visits.tolist(),
        patterns=task.patterns,
        travel=task.travel,
        feasible=lambda route: schedule_day(days.shape, route) is not None,
        locked=task.locked,
    )
    routes, thin = meet_daily_minimum(days.routes, limits)
    days.set_routes(routes)
    return tuple((d, len(routes[d])) for d in thin)
