"""The review's sales-side inputs: targets, actual sales and the hierarchy, together.

Each table is checked in :mod:`territory.tables` (:func:`~territory.tables.targets.
validate_targets`, :func:`~territory.tables.history.validate_sales`);
:func:`prepare_sales_inputs` checks that they fit together.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from territory.errors import ProblemCollector
from territory.tables.columns import (
    check_ids_present,
    check_known,
    check_total_finite,
    id_strings,
    require_columns,
    require_frame,
)
from territory.tables.history import SALES_COLUMNS, validate_sales
from territory.tables.months import require_month
from territory.tables.targets import TARGET_COLUMNS, resolve_level_column, validate_targets

__all__ = [
    "SALES_COLUMNS",
    "TARGET_COLUMNS",
    "SalesInputs",
    "check_sum_finite",
    "prepare_sales_inputs",
    "require_month",
    "resolve_level_column",
    "validate_sales",
    "validate_targets",
]


def check_sum_finite(
    frame: pd.DataFrame, table: str, column: str, problems: ProblemCollector
) -> None:
    """Refuse amounts whose sum overflows float64 (see :func:`check_total_finite`)."""
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
    check_total_finite(values, table=table, column=column, problems=problems)


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
