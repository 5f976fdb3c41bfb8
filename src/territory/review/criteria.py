"""Scorecard criteria built from the other review results."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from territory.errors import ValidationError
from territory.review._inputs import resolve_level_column
from territory.review._ratios import quarter_of, ratio
from territory.review._supervision import area_column, read_supervision
from territory.review.achievement import AchievementReview, target_achievement
from territory.review.execution import ExecutionReview

__all__ = ["area_criteria", "quarterly_criteria", "rep_criteria"]

_EXECUTION_CRITERIA = (
    "coverage",
    "compliance",
    "frequency_compliance",
    "strike_rate",
    "unplanned_share",
)


def _rep_level(table: pd.DataFrame, level: str | None) -> str:
    """``level``, or the reps' level: ``"rep_id"`` (allocate's name) or ``"rep"``."""
    if level is not None:
        return level
    levels = set(table["level"])
    return "rep" if "rep" in levels and "rep_id" not in levels else "rep_id"


def rep_criteria(
    achievement: AchievementReview | None = None,
    execution: ExecutionReview | None = None,
    *,
    level: str | None = None,
    period: str = "year",
) -> pd.DataFrame:
    """One row per rep with the usual scorecard criteria.

    Parameters
    ----------
    achievement
        Gives ``achievement`` (achievement to date) and ``growth`` of ``level`` units
        for ``period``.
    execution
        Gives ``coverage, compliance, frequency_compliance, strike_rate,
        unplanned_share`` per rep.
    level, period
        Which achievement rows to use; level None takes ``"rep_id"`` (the column name,
        as :func:`territory.allocation.allocate` names levels) or ``"rep"``, whichever
        the achievement has.

    Returns
    -------
    pandas.DataFrame
        ``rep_id`` and the criteria; reps found in only one input have missing values
        for the other's criteria.

    Raises
    ------
    ValidationError
        When neither input is given or the achievement has no rows for level/period.
    """
    if achievement is None and execution is None:
        raise ValidationError(
            "rep_criteria: give an achievement review, an execution review or both"
        )
    frames = []
    if achievement is not None:
        level = _rep_level(achievement.table, level)
        rows = achievement.table[
            (achievement.table["level"] == level) & (achievement.table["period"] == period)
        ]
        if rows.empty:
            raise ValidationError(f"achievement: no rows for level '{level}' and period '{period}'")
        frames.append(
            pd.DataFrame(
                {
                    "rep_id": rows["unit"].to_numpy(dtype=object),
                    "achievement": rows["achievement_to_date"].to_numpy(dtype=float),
                    "growth": rows["growth"].to_numpy(dtype=float),
                }
            )
        )
    if execution is not None:
        frames.append(execution.by_rep[["rep_id", *_EXECUTION_CRITERIA]].copy())
    out = frames[0]
    for other in frames[1:]:
        out = out.merge(other, on="rep_id", how="outer")
    return out.sort_values("rep_id").reset_index(drop=True)


def area_criteria(
    achievement: AchievementReview | None = None,
    execution: ExecutionReview | None = None,
    *,
    reps: pd.DataFrame,
    level: str | None = None,
    period: str = "year",
) -> pd.DataFrame:
    """One row per company rep's area with the scorecard criteria of the whole area.

    The company rep answers for its area, the stores its dealer reps visit included: the
    area's achievement is the summed actual ÷ the summed target to date of its reps, its
    growth the summed actual ÷ the summed prior year − 1, and its execution criteria
    those of :attr:`ExecutionReview.by_area`. Score it with
    ``rep_scorecard(metrics, id_column="area_rep_id")``.

    Parameters
    ----------
    achievement
        Gives ``achievement`` and ``growth`` from the ``level`` rows of ``period``.
    execution
        Gives the execution criteria; run :func:`territory.review.visit_execution` with
        ``reps`` (with ``supervisor_id``) so it has areas.
    reps
        The reps table with ``supervisor_id`` (validated by
        :func:`territory.tables.validate_reps`).
    level, period
        Which achievement rows to use; level None takes ``"rep_id"`` or ``"rep"``, as
        :func:`rep_criteria`.

    Returns
    -------
    pandas.DataFrame
        ``area_rep_id, reps`` and the criteria.

    Raises
    ------
    ValidationError
        When neither review is given, the achievement has no rows for level/period, or
        the execution review has no areas.

    Examples
    --------
    >>> reps = pd.DataFrame({"rep_id": ["C1", "K1"], "kind": ["company", "dealer"],
    ...                      "dealer_id": [None, "D1"], "supervisor_id": [None, "C1"],
    ...                      "home_lon": 9.0, "home_lat": 48.0})
    >>> plan = pd.DataFrame({"rep_id": ["C1", "K1"], "week": 1, "weekday": 0,
    ...                      "customer_id": ["S1", "S2"]})
    >>> log = pd.DataFrame({"rep_id": ["C1"], "customer_id": ["S1"],
    ...                     "timestamp": pd.to_datetime(["2026-11-02"])})
    >>> from territory.review import visit_execution
    >>> run = visit_execution(plan, log, cycle_start="2026-11-02", reps=reps)
    >>> metrics = area_criteria(execution=run, reps=reps)
    >>> metrics[["area_rep_id", "reps", "compliance"]].values.tolist()
    [['C1', 2, 0.5]]
    """
    if achievement is None and execution is None:
        raise ValidationError(
            "area_criteria: give an achievement review, an execution review or both"
        )
    supervision = read_supervision(reps)
    frames = []
    if achievement is not None:
        level = _rep_level(achievement.table, level)
        rows = achievement.table[
            (achievement.table["level"] == level) & (achievement.table["period"] == period)
        ]
        if rows.empty:
            raise ValidationError(f"achievement: no rows for level '{level}' and period '{period}'")
        rows = rows.assign(area_rep_id=area_column(rows["unit"].astype(object), supervision))
        grouped = rows.groupby("area_rep_id", sort=True)
        sums = pd.DataFrame(
            {
                "target_to_date": grouped["target_to_date"].sum(),
                "actual": grouped["actual"].sum(min_count=1),
                "prior_year": grouped["prior_year"].sum(min_count=1),
            }
        )
        frames.append(
            pd.DataFrame(
                {
                    "area_rep_id": sums.index.to_numpy(dtype=object),
                    "achievement": ratio(sums["actual"], sums["target_to_date"]),
                    "growth": ratio(sums["actual"], sums["prior_year"]) - 1.0,
                }
            )
        )
    if execution is not None:
        if execution.by_area.empty:
            raise ValidationError(
                "execution: has no areas; run visit_execution with reps that have supervisor_id"
            )
        frames.append(execution.by_area[["area_rep_id", "reps", *_EXECUTION_CRITERIA]].copy())
    out = frames[0]
    for other in frames[1:]:
        out = out.merge(other, on="area_rep_id", how="outer")
    if "reps" not in out.columns:
        members = pd.Series(list(supervision.area.values()), dtype=object)
        out.insert(1, "reps", out["area_rep_id"].map(members.value_counts()).fillna(0).astype(int))
    return out.sort_values("area_rep_id").reset_index(drop=True)


def quarterly_criteria(
    targets: pd.DataFrame,
    sales: pd.DataFrame,
    hierarchy: pd.DataFrame,
    *,
    level: str = "dealer",
    levels: Mapping[str, str] | None = None,
    through: str | None = None,
) -> pd.DataFrame:
    """Quarterly achievement and growth per unit of one level, from monthly targets.

    Parameters
    ----------
    targets
        Allocation table with monthly (``"YYYY-MM"``) rows for ``level``.
    sales, hierarchy, levels, through
        As for :func:`territory.review.target_achievement`.
    level
        The target level to score (for example ``"dealer"`` or ``"team"``).

    Returns
    -------
    pandas.DataFrame
        ``<level column>, quarter, months_covered, target, target_to_date, actual,
        achievement`` (actual ÷ target to date), ``prior_year`` and ``growth``, for
        every quarter with at least one month of actuals. The first column is named
        like the hierarchy column of the level (for example ``dealer_id``).

    Raises
    ------
    ValidationError
        When ``targets`` has no monthly rows for ``level``.
    """
    frame = targets.copy() if isinstance(targets, pd.DataFrame) else targets
    if isinstance(frame, pd.DataFrame) and {"level", "period"} <= set(frame.columns):
        frame = frame[
            (frame["level"].astype(str) == level) & (frame["period"].astype(str) != "year")
        ]
        if frame.empty:
            raise ValidationError(f"targets: no monthly rows for level '{level}'")
    review = target_achievement(frame, sales, hierarchy, levels=levels, through=through)
    rows = review.table[review.table["months_covered"] > 0].copy()
    rows["quarter"] = rows["period"].map(quarter_of)
    grouped = rows.groupby(["unit", "quarter"], sort=True)
    out = pd.DataFrame(
        {
            "months_covered": grouped["months_covered"].sum(),
            "target": review.table.assign(quarter=review.table["period"].map(quarter_of))
            .groupby(["unit", "quarter"])["target"]
            .sum(),
            "target_to_date": grouped["target_to_date"].sum(),
            "actual": grouped["actual"].sum(),
            "prior_year": grouped["prior_year"].sum(min_count=1),
        }
    ).dropna(subset=["actual"])
    # a quarter whose prior year is only partly in the history has no growth
    has_all_prior = grouped["prior_year"].apply(lambda s: bool(s.notna().all()))
    out.loc[~has_all_prior.reindex(out.index).fillna(False).to_numpy(dtype=bool), "prior_year"] = (
        np.nan
    )
    out = out.reset_index()
    out["months_covered"] = out["months_covered"].astype(int)
    out["achievement"] = ratio(out["actual"], out["target_to_date"])
    out["growth"] = ratio(out["actual"], out["prior_year"]) - 1.0
    id_name = resolve_level_column(level, hierarchy, levels) or level
    return out.rename(columns={"unit": id_name})
