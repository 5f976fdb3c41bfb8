"""``plan_routes``: validation, assignment, one task per rep, time budget, result."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from territory.errors import InfeasibleError, ValidationError
from territory.executors import worker_count
from territory.geometry import project_km
from territory.progress import Progress, resolve_progress
from territory.routing.budget import Budget
from territory.routing.cycle import Cycle
from territory.routing.engines import ENGINE_NAMES, get_engine
from territory.routing.options import PlanOptions
from territory.routing.patterns import enumerate_patterns, required_gap
from territory.routing.planner.assemble import build_plan
from territory.routing.planner.assign import (
    Assignment,
    assign_customers,
    cycle_days_mask,
    rep_lunch,
)
from territory.routing.planner.daily_limits import thin_day_records
from territory.routing.planner.inputs import NO_DAILY_MAX, PlanInputs, prepare_inputs
from territory.routing.planner.rep_plan import RepOutcome, RepTask, plan_rep
from territory.routing.planner.replan import pin_to_previous, previous_routes
from territory.routing.previous import PreviousPlan, read_previous
from territory.routing.result import RoutePlan
from territory.travel import GreatCircleTravel, Points, TravelMatrix, TravelModel

__all__ = ["plan_routes"]

logger = logging.getLogger("territory")

#: Share of ``time_limit`` by which the reps' first round should be done.
FIRST_ROUND_SHARE = 0.55
#: Time kept for building the result after the second round: this many seconds plus
#: :data:`RESULT_SECONDS_PER_CUSTOMER` per customer, at most :data:`RESULT_SHARE` of
#: ``time_limit``.
RESULT_SECONDS = 0.5
RESULT_SECONDS_PER_CUSTOMER = 0.0005
RESULT_SHARE = 0.1
#: Deterministic work limit of each engine call (solutions visited by the search).
ENGINE_ITERATIONS = 40


def _check_arguments(
    time_limit: float, seed: int, engine: str, cycle: object, progress: object, options: object
) -> None:
    problems = []
    if not isinstance(options, PlanOptions):
        problems.append(f"options: expected a PlanOptions, got {type(options).__name__}")
    if not isinstance(cycle, Cycle):
        problems.append(f"cycle: expected a Cycle, got {type(cycle).__name__}")
    if (
        isinstance(time_limit, bool)
        or not isinstance(time_limit, int | float)
        or not (math.isfinite(time_limit) and time_limit > 0)
    ):
        problems.append(f"time_limit: must be a positive number of seconds, got {time_limit!r}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        problems.append(f"seed: must be a non-negative integer, got {seed!r}")
    if engine not in ENGINE_NAMES:
        problems.append(
            f"engine: unknown engine {engine!r}; choose one of {', '.join(ENGINE_NAMES)}"
        )
    if progress is not None and not isinstance(progress, bool) and not callable(progress):
        problems.append("progress: must be a callable (done, total), True (a bar) or None")
    if problems:
        raise ValidationError(problems)


def _local_xy(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Equirectangular projection around the mean, in km (``geometry.project_km``)."""
    return project_km(lon, lat)


def _rep_matrix(
    inputs: PlanInputs, rep: int, members: np.ndarray, travel: TravelModel
) -> tuple[Points, TravelMatrix]:
    points = Points.concat(
        [
            Points(
                np.array([inputs.rep_ids[rep]], dtype=object),
                inputs.home_lon[[rep]],
                inputs.home_lat[[rep]],
            ),
            Points(inputs.customer_ids[members], inputs.lon[members], inputs.lat[members]),
        ]
    )
    return points, travel.matrix(points)


def _patterns_for(
    inputs: PlanInputs,
    cycle: Cycle,
    customer: int,
    rep: int,
    cache: dict[tuple[int, int, int], list[tuple[int, ...]]],
) -> list[tuple[int, ...]]:
    days = inputs.allowed[customer] & inputs.rep_days[rep]
    bits = int(sum(1 << i for i in np.flatnonzero(days[: cycle.days])))
    visits = int(inputs.visits[customer])
    gap = required_gap(cycle.n_days, visits, float(inputs.min_gap[customer]))
    key = (visits, gap, bits)
    if key not in cache:
        cache[key] = enumerate_patterns(
            cycle.n_days, visits, gap, cycle_days_mask(days, cycle), week_days=cycle.days
        )
    return cache[key]


def plan_routes(
    customers: pd.DataFrame,
    reps: pd.DataFrame,
    *,
    cycle: Cycle | None = None,
    travel: TravelModel | None = None,
    engine: str = "ortools",
    time_limit: float = 60.0,
    seed: int = 0,
    executor: Executor | None = None,
    progress: Progress = None,
    options: PlanOptions | None = None,
    previous: RoutePlan | pd.DataFrame | None = None,
) -> RoutePlan:
    """Plan each rep's repeating visit cycle.

    Parameters
    ----------
    customers
        ``customer_id``, location (``lon``/``lat`` or point geometry),
        ``visits_per_cycle``, ``service_minutes``; optional ``opens``/``closes`` (latest
        start of service), ``allowed_days``, ``min_gap_days``, ``rep_id`` (fixed rep),
        ``grade`` (A-D) or numeric ``priority`` (higher is kept first).
    reps
        ``rep_id``, ``home_lon``/``home_lat``, ``day_start``/``day_end``, ``weekdays``,
        optional ``lunch_start``/``lunch_minutes``.
    cycle
        The repeating cycle; default 4 weeks x 5 days (Monday-Friday).
    travel
        Travel model; default :class:`~territory.travel.GreatCircleTravel`. Matrices
        are computed per rep (home plus its customers).
    engine
        Day engine of the optional polish (``options.polish``): ``"ortools"``,
        ``"pyvrp"`` or ``"local"``.
    time_limit
        Wall-clock budget in seconds for the whole call, and it is used: 55 % for the
        reps' first round (construction, then the periodic search until the rep's share
        of the time is over), then a second round in which customers still short of
        visits move to reps with time and every rep's search continues, until only the
        time to build the result is left (0.5 s plus 0.5 ms per customer, at most 10 %).
        When no customer has a choice of rep (every one has a fixed ``rep_id`` or a
        single eligible rep, or there is one rep), nothing can move between reps and
        the first round runs on until then instead.
        A rep's search stops earlier only when it has found nothing better for a
        while, three times over (each time it goes on from its best plan with a
        quarter of the customers taken out and put back). The construction
        (assignment, patterns, insertion, repair) always runs to the end, so a limit
        below its time (about 5 s for 2,000 customers) is exceeded. More rounds with
        the same seed never give a worse rep plan.
    seed
        Seed of every random choice.  With ``options.iterations`` (a work limit) the
        same inputs and seed give the same plan on any machine, as long as the time
        limit is not reached first; otherwise the clock decides how many rounds the
        search makes, so the plan depends on the machine's speed.
    executor
        Any ``concurrent.futures.Executor`` (also a Dask ``Client.get_executor()``);
        one task per rep. Default: in-process.
    progress
        Called as ``progress(done, total)`` after each rep; ``True`` shows a tqdm bar
        with the time left (see :mod:`territory.progress`).
    options
        The objective's soft terms (regularity, day balance, stability) and the
        search's work limit; see :class:`~territory.routing.PlanOptions`. Default
        ``PlanOptions()``.
    previous
        Last cycle's plan (a :class:`RoutePlan`, or its visits table with ``rep_id,
        day, seq, customer_id`` and an optional boolean ``locked``) to re-plan from:
        returning customers keep their rep, days and order unless a rule or the
        stability trade (``options.stability_minutes``) says otherwise; see
        :mod:`territory.routing.planner.replan` and :meth:`RoutePlan.changes`.

    Returns
    -------
    RoutePlan

    Raises
    ------
    ValidationError
        For invalid tables or arguments, or when no visit is required at all.
    InfeasibleError
        When no required visit can be planned (for example no rep works in the cycle).

    Examples
    --------
    >>> import pandas as pd
    >>> customers = pd.DataFrame({
    ...     "customer_id": ["a", "b"], "lon": [9.0, 9.05], "lat": [48.0, 48.0],
    ...     "visits_per_cycle": [4, 2], "service_minutes": [30, 20]})
    >>> reps = pd.DataFrame({"rep_id": ["r1"], "home_lon": [9.02], "home_lat": [48.01]})
    >>> plan = plan_routes(customers, reps, time_limit=10)
    >>> len(plan.visits), len(plan.unplanned)
    (6, 0)
    """
    started = time.perf_counter()
    cycle = Cycle() if cycle is None else cycle
    options = PlanOptions() if options is None else options
    _check_arguments(time_limit, seed, engine, cycle, progress, options)
    progress = resolve_progress(progress, desc="planning reps", unit="rep")
    get_engine(engine)  # fails early when the engine's package is missing
    travel = GreatCircleTravel() if travel is None else travel
    inputs, _ = prepare_inputs(customers, reps, cycle)
    before = None if previous is None else read_previous(previous, cycle)
    if before is not None:
        inputs = pin_to_previous(inputs, before)
    required = int(inputs.visits.sum())
    if required == 0:
        raise ValidationError(
            "customers: column 'visits_per_cycle' is 0 for every customer; nothing to plan"
        )
    assignment = assign_customers(inputs, cycle, travel)
    workers = worker_count(executor)
    cache: dict[tuple[int, int, int], list[tuple[int, ...]]] = {}
    result_time = RESULT_SECONDS + RESULT_SECONDS_PER_CUSTOMER * inputs.n_customers
    search_end = time_limit - min(result_time, RESULT_SHARE * time_limit)
    # a second round can only move customers with a choice of rep; without any, it
    # would restart every rep's search from its plan, so the first round runs on instead
    two_rounds = any(len(reps_of) > 1 for reps_of in assignment.eligible)
    first_end = time_limit * FIRST_ROUND_SHARE if two_rounds else search_end
    first = max(0.0, first_end - (time.perf_counter() - started))
    settings = _Settings(engine, int(seed), options, workers, before)
    tasks, km = _build_tasks(inputs, cycle, assignment, travel, settings, first, cache)
    outcomes = _run(tasks, executor, progress)
    second = search_end - (time.perf_counter() - started)
    extra: list[RepTask] = []
    if two_rounds and second > 0:
        extra, extra_km, rep_of = _second_round(
            inputs,
            cycle,
            assignment,
            travel,
            tasks,
            outcomes,
            settings,
            second,
            cache,
        )
    elif two_rounds:
        logger.warning(
            "routing: no time left for a second round (offering unplanned customers to "
            "other reps, searching on) within time_limit %.1f s",
            time_limit,
        )
    first_outcomes = outcomes
    if extra:
        # the second round keeps the bar full, and lets a cancelling callback stop it
        again = None if progress is None else _repeat_total(progress, len(tasks))
        redone = {t.rep: o for t, o in zip(extra, _run(extra, executor, again), strict=True)}
        replaced = {t.rep: t for t in extra}
        keep = [k for k, t in enumerate(tasks) if t.rep not in replaced]
        outcomes = [outcomes[k] for k in keep] + [redone[t.rep] for t in extra]
        tasks = [tasks[k] for k in keep] + extra
        km.update(extra_km)
        assignment = replace(assignment, rep=rep_of)
    plan = build_plan(
        inputs,
        cycle,
        assignment,
        tasks,
        outcomes,
        km,
        travel,
        stats={
            **_stats(
                first_outcomes, outcomes, engine, seed, time_limit, time.perf_counter() - started
            ),
            "thin_days": [
                row
                for t, o in zip(tasks, outcomes, strict=True)
                for row in thin_day_records(
                    cycle, str(inputs.rep_ids[t.rep]), t.min_visits, o.thin_days
                )
            ],
        },
    )
    if len(plan.visits) == 0:
        counts = plan.unplanned["reason"].value_counts().to_dict()
        raise InfeasibleError(
            f"no visit can be planned: {required} visits required, 0 fit "
            f"(customers by reason: {', '.join(f'{k} {v}' for k, v in counts.items())})"
        )
    logger.info("routing: %s", plan.summary().splitlines()[0])
    return plan


@dataclass(frozen=True)
class _Settings:
    """What every rep's task shares: engine, seed, objective, workers."""

    engine: str
    seed: int
    options: PlanOptions
    workers: int
    previous: PreviousPlan | None = None


def _stats(
    first: list[RepOutcome],
    final: list[RepOutcome],
    engine: str,
    seed: int,
    time_limit: float,
    seconds: float,
) -> dict[str, Any]:
    """``RoutePlan.stats``: the run, the phases' seconds and the search's gain.

    ``first`` are the first round's outcomes (whose construction is the plan's), and
    ``final`` the outcomes the plan is made of.
    """
    phases: dict[str, float] = {}
    rounds = 0
    seen = {id(o) for o in first}  # second-round outcomes are new objects
    for outcome in [*first, *(o for o in final if id(o) not in seen)]:
        rounds += outcome.search_rounds
        for name, value in outcome.phases.items():
            phases[name] = phases.get(name, 0.0) + value
    return {
        "engine": engine,
        "seed": int(seed),
        "time_limit": float(time_limit),
        "seconds": seconds,
        "engine_days": sum(o.engine_days for o in final),
        "days_without_engine": sum(o.skipped_days for o in final),
        "search_rounds": rounds,
        "construction_travel_minutes": sum(o.construction_travel for o in first),
        "travel_minutes": sum(o.travel for o in final),
        "phase_seconds": phases,
    }


def _make_task(
    inputs: PlanInputs,
    cycle: Cycle,
    assignment: Assignment,
    travel: TravelModel,
    rep: int,
    members: np.ndarray,
    settings: _Settings,
    budget: Budget,
    cache: dict[tuple[int, int, int], list[tuple[int, ...]]],
    initial_routes: list[list[int]] | None = None,
) -> tuple[RepTask, np.ndarray]:
    """One rep's task (and its km matrix, kept for the result)."""
    _, matrix = _rep_matrix(inputs, rep, members, travel)
    patterns = [_patterns_for(inputs, cycle, int(i), rep, cache) for i in members]
    previous_days: tuple[frozenset[int], ...] | None = None
    locked: tuple[bool, ...] | None = None
    if settings.previous is not None:
        start, previous_days, locked = previous_routes(
            inputs.customer_ids[members],
            str(inputs.rep_ids[rep]),
            cycle.n_days,
            patterns,
            settings.previous,
        )
        initial_routes = start if initial_routes is None else initial_routes
    home = Points(np.array(["home"], dtype=object), inputs.home_lon[[rep]], inputs.home_lat[[rep]])
    stops = Points(inputs.customer_ids[members], inputs.lon[members], inputs.lat[members])
    straight = travel.straight_km(home, stops)[0]
    far = straight > 0.5
    ratio = float(matrix.minutes[0, 1:][far].sum() / straight[far].sum()) if far.any() else 1.5
    task = RepTask(
        rep=rep,
        customers=members,
        visits=inputs.visits[members].copy(),
        service=inputs.service[members].copy(),
        opens=inputs.opens[members].copy(),
        closes=inputs.closes[members].copy(),
        weight=inputs.weight[members].copy(),
        patterns=patterns,
        travel=matrix.minutes,
        xy=_local_xy(inputs.lon[members], inputs.lat[members]),
        minutes_per_km=ratio,
        work=assignment.travel_per_visit[members].copy(),
        day_start=float(inputs.day_start[rep]),
        day_end=float(inputs.day_end[rep]),
        lunch=rep_lunch(inputs, rep),
        working=cycle_days_mask(inputs.rep_days[rep], cycle),
        week_days=cycle.days,
        engine=settings.engine,
        budget=budget,
        seed=settings.seed,
        engine_iterations=ENGINE_ITERATIONS,
        options=settings.options,
        initial_routes=initial_routes,
        previous_days=previous_days,
        locked=locked,
        from_previous=settings.previous is not None,
        min_visits=int(inputs.min_per_day[rep]),
        max_visits=None
        if inputs.max_per_day[rep] >= NO_DAILY_MAX
        else int(inputs.max_per_day[rep]),
    )
    return task, matrix.km


def _build_tasks(
    inputs: PlanInputs,
    cycle: Cycle,
    assignment: Assignment,
    travel: TravelModel,
    settings: _Settings,
    seconds: float,
    cache: dict[tuple[int, int, int], list[tuple[int, ...]]],
) -> tuple[list[RepTask], dict[int, np.ndarray]]:
    """First round: one task per rep with customers, sharing ``seconds`` by visits."""
    by_rep: dict[int, list[int]] = {}
    for i in np.flatnonzero((assignment.rep >= 0) & (inputs.visits > 0)):
        by_rep.setdefault(int(assignment.rep[i]), []).append(int(i))
    deadline = time.time() + seconds
    total_visits = max(1, int(sum(inputs.visits[m].sum() for m in by_rep.values())))
    tasks: list[RepTask] = []
    km: dict[int, np.ndarray] = {}
    for rep in sorted(by_rep):
        members = np.asarray(by_rep[rep], dtype=np.int64)
        share = float(inputs.visits[members].sum()) / total_visits
        budget = Budget(seconds * min(settings.workers, len(by_rep)) * share, deadline)
        task, km[rep] = _make_task(
            inputs, cycle, assignment, travel, rep, members, settings, budget, cache
        )
        tasks.append(task)
    return tasks, km


#: A customer short of visits is offered only to reps whose home is this close (one way,
#: minutes), or no farther than its own rep's.
TOP_UP_REACH_MINUTES = 30.0


def _top_up_moves(
    inputs: PlanInputs,
    cycle: Cycle,
    assignment: Assignment,
    tasks: list[RepTask],
    outcomes: list[RepOutcome],
) -> tuple[dict[int, list[int]], np.ndarray]:
    """Customers short of visits, offered to eligible reps with time left.

    A customer whose rep could not fit all its visits moves, with all its visits, to
    the nearest other eligible rep whose estimated spare time holds its workload from
    that rep's home, among the reps whose home is within :data:`TOP_UP_REACH_MINUTES`
    of it (or no farther than its own rep's): a visit hours away from the rep who
    would make it costs more travel than it is worth, and stays listed as unplanned.
    Returns the customers each rep takes on and the updated rep of every customer.
    """
    rep_of = assignment.rep.copy()
    planned = np.zeros(inputs.n_customers, dtype=np.int64)
    spare = np.zeros(inputs.n_reps)
    for r in range(inputs.n_reps):
        room = inputs.day_end[r] - inputs.day_start[r] - inputs.lunch_minutes[r]
        spare[r] = room * sum(cycle_days_mask(inputs.rep_days[r], cycle))
    for task, outcome in zip(tasks, outcomes, strict=True):
        planned[task.customers] += outcome.planned
        spare[task.rep] -= sum(d.back - d.departure for d in outcome.days)
    waiting = [
        int(i)
        for i in np.flatnonzero((rep_of >= 0) & (planned < inputs.visits))
        if len(assignment.eligible[i]) > 1
    ]
    waiting.sort(key=lambda i: (-inputs.priority[i], str(inputs.customer_ids[i])))
    moved: dict[int, list[int]] = {}
    for i in waiting:
        eligible, reach = assignment.eligible[i], assignment.reach[i]
        own = reach[eligible.index(rep_of[i])] if rep_of[i] in eligible else 0.0
        limit = max(TOP_UP_REACH_MINUTES, own)
        for r, minutes, work in zip(eligible, reach, assignment.work_by_rep[i], strict=True):
            if minutes > limit:
                break  # nearest first: the others are farther still
            if r != rep_of[i] and spare[r] >= work:
                spare[r] -= work
                rep_of[i] = r
                moved.setdefault(r, []).append(i)
                break
    if moved:
        logger.info(
            "routing: %d customers short of visits offered to %d reps with time left",
            sum(len(v) for v in moved.values()),
            len(moved),
        )
    return moved, rep_of


def _second_round(
    inputs: PlanInputs,
    cycle: Cycle,
    assignment: Assignment,
    travel: TravelModel,
    tasks: list[RepTask],
    outcomes: list[RepOutcome],
    settings: _Settings,
    seconds: float,
    cache: dict[tuple[int, int, int], list[tuple[int, ...]]],
) -> tuple[list[RepTask], dict[int, np.ndarray], np.ndarray]:
    """Second round: top-up moves, and the search continued from the first round's plans.

    Every rep continues from its plan (only the reps whose customers changed when the
    search has a work limit, so that the result does not depend on the clock).
    Returns the tasks, the km matrices of reps whose customers changed, and the
    updated rep of every customer.
    """
    moved, rep_of = _top_up_moves(inputs, cycle, assignment, tasks, outcomes)
    previous = {t.rep: (t, o) for t, o in zip(tasks, outcomes, strict=True)}
    changed = set(moved) | {
        rep for rep, (task, _) in previous.items() if any(rep_of[c] != rep for c in task.customers)
    }
    redo = changed if settings.options.iterations is not None else set(previous) | changed
    if not redo:
        return [], {}, rep_of
    deadline = time.time() + seconds
    size = {
        rep: len(moved.get(rep, [])) + (len(previous[rep][0].customers) if rep in previous else 0)
        for rep in redo
    }
    total = sum(size.values())
    new_tasks: list[RepTask] = []
    km: dict[int, np.ndarray] = {}
    for rep in sorted(redo):
        budget = Budget(seconds * min(settings.workers, len(redo)) * size[rep] / total, deadline)
        old = previous.get(rep)
        routes: list[list[int]] = [[] for _ in range(cycle.n_days)]
        kept = old is not None and all(rep_of[c] == rep for c in old[0].customers)
        if rep not in moved and old is not None and kept:
            local = {int(c): j + 1 for j, c in enumerate(old[0].customers)}
            for day in old[1].days:
                routes[day.day] = [local[c] for c in day.customers]
            new_tasks.append(
                replace(old[0], budget=budget, seed=old[0].seed + 1, initial_routes=routes)
            )
            continue
        old_members = [] if old is None else [int(c) for c in old[0].customers if rep_of[c] == rep]
        members = np.asarray(old_members + moved.get(rep, []), dtype=np.int64)
        local = {int(c): j + 1 for j, c in enumerate(members)}
        if old is not None:  # customers that moved away leave their days here
            for day in old[1].days:
                routes[day.day] = [local[c] for c in day.customers if c in local]
        task, km[rep] = _make_task(
            inputs, cycle, assignment, travel, rep, members, settings, budget, cache, routes
        )
        new_tasks.append(task)
    return new_tasks, km, rep_of


def _repeat_total(progress: Callable[[int, int], Any], total: int) -> Callable[[int, int], Any]:
    """A ``progress`` for the second round that reports the first round's total as done."""

    def report(done: int, count: int) -> Any:
        return progress(total, total)

    return report


def _run(
    tasks: list[RepTask],
    executor: Executor | None,
    progress: Callable[[int, int], Any] | None,
) -> list[RepOutcome]:
    total = len(tasks)
    outcomes: dict[int, RepOutcome] = {}

    def record(outcome: RepOutcome) -> None:
        outcomes[outcome.rep] = outcome
        done = len(outcomes)
        logger.info(
            "routing: rep %d of %d planned (%d days, %.1f s)",
            done,
            total,
            len(outcome.days),
            outcome.seconds,
        )
        if progress is not None:
            progress(done, total)

    if executor is None:
        for task in tasks:
            record(plan_rep(task))
    else:
        futures: list[Future[RepOutcome]] = [executor.submit(plan_rep, task) for task in tasks]
        for future in futures:
            record(future.result())
    return [outcomes[t.rep] for t in tasks]
