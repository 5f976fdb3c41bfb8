"""Tests for territory.allocation.top_down (step 4 of allocate)."""

import numpy as np
import pytest

from territory.allocation.bounds import FROM_LIMIT, UNBOUNDED, LevelBounds
from territory.allocation.top_down import apportion_top_down, total_in_steps
from territory.errors import InfeasibleError

NO_MAX = 2**52


def _free(n, high=NO_MAX):
    return LevelBounds(
        low=np.zeros(n, dtype=np.int64),
        high=np.full(n, high, dtype=np.int64),
        low_source=np.full(n, UNBOUNDED, dtype=np.int64),
        high_source=np.full(n, UNBOUNDED if high == NO_MAX else FROM_LIMIT, dtype=np.int64),
        locked=np.zeros(n, dtype=bool),
    )


def test_ten_over_equal_weights_is_four_three_three():
    """10 over weights 1:1:1 by largest remainder gives 4/3/3 (the tie goes to the first)."""
    split = apportion_top_down(
        10,
        parents=[np.zeros(3, dtype=np.int64)],
        weights=[np.ones(3)],
        untapped_base=[None],
        bounds=[_free(3)],
        step=1,
        rounding="largest_remainder",
        seed=None,
    )
    assert split.final[0].tolist() == [4, 3, 3]
    np.testing.assert_allclose(split.fair[0], [10 / 3] * 3)


def test_each_level_splits_its_parents_final_figures():
    """Two teams 1:3 of 8 get 2 and 6; each splits to its two reps equally: 1, 1, 3, 3."""
    done = []
    split = apportion_top_down(
        8,
        parents=[np.zeros(2, dtype=np.int64), np.array([0, 0, 1, 1])],
        weights=[np.array([1.0, 3.0]), np.ones(4)],
        untapped_base=[None, None],
        bounds=[_free(2), _free(4)],
        step=1,
        rounding="largest_remainder",
        seed=None,
        on_level=done.append,
    )
    assert split.final[0].tolist() == [2, 6]
    assert split.final[1].tolist() == [1, 1, 3, 3]
    assert done == [1, 2]


def test_a_maximum_moves_the_rest_to_the_siblings():
    """9 over weights 5:1:1 with every unit capped at 3 is 3/3/3."""
    split = apportion_top_down(
        9,
        parents=[np.zeros(3, dtype=np.int64)],
        weights=[np.array([5.0, 1.0, 1.0])],
        untapped_base=[None],
        bounds=[_free(3, high=3)],
        step=1,
        rounding="largest_remainder",
        seed=None,
    )
    assert split.final[0].tolist() == [3, 3, 3]


def test_total_outside_the_top_range_shows_the_sums():
    """A target of 1,000 over two units capped at 300 each (step 100) cannot be split."""
    with pytest.raises(InfeasibleError, match="sum of maxima 600; the target must lie"):
        total_in_steps(
            1000.0,
            per_unit=False,
            top=_free(2, high=3),
            top_locked=np.zeros(2),
            top_level="team",
            step=100,
        )


def test_total_is_rounded_to_the_step():
    """A target of 1,049 in steps of 100 is 10 steps."""
    units = total_in_steps(
        1049.0, per_unit=False, top=_free(2), top_locked=np.zeros(2), top_level="team", step=100
    )
    assert units == 10
