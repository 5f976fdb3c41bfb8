"""Tests of the whole-period PyVRP model (territory.routing.periodic.joint)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from territory.routing.periodic.dayplan import DayPlan, feasible_combinations
from territory.routing.periodic.joint import (
    candidate_visits,
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
    assert sorted(visits) == sorted((c, day) for c in route)
    visits, groups = candidate_visits(plan)
    assert len(visits) == sum(
        len(plan.options[c])
        if len(plan.options[c]) > 1 and plan.instance.frequency[c] == 1
        # a multi-visit customer (or one with one usable day) keeps its days
        else len(plan.chosen[c] or ())
        for c in range(1, plan.instance.size + 1)
    )
    for members in groups:
        owners = {visits[k][0] for k in members}
        assert len(owners) == 1
        assert sorted(visits[k][1] for k in members) == [
            o[0] for o in sorted(plan.options[owners.pop()])
        ]


@needs_pyvrp
@settings(max_examples=8, deadline=None)
@given(instance_seed=st.integers(0, 10_000), pick=st.integers(0, 10_000))
def test_a_run_around_a_region_leaves_the_other_routes_alone(instance_seed: int, pick: int) -> None:
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
    improve_jointly(plan, 0.2, seed=1, iterations=200, free=region, region=region)
    after = sorted((d, tuple(route)) for d, day in enumerate(plan.routes) for route in day)
    assert set(outside) <= set(after)
    assert plan.cost() <= before + 1e-9
    assert plan.complete()
    if feasible:
        assert plan.violation() == 0
