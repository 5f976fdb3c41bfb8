"""Tests of the local day engine (exact programme and local search for one rep-day)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from territory.routing.engines import (
    ENGINE_NAMES,
    DayProblem,
    LocalEngine,
    check_solution,
    day_shape,
    get_engine,
    insertion_route,
    route_cost,
    route_fits,
)
from territory.routing.timing import schedule_day
from territory_cases import line_problem

LUNCH = (720.0, 780.0, 45.0)


def rep_day(n: int, seed: int, *, lunch: bool = True, hours: bool = True) -> DayProblem:
    """A random rep-day: 08:00-17:00, 15-30 minute visits (shorter on long days)."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(-8.0, 8.0, size=(n + 1, 2))
    xy[0] = 0.0
    km = 1.3 * np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2))
    scale = min(1.0, 300.0 / (22.5 * n))  # long days get short visits
    service = np.concatenate([[0.0], rng.uniform(15.0, 30.0, n) * scale])
    earliest = np.full(n + 1, 480.0)
    latest = np.full(n + 1, 1020.0)
    if hours:
        for node in range(1, n + 1):
            draw = rng.uniform()
            if draw < 0.2:
                earliest[node], latest[node] = 540.0, 720.0 - service[node]
            elif draw < 0.4:
                earliest[node], latest[node] = 840.0, 1080.0 - service[node]
    return DayProblem(
        travel=km / 40.0 * 60.0,
        service=service,
        earliest=earliest,
        latest=latest,
        cost=km,
        breaks=LUNCH if lunch else None,
    )


def brute_force(problem: DayProblem) -> float:
    """Cheapest feasible route cost over every permutation (``inf`` when none fits)."""
    visits = range(1, problem.size + 1)
    costs = [
        route_cost(problem, route)
        for route in itertools.permutations(visits)
        if route_fits(problem, route)
    ]
    return min(costs, default=math.inf)


def test_registered() -> None:
    """The engine is found by name and listed in ENGINE_NAMES."""
    assert "local" in ENGINE_NAMES
    assert get_engine("local").name == "local"


def test_line_optimum() -> None:
    """Four stops on a line are visited outwards and back: cost twice the farthest."""
    problem = line_problem([3.0, 1.0, 4.0, 2.0])
    solution = LocalEngine().solve(problem, time_limit=5.0)
    assert solution.routes in ([[2, 4, 1, 3]], [[3, 1, 4, 2]])
    assert solution.cost == pytest.approx(8.0)
    assert solution.feasible
    assert check_solution(problem, solution) == []


def test_opening_hours_force_the_order() -> None:
    """A far stop open only early is visited first although the line order differs."""
    problem = line_problem(
        [1.0, 2.0, 10.0],
        service=np.array([0.0, 5.0, 5.0, 5.0]),
        latest=np.array([100.0, 100.0, 100.0, 10.0]),
    )
    solution = LocalEngine().solve(problem, time_limit=5.0)
    assert solution.routes == [[3, 2, 1]]
    assert solution.starts == [[10.0, 23.0, 29.0]]
    assert solution.cost == pytest.approx(20.0)
    assert check_solution(problem, solution) == []


def test_lunch_is_taken_between_visits() -> None:
    """A day that runs past the lunch window gets a break inside the window."""
    problem = line_problem(
        [10.0, 20.0],
        service=np.array([0.0, 120.0, 120.0]),
        earliest=np.array([600.0, 600.0, 600.0]),
        latest=np.array([1020.0, 1020.0, 1020.0]),
        breaks=LUNCH,
    )
    solution = LocalEngine().solve(problem, time_limit=5.0)
    assert solution.feasible
    (break_start,) = solution.break_starts
    assert break_start is not None
    assert LUNCH[0] <= break_start <= LUNCH[1]
    starts = solution.starts[0]
    ends = [s + problem.service[v] for v, s in zip(solution.routes[0], starts, strict=True)]
    assert all(not (s < break_start < e) for s, e in zip(starts, ends, strict=True))
    assert check_solution(problem, solution) == []


def test_lunch_changes_the_answer() -> None:
    """A stop whose window leaves no room for lunch before it makes the day infeasible."""
    problem = line_problem(
        [30.0],
        service=np.array([0.0, 60.0]),
        earliest=np.array([480.0, 750.0]),
        latest=np.array([1020.0, 760.0]),
    )
    assert LocalEngine().solve(problem, time_limit=5.0).feasible
    with_lunch = line_problem(
        [30.0],
        service=np.array([0.0, 240.0]),
        earliest=np.array([480.0, 690.0]),
        latest=np.array([1020.0, 700.0]),
        breaks=LUNCH,
    )
    solution = LocalEngine().solve(with_lunch, time_limit=5.0)
    assert not solution.feasible
    assert solution.dropped == [1]


def test_empty_day() -> None:
    """A day without visits has no route and costs nothing."""
    problem = line_problem([])
    solution = LocalEngine().solve(problem, time_limit=1.0)
    assert solution.routes == []
    assert solution.cost == 0.0
    assert solution.feasible


@pytest.mark.parametrize("n", [5, 10, 15, 25])
def test_random_days_pass_the_checks(n: int) -> None:
    """Rep-days of every size give routes accepted by check_solution and schedule_day."""
    for seed in range(2):
        problem = rep_day(n, seed, hours=n <= 15)
        solution = LocalEngine().solve(problem, time_limit=5.0, seed=seed)
        assert check_solution(problem, solution) == []
        if solution.feasible:
            schedule = schedule_day(day_shape(problem), solution.routes[0])
            assert schedule is not None
            assert list(schedule.starts) == solution.starts[0]
            assert solution.break_starts == [schedule.break_start]


def test_never_worse_than_insertion() -> None:
    """The engine's route costs no more than the cheapest-insertion start."""
    for seed in range(4):
        problem = rep_day(12, seed)
        start = insertion_route(problem)
        if start is None:
            continue
        solution = LocalEngine().solve(problem, time_limit=5.0)
        assert solution.feasible
        assert solution.cost <= route_cost(problem, start) + 1e-9


def test_deterministic_for_a_seed() -> None:
    """The same problem and seed give the same solution (restricted programme and kicks)."""
    problem = rep_day(18, 3, hours=False)
    first = LocalEngine().solve(problem, time_limit=10.0, seed=7, iterations=20)
    second = LocalEngine().solve(problem, time_limit=10.0, seed=7, iterations=20)
    assert first == second


def test_several_vehicles_go_to_ortools() -> None:
    """A problem with two vehicles is delegated to OR-Tools and still checked feasible."""
    xs = np.array([0.0, -5.0, -4.0, 4.0, 5.0])
    problem = DayProblem(
        travel=np.abs(xs[:, None] - xs[None, :]),
        service=np.zeros(5),
        earliest=np.zeros(5),
        latest=np.array([100.0, 100.0, 100.0, 100.0, 100.0]),
        vehicles=2,
        demand=np.array([0.0, 1.0, 1.0, 1.0, 1.0]),
        capacity=2.0,
    )
    solution = LocalEngine().solve(problem, time_limit=5.0, iterations=5)
    assert solution.feasible
    assert check_solution(problem, solution) == []
    assert solution.cost == pytest.approx(20.0)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(min_value=1, max_value=6),
    seed=st.integers(min_value=0, max_value=10_000),
    lunch=st.booleans(),
    hours=st.booleans(),
    squeeze=st.sampled_from([1.0, 2.5, 4.0]),
)
def test_optimum_equals_brute_force(
    n: int, seed: int, lunch: bool, hours: bool, squeeze: float
) -> None:
    """On up to six stops the engine's cost equals brute force, or both find no route."""
    base = rep_day(n, seed, lunch=lunch, hours=hours)
    problem = DayProblem(
        travel=base.travel * squeeze,
        service=base.service * squeeze,
        earliest=base.earliest,
        latest=base.latest,
        cost=base.cost,
        breaks=base.breaks,
    )
    best = brute_force(problem)
    solution = LocalEngine().solve(problem, time_limit=5.0, seed=seed)
    assert check_solution(problem, solution) == [] or not solution.feasible
    if math.isinf(best):
        assert not solution.feasible
    else:
        assert solution.feasible
        assert solution.cost == pytest.approx(best, abs=1e-6)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(min_value=1, max_value=9),
    seed=st.integers(min_value=0, max_value=10_000),
    lunch=st.booleans(),
    squeeze=st.sampled_from([1.0, 2.0, 3.0]),
)
def test_route_fits_agrees_with_schedule_day(
    n: int, seed: int, lunch: bool, squeeze: float
) -> None:
    """The engine's one-pass timing test accepts exactly the routes schedule_day can time."""
    base = rep_day(n, seed, lunch=lunch)
    problem = DayProblem(
        travel=base.travel * squeeze,
        service=base.service * squeeze,
        earliest=base.earliest,
        latest=base.latest,
        breaks=base.breaks,
    )
    shape = day_shape(problem)
    rng = np.random.default_rng(seed)
    for _ in range(5):
        route = (rng.permutation(n) + 1).tolist()
        assert route_fits(problem, route) == (schedule_day(shape, route) is not None)
