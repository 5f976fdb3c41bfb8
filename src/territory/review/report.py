"""The whole monthly review in one call, written to a folder (tables, charts, maps)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from territory._json import json_safe
from territory.errors import ValidationError
from territory.review.achievement import AchievementReview, target_achievement
from territory.review.audit import AuditSample, audit_sample
from territory.review.criteria import area_criteria, rep_criteria
from territory.review.drift import DriftReview, balance_drift
from territory.review.execution import ExecutionReview, visit_execution
from territory.review.scorecards import Scorecard, rep_scorecard
from territory.review.stop_rule import StopRuleReview, stop_rule
from territory.tables.columns import require_columns, require_frame

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
    stops
        The stop rule on the visit log (customers with three visits and no order).
    area_audit, dealer_rep_audit, area_scorecard
        With supervisors in the reps table: the two audit levels (each company rep's
        area for its area manager; each dealer rep's stores for its company rep) and the
        scorecard of the areas. ``None`` otherwise.
    """

    out_dir: Path
    files: tuple[str, ...]
    achievement: AchievementReview
    execution: ExecutionReview
    scorecard: Scorecard
    audit: AuditSample
    drift: DriftReview
    stops: StopRuleReview | None = None
    area_audit: AuditSample | None = None
    dealer_rep_audit: AuditSample | None = None
    area_scorecard: Scorecard | None = None

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
            "stops": self.stops.to_dict() if self.stops is not None else None,
            "area_audit": self.area_audit.to_dict() if self.area_audit is not None else None,
            "dealer_rep_audit": (
                self.dealer_rep_audit.to_dict() if self.dealer_rep_audit is not None else None
            ),
            "area_scorecard": (
                self.area_scorecard.to_dict() if self.area_scorecard is not None else None
            ),
        }

    def _repr_html_(self) -> str:
        """The summary over the first rows of :meth:`to_frame`, for notebooks."""
        from territory._html import result_html

        return result_html(self)

    def summary(self) -> str:
        """The summaries of every part and the files written."""
        parts = [
            self.achievement.summary(),
            self.execution.summary(),
            self.scorecard.summary(),
            self.audit.summary(),
            *(
                part.summary()
                for part in (
                    self.area_audit,
                    self.dealer_rep_audit,
                    self.area_scorecard,
                    self.stops,
                )
                if part is not None
            ),
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
    tolerance_days: int = 0,
    year: int | None = None,
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
        ``rep_id, home_lon, home_lat``; with ``supervisor_id`` the review also writes
        the two audit levels and the areas' scorecard (see :class:`ReviewReport`).
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
        Journey-plan tolerance (± days); 0, as in
        :func:`~territory.review.visit_execution`, counts only visits on the planned day.
    year
        Plan year of the targets' ``"year"`` rows (see
        :func:`~territory.review.target_achievement`).
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
    achievement = target_achievement(targets, sales, hierarchy, year=year)
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
    stops = stop_rule(visit_log)
    supervised = _supervised(
        achievement, execution, visit_log, frame, reps, month, seed, rep_level, period
    )
    tables = {
        "review_achievement": achievement.to_frame(),
        "review_execution_by_rep": execution.to_frame(),
        "review_execution_by_grade": execution.by_grade,
        "review_scorecard": scorecard.to_frame(),
        "review_audit_sample": audit.to_frame(),
        "review_drift": drift.to_frame(),
        "review_stop_rule": stops.flagged(),
    }
    if supervised is not None:
        tables["review_audit_areas"] = supervised[0].to_frame()
        tables["review_audit_dealer_reps"] = supervised[1].to_frame()
        tables["review_scorecard_areas"] = supervised[2].to_frame()
    for name, table in tables.items():
        table.to_csv(out / f"{name}.csv", index=False)
        files.append(f"{name}.csv")
    if pictures:
        files.extend(_pictures(out, achievement, execution, frame, visits, reps, rep_level, period))
    logger.info("review: wrote %d files to %s", len(files), out)
    area_audit, dealer_rep_audit, area_card = supervised or (None, None, None)
    return ReviewReport(
        out,
        tuple(files),
        achievement,
        execution,
        scorecard,
        audit,
        drift,
        stops=stops,
        area_audit=area_audit,
        dealer_rep_audit=dealer_rep_audit,
        area_scorecard=area_card,
    )


def _supervised(
    achievement: AchievementReview,
    execution: ExecutionReview,
    visit_log: pd.DataFrame,
    customers: pd.DataFrame,
    reps: pd.DataFrame,
    month: str,
    seed: int,
    rep_level: str,
    period: str,
) -> tuple[AuditSample, AuditSample, Scorecard] | None:
    """The two audit levels and the areas' scorecard, when the reps have supervisors."""
    if "supervisor_id" not in reps.columns or reps["supervisor_id"].isna().all():
        return None
    grades = customers[["customer_id", "grade"]]
    areas = audit_sample(visit_log, grades, month=month, seed=seed, level="supervisor", reps=reps)
    dealer_reps = audit_sample(
        visit_log, grades, month=month, seed=seed, level="dealer_rep", reps=reps
    )
    metrics = area_criteria(achievement, execution, reps=reps, level=rep_level, period=period)
    return areas, dealer_reps, rep_scorecard(metrics, id_column="area_rep_id")


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
