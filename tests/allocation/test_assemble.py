"""Tests for territory.allocation.assemble (step 6 of allocate)."""

import numpy as np

from territory.allocation.assemble import bound_labels
from territory.allocation.bounds import (
    FROM_CHILDREN,
    FROM_GROWTH,
    FROM_LIMIT,
    FROM_LOCK,
    UNBOUNDED,
    LevelBounds,
)


def test_bound_labels_name_the_end_each_unit_sits_on():
    """Units at a minimum, a growth maximum, a children's maximum, a lock and inside."""
    bounds = LevelBounds(
        low=np.array([2, 0, 0, 5, 1]),
        high=np.array([9, 4, 6, 5, 9]),
        low_source=np.array([FROM_LIMIT, UNBOUNDED, UNBOUNDED, FROM_LOCK, FROM_LIMIT]),
        high_source=np.array([FROM_LIMIT, FROM_GROWTH, FROM_CHILDREN, FROM_LOCK, FROM_LIMIT]),
        locked=np.array([False, False, False, True, False]),
    )
    labels = bound_labels(np.array([2, 4, 6, 5, 3]), bounds)
    assert labels.tolist() == ["min", "growth_max", "children_max", "locked", None]
