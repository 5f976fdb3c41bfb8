"""Tests of the tables the grading schemes read: duplicate ids, infinite and overflowing sales."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from territory.errors import ValidationError
from territory.grading import ParetoABC, WeightedScore


def test_duplicate_customer_ids_rejected() -> None:
    """Duplicate customer ids are named."""
    customers = pd.DataFrame({"customer_id": ["a", "a"], "x": [1.0, 2.0]})
    with pytest.raises(ValidationError, match=r"1 duplicate ids \(customer_id: 'a'\)"):
        WeightedScore({"x": 1.0}).grade(customers)


def test_pareto_with_sums_beyond_float_range_is_refused() -> None:
    """Sales of 1e308 whose sum overflows raise instead of grading everyone C with NaN."""
    customers = pd.DataFrame({"customer_id": ["a", "b", "c"]})
    sales = pd.DataFrame(
        {"customer_id": ["a", "b", "c"], "month": "2026-01", "sales": [1e308, 1e308, 1.0]}
    )
    with pytest.raises(ValidationError, match="'sales' adds up to more than the largest float"):
        ParetoABC(window_months=1).grade(customers, sales)


def test_infinite_sales_are_refused() -> None:
    """An infinite sales amount is named, not summed."""
    customers = pd.DataFrame({"customer_id": ["a", "b"]})
    sales = pd.DataFrame({"customer_id": ["a", "b"], "month": "2026-01", "sales": [np.inf, 1.0]})
    with pytest.raises(
        ValidationError, match=r"'sales' has 1 infinite values \(customer_id: 'a'\)"
    ):
        ParetoABC(window_months=1).grade(customers, sales)
