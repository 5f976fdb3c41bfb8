"""Tests for activity targets, prospect checks and reconciliation."""

from __future__ import annotations

import pandas as pd
import pytest

from territory.allocation import activity_targets, allocate, prospect_check, reconcile
from territory.errors import ValidationError


def test_visits_from_target_per_rep_rate():
    """40 deals at 20 % conversion need 200 visits; 200 working days give 1 a day."""
    targets = pd.DataFrame({"rep_id": ["R1", "R2"], "value": [40.0, 30.0]})
    out = activity_targets(targets, conversion={"R1": 0.2, "R2": 0.25}, working_days=200)
    assert out["visits"].tolist() == [200, 120]
    assert out["visits_per_day"].tolist() == [1.0, 0.6]
    assert out["deals"].tolist() == [40.0, 30.0]


def test_rates_per_grade_and_deal_size():
    """Per-grade rates on customer targets, summed per rep, with a deal size."""
    targets = pd.DataFrame(
        {
            "rep_id": ["R1", "R1", "R2"],
            "grade": ["A", "B", "B"],
            "value": [10_000.0, 5_000.0, 5_000.0],
        }
    )
    rates = pd.DataFrame({"grade": ["A", "B"], "rate": [0.5, 0.25]})
    out = activity_targets(
        targets,
        conversion=rates,
        rate_by="grade",
        deal_size=1000,
        working_days={"R1": 100, "R2": 50},
        activity="leads",
    )
    # R1: 10 deals / 0.5 + 5 deals / 0.25 = 40 leads; R2: 5 / 0.25 = 20 leads
    assert out["leads"].tolist() == [40, 20]
    assert out["leads_per_day"].tolist() == [0.4, 0.4]


def test_conversion_rates_validated():
    """Rates <= 0 or > 1 are a validation error naming the ids."""
    targets = pd.DataFrame({"rep_id": ["R1", "R2"], "value": [1.0, 1.0]})
    with pytest.raises(ValidationError, match=r"conversion: column 'rate' has 2 rates.*'R1'"):
        activity_targets(targets, conversion={"R1": 0.0, "R2": 1.5})
    with pytest.raises(ValidationError, match="rate"):
        activity_targets(targets, conversion=pd.DataFrame({"rep_id": ["R1"], "rate": [-1]}))
    with pytest.raises(ValidationError, match=r"no value for 1 ids.*'R2'"):
        activity_targets(targets, conversion={"R1": 0.5})


def test_prospect_check_band_and_new_names():
    """Below the band: top up to 60 plus 5 per deal; within: 5 per deal; above: excess."""
    out = prospect_check({"R1": 50, "R2": 70, "R3": 90}, deals={"R1": 2, "R2": 1})
    assert out["status"].tolist() == ["below", "within", "above"]
    assert out["to_add"].tolist() == [20, 5, 0]
    assert out["excess"].tolist() == [0, 0, 10]


def test_prospect_check_table_input_and_validation():
    """A table works too; negative counts and a bad band are errors."""
    table = pd.DataFrame({"rep_id": ["R1"], "prospects": [65]})
    assert prospect_check(table, band=(60, 80))["status"].tolist() == ["within"]
    with pytest.raises(ValidationError):
        prospect_check({"R1": -1})
    with pytest.raises(ValidationError):
        prospect_check({"R1": 1}, band=(80, 60))


@pytest.fixture
def allocation():
    hierarchy = pd.DataFrame(
        {
            "team": ["A", "A", "B"],
            "rep_id": ["R1", "R2", "R3"],
            "potential": [100.0, 300.0, 600.0],
        }
    )
    return allocate(
        1000,
        hierarchy,
        levels=["team", "rep_id"],
        potential="potential",
        methods="potential",
        months=2027,
    )


def test_reconcile_gap_per_unit_and_level(allocation):
    """Rep commitments against top-down, rolled up to teams with coverage counts."""
    plans = pd.DataFrame({"unit": ["R1", "R2", "R3"], "value": [150.0, 250.0, 500.0]})
    out = reconcile(allocation, plans).set_index(["level", "unit"])
    assert out.loc[("rep_id", "R1"), "gap"] == 50
    assert out.loc[("rep_id", "R3"), "gap"] == -100
    assert out.loc[("team", "A"), "bottom_up"] == 400
    assert out.loc[("team", "A"), "gap"] == 0
    assert out.loc[("team", "B"), "gap_pct"] == pytest.approx(-1 / 6)
    assert out.loc[("team", "A"), "planned"] == 2


def test_reconcile_partial_plans_and_levels(allocation):
    """Missing plans leave NaN and lower coverage; plans at several levels work."""
    plans = pd.DataFrame({"level": ["rep_id", "team"], "unit": ["R1", "B"], "value": [90.0, 600.0]})
    out = reconcile(allocation, plans)
    reps = out[(out["source_level"] == "rep_id") & (out["level"] == "rep_id")]
    assert reps["bottom_up"].isna().sum() == 2
    team_b = out[(out["source_level"] == "team") & (out["unit"] == "B")]
    assert team_b["gap"].tolist() == [0.0]


def test_reconcile_validation(allocation):
    """Unknown units and levels are reported."""
    with pytest.raises(ValidationError, match="'R9'"):
        reconcile(allocation, pd.DataFrame({"unit": ["R9"], "value": [1.0]}))
    with pytest.raises(ValidationError, match="unknown levels"):
        reconcile(allocation, pd.DataFrame({"unit": ["R1"], "value": [1.0]}), level="nope")


def test_bad_numbers_get_the_shared_message_with_table_column_and_ids():
    """Text, missing and negative numbers in every input are named with their ids."""
    targets = pd.DataFrame({"rep_id": ["R1", "R2", "R3"], "value": ["x", None, -5.0]})
    with pytest.raises(ValidationError) as caught:
        activity_targets(targets, conversion=0.5)
    text = str(caught.value)
    assert "targets: column 'value' has 1 non-numeric values (rep_id: 'R1')" in text
    assert "targets: column 'value' has 1 missing values (rep_id: 'R2')" in text
    assert "targets: column 'value' has 1 negative values (rep_id: 'R3')" in text
    rates = pd.DataFrame({"rep_id": ["R1", "R2"], "rate": ["half", 0.0]})
    good = pd.DataFrame({"rep_id": ["R1", "R2"], "value": [1.0, 2.0]})
    with pytest.raises(ValidationError) as caught:
        activity_targets(good, conversion=rates)
    text = str(caught.value)
    assert "conversion: column 'rate' has 1 non-numeric values (rep_id: 'R1')" in text
    assert "conversion: column 'rate' has 1 rates outside (0, 1] (rep_id: 'R2')" in text
    with pytest.raises(
        ValidationError, match=r"working_days: column 'working_days' has 1 non-numeric values"
    ):
        activity_targets(good, conversion=0.5, working_days={"R1": "many", "R2": 200})
    with pytest.raises(
        ValidationError, match=r"deals: column 'deals' has 1 infinite values \(rep_id: 'R2'\)"
    ):
        prospect_check({"R1": 50, "R2": 70}, deals={"R1": 1, "R2": float("inf")})
    missing = r"prospects: column 'prospects' has 1 missing values \(rep_id: 'R2'\)"
    with pytest.raises(ValidationError, match=missing):
        prospect_check({"R1": 50, "R2": None})


def test_missing_deals_still_count_as_none():
    """A rep without deals (NaN) adds only the names below the band: 60 - 50 = 10."""
    out = prospect_check({"R1": 50, "R2": 70}, deals={"R1": float("nan"), "R2": 1})
    assert out["to_add"].tolist() == [10, 5]


def test_reconcile_names_bad_plan_values(allocation):
    """A text and an infinite commitment are named with their units."""
    plans = pd.DataFrame({"unit": ["R1", "R2", "R3"], "value": ["soon", float("inf"), 5.0]})
    with pytest.raises(ValidationError) as caught:
        reconcile(allocation, plans)
    text = str(caught.value)
    assert "plans: column 'value' has 1 non-numeric values (unit: 'R1')" in text
    assert "plans: column 'value' has 1 infinite values (unit: 'R2')" in text
