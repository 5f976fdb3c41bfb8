"""Tests of territory.grading's visit policy, capacity check and calibration."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from territory.datasets import sample_region
from territory.errors import InfeasibleError, ValidationError
from territory.grading import REQUIREMENT_COLUMNS, VisitPolicy, VisitStandard, demo_grades
from territory.routing import Cycle
from territory.tables import parse_weekdays, validate_customers


def _grades(counts: dict[str, int]) -> pd.DataFrame:
    grades = [g for g, n in counts.items() for _ in range(n)]
    return pd.DataFrame({"customer_id": [f"C{i}" for i in range(len(grades))], "grade": grades})


def _located(ids: pd.Series) -> pd.DataFrame:
    """Customers all at one spot, so the travel estimate is zero."""
    return pd.DataFrame({"customer_id": ids, "lon": 9.18, "lat": 48.78})


def _reps(n: int, weekdays: str = "Mon-Fri") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "rep_id": [f"R{i}" for i in range(n)],
            "home_lon": 9.18,
            "home_lat": 48.78,
            "day_start": "08:00",
            "day_end": "16:30",
            "lunch_minutes": 30,
            "weekdays": weekdays,
        }
    )


def test_requirements_columns_and_weekdays() -> None:
    """One row per customer with the policy's values; allowed_days parses."""
    req = VisitPolicy.default().requirements(_grades({"A": 1, "B": 1, "C": 1, "D": 1}))
    assert tuple(req.columns) == REQUIREMENT_COLUMNS
    assert req["visits_per_cycle"].tolist() == [8, 4, 2, 1]
    assert req["service_minutes"].tolist() == [30.0, 20.0, 15.0, 15.0]
    assert parse_weekdays(req["allowed_days"].iloc[0]) == (0, 1, 2, 3, 4)
    merged = _located(req["customer_id"]).merge(req, on="customer_id")
    checked = validate_customers(merged, require=("visits_per_cycle",))
    assert checked["allowed_days"].iloc[0] == (0, 1, 2, 3, 4)


def test_requirements_unknown_grade() -> None:
    """A grade the policy does not define is a ValidationError naming the customer."""
    with pytest.raises(ValidationError, match=r"grades: column 'grade' has 1 grades.*'C1'"):
        VisitPolicy.default().requirements(_grades({"A": 1, "E": 1}))


def test_visit_standard_rejects_bad_values() -> None:
    """Negative visits and a minimum above the frequency are rejected."""
    with pytest.raises(ValidationError, match="visits_per_cycle must be a non-negative integer"):
        VisitStandard(-1, 10.0)
    with pytest.raises(ValidationError, match="exceeds"):
        VisitStandard(2, 10.0, min_visits_per_cycle=3)
    assert VisitStandard(1, 10.0, allowed_days="Mon-Wed").allowed_days == "Mon,Tue,Wed"


def test_capacity_check_arithmetic() -> None:
    """Ten A customers need 10 * 8 * 30 min; one rep gives 20 * (510 - 30) min."""
    req = VisitPolicy.default().requirements(_grades({"A": 10}))
    check = VisitPolicy.default().capacity_check(req, _located(req["customer_id"]), _reps(1))
    assert check.demand_minutes == pytest.approx(2400.0)
    assert check.travel_minutes == pytest.approx(0.0)
    assert check.capacity_minutes == pytest.approx(20 * 480.0)
    assert check.fits
    json.dumps(check.to_dict())


def test_capacity_check_travel_estimate() -> None:
    """Travel per visit is the travel time to the nearest other customer."""
    req = VisitPolicy.default().requirements(_grades({"D": 3}))
    customers = pd.DataFrame(
        {"customer_id": req["customer_id"], "lon": [0.0, 0.1, 0.3], "lat": [0.0, 0.0, 0.0]}
    )
    reps = _reps(1).assign(home_lon=0.0, home_lat=0.0)
    check = VisitPolicy.default().capacity_check(req, customers, reps)
    km = 0.1 * 111.195 * 1.3  # default GreatCircleTravel: detour 1.3 at 40 km/h
    expected = np.array([km, km, 2 * km]) * 60 / 40
    np.testing.assert_allclose(check.customers["travel_minutes_per_visit"], expected, rtol=1e-3)


def test_calibrate_lowers_d_first() -> None:
    """Excess of 80 min is taken from six D visits; A, B, C stay."""
    req = VisitPolicy.default().requirements(_grades({"A": 4, "B": 4, "C": 4, "D": 40}))
    cal = VisitPolicy.default().calibrate(
        req, _located(req["customer_id"]), _reps(1, "Mon"), cycle=Cycle(weeks=4, days=5)
    )
    assert cal.before.demand_minutes == pytest.approx(2000.0)
    assert cal.before.capacity_minutes == pytest.approx(4 * 480.0)
    assert cal.after.demand_minutes == pytest.approx(1910.0)
    assert cal.by_grade.set_index("grade")["customers_lowered"].tolist() == [0, 0, 0, 6]
    assert len(cal.changes) == 6 and (cal.changes["visits_after"] == 0).all()
    assert "Grade D: 6 of 40 customers lowered" in cal.explanation
    json.dumps(cal.to_dict())


def test_calibrate_lowers_a_only_when_unavoidable() -> None:
    """When B-D at their minimum still do not fit, A is lowered and the text says so."""
    req = VisitPolicy.default().requirements(_grades({"A": 10, "D": 5}))
    cal = VisitPolicy.default().calibrate(req, _located(req["customer_id"]), _reps(1, "Mon"))
    lowered = cal.by_grade.set_index("grade")["customers_lowered"]
    assert lowered["D"] == 5 and lowered["A"] > 0
    assert "Grade A had to be lowered" in cal.explanation
    assert cal.after.demand_minutes <= cal.after.capacity_minutes


def test_calibrate_infeasible_shows_numbers() -> None:
    """Minimum frequencies above capacity raise InfeasibleError with the arithmetic."""
    req = VisitPolicy.default().requirements(_grades({"A": 20}))
    with pytest.raises(InfeasibleError, match=r"need 2,400 min, but 1 reps give 1,920 min"):
        VisitPolicy.default().calibrate(req, _located(req["customer_id"]), _reps(1, "Mon"))


def test_requirements_for_unknown_customer() -> None:
    """Requirements for a customer without location are a ValidationError."""
    req = VisitPolicy.default().requirements(_grades({"A": 2}))
    with pytest.raises(ValidationError, match="not in the customers table"):
        VisitPolicy.default().capacity_check(req, _located(req["customer_id"][:1]), _reps(1))


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=60), min_size=4, max_size=4),
    st.integers(min_value=1, max_value=6),
)
def test_calibrate_never_raises_and_lands_within_two_percent(
    counts: list[int], n_reps: int
) -> None:
    """Frequencies never go up; when the minimums fit, demand lands in [98 %, 100 %]."""
    req = VisitPolicy.default().requirements(_grades(dict(zip("ABCD", counts, strict=True))))
    if req.empty:
        return
    policy = VisitPolicy.default()
    customers, reps = _located(req["customer_id"]), _reps(n_reps, "Mon")
    try:
        cal = policy.calibrate(req, customers, reps)
    except InfeasibleError:
        floor = req["grade"].map({g: s.min_visits_per_cycle for g, s in policy.standards.items()})
        assert (floor * req["service_minutes"]).sum() > 1920 * n_reps * 1.02
        return
    after = cal.requirements["visits_per_cycle"].to_numpy()
    assert (after <= req["visits_per_cycle"].to_numpy()).all()
    capacity = cal.before.capacity_minutes
    if cal.before.demand_minutes > capacity * 1.02:
        floor = req["grade"].map({g: s.min_visits_per_cycle for g, s in policy.standards.items()})
        if (floor * req["service_minutes"]).sum() <= capacity:
            assert 0.98 * capacity <= cal.after.demand_minutes <= capacity
    else:
        assert cal.changes.empty


def test_demo_grades_sample_region() -> None:
    """The demo grades the sample region and its requirements cover every customer."""
    region = sample_region(300, seed=3)
    grades, req = demo_grades(region)
    assert len(req) == len(region.customers)
    assert set(req["grade"]) <= {"A", "B", "C", "D"}
    by_grade = grades.by_grade()
    assert by_grade["customers"].sum() == 300
    assert by_grade["share_sales"].sum() == pytest.approx(1.0)
