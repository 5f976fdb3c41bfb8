"""Tests of territory.review.criteria: the criteria builders that feed the scorecards."""

import pandas as pd
import pytest

from territory.review import (
    quarterly_criteria,
    rep_criteria,
    target_achievement,
    visit_execution,
)


def test_criteria_builders_feed_the_scorecards() -> None:
    """rep_criteria joins achievement and execution; quarterly_criteria sums months by quarter."""
    hierarchy = pd.DataFrame(
        {"customer_id": ["C1", "C2"], "rep_id": ["R1", "R2"], "dealer_id": ["D1", "D1"]}
    )
    sales = pd.DataFrame(
        {
            "customer_id": ["C1", "C2", "C1", "C2", "C1"],
            "month": ["2025-01", "2025-01", "2026-01", "2026-01", "2026-02"],
            "sales": [10.0, 10.0, 30.0, 20.0, 50.0],
        }
    )
    targets = pd.DataFrame(
        {
            "level": ["rep", "rep", "dealer", "dealer", "dealer"],
            "unit": ["R1", "R2", "D1", "D1", "D1"],
            "period": ["year", "year", "2026-01", "2026-02", "2026-03"],
            "value": [1200.0, 1200.0, 100.0, 100.0, 100.0],
        }
    )
    achievement = target_achievement(targets, sales, hierarchy, year=2026)
    plan = pd.DataFrame(
        {"rep_id": ["R1", "R2"], "week": [1, 1], "weekday": [0, 0], "customer_id": ["C1", "C2"]}
    )
    log = pd.DataFrame(
        {"rep_id": ["R1"], "customer_id": ["C1"], "timestamp": pd.to_datetime(["2026-11-02 10:00"])}
    )
    execution = visit_execution(plan, log, cycle_start="2026-11-02")
    crit = rep_criteria(achievement, execution).set_index("rep_id")
    assert crit.loc["R1", "achievement"] == pytest.approx(80.0 / 200.0)
    assert crit.loc["R1", "compliance"] == pytest.approx(1.0)
    assert crit.loc["R2", "coverage"] == pytest.approx(0.0)
    quarters = quarterly_criteria(targets, sales, hierarchy, level="dealer")
    row = quarters.iloc[0]
    assert (row["dealer_id"], row["quarter"], row["months_covered"]) == ("D1", "2026Q1", 2)
    assert row["achievement"] == pytest.approx(100.0 / 200.0)
    assert pd.isna(row["growth"])  # the history has no 2025-02
