"""Tests of territory.grading.VisitPolicy and VisitStandard: visit requirements per grade."""

from __future__ import annotations

import pytest

from territory.errors import ValidationError
from territory.grading import REQUIREMENT_COLUMNS, VisitPolicy, VisitStandard
from territory.tables import parse_weekdays, validate_customers
from territory_cases import customers_at_one_spot, graded_customers


def test_requirements_columns_and_weekdays() -> None:
    """One row per customer with the policy's values; allowed_days parses."""
    req = VisitPolicy.default().requirements(graded_customers({"A": 1, "B": 1, "C": 1, "D": 1}))
    assert tuple(req.columns) == REQUIREMENT_COLUMNS
    assert req["visits_per_cycle"].tolist() == [8, 4, 2, 1]
    assert req["service_minutes"].tolist() == [30.0, 20.0, 15.0, 15.0]
    assert parse_weekdays(req["allowed_days"].iloc[0]) == (0, 1, 2, 3, 4)
    merged = customers_at_one_spot(req["customer_id"]).merge(req, on="customer_id")
    checked = validate_customers(merged, require=("visits_per_cycle",))
    assert checked["allowed_days"].iloc[0] == (0, 1, 2, 3, 4)


def test_requirements_unknown_grade() -> None:
    """A grade the policy does not define is a ValidationError naming the customer."""
    with pytest.raises(ValidationError, match=r"grades: column 'grade' has 1 grades.*'C1'"):
        VisitPolicy.default().requirements(graded_customers({"A": 1, "E": 1}))


def test_visit_standard_rejects_bad_values() -> None:
    """Negative visits and a minimum above the frequency are rejected."""
    with pytest.raises(ValidationError, match="visits_per_cycle must be a non-negative integer"):
        VisitStandard(-1, 10.0)
    with pytest.raises(ValidationError, match="exceeds"):
        VisitStandard(2, 10.0, min_visits_per_cycle=3)
    assert VisitStandard(1, 10.0, allowed_days="Mon-Wed").allowed_days == "Mon,Tue,Wed"
