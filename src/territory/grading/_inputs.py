"""Grading's own score helper; the tables grading reads live in :mod:`territory.tables`."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["grade_from_thresholds"]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


def grade_from_thresholds(score: FloatArray, thresholds: tuple[float, ...]) -> IntArray:
    """Grade index (0 = best) of each score: the number of thresholds the score is below.

    Examples
    --------
    >>> grade_from_thresholds(np.array([0.9, 0.75, 0.3, 0.0]), (0.75, 0.5, 0.25)).tolist()
    [0, 0, 2, 3]
    """
    index = np.zeros(len(score), dtype=np.int64)
    for t in thresholds:
        index += score < t
    return index
