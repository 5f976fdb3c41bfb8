"""Fuzzing the readers the CLI uses: a clear ValidationError or a table, never a traceback.

``territory.io.read_table`` reads every file the command line gets; the CLI turns its
``ValidationError`` into one message and exit status 2. Hypothesis feeds it arbitrary
bytes under each suffix, and CSV files written from damaged tables (extreme numbers,
odd strings, missing values), then hands what it read to the table validation the
stages run first: each step raises ``ValidationError`` or returns values that are
finite and within range.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from territory.errors import ValidationError
from territory.io import read_table
from territory.tables import validate_customers, validate_reps
from test_fuzz_stages import damage

SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)

CUSTOMERS = pd.DataFrame(
    {
        "customer_id": ["C1", "C2", "C3"],
        "lon": [9.0, 9.01, 9.02],
        "lat": [48.0, 48.01, 48.02],
        "visits_per_cycle": [1, 2, 4],
        "service_minutes": [10, 20, 30],
        "opens": ["08:00", "09:00", "07:30"],
        "closes": ["17:00", "18:00", "12:00"],
        "allowed_days": ["Mon-Fri", "Mon,Wed", "Tue"],
    }
)
REPS = pd.DataFrame(
    {
        "rep_id": ["R1", "R2"],
        "home_lon": [9.0, 9.02],
        "home_lat": [48.0, 48.01],
        "day_start": ["08:00", "07:30"],
        "day_end": ["17:00", "16:30"],
        "weekdays": ["Mon-Fri", "Mon-Thu"],
    }
)


def _read(data: bytes, suffix: str) -> pd.DataFrame | None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"table{suffix}"
        path.write_bytes(data)
        try:
            return read_table(path)
        except ValidationError as error:
            assert str(path) in str(error) or path.name in str(error)
            event("ValidationError")
            return None


@SETTINGS
@given(
    st.one_of(
        st.binary(max_size=200),
        st.text(max_size=200).map(lambda text: text.encode("utf-8")),
        st.sampled_from(
            [
                b"",
                b"\n",
                b"a,b\n1",
                b"a,b\n1,2,3\n",
                b"a\n\xff\xfe\n",
                b'a,b\n"1,2\n',
                b"\xef\xbb\xbfcustomer_id\nC1\n",
                b"a;b\n1;2\n",
                b"{}",
                b'{"type": "FeatureCollection", "features": []}',
                b"PAR1\x00\x00PAR1",
            ]
        ),
    ),
    st.sampled_from([".csv", ".geojson", ".parquet", ".gpkg", ".xlsx"]),
)
def test_read_table_raises_validation_error_or_reads(data: bytes, suffix: str) -> None:
    """Any bytes under any supported suffix give a table or a ValidationError naming the file."""
    table = _read(data, suffix)
    if table is not None:
        event("read")
        assert isinstance(table, pd.DataFrame)


@st.composite
def csv_tables(draw: st.DrawFn) -> tuple[str, bytes]:
    name = draw(st.sampled_from(["customers", "reps"]))
    tables = damage(draw, {name: CUSTOMERS if name == "customers" else REPS})
    return name, tables[name].to_csv(index=False).encode("utf-8")


@SETTINGS
@given(csv_tables())
def test_damaged_csv_is_refused_or_read_into_valid_bounded_values(case: tuple[str, bytes]) -> None:
    """A CSV of a damaged table: read, then validated, raises ValidationError or is in range."""
    name, data = case
    table = _read(data, ".csv")
    if table is None:
        return
    try:
        valid = validate_customers(table) if name == "customers" else validate_reps(table)
    except ValidationError:
        event("invalid")
        return
    event("valid")
    numbers = valid.select_dtypes("number").to_numpy(dtype=float)
    assert not np.isinf(numbers).any()
    if name == "customers":
        assert valid["lon"].between(-180, 180).all() and valid["lat"].between(-90, 90).all()
        if "visits_per_cycle" in valid:  # optional: territories need no visits
            visits = valid["visits_per_cycle"].to_numpy(dtype=float)
            assert ((visits >= 0) & (visits == visits.round())).all()
    else:
        assert (valid["day_start"] < valid["day_end"]).all()


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (b"customer_id,lon\nC1,9\n\xff\n", "not UTF-8"),
        (b"customer_id,lon\nC1,9,10\n", "cannot be read as csv"),
        (b"customer_id,lon\nC1,9\n\nC2,9,10\n", "line 4 has 3 fields, but the header names 2"),
        (b'customer_id,lon\n"C\n1",9\nC2,9,10,11\n', "line 4 has 4 fields"),
        (b"", "empty"),
    ],
)
def test_bad_csv_messages_name_the_problem(text: bytes, fragment: str) -> None:
    """Non-UTF-8 bytes, extra fields and empty files are refused with a reason."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "customers.csv"
        path.write_bytes(text)
        with pytest.raises(ValidationError, match=fragment):
            read_table(path)


def test_trailing_empty_csv_fields_are_read() -> None:
    """A trailing comma after each row (as some spreadsheets write) loses nothing and passes."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "customers.csv"
        path.write_text("customer_id,lon\nC1,9,\nC2,8,\n", encoding="utf-8")
        table = read_table(path)
    assert list(table.columns) == ["customer_id", "lon"]
    assert table["lon"].tolist() == [9, 8]


def test_blank_lines_before_the_csv_header_are_skipped() -> None:
    """As pandas does: the header is the first non-blank line, and the rows are checked on it."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "customers.csv"
        path.write_text("\n\ncustomer_id,lon\nC1,9\n", encoding="utf-8")
        table = read_table(path)
        assert table["customer_id"].tolist() == ["C1"]
        path.write_text("\ncustomer_id,lon,lon\nC1,9,9\n", encoding="utf-8")
        with pytest.raises(ValidationError, match="lon"):
            read_table(path)


def test_repeated_csv_header_is_refused() -> None:
    """A CSV whose header names a column twice is a ValidationError, not 'lon' and 'lon.1'."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "customers.csv"
        path.write_text("customer_id,lon,lat,lon\nC1,9.0,48.0,10.0\n", encoding="utf-8")
        with pytest.raises(ValidationError, match="lon"):
            read_table(path)


def test_huge_numbers_in_csv_are_refused() -> None:
    """1e400 in a CSV (read as inf) and 1e19 visits are refused by the table validation."""
    text = "customer_id,lon,lat,visits_per_cycle\nC1,9.0,48.0,1e19\nC2,9.0,1e400,1\n"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "customers.csv"
        path.write_text(text, encoding="utf-8")
        table = read_table(path)
    assert math.isinf(float(table["lat"].iloc[1]))
    with pytest.raises(ValidationError) as info:
        validate_customers(table)
    assert any("visits_per_cycle" in p for p in info.value.problems)
    assert any("'lat'" in p for p in info.value.problems)
