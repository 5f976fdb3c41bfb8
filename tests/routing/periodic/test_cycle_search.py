"""Tests of the periodic search over one rep's cycle (territory.routing.periodic.cycle_search)."""

from __future__ import annotations

import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from territory.errors import ValidationError
from territory.routing import PlanOptions
from territory.routing.budget import Budget
from territory.routing.patterns import enumerate_patterns, irregularity, required_gap
from territory.routing.periodic.cycle_search import (
    KICKS,
    MIN_EPOCH,
    STALL_EPOCHS,
    CycleProblem,
    CycleSearch,
)
from territory.routing.timing import DayShape, schedule_day

FOREVER = Budget(seconds=600.0, deadline=time.time() + 3600.0)


def _problem(
    xy: np.ndarray,
    visits: list[int],
    *,
    n_days: int,
    week_days: int,
    service: float = 20.0,
    day_minutes: float = 540.0,
    lunch: tuple[float, float, float] | None = None,
    options: PlanOptions | None = None,
) -> CycleProblem:
    """Home at the origin, customers at ``xy`` (minutes apart), every day worked."""
    points = np.vstack([[0.0, 0.0], xy])
    travel = np.hypot(*(points[:, None, :] - points[None, :, :]).transpose(2, 0, 1))
    n = len(xy)
    shape = DayShape(
        travel=travel,
        service=np.r_[0.0, np.full(n, service)],
        earliest=np.r_[480.0, np.zeros(n)],
        latest=np.r_[480.0 + day_minutes, np.full(n, 1440.0)],
        day_start=480.0,
        day_end=480.0 + day_minutes,
        lunch=lunch,
    )
    patterns = [
        enumerate_patterns(n_days, f, required_gap(n_days, f), [True] * n_days, week_days=week_days)
        for f in visits
    ]
    irregular = [
        np.array([irregularity(p, n_days, week_days) for p in pats], dtype=float)
        for pats in patterns
    ]
    return CycleProblem(
        shape=shape,
        working=(True,) * n_days,
        visits=np.asarray(visits, dtype=np.int64),
        weight=np.ones(n),
        patterns=patterns,
        irregular=irregular,
        options=PlanOptions() if options is None else options,
    )


def _check(search: CycleSearch) -> None:
    """Every route fits its day and every customer sits on one of its patterns."""
    problem = search.problem
    for route in search.routes:
        assert len(set(route)) == len(route)
        assert schedule_day(problem.shape, route) is not None
    for j in range(problem.size):
        days = {d for d, route in enumerate(search.routes) if j + 1 in route}
        if days:
            assert any(days <= set(p) for p in problem.patterns[j])


def test_two_clusters_are_split_over_two_days() -> None:
    """Two customers east and two west, one visit each in two days: one side per day."""
    xy = np.array([[30.0, 0.0], [31.0, 0.0], [-30.0, 0.0], [-31.0, 0.0]])
    problem = _problem(xy, [1, 1, 1, 1], n_days=2, week_days=2)
    search = CycleSearch(problem, [[1, 3], [2, 4]], seed=0)
    search.run(FOREVER.start(), iterations=200)
    days = [sorted(route) for route in search.routes]
    assert sorted(days) == [[1, 2], [3, 4]]
    assert search.travel() == pytest.approx(2 * 62.0)
    _check(search)


def test_a_customer_left_out_is_planned_when_it_fits() -> None:
    """A customer missing from the start is put on a day with room."""
    xy = np.array([[10.0, 0.0], [12.0, 0.0], [0.0, 10.0]])
    problem = _problem(xy, [1, 1, 1], n_days=2, week_days=2)
    search = CycleSearch(problem, [[1, 2], []], seed=0)
    assert search.missing() == 1
    search.run(FOREVER.start(), iterations=50)
    assert search.missing() == 0
    _check(search)


def test_weekly_customers_keep_their_weekday_under_the_regularity_term() -> None:
    """With a regularity weight, every weekly customer ends on one weekday."""
    rng = np.random.default_rng(1)
    xy = rng.uniform(-20, 20, (12, 2))
    problem = _problem(xy, [2] * 12, n_days=10, week_days=5)
    start = [[] for _ in range(10)]
    for j in range(12):
        start[j % 5].append(j + 1)
        start[(j % 5) + 5].append(j + 1)
    search = CycleSearch(problem, start, seed=3)
    search.run(FOREVER.start(), iterations=300)
    for j in range(12):
        days = sorted(d for d, route in enumerate(search.routes) if j + 1 in route)
        assert len(days) == 2 and days[0] % 5 == days[1] % 5
    _check(search)


def test_same_seed_and_work_limit_give_the_same_routes() -> None:
    """The search is deterministic for a seed and a number of rounds."""
    rng = np.random.default_rng(2)
    xy = rng.uniform(-30, 30, (25, 2))
    problem = _problem(xy, list(rng.choice([1, 2, 4], 25)), n_days=20, week_days=5)
    start = [[] for _ in range(20)]
    routes = []
    for seed in (5, 5):
        search = CycleSearch(problem, start, seed=seed)
        search.run(FOREVER.start(), iterations=150)
        routes.append(search.routes)
    assert routes[0] == routes[1]


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(2, 18),
    lunch=st.booleans(),
    short=st.integers(10, 60),
)
def test_more_rounds_are_never_worse(seed: int, n: int, lunch: bool, short: int) -> None:
    """A run with more rounds ends at a cost no higher than a shorter run, routes feasible."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(-40, 40, (n, 2))
    problem = _problem(
        xy,
        list(rng.choice([1, 2, 4], n)),
        n_days=10,
        week_days=5,
        day_minutes=300.0,
        lunch=(720.0, 780.0, 30.0) if lunch else None,
    )
    costs = []
    for rounds in (short, 4 * short):
        search = CycleSearch(problem, [[] for _ in range(10)], seed=seed)
        start = search.cost()
        search.run(FOREVER.start(), iterations=rounds)
        _check(search)
        assert search.cost() <= start + 1e-6
        costs.append(search.cost())
    assert costs[1] <= costs[0] + 1e-6


def test_a_stalled_search_is_kicked_and_keeps_every_visit() -> None:
    """A stall restarts the search from its best plan, partly re-placed, KICKS times."""
    rng = np.random.default_rng(7)
    xy = rng.uniform(-40, 40, (12, 2))
    problem = _problem(xy, list(rng.choice([1, 2], 12)), n_days=10, week_days=5)
    search = CycleSearch(problem, [[] for _ in range(10)], seed=1)
    report = search.run(FOREVER.start(), iterations=None)  # stops only at a stall
    assert report.rounds >= (KICKS + 1) * STALL_EPOCHS * MIN_EPOCH
    _check(search)
    assert [len(days) for days in search.days_of] == list(problem.visits)
    unkicked = CycleSearch(problem, [[] for _ in range(10)], seed=1)
    unkicked.run(FOREVER.start(), iterations=STALL_EPOCHS * MIN_EPOCH)
    assert search.cost() <= unkicked.cost() + 1e-6


def test_the_clock_stops_the_search() -> None:
    """An expired budget makes no round and leaves the start in place."""
    xy = np.array([[10.0, 0.0], [-10.0, 0.0], [0.0, 10.0]])
    problem = _problem(xy, [1, 1, 1], n_days=2, week_days=2)
    search = CycleSearch(problem, [[1, 2], [3]], seed=0)
    report = search.run(Budget(seconds=0.0, deadline=time.time()).start(), iterations=None)
    assert report.rounds == 0
    assert sorted(v for r in search.routes for v in r) == [1, 2, 3]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("regularity_minutes", -1.0),
        ("balance_minutes", float("nan")),
        ("iterations", -3),
        ("iterations", 2.5),
        ("polish", "yes"),
    ],
)
def test_options_reject_bad_values(field: str, value: object) -> None:
    """PlanOptions names the field of a bad value."""
    with pytest.raises(ValidationError, match=field):
        PlanOptions(**{field: value})  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 100_000), lunch=st.booleans(), size=st.integers(0, 9))
def test_fast_insertion_check_never_admits_an_infeasible_route(
    seed: int, lunch: bool, size: int
) -> None:
    """Whatever the O(1) timing check admits, the full day schedule accepts."""
    rng = np.random.default_rng(seed)
    n = size + 1
    xy = rng.uniform(-40, 40, (n, 2))
    problem = _problem(
        xy, [1] * n, n_days=1, week_days=1, lunch=(720.0, 780.0, 45.0) if lunch else None
    )
    opens = rng.choice([0.0, 540.0, 600.0, 840.0], n)
    closes = np.minimum(1440.0, opens + rng.choice([60.0, 180.0, 900.0], n))
    shape = problem.shape
    windowed = DayShape(
        travel=shape.travel,
        service=np.r_[0.0, rng.choice([15.0, 30.0, 60.0], n)],
        earliest=np.r_[shape.earliest[0], opens],
        latest=np.r_[shape.latest[0], closes],
        day_start=shape.day_start,
        day_end=shape.day_end,
        lunch=shape.lunch,
    )
    problem = CycleProblem(
        windowed,
        problem.working,
        problem.visits,
        problem.weight,
        problem.patterns,
        problem.irregular,
        problem.options,
    )
    # a feasible start: insert the first customers greedily with the full check
    route: list[int] = []
    for v in rng.permutation(np.arange(1, n)).tolist():
        for position in range(len(route) + 1):
            candidate = [*route[:position], v, *route[position:]]
            if schedule_day(windowed, candidate) is not None:
                route = candidate
                break
    search = CycleSearch(problem, [route], seed=0)
    assert not search.simple
    for position in range(len(route) + 1):
        if search._quick_fit(0, n, position):
            assert schedule_day(windowed, [*route[:position], n, *route[position:]]) is not None


def test_a_customer_short_of_visits_completes_its_own_pattern() -> None:
    """A weekly customer seen on day 0 only gets its second visit on day 5, same weekday."""
    problem = _problem(np.array([[10.0, 0.0]]), [2], n_days=10, week_days=5)
    start = [[1]] + [[] for _ in range(9)]
    search = CycleSearch(problem, start, seed=0)
    search.run(FOREVER.start(), iterations=0)
    assert [d for d, route in enumerate(search.routes) if route] == [0, 5]
