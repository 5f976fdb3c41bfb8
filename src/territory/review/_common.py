"""Shared helpers of the review: month arithmetic, ratios and JSON-safe output.

Table checks live in :mod:`territory.tables` (the review's tables included); the names
below are re-exported for the review's modules.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from territory.errors import ProblemCollector
from territory.tables.columns import (
    check_ids_present,
    check_known,
    id_strings,
    require_columns,
    require_frame,
)
from territory.tables.columns import numeric_column as _numeric_column
from territory.tables.months import shift_month
from territory.tables.times import timestamps, to_timestamp, working_days

__all__ = [
    "check_ids_present",
    "check_known",
    "id_strings",
    "numeric_column",
    "percent",
    "quarter_of",
    "ratio",
    "require_columns",
    "require_frame",
    "shift_month",
    "timestamps",
    "to_timestamp",
    "working_days",
]


def numeric_column(
    frame: pd.DataFrame,
    table: str,
    column: str,
    id_column: str,
    problems: ProblemCollector,
    *,
    nonnegative: bool = False,
) -> pd.Series:
    """:func:`territory.tables.columns.numeric_column` as a Series, in the review's order.

    Missing values are a problem; negative values only with ``nonnegative``.
    """
    values = _numeric_column(
        frame,
        column,
        table=table,
        problems=problems,
        id_column=id_column,
        allow_negative=not nonnegative,
    )
    return pd.Series(values, index=frame.index, dtype=float)


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
