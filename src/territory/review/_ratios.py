"""The review's own arithmetic: ratios, percentages and quarter labels.

Table checks (ids, columns, numbers, months, timestamps) are not here: the review's
modules import them from :mod:`territory.tables.columns`, :mod:`territory.tables.months`
and :mod:`territory.tables.times`, where every table's checks live.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

__all__ = ["percent", "quarter_of", "ratio"]


def quarter_of(month: str) -> str:
    """The quarter (``"YYYYQn"``) of a month.

    Examples
    --------
    >>> quarter_of("2026-08")
    '2026Q3'
    """
    return f"{month[:4]}Q{(int(month[5:7]) - 1) // 3 + 1}"


def ratio(numerator: pd.Series | np.ndarray, denominator: pd.Series | np.ndarray) -> np.ndarray:
    """Element-wise ``numerator / denominator``; NaN where the denominator is 0 or missing."""
    num = np.asarray(numerator, dtype=float)
    den = np.asarray(denominator, dtype=float)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    ok = np.isfinite(den) & (den != 0)
    np.divide(num, den, out=out, where=ok)
    return out


def percent(value: object) -> str:
    """``0.8`` as ``"80.0 %"``; missing as ``"n/a"``."""
    if value is None or not isinstance(value, int | float | np.number) or math.isnan(float(value)):
        return "n/a"
    return f"{100 * float(value):.1f} %"
