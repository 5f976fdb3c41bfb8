"""Target tables: ``level, unit, period, value`` rows, as allocation writes them.

The review compares them with actual sales; a hierarchy table says which unit of each
level a customer belongs to (:func:`resolve_level_column`).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from territory.errors import ProblemCollector
from territory.tables.columns import (
    check_ids_present,
    check_total_finite,
    id_strings,
    numeric_column,
    require_columns,
    require_frame,
)
from territory.tables.months import BAD_MONTH, month_label, month_numbers

__all__ = ["TARGET_COLUMNS", "resolve_level_column", "validate_targets"]

TARGET_COLUMNS = ("level", "unit", "period", "value")


def validate_targets(targets: pd.DataFrame) -> pd.DataFrame:
    """Check and normalise a target allocation table.

    Parameters
    ----------
    targets
        ``level, unit, period, value`` and optionally ``parent``; ``period`` is
        ``"year"`` or a month (``"YYYY-MM"``, or any form
        :func:`territory.tables.months.month_number` reads; written back as ``"YYYY-MM"``).

    Returns
    -------
    pandas.DataFrame
        A copy with string ids, float values and a ``parent`` column.

    Raises
    ------
    ValidationError
        Missing columns, empty ids, malformed periods, negative or missing values, or
        duplicate ``(level, unit, period)`` rows.
    """
    table = "targets"
    frame = require_frame(targets, table).copy()
    require_columns(frame, table, TARGET_COLUMNS)
    problems = ProblemCollector()
    for column in ("level", "unit", "parent"):
        if column in frame.columns:
            frame[column] = id_strings(frame[column])
    if "parent" not in frame.columns:
        frame["parent"] = pd.Series([None] * len(frame), index=frame.index, dtype=object)
    for column in ("level", "unit"):
        check_ids_present(frame, table, column, problems)
    frame["period"] = _periods(frame["period"], frame["unit"], problems)
    frame["value"] = numeric_column(
        frame, "value", table=table, problems=problems, id_column="unit"
    )
    check_total_finite(frame["value"], table=table, column="value", problems=problems)
    key = ["level", "unit", "period"]
    dup = frame.duplicated(key, keep=False) & frame[key].notna().all(axis=1)
    if dup.any():
        labels = [f"{lv}/{u}/{p}" for lv, u, p in frame.loc[dup, key].drop_duplicates().to_numpy()]
        problems.add(
            table,
            "unit",
            f"has {len(labels)} duplicate (level, unit, period) rows",
            labels,
            id_column="level/unit/period",
        )
    problems.raise_if_any()
    return frame.reset_index(drop=True)


def resolve_level_column(
    level: str, hierarchy: pd.DataFrame, levels: Mapping[str, str] | None
) -> str | None:
    """The hierarchy column that holds the units of ``level``.

    ``levels`` wins; otherwise ``level`` itself, then ``<level>_id``; the level
    ``"customer"`` maps to ``customer_id``.
    """
    if levels and level in levels:
        column = levels[level]
        return column if column in hierarchy.columns else None
    for column in (level, f"{level}_id"):
        if column in hierarchy.columns:
            return column
    return None


def _periods(period: pd.Series, units: pd.Series, problems: ProblemCollector) -> pd.Series:
    """The ``period`` column as ``"year"`` or ``"YYYY-MM"``; records the others."""
    year = (id_strings(period) == "year").to_numpy()
    numbers = month_numbers(
        period[~year],
        table="targets",
        column="period",
        ids=units[~year],
        id_column="unit",
        problems=problems,
        expected="'year' or months ('YYYY-MM', a date or a Period)",
    )
    labels = iter([None if n == BAD_MONTH else month_label(int(n)) for n in numbers])
    return pd.Series(
        ["year" if is_year else next(labels) for is_year in year], index=period.index, dtype=object
    )
