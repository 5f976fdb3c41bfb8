"""matplotlib charts of the review; matplotlib is imported inside each function.

The charts are built on a bare :class:`matplotlib.figure.Figure` (no pyplot, no global
state): save them with ``fig.savefig("chart.png")`` or show them in a notebook.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from territory.errors import ValidationError
from territory.review.achievement import AchievementReview
from territory.review.execution import ExecutionReview

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["achievement_chart", "compliance_heatmap", "grade_mix_chart"]

#: Colours of the charts and maps (matplotlib's tab10).
PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)


def _figure(width: float, height: float) -> Figure:
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("charts need matplotlib: pip install 'territory[plot]'") from exc
    return Figure(figsize=(width, height), layout="constrained")


def achievement_chart(
    review: AchievementReview | pd.DataFrame,
    *,
    level: str | None = None,
    period: str = "year",
    column: str = "achievement_to_date",
    warn_below: float = 0.9,
    limit: int | None = 40,
) -> Figure:
    """Horizontal bars of achievement per unit, lowest first, with the 100 % line.

    Parameters
    ----------
    review
        An :class:`AchievementReview` or its table.
    level, period
        Which rows to draw; level None takes ``"rep_id"`` (the column name, as
        :func:`territory.allocation.allocate` names levels) or ``"rep"``, whichever the
        table has.
    column
        ``"achievement_to_date"`` (default) or ``"achievement"``.
    warn_below
        Bars below this (but under 100 %) are orange, lower ones red; 100 % and above green.
    limit
        Draw at most this many units (the lowest); None for all.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValidationError
        When there are no rows for level and period.
    """
    table = review.table if isinstance(review, AchievementReview) else review
    if level is None:
        levels = set(table["level"])
        level = "rep" if "rep" in levels and "rep_id" not in levels else "rep_id"
    rows = table[(table["level"] == level) & (table["period"] == period)]
    if rows.empty:
        raise ValidationError(f"achievement: no rows for level '{level}' and period '{period}'")
    rows = rows.sort_values([column, "unit"], na_position="first")
    if limit is not None:
        rows = rows.head(limit)
    values = rows[column].to_numpy(dtype=float) * 100.0
    colours = [
        "#2ca02c" if v >= 100 else "#ff7f0e" if v >= warn_below * 100 else "#d62728"
        for v in np.nan_to_num(values)
    ]
    fig = _figure(7.0, max(2.5, 0.28 * len(rows) + 1.2))
    ax = fig.add_subplot()
    positions = np.arange(len(rows))
    ax.barh(positions, np.nan_to_num(values), color=colours)
    ax.set_yticks(positions, [str(u) for u in rows["unit"]])
    ax.invert_yaxis()  # lowest at the top
    ax.axvline(100.0, color="black", linewidth=1, linestyle="--")
    ax.set_xlabel("achievement (%)" + (" to date" if column == "achievement_to_date" else ""))
    ax.set_title(f"{level} achievement, {period}")
    return fig


def compliance_heatmap(review: ExecutionReview, *, annotate: bool | None = None) -> Figure:
    """Heat map of journey-plan compliance by rep (rows) and plan week (columns).

    Parameters
    ----------
    review
        The execution review.
    annotate
        Write the percentages into the cells (default when there are at most 30 reps).

    Returns
    -------
    matplotlib.figure.Figure
    """
    data = review.by_rep_week.pivot(index="rep_id", columns="week", values="compliance")
    fig = _figure(2.0 + 0.9 * max(1, data.shape[1]), 1.5 + 0.3 * max(1, data.shape[0]))
    ax = fig.add_subplot()
    values = data.to_numpy(dtype=float) * 100.0
    image = ax.imshow(np.ma.masked_invalid(values), cmap="RdYlGn", vmin=0, vmax=100, aspect="auto")
    ax.set_xticks(np.arange(data.shape[1]), [f"W{w}" for w in data.columns])
    ax.set_yticks(np.arange(data.shape[0]), [str(r) for r in data.index])
    if annotate if annotate is not None else data.shape[0] <= 30:
        for (i, j), value in np.ndenumerate(values):
            if np.isfinite(value):
                ax.text(j, i, f"{value:.0f}", ha="center", va="center", fontsize=8)
    fig.colorbar(image, ax=ax, label="compliance (%)")
    ax.set_title(f"journey-plan compliance (±{review.tolerance_days} d)")
    return fig


def grade_mix_chart(customers: pd.DataFrame, *, by: str | None = "rep_id") -> Figure:
    """Stacked bars of the number of customers per grade, per ``by`` group (or overall).

    Parameters
    ----------
    customers
        A table with a ``grade`` column (and the ``by`` column).
    by
        Group column (for example ``"rep_id"``), or None for a single bar.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValidationError
        When ``grade`` or ``by`` is missing.
    """
    missing = [c for c in ("grade", by) if c is not None and c not in customers.columns]
    if missing:
        raise ValidationError([f"customers: column '{c}' is missing" for c in missing])
    frame = customers.assign(
        _group=customers[by].astype(str) if by is not None else "all",
        _grade=customers["grade"]
        .astype(object)
        .where(customers["grade"].notna(), "(none)")
        .astype(str),
    )
    counts = frame.groupby(["_group", "_grade"]).size().unstack(fill_value=0).sort_index()
    fig = _figure(max(4.0, 0.35 * len(counts) + 2.0), 4.0)
    ax = fig.add_subplot()
    bottom = np.zeros(len(counts))
    positions = np.arange(len(counts))
    for i, grade in enumerate(counts.columns):
        heights = counts[grade].to_numpy(dtype=float)
        ax.bar(positions, heights, bottom=bottom, label=str(grade), color=PALETTE[i % len(PALETTE)])
        bottom += heights
    ax.set_xticks(positions, [str(g) for g in counts.index], rotation=90 if len(counts) > 8 else 0)
    ax.set_ylabel("customers")
    ax.set_title("grade mix" + (f" by {by}" if by else ""))
    ax.legend(title="grade", fontsize=8)
    return fig
