"""Tests of territory.errors."""

import pytest

from territory.errors import (
    InfeasibleError,
    ProblemCollector,
    TerritoryError,
    ValidationError,
    format_ids,
)


def test_validation_error_is_value_error() -> None:
    """ValidationError is both a TerritoryError and a ValueError."""
    error = ValidationError("x")
    assert isinstance(error, ValueError)
    assert isinstance(error, TerritoryError)
    assert not isinstance(InfeasibleError("y"), ValueError)


def test_format_ids_limits_to_five() -> None:
    """Only five ids are shown, the rest counted."""
    assert format_ids(["a", "b", "c", "d", "e", "f", "g"]) == "'a', 'b', 'c', 'd', 'e' and 2 more"


def test_collector_raises_all_problems_at_once() -> None:
    """Every recorded problem is in the single error raised."""
    problems = ProblemCollector()
    problems.add("customers", "lat", "has 2 missing values", ["C1", "C2"], id_column="customer_id")
    problems.add("reps", None, "is empty")
    with pytest.raises(ValidationError) as info:
        problems.raise_if_any()
    assert info.value.problems == (
        "customers: column 'lat' has 2 missing values (customer_id: 'C1', 'C2')",
        "reps: is empty",
    )
    assert "2 problems" in str(info.value)


def test_collector_without_problems_is_silent() -> None:
    """An empty collector raises nothing and is falsy."""
    problems = ProblemCollector()
    assert not problems
    problems.raise_if_any()
