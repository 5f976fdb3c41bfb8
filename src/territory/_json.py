"""Conversion of results into JSON-safe values, shared by every ``to_dict()``."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["json_safe"]


def json_safe(value: Any) -> Any:
    """Convert ``value`` into str/int/float/bool/None, lists and dicts.

    NaN, infinities and missing values become ``None``; numpy scalars become Python
    numbers; dates become ISO strings; a DataFrame becomes a list of records.

    Examples
    --------
    >>> json_safe({"a": np.float64("nan"), "b": (np.int64(2), pd.Timestamp("2026-01-05"))})
    {'a': None, 'b': [2, '2026-01-05T00:00:00']}
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        number = float(value)
        return None if math.isnan(number) or math.isinf(number) else number
    if isinstance(value, str):
        return value
    if isinstance(value, pd.Timestamp | datetime | date):
        return value.isoformat()
    if isinstance(value, pd.DataFrame):
        return [json_safe(row) for row in value.to_dict(orient="records")]
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, Iterable):
        return [json_safe(v) for v in value]
    return str(value)
