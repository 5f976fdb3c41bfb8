"""Targets against actuals: achievement, year-on-year growth, gaps and month-to-date pace."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from territory._json import json_safe
from territory.errors import ValidationError
from territory.review._inputs import SalesInputs, prepare_sales_inputs, require_month
from territory.review._ratios import percent, ratio
from territory.tables.months import shift_month
from territory.tables.times import to_timestamp, working_days

__all__ = ["AchievementReview", "PaceReview", "month_pace", "target_achievement"]

logger = logging.getLogger("territory")

ACHIEVEMENT_COLUMNS = [
    "level",
    "unit",
    "parent",
    "period",
    "target",
    "actual",
    "achievement",
    "gap",
    "months_covered",
    "target_to_date",
    "achievement_to_date",
    "prior_year",
    "growth",
]


@dataclass(frozen=True, eq=False)
class AchievementReview:
    """Achievement of every target unit and period.

    Attributes
    ----------
    table
        One row per target row: ``level, unit, parent, period, target, actual,
        achievement`` (actual ÷ target), ``gap`` (target − actual, positive when
        behind), ``months_covered`` (months of the period with actuals),
        ``target_to_date`` (the part of the target due by ``through``: the unit's
        monthly targets of the covered months when all are given, else the target
        pro rata), ``achievement_to_date``, ``prior_year`` (actual of the same months a
        year earlier, missing when any of those months is absent from the sales table)
        and ``growth`` (actual ÷ prior_year − 1). Months after ``through`` have no
        actual (missing).
    year
        The plan year that ``"year"`` periods refer to.
    through
        Last month with actuals (``"YYYY-MM"``).
    issues
        Reported handling: units with no customers, sales not attributable to a unit.
    """

    table: pd.DataFrame
    year: int
    through: str
    issues: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """The achievement table (a copy)."""
        return self.table.copy()

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dictionary: year, through, issues and the rows."""
        return {
            "year": self.year,
            "through": self.through,
            "issues": list(self.issues),
            "rows": json_safe(self.table),
        }

    def furthest_behind(
        self, n: int = 5, *, level: str | None = None, period: str | None = None
    ) -> pd.DataFrame:
        """The ``n`` units with the lowest achievement to date.

        Parameters
        ----------
        n
            How many rows.
        level, period
            Restrict to one level and/or period.

        Returns
        -------
        pandas.DataFrame
            Rows of :attr:`table`, lowest ``achievement_to_date`` first (units without
            actuals last), ties broken by the larger gap then the unit id.
        """
        rows = self.table
        if level is not None:
            rows = rows[rows["level"] == level]
        if period is not None:
            rows = rows[rows["period"] == period]
        rows = rows.assign(_gap=-rows["gap"]).sort_values(
            ["achievement_to_date", "_gap", "unit"], na_position="last", kind="stable"
        )
        return rows.drop(columns="_gap").head(n).reset_index(drop=True)

    def _repr_html_(self) -> str:
        """The summary over the first rows of :meth:`to_frame`, for notebooks."""
        from territory._html import result_html

        return result_html(self)

    def summary(self) -> str:
        """Achievement to date of the ``"year"`` targets per level, and the laggards."""
        lines = [f"targets vs actuals, year {self.year}, actuals through {self.through}"]
        if len(self.table) and not (self.table["period"] == "year").any():
            lines[0] += f" (month {self.through} shown)"
        year_rows = self.table[self.table["period"] == "year"]
        month_rows = self.table[self.table["period"] == self.through]
        rows = year_rows if len(year_rows) else month_rows if len(month_rows) else self.table
        for level, group in rows.groupby("level", sort=False):
            total = float(group["target_to_date"].sum())
            achieved = float(group["actual"].sum()) / total if total else float("nan")
            behind = group.sort_values("achievement_to_date", na_position="last").iloc[0]
            lines.append(
                f"  {level}: {len(group)} units, {percent(achieved)} of target to date; "
                f"furthest behind {behind['unit']} at {percent(behind['achievement_to_date'])}"
            )
        lines.extend(f"  note: {issue}" for issue in self.issues)
        return "\n".join(lines)


def target_achievement(
    targets: pd.DataFrame,
    sales: pd.DataFrame,
    hierarchy: pd.DataFrame,
    *,
    levels: Mapping[str, str] | None = None,
    year: int | None = None,
    through: str | None = None,
) -> AchievementReview:
    """Achievement, gap and year-on-year growth of every target unit and period.

    Parameters
    ----------
    targets
        Allocation table ``level, unit, parent, period, value``; ``period`` is
        ``"year"`` or ``"YYYY-MM"``.
    sales
        Actual sales, long table ``customer_id, month, sales``, including the prior
        year when growth is wanted.
    hierarchy
        One row per customer: ``customer_id`` and a column per target level holding
        the customer's unit (``rep_id``, ``team``, ``region`` ...).
    levels
        Target level → hierarchy column. Unlisted levels use the column named like the
        level, then ``<level>_id`` (so ``"customer"`` → ``customer_id``).
    year
        Plan year of ``"year"`` periods; default the year of the monthly target periods,
        else the year of ``through``.
    through
        Last month of actuals (default the latest month in ``sales``).

    Returns
    -------
    AchievementReview

    Raises
    ------
    ValidationError
        Bad tables, a level without a hierarchy column, sales of customers missing from
        the hierarchy, or an ambiguous plan year.

    Examples
    --------
    >>> targets = pd.DataFrame({"level": ["rep"], "unit": ["R1"], "period": ["2026-03"],
    ...                         "value": [100.0]})
    >>> sales = pd.DataFrame({"customer_id": ["C1", "C2"], "month": ["2026-03"] * 2,
    ...                       "sales": [50.0, 30.0]})
    >>> hierarchy = pd.DataFrame({"customer_id": ["C1", "C2"], "rep_id": ["R1", "R1"]})
    >>> target_achievement(targets, sales, hierarchy).table.loc[0, "achievement"]
    np.float64(0.8)
    """
    inputs = prepare_sales_inputs(targets, sales, hierarchy, levels)
    if through is None:
        if inputs.sales.empty:
            raise ValidationError("sales: table is empty; give 'through' or some actuals")
        through = str(inputs.sales["month"].max())
    through = require_month(through, "through")
    plan_year = _plan_year(inputs.targets, through, year)
    history_months = set(inputs.sales["month"])
    issues: list[str] = []
    parts = [
        _level_rows(inputs, level, plan_year, through, history_months, issues)
        for level in inputs.level_columns
    ]
    table = (
        pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=ACHIEVEMENT_COLUMNS)
    )
    return AchievementReview(table=table, year=plan_year, through=through, issues=tuple(issues))


def _plan_year(targets: pd.DataFrame, through: str, year: int | None) -> int:
    if year is not None:
        return int(year)
    monthly = targets.loc[targets["period"] != "year", "period"]
    years = sorted({int(p[:4]) for p in monthly})
    if len(years) > 1 and (targets["period"] == "year").any():
        raise ValidationError(
            f"targets: column 'period' has months of {len(years)} years "
            f"({', '.join(map(str, years))}) next to 'year' rows; pass year=..."
        )
    return years[0] if years else int(through[:4])


def _level_rows(
    inputs: SalesInputs,
    level: str,
    plan_year: int,
    through: str,
    history_months: set[str],
    issues: list[str],
) -> pd.DataFrame:
    column = inputs.level_columns[level]
    targets = inputs.targets[inputs.targets["level"] == level].copy()
    unit_month = inputs.unit_month_sales(level)
    lookup = dict(
        zip(
            zip(unit_month["unit"], unit_month["month"], strict=True),
            unit_month["sales"].to_numpy(dtype=float),
            strict=True,
        )
    )
    known_units = set(inputs.hierarchy[column].dropna())
    empty_units = sorted(set(targets["unit"]) - known_units)
    if empty_units:
        issues.append(
            f"level '{level}': {len(empty_units)} target units have no customers in the "
            f"hierarchy column '{column}', their actual is 0 ({', '.join(empty_units[:5])})"
        )
    without_target = sorted(set(unit_month["unit"]) - set(targets["unit"]))
    if without_target:
        issues.append(
            f"level '{level}': {len(without_target)} units with sales have no target "
            f"and are not reviewed ({', '.join(without_target[:5])})"
        )
    unassigned, amount = inputs.unassigned_sales(level)
    if unassigned:
        issues.append(
            f"level '{level}': sales of {amount:,.2f} by {len(unassigned)} customers with an "
            f"empty '{column}' count at no unit ({', '.join(unassigned[:5])})"
        )
    monthly_targets = dict(
        zip(
            zip(targets["unit"], targets["period"], strict=True),
            targets["value"].to_numpy(dtype=float),
            strict=True,
        )
    )
    year_months = [f"{plan_year:04d}-{m:02d}" for m in range(1, 13)]
    records: list[dict[str, object]] = []
    for unit, parent, period, value in targets[["unit", "parent", "period", "value"]].itertuples(
        index=False
    ):
        months = year_months if period == "year" else [period]
        covered = [m for m in months if m <= through]
        actual = sum(lookup.get((unit, m), 0.0) for m in covered) if covered else np.nan
        if period == "year":
            due = [monthly_targets.get((unit, m)) for m in covered]
            if covered and all(d is not None for d in due):
                target_to_date = float(sum(d for d in due if d is not None))
            else:
                target_to_date = float(value) * len(covered) / 12.0
        else:
            target_to_date = float(value) if covered else 0.0
        prior_months = [shift_month(m, -12) for m in covered]
        if covered and all(m in history_months for m in prior_months):
            prior = float(sum(lookup.get((unit, m), 0.0) for m in prior_months))
        else:
            prior = np.nan
        records.append(
            {
                "level": level,
                "unit": unit,
                "parent": parent,
                "period": period,
                "target": float(value),
                "actual": actual,
                "months_covered": len(covered),
                "target_to_date": target_to_date,
                "prior_year": prior,
            }
        )
    frame = pd.DataFrame(
        records, columns=[c for c in ACHIEVEMENT_COLUMNS if c in records[0]] if records else None
    )
    if frame.empty:
        return pd.DataFrame(columns=ACHIEVEMENT_COLUMNS)
    frame["achievement"] = ratio(frame["actual"], frame["target"])
    frame["gap"] = frame["target"] - frame["actual"]
    frame["achievement_to_date"] = ratio(frame["actual"], frame["target_to_date"])
    frame["growth"] = ratio(frame["actual"], frame["prior_year"]) - 1.0
    frame["parent"] = frame["parent"].astype(object)
    return frame[ACHIEVEMENT_COLUMNS]


@dataclass(frozen=True, eq=False)
class PaceReview:
    """Month-to-date sales against the pro-rata monthly target.

    Attributes
    ----------
    table
        ``level, unit, target, actual, expected`` (target × elapsed share),
        ``pace`` (actual ÷ expected), ``gap_to_pace`` (expected − actual),
        ``projected`` (actual ÷ elapsed share) and ``on_track`` (pace ≥ 1).
    month
        The month under review (``"YYYY-MM"``).
    as_of
        The as-of date.
    elapsed_days, working_days
        Working days of the month up to and including ``as_of``, and in total.
    issues
        Reported handling (units without customers, unattributed sales).
    """

    table: pd.DataFrame
    month: str
    as_of: pd.Timestamp
    elapsed_days: int
    working_days: int
    issues: tuple[str, ...] = ()

    @property
    def elapsed_share(self) -> float:
        """Elapsed share of the month's working days."""
        return self.elapsed_days / self.working_days if self.working_days else 0.0

    def to_frame(self) -> pd.DataFrame:
        """The pace table (a copy)."""
        return self.table.copy()

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dictionary of the review."""
        return {
            "month": self.month,
            "as_of": self.as_of.date().isoformat(),
            "elapsed_days": self.elapsed_days,
            "working_days": self.working_days,
            "elapsed_share": self.elapsed_share,
            "issues": list(self.issues),
            "rows": json_safe(self.table),
        }

    def _repr_html_(self) -> str:
        """The summary over the first rows of :meth:`to_frame`, for notebooks."""
        from territory._html import result_html

        return result_html(self)

    def summary(self) -> str:
        """Share of units on track per level."""
        lines = [
            f"month-to-date pace {self.month} as of {self.as_of.date()}: "
            f"{self.elapsed_days} of {self.working_days} working days "
            f"({percent(self.elapsed_share)})"
        ]
        for level, group in self.table.groupby("level", sort=False):
            expected = float(group["expected"].sum())
            pace = float(group["actual"].sum()) / expected if expected else float("nan")
            lines.append(
                f"  {level}: {int(group['on_track'].sum())} of {len(group)} units on track, "
                f"pace {percent(pace)}"
            )
        lines.extend(f"  note: {issue}" for issue in self.issues)
        return "\n".join(lines)


def month_pace(
    targets: pd.DataFrame,
    sales: pd.DataFrame,
    hierarchy: pd.DataFrame,
    *,
    as_of: object,
    levels: Mapping[str, str] | None = None,
    holidays: Iterable[object] = (),
    weekdays: Sequence[int] = (0, 1, 2, 3, 4),
) -> PaceReview:
    """Month-to-date actuals against the month's target times the elapsed working days.

    Parameters
    ----------
    targets
        Allocation table; its rows for the month of ``as_of`` are used.
    sales
        Sales so far (``customer_id, month, sales``); rows of other months are ignored.
    hierarchy
        Customer → unit columns, as for :func:`target_achievement`.
    as_of
        The date up to which ``sales`` are complete (inclusive).
    levels
        Target level → hierarchy column.
    holidays
        Dates that are not working days.
    weekdays
        Working weekdays (Monday = 0).

    Returns
    -------
    PaceReview

    Raises
    ------
    ValidationError
        Bad tables or no monthly target for the month of ``as_of``.

    Examples
    --------
    >>> targets = pd.DataFrame({"level": ["rep"], "unit": ["R1"], "period": ["2026-06"],
    ...                         "value": [2200.0]})
    >>> sales = pd.DataFrame({"customer_id": ["C1"], "month": ["2026-06"], "sales": [500.0]})
    >>> hierarchy = pd.DataFrame({"customer_id": ["C1"], "rep_id": ["R1"]})
    >>> review = month_pace(targets, sales, hierarchy, as_of="2026-06-05")
    >>> (review.elapsed_days, review.working_days, float(review.table.loc[0, "expected"]))
    (5, 22, 500.0)
    """
    stamp = to_timestamp(as_of, "as_of")
    month = f"{stamp.year:04d}-{stamp.month:02d}"
    inputs = prepare_sales_inputs(targets, sales, hierarchy, levels)
    month_targets = inputs.targets[inputs.targets["period"] == month]
    if month_targets.empty:
        raise ValidationError(
            f"targets: column 'period' has no rows for {month}, the month of as_of {stamp.date()}"
        )
    days = working_days(month, holidays, weekdays)
    elapsed = sum(1 for d in days if d <= stamp.date())
    share = elapsed / len(days) if days else 0.0
    issues: list[str] = []
    ignored = int((inputs.sales["month"] != month).sum())
    if ignored:
        issues.append(f"{ignored} sales rows of other months than {month} are not used")
    month_sales = inputs.sales[inputs.sales["month"] == month]
    scoped = SalesInputs(month_targets, month_sales, inputs.hierarchy, inputs.level_columns)
    parts = []
    for level in dict.fromkeys(month_targets["level"]):
        level_targets = month_targets[month_targets["level"] == level]
        unit_sales = scoped.unit_month_sales(str(level)).set_index("unit")["sales"]
        actual = level_targets["unit"].map(unit_sales).fillna(0.0).to_numpy(dtype=float)
        missing = sorted(set(level_targets["unit"]) - set(unit_sales.index))
        if missing:
            issues.append(
                f"level '{level}': {len(missing)} units have no sales yet this month "
                f"({', '.join(missing[:5])})"
            )
        target = level_targets["value"].to_numpy(dtype=float)
        expected = target * share
        parts.append(
            pd.DataFrame(
                {
                    "level": str(level),
                    "unit": level_targets["unit"].to_numpy(dtype=object),
                    "target": target,
                    "actual": actual,
                    "expected": expected,
                    "pace": ratio(actual, expected),
                    "gap_to_pace": expected - actual,
                    "projected": actual / share if share else np.full(len(actual), np.nan),
                    "on_track": actual >= expected,
                }
            )
        )
    return PaceReview(
        table=pd.concat(parts, ignore_index=True),
        month=month,
        as_of=stamp,
        elapsed_days=elapsed,
        working_days=len(days),
        issues=tuple(issues),
    )
