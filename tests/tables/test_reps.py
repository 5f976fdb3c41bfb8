"""Tests of territory.tables.reps: validate_reps, its defaults and rep kinds."""

import pandas as pd

from territory.tables import validate_reps
from territory_cases import dealers_frame, reps_frame, validation_error_text


def test_reps_validated_and_defaults() -> None:
    """Rep times and weekdays are parsed; kind defaults to company."""
    out = validate_reps(reps_frame(), dealers=dealers_frame())
    assert out["day_start"].tolist() == [480.0, 510.0]
    assert out["weekdays"].tolist() == [(0, 1, 2, 3, 4), (0, 2, 4)]
    plain = validate_reps(reps_frame().drop(columns=["kind", "dealer_id", "weekdays"]))
    assert plain["kind"].tolist() == ["company", "company"]


def test_dealer_rep_needs_dealer() -> None:
    """A dealer rep without dealer_id, or with an unknown one, is rejected."""
    text = validation_error_text(validate_reps, reps_frame(dealer_id=[None, None]))
    assert "reps: column 'dealer_id' is empty for 1 dealer reps (rep_id: 'R2')" in text
    text = validation_error_text(
        validate_reps, reps_frame(dealer_id=[None, "D7"]), dealers=dealers_frame()
    )
    assert "no dealer has" in text


def test_rep_day_start_after_end() -> None:
    """A working day that ends before it starts is rejected."""
    text = validation_error_text(validate_reps, reps_frame(day_start=["18:00", "08:00"]))
    assert "reps: column 'day_start' is not before 'day_end' in 1 rows (rep_id: 'R1')" in text


def test_bad_weekdays() -> None:
    """Unknown weekday names are reported."""
    text = validation_error_text(validate_reps, reps_frame(weekdays=["Mon-Fri", "Funday"]))
    assert "column 'weekdays' has 1 values that are not weekdays (rep_id: 'R2')" in text


def test_lunch_minutes_are_bounded() -> None:
    """A lunch longer than a day, or past midnight, is refused."""
    text = validation_error_text(
        validate_reps, reps_frame(lunch_start=["12:00", "23:00"], lunch_minutes=[5000, 90])
    )
    assert "column 'lunch_minutes' has 1 values above the limit of 1440 min (rep_id: 'R1')" in text
    assert "column 'lunch_minutes' runs past midnight" in text and "'R2'" in text


def test_reps_without_kind_are_dealer_reps_when_they_have_a_dealer() -> None:
    """Without a ``kind`` column a rep with a ``dealer_id`` works for that dealer."""
    reps = pd.DataFrame(
        {
            "rep_id": ["C1", "D1"],
            "home_lon": [9.0, 9.1],
            "home_lat": [48.0, 48.1],
            "dealer_id": [None, "X"],
        }
    )
    assert validate_reps(reps)["kind"].tolist() == ["company", "dealer"]
