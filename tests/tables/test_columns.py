"""Tests of territory.tables.columns: the one numeric check and the total check."""

import numpy as np
import pandas as pd
import pytest

from territory.errors import ProblemCollector, ValidationError
from territory.tables import validate_customers, validate_reps
from territory.tables.columns import check_total_finite, numeric_column
from territory_cases import customers_frame, reps_frame, validation_error_text


def _message(problems: ProblemCollector) -> str:
    with pytest.raises(ValidationError) as info:
        problems.raise_if_any()
    return str(info.value)


def test_nan_text_inf_and_negative_are_each_named() -> None:
    """Each kind of bad value is one problem naming table, column and ids."""
    frame = pd.DataFrame(
        {
            "customer_id": ["C1", "C2", "C3", "C4", "C5"],
            "service_minutes": [1.0, np.nan, "abc", np.inf, -2.0],
        }
    )
    problems = ProblemCollector()
    values = numeric_column(frame, "service_minutes", table="customers", problems=problems)
    assert values[0] == 1.0 and np.isnan(values[1]) and np.isnan(values[2])
    assert values[3] == np.inf and values[4] == -2.0
    text = _message(problems)
    prefix = "customers: column 'service_minutes' has 1"
    assert f"{prefix} missing values (customer_id: 'C2')" in text
    assert f"{prefix} non-numeric values (customer_id: 'C3')" in text
    assert f"{prefix} infinite values (customer_id: 'C4')" in text
    assert f"{prefix} negative values (customer_id: 'C5')" in text
    assert "4 problems" in text


def test_missing_and_negative_can_be_allowed() -> None:
    """allow_missing and allow_negative silence exactly those two checks."""
    frame = pd.DataFrame({"customer_id": ["C1", "C2"], "sales": [np.nan, -3.5]})
    problems = ProblemCollector()
    values = numeric_column(
        frame, "sales", table="sales", problems=problems, allow_missing=True, allow_negative=True
    )
    assert not problems
    assert np.isnan(values[0]) and values[1] == -3.5


def test_minus_infinity_is_infinite_not_negative() -> None:
    """-inf is reported once, as infinite."""
    frame = pd.DataFrame({"customer_id": ["C1"], "x": [-np.inf]})
    problems = ProblemCollector()
    numeric_column(frame, "x", table="customers", problems=problems)
    assert _message(problems) == "customers: column 'x' has 1 infinite values (customer_id: 'C1')"


def test_maximum_with_unit_and_whole_numbers() -> None:
    """Values above the maximum and fractional values are named, with the unit."""
    frame = pd.DataFrame({"rep_id": ["R1", "R2", "R3"], "minutes": [0.5, 2000, 30]})
    problems = ProblemCollector()
    numeric_column(
        frame,
        "minutes",
        table="reps",
        id_column="rep_id",
        problems=problems,
        integer=True,
        maximum=1440,
        unit=" min",
    )
    text = _message(problems)
    assert "reps: column 'minutes' has 1 values above the limit of 1440 min (rep_id: 'R2')" in text
    assert "reps: column 'minutes' has 1 non-integer values (rep_id: 'R1')" in text


def test_ids_of_a_long_table_are_listed_once() -> None:
    """Two bad rows of one customer count 2 values but name the customer once."""
    frame = pd.DataFrame({"customer_id": ["C1", "C1", "C2"], "sales": [-1.0, -2.0, 5.0]})
    problems = ProblemCollector()
    numeric_column(frame, "sales", table="sales", problems=problems)
    assert _message(problems) == "sales: column 'sales' has 2 negative values (customer_id: 'C1')"


def test_nullable_integers_and_row_numbers_without_an_id_column() -> None:
    """A missing Int64 value is missing; without the id column the row index names it."""
    frame = pd.DataFrame({"week": pd.array([1, None, 3], dtype="Int64")})
    problems = ProblemCollector()
    values = numeric_column(frame, "week", table="visits", problems=problems)
    assert values[0] == 1.0 and np.isnan(values[1]) and values[2] == 3.0
    assert _message(problems) == "visits: column 'week' has 1 missing values (row: '1')"


def test_total_that_overflows_is_refused() -> None:
    """Two values near the float maximum add up to infinity: one problem, False."""
    problems = ProblemCollector()
    huge = np.array([1e308, 1e308])
    assert not check_total_finite(huge, table="t", column="c", problems=problems)
    assert "t: column 'c' adds up to more than the largest float" in _message(problems)
    fine = ProblemCollector()
    assert check_total_finite(np.array([1.0, np.nan, 2.0]), table="t", column="c", problems=fine)
    assert not fine


def test_duplicate_column_names_are_a_validation_error() -> None:
    """Two columns of one name give a clear error instead of a pandas crash."""
    frame = customers_frame()
    frame.columns = [*frame.columns[:-1], "lon"]
    text = validation_error_text(validate_customers, frame)
    assert "customers: column 'lon' appears 2 times" in text
    reps = reps_frame()
    reps.columns = ["rep_id", *reps.columns[1:-1], "rep_id"]
    assert "reps: column 'rep_id' appears 2 times" in validation_error_text(validate_reps, reps)
