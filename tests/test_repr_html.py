"""Tests of the notebook display (``_repr_html_``) of the results."""

import html
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from territory import (
    RelationshipPotentialMatrix,
    VisitPolicy,
    allocate,
    design_territories,
    plan_routes,
)
from territory.datasets import sample_region, simulate_execution, simulate_sales
from territory.review import (
    audit_sample,
    balance_drift,
    compare_workload,
    month_pace,
    rep_criteria,
    rep_scorecard,
    target_achievement,
    visit_execution,
    write_review,
)
from territory.routing import RoutePlan

SEED = 0
CYCLE_START = "2027-01-04"


class _Table(RoutePlan):
    """A public result (it inherits ``_repr_html_``) with a given summary and table."""

    def __init__(self, summary: str, frame: pd.DataFrame) -> None:
        object.__setattr__(self, "_summary", summary)
        object.__setattr__(self, "_frame", frame)

    def summary(self) -> str:
        return str(self._summary)

    def to_frame(self) -> pd.DataFrame:
        return self._frame


def test_result_html_escapes_the_summary_and_names_the_class() -> None:
    """The summary is escaped text in <pre>; the title is the class name."""
    text = _Table("a < b & c", pd.DataFrame({"x": [1]}))._repr_html_()
    assert "<strong>_Table</strong>" in text
    assert "<pre>a &lt; b &amp; c</pre>" in text
    assert "1 rows × 1 columns" in text and "<table" in text


def test_result_html_cuts_long_tables() -> None:
    """A 1,000-row table shows 10 rows and says where the rest is."""
    frame = pd.DataFrame({"customer_id": [f"C{i:04d}" for i in range(1000)]})
    text = _Table("", frame)._repr_html_()
    assert "1,000 rows × 1 columns, first and last 5 shown" in text
    assert "C0000" in text and "C0999" in text and "C0500" not in text
    assert len(text) < 5000


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Every stage's result on a small sample region (the walk-through, shrunk)."""
    region = sample_region(60, seed=SEED)
    grades = RelationshipPotentialMatrix().grade(region.customers, sales=region.sales)
    policy = VisitPolicy.default()
    requirements = policy.requirements(grades)
    capacity = policy.capacity_check(requirements, region.customers, region.reps)
    customers = region.customers.merge(requirements, on="customer_id")
    customers["workload"] = customers["visits_per_cycle"] * customers["service_minutes"]
    territories = design_territories(customers, region.reps, balance={"workload": 0.2}, seed=SEED)
    customers = customers.merge(territories.assignment[["customer_id", "rep_id"]], on="customer_id")
    plan = plan_routes(customers, region.reps, time_limit=1, seed=SEED)
    customers["region"] = "region"
    allocation = allocate(
        100_000.0,
        customers,
        levels=["region", "rep_id", "customer_id"],
        sales=region.sales,
        months=[f"2027-{m:02d}" for m in range(1, 13)],
        step=100,
    )
    targets = allocation.to_frame()
    log = simulate_execution(plan.to_frame(), customers, cycle_start=CYCLE_START, seed=SEED)
    actuals = simulate_sales(region.sales, month="2027-01", seed=SEED)
    sales = pd.concat([region.sales, actuals], ignore_index=True)
    hierarchy = customers.drop(columns=["lon", "lat"])
    achievement = target_achievement(targets, sales, hierarchy)
    execution = visit_execution(plan.to_frame(), log, cycle_start=CYCLE_START)
    scorecard = rep_scorecard(rep_criteria(achievement, execution, level="rep_id"))
    sample = audit_sample(
        log, grades.to_frame()[["customer_id", "grade"]], month="2027-01", seed=SEED
    )
    report = write_review(
        Path(tmp_path_factory.mktemp("review")),
        visits=plan.to_frame(),
        visit_log=log,
        customers=customers.merge(grades.to_frame()[["customer_id", "grade"]]),
        reps=region.reps,
        targets=targets,
        sales=sales,
        cycle_start=CYCLE_START,
        seed=SEED,
        year=2027,
        pictures=False,
    )
    return {
        "Grades": grades,
        "CapacityCheck": capacity,
        "TerritoryPlan": territories,
        "RoutePlan": plan,
        "Allocation": allocation,
        "AchievementReview": achievement,
        "ExecutionReview": execution,
        "Scorecard": scorecard,
        "AuditSample": sample,
        "ReviewReport": report,
        "WorkloadComparison": compare_workload(plan, plan),
        "PaceReview": month_pace(targets, actuals, hierarchy, as_of="2027-01-20"),
        "DriftReview": balance_drift(
            pd.DataFrame(
                {
                    "rep_id": ["R1", "R2"] * 2,
                    "month": ["2027-01"] * 2 + ["2027-02"] * 2,
                    "sales": [150.0, 50.0, 140.0, 60.0],
                }
            ),
            measures=["sales"],
            months=2,
        ),
    }


@pytest.mark.parametrize(
    "name",
    [
        "Grades",
        "CapacityCheck",
        "TerritoryPlan",
        "RoutePlan",
        "Allocation",
        "AchievementReview",
        "ExecutionReview",
        "Scorecard",
        "AuditSample",
        "ReviewReport",
        "WorkloadComparison",
        "PaceReview",
        "DriftReview",
    ],
)
def test_main_results_show_summary_and_table(results: dict[str, Any], name: str) -> None:
    """Each main result renders its class name, its summary and a table of its rows."""
    result = results[name]
    assert type(result).__name__ == name
    text = result._repr_html_()
    assert f"<strong>{name}</strong>" in text
    assert html.escape(result.summary()) in text
    rows, columns = result.to_frame().shape
    assert f"{rows:,} rows × {columns} columns" in text
    assert "<table" in text
