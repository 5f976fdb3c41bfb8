"""Validation of the review's sales-side inputs: targets, actual sales and the hierarchy."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from territory.errors import ProblemCollector, ValidationError
from territory.review._common import (
    check_ids_present,
    check_known,
    id_strings,
    is_month,
    month_mask,
    numeric_column,
    require_columns,
    require_frame,
)

TARGET_COLUMNS = ("level", "unit", "period", "value")
SALES_COLUMNS = ("customer_id", "month", "sales")


def check_sum_finite(
    frame: pd.DataFrame, table: str, column: str, problems: ProblemCollector
) -> None:
    """Refuse amounts whose sum overflows float64 (every total would be infinite)."""
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
    values = values[np.isfinite(values)]
    with np.errstate(over="ignore"):
        total = float(np.abs(values).sum())
    if values.size and not np.isfinite(total):
        problems.add(
            table,
            column,
            "adds up to more than the largest float (about 1.8e308), so totals would be "
            "infinite; give the amounts in a larger unit (e.g. thousands)",
        )


def validate_targets(targets: pd.DataFrame) -> pd.DataFrame:
    """Check and normalise a target allocation table.

    Parameters
    ----------
    targets
        ``level, unit, period, value`` and optionally ``parent``; ``period`` is
        ``"year"`` or ``"YYYY-MM"``.

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
    period = id_strings(frame["period"])
    bad = ~period.map(lambda p: p == "year" or is_month(p)).astype(bool)
    if bad.any():
        problems.add(
            table,
            "period",
            f"has {int(bad.sum())} values that are neither 'year' nor 'YYYY-MM'",
            list(frame.loc[bad, "unit"]),
            id_column="unit",
        )
    frame["period"] = period
    frame["value"] = numeric_column(frame, table, "value", "unit", problems, nonnegative=True)
    check_sum_finite(frame, table, "value", problems)
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


def validate_sales(sales: pd.DataFrame, *, table: str = "sales") -> pd.DataFrame:
    """Check and normalise a long sales table ``customer_id, month, sales``.

    Negative sales (returns) are allowed; duplicate ``(customer_id, month)`` rows are not.

    Raises
    ------
    ValidationError
        Listing every problem found.
    """
    frame = require_frame(sales, table).copy()
    require_columns(frame, table, SALES_COLUMNS)
    problems = ProblemCollector()
    frame["customer_id"] = id_strings(frame["customer_id"])
    check_ids_present(frame, table, "customer_id", problems)
    month = id_strings(frame["month"])
    bad = ~month_mask(month)
    if bad.any():
        problems.add(
            table,
            "month",
            f"has {int(bad.sum())} values not written 'YYYY-MM'",
            list(frame.loc[bad, "customer_id"]),
            id_column="customer_id",
        )
    frame["month"] = month
    frame["sales"] = numeric_column(frame, table, "sales", "customer_id", problems)
    check_sum_finite(frame, table, "sales", problems)
    dup = frame.duplicated(["customer_id", "month"], keep=False)
    if dup.any():
        labels = [
            f"{c}/{m}"
            for c, m in frame.loc[dup, ["customer_id", "month"]].drop_duplicates().to_numpy()
        ]
        problems.add(
            table,
            "month",
            f"has {len(labels)} duplicate (customer_id, month) rows",
            labels,
            id_column="customer_id/month",
        )
    problems.raise_if_any()
    return frame[list(SALES_COLUMNS)].reset_index(drop=True)


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


@dataclass(frozen=True, eq=False)
class SalesInputs:
    """Validated targets, sales and hierarchy, and the hierarchy column of each level."""

    targets: pd.DataFrame
    sales: pd.DataFrame
    hierarchy: pd.DataFrame
    level_columns: dict[str, str]

    def unit_month_sales(self, level: str) -> pd.DataFrame:
        """Sales summed per unit of ``level`` and month: ``unit, month, sales``."""
        column = self.level_columns[level]
        joined = self.sales.merge(
            pd.DataFrame(
                {"customer_id": self.hierarchy["customer_id"], "unit": self.hierarchy[column]}
            ),
            on="customer_id",
            how="left",
        )
        joined = joined[joined["unit"].notna()]
        return joined.groupby(["unit", "month"])["sales"].sum().reset_index()

    def unassigned_sales(self, level: str) -> tuple[list[str], float]:
        """Customers with sales but no unit at ``level``, and their total sales."""
        column = self.level_columns[level]
        empty = set(self.hierarchy.loc[self.hierarchy[column].isna(), "customer_id"])
        rows = self.sales[self.sales["customer_id"].isin(empty)]
        return sorted(set(rows["customer_id"])), float(rows["sales"].sum())


def prepare_sales_inputs(
    targets: pd.DataFrame,
    sales: pd.DataFrame,
    hierarchy: pd.DataFrame,
    levels: Mapping[str, str] | None = None,
) -> SalesInputs:
    """Validate the three tables together; every sales customer must be in the hierarchy."""
    target_frame = validate_targets(targets)
    sales_frame = validate_sales(sales)
    table = "hierarchy"
    hier = require_frame(hierarchy, table).copy()
    require_columns(hier, table, ["customer_id"])
    problems = ProblemCollector()
    hier["customer_id"] = id_strings(hier["customer_id"])
    check_ids_present(hier, table, "customer_id", problems)
    dup = hier["customer_id"].duplicated(keep=False) & hier["customer_id"].notna()
    if dup.any():
        ids = sorted(set(hier.loc[dup, "customer_id"]))
        problems.add(
            table, "customer_id", f"has {len(ids)} duplicate ids", ids, id_column="customer_id"
        )
    level_columns: dict[str, str] = {}
    for level in dict.fromkeys(target_frame["level"].dropna()):
        column = resolve_level_column(str(level), hier, levels)
        if column is None:
            wanted = (levels or {}).get(str(level), f"'{level}' or '{level}_id'")
            problems.add(
                table,
                str(wanted).strip("'"),
                f"is missing: no column holds the units of target level '{level}'",
            )
            continue
        level_columns[str(level)] = column
    for column in set(level_columns.values()):
        if column != "customer_id":
            hier[column] = id_strings(hier[column])
    check_known(
        sales_frame["customer_id"],
        hier["customer_id"],
        "sales",
        "customer_id",
        "customers (not in the hierarchy)",
        problems,
    )
    problems.raise_if_any()
    return SalesInputs(target_frame, sales_frame, hier.reset_index(drop=True), level_columns)


def require_month(value: object, name: str) -> str:
    """``value`` as a ``"YYYY-MM"`` string, or a ValidationError."""
    text = str(value)
    if not is_month(text):
        raise ValidationError(f"{name}: expected a month written 'YYYY-MM', got {value!r}")
    return text
