"""Tests of territory.grading.StableGrading: margins and caps against the previous grades."""

from __future__ import annotations

import pandas as pd
import pytest

from territory.errors import ValidationError
from territory.grading import Grades, StableGrading, WeightedScore


def _scored(scores: list[float]) -> Grades:
    customers = pd.DataFrame({"customer_id": [f"C{i}" for i in range(len(scores))], "x": scores})
    return WeightedScore({"x": 1.0}, thresholds=(0.75, 0.5, 0.25)).grade(
        pd.concat([customers, pd.DataFrame({"customer_id": ["lo", "hi"], "x": [0.0, 1.0]})])
    )


def test_stability_margin_holds_near_boundary() -> None:
    """A move past a boundary by less than the margin keeps the previous grade."""
    now = _scored([0.72, 0.45, 0.2, 0.9])  # scheme: B, C, D, A
    previous = pd.DataFrame(
        {
            "customer_id": ["C0", "C1", "C2", "C3", "lo", "hi"],
            "grade": ["A", "A", "C", "C", "D", "A"],
        }
    )
    table = StableGrading(margin=0.1).apply(now, previous).table.set_index("customer_id")
    # C0: 0.72 is only 0.03 below A/B -> stays A. C1: 0.45 is 0.30 below A/B and 0.05
    # below B/C -> moves one step to B. C2: 0.2 is 0.05 below C/D -> stays C.
    # C3: 0.9 is 0.15 above A/B and 0.4 above B/C -> A.
    assert table.loc[["C0", "C1", "C2", "C3"], "grade"].tolist() == ["A", "B", "C", "A"]
    assert table.loc[["C0", "C1", "C2", "C3"], "held"].tolist() == [
        "margin",
        "margin",
        "margin",
        "",
    ]
    assert table.loc["C1", "scheme_grade"] == "C"


def test_stability_cap_keeps_largest_changes() -> None:
    """With a cap only the largest score changes go through."""
    now = _scored([0.9, 0.6, 0.1, 0.3])  # A, B, D, C
    previous = pd.DataFrame(
        {
            "customer_id": ["C0", "C1", "C2", "C3", "lo", "hi"],
            "grade": ["B", "C", "A", "D", "D", "A"],
            "score": [0.7, 0.45, 0.95, 0.2, 0.0, 1.0],
        }
    )
    # changes |0.2|, |0.15|, |0.85|, |0.1| of 6 customers; 1/3 -> 2 may change
    table = (
        StableGrading(max_change_share=1 / 3).apply(now, previous).table.set_index("customer_id")
    )
    assert table.loc[["C0", "C1", "C2", "C3"], "grade"].tolist() == ["A", "C", "D", "D"]
    assert int(table["changed"].sum()) == 2
    assert table.loc["C1", "held"] == "cap"


def test_stability_unknown_previous_grade() -> None:
    """A previous grade outside A-D is a ValidationError naming the customer."""
    previous = pd.DataFrame({"customer_id": ["C0"], "grade": ["Z"]})
    with pytest.raises(ValidationError, match=r"previous: column 'grade'.*'C0'"):
        StableGrading(margin=0.1).apply(_scored([0.5]), previous)
