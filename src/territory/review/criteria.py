"""Scorecard criteria built from the other review results."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from territory.errors import ValidationError
from territory.review._common import quarter_of, ratio
from territory.review._inputs import resolve_level_column
from territory.review.achievement import AchievementReview, target_achievement
from territory.review.execution import ExecutionReview

__all__ = ["quarterly_criteria", "rep_criteria"]

_EXECUTION_CRITERIA = (
    "coverage",
    "compliance",
    "frequency_compliance",
    "strike_rate",
    "unplanned_share",
)


def rep_criteria(
    achievement: AchievementReview | None = None,
    execution: ExecutionReview | None = None,
    *,
    level: str = "rep",
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
        Which achievement rows to use.

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
