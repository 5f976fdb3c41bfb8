"""The monthly and quarterly review: plan against actuals, scorecards, audits and pictures.

Every function works on plain tables and returns a frozen result with ``to_frame()``,
``to_dict()`` and ``summary()``:

* :func:`target_achievement` -- achievement, gap and year-on-year growth of every unit
  and period of the target hierarchy; :func:`month_pace` -- month-to-date pace.
* :func:`visit_execution` -- journey-plan compliance (±k days), frequency compliance per
  grade, coverage, unplanned visits and strike rate, per rep and overall;
  :func:`plan_calendar` maps a route plan onto dates.
* :func:`rep_scorecard`, :func:`dealer_scorecard` -- weighted, normalised, ranked
  scorecards (with :func:`rep_criteria` and :func:`quarterly_criteria` to build the
  criteria); :func:`balance_drift` -- territories out of balance months running.
* :func:`audit_sample` -- seeded grade-stratified audit sample per rep, per company rep's
  area (``level="supervisor"``, dealer reps' stores included) or per dealer rep for its
  company rep (``level="dealer_rep"``); :func:`audit_results` feeds the scores back and
  sums them up per rep and per area.
* :func:`area_criteria` -- a company rep's whole area as one scorecard row
  (``visit_execution(..., reps=...)`` rolls the KPIs up the same way in ``by_area``).
* :func:`stop_rule` -- customers with three logged visits and no order since the first
  of them (the manuals' stop rule).
* :mod:`territory.review.charts` and :mod:`territory.review.maps` -- matplotlib charts and
  folium maps (imported lazily: this package imports neither library).
* :func:`compare_workload` -- each rep's work in two route plans (before and after a
  re-plan).
* :func:`write_review` -- the whole monthly review written to a folder.
"""

from territory.review.achievement import (
    AchievementReview,
    PaceReview,
    month_pace,
    target_achievement,
)
from territory.review.audit import AuditSample, allocate_proportional, audit_sample
from territory.review.audit_results import AuditResults, audit_results
from territory.review.charts import achievement_chart, compliance_heatmap, grade_mix_chart
from territory.review.criteria import area_criteria, quarterly_criteria, rep_criteria
from territory.review.drift import DriftReview, balance_drift
from territory.review.execution import ExecutionReview, visit_execution
from territory.review.maps import customer_map, route_map
from territory.review.report import ReviewReport, write_review
from territory.review.scorecards import (
    DEFAULT_DEALER_WEIGHTS,
    DEFAULT_REP_WEIGHTS,
    Scorecard,
    dealer_scorecard,
    rep_scorecard,
)
from territory.review.stop_rule import StopRuleReview, stop_rule
from territory.review.workload import WorkloadComparison, compare_workload
from territory.tables.visit_log import plan_calendar

__all__ = [
    "DEFAULT_DEALER_WEIGHTS",
    "DEFAULT_REP_WEIGHTS",
    "AchievementReview",
    "AuditResults",
    "AuditSample",
    "DriftReview",
    "ExecutionReview",
    "PaceReview",
    "ReviewReport",
    "Scorecard",
    "StopRuleReview",
    "WorkloadComparison",
    "achievement_chart",
    "allocate_proportional",
    "area_criteria",
    "audit_results",
    "audit_sample",
    "balance_drift",
    "compare_workload",
    "compliance_heatmap",
    "customer_map",
    "dealer_scorecard",
    "grade_mix_chart",
    "month_pace",
    "plan_calendar",
    "quarterly_criteria",
    "rep_criteria",
    "rep_scorecard",
    "route_map",
    "stop_rule",
    "target_achievement",
    "visit_execution",
    "write_review",
]
