"""Tests for territory.allocation.months (step 5 of allocate)."""

import numpy as np

from territory.allocation.months import months_up, split_months


def test_flat_year_of_twelve_over_three_months_is_four_each():
    """12 month steps over three flat months give 4, 4, 4."""
    fair, final = split_months(np.array([12]), np.full((1, 3), 1 / 3))
    assert final.tolist() == [[4, 4, 4]]
    np.testing.assert_allclose(fair, [[4.0, 4.0, 4.0]])


def test_remainder_goes_to_the_earlier_month_on_a_tie():
    """10 over shares 1/2, 1/4, 1/4 is 5, 2.5, 2.5: the tied half step goes to month 2."""
    _, final = split_months(np.array([10]), np.array([[0.5, 0.25, 0.25]]))
    assert final.tolist() == [[5, 3, 2]]


def test_upper_levels_sum_their_childrens_months():
    """Two reps with months (1, 2) and (3, 4) under one team give the team (4, 6)."""
    fair = np.array([[1.0, 2.0], [3.0, 4.0]])
    final = np.array([[1, 2], [3, 4]])
    fair_m, final_m = months_up(
        [np.zeros(1, dtype=np.int64), np.array([0, 0])], [1, 2], fair, final
    )
    assert final_m[0].tolist() == [[4, 6]]
    np.testing.assert_allclose(fair_m[0], [[4.0, 6.0]])
    assert final_m[1].tolist() == [[1, 2], [3, 4]]
