"""Tests for territory.territories.SearchOptions and design_territories(options=...)."""

import pandas as pd
import pytest

from territory.errors import ValidationError
from territory.territories import SearchOptions, design_territories

CUSTOMERS = pd.DataFrame(
    {
        "customer_id": [f"C{i}" for i in range(6)],
        "lon": [0.01 * i for i in range(6)],
        "lat": [0.0] * 6,
    }
)
REPS = pd.DataFrame({"rep_id": ["A", "B"], "home_lon": [0.0, 0.05], "home_lat": [0.0, 0.0]})


def test_defaults_match_the_loose_keywords():
    """The defaults are those of design_territories: 4 starts, 12 at most, 20 kicks, parts of 32."""
    options = SearchOptions()
    assert (options.starts, options.max_starts, options.kicks) == (4, 12, 20)
    assert (options.time_limit, options.region_size) == (None, 32)


def test_options_are_frozen():
    """A SearchOptions cannot be changed after it is built."""
    with pytest.raises(AttributeError):
        SearchOptions().starts = 2  # type: ignore[misc]


def test_bad_settings_are_all_reported():
    """Zero starts and a negative time limit are named in one error."""
    with pytest.raises(ValidationError) as info:
        SearchOptions(starts=0, time_limit=-1.0)
    assert "starts and max_starts must be at least 1" in str(info.value)
    assert "time_limit must be a positive number of seconds" in str(info.value)


def test_options_split_six_customers_in_a_line_in_halves():
    """Six customers in a row and two reps at the ends: each rep gets the nearer three."""
    plan = design_territories(
        CUSTOMERS,
        REPS,
        balance={"count": 0.01},
        options=SearchOptions(starts=1, max_starts=2, kicks=3),
    )
    assert plan.assignment["rep_id"].tolist() == ["A", "A", "A", "B", "B", "B"]


def test_options_give_the_same_plan_as_the_keywords():
    """options=SearchOptions(starts=1, ...) and starts=1, ... design the same territories."""
    fast = {"starts": 1, "max_starts": 2, "kicks": 3}
    by_keywords = design_territories(CUSTOMERS, REPS, balance={"count": 0.01}, seed=3, **fast)
    by_options = design_territories(
        CUSTOMERS, REPS, balance={"count": 0.01}, seed=3, options=SearchOptions(**fast)
    )
    pd.testing.assert_frame_equal(by_keywords.assignment, by_options.assignment)


def test_settings_given_twice_are_refused():
    """options= together with a non-default starts= is a validation error naming starts."""
    with pytest.raises(ValidationError, match=r"not both \(starts\)"):
        design_territories(
            CUSTOMERS, REPS, balance={"count": 0.01}, starts=2, options=SearchOptions()
        )
