"""Tests of rep and dealer scorecards, criteria builders and territory balance drift."""

import json

import pandas as pd
import pytest

from territory.errors import ValidationError
from territory.review import (
    balance_drift,
    dealer_scorecard,
    quarterly_criteria,
    rep_criteria,
    rep_scorecard,
    target_achievement,
    visit_execution,
)

METRICS = pd.DataFrame(
    {
        "rep_id": ["R1", "R2", "R3", "R4"],
        "achievement": [1.2, 0.8, 1.0, 1.0],
        "coverage": [0.7, 0.9, 1.0, 0.9],
        "unplanned_share": [0.1, 0.0, 0.3, 0.2],
    }
)


def test_rep_scorecard_ranks_by_weighted_minmax_scores() -> None:
    """Hand-checked: 75 % achievement + 25 % coverage, min-max normalised."""
    card = rep_scorecard(METRICS, weights={"achievement": 3, "coverage": 1})
    assert card.weights == {"achievement": 0.75, "coverage": 0.25}
    table = card.table.set_index("rep_id")
    # achievement: R1 100, R2 0, R3 50, R4 50; coverage: R1 0, R2 66.7, R3 100, R4 66.7
    assert table.loc["R1", "score"] == pytest.approx(75.0)
    assert table.loc["R2", "score"] == pytest.approx(0.25 * 200 / 3)
    assert table.loc["R3", "score"] == pytest.approx(62.5)
    assert table.loc["R4", "score"] == pytest.approx(37.5 + 0.25 * 200 / 3)
    assert table["rank"].to_dict() == {"R1": 1, "R2": 4, "R3": 2, "R4": 3}


def test_lower_is_better_and_percentile() -> None:
    """A lower unplanned share scores higher; percentile scores are rank / n."""
    card = rep_scorecard(
        METRICS,
        weights={"unplanned_share": 1},
        lower_is_better=["unplanned_share"],
        method="percentile",
    )
    table = card.table.set_index("rep_id")
    assert table.loc["R2", "score"] == pytest.approx(100.0)
    assert table.loc["R3", "score"] == pytest.approx(25.0)
    assert table.loc["R2", "rank"] == 1


def test_ties_share_rank_and_missing_criteria_renormalise() -> None:
    """Equal scores share the best rank; a missing growth uses the other criteria only."""
    metrics = pd.DataFrame(
        {"rep_id": ["A", "B", "C"], "achievement": [1.0, 1.0, 0.5], "growth": [0.1, None, 0.0]}
    )
    card = rep_scorecard(metrics, weights={"achievement": 1, "growth": 1})
    table = card.table.set_index("rep_id")
    assert table.loc["B", "score"] == pytest.approx(100.0)  # achievement only
    assert table.loc["A", "score"] == pytest.approx(100.0)
    assert table.loc["A", "rank"] == table.loc["B", "rank"] == 1
    assert table.loc["C", "rank"] == 3
    assert any("B" in issue and "renormalised" in issue for issue in card.issues)
    json.dumps(card.to_dict(), allow_nan=False)


def test_bad_weights_and_criteria_are_rejected() -> None:
    """Negative, all-zero or unknown weights and non-numeric criteria raise."""
    with pytest.raises(ValidationError, match="must be finite and ≥ 0"):
        rep_scorecard(METRICS, weights={"achievement": -1})
    with pytest.raises(ValidationError, match="all weights are 0"):
        rep_scorecard(METRICS, weights={"achievement": 0})
    with pytest.raises(ValidationError, match="column 'speed' is missing"):
        rep_scorecard(METRICS, weights={"speed": 1})
    bad = METRICS.assign(coverage=["x", 0.9, 1.0, 0.9])
    with pytest.raises(
        ValidationError, match=r"'coverage' has 1 non-numeric values \(rep_id: 'R1'\)"
    ):
        rep_scorecard(bad, weights={"coverage": 1})
    dup = pd.concat([METRICS, METRICS.iloc[[0]]])
    with pytest.raises(ValidationError, match="duplicate ids"):
        rep_scorecard(dup, weights={"coverage": 1})


DEALERS = pd.DataFrame(
    {
        "dealer_id": ["D1", "D2", "D3"] * 3,
        "quarter": ["2026Q1"] * 3 + ["2026Q2"] * 3 + ["2026Q3"] * 3,
        "achievement": [0.85, 1.0, 0.95, 0.95, 1.1, 0.8, 0.8, 1.0, 0.85],
        "growth": [0.0, 0.1, 0.05, 0.0, 0.1, -0.1, -0.05, 0.1, -0.02],
    }
)


def test_dealer_flag_needs_two_quarters_running() -> None:
    """Below 90 % achievement: D1 in Q1 and Q3 (not running), D3 in Q2 and Q3 (flagged)."""
    card = dealer_scorecard(
        DEALERS, weights={"achievement": 1}, threshold=0.9, flag_column="achievement"
    )
    flagged = card.flagged()
    assert flagged[["dealer_id", "quarter"]].values.tolist() == [["D3", "2026Q3"]]
    d1 = card.table[card.table["dealer_id"] == "D1"].set_index("quarter")
    assert d1["below_threshold"].tolist() == [True, False, True]
    assert d1["quarters_below"].tolist() == [1, 0, 1]
    assert "flagged: D3" in card.summary()


def test_dealer_scores_rank_within_each_quarter() -> None:
    """Ranks restart every quarter; a score threshold flags the last dealer of Q2 and Q3."""
    card = dealer_scorecard(DEALERS, threshold=40.0)
    q2 = card.table[card.table["quarter"] == "2026Q2"].set_index("dealer_id")
    assert q2.loc["D2", "rank"] == 1 and q2.loc["D3", "rank"] == 3
    assert q2.loc["D2", "score"] == pytest.approx(100.0)
    assert q2.loc["D3", "score"] == pytest.approx(0.0)
    assert card.flagged()["dealer_id"].tolist() == ["D3"]


def test_dealer_quarter_gaps_break_the_run() -> None:
    """Below in Q1 and Q3 without a Q2 row is not two quarters running."""
    metrics = pd.DataFrame(
        {"dealer_id": ["D1", "D1"], "quarter": ["2026Q1", "2026Q3"], "achievement": [0.5, 0.5]}
    )
    card = dealer_scorecard(
        metrics, weights={"achievement": 1}, threshold=0.9, flag_column="achievement"
    )
    assert not card.table["flagged"].any()
    with pytest.raises(ValidationError, match="not quarters"):
        dealer_scorecard(metrics.assign(quarter=["Q1", "2026Q3"]), weights={"achievement": 1})


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


MONTHLY = pd.DataFrame(
    {
        "rep_id": ["A", "B", "C"] * 4,
        "month": ["2026-01"] * 3 + ["2026-02"] * 3 + ["2026-03"] * 3 + ["2026-04"] * 3,
        # A drifts above the mean from February on; B dips once.
        "sales": [100, 100, 100, 130, 100, 70, 140, 70, 90, 150, 100, 50],
        "workload": [10, 10, 10] * 4,
    }
)


def test_drift_flags_three_months_running() -> None:
    """A is over the mean by more than 20 % from Feb to Apr: flagged at 3 months."""
    drift = balance_drift(MONTHLY, tolerance=0.2, months=3)
    flags = drift.flags.set_index(["rep_id", "measure"])
    assert flags.loc[("A", "sales"), "run"] == 3
    assert bool(flags.loc[("A", "sales"), "flagged"])
    assert flags.loc[("A", "sales"), "direction"] == "over"
    assert flags.loc[("A", "sales"), "last_deviation"] == pytest.approx(0.5)
    # C: Feb -30 % (out), Mar -10 % (in), Apr -50 % (out)
    assert flags.loc[("C", "sales"), "run"] == 1
    assert flags.loc[("C", "sales"), "longest_run"] == 1
    assert flags.loc[("C", "sales"), "direction"] == "under"
    assert not flags.loc[("C", "sales"), "flagged"]
    assert not flags.xs("workload", level="measure")["flagged"].any()
    assert drift.flagged()[["rep_id", "measure"]].values.tolist() == [["A", "sales"]]
    json.dumps(drift.to_dict(), allow_nan=False)


def test_drift_missing_month_breaks_run_and_is_reported() -> None:
    """A territory-month without data is not evaluated and is reported."""
    monthly = MONTHLY.drop(index=6)  # A in March
    drift = balance_drift(monthly, measures=["sales"], months=2)
    assert drift.flags.set_index("rep_id").loc["A", "run"] == 1
    assert any("A/2026-03" in issue for issue in drift.issues)
    with pytest.raises(ValidationError, match="duplicate"):
        balance_drift(pd.concat([MONTHLY, MONTHLY.iloc[[0]]]))
    with pytest.raises(ValidationError, match="months"):
        balance_drift(MONTHLY, months=0)
