"""Tests of territory.grading.Grades: the result of every grading scheme."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from territory.grading import ParetoABC
from territory_cases import monthly_sales


def test_grades_dict_is_json_and_summary_shares() -> None:
    """to_dict is JSON-safe; by_grade gives customer and sales shares, summary the text."""
    sales = monthly_sales({"a": [70.0], "b": [20.0], "c": [10.0], "d": [0.0]})
    grades = ParetoABC(window_months=1).grade(pd.DataFrame({"customer_id": list("abcd")}), sales)
    json.dumps(grades.to_dict())
    by_grade = grades.by_grade()
    assert by_grade["customers"].tolist() == [1, 1, 1, 1]
    np.testing.assert_allclose(by_grade["share_sales"], [0.7, 0.2, 0.1, 0.0])
    assert "A: 1 customers (25.0%), 70.0% of sales" in grades.summary()
    assert grades.to_dict()["summary"] == grades.summary()
    assert "grade B" in grades.explain("b")
    frame = grades.to_frame()
    frame.loc[0, "grade"] = "D"
    assert grades.table.loc[0, "grade"] == "A"
