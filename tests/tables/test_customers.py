"""Tests of territory.tables.customers: validate_customers names table, column and ids."""

import numpy as np
import pandas as pd
import pytest

from territory.errors import ValidationError
from territory.tables import validate_customers
from territory_cases import customers_frame, dealers_frame, validation_error_text


def test_valid_customers_are_normalised() -> None:
    """Times become minutes, ids strings; the input is not modified."""
    frame = customers_frame()
    before = frame.copy()
    out = validate_customers(frame, dealers=dealers_frame())
    pd.testing.assert_frame_equal(frame, before)
    assert out["opens"].tolist() == [480.0, 540.0, 480.0]
    assert out["closes"].tolist() == [1080.0, 1050.0, 1020.0]
    assert out["dealer_id"].tolist() == ["D1", None, None]


def test_missing_column_is_named() -> None:
    """A missing required column names the table and column."""
    text = validation_error_text(validate_customers, customers_frame().drop(columns=["lat"]))
    assert text == "customers: column 'lat' is missing"


def test_required_extra_column() -> None:
    """Columns a caller requires are checked too."""
    text = validation_error_text(
        validate_customers, customers_frame(), require=("visits_per_cycle",)
    )
    assert "column 'visits_per_cycle' is missing" in text


def test_duplicate_ids_are_listed() -> None:
    """Duplicate customer ids are named."""
    text = validation_error_text(
        validate_customers, customers_frame(customer_id=["C1", "C1", "C3"])
    )
    assert "customers: column 'customer_id' has 1 duplicate ids (customer_id: 'C1')" in text


def test_missing_and_out_of_range_coordinates() -> None:
    """Missing and out-of-range coordinates name their customers."""
    text = validation_error_text(
        validate_customers, customers_frame(lon=[9.0, None, 200.0], lat=[48.0, 95.0, 48.0])
    )
    assert "column 'lon' has 1 missing values (customer_id: 'C2')" in text
    assert "column 'lon' has 1 values outside [-180, 180] (customer_id: 'C3')" in text
    assert "column 'lat' has 1 values outside [-90, 90] (customer_id: 'C2')" in text


def test_negative_and_non_numeric_durations() -> None:
    """Negative or non-numeric service minutes are reported with ids."""
    text = validation_error_text(
        validate_customers, customers_frame(service_minutes=[-5, "ten", -1])
    )
    assert "column 'service_minutes' has 1 non-numeric values (customer_id: 'C2')" in text
    assert "column 'service_minutes' has 2 negative values (customer_id: 'C1', 'C3')" in text


def test_opening_not_before_closing() -> None:
    """Opening time at or after closing time is an error."""
    text = validation_error_text(
        validate_customers,
        customers_frame(opens=["18:00", "09:00", "10:00"], closes=["08:00", "17:00", "10:00"]),
    )
    assert "column 'opens' is not before 'closes' in 2 rows (customer_id: 'C1', 'C3')" in text


def test_unknown_dealer() -> None:
    """A dealer_id no dealer has is reported."""
    text = validation_error_text(
        validate_customers, customers_frame(dealer_id=["D1", "D9", None]), dealers=dealers_frame()
    )
    assert "column 'dealer_id' has 1 values that no dealer has" in text
    assert "(customer_id: 'C2')" in text


def test_unknown_kind() -> None:
    """Customer kind must be dealer or store."""
    text = validation_error_text(
        validate_customers, customers_frame(kind=["store", "shop", "dealer"])
    )
    assert "column 'kind' has 1 values not in {dealer, store} (customer_id: 'C2')" in text


def test_all_problems_reported_together() -> None:
    """Several problems come in one error."""
    with pytest.raises(ValidationError) as info:
        validate_customers(customers_frame(lon=[None, 9.0, 9.0], service_minutes=[-1, 0, 0]))
    assert len(info.value.problems) == 2


def test_at_most_five_ids_shown() -> None:
    """Long id lists are cut to five and counted."""
    n = 8
    frame = pd.DataFrame(
        {
            "customer_id": [f"C{i}" for i in range(n)],
            "lon": [9.0] * n,
            "lat": [48.0] * n,
            "service_minutes": [-1] * n,
        }
    )
    text = validation_error_text(validate_customers, frame)
    assert "'C0', 'C1', 'C2', 'C3', 'C4' and 3 more" in text


def test_huge_visits_per_cycle_is_refused() -> None:
    """1e19 visits (which overflowed int64 to a negative count) exceed the bound."""
    text = validation_error_text(validate_customers, customers_frame(visits_per_cycle=[1e19, 2, 1]))
    assert "column 'visits_per_cycle' has 1 values above the limit of 1000" in text
    assert "(customer_id: 'C1')" in text


def test_infinite_numbers_are_refused() -> None:
    """An infinite min_gap_days, service_minutes or visits_per_cycle is refused."""
    text = validation_error_text(
        validate_customers,
        customers_frame(
            min_gap_days=[np.inf, 1, 2],
            service_minutes=[20, -np.inf, 30],
            visits_per_cycle=[1, 2, np.inf],
        ),
    )
    assert "column 'min_gap_days' has 1 infinite values (customer_id: 'C1')" in text
    assert "column 'service_minutes' has 1 infinite values (customer_id: 'C2')" in text
    assert "column 'visits_per_cycle' has 1 infinite values (customer_id: 'C3')" in text


def test_service_minutes_longer_than_a_day_are_refused() -> None:
    """A visit of more than 1440 minutes cannot fit any day."""
    text = validation_error_text(
        validate_customers, customers_frame(service_minutes=[20, 1e308, 30])
    )
    assert "column 'service_minutes' has 1 values above the limit of 1440 min" in text


def test_key_account_and_locked_rep_are_normalised() -> None:
    """key_account becomes bool (missing = no); locked_rep_id must name a known rep."""
    customers = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c"],
            "lon": [9.0, 9.1, 9.2],
            "lat": [48.0, 48.0, 48.0],
            "key_account": ["Yes", None, 0],
            "locked_rep_id": pd.Series([" r1 ", None, "ghost"], dtype=object),
        }
    )
    reps = pd.DataFrame({"rep_id": ["r1"], "home_lon": [9.0], "home_lat": [48.0]})
    frame = validate_customers(customers.iloc[:2])
    assert frame["key_account"].tolist() == [True, False]
    assert frame["locked_rep_id"].tolist() == ["r1", None]
    with pytest.raises(ValidationError, match=r"'locked_rep_id' has 1 values that no rep has.*'c'"):
        validate_customers(customers, reps=reps)
