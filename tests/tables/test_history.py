"""Tests of territory.tables.history: the one sales-history reader."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from territory.errors import ValidationError
from territory.tables.history import read_history, validate_sales
from territory.tables.months import month_label

IDS = pd.Index(["a", "b"], dtype="str")
JAN, FEB, MAR = 2026 * 12, 2026 * 12 + 1, 2026 * 12 + 2


def _sales(rows: list[tuple[str, object, object]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["customer_id", "month", "sales"])


def _error(frame: pd.DataFrame, **kwargs: object) -> str:
    with pytest.raises(ValidationError) as info:
        read_history(frame, IDS, **kwargs)  # type: ignore[arg-type]
    return str(info.value)


def _days(day: date) -> int:
    return (day - date(1970, 1, 1)).days


def test_monthly_table_as_arrays_and_matrix() -> None:
    """Rows become positions, month numbers and amounts; the matrix sums per id and month."""
    history = read_history(
        _sales([("a", "2026-01", 1.0), ("b", "2026-01", 2.0), ("a", "2026-2", 3.0)]), IDS
    )
    assert history.customer.tolist() == [0, 1, 0]
    assert history.month.tolist() == [JAN, JAN, FEB]
    assert history.day.tolist() == [_days(date(2026, 1, 1))] * 2 + [_days(date(2026, 2, 1))]
    assert (history.first_month, history.last_month, history.daily) == (JAN, FEB, False)
    assert history.monthly_matrix(2).tolist() == [[1.0, 3.0], [2.0, 0.0]]
    assert [month_label(m) for m in history.months] == ["2026-01", "2026-02"]


def test_window_ends_at_end_month() -> None:
    """A one-month window ending in February keeps only February's rows."""
    frame = _sales([("a", "2026-01", 1.0), ("b", "2026-02", 2.0), ("a", "2026-03", 3.0)])
    history = read_history(frame, IDS, window_months=1, end_month="2026-02")
    assert history.customer.tolist() == [1]
    assert history.value.tolist() == [2.0]
    assert (history.first_month, history.last_month) == (FEB, FEB)


def test_dates_keep_their_day() -> None:
    """A date column gives day numbers and the month each date falls in."""
    frame = pd.DataFrame(
        {"customer_id": ["a", "b"], "date": ["2026-01-15", "2026-02-03"], "sales": [1.0, 2.0]}
    )
    history = read_history(frame, IDS)
    assert history.daily
    assert history.day.tolist() == [_days(date(2026, 1, 15)), _days(date(2026, 2, 3))]
    assert history.month.tolist() == [JAN, FEB]


def test_every_problem_in_one_error() -> None:
    """Unknown ids, negative and text amounts, bad months and a gap are all named at once."""
    frame = _sales(
        [
            ("a", "2026-01", 1.0),
            ("z", "2026-01", 1.0),
            ("b", "2026-01", -4.0),
            ("a", "2026-13", 1.0),
            ("b", "2026-03", "lots"),
        ]
    )
    text = _error(frame)
    assert "has rows for 1 customers that are not in the customers table (customer_id: 'z')" in text
    assert "sales: column 'sales' has 1 negative values (customer_id: 'b')" in text
    assert "sales: column 'sales' has 1 non-numeric values (customer_id: 'b')" in text
    assert "column 'month' has 1 values that are not months" in text
    assert "'2026-13'" in text
    assert (
        "sales: column 'month' has no rows for 1 of the 3 months in the window 2026-01 to "
        "2026-03 (month: '2026-02')"
    ) in text
    assert text.startswith("5 problems")


def test_one_row_per_month_when_asked() -> None:
    """Two rows for one id and month are refused only with one_row_per_month."""
    frame = _sales([("a", "2026-01", 1.0), ("a", "2026-01", 2.0), ("b", "2026-01", 3.0)])
    assert read_history(frame, IDS).monthly_matrix(2).tolist() == [[3.0], [3.0]]
    text = _error(frame, one_row_per_month=True)
    assert text == "sales: column 'customer_id' has 1 duplicate (customer_id, month) pairs " + (
        "(customer_id: 'a')"
    )


def test_names_of_another_key_and_table() -> None:
    """A history keyed by another column names that column and the table it belongs to."""
    frame = pd.DataFrame({"store": ["a", "q"], "month": ["2026-01", "2026-01"], "sales": [1, 2]})
    text = _error(frame, id_column="store", known_as="hierarchy", what="ids")
    assert (
        text
        == "sales: column 'store' has rows for 1 ids that are not in the hierarchy (store: 'q')"
    )


def test_missing_columns_empty_table_and_bad_window() -> None:
    """Missing columns, an empty table and a bad window length are named."""
    assert _error(_sales([]).drop(columns=["month"])) == "sales: column 'month' is missing"
    assert _error(_sales([])) == "sales: is empty"
    assert "window_months must be a whole number from 1 to 1200" in _error(
        _sales([("a", "2026-01", 1.0)]), window_months=0
    )


def test_review_sales_table_is_normalised() -> None:
    """The review's sales table: month labels, returns allowed, duplicates refused."""
    out = validate_sales(_sales([(" a", "2026-1", -2.0), ("b", pd.Period("2026-02", "M"), 1)]))
    assert out["customer_id"].tolist() == ["a", "b"]
    assert out["month"].tolist() == ["2026-01", "2026-02"]
    assert out["sales"].tolist() == [-2.0, 1.0]
    with pytest.raises(ValidationError, match=r"1 duplicate \(customer_id, month\) rows"):
        validate_sales(_sales([("a", "2026-1", 1.0), ("a", "2026-01", 1.0)]))
    with pytest.raises(ValidationError, match=r"sales: column 'sales' has 1 infinite values"):
        validate_sales(_sales([("a", "2026-01", np.inf)]))
