"""Tests of the combination search (territory.routing.periodic.alns)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from territory.routing.periodic.alns import (
    EPOCHS,
    POLISH_SHARE_BOUNDS,
    THRESHOLD,
    polish_bounds,
    threshold_share,
)
from territory.routing.periodic.dayplan import DayPlan, feasible_combinations
from territory_cases import random_pvrp_instance


def _plan(customers: int) -> tuple[DayPlan, np.ndarray]:
    inst = random_pvrp_instance(4, customers=customers)
    plan = DayPlan(inst, feasible_combinations(inst))
    rng = np.random.default_rng(0)
    plan.construct(rng)
    plan.local_search(rng, deadline=math.inf)
    order = np.argsort(plan.dist[1:, 1:], axis=1, kind="stable") + 1
    return plan, order


def test_no_polishing_when_a_region_holds_every_route() -> None:
    """Regions as large as the instance make polishing a whole-period run: share 0."""
    plan, order = _plan(25)
    assert polish_bounds(plan, order) == (0.0, 0.0)


def test_polishing_share_grows_with_the_routes_outside_a_region() -> None:
    """Small regions of a plan leave most routes outside: polishing may take a larger share."""
    plan, order = _plan(25)
    low, high = polish_bounds(plan, order[:, :1])
    routes = sum(len(day) for day in plan.routes)
    # A one-customer region holds one route on each of that customer's days.
    visits = np.mean([len(plan.chosen[c] or ()) for c in range(1, plan.instance.size + 1)])
    assert high == pytest.approx(min(POLISH_SHARE_BOUNDS[1], 1.0 - visits / routes))
    assert low == min(POLISH_SHARE_BOUNDS[0], high)
    assert 0.0 < high <= POLISH_SHARE_BOUNDS[1]


def test_the_threshold_falls_to_zero_in_each_epoch() -> None:
    """Full at the start of every epoch, half-way down in its middle, zero at the end."""
    epoch = 1.0 / EPOCHS
    for k in range(EPOCHS):
        assert threshold_share((k + 1e-9) * epoch) == pytest.approx(THRESHOLD)
        assert threshold_share((k + 0.5) * epoch) == pytest.approx(THRESHOLD / 2)
        assert threshold_share((k + 1) * epoch - 1e-9) == pytest.approx(0.0, abs=1e-6)
    assert threshold_share(1.0) == 0.0
    assert threshold_share(1.5) == 0.0


@given(st.floats(0.0, 1.0), st.floats(0.0, 1.0))
def test_the_threshold_only_falls_within_an_epoch(a: float, b: float) -> None:
    """Between two points of one epoch the later threshold is never higher."""
    early, late = sorted((a, b))
    share = threshold_share(late)
    assert 0.0 <= share <= THRESHOLD
    if math.floor(early * EPOCHS) == math.floor(late * EPOCHS):
        assert share <= threshold_share(early) + 1e-12
