"""Tests of territory.grading's capacity check and calibration (capacity_check, calibrate)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from territory.datasets import sample_region
from territory.demo import demo_grades
from territory.errors import InfeasibleError, ValidationError
from territory.grading import VisitPolicy
from territory.routing import Cycle
from territory_cases import customers_at_one_spot, graded_customers


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


def test_capacity_check_arithmetic() -> None:
    """Ten A customers need 10 * 8 * 30 min; one rep gives 20 * (510 - 30) min."""
    req = VisitPolicy.default().requirements(graded_customers({"A": 10}))
    check = VisitPolicy.default().capacity_check(
        req, customers_at_one_spot(req["customer_id"]), _reps(1)
    )
    assert check.demand_minutes == pytest.approx(2400.0)
    assert check.travel_minutes == pytest.approx(0.0)
    assert check.capacity_minutes == pytest.approx(20 * 480.0)
    assert check.fits
    json.dumps(check.to_dict())


@pytest.mark.parametrize("column", ["rep_id", "locked_rep_id"])
def test_capacity_check_per_fixed_rep(column: str) -> None:
    """Fixed customers must fit their own rep: 36 x 240 min > 0.88 x 20 x 480 min.

    Forty A customers need 40 x 8 visits x 30 min = 9,600 min; two reps give 2 x 9,600,
    of which the planner fills 88 %: the region fits, but not with 36 of them on R0.
    """
    req = VisitPolicy.default().requirements(graded_customers({"A": 40}))
    customers = customers_at_one_spot(req["customer_id"])
    policy = VisitPolicy.default()
    assert policy.capacity_check(req, customers, _reps(2)).fits
    assert policy.capacity_check(req, customers, _reps(2)).rep_load is None
    fixed = customers.assign(**{column: ["R0"] * 36 + [None] * 4})
    check = policy.capacity_check(req, fixed, _reps(2))
    assert not check.fits
    assert check.short_reps() == ["R0"]
    row = check.rep_load.set_index("rep_id").loc["R0"]  # type: ignore[union-attr]
    assert (row["customers"], row["visits"]) == (36, 288)
    assert row["demand_minutes"] == pytest.approx(8640.0)
    assert row["usable_minutes"] == pytest.approx(0.88 * 9600.0)
    assert "R0" in check.summary()
    json.dumps(check.to_dict())
    lighter = customers.assign(**{column: ["R0"] * 35 + ["R1"] * 5})
    assert policy.capacity_check(req, lighter, _reps(2)).fits  # 35 x 240 = 8,400 fits


def test_capacity_check_travel_estimate() -> None:
    """Travel per visit: 2.8 x the trip to the nearest customer + 0.15 x the trip from home."""
    req = VisitPolicy.default().requirements(graded_customers({"D": 3}))
    customers = pd.DataFrame(
        {"customer_id": req["customer_id"], "lon": [0.0, 0.1, 0.3], "lat": [0.0, 0.0, 0.0]}
    )
    reps = _reps(1).assign(home_lon=0.0, home_lat=0.0)
    check = VisitPolicy.default().capacity_check(req, customers, reps)
    km = 0.1 * 111.195 * 1.3  # default GreatCircleTravel: detour 1.3 at 40 km/h
    trip = km * 60 / 40  # minutes between neighbours 0.1 degrees apart
    neighbour, home = np.array([1, 1, 2]) * trip, np.array([0, 1, 3]) * trip
    np.testing.assert_allclose(check.customers["neighbour_minutes"], neighbour, rtol=1e-3)
    np.testing.assert_allclose(check.customers["home_minutes"], home, atol=1e-9, rtol=1e-3)
    expected = 2.8 * neighbour + 0.15 * home
    np.testing.assert_allclose(check.customers["travel_minutes_per_visit"], expected, rtol=1e-3)


def test_calibrate_lowers_d_first() -> None:
    """310 min above the 88 % of 1,920 min the planner fills come from 21 D visits."""
    req = VisitPolicy.default().requirements(graded_customers({"A": 4, "B": 4, "C": 4, "D": 40}))
    cal = VisitPolicy.default().calibrate(
        req,
        customers_at_one_spot(req["customer_id"]),
        _reps(1, "Mon"),
        cycle=Cycle(weeks=4, days=5),
    )
    assert cal.before.demand_minutes == pytest.approx(2000.0)
    assert cal.before.capacity_minutes == pytest.approx(4 * 480.0)
    assert cal.before.usable_minutes == pytest.approx(0.88 * 4 * 480.0)
    assert not cal.before.fits and cal.after.fits
    assert cal.after.demand_minutes == pytest.approx(2000.0 - 21 * 15.0)
    assert cal.by_grade.set_index("grade")["customers_lowered"].tolist() == [0, 0, 0, 21]
    assert len(cal.changes) == 21 and (cal.changes["visits_after"] == 0).all()
    assert "Grade D: 21 of 40 customers lowered" in cal.explanation
    json.dumps(cal.to_dict())


def test_calibrate_lowers_a_only_when_unavoidable() -> None:
    """When B-D at their minimum still do not fit, A is lowered and the text says so."""
    req = VisitPolicy.default().requirements(graded_customers({"A": 10, "D": 5}))
    cal = VisitPolicy.default().calibrate(
        req, customers_at_one_spot(req["customer_id"]), _reps(1, "Mon")
    )
    lowered = cal.by_grade.set_index("grade")["customers_lowered"]
    assert lowered["D"] == 5 and lowered["A"] > 0
    assert "Grade A had to be lowered" in cal.explanation
    assert cal.after.demand_minutes <= cal.after.capacity_minutes


def test_calibrate_infeasible_shows_numbers() -> None:
    """Minimum frequencies above capacity raise InfeasibleError with the arithmetic."""
    req = VisitPolicy.default().requirements(graded_customers({"A": 20}))
    with pytest.raises(InfeasibleError, match=r"need 2,400 min, but 1 reps give 1,920 min"):
        VisitPolicy.default().calibrate(
            req, customers_at_one_spot(req["customer_id"]), _reps(1, "Mon")
        )


def test_requirements_for_unknown_customer() -> None:
    """Requirements for a customer without location are a ValidationError."""
    req = VisitPolicy.default().requirements(graded_customers({"A": 2}))
    with pytest.raises(ValidationError, match="not in the customers table"):
        VisitPolicy.default().capacity_check(
            req, customers_at_one_spot(req["customer_id"][:1]), _reps(1)
        )


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=60), min_size=4, max_size=4),
    st.integers(min_value=1, max_value=6),
)
def test_calibrate_never_raises_and_lands_within_two_percent(
    counts: list[int], n_reps: int
) -> None:
    """Frequencies never go up; when the minimums fit, demand lands in [98 %, 100 %] of usable."""
    req = VisitPolicy.default().requirements(
        graded_customers(dict(zip("ABCD", counts, strict=True)))
    )
    if req.empty:
        return
    policy = VisitPolicy.default()
    customers, reps = customers_at_one_spot(req["customer_id"]), _reps(n_reps, "Mon")
    try:
        cal = policy.calibrate(req, customers, reps)
    except InfeasibleError:
        floor = req["grade"].map({g: s.min_visits_per_cycle for g, s in policy.standards.items()})
        assert (floor * req["service_minutes"]).sum() > 0.88 * 1920 * n_reps * 1.02
        return
    after = cal.requirements["visits_per_cycle"].to_numpy()
    assert (after <= req["visits_per_cycle"].to_numpy()).all()
    capacity = cal.before.usable_minutes
    assert capacity == pytest.approx(0.88 * 1920 * n_reps)
    if cal.before.demand_minutes > capacity * 1.02:
        floor = req["grade"].map({g: s.min_visits_per_cycle for g, s in policy.standards.items()})
        if (floor * req["service_minutes"]).sum() <= capacity:
            assert 0.98 * capacity <= cal.after.demand_minutes <= capacity
    else:
        assert cal.changes.empty


def test_capacity_check_ignores_weekdays_outside_the_cycle() -> None:
    """A rep working only on Saturday has no capacity in a Monday-Friday cycle."""
    requirements = pd.DataFrame(
        {"customer_id": ["a"], "grade": ["A"], "visits_per_cycle": [4], "service_minutes": [30]}
    )
    customers = pd.DataFrame({"customer_id": ["a"], "lon": [9.0], "lat": [48.0]})
    reps = pd.DataFrame(
        {"rep_id": ["r1"], "home_lon": [9.01], "home_lat": [48.01], "weekdays": ["Sat"]}
    )
    check = VisitPolicy.default().capacity_check(requirements, customers, reps)
    assert check.capacity_minutes == 0 and not check.fits
    assert check.rep_capacity["working_days"].tolist() == [0.0]
    weekdays = reps.assign(weekdays="Mon,Sat")
    check = VisitPolicy.default().capacity_check(requirements, customers, weekdays)
    assert check.rep_capacity["working_days"].tolist() == [4.0]


def test_capacity_check_takes_a_cycle() -> None:
    """cycle=Cycle(weeks=2) halves the capacity of the default 4-week cycle; cycle_days warns."""
    region = sample_region(60, seed=0)
    _, requirements = demo_grades(region)
    policy = VisitPolicy.default()
    four = policy.capacity_check(requirements, region.customers, region.reps)
    two = policy.capacity_check(requirements, region.customers, region.reps, cycle=Cycle(weeks=2))
    assert two.capacity_minutes == pytest.approx(four.capacity_minutes / 2)
    with pytest.warns(DeprecationWarning, match="cycle=Cycle"):
        old = policy.capacity_check(requirements, region.customers, region.reps, cycle_days=10)
    assert old.capacity_minutes == pytest.approx(two.capacity_minutes)
