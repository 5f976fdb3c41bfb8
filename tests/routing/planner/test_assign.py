"""Tests of the planner's assignment of customers to reps (eligibility and balance)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from territory.routing import Cycle, plan_routes
from territory.routing.planner.assign import SAFETY_MARGIN, Assignment, assign_customers
from territory.routing.planner.inputs import PlanInputs, prepare_inputs
from territory.travel import GreatCircleTravel

ONE_DAY = Cycle(weeks=1, days=1)
#: Rep A lives at lon 9.0, rep B at lon 9.2 (about 15 km east), both at lat 48.
TWO_REPS = pd.DataFrame(
    {
        "rep_id": ["A", "B"],
        "home_lon": [9.0, 9.2],
        "home_lat": [48.0, 48.0],
        "day_start": ["08:00", "08:00"],
        "day_end": ["17:00", "17:00"],
    }
)


def _line(count: int = 9, rep_id: str | None = None) -> pd.DataFrame:
    """``count`` one-hour customers on a line east of A, all nearer A than B."""
    frame = pd.DataFrame(
        {
            "customer_id": [f"c{k}" for k in range(1, count + 1)],
            "lon": [9.0 + 0.01 * k for k in range(1, count + 1)],
            "lat": 48.0,
            "visits_per_cycle": 1,
            "service_minutes": 60.0,
        }
    )
    if rep_id is not None:
        frame["rep_id"] = rep_id
    return frame


def _assign(
    customers: pd.DataFrame, reps: pd.DataFrame, cycle: Cycle = ONE_DAY
) -> tuple[PlanInputs, Assignment]:
    inputs, _ = prepare_inputs(customers, reps, cycle)
    return inputs, assign_customers(inputs, cycle, GreatCircleTravel())


def _cluster(n: int, n_reps: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``n`` customers in one town and ``n_reps`` reps living among them."""
    rng = np.random.default_rng(seed)
    lon = 9.0 + rng.normal(0, 0.05, n)
    lat = 48.0 + rng.normal(0, 0.03, n)
    customers = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(n)],
            "lon": lon,
            "lat": lat,
            "visits_per_cycle": rng.choice([1, 2, 4], n),
            "service_minutes": rng.choice([15.0, 30.0], n),
        }
    )
    homes = rng.choice(n, n_reps, replace=False)
    reps = pd.DataFrame(
        {"rep_id": [f"r{j}" for j in range(n_reps)], "home_lon": lon[homes], "home_lat": lat[homes]}
    )
    return customers, reps


def test_boundary_customers_of_an_overloaded_rep_move_to_the_neighbour() -> None:
    """Nine one-hour visits nearer A do not fit A's day: the easternmost go to B."""
    inputs, a = _assign(_line(), TWO_REPS)
    rep = a.rep.tolist()
    to_a = [k for k, r in enumerate(rep) if r == 0]
    to_b = [k for k, r in enumerate(rep) if r == 1]
    assert to_a and to_b
    assert max(to_a) < min(to_b)  # the boundary (east) end moves
    assert a.load[0] <= a.capacity[0] * (1 - SAFETY_MARGIN) + 1e-6
    assert a.load[1] <= a.capacity[1] * (1 - SAFETY_MARGIN) + 1e-6
    assert all(e == [0, 1] for e in a.eligible)  # nearest first, for the top-up round
    assert a.capacity.tolist() == [540.0, 540.0]
    assert inputs.n_customers == len(rep)


def test_a_region_that_fits_stays_with_the_nearest_rep() -> None:
    """Three customers fit A's day: nobody moves to the farther rep."""
    _, a = _assign(_line(3), TWO_REPS)
    assert a.rep.tolist() == [0, 0, 0]


def test_an_overloaded_region_spreads_the_overload() -> None:
    """Twenty one-hour visits for two one-day reps: both overloaded, within one step."""
    _, a = _assign(_line(20), TWO_REPS)
    assert (a.load > a.capacity).all()
    assert abs(a.load[0] - a.load[1]) <= 0.05 * 540 + a.workload.max()


def test_fixed_rep_id_never_moves() -> None:
    """Customers fixed to A stay with A even when A is overloaded."""
    _, a = _assign(_line(rep_id="A"), TWO_REPS)
    assert a.rep.tolist() == [0] * 9
    assert a.load[0] > a.capacity[0]
    assert a.load[1] == 0.0


def test_capacity_is_respected_when_total_work_fits() -> None:
    """400 customers and 6 reps among them: no rep's estimate exceeds its share."""
    customers, reps = _cluster(400, 6, seed=3)
    inputs, a = _assign(customers, reps, Cycle(weeks=2, days=5))
    limit = a.capacity * (1 - SAFETY_MARGIN)
    assert a.load.sum() < limit.sum()
    assert (a.rep >= 0).all()
    assert np.all(a.load <= limit + 1e-6)
    counts = np.bincount(a.rep, minlength=inputs.n_reps)
    assert (counts > 0).all()


def test_infeasible_reasons_are_unchanged() -> None:
    """Saturday-only, far away, closed all day and an impossible spacing keep their reasons."""
    customers = pd.DataFrame(
        {
            "customer_id": ["sat", "far", "early", "twice", "ok"],
            "lon": [9.01, 12.0, 9.01, 9.01, 9.01],
            "lat": 48.0,
            "visits_per_cycle": [1, 1, 1, 2, 1],
            "service_minutes": 30.0,
            "opens": ["08:00", "08:00", "06:00", "08:00", "08:00"],
            "closes": ["17:00", "17:00", "06:30", "17:00", "17:00"],
            "allowed_days": ["Sat", "Mon-Fri", "Mon-Fri", "Mon", "Mon-Fri"],
        }
    )
    _, a = _assign(customers, TWO_REPS, Cycle(weeks=1, days=5))
    assert a.reason == ["no_rep", "too_far", "opening_hours", "no_pattern", ""]
    assert a.rep.tolist()[:4] == [-1, -1, -1, -1]
    assert a.rep[4] == 0
    assert "exceeds the 540-minute working day" in a.detail[1]
    assert "2 visits" in a.detail[3]


def test_assignment_is_deterministic() -> None:
    """The same inputs give the same assignment and loads."""
    customers, reps = _cluster(300, 5, seed=8)
    _, first = _assign(customers, reps, Cycle(weeks=1, days=5))
    _, second = _assign(customers.copy(), reps.copy(), Cycle(weeks=1, days=5))
    assert first.rep.tolist() == second.rep.tolist()
    assert first.load.tolist() == second.load.tolist()


def test_plan_routes_plans_the_overloaded_line_without_capacity_losses() -> None:
    """Through plan_routes, the nine one-hour visits are all planned by the two reps."""
    plan = plan_routes(_line(), TWO_REPS, cycle=ONE_DAY, time_limit=5, seed=0)
    assert len(plan.unplanned) == 0
    assert set(plan.visits["rep_id"]) == {"A", "B"}


@st.composite
def _instances(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Up to 25 customers and 4 reps, with days, windows and a few fixed reps."""
    n = draw(st.integers(1, 25))
    m = draw(st.integers(1, 4))
    reps = pd.DataFrame(
        {
            "rep_id": [f"r{j}" for j in range(m)],
            "home_lon": [draw(st.floats(8.8, 9.2)) for _ in range(m)],
            "home_lat": [draw(st.floats(47.9, 48.1)) for _ in range(m)],
            "weekdays": [
                draw(st.sampled_from(["Mon-Fri", "Mon,Wed", "Tue-Thu"])) for _ in range(m)
            ],
        }
    )
    opens = [draw(st.sampled_from([0, 420, 600])) for _ in range(n)]
    customers = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(n)],
            "lon": [draw(st.floats(8.7, 9.3)) for _ in range(n)],
            "lat": [draw(st.floats(47.8, 48.2)) for _ in range(n)],
            "visits_per_cycle": [draw(st.integers(0, 4)) for _ in range(n)],
            "service_minutes": [draw(st.sampled_from([15.0, 60.0, 240.0])) for _ in range(n)],
            "opens": opens,
            "closes": [o + draw(st.sampled_from([30, 600])) for o in opens],
            "allowed_days": [draw(st.sampled_from(["Mon-Fri", "Mon", "Fri"])) for _ in range(n)],
            "rep_id": [draw(st.sampled_from([None, None, None, "r0"])) for _ in range(n)],
        }
    )
    return customers, reps


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_instances())
def test_every_customer_with_an_eligible_rep_gets_an_eligible_rep(
    data: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    """Customers with eligible reps get one of them; the others get -1 and a reason."""
    customers, reps = data
    inputs, a = _assign(customers, reps, Cycle(weeks=2, days=5))
    for i in range(inputs.n_customers):
        if inputs.visits[i] == 0:
            continue
        if a.eligible[i]:
            assert int(a.rep[i]) in a.eligible[i]
            assert a.reason[i] == ""
            if inputs.rep[i] >= 0:
                assert a.rep[i] == inputs.rep[i]
        else:
            assert a.rep[i] == -1
            assert a.reason[i] in {"no_rep", "no_pattern", "too_far", "opening_hours"}
    served = np.bincount(a.rep[a.rep >= 0], minlength=inputs.n_reps)
    assert np.all((a.load > 0) <= (served > 0))


def test_assignment_skips_nearer_reps_who_may_not_serve() -> None:
    """A dealer store by a company rep's home goes to its dealer's far rep; a key one need not."""
    reps = TWO_REPS.assign(
        kind=["company", "dealer"], dealer_id=pd.Series([None, "D1"], dtype=object)
    )
    customers = _line(3).assign(
        dealer_id=pd.Series(["D1", "D1", None], dtype=object), key_account=[False, True, False]
    )
    inputs, assignment = _assign(customers, reps)
    assert [str(inputs.rep_ids[r]) for r in assignment.rep] == ["B", "A", "A"]
    assert [sorted(str(inputs.rep_ids[r]) for r in e) for e in assignment.eligible] == [
        ["B"],
        ["A", "B"],
        ["A"],
    ]


def test_daily_maximum_limits_a_reps_share() -> None:
    """A rep allowed 3 visits a day takes at most 3 of 6 one-day customers near it."""
    _, free = _assign(_line(6), TWO_REPS)
    _, capped = _assign(_line(6), TWO_REPS.assign(max_visits_per_day=[3, 10]))
    assert np.bincount(free.rep, minlength=2)[0] > 3
    assert 0 < np.bincount(capped.rep, minlength=2)[0] <= 3
    assert capped.capacity[0] < free.capacity[0] and capped.capacity[1] == free.capacity[1]
