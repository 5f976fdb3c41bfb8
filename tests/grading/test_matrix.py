"""Tests of territory.grading.RelationshipPotentialMatrix: the relationship/potential matrix."""

from __future__ import annotations

import pandas as pd
import pytest

from territory.errors import ValidationError
from territory.grading import RelationshipPotentialMatrix


def test_matrix_quadrants_numeric() -> None:
    """Each quadrant of the matrix lands in the grade the rule names."""
    customers = pd.DataFrame(
        {
            "customer_id": ["good_high", "avg_high", "good_low", "avg_low", "edge"],
            "relationship": [5, 3, 4, 1, 4],
            "potential": [900.0, 800.0, 100.0, 50.0, 500.0],
        }
    )
    grades = RelationshipPotentialMatrix(good_relationship=4, high_potential=500).grade(customers)
    table = grades.table
    assert table["grade"].tolist() == ["A", "B", "C", "D", "A"]
    assert table["relationship_level"].tolist() == ["good", "average", "good", "average", "good"]
    assert table["potential_level"].tolist() == ["high", "high", "low", "low", "high"]
    assert (table["basis"] == "scheme").all()


def test_matrix_categorical_and_quantile() -> None:
    """Categorical relationship and a median potential threshold give the four grades."""
    customers = pd.DataFrame(
        {
            "customer_id": list("abcd"),
            "relationship": ["Good", "average", "good", "AVERAGE"],
            "potential": [10.0, 9.0, 1.0, 2.0],
        }
    )
    matrix = RelationshipPotentialMatrix(good_relationship=("good",), high_potential_quantile=0.5)
    grades = matrix.grade(customers)
    assert grades.table["grade"].tolist() == ["A", "B", "C", "D"]
    assert grades.parameters["high_potential_threshold"] == pytest.approx(5.5)


def test_matrix_bad_category_names_ids() -> None:
    """A relationship category that is neither good nor average is a ValidationError."""
    customers = pd.DataFrame(
        {"customer_id": ["a", "b"], "relationship": ["good", "meh"], "potential": [1.0, 2.0]}
    )
    with pytest.raises(ValidationError, match=r"customers: column 'relationship'.*'b'"):
        RelationshipPotentialMatrix(good_relationship=("good",)).grade(customers)


def test_matrix_missing_data_gets_default_grade(caplog: pytest.LogCaptureFixture) -> None:
    """A customer without relationship or potential gets the default grade, logged."""
    customers = pd.DataFrame(
        {"customer_id": ["a", "b"], "relationship": [5, None], "potential": [1.0, 2.0]}
    )
    grades = RelationshipPotentialMatrix(high_potential=0.5, default_grade="C").grade(customers)
    assert grades.table["grade"].tolist() == ["A", "C"]
    assert grades.table["basis"].tolist() == ["scheme", "default"]
    assert "1 customers lack" in caplog.text


def test_matrix_negative_potential_is_error() -> None:
    """Negative potential is reported with the customer id."""
    customers = pd.DataFrame({"customer_id": ["a"], "relationship": [5], "potential": [-1.0]})
    with pytest.raises(
        ValidationError, match=r"'potential' has 1 negative values \(customer_id: 'a'\)"
    ):
        RelationshipPotentialMatrix().grade(customers)
