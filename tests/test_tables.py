"""Tests of territory.tables: validation of customers, reps and dealers."""

import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from shapely.geometry import LineString, Point

from territory.errors import ValidationError
from territory.tables import (
    format_time,
    parse_time,
    parse_weekdays,
    validate_customers,
    validate_dealers,
    validate_reps,
)


def customers_frame(**overrides: object) -> pd.DataFrame:
    base = {
        "customer_id": ["C1", "C2", "C3"],
        "lon": [9.0, 9.1, 9.2],
        "lat": [48.0, 48.1, 48.2],
        "kind": ["store", "store", "dealer"],
        "dealer_id": ["D1", None, None],
        "opens": ["08:00", "09:00", 480],
        "closes": ["18:00", "17:30", 1020],
        "service_minutes": [20, 15, 30],
    }
    base.update(overrides)
    return pd.DataFrame(base)


DEALERS = pd.DataFrame({"dealer_id": ["D1"], "name": ["Dealer 1"], "lon": [9.0], "lat": [48.0]})


def reps_frame(**overrides: object) -> pd.DataFrame:
    base = {
        "rep_id": ["R1", "R2"],
        "kind": ["company", "dealer"],
        "dealer_id": [None, "D1"],
        "home_lon": [9.0, 9.1],
        "home_lat": [48.0, 48.1],
        "day_start": ["08:00", "08:30"],
        "day_end": ["17:00", 1020],
        "weekdays": ["Mon-Fri", "Mon,Wed,Fri"],
    }
    base.update(overrides)
    return pd.DataFrame(base)


def error_text(func: object, *args: object, **kwargs: object) -> str:
    with pytest.raises(ValidationError) as info:
        func(*args, **kwargs)  # type: ignore[operator]
    return str(info.value)


def test_valid_customers_are_normalised() -> None:
    """Times become minutes, ids strings; the input is not modified."""
    frame = customers_frame()
    before = frame.copy()
    out = validate_customers(frame, dealers=DEALERS)
    pd.testing.assert_frame_equal(frame, before)
    assert out["opens"].tolist() == [480.0, 540.0, 480.0]
    assert out["closes"].tolist() == [1080.0, 1050.0, 1020.0]
    assert out["dealer_id"].tolist() == ["D1", None, None]


def test_missing_column_is_named() -> None:
    """A missing required column names the table and column."""
    text = error_text(validate_customers, customers_frame().drop(columns=["lat"]))
    assert text == "customers: column 'lat' is missing"


def test_required_extra_column() -> None:
    """Columns a caller requires are checked too."""
    text = error_text(validate_customers, customers_frame(), require=("visits_per_cycle",))
    assert "column 'visits_per_cycle' is missing" in text


def test_duplicate_ids_are_listed() -> None:
    """Duplicate customer ids are named."""
    text = error_text(validate_customers, customers_frame(customer_id=["C1", "C1", "C3"]))
    assert "customers: column 'customer_id' has 1 duplicate ids (customer_id: 'C1')" in text


def test_missing_and_out_of_range_coordinates() -> None:
    """Missing and out-of-range coordinates name their customers."""
    text = error_text(
        validate_customers, customers_frame(lon=[9.0, None, 200.0], lat=[48.0, 95.0, 48.0])
    )
    assert "column 'lon' has 1 missing values (customer_id: 'C2')" in text
    assert "column 'lon' has 1 values outside [-180, 180] (customer_id: 'C3')" in text
    assert "column 'lat' has 1 values outside [-90, 90] (customer_id: 'C2')" in text


def test_negative_and_non_numeric_durations() -> None:
    """Negative or non-numeric service minutes are reported with ids."""
    text = error_text(validate_customers, customers_frame(service_minutes=[-5, "ten", -1]))
    assert "column 'service_minutes' has 1 non-numeric values (customer_id: 'C2')" in text
    assert "column 'service_minutes' has 2 negative values (customer_id: 'C1', 'C3')" in text


def test_opening_not_before_closing() -> None:
    """Opening time at or after closing time is an error."""
    text = error_text(
        validate_customers,
        customers_frame(opens=["18:00", "09:00", "10:00"], closes=["08:00", "17:00", "10:00"]),
    )
    assert "column 'opens' is not before 'closes' in 2 rows (customer_id: 'C1', 'C3')" in text


def test_unparseable_time() -> None:
    """A value that is not a time is named."""
    text = error_text(validate_customers, customers_frame(opens=["8 o'clock", "09:00", "10:00"]))
    assert "column 'opens' has 1 values that are not times (customer_id: 'C1')" in text


def test_unknown_dealer() -> None:
    """A dealer_id no dealer has is reported."""
    text = error_text(
        validate_customers, customers_frame(dealer_id=["D1", "D9", None]), dealers=DEALERS
    )
    assert "column 'dealer_id' has 1 values that no dealer has" in text
    assert "(customer_id: 'C2')" in text


def test_unknown_kind() -> None:
    """Customer kind must be dealer or store."""
    text = error_text(validate_customers, customers_frame(kind=["store", "shop", "dealer"]))
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
    text = error_text(validate_customers, frame)
    assert "'C0', 'C1', 'C2', 'C3', 'C4' and 3 more" in text


def test_geodataframe_is_reprojected() -> None:
    """Point geometry in another CRS gives WGS84 lon/lat."""
    gdf = gpd.GeoDataFrame({"customer_id": ["A"]}, geometry=[Point(9.0, 48.0)], crs=4326)
    projected = gdf.to_crs(3857)
    out = validate_customers(projected)
    assert out["lon"].iloc[0] == pytest.approx(9.0)
    assert out["lat"].iloc[0] == pytest.approx(48.0)
    assert "geometry" not in out.columns


def test_geodataframe_without_crs() -> None:
    """A GeoDataFrame without CRS is rejected."""
    gdf = gpd.GeoDataFrame({"customer_id": ["A"]}, geometry=[Point(9.0, 48.0)])
    assert "has no CRS" in error_text(validate_customers, gdf)


def test_non_point_geometry() -> None:
    """Lines are not customer locations."""
    gdf = gpd.GeoDataFrame(
        {"customer_id": ["A", "B"]},
        geometry=[Point(9, 48), LineString([(9, 48), (9.1, 48.1)])],
        crs=4326,
    )
    assert "has 1 non-point geometries (customer_id: 'B')" in error_text(validate_customers, gdf)


def test_reps_validated_and_defaults() -> None:
    """Rep times and weekdays are parsed; kind defaults to company."""
    out = validate_reps(reps_frame(), dealers=DEALERS)
    assert out["day_start"].tolist() == [480.0, 510.0]
    assert out["weekdays"].tolist() == [(0, 1, 2, 3, 4), (0, 2, 4)]
    plain = validate_reps(reps_frame().drop(columns=["kind", "dealer_id", "weekdays"]))
    assert plain["kind"].tolist() == ["company", "company"]


def test_dealer_rep_needs_dealer() -> None:
    """A dealer rep without dealer_id, or with an unknown one, is rejected."""
    text = error_text(validate_reps, reps_frame(dealer_id=[None, None]))
    assert "reps: column 'dealer_id' is empty for 1 dealer reps (rep_id: 'R2')" in text
    text = error_text(validate_reps, reps_frame(dealer_id=[None, "D7"]), dealers=DEALERS)
    assert "no dealer has" in text


def test_rep_day_start_after_end() -> None:
    """A working day that ends before it starts is rejected."""
    text = error_text(validate_reps, reps_frame(day_start=["18:00", "08:00"]))
    assert "reps: column 'day_start' is not before 'day_end' in 1 rows (rep_id: 'R1')" in text


def test_bad_weekdays() -> None:
    """Unknown weekday names are reported."""
    text = error_text(validate_reps, reps_frame(weekdays=["Mon-Fri", "Funday"]))
    assert "column 'weekdays' has 1 values that are not weekdays (rep_id: 'R2')" in text


def test_dealers_duplicate_and_coordinates() -> None:
    """Dealer table problems are named."""
    dealers = pd.DataFrame({"dealer_id": ["D1", "D1"], "lon": [9.0, np.nan], "lat": [48, 48]})
    text = error_text(validate_dealers, dealers)
    assert "dealers: column 'dealer_id' has 1 duplicate ids (dealer_id: 'D1')" in text
    assert "dealers: column 'lon' has 1 missing values (dealer_id: 'D1')" in text


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


def test_huge_visits_per_cycle_is_refused() -> None:
    """1e19 visits (which overflowed int64 to a negative count) exceed the bound."""
    text = error_text(validate_customers, customers_frame(visits_per_cycle=[1e19, 2, 1]))
    assert "column 'visits_per_cycle' has 1 values above the limit of 1000" in text
    assert "(customer_id: 'C1')" in text


def test_infinite_numbers_are_refused() -> None:
    """An infinite min_gap_days, service_minutes or visits_per_cycle is refused."""
    text = error_text(
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
    text = error_text(validate_customers, customers_frame(service_minutes=[20, 1e308, 30]))
    assert "column 'service_minutes' has 1 values above the limit of 1440 min" in text


def test_bare_hour_numbers_are_refused_as_times() -> None:
    """lunch_start=12 (read as 00:12 before) is refused with a hint to write '12:00'."""
    text = error_text(validate_reps, reps_frame(lunch_start=[12, "12:00"], lunch_minutes=30))
    assert "column 'lunch_start' has 1 numbers between 0 and 24" in text
    assert "'12:00'" in text and "(rep_id: 'R1')" in text
    with pytest.raises(ValueError, match="ambiguous time"):
        parse_time("8.5")
    assert parse_time(0) == 0.0 and parse_time(720) == 720.0


def test_one_sided_times_are_range_checked() -> None:
    """An opening time without a closing time (or a lone lunch_start) is range-checked."""
    text = error_text(
        validate_customers, customers_frame(opens=[2000, "09:00", 480]).drop(columns="closes")
    )
    assert "column 'opens' has 1 values outside 00:00-24:00 (customer_id: 'C1')" in text
    text = error_text(validate_reps, reps_frame(lunch_start=["12:00", -30], lunch_minutes=[30, 30]))
    assert "column 'lunch_start' has 1 values outside 00:00-24:00 (rep_id: 'R2')" in text


def test_lunch_minutes_are_bounded() -> None:
    """A lunch longer than a day, or past midnight, is refused."""
    text = error_text(
        validate_reps, reps_frame(lunch_start=["12:00", "23:00"], lunch_minutes=[5000, 90])
    )
    assert "column 'lunch_minutes' has 1 values above the limit of 1440 min (rep_id: 'R1')" in text
    assert "column 'lunch_minutes' runs past midnight" in text and "'R2'" in text


def test_words_that_only_start_like_weekdays_are_refused() -> None:
    """'Monkey' is not Monday; full names and abbreviations still are."""
    text = error_text(validate_customers, customers_frame(allowed_days=["Monkey", "Mon", "Tue"]))
    assert "column 'allowed_days' has 1 values that are not weekdays (customer_id: 'C1')" in text
    assert parse_weekdays("Monday,tues,Thurs") == (0, 1, 3)
    assert parse_weekdays("Monday-Wednesday") == (0, 1, 2)
    with pytest.raises(ValueError):
        parse_weekdays("Sunshine")


def test_duplicate_column_names_are_a_validation_error() -> None:
    """Two columns of one name give a clear error instead of a pandas crash."""
    frame = customers_frame()
    frame.columns = [*frame.columns[:-1], "lon"]
    text = error_text(validate_customers, frame)
    assert "customers: column 'lon' appears 2 times" in text
    reps = reps_frame()
    reps.columns = ["rep_id", *reps.columns[1:-1], "rep_id"]
    assert "reps: column 'rep_id' appears 2 times" in error_text(validate_reps, reps)


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
