"""Tests of territory.tables.times: clock times and weekdays."""

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from territory.errors import ProblemCollector
from territory.tables import validate_customers, validate_reps
from territory.tables.times import format_time, parse_time, parse_weekdays, timestamps
from territory_cases import customers_frame, reps_frame, validation_error_text


def test_parse_time_forms() -> None:
    """Times parse from strings and numbers."""
    assert parse_time("07:05") == 425.0
    assert parse_time("07:05:30") == 425.5
    assert parse_time(90) == 90.0
    assert np.isnan(parse_time(None))
    with pytest.raises(ValueError, match="not a time"):
        parse_time("25:99")


def test_parse_weekdays_forms() -> None:
    """Weekdays parse from names, ranges and numbers."""
    assert parse_weekdays("Mon-Fri") == (0, 1, 2, 3, 4)
    assert parse_weekdays("tue thu") == (1, 3)
    assert parse_weekdays(["Sat", 6]) == (5, 6)
    assert parse_weekdays(None) == (0, 1, 2, 3, 4)
    with pytest.raises(ValueError, match=re.escape("runs backwards")):
        parse_weekdays("Fri-Mon")


@given(st.integers(min_value=0, max_value=24 * 60 - 1))
def test_time_round_trip(minutes: int) -> None:
    """format_time and parse_time are inverse on whole minutes."""
    assert parse_time(format_time(minutes)) == minutes


def test_unparseable_time() -> None:
    """A value that is not a time is named."""
    text = validation_error_text(
        validate_customers, customers_frame(opens=["8 o'clock", "09:00", "10:00"])
    )
    assert "column 'opens' has 1 values that are not times (customer_id: 'C1')" in text


def test_bare_hour_numbers_are_refused_as_times() -> None:
    """lunch_start=12 (read as 00:12 before) is refused with a hint to write '12:00'."""
    text = validation_error_text(
        validate_reps, reps_frame(lunch_start=[12, "12:00"], lunch_minutes=30)
    )
    assert "column 'lunch_start' has 1 numbers between 0 and 24" in text
    assert "'12:00'" in text and "(rep_id: 'R1')" in text
    with pytest.raises(ValueError, match="ambiguous time"):
        parse_time("8.5")
    assert parse_time(0) == 0.0 and parse_time(720) == 720.0


def test_one_sided_times_are_range_checked() -> None:
    """An opening time without a closing time (or a lone lunch_start) is range-checked."""
    text = validation_error_text(
        validate_customers, customers_frame(opens=[2000, "09:00", 480]).drop(columns="closes")
    )
    assert "column 'opens' has 1 values outside 00:00-24:00 (customer_id: 'C1')" in text
    text = validation_error_text(
        validate_reps, reps_frame(lunch_start=["12:00", -30], lunch_minutes=[30, 30])
    )
    assert "column 'lunch_start' has 1 values outside 00:00-24:00 (rep_id: 'R2')" in text


def test_words_that_only_start_like_weekdays_are_refused() -> None:
    """'Monkey' is not Monday; full names and abbreviations still are."""
    text = validation_error_text(
        validate_customers, customers_frame(allowed_days=["Monkey", "Mon", "Tue"])
    )
    assert "column 'allowed_days' has 1 values that are not weekdays (customer_id: 'C1')" in text
    assert parse_weekdays("Monday,tues,Thurs") == (0, 1, 3)
    assert parse_weekdays("Monday-Wednesday") == (0, 1, 2)
    with pytest.raises(ValueError):
        parse_weekdays("Sunshine")


def test_timestamps_read_an_unguessable_first_value_without_a_warning() -> None:
    """A first value pandas cannot guess a format from: each value is read on its own.

    The suite turns warnings into errors, so pandas' "Could not infer format" warning
    (no longer silenced through the process's warning filters) would fail this test.
    """
    frame = pd.DataFrame(
        {"customer_id": ["C1", "C2", "C3"], "timestamp": ["soon", "2026-11-04", "2026-11-02 10:00"]}
    )
    problems = ProblemCollector()
    values = timestamps(frame, "visits", "timestamp", "customer_id", problems)
    assert values.isna().tolist() == [True, False, False]
    assert values.iloc[2] == pd.Timestamp("2026-11-02 10:00")
    (problem,) = problems.problems
    assert problem.ids == ("C1",)
