"""Tests of the periodic VRP solver (territory.routing.periodic.solve)."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from territory.errors import InfeasibleError, ValidationError
from territory.routing.periodic import (
    PeriodicInstance,
    PeriodicRoute,
    PeriodicSolution,
    combination_days,
    days_combination,
    read_cordeau,
    solve_pvrp,
)
from territory.routing.periodic.dayplan import DayPlan, feasible_combinations
from territory.routing.periodic.solution import route_cost
from territory_cases import random_pvrp_instance

BENCHMARKS = Path(__file__).resolve().parents[4] / "shared" / "benchmarks" / "cordeau-pvrp"

TINY = """1 2 3 5
0 10
480 12
0 10
0 10
0 10
 0 0 0 0 0 0 0
 1 3 4 5 2 2 2 10 5
 2 -3 4 0 1 1 5 16 8 4 2 1
 3 0 -6 2.5 9 5 1
 31
"""


def _engine_or_skip(name: str) -> str:
    from territory.routing.engines import get_engine

    try:
        get_engine(name)
    except ImportError as error:  # the engine module or its solver is not installed
        pytest.skip(f"engine {name!r} unavailable: {error}")
    return name


def _two_day(
    capacity: float = 2.0, max_duration: float = math.inf, c_combinations: tuple[int, ...] = (1,)
) -> PeriodicInstance:
    """Depot (0,0); A (10,0) both days; B (0,5) day 1 or 2; C (0,-5) as given."""
    return PeriodicInstance(
        days=2,
        vehicles=1,
        capacity=np.array([capacity, capacity]),
        max_duration=np.array([max_duration, max_duration]),
        x=np.array([0.0, 10.0, 0.0, 0.0]),
        y=np.array([0.0, 0.0, 5.0, -5.0]),
        service=np.zeros(4),
        demand=np.array([0.0, 1.0, 1.0, 1.0]),
        frequency=np.array([0, 2, 1, 1]),
        combinations=((), (3,), (2, 1), c_combinations),
        name="two-day",
    )


def test_combination_bit_order() -> None:
    """The leftmost of the t bits is day 1 (t=5: 10 = 01010 = days 2 and 4)."""
    assert combination_days(10, 5) == (2, 4)
    assert combination_days(16, 5) == (1,)
    assert combination_days(31, 5) == (1, 2, 3, 4, 5)
    assert days_combination([1, 3], 3) == 5


def test_read_cordeau_tiny_file(tmp_path: Path) -> None:
    """Header, per-day limits, wrapped records and combinations are read as written."""
    path = tmp_path / "tiny.txt"
    path.write_text(TINY)
    inst = read_cordeau(path)
    assert (inst.name, inst.days, inst.vehicles, inst.size) == ("tiny", 5, 2, 3)
    assert inst.capacity.tolist() == [10, 12, 10, 10, 10]
    assert np.isinf(inst.max_duration[0]) and inst.max_duration[1] == 480
    assert inst.x.tolist() == [0, 3, -3, 0] and inst.y.tolist() == [0, 4, 4, -6]
    assert inst.service.tolist() == [0, 5, 0, 2.5]
    assert inst.demand.tolist() == [0, 2, 1, 9]
    assert inst.frequency.tolist() == [0, 2, 1, 5]
    assert inst.combinations[1] == (10, 5)
    assert inst.allowed_days(1) == [(2, 4), (3, 5)]
    assert inst.allowed_days(2) == [(1,), (2,), (3,), (4,), (5,)]
    assert inst.allowed_days(3) == [(1, 2, 3, 4, 5)]  # record wrapped over two lines
    assert inst.distance[1, 2] == pytest.approx(6.0)


def test_read_cordeau_rejects_bad_files(tmp_path: Path) -> None:
    """Truncated files, wrong ids and wrong frequencies raise ValidationError."""
    truncated = tmp_path / "cut.txt"
    truncated.write_text(TINY.rsplit("\n", 3)[0])
    with pytest.raises(ValidationError, match="ends early"):
        read_cordeau(truncated)
    wrong_count = tmp_path / "count.txt"
    wrong_count.write_text(TINY.replace(" 2 -3 4 0 1 1 5", " 2 -3 4 0 1 2 5"))
    with pytest.raises(ValidationError, match=r"different from the frequency \(customer: '2'\)"):
        read_cordeau(wrong_count)
    with pytest.raises(ValidationError, match="not a PVRP"):
        bad_type = tmp_path / "type.txt"
        bad_type.write_text("2" + TINY[1:])
        read_cordeau(bad_type)


def test_instance_validation_lists_every_problem() -> None:
    """Negative demand and an out-of-range combination are reported together."""
    with pytest.raises(ValidationError) as info:
        PeriodicInstance(
            days=2,
            vehicles=1,
            capacity=np.array([5.0, 5.0]),
            max_duration=np.array([np.inf, np.inf]),
            x=np.zeros(3),
            y=np.zeros(3),
            service=np.zeros(3),
            demand=np.array([0.0, -1.0, 1.0]),
            frequency=np.array([0, 1, 1]),
            combinations=((), (1,), (4,)),
        )
    assert len(info.value.problems) == 2
    assert "demand" in str(info.value) and "outside 1..3" in str(info.value)


def test_customer_that_fits_nowhere_is_infeasible() -> None:
    """A demand above every allowed day's capacity raises InfeasibleError with numbers."""
    with pytest.raises(InfeasibleError, match=r"demand 1 vs capacity 0\.5"):
        feasible_combinations(_two_day(capacity=0.5))


def test_checker_catches_wrong_days_overload_and_long_route() -> None:
    """The checker reports a forbidden combination, an overload and an overlong route."""
    inst = _two_day(max_duration=30.0)
    good = (PeriodicRoute(1, 1, (1, 2)), PeriodicRoute(2, 1, (1, 3)))
    cost = 2 * (15 + math.sqrt(125))
    assert PeriodicSolution(inst, good, cost).check() == []

    wrong_day = (PeriodicRoute(1, 1, (2, 1, 3)), PeriodicRoute(2, 1, (1,)))
    found = PeriodicSolution(inst, wrong_day, 30 + 2 * math.sqrt(125)).check()
    assert not any(v.startswith("cost") for v in found)
    assert any("customer 3: visited on days [1]" in v for v in found)
    assert any("load 3 exceeds capacity 2" in v for v in found)
    assert any("duration 32.361 exceeds limit 30" in v for v in found)

    twice = (PeriodicRoute(1, 1, (1, 2)), PeriodicRoute(1, 2, (3,)), PeriodicRoute(2, 1, (2,)))
    found = PeriodicSolution(inst, twice, 1.0).check()
    assert any("customer 1: visited on days [1]" in v for v in found)
    assert any("outside days 1..2 / vehicles 1..1" in v for v in found)
    assert any(v.startswith("cost: stated 1.0000") for v in found)


def test_plan_estimates_match_route_costs() -> None:
    """Insertion and removal estimates equal the change of the routes' distance."""
    inst = _two_day(capacity=10.0, c_combinations=(2, 1))
    plan = DayPlan(inst, feasible_combinations(inst))
    plan.construct(np.random.default_rng(0))
    before = plan.distance()
    day = plan.chosen[2]
    assert day is not None
    saving = sum(plan.removal(2, d) for d in day)
    plan.remove(2)
    assert plan.distance() == pytest.approx(before - saving)
    price, route, position = plan.insertion(2, 0)
    plan.insert(2, 0, route, position)
    plan.chosen[2] = (0,)
    assert plan.distance() == pytest.approx(before - saving + price)


def test_a_plan_with_a_customer_on_part_of_its_combination_is_not_complete() -> None:
    """A cycle search that could not place a visit leaves A on one of its two days."""
    inst = _two_day(capacity=10.0)
    plan = DayPlan(inst, feasible_combinations(inst))
    plan.construct(np.random.default_rng(0))
    assert plan.complete()
    partial = plan.copy()
    partial.set_day(1, [[c for c in r if c != 1] for r in partial.routes[1]])
    partial.chosen[1] = (0,)  # what the search reports: the days A is visited on
    assert partial.violation() == 0 and partial.cost() < plan.cost()
    assert not partial.complete()  # cheaper, within the limits, and not a solution
    partial.chosen[1] = (0, 1)  # the combination, with the day-2 visit still missing
    assert not partial.complete()


@pytest.mark.parametrize(
    ("engine", "whole_period"), [("ortools", False), ("pyvrp", False), ("pyvrp", True)]
)
def test_two_day_optimum(engine: str, whole_period: bool) -> None:
    """Capacity 2 forces B onto day 1 (C may only come on day 2): cost 2 x (15 + √125)."""
    solution = solve_pvrp(
        _two_day(),
        engine=_engine_or_skip(engine),
        time_limit=1.0,
        seed=0,
        whole_period=whole_period,
    )
    assert solution.check() == []
    assert solution.cost == pytest.approx(2 * (15 + math.sqrt(125)))
    assert solution.combination_of() == {1: (1, 2), 2: (1,), 3: (2,)}
    frame = solution.to_frame()
    assert frame.shape == (4, 4) and frame["customer"].tolist().count(1) == 2
    assert solution.to_dict()["routes"][0]["day"] == 1
    assert "feasible" in solution.summary()


def test_time_limit_must_be_positive() -> None:
    """A zero time limit is a ValidationError."""
    with pytest.raises(ValidationError, match="time_limit"):
        solve_pvrp(_two_day(), time_limit=0.0)


@settings(max_examples=10, deadline=None)
@given(instance_seed=st.integers(0, 10_000), search_seed=st.integers(0, 10_000))
def test_search_keeps_every_customer_on_an_allowed_combination(
    instance_seed: int, search_seed: int
) -> None:
    """After construction, search and perturbation each customer sits on an allowed combination."""
    inst = random_pvrp_instance(instance_seed)
    plan = DayPlan(inst, feasible_combinations(inst))
    rng = np.random.default_rng(search_seed)
    plan.construct(rng)
    plan.local_search(rng, deadline=math.inf)
    plan.perturb(rng, 6)
    plan.local_search(rng, deadline=math.inf)
    routes = tuple(
        PeriodicRoute(d + 1, v, tuple(r))
        for d in range(inst.days)
        for v, r in enumerate(plan.routes[d], start=1)
    )
    solution = PeriodicSolution(inst, routes, plan.distance())
    violations = solution.check()
    # Capacity 40 a vehicle, 2 vehicles and about 70 units a day: the penalty must win.
    assert violations == [] or plan.violation() > 0
    assert not any(
        v.startswith(("customer", "cost", "day")) and "exceeds" not in v for v in violations
    )


@settings(max_examples=10, deadline=None)
@given(instance_seed=st.integers(0, 10_000), search_seed=st.integers(0, 10_000))
def test_combination_moves_lower_the_cost(instance_seed: int, search_seed: int) -> None:
    """The combination search never raises the penalised cost and ends at a local optimum."""
    inst = random_pvrp_instance(instance_seed)
    plan = DayPlan(inst, feasible_combinations(inst))
    rng = np.random.default_rng(search_seed)
    plan.construct(rng)
    moved = plan.perturb(rng, 8)
    assert len(moved) == 8
    assert all(plan.chosen[c] in plan.options[c] for c in moved)
    before = plan.cost()
    plan.local_search(rng, deadline=math.inf, customers=moved)
    middle = plan.cost()
    plan.local_search(rng, deadline=math.inf)
    assert plan.cost() <= middle + 1e-6 <= before + 2e-6
    assert not plan.local_search(rng, deadline=math.inf)
    for d in range(inst.days):
        on_day = sorted(plan.customers_on(d))
        assert on_day == sorted(c for c in range(1, inst.size + 1) if d in (plan.chosen[c] or ()))
    total = sum(route_cost(inst, r) for day in plan.routes for r in day)
    assert abs(plan.distance() - total) < 1e-6


@pytest.mark.parametrize(
    ("engine", "iterations"),
    [pytest.param("ortools", 5, marks=pytest.mark.slow), ("pyvrp", 100)],
)
def test_same_seed_same_solution(engine: str, iterations: int) -> None:
    """With work limits instead of the clock, the same seed gives the same routes."""
    inst = random_pvrp_instance(1)
    runs = [
        solve_pvrp(
            inst,
            engine=_engine_or_skip(engine),
            time_limit=30.0,
            seed=7,
            max_rounds=3,
            engine_iterations=iterations,
        )
        for _ in range(2)
    ]
    assert runs[0].check() == []
    assert runs[0].routes == runs[1].routes


@pytest.mark.slow
@pytest.mark.skipif(not BENCHMARKS.is_dir(), reason="../shared/benchmarks is absent")
@pytest.mark.parametrize("engine", ["ortools", "pyvrp"])
def test_p01_feasible_in_seconds(engine: str) -> None:
    """Cordeau p01 (with customer 51 at the depot, full-truck) is solved feasibly."""
    inst = read_cordeau(BENCHMARKS / "p01.txt")
    solution = solve_pvrp(inst, engine=_engine_or_skip(engine), time_limit=4.0, seed=0)
    assert solution.check() == []
    assert any(r.customers == (51,) for r in solution.routes)
    assert solution.cost < 1.15 * 524.61


@pytest.mark.parametrize("engine", ["ortools", "pyvrp"])
def test_cycle_method_finds_the_two_day_optimum(engine: str) -> None:
    """The planner's cycle search (method='cycle') solves the two-day case to optimum."""
    solution = solve_pvrp(
        _two_day(), engine=_engine_or_skip(engine), time_limit=2.0, seed=0, method="cycle"
    )
    assert solution.check() == []
    assert solution.cost == pytest.approx(2 * (15 + math.sqrt(125)))


@settings(max_examples=5, deadline=None)
@given(instance_seed=st.integers(0, 10_000))
def test_cycle_method_keeps_every_rule_and_is_reproducible(instance_seed: int) -> None:
    """Cycle method: same routes twice; only visits that do not fit are missing."""
    inst = random_pvrp_instance(instance_seed)
    runs = [
        solve_pvrp(inst, engine="ortools", time_limit=30.0, seed=3, max_rounds=60, method="cycle")
        for _ in range(2)
    ]
    assert runs[0].routes == runs[1].routes
    for violation in runs[0].check():  # no load, duration or day rule is broken ...
        assert violation.startswith("customer ") and "visited on days" in violation
    for customer, days in runs[0].combination_of().items():  # ... visits are only missing
        assert any(set(days) <= set(allowed) for allowed in inst.allowed_days(customer))


def test_cycle_method_with_pyvrp_is_reproducible_under_a_work_limit() -> None:
    """Cycle pass, PyVRP and combination search: a work limit gives the same plan twice."""
    engine = _engine_or_skip("pyvrp")
    inst = random_pvrp_instance(7)
    settings = {"max_rounds": 40, "engine_iterations": 200, "method": "cycle"}
    runs = [
        solve_pvrp(inst, engine=engine, time_limit=60.0, seed=2, **settings)  # type: ignore[arg-type]
        for _ in range(2)
    ]
    assert runs[0].routes == runs[1].routes
    assert runs[0].check() == []


def test_unknown_method_is_rejected() -> None:
    """A method other than 'combinations' or 'cycle' is a ValidationError."""
    with pytest.raises(ValidationError, match="method"):
        solve_pvrp(_two_day(), method="genetic")


def test_a_portfolio_returns_the_cheapest_of_its_seeded_searches() -> None:
    """runs=2 solves with seeds 3 and 4 and keeps the cheaper plan; on an executor alike."""
    inst = random_pvrp_instance(11)
    settings = {"engine": "ortools", "time_limit": 30.0, "max_rounds": 40, "method": "cycle"}
    # a run of a portfolio without an executor gets half the time: the work limit binds first
    alone = [
        solve_pvrp(inst, seed=seed, **{**settings, "time_limit": 15.0})  # type: ignore[arg-type]
        for seed in (3, 4)
    ]
    cheapest = min(alone, key=lambda solution: (bool(solution.check()), solution.cost))
    both = solve_pvrp(inst, seed=3, runs=2, **settings)  # type: ignore[arg-type]
    assert both.routes == cheapest.routes
    with ThreadPoolExecutor(max_workers=2) as pool:
        pooled = solve_pvrp(inst, seed=3, executor=pool, **settings)  # type: ignore[arg-type]
    assert pooled.routes == cheapest.routes


@pytest.mark.parametrize("runs", [0, -1, 1.5, True])
def test_runs_must_be_a_positive_integer(runs: object) -> None:
    """A portfolio of no searches, or of a fraction, is a ValidationError."""
    with pytest.raises(ValidationError, match="runs"):
        solve_pvrp(_two_day(), runs=runs)  # type: ignore[arg-type]
