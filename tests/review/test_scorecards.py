"""Tests of territory.review.scorecards: rep and dealer scorecards."""

import json

import pandas as pd
import pytest

from territory.errors import ValidationError
from territory.review import (
    dealer_scorecard,
    rep_scorecard,
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


def test_an_infinite_criterion_is_refused_with_the_shared_message() -> None:
    """An infinite criterion (a missing criterion or the top rank before) is an error."""
    bad = METRICS.assign(achievement=[1.2, float("inf"), 1.0, float("-inf")])
    with pytest.raises(
        ValidationError,
        match=r"metrics: column 'achievement' has 2 infinite values \(rep_id: 'R2', 'R4'\)",
    ):
        rep_scorecard(bad, weights={"achievement": 1}, method="percentile")
    growth = METRICS.assign(achievement=[-0.5, None, 0.0, 0.5])  # negative, missing: fine
    card = rep_scorecard(growth, weights={"achievement": 1})
    scores = card.table.set_index("rep_id")["score"]
    assert scores[["R1", "R3", "R4"]].tolist() == pytest.approx([0.0, 50.0, 100.0])


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


def test_dealer_flag_column_outside_the_weights_is_read_as_numbers() -> None:
    """A raw flag column outside the weights: numbers flag, text (D2 thrice) is an error."""
    metrics = DEALERS.assign(visits=["5"] * 3 + [3, 8, 8] + [2, 9, 9])
    card = dealer_scorecard(metrics, weights={"achievement": 1}, threshold=4, flag_column="visits")
    assert card.flagged()[["dealer_id", "quarter"]].values.tolist() == [["D1", "2026Q3"]]
    with pytest.raises(
        ValidationError,
        match=r"metrics: column 'visits' has 3 non-numeric values \(dealer_id: 'D2'\)",
    ):
        dealer_scorecard(
            metrics.assign(visits=[5, "many", 5] * 3),
            weights={"achievement": 1},
            flag_column="visits",
        )


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
