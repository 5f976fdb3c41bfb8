"""Tests of territory.grading.RFMGrading and quintile_scores: recency, frequency, monetary."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from territory.errors import ValidationError
from territory.grading import RFMGrading, quintile_scores
from territory_cases import monthly_sales


def test_quintiles_of_ten() -> None:
    """Ten distinct values give two of each quintile score; ties share a score."""
    assert quintile_scores(np.arange(10.0)).tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert quintile_scores(np.array([1.0, 1.0, 1.0])).tolist() == [3, 3, 3]


def test_rfm_ten_customers() -> None:
    """Customer k buys 10 in months 0..k: R, F and M all rank by k."""
    months = [str(p) for p in pd.period_range("2026-01", periods=10, freq="M")]
    rows = [
        {"customer_id": f"C{k}", "month": months[m], "sales": 10.0}
        for k in range(10)
        for m in range(k + 1)
    ]
    customers = pd.DataFrame({"customer_id": [f"C{k}" for k in range(10)] + ["new"]})
    grades = RFMGrading(window_months=10).grade(customers, pd.DataFrame(rows))
    table = grades.table
    expected = [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    for column in ("r_score", "f_score", "m_score"):
        assert table[column].iloc[:10].tolist() == expected
    assert table["score"].iloc[:10].tolist() == [3, 3, 6, 6, 9, 9, 12, 12, 15, 15]
    assert table["grade"].tolist() == [*list("DDDDCCBBAA"), "D"]
    assert table["recency"].iloc[:10].tolist() == list(range(9, -1, -1))
    assert table.loc[10, "basis"] == "default"
    assert pd.isna(table.loc[10, "r_score"])


def test_rfm_daily_recency_in_days() -> None:
    """With a date column recency counts days to the end of the window's last month."""
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "b"],
            "date": pd.to_datetime(["2026-03-31", "2026-03-01"]),
            "sales": [1.0, 1.0],
        }
    )
    table = RFMGrading(window_months=1).grade(pd.DataFrame({"customer_id": ["a", "b"]}), tx).table
    assert table["recency"].tolist() == [0.0, 30.0]


def test_rfm_bad_thresholds() -> None:
    """Grade thresholds must decrease within 3-15."""
    with pytest.raises(ValidationError, match="grade_thresholds"):
        RFMGrading(grade_thresholds=(10, 12, 7))


def test_deprecated_amount_column_still_works() -> None:
    """RFMGrading(amount_column=...) and grade(transactions=...) warn, same grades as sales=."""
    sales = monthly_sales({"a": [70.0], "b": [20.0], "c": [10.0], "d": [0.0]})
    customers = pd.DataFrame({"customer_id": list("abcd")})
    amounts = sales.rename(columns={"sales": "amount"})
    with pytest.warns(DeprecationWarning, match="use sales_column"):
        rfm = RFMGrading(window_months=1, amount_column="amount")
    with pytest.warns(DeprecationWarning, match="use sales="):
        old_rfm = rfm.grade(customers, transactions=amounts)
    assert old_rfm.table.equals(RFMGrading(window_months=1).grade(customers, sales).table)
