"""Tests of territory.tables.months: the one month parser."""

from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from territory.errors import ProblemCollector, ValidationError
from territory.tables.months import (
    BAD_MONTH,
    month_label,
    month_labels,
    month_number,
    month_numbers,
    parse_months,
    require_month,
    shift_month,
)

MARCH_2026 = 2026 * 12 + 2


@pytest.mark.parametrize(
    "value",
    [
        "2026-03",  # review, allocation, grading
        "2026-3",  # allocation
        " 2026-03 ",  # allocation
        pd.Period("2026-03", freq="M"),  # allocation, grading
        pd.Period("2026-03-15", freq="D"),  # grading: any Period
        "2026-03-31",  # grading: a date string
        "2026-03-15 10:00",
        "2026-03-15T10:00:00Z",
        date(2026, 3, 15),
        datetime(2026, 3, 15, 9, 30),
        pd.Timestamp("2026-03-01"),
        np.datetime64("2026-03-15"),
    ],
)
def test_every_old_form_reads_as_march_2026(value: object) -> None:
    """Months, Periods and dates in every form the three old parsers read give one number."""
    assert month_number(value) == MARCH_2026


def test_years_far_from_today_are_months() -> None:
    """Plan years 1 and 9999 are accepted (allocation read them)."""
    assert month_number("0001-01") == 12
    assert month_number("9999-12") == 9999 * 12 + 11


@pytest.mark.parametrize(
    "value",
    [
        *("2026-13", "2026-00", "2026", "11/2026", "03/04/2026", "March", "", "2026-02-30"),
        *(202603, 3.0, True, None, np.nan, pd.NaT),
    ],
)
def test_values_that_do_not_say_which_month_are_refused(value: object) -> None:
    """Bad months, bare years, ambiguous dates, numbers and missing values are refused."""
    with pytest.raises(ValueError):
        month_number(value)


@given(st.integers(min_value=12, max_value=9999 * 12 + 11))
def test_label_round_trip(number: int) -> None:
    """month_label writes what month_number reads."""
    assert month_number(month_label(number)) == number


def test_labels_and_shifts() -> None:
    """Labels are zero-padded; shifting crosses years."""
    assert month_label(MARCH_2026) == "2026-03"
    assert shift_month("2026-01", -1) == "2025-12"
    assert shift_month("2025-12", 13) == "2027-01"


def test_plan_months_from_a_year_or_a_list() -> None:
    """A year gives its twelve months; any unreadable item gives None."""
    assert parse_months(2027) == list(range(2027 * 12, 2027 * 12 + 12))
    assert parse_months(["2026-03", pd.Period("2026-04", freq="M")]) == [
        MARCH_2026,
        MARCH_2026 + 1,
    ]
    assert parse_months(0) is None
    assert parse_months(True) is None
    assert parse_months("2026-03") is None  # a string is not a list of months
    assert parse_months(["2026-03", "2026-13"]) is None


def test_month_parameters_are_validation_errors() -> None:
    """A month parameter comes back as a label, or a ValidationError naming the parameter."""
    assert require_month("2026-3", "through") == "2026-03"
    with pytest.raises(ValidationError, match=r"^month: '11/2026' is not a month"):
        require_month("11/2026", "month")


def test_a_column_names_its_bad_values_and_rows() -> None:
    """Unreadable months: one problem with their count, up to three values and the row ids."""
    values = pd.Series(["2026-01", "2026-13", None, "2026-2", "x", "2026-13"])
    ids = pd.Series(["C1", "C2", "C3", "C4", "C5", "C6"])
    problems = ProblemCollector()
    numbers = month_numbers(
        values, table="sales", column="month", ids=ids, id_column="customer_id", problems=problems
    )
    assert numbers.tolist() == [
        2026 * 12,
        BAD_MONTH,
        BAD_MONTH,
        2026 * 12 + 1,
        BAD_MONTH,
        BAD_MONTH,
    ]
    with pytest.raises(ValidationError) as info:
        problems.raise_if_any()
    assert str(info.value) == (
        "sales: column 'month' has 4 values that are not months ('YYYY-MM', a date or a "
        "Period): '2026-13', 'x', missing (customer_id: 'C2', 'C3', 'C5', 'C6')"
    )


def test_a_column_as_labels() -> None:
    """Every readable form becomes a 'YYYY-MM' label; unreadable ones None."""
    problems = ProblemCollector()
    labels = month_labels(
        pd.Series(["2026-1", pd.Period("2026-02", freq="M"), "2026-03-31", "bad"]),
        table="t",
        column="m",
        ids=pd.Series(["a", "b", "c", "d"]),
        id_column="id",
        problems=problems,
    )
    assert labels.tolist() == ["2026-01", "2026-02", "2026-03", None]
    assert len(problems.problems) == 1
