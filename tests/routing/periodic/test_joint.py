"""Tests of the whole-period PyVRP model (territory.routing.periodic.joint)."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from territory.routing.periodic import PeriodicInstance
from territory.routing.periodic.dayplan import DayPlan, feasible_combinations
from territory.routing.periodic.joint import (
    candidate_visits,
    day_runs,
    improve_jointly,
    joint_available,
    model_days,
    routes_around,
)
from territory_cases import random_pvrp_instance

needs_pyvrp = pytest.mark.skipif(not joint_available(), reason="PyVRP is not installed")


def _plan(instance_seed: int, search_seed: int = 0) -> DayPlan:
    inst = random_pvrp_instance(instance_seed)
    plan = DayPlan(inst, feasible_combinations(inst))
    rng = np.random.default_rng(search_seed)
    plan.construct(rng)
    plan.local_search(rng, deadline=math.inf)
    return plan


def test_routes_around_picks_the_routes_that_visit_the_region() -> None:
    """Per day, exactly the routes with a customer of the region; all of them for None."""
    plan = _plan(3)
    region = {plan.routes[0][0][0]}
    chosen = routes_around(plan, region)
    for d, day in enumerate(plan.routes):
        assert chosen[d] == [r for r, route in enumerate(day) if region & set(route)]
    assert routes_around(plan, None) == [list(range(len(day))) for day in plan.routes]


def test_day_runs_split_at_the_model_days_left_out() -> None:
    assert day_runs({0, 1, 3}, [0, 1, 2, 3]) == [(0, 1), (3, 3)]
    # Day 2 has no vehicle in the model: days 1 and 3 are consecutive there.
    assert day_runs({0, 1, 3}, [0, 1, 3]) == [(0, 3)]
    assert day_runs({2}, [0, 1]) == []
    assert day_runs({4, 0}, [0, 4]) == [(0, 4)]


def test_candidate_visits_around_a_region() -> None:
    """Only visits on the routes around the region are candidates, on the days in the model."""
    plan = _plan(5)
    single = next(c for c in range(1, plan.instance.size + 1) if plan.instance.frequency[c] == 1)
    (day,) = plan.chosen[single] or ()
    route = next(route for route in plan.routes[day] if single in route)
    visits, groups = candidate_visits(plan, None, {single})
    # Only the single's day is in the model, so nobody has an alternative day.
    assert model_days(plan, {single}) == [day]
    assert groups == []
    assert sorted(visits) == sorted((c, day, day) for c in route)


def test_a_one_visit_customer_spans_its_allowed_days() -> None:
    """Any day allowed (days 0-2): one visit over all three; a multi-visit one per day."""
    plan = _plan(5)
    visits, groups = candidate_visits(plan)
    assert groups == []
    expected = []
    for c in range(1, plan.instance.size + 1):
        if plan.instance.frequency[c] == 1:
            expected.append((c, 0, 2))
        else:
            expected.extend((c, d, d) for d in plan.chosen[c] or ())
    assert sorted(visits) == sorted(expected)
    # A customer kept on its day is one visit on that day.
    single = next(c for c in range(1, plan.instance.size + 1) if plan.instance.frequency[c] == 1)
    (day,) = plan.chosen[single] or ()
    visits, _ = candidate_visits(plan, free=set())
    assert (single, day, day) in visits


def test_days_that_are_not_consecutive_make_a_group_of_alternatives() -> None:
    """Days 0 and 2 (not 1) allowed: two visits, of which the model makes one."""
    inst = random_pvrp_instance(5)
    combinations = tuple(
        (0b100, 0b001) if f == 1 else combos
        for f, combos in zip(inst.frequency, inst.combinations, strict=True)
    )
    inst = replace(inst, combinations=combinations)
    plan = DayPlan(inst, feasible_combinations(inst))
    plan.construct(np.random.default_rng(0))
    visits, groups = candidate_visits(plan)
    singles = [c for c in range(1, inst.size + 1) if inst.frequency[c] == 1]
    assert len(groups) == len(singles)
    for members, c in zip(groups, singles, strict=True):
        assert [visits[k] for k in members] == [(c, 0, 0), (c, 2, 2)]


@needs_pyvrp
def test_a_run_moves_one_visit_customers_between_days() -> None:
    """Three customers at one spot, one a day: the run puts them on one route."""
    days = 3
    inst = PeriodicInstance(
        days=days,
        vehicles=1,
        capacity=np.full(days, 10.0),
        max_duration=np.full(days, 1000.0),
        x=np.array([0.0, 100.0, 100.0, 100.0]),
        y=np.array([0.0, 0.0, 1.0, 2.0]),
        service=np.zeros(4),
        demand=np.array([0.0, 1.0, 1.0, 1.0]),
        frequency=np.array([0, 1, 1, 1]),
        combinations=((), *[(0b100, 0b010, 0b001)] * 3),
        name="spot",
    )
    plan = DayPlan(inst, feasible_combinations(inst))
    for d in range(days):
        plan.set_day(d, [[d + 1]])
        plan.chosen[d + 1] = (d,)
    assert plan.complete()
    assert improve_jointly(plan, 1.0, seed=0, iterations=500)
    assert plan.complete()
    assert sum(len(day) for day in plan.routes) == 1
    assert plan.cost() == pytest.approx(100.0 + 2.0 + math.hypot(100.0, 2.0))


@needs_pyvrp
@settings(max_examples=8, deadline=None)
@given(
    instance_seed=st.integers(0, 10_000),
    pick=st.integers(0, 10_000),
    history=st.sampled_from([None, 1, 10]),
)
def test_a_run_around_a_region_leaves_the_other_routes_alone(
    instance_seed: int, pick: int, history: int | None
) -> None:
    """Routes outside the model are untouched; the plan stays complete and no dearer."""
    plan = _plan(instance_seed)
    n = plan.instance.size
    centre = pick % n + 1
    near = np.argsort(plan.dist[centre, 1:], kind="stable")[:4] + 1
    region = {int(c) for c in near}
    inside = routes_around(plan, region)
    outside = sorted(
        (d, tuple(route))
        for d, day in enumerate(plan.routes)
        for r, route in enumerate(day)
        if r not in inside[d]
    )
    before, feasible = plan.cost(), plan.violation() == 0
    twin = plan.copy()
    improve_jointly(plan, 5.0, seed=1, iterations=200, free=region, region=region, history=history)
    improve_jointly(twin, 5.0, seed=1, iterations=200, free=region, region=region, history=history)
    assert twin.routes == plan.routes  # a work limit makes the run reproducible
    after = sorted((d, tuple(route)) for d, day in enumerate(plan.routes) for route in day)
    assert set(outside) <= set(after)
    assert plan.cost() <= before + 1e-9
    assert plan.complete()
    if feasible:
        assert plan.violation() == 0
