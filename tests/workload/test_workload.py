"""Tests of territory.workload: the one estimate of a customer's and a rep's minutes."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from territory.grading import VisitPolicy, capacity_check
from territory.territories import design_territories
from territory.travel import GreatCircleTravel
from territory.workload import (
    DEFAULT_MINUTES_PER_KM,
    HOME_SHARE,
    WORK_NEIGHBOUR_FACTOR,
    customer_minutes,
    estimate_workload,
    minutes_by_rep,
    minutes_per_km,
    neighbour_km,
    planned_work,
    travel_per_visit,
)

#: 0.1 degree of longitude on the equator, in km.
STEP_KM = 0.1 * 111.195
#: 60 km/h without detour: one minute per km.
ONE_MINUTE_PER_KM = GreatCircleTravel(speed_kmh=60.0, detour_factor=1.0)


def _line() -> pd.DataFrame:
    """Three customers on the equator at 0, 0.1 and 0.3 degrees east."""
    return pd.DataFrame(
        {
            "customer_id": ["A", "B", "C"],
            "lon": [0.0, 0.1, 0.3],
            "lat": [0.0, 0.0, 0.0],
            "visits_per_cycle": [2, 1, 4],
            "service_minutes": [30.0, 20.0, 10.0],
        }
    )


def test_constants_are_the_planners_fit() -> None:
    """The fitted factors are 2.8 (neighbour trip) and 0.15 (home trip)."""
    assert (WORK_NEIGHBOUR_FACTOR, HOME_SHARE) == (2.8, 0.15)


def test_customer_minutes_by_hand() -> None:
    """2 visits x (20 service + 2.8 x 10 + 0.15 x 20) = 102 minutes."""
    assert travel_per_visit(10.0, 20.0) == pytest.approx(31.0)
    assert customer_minutes(2.0, 20.0, 10.0, 20.0) == pytest.approx(102.0)
    arrays = customer_minutes(np.array([1.0, 2.0]), np.array([10.0, 20.0]), np.array([1.0, 10.0]))
    np.testing.assert_allclose(arrays, [12.8, 96.0])


def test_neighbour_km_three_on_a_line() -> None:
    """A and B are each other's neighbours (0.1 degree); C's nearest is B (0.2 degree)."""
    line = _line()
    km = neighbour_km(line["lon"].to_numpy(float), line["lat"].to_numpy(float))
    np.testing.assert_allclose(km, [STEP_KM, STEP_KM, 2 * STEP_KM], rtol=1e-4)
    assert neighbour_km(np.array([5.0]), np.array([5.0])).tolist() == [0.0]


def test_estimate_without_homes() -> None:
    """Without reps: minutes = visits x (service + 2.8 x neighbour minutes), no home term."""
    estimate = estimate_workload(_line(), travel=ONE_MINUTE_PER_KM)
    c = estimate.customers
    assert estimate.minutes_per_km == pytest.approx(1.0, rel=1e-4)
    neighbour = np.array([1, 1, 2]) * STEP_KM
    np.testing.assert_allclose(c["neighbour_minutes"], neighbour, rtol=1e-4)
    assert c["home_minutes"].tolist() == [0.0, 0.0, 0.0]
    expected = np.array([2, 1, 4]) * (np.array([30.0, 20.0, 10.0]) + 2.8 * neighbour)
    np.testing.assert_allclose(c["minutes"], expected, rtol=1e-4)
    assert estimate.total_minutes == pytest.approx(expected.sum(), rel=1e-4)


def test_estimate_with_a_home() -> None:
    """One rep at (0, 0): home trips 0, 1 and 3 steps, 0.15 of each charged per visit."""
    reps = pd.DataFrame({"rep_id": ["R1"], "home_lon": [0.0], "home_lat": [0.0]})
    estimate = estimate_workload(_line(), reps, travel=ONE_MINUTE_PER_KM)
    c = estimate.customers
    home = np.array([0, 1, 3]) * STEP_KM
    np.testing.assert_allclose(c["home_minutes"], home, rtol=1e-4, atol=1e-9)
    per_visit = 2.8 * np.array([1, 1, 2]) * STEP_KM + 0.15 * home
    np.testing.assert_allclose(c["travel_minutes_per_visit"], per_visit, rtol=1e-4)
    assert c["rep_id"].tolist() == ["R1"] * 3
    by_rep = estimate.by_rep()
    assert by_rep["minutes"].tolist() == pytest.approx([c["minutes"].sum()])
    assert by_rep["visits"].tolist() == [7]
    json.dumps(estimate.to_dict())


def test_each_rep_charged_from_its_own_home() -> None:
    """With rep_column, the home trip is from the named rep's home, not the nearest."""
    reps = pd.DataFrame({"rep_id": ["W", "E"], "home_lon": [0.0, 0.3], "home_lat": [0.0, 0.0]})
    line = _line().assign(rep_id=["E", "W", "W"])
    c = estimate_workload(line, reps, travel=ONE_MINUTE_PER_KM, rep_column="rep_id").customers
    np.testing.assert_allclose(c["home_minutes"], np.array([3, 1, 3]) * STEP_KM, rtol=1e-4)
    nearest = estimate_workload(line.drop(columns="rep_id"), reps, travel=ONE_MINUTE_PER_KM)
    assert nearest.customers["rep_id"].tolist() == ["W", "W", "E"]
    with pytest.raises(ValueError, match="'rep_id' names reps that are not in reps"):
        estimate_workload(line.assign(rep_id="X"), reps, rep_column="rep_id")


def test_own_rep_neighbours_skip_other_reps_customers() -> None:
    """With neighbours="rep", customer 0 (rep E) has no neighbour of its own rep nearer than 2.

    The line is at 0, 1 and 3 steps; customers 1 and 2 are W's, so W's neighbour trips
    are both 2 steps, and E's only customer is alone (0).
    """
    reps = pd.DataFrame({"rep_id": ["W", "E"], "home_lon": [0.0, 0.3], "home_lat": [0.0, 0.0]})
    line = _line().assign(rep_id=["E", "W", "W"])
    own = estimate_workload(
        line, reps, travel=ONE_MINUTE_PER_KM, rep_column="rep_id", neighbours="rep"
    )
    ratio = own.minutes_per_km
    np.testing.assert_allclose(
        own.customers["neighbour_minutes"], np.array([0, 2, 2]) * STEP_KM * ratio, rtol=1e-4
    )
    anyone = estimate_workload(line, reps, travel=ONE_MINUTE_PER_KM, rep_column="rep_id")
    np.testing.assert_allclose(
        anyone.customers["neighbour_minutes"], np.array([1, 1, 2]) * STEP_KM * ratio, rtol=1e-4
    )
    with pytest.raises(ValueError, match="needs reps and rep_column"):
        estimate_workload(line, reps, neighbours="rep")
    with pytest.raises(ValueError, match="'any' or 'rep'"):
        estimate_workload(line, reps, rep_column="rep_id", neighbours="all")  # type: ignore[arg-type]


def test_minutes_by_rep_is_each_reps_own_estimate() -> None:
    """Column r is the customer's estimate in rep r's hands, the others staying put."""
    rng = np.random.default_rng(3)
    n = 40
    customers = pd.DataFrame(
        {
            "customer_id": [f"C{i}" for i in range(n)],
            "lon": rng.uniform(0, 0.5, n),
            "lat": rng.uniform(0, 0.5, n),
            "visits_per_cycle": rng.choice([0, 1, 2, 4], n),
            "service_minutes": rng.uniform(10, 40, n),
        }
    )
    reps = pd.DataFrame(
        {"rep_id": ["A", "B", "C"], "home_lon": [0.1, 0.4, 0.25], "home_lat": [0.1, 0.1, 0.4]}
    )
    rep_of = rng.integers(0, 3, n)
    minutes = minutes_by_rep(customers, reps, rep_of)
    assert minutes.shape == (n, 3)
    own = estimate_workload(
        customers.assign(rep_id=reps["rep_id"].to_numpy()[rep_of]),
        reps,
        rep_column="rep_id",
        neighbours="rep",
    ).customers["minutes"]
    np.testing.assert_allclose(minutes[np.arange(n), rep_of], own, rtol=1e-9)
    i = int(np.flatnonzero(customers["visits_per_cycle"] > 0)[0])  # one customer moves to B
    moved = rep_of.copy()
    moved[i] = 1
    alone = minutes_by_rep(customers, reps, moved)
    assert alone[i, 1] == pytest.approx(minutes[i, 1], rel=1e-9)
    assert (minutes[customers["visits_per_cycle"].to_numpy() == 0] == 0).all()
    with pytest.raises(ValueError, match="every customer a rep"):
        minutes_by_rep(customers, reps, np.full(n, 3))


def test_minutes_per_km_median_of_groups() -> None:
    """Each group's ratio is its total over its km; short pairs are skipped; the median wins."""
    minutes = np.array([2.0, 4.0, 3.0, 10.0, 0.1])
    km = np.array([1.0, 1.0, 1.0, 2.0, 0.1])
    assert minutes_per_km(minutes, km, [0, 0, 1, 2, 2]) == pytest.approx(3.0)
    assert minutes_per_km(np.array([1.0]), np.array([0.2])) == DEFAULT_MINUTES_PER_KM


def test_capacity_check_uses_the_same_estimate() -> None:
    """Grading's demand is the workload estimate with each customer's nearest home."""
    line = _line()
    reps = pd.DataFrame(
        {
            "rep_id": ["R1"],
            "home_lon": [0.0],
            "home_lat": [0.0],
            "day_start": "08:00",
            "day_end": "16:30",
            "lunch_minutes": 30,
            "weekdays": "Mon-Fri",
        }
    )
    requirements = line[["customer_id", "visits_per_cycle", "service_minutes"]].assign(grade="A")
    check = capacity_check(requirements, line[["customer_id", "lon", "lat"]], reps)
    estimate = estimate_workload(line, reps)
    assert check.demand_minutes == pytest.approx(estimate.total_minutes, rel=1e-9)
    assert check.capacity_minutes == pytest.approx(20 * 480.0)
    assert check.usable_minutes == pytest.approx(0.88 * 20 * 480.0)
    assert VisitPolicy.default().capacity_check(requirements, line, reps).fits


def test_territory_workload_measure_uses_the_same_estimate() -> None:
    """A one-rep territory's workload is the estimate with the trips from the rep's home."""
    reps = pd.DataFrame({"rep_id": ["R1"], "home_lon": [0.0], "home_lat": [0.0]})
    plan = design_territories(_line(), reps, balance={"workload": 0.1}, travel=ONE_MINUTE_PER_KM)
    total = estimate_workload(_line(), reps, travel=ONE_MINUTE_PER_KM).total_minutes
    assert plan.territories["workload"].iloc[0] == pytest.approx(total, rel=1e-9)
    visits, service = np.array([2, 1, 4]), np.array([30.0, 20.0, 10.0])
    neighbour, home = np.array([1, 1, 2]) * STEP_KM, np.array([0, 1, 3]) * STEP_KM
    by_hand = float((visits * (service + 2.8 * neighbour + 0.15 * home)).sum())
    assert total == pytest.approx(by_hand, rel=1e-4)


def test_planned_work_sums_days_per_rep() -> None:
    """A rep's planned work is the sum of its days."""
    days = pd.DataFrame(
        {
            "rep_id": ["r1", "r1", "r2"],
            "visits": [5, 6, 3],
            "work_minutes": [400.0, 430.0, 200.0],
            "travel_minutes": [100.0, 90.0, 50.0],
            "service_minutes": [300.0, 340.0, 150.0],
        }
    )
    work = planned_work(days)
    assert work.loc["r1"].tolist() == [11, 830.0, 190.0, 640.0]
    assert work.loc["r2", "visits"] == 3
