"""Tests for territory.allocation.push_up (step 3 of allocate)."""

import numpy as np
import pytest

from territory.allocation.bounds import FROM_CHILDREN, FROM_LOCK, UNBOUNDED, LevelBounds
from territory.allocation.push_up import format_units, locked_sums, push_bounds_up
from territory.errors import InfeasibleError

NO_MAX = 2**52


def _level(low, high, locked=None):
    n = len(low)
    locked = np.zeros(n, dtype=bool) if locked is None else np.array(locked)
    return LevelBounds(
        low=np.array(low, dtype=np.int64),
        high=np.array(high, dtype=np.int64),
        low_source=np.where(locked, FROM_LOCK, UNBOUNDED).astype(np.int64),
        high_source=np.where(locked, FROM_LOCK, UNBOUNDED).astype(np.int64),
        locked=locked,
    )


LEVELS = ["team", "rep"]
IDS = [np.array(["T"], dtype=object), np.array(["R1", "R2"], dtype=object)]
PARENTS = [np.zeros(1, dtype=np.int64), np.array([0, 0])]


def test_parent_range_is_the_sum_of_two_children():
    """Children 2 .. 4 and 3 .. 6 make a free parent 5 .. 10, marked as from the children."""
    pushed = push_bounds_up(
        [_level([0], [NO_MAX]), _level([2, 3], [4, 6])],
        levels=LEVELS,
        ids=IDS,
        parents=PARENTS,
        step=1,
    )
    team = pushed.levels[0]
    assert (team.low[0], team.high[0]) == (5, 10)
    assert team.low_source[0] == team.high_source[0] == FROM_CHILDREN


def test_parent_own_bound_is_kept_when_tighter():
    """A parent capped at 7 keeps 7 as its maximum; its minimum rises to the children's 5."""
    pushed = push_bounds_up(
        [_level([0], [7]), _level([2, 3], [4, 6])], levels=LEVELS, ids=IDS, parents=PARENTS, step=1
    )
    assert (pushed.levels[0].low[0], pushed.levels[0].high[0]) == (5, 7)


def test_locked_parent_that_children_cannot_fill_shows_the_sums():
    """A team locked at 300 over reps whose minima sum to 500 (step 100) cannot be split."""
    with pytest.raises(InfeasibleError) as info:
        push_bounds_up(
            [_level([3], [3], [True]), _level([2, 3], [4, 6])],
            levels=LEVELS,
            ids=IDS,
            parents=PARENTS,
            step=100,
        )
    assert "team 'T' is locked at 300" in str(info.value)
    assert "sum of minima 500, sum of maxima 1,000" in str(info.value)


def test_locked_sums_add_up_locked_children():
    """Children locked at 2 and free give the parent a locked sum of 2."""
    sums = locked_sums([_level([0], [9]), _level([2, 0], [2, 9], [True, False])], PARENTS)
    assert sums[0].tolist() == [2.0]
    assert sums[1].tolist() == [2.0, 0.0]


def test_format_units_reads_steps_as_amounts():
    """15 steps of 100 read 1,500; NO_MAX reads 'no maximum'."""
    assert format_units(15, 100) == "1,500"
    assert format_units(NO_MAX, 100) == "no maximum"
