"""The whole monthly review in one call, written to a folder (tables, charts, maps)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from territory._json import json_safe
from territory.errors import ValidationError
from territory.review._common import require_columns, require_frame
from territory.review.achievement import AchievementReview, target_achievement
from territory.review.audit import AuditSample, audit_sample
from territory.review.criteria import rep_criteria
from territory.review.drift import DriftReview, balance_drift
from territory.review.execution import ExecutionReview, visit_execution
from territory.review.scorecards import Scorecard, rep_scorecard

__all__ = ["ReviewReport", "write_review"]

logger = logging.getLogger("territory")


@dataclass(frozen=True, eq=False)
class ReviewReport:
    """Everything :func:`write_review` computed and wrote.

    Attributes
    ----------
    out_dir
        The output folder.
    files
        Files written, relative to ``out_dir``.
    achievement, execution, scorecard, audit, drift
        The review results.
    """

    out_dir: Path
    files: tuple[str, ...]
    achievement: AchievementReview
    execution: ExecutionReview
    scorecard: Scorecard
    audit: AuditSample
    drift: DriftReview

    def to_frame(self) -> pd.DataFrame:
        """The rep scorecard (criteria, scores and ranks)."""
        return self.scorecard.to_frame()

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dictionary of every part."""
        return {
            "out_dir": str(self.out_dir),
            "files": list(self.files),
            "achievement": self.achievement.to_dict(),
            "execution": self.execution.to_dict(),
            "scorecard": self.scorecard.to_dict(),
            "audit": self.audit.to_dict(),
            "drift": json_safe(self.drift.to_dict()),
        }

    def summary(self) -> str:
        """The summaries of every part and the files written."""
        parts = [
            self.achievement.summary(),
            self.execution.summary(),
            self.scorecard.summary(),
            self.audit.summary(),
            self.drift.summary(),
            f"review: wrote {len(self.files)} files to {self.out_dir}",
        ]
        return "\n".join(parts)


def write_review(
    out_dir: str | Path,
    *,
    visits: pd.DataFrame,
    visit_log: pd.DataFrame,
    customers: pd.DataFrame,
    reps: pd.DataFrame,
    targets: pd.DataFrame,
    sales: pd.DataFrame,
    cycle_start: object,
    seed: int,
    tolerance_days: int = 1,
    audit_month: str | None = None,
    pictures: bool = True,
) -> ReviewReport:
    """Run the monthly review and write its tables, charts and maps to ``out_dir``.

    Parameters
    ----------
    out_dir
        Output folder (created when missing).
    visits
        Route-plan visits of the cycle.
    visit_log
        Executed visits ``customer_id, rep_id, timestamp`` (optional ``order``,
        ``order_value``).
    customers
        ``customer_id, lon, lat, rep_id, grade, visits_per_cycle`` (plus any other
        hierarchy column named by a target level, e.g. ``dealer_id``).
    reps
        ``rep_id, home_lon, home_lat``.
    targets
        Allocation table ``level, unit, parent, period, value`` with rows of the level
        ``"rep"`` or ``"rep_id"`` (e.g. ``territory.allocation.allocate(...).to_frame()``).
    sales
        Sales history and actuals ``customer_id, month, sales``.
    cycle_start
        Monday on which the plan's week 1 starts.
    seed
        Seed of the audit sample.
    tolerance_days
        Journey-plan tolerance (± days).
    audit_month
        Month of the audit sample (default the month of ``cycle_start``).
    pictures
        Write the PNG charts and HTML maps (needs matplotlib and folium).

    Returns
    -------
    ReviewReport

    Raises
    ------
    ValidationError
        From any stage, naming the table, column and ids.
    """
    frame = require_frame(customers, "customers")
    require_columns(frame, "customers", ["customer_id", "rep_id", "grade", "visits_per_cycle"])
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files: list[str] = []
    hierarchy = frame.drop(columns=[c for c in ("lon", "lat", "geometry") if c in frame.columns])
    achievement = target_achievement(targets, sales, hierarchy)
    execution = visit_execution(
        visits,
        visit_log,
        cycle_start=cycle_start,
        requirements=frame[["customer_id", "grade", "visits_per_cycle"]],
        customers=frame,
        reps=reps,
        tolerance_days=tolerance_days,
    )
    levels = set(achievement.table["level"])
    rep_level = next((lv for lv in ("rep", "rep_id") if lv in levels), None)
    if rep_level is None:
        raise ValidationError(
            "targets: column 'level' has no 'rep' (or 'rep_id') rows for the rep scorecard"
        )
    rep_rows = achievement.table[achievement.table["level"] == rep_level]
    period = "year" if (rep_rows["period"] == "year").any() else achievement.through
    scorecard = rep_scorecard(rep_criteria(achievement, execution, level=rep_level, period=period))
    month = audit_month or execution.cycle_start.strftime("%Y-%m")
    audit = audit_sample(visit_log, frame[["customer_id", "grade"]], month=month, seed=seed)
    monthly = (
        sales.merge(frame[["customer_id", "rep_id"]], on="customer_id", how="inner")
        .groupby(["rep_id", "month"])["sales"]
        .sum()
        .reset_index()
    )
    drift = balance_drift(monthly, measures=["sales"])
    tables = {
        "review_achievement": achievement.to_frame(),
        "review_execution_by_rep": execution.to_frame(),
        "review_execution_by_grade": execution.by_grade,
        "review_scorecard": scorecard.to_frame(),
        "review_audit_sample": audit.to_frame(),
        "review_drift": drift.to_frame(),
    }
    for name, table in tables.items():
        table.to_csv(out / f"{name}.csv", index=False)
        files.append(f"{name}.csv")
    if pictures:
        files.extend(_pictures(out, achievement, execution, frame, visits, reps, rep_level, period))
    logger.info("review: wrote %d files to %s", len(files), out)
    return ReviewReport(out, tuple(files), achievement, execution, scorecard, audit, drift)


def _pictures(
    out: Path,
    achievement: AchievementReview,
    execution: ExecutionReview,
    customers: pd.DataFrame,
    visits: pd.DataFrame,
    reps: pd.DataFrame,
    rep_level: str,
    period: str,
) -> list[str]:
    from territory.review.charts import achievement_chart, compliance_heatmap
    from territory.review.maps import customer_map, route_map

    files = []
    achievement_chart(achievement, level=rep_level, period=period).savefig(
        out / "review_achievement.png", dpi=110
    )
    compliance_heatmap(execution).savefig(out / "review_compliance.png", dpi=110)
    customer_map(customers, color_by="grade", path=out / "review_customers_by_grade.html")
    files += ["review_achievement.png", "review_compliance.png", "review_customers_by_grade.html"]
    ranked = execution.by_rep[execution.by_rep["planned"] > 0].sort_values(["compliance", "rep_id"])
    if len(ranked):
        rep_id = str(ranked.iloc[0]["rep_id"])
        route_map(visits, customers, reps, rep_id=rep_id, week=1, path=out / "review_routes.html")
        files.append("review_routes.html")
    return files
