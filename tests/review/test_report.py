"""End-to-end test of write_review on the sample region with simulated actuals."""

import json
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
from scipy.spatial import cKDTree

from territory.datasets import sample_region, simulate_execution, simulate_sales
from territory.errors import ValidationError
from territory.review import write_review

matplotlib.use("Agg")

CYCLE_START = "2026-11-02"


def _plan(customers: pd.DataFrame, reps: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Grades by potential (4/2/1 visits), nearest rep, visits spread over 4 x 5 days."""
    c = customers.copy()
    q80, q50 = c["potential"].quantile([0.8, 0.5])
    c["grade"] = np.where(c["potential"] > q80, "A", np.where(c["potential"] > q50, "B", "C"))
    c["visits_per_cycle"] = c["grade"].map({"A": 4, "B": 2, "C": 1}).astype(int)
    homes = reps[["home_lon", "home_lat"]].to_numpy(dtype=float)
    c["rep_id"] = reps["rep_id"].to_numpy()[cKDTree(homes).query(c[["lon", "lat"]].to_numpy())[1]]
    rows = []
    for rep, group in c.groupby("rep_id", sort=True):
        for k, (cid, v) in enumerate(
            zip(group["customer_id"], group["visits_per_cycle"], strict=True)
        ):
            for j in range(v):
                slot = (k + j * (20 // v)) % 20
                rows.append((rep, slot // 5 + 1, slot % 5 + 1, slot % 5, cid))
    visits = pd.DataFrame(rows, columns=["rep_id", "week", "day", "weekday", "customer_id"])
    visits["seq"] = visits.groupby(["rep_id", "week", "day"]).cumcount() + 1
    visits["arrival"] = 480.0 + 30.0 * (visits["seq"] - 1)
    return c, visits


@pytest.mark.slow
def test_write_review_end_to_end(tmp_path: Path) -> None:
    """Plan, simulated actuals and targets give every table, two PNGs and HTML maps."""
    region = sample_region(300, seed=2)
    customers, visits = _plan(region.customers, region.reps)
    hierarchy = customers[["customer_id", "rep_id"]]
    history = region.sales[region.sales["month"].str.startswith("2025")].merge(hierarchy)
    monthly = history.groupby(["rep_id", "month"])["sales"].sum().reset_index()
    targets = pd.DataFrame(
        {
            "level": "rep",
            "unit": monthly["rep_id"],
            "parent": None,
            "period": "2026-" + monthly["month"].str[5:],
            "value": monthly["sales"] * 1.05,
        }
    )
    log = simulate_execution(visits, customers, cycle_start=CYCLE_START, seed=3)
    november = simulate_sales(
        region.sales, month="2026-11", seed=3, targets=targets, hierarchy=hierarchy
    )
    sales = pd.concat([region.sales, november], ignore_index=True)
    report = write_review(
        tmp_path,
        visits=visits,
        visit_log=log,
        customers=customers,
        reps=region.reps,
        targets=targets,
        sales=sales,
        cycle_start=CYCLE_START,
        seed=0,
    )
    for name in report.files:
        assert (tmp_path / name).stat().st_size > 0
    assert {"review_achievement.png", "review_compliance.png", "review_routes.html"} <= set(
        report.files
    )
    html = (tmp_path / "review_customers_by_grade.html").read_text()
    assert html.count('"type": "Feature"') == len(customers)  # one GeoJSON point each
    scorecard = pd.read_csv(tmp_path / "review_scorecard.csv")
    assert sorted(scorecard["rank"])[0] == 1 and len(scorecard) == customers["rep_id"].nunique()
    assert 0.85 < report.execution.overall["compliance"] < 0.99
    json.dumps(report.to_dict(), allow_nan=False)
    assert "journey-plan compliance" in report.summary()
    # the reps have supervisors: both audit levels, the areas' scorecard and the stop rule
    assert {
        "review_audit_areas.csv",
        "review_audit_dealer_reps.csv",
        "review_scorecard_areas.csv",
        "review_stop_rule.csv",
    } <= set(report.files)
    assert report.area_audit is not None and report.dealer_rep_audit is not None
    assert set(report.area_audit.sample["visited_by"]) == {"company", "dealer"}
    company = set(region.reps.loc[region.reps["kind"] == "company", "rep_id"])
    assert set(report.area_audit.sample["area_rep_id"]) <= company
    assert set(report.dealer_rep_audit.sample["auditor"]) <= company
    assert report.area_scorecard is not None and "area_rep_id" in report.area_scorecard.table
    with pytest.raises(ValidationError, match="'grade' is missing"):
        write_review(
            tmp_path,
            visits=visits,
            visit_log=log,
            customers=customers.drop(columns="grade"),
            reps=region.reps,
            targets=targets,
            sales=sales,
            cycle_start=CYCLE_START,
            seed=0,
        )


@pytest.mark.slow
def test_route_plan_table_feeds_the_review() -> None:
    """A real RoutePlan (weekday names, cycle days) maps onto dates and is fully executed."""
    from territory.review import visit_execution
    from territory.routing import plan_routes

    customers = pd.DataFrame(
        {
            "customer_id": ["a", "b"],
            "lon": [9.0, 9.05],
            "lat": [48.0, 48.0],
            "visits_per_cycle": [4, 2],
            "service_minutes": [30, 20],
        }
    )
    reps = pd.DataFrame({"rep_id": ["r1"], "home_lon": [9.02], "home_lat": [48.01]})
    visits = plan_routes(customers, reps, time_limit=5, seed=0).to_frame()
    log = simulate_execution(
        visits,
        customers,
        cycle_start=CYCLE_START,
        seed=0,
        miss_rate=0,
        reschedule_rate=0,
        extra_rate=0,
    )
    review = visit_execution(visits, log, cycle_start=CYCLE_START, requirements=customers)
    assert review.overall["planned"] == 6
    assert review.overall["compliance"] == 1.0
    assert review.overall["frequency_compliance"] == 1.0
