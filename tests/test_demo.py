"""Tests of territory.demo: the demo grades of the sample region."""

from __future__ import annotations

import pytest

from territory.datasets import sample_region
from territory.demo import demo_grades


def test_demo_grades_sample_region() -> None:
    """The demo grades the sample region and its requirements cover every customer."""
    region = sample_region(300, seed=3)
    grades, req = demo_grades(region)
    assert len(req) == len(region.customers)
    assert set(req["grade"]) <= {"A", "B", "C", "D"}
    by_grade = grades.by_grade()
    assert by_grade["customers"].sum() == 300
    assert by_grade["share_sales"].sum() == pytest.approx(1.0)
