"""The tables grading takes are read in :mod:`territory.tables`; grading's own helpers.

:func:`customer_index`, :func:`numeric_column`, :func:`read_history` and
:class:`History` are re-exported from :mod:`territory.tables` for the grading schemes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from territory.tables.columns import numeric_column, positions_of
from territory.tables.customers import customer_index
from territory.tables.history import MAX_WINDOW_MONTHS, History, read_history
from territory.tables.months import month_label, parse_month

__all__ = [
    "MAX_WINDOW_MONTHS",
    "History",
    "as_str_array",
    "customer_index",
    "grade_from_thresholds",
    "month_label",
    "numeric_column",
    "parse_month",
    "positions_of",
    "read_history",
]

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


def as_str_array(values: Any) -> NDArray[np.object_]:
    """Values as a numpy object array of str."""
    return np.asarray(pd.Series(values).astype(str).to_numpy(dtype=object), dtype=object)
