"""Territory balance drift: territories outside tolerance for several months running."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from territory._json import json_safe
from territory.errors import ProblemCollector, ValidationError
from territory.review._inputs import check_sum_finite
from territory.tables.columns import (
    check_ids_present,
    id_strings,
    numeric_column,
    require_columns,
    require_frame,
)
from territory.tables.months import month_labels, shift_month

__all__ = ["DriftReview", "balance_drift"]


@dataclass(frozen=True, eq=False)
class DriftReview:
    """Monthly deviation of each territory from the average, and the drift flags.

    Attributes
    ----------
    monthly
        One row per territory, month and measure: ``value``, ``reference`` (mean over
        the territories that month), ``deviation`` (value ÷ reference − 1), ``outside``
        (absolute deviation > tolerance) and ``run`` (months outside in a row, ending here).
    flags
        One row per territory and measure: ``run`` at the last month, ``longest_run``,
        ``last_deviation``, ``direction`` (``"over"``/``"under"``/``""``) and ``flagged``
        (run at the last month ≥ ``months``).
    tolerance, months
        The parameters.
    last_month
        The last month reviewed.
    issues
        Reported handling (territory-months without data).
    """

    monthly: pd.DataFrame
    flags: pd.DataFrame
    tolerance: float
    months: int
    last_month: str
    id_column: str
    issues: tuple[str, ...] = ()

    def flagged(self) -> pd.DataFrame:
        """The flagged territory/measure rows."""
        return self.flags[self.flags["flagged"]].reset_index(drop=True)

    def to_frame(self) -> pd.DataFrame:
        """The flags table (a copy)."""
        return self.flags.copy()

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dictionary of the parameters, flags and issues."""
        return {
            "tolerance": self.tolerance,
            "months": self.months,
            "last_month": self.last_month,
            "flags": json_safe(self.flags),
            "issues": list(self.issues),
        }

    def _repr_html_(self) -> str:
        """The summary over the first rows of :meth:`to_frame`, for notebooks."""
        from territory._html import result_html

        return result_html(self)

    def summary(self) -> str:
        """Which territories drifted."""
        flagged = self.flagged()
        lines = [
            f"balance drift to {self.last_month}: {len(flagged)} territory/measure pairs outside "
            f"±{self.tolerance:.0%} for {self.months}+ months"
        ]
        for unit, measure, direction, deviation, run in zip(
            flagged[self.id_column],
            flagged["measure"],
            flagged["direction"],
            flagged["last_deviation"].to_numpy(dtype=float),
            flagged["run"].to_numpy(dtype=int),
            strict=True,
        ):
            lines.append(
                f"  {unit} {measure}: {direction} by {abs(deviation):.0%} for {run} months"
            )
        lines.extend(f"  note: {issue}" for issue in self.issues)
        return "\n".join(lines)


def balance_drift(
    monthly: pd.DataFrame,
    *,
    measures: Sequence[str] = ("workload", "sales"),
    id_column: str = "rep_id",
    month_column: str = "month",
    tolerance: float = 0.2,
    months: int = 3,
) -> DriftReview:
    """Flag territories whose measures stay outside ±tolerance of the average for N months.

    Parameters
    ----------
    monthly
        One row per territory and month: ``id_column``, ``month_column``
        (``"YYYY-MM"``) and the ``measures`` (for example workload minutes, sales).
    measures
        Measure columns to check.
    id_column, month_column
        Column names.
    tolerance
        Allowed relative deviation from the monthly mean over the territories.
    months
        Consecutive months outside tolerance, ending with the last month, that flag a
        territory.

    Returns
    -------
    DriftReview

    Raises
    ------
    ValidationError
        Missing columns, malformed months, negative or non-numeric measures, duplicate
        (territory, month) rows, or bad parameters. A territory missing in a month is
        not evaluated that month (its run restarts) and is reported.

    Examples
    --------
    >>> monthly = pd.DataFrame({"rep_id": ["A", "B"] * 3,
    ...                         "month": ["2026-01"] * 2 + ["2026-02"] * 2 + ["2026-03"] * 2,
    ...                         "sales": [150, 50, 140, 60, 100, 100]})
    >>> drift = balance_drift(monthly, measures=["sales"], months=2)
    >>> drift.flags[["rep_id", "longest_run", "flagged"]].values.tolist()
    [['A', 2, False], ['B', 2, False]]
    """
    if not isinstance(tolerance, int | float) or not math.isfinite(tolerance) or tolerance < 0:
        raise ValidationError(f"tolerance: expected a number ≥ 0, got {tolerance!r}")
    if isinstance(months, bool) or not isinstance(months, int) or months < 1:
        raise ValidationError(f"months: expected a whole number ≥ 1, got {months!r}")
    if isinstance(measures, str) or not measures:
        raise ValidationError("measures: give a list of measure columns")
    table = "monthly"
    frame = require_frame(monthly, table).copy()
    require_columns(frame, table, [id_column, month_column, *measures])
    problems = ProblemCollector()
    frame[id_column] = id_strings(frame[id_column])
    check_ids_present(frame, table, id_column, problems)
    frame[month_column] = month_labels(
        frame[month_column],
        table=table,
        column=month_column,
        ids=frame[id_column],
        id_column=id_column,
        problems=problems,
    )
    for measure in measures:
        frame[measure] = numeric_column(
            frame, measure, table=table, problems=problems, id_column=id_column
        )
        check_sum_finite(frame, table, measure, problems)
    dup = frame.duplicated([id_column, month_column], keep=False)
    if dup.any():
        labels = sorted(
            {f"{t}/{m}" for t, m in frame.loc[dup, [id_column, month_column]].to_numpy()}
        )
        problems.add(
            table,
            month_column,
            f"has {len(labels)} duplicate (territory, month) rows",
            labels,
            id_column=f"{id_column}/{month_column}",
        )
    problems.raise_if_any()
    if frame.empty:
        raise ValidationError(f"{table}: table is empty")
    first, last = str(frame[month_column].min()), str(frame[month_column].max())
    all_months = [first]
    while all_months[-1] < last:
        all_months.append(shift_month(all_months[-1], 1))
    territories = sorted(set(frame[id_column]))
    grid = pd.MultiIndex.from_product([territories, all_months], names=[id_column, month_column])
    panel = frame.set_index([id_column, month_column])[list(measures)].reindex(grid)
    missing = panel[next(iter(measures))].isna()
    issues: list[str] = []
    if missing.any():
        gaps = [f"{t}/{m}" for t, m in panel.index[missing.to_numpy()]]
        issues.append(
            f"{len(gaps)} territory-months have no data and are not evaluated "
            f"({', '.join(gaps[:5])}{' ...' if len(gaps) > 5 else ''})"
        )
    parts = []
    flag_rows = []
    for measure in measures:
        wide = panel[measure].unstack(month_column).reindex(columns=all_months)
        values = wide.to_numpy(dtype=float)
        count = (~np.isnan(values)).sum(axis=0)
        reference = np.where(count > 0, np.nansum(values, axis=0) / np.maximum(count, 1), np.nan)
        with np.errstate(invalid="ignore", divide="ignore"):
            deviation = np.where(reference > 0, values / reference - 1.0, np.nan)
        outside = np.abs(np.nan_to_num(deviation, nan=0.0)) > tolerance
        run = np.zeros_like(values, dtype=int)
        for j in range(len(all_months)):
            run[:, j] = np.where(outside[:, j], (run[:, j - 1] if j else 0) + 1, 0)
        parts.append(
            pd.DataFrame(
                {
                    id_column: np.repeat(territories, len(all_months)),
                    "month": np.tile(all_months, len(territories)),
                    "measure": measure,
                    "value": values.ravel(),
                    "reference": np.tile(reference, len(territories)),
                    "deviation": deviation.ravel(),
                    "outside": outside.ravel(),
                    "run": run.ravel(),
                }
            )
        )
        last_dev = deviation[:, -1]
        for i, territory in enumerate(territories):
            dev = float(last_dev[i])
            flag_rows.append(
                {
                    id_column: territory,
                    "measure": measure,
                    "run": int(run[i, -1]),
                    "longest_run": int(run[i].max()),
                    "last_deviation": dev,
                    "direction": ("over" if dev > 0 else "under") if outside[i, -1] else "",
                    "flagged": bool(run[i, -1] >= months),
                }
            )
    return DriftReview(
        monthly=pd.concat(parts, ignore_index=True),
        flags=pd.DataFrame(flag_rows),
        tolerance=float(tolerance),
        months=months,
        last_month=last,
        id_column=id_column,
        issues=tuple(issues),
    )
