"""Tests of targets against actuals: achievement, growth, gaps, laggards and pace."""

import json

import pandas as pd
import pytest

from territory.errors import ValidationError
from territory.review import month_pace, target_achievement

HIERARCHY = pd.DataFrame(
    {
        "customer_id": ["C1", "C2", "C3", "C4"],
        "rep_id": ["R1", "R1", "R2", "R2"],
        "team": ["T1", "T1", "T1", "T1"],
    }
)


def _sales(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["customer_id", "month", "sales"])


SALES = _sales(
    [
        ("C1", "2025-01", 40.0),
        ("C2", "2025-01", 10.0),
        ("C3", "2025-01", 100.0),
        ("C1", "2025-02", 50.0),
        ("C3", "2025-02", 100.0),
        ("C1", "2026-01", 60.0),
        ("C2", "2026-01", 20.0),
        ("C3", "2026-01", 90.0),
        ("C4", "2026-01", 0.0),
        ("C1", "2026-02", 50.0),
        ("C3", "2026-02", 120.0),
    ]
)

TARGETS = pd.DataFrame(
    {
        "level": ["team", "rep", "rep", "rep", "rep", "rep", "rep", "customer"],
        "unit": ["T1", "R1", "R1", "R1", "R2", "R2", "R2", "C1"],
        "parent": [None, "T1", "R1", "R1", "T1", "R2", "R2", "R1"],
        "period": ["year", "year", "2026-01", "2026-02", "year", "2026-01", "2026-02", "2026-01"],
        "value": [4000.0, 1200.0, 100.0, 100.0, 2400.0, 200.0, 200.0, 50.0],
    }
)


def _row(review, level, unit, period):
    t = review.table
    rows = t[(t["level"] == level) & (t["unit"] == unit) & (t["period"] == period)]
    assert len(rows) == 1
    return rows.iloc[0]


def test_monthly_achievement_gap_and_growth_by_hand() -> None:
    """R1 in Jan 2026 sold 80 of 100 (80 %), gap 20, growth 80/50 - 1 = 60 %."""
    review = target_achievement(TARGETS, SALES, HIERARCHY)
    row = _row(review, "rep", "R1", "2026-01")
    assert row["actual"] == pytest.approx(80.0)
    assert row["achievement"] == pytest.approx(0.8)
    assert row["gap"] == pytest.approx(20.0)
    assert row["prior_year"] == pytest.approx(50.0)
    assert row["growth"] == pytest.approx(0.6)
    r2 = _row(review, "rep", "R2", "2026-02")
    assert r2["achievement"] == pytest.approx(0.6)
    assert r2["growth"] == pytest.approx(120.0 / 100.0 - 1.0)


def test_year_achievement_to_date_uses_monthly_targets() -> None:
    """The year row counts Jan-Feb actuals against the Jan-Feb monthly targets."""
    review = target_achievement(TARGETS, SALES, HIERARCHY)
    assert review.year == 2026 and review.through == "2026-02"
    r1 = _row(review, "rep", "R1", "year")
    assert r1["months_covered"] == 2
    assert r1["actual"] == pytest.approx(130.0)
    assert r1["target_to_date"] == pytest.approx(200.0)
    assert r1["achievement_to_date"] == pytest.approx(0.65)
    assert r1["achievement"] == pytest.approx(130.0 / 1200.0)
    assert r1["prior_year"] == pytest.approx(100.0)
    assert r1["growth"] == pytest.approx(0.3)


def test_team_year_without_monthly_targets_is_pro_rata() -> None:
    """Without monthly targets a year target is due pro rata: 4000 x 2/12."""
    review = target_achievement(TARGETS, SALES, HIERARCHY)
    t1 = _row(review, "team", "T1", "year")
    assert t1["actual"] == pytest.approx(340.0)
    assert t1["target_to_date"] == pytest.approx(4000.0 * 2 / 12)
    cust = _row(review, "customer", "C1", "2026-01")
    assert cust["achievement"] == pytest.approx(60.0 / 50.0)


def test_months_after_through_have_no_actual() -> None:
    """A monthly target after the last month of actuals is not counted as zero."""
    targets = pd.concat(
        [TARGETS, pd.DataFrame([{"level": "rep", "unit": "R1", "period": "2026-03", "value": 1.0}])]
    )
    review = target_achievement(targets, SALES, HIERARCHY)
    row = _row(review, "rep", "R1", "2026-03")
    assert pd.isna(row["actual"]) and pd.isna(row["achievement"])
    assert row["months_covered"] == 0


def test_furthest_behind_orders_by_achievement_to_date() -> None:
    """R2 (210 of 400 due, 52.5 %) is further behind than R1 (130 of 200, 65 %)."""
    review = target_achievement(TARGETS, SALES, HIERARCHY)
    behind = review.furthest_behind(2, level="rep", period="year")
    assert behind["unit"].tolist() == ["R2", "R1"]
    assert behind.loc[0, "achievement_to_date"] == pytest.approx(210.0 / 400.0)


def test_result_is_json_safe_and_summarised() -> None:
    """to_dict survives json.dumps with NaN turned into None; summary names the laggard."""
    review = target_achievement(TARGETS, SALES, HIERARCHY)
    data = review.to_dict()
    text = json.dumps(data, allow_nan=False)
    assert "R1" in text
    assert "furthest behind R2" in review.summary()
    assert review.to_frame().shape[0] == len(TARGETS)


def test_units_without_customers_and_unassigned_sales_are_reported() -> None:
    """A target unit with no customers gets actual 0 and an issue; nothing is dropped."""
    targets = pd.concat(
        [
            TARGETS,
            pd.DataFrame([{"level": "rep", "unit": "R9", "period": "2026-01", "value": 10.0}]),
        ]
    )
    hierarchy = HIERARCHY.assign(team=["T1", "T1", "T1", None])
    review = target_achievement(targets, SALES, hierarchy)
    assert _row(review, "rep", "R9", "2026-01")["actual"] == 0.0
    assert any("R9" in issue for issue in review.issues)
    assert any("empty 'team'" in issue and "C4" in issue for issue in review.issues)


def test_bad_targets_and_sales_raise_one_error_naming_ids() -> None:
    """Bad periods, negative targets, duplicates and unknown customers are all named."""
    targets = TARGETS.copy()
    targets.loc[0, "period"] = "2026"
    targets.loc[1, "value"] = -5.0
    targets = pd.concat([targets, targets.iloc[[2]]])
    with pytest.raises(ValidationError) as info:
        target_achievement(targets, SALES, HIERARCHY)
    message = str(info.value)
    assert "targets: column 'period'" in message
    assert "negative" in message and "R1" in message
    assert "duplicate (level, unit, period)" in message
    sales = pd.concat([SALES, _sales([("C99", "2026-01", 5.0)])])
    with pytest.raises(ValidationError, match=r"unknown customers.*C99"):
        target_achievement(TARGETS, sales, HIERARCHY)
    sales = pd.concat([SALES, _sales([("C1", "2026-13", 1.0), ("C1", "2026-01", 2.0)])])
    with pytest.raises(ValidationError) as info:
        target_achievement(TARGETS, sales, HIERARCHY)
    assert "column 'month' has 1 values that are not months" in str(info.value)
    assert "'2026-13'" in str(info.value)
    assert "duplicate (customer_id, month) rows (customer_id/month: 'C1/2026-01')" in str(
        info.value
    )


def test_level_without_hierarchy_column_is_an_error() -> None:
    """A target level that no hierarchy column holds is a ValidationError."""
    targets = pd.DataFrame([{"level": "region", "unit": "N", "period": "year", "value": 1.0}])
    with pytest.raises(ValidationError, match="target level 'region'"):
        target_achievement(targets, SALES, HIERARCHY)
    review = target_achievement(
        targets, SALES, HIERARCHY.assign(area="N"), levels={"region": "area"}
    )
    assert review.table.loc[0, "actual"] == pytest.approx(340.0)


def test_month_pace_by_hand() -> None:
    """June 2026 has 22 working days; as of the 10th, 8 have passed (36.4 %)."""
    targets = pd.DataFrame(
        {
            "level": ["rep", "rep"],
            "unit": ["R1", "R2"],
            "period": ["2026-06"] * 2,
            "value": [2200.0, 1100.0],
        }
    )
    sales = _sales([("C1", "2026-06", 500.0), ("C2", "2026-06", 300.0), ("C3", "2026-06", 100.0)])
    review = month_pace(targets, sales, HIERARCHY, as_of="2026-06-10")
    assert (review.elapsed_days, review.working_days) == (8, 22)
    r1 = review.table.set_index("unit").loc["R1"]
    assert r1["expected"] == pytest.approx(800.0)
    assert r1["pace"] == pytest.approx(1.0)
    assert bool(r1["on_track"])
    assert r1["projected"] == pytest.approx(800.0 * 22 / 8)
    r2 = review.table.set_index("unit").loc["R2"]
    assert r2["expected"] == pytest.approx(400.0)
    assert r2["gap_to_pace"] == pytest.approx(300.0)
    assert not bool(r2["on_track"])
    json.dumps(review.to_dict(), allow_nan=False)
    assert "1 of 2 units on track" in review.summary()


def test_month_pace_holidays_and_missing_month() -> None:
    """A holiday shortens the month; a month without targets is an error."""
    targets = pd.DataFrame([{"level": "rep", "unit": "R1", "period": "2026-06", "value": 100.0}])
    sales = _sales([("C1", "2026-06", 10.0)])
    review = month_pace(targets, sales, HIERARCHY, as_of="2026-06-10", holidays=["2026-06-04"])
    assert (review.elapsed_days, review.working_days) == (7, 21)
    with pytest.raises(ValidationError, match="no rows for 2026-07"):
        month_pace(targets, sales, HIERARCHY, as_of="2026-07-01")
