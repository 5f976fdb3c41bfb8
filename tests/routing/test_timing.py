"""Tests of rep-day timing (lunch placement) and the single-visit reachability test."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from territory.routing.planner.unplanned import (
    OPENING_HOURS,
    REACHABLE,
    TOO_FAR,
    single_visit_status,
)
from territory.routing.timing import DayShape, _walk, schedule_day


def _shape(seed: int, n: int, lunch: bool, day_end: float) -> DayShape:
    rng = np.random.default_rng(seed)
    xy = rng.random((n + 1, 2)) * 60
    travel = np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1))
    opens = np.r_[0.0, rng.choice([0.0, 480.0, 600.0, 780.0], n)]
    closes = np.r_[0.0, opens[1:] + rng.choice([60.0, 200.0, 600.0], n)]
    service = np.r_[0.0, rng.integers(5, 60, n).astype(float)]
    return DayShape(
        travel, service, opens, closes, 480.0, day_end, (720.0, 780.0, 30.0) if lunch else None
    )


def test_lunch_is_taken_while_waiting_when_that_is_free() -> None:
    """Waiting from 12:00 for a customer opening at 13:00 absorbs the lunch break."""
    travel = np.array([[0.0, 10.0, 10.0], [10.0, 0.0, 10.0], [10.0, 10.0, 0.0]])
    shape = DayShape(
        travel,
        np.array([0.0, 230.0, 30.0]),
        np.array([0.0, 480.0, 780.0]),
        np.array([0.0, 600.0, 900.0]),
        480.0,
        1020.0,
        (720.0, 780.0, 30.0),
    )
    schedule = schedule_day(shape, [1, 2])
    assert schedule is not None
    assert schedule.starts == (490.0, 780.0)
    assert 720.0 <= (schedule.break_start or 0.0) <= 780.0
    assert schedule.back == 820.0


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(0, 7),
    lunch=st.booleans(),
    day_end=st.sampled_from([720.0, 900.0, 1020.0]),
)
def test_schedule_matches_trying_every_break_position(
    seed: int, n: int, lunch: bool, day_end: float
) -> None:
    """The O(n) slack test finds the same earliest return as trying every gap."""
    shape = _shape(seed, n, lunch, day_end)
    route = list(np.random.default_rng(seed + 1).permutation(np.arange(1, n + 1)))
    schedule = schedule_day(shape, route)
    best = None
    for gap in [-1] if shape.lunch is None else [-1, *range(n + 1)]:
        walked = _walk(shape, route, gap)
        if walked is None:
            continue
        if gap == -1 and shape.lunch is not None and walked[1] > shape.lunch[1] + 1e-6:
            continue
        best = walked[1] if best is None else min(best, walked[1])
    assert (schedule is None) == (best is None)
    if schedule is not None and best is not None:
        assert abs(schedule.back - best) < 1e-6


def test_single_visit_status_agrees_with_the_day_schedule() -> None:
    """A customer is reachable exactly when a one-visit day can be scheduled."""
    for seed in range(40):
        shape = _shape(seed, 1, seed % 2 == 0, 1020.0)
        t = shape.travel
        status = single_visit_status(
            t[0, 1:],
            t[1:, 0],
            shape.service[1:],
            shape.earliest[1:],
            shape.latest[1:],
            shape.day_start,
            shape.day_end,
            shape.lunch,
        )
        assert (status[0] == REACHABLE) == (schedule_day(shape, [1]) is not None)
        assert status[0] in (REACHABLE, TOO_FAR, OPENING_HOURS)
