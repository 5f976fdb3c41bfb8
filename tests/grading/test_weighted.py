"""Tests of territory.grading.WeightedScore and counts_from_shares."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from territory.errors import ValidationError
from territory.grading import WeightedScore, counts_from_shares


def test_weighted_target_shares() -> None:
    """Shares 10/20/30/40 % of ten customers give 1, 2, 3, 4 customers by score."""
    customers = pd.DataFrame(
        {"customer_id": [f"C{i}" for i in range(10)], "potential": np.arange(10.0), "distance": 0.0}
    )
    scheme = WeightedScore({"potential": 3.0, "distance": 1.0}, lower_is_better=("distance",))
    table = scheme.grade(customers).table
    assert table["grade"].tolist() == list("DDDDCCCBBA")
    points = table["potential_points"] + table["distance_points"]
    np.testing.assert_allclose(points, table["score"])
    # minmax: potential 0..1 with weight 3/4, distance constant -> 0.5, flipped -> 0.5, weight 1/4
    assert table["score"].iloc[-1] == pytest.approx(0.75 + 0.125)


def test_weighted_thresholds_and_rank() -> None:
    """Rank normalisation with score thresholds."""
    customers = pd.DataFrame({"customer_id": list("abcde"), "x": [100.0, 1.0, 2.0, 3.0, 4.0]})
    table = (
        WeightedScore({"x": 1.0}, normalisation="rank", thresholds=(0.75, 0.5, 0.25))
        .grade(customers)
        .table
    )
    assert table["score"].tolist() == [1.0, 0.0, 0.25, 0.5, 0.75]
    assert table["grade"].tolist() == ["A", "D", "C", "B", "A"]


def test_weighted_bad_parameters() -> None:
    """Negative weights and shares off 100 % are reported together."""
    with pytest.raises(ValidationError) as info:
        WeightedScore({"x": -1.0, "y": 1.0}, shares=(0.5, 0.5, 0.5, 0.0))
    message = str(info.value)
    assert "weights: column 'x' has 1 negative or missing weights" in message
    assert "grade shares must add up to 100 %" in message


def test_counts_from_shares_add_up() -> None:
    """Largest-remainder counts add up to n."""
    assert counts_from_shares((0.25, 0.25, 0.25, 0.25), 3).sum() == 3


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), min_size=1, max_size=50),
    st.lists(st.integers(min_value=0, max_value=10), min_size=4, max_size=4).filter(
        lambda w: sum(w) > 0
    ),
)
def test_weighted_every_customer_one_grade(values: list[float], raw_shares: list[int]) -> None:
    """Every customer gets exactly one grade and the counts follow the shares."""
    shares = tuple(s / sum(raw_shares) for s in raw_shares)
    customers = pd.DataFrame({"customer_id": [f"C{i}" for i in range(len(values))], "x": values})
    table = WeightedScore({"x": 1.0}, shares=shares).grade(customers).table  # type: ignore[arg-type]
    assert table["customer_id"].is_unique and len(table) == len(values)
    assert table["grade"].isin(list("ABCD")).all()
    counts = table["grade"].value_counts().reindex(list("ABCD"), fill_value=0).to_numpy()
    assert counts.tolist() == counts_from_shares(shares, len(values)).tolist()
    # better grades never have lower scores than worse grades
    index = table["grade"].map({g: i for i, g in enumerate("ABCD")})
    for i in range(3):
        better, worse = table["score"][index <= i], table["score"][index > i]
        if len(better) and len(worse):
            assert better.min() >= worse.max()
