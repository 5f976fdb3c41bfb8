"""Tests for territory.allocation.bounds (step 2 of allocate)."""

import numpy as np
import pytest

from territory.allocation import Bounds
from territory.allocation.bounds import (
    FROM_GROWTH,
    FROM_LIMIT,
    FROM_LOCK,
    UNBOUNDED,
    level_bounds,
    read_bounds,
)
from territory.errors import ProblemCollector, ValidationError

IDS = np.array(["A", "B"], dtype=object)


def test_minimum_rounds_up_and_maximum_down_to_the_step():
    """Minimum 150 and maximum 420 in steps of 100 are 2 and 4 steps."""
    got = level_bounds(
        "rep", IDS, Bounds(minimum=150, maximum=420), None, None, 100, ProblemCollector()
    )
    assert got.low.tolist() == [2, 2]
    assert got.high.tolist() == [4, 4]
    assert got.low_source.tolist() == [FROM_LIMIT, FROM_LIMIT]


def test_band_without_a_multiple_of_the_step_is_widened():
    """A band 130 .. 170 holds no multiple of 100: it becomes 1 .. 2 steps."""
    got = level_bounds(
        "rep", IDS[:1], Bounds(minimum=130, maximum=170), None, None, 100, ProblemCollector()
    )
    assert (got.low[0], got.high[0]) == (1, 2)


def test_growth_band_applies_only_to_units_with_sales():
    """Growth -10 % .. +20 % on baselines 100 and 0 gives 90 .. 120 and no bound."""
    got = level_bounds(
        "rep",
        IDS,
        Bounds(growth=(-0.1, 0.2)),
        None,
        np.array([100.0, 0.0]),
        1,
        ProblemCollector(),
    )
    assert got.low.tolist() == [90, 0]
    assert got.high[0] == 120
    assert got.low_source.tolist() == [FROM_GROWTH, UNBOUNDED]


def test_a_lock_overrides_the_bounds():
    """Unit B locked at 300 (step 100) has range 3 .. 3 whatever its minimum."""
    got = level_bounds("rep", IDS, Bounds(minimum=500), {"B": 300}, None, 100, ProblemCollector())
    assert got.locked.tolist() == [False, True]
    assert (got.low[1], got.high[1]) == (3, 3)
    assert got.low_source[1] == FROM_LOCK
    assert got.low[0] == 5


def test_read_bounds_names_unknown_levels_and_bad_locks():
    """Bounds for an unknown level and a lock off the step are both reported at once."""
    with pytest.raises(ValidationError) as info:
        read_bounds(
            ["rep"],
            [IDS],
            bounds={"dealer": Bounds(minimum=1)},
            locks={"rep": {"A": 150}},
            baseline=None,
            step=100,
            problems=ProblemCollector(),
        )
    assert "unknown level 'dealer'" in str(info.value)
    assert "not non-negative multiples of step 100" in str(info.value)
    assert "'A'" in str(info.value)
