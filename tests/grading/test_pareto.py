"""Tests of territory.grading.ParetoABC: ABC classes by cumulative sales share."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from territory.errors import ValidationError
from territory.grading import ParetoABC
from territory_cases import monthly_sales


def test_pareto_exact_boundaries() -> None:
    """A customer whose share before it is exactly 70 % is B, exactly 90 % is C."""
    sales = monthly_sales({"a": [70.0], "b": [20.0], "c": [10.0], "d": [0.0]})
    customers = pd.DataFrame({"customer_id": list("abcde")})
    grades = ParetoABC(window_months=1).grade(customers, sales)
    table = grades.table.set_index("customer_id")
    assert table.loc[["a", "b", "c", "d", "e"], "grade"].tolist() == ["A", "B", "C", "D", "D"]
    assert table.loc["b", "cumulative_share_before"] == 0.7
    assert table.loc["c", "cumulative_share_before"] == 0.9
    assert table.loc["e", "basis"] == "default"


def test_pareto_just_below_boundary_stays_in_better_class() -> None:
    """Shares before of 69 % and 89 % stay A and B."""
    sales = monthly_sales({"a": [69.0], "b": [1.0], "c": [19.0], "d": [11.0]})
    grades = ParetoABC(window_months=1).grade(pd.DataFrame({"customer_id": list("abcd")}), sales)
    # ranking a(69) c(19) d(11) b(1): before 0, .69, .88, .99
    assert grades.table["grade"].tolist() == ["A", "C", "A", "B"]


def test_pareto_window_and_no_sales_class_off() -> None:
    """Only the window counts; with no_sales_grade None zero sales are C."""
    sales = monthly_sales({"a": [1000.0, 1.0, 1.0], "b": [0.0, 3.0, 3.0], "c": [0.0, 0.0, 0.0]})
    grades = ParetoABC(window_months=2, no_sales_grade=None).grade(
        pd.DataFrame({"customer_id": list("abc")}), sales
    )
    assert grades.table["sales"].tolist() == [2.0, 6.0, 0.0]
    assert grades.table["grade"].tolist() == ["B", "A", "C"]
    assert grades.parameters["window"] == ["2026-02", "2026-03"]


def test_pareto_bad_inputs_collected() -> None:
    """Unknown customers, negative sales and a gap in the window are one ValidationError."""
    sales = pd.DataFrame(
        {
            "customer_id": ["a", "zz", "a", "b"],
            "month": ["2026-01", "2026-01", "2026-03", "2026-03"],
            "sales": [1.0, 2.0, -5.0, 1.0],
        }
    )
    with pytest.raises(ValidationError) as info:
        ParetoABC(window_months=3).grade(pd.DataFrame({"customer_id": ["a", "b"]}), sales)
    message = str(info.value)
    assert (
        "sales: column 'customer_id' has rows for 1 customers that are not in the "
        "customers table (customer_id: 'zz')" in message
    )
    assert "sales: column 'sales' has 1 negative values (customer_id: 'a')" in message
    assert (
        "has no rows for 1 of the 3 months in the window 2026-01 to 2026-03 (month: '2026-02')"
        in message
    )


def test_pareto_shares_must_add_up() -> None:
    """Cut-offs that do not add to 100 % are rejected."""
    with pytest.raises(ValidationError, match="add up to 100 %"):
        ParetoABC(shares=(0.7, 0.2, 0.2))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=40))
def test_pareto_shares_respect_cutoffs(values: list[int]) -> None:
    """A is the smallest top group reaching 70 %, A+B the smallest reaching 90 %."""
    customers = pd.DataFrame({"customer_id": [f"C{i}" for i in range(len(values))]})
    sales = pd.DataFrame(
        {
            "customer_id": customers["customer_id"],
            "month": "2026-01",
            "sales": np.asarray(values, float),
        }
    )
    table = ParetoABC(window_months=1).grade(customers, sales).table
    assert len(table) == len(values)
    assert table["grade"].isin(list("ABCD")).all()
    total = float(sum(values))
    positive = table[table["sales"] > 0]
    assert (table.loc[table["sales"] == 0, "grade"] == "D").all()
    for grades_in, cut in ((["A"], 0.7), (["A", "B"], 0.9)):
        group = positive[positive["grade"].isin(grades_in)]
        if total == 0:
            continue
        share = group["sales"].sum() / total
        assert share >= cut - 1e-9
        if len(group):
            # Without its smallest member the group would not reach the cut-off.
            assert (group["sales"].sum() - group["sales"].min()) / total < cut + 1e-9


def test_deprecated_month_column_still_works() -> None:
    """ParetoABC(month_column=...) warns and gives the same grades as time_column=..."""
    sales = monthly_sales({"a": [70.0], "b": [20.0], "c": [10.0], "d": [0.0]})
    customers = pd.DataFrame({"customer_id": list("abcd")})
    new = ParetoABC(window_months=1, time_column="month").grade(customers, sales)
    with pytest.warns(DeprecationWarning, match="use time_column"):
        old = ParetoABC(window_months=1, month_column="month")
    assert old.time_column == "month" and old.month_column is None
    assert old.grade(customers, sales).table.equals(new.table)
