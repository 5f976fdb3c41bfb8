"""Tests of the reps' daily visit limits in plan_routes (and the minimum step itself)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from territory.errors import ValidationError
from territory.routing import Cycle, PlanOptions, RoutePlan, plan_routes
from territory.routing.planner.daily_limits import DailyLimits, meet_daily_minimum

FAST = PlanOptions(iterations=100)
WEEK = Cycle(weeks=1, days=5)


def _town(n: int, seed: int, visits: tuple[int, int] = (1, 3)) -> pd.DataFrame:
    """``n`` half-hour customers spread over a small town."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "customer_id": [f"c{i:02d}" for i in range(n)],
            "lon": 9.0 + rng.uniform(0, 0.2, n),
            "lat": 48.0 + rng.uniform(0, 0.15, n),
            "visits_per_cycle": rng.integers(visits[0], visits[1] + 1, n),
            "service_minutes": 30.0,
        }
    )


def _reps(**limits: list[float | None]) -> pd.DataFrame:
    frame = pd.DataFrame({"rep_id": ["r1", "r2"], "home_lon": [9.05, 9.15], "home_lat": 48.07})
    for column, values in limits.items():
        frame[column] = pd.Series(values, dtype=object)
    return frame


def _thin(plan: RoutePlan, minimum: int) -> set[tuple[str, int]]:
    """Planned rep-days with fewer than ``minimum`` visits."""
    days = plan.days[plan.days["visits"] < minimum]
    return set(zip(days["rep_id"], days["day"], strict=True))


def _listed(plan: RoutePlan) -> set[tuple[str, int]]:
    return {(row["rep_id"], row["day"]) for row in plan.stats["thin_days"]}


def test_minimum_two_visits_a_day() -> None:
    """With min_visits_per_day = 2 no planned rep-day has fewer than 2 visits."""
    customers = _town(7, seed=3, visits=(1, 1))
    capped = _reps(max_visits_per_day=[3, 3]).iloc[:1]
    loose = plan_routes(customers, capped, cycle=WEEK, time_limit=5, options=FAST)
    assert _thin(loose, 2)  # 7 visits, at most 3 a day: the planner leaves a single
    reps = capped.assign(min_visits_per_day=2)
    plan = plan_routes(customers, reps, cycle=WEEK, time_limit=5, options=FAST)
    assert _thin(plan, 2) == set() and plan.stats["thin_days"] == []
    assert sorted(plan.days["visits"]) == [2, 2, 3]
    assert plan.violations() == [] and len(plan.unplanned) == 0


def test_a_day_that_cannot_reach_the_minimum_is_listed_with_its_reason() -> None:
    """One visit in the whole cycle cannot make 2 a day: the day is listed, with the reason."""
    customers = _town(1, seed=0, visits=(1, 1))
    reps = _reps(min_visits_per_day=[2, 2]).iloc[:1]
    plan = plan_routes(customers, reps, cycle=WEEK, time_limit=5, options=FAST)
    assert len(plan.visits) == 1
    (row,) = plan.stats["thin_days"]
    assert (row["rep_id"], row["visits"], row["min_visits_per_day"]) == ("r1", 1, 2)
    assert (
        row["day"] == int(plan.visits["day"].iloc[0]) and "below the minimum of 2" in row["reason"]
    )
    assert plan.to_dict()["stats"]["thin_days"][0]["reason"] == row["reason"]
    assert f"1 rep-days below the rep's min_visits_per_day: r1 day {row['day']} (1)" in (
        plan.summary()
    )


def test_maximum_caps_every_day() -> None:
    """No planned day has more visits than the rep's max_visits_per_day."""
    customers = _town(20, seed=1)
    plan = plan_routes(
        customers, _reps(max_visits_per_day=[3, None]), cycle=WEEK, time_limit=5, options=FAST
    )
    per_day = plan.days.groupby("rep_id")["visits"].max()
    assert per_day["r1"] <= 3
    assert plan.violations() == []


def test_no_limits_keep_todays_plan() -> None:
    """Empty limit columns give exactly the plan of a reps table without them."""
    customers = _town(15, seed=2)
    plain = plan_routes(customers, _reps(), cycle=WEEK, time_limit=5, options=FAST)
    empty = plan_routes(
        customers,
        _reps(min_visits_per_day=[None, None], max_visits_per_day=[None, None]),
        cycle=WEEK,
        time_limit=5,
        options=FAST,
    )
    pd.testing.assert_frame_equal(plain.visits, empty.visits)


def test_negative_minimum_is_refused_by_plan_routes() -> None:
    """plan_routes refuses a negative min_visits_per_day, naming the rep."""
    with pytest.raises(ValidationError, match=r"'min_visits_per_day' has 1 negative values.*'r2'"):
        plan_routes(_town(3, seed=0), _reps(min_visits_per_day=[1, -2]), cycle=WEEK)


def _limits(
    minimum: int, patterns: Sequence[Sequence[tuple[int, ...]]], **kw: object
) -> DailyLimits:
    n = len(patterns)
    travel = np.ones((n + 1, n + 1)) - np.eye(n + 1)
    return DailyLimits(
        minimum=minimum,
        maximum=int(kw.get("maximum", 10)),  # type: ignore[call-overload]
        visits=[len(p[0]) for p in patterns],  # every pattern of a customer has its visits
        patterns=patterns,
        travel=travel,
        feasible=lambda route: True,
        locked=kw.get("locked"),  # type: ignore[arg-type]
    )


def test_minimum_step_fills_from_a_full_day() -> None:
    """A thin day that cannot be emptied takes a visit from a day that keeps the minimum."""
    anyday = [(0,), (1,), (2,)]
    limits = _limits(2, [anyday, anyday, anyday, [(2,)]], maximum=3)
    routes, thin = meet_daily_minimum([[1, 2, 3], [], [4]], limits)
    assert thin == [] and sorted(map(len, routes)) == [0, 2, 2]
    assert 4 in routes[2]


def test_minimum_step_adds_a_missing_visit_first() -> None:
    """A thin day that cannot be emptied gets the missing visit of a customer short of one."""
    # customer 1 needs days 0 and 2 but has only day 0; customer 2 can only come on day 2
    limits = _limits(2, [[(0, 2)], [(2,)], [(0,)]])
    routes, thin = meet_daily_minimum([[1, 3], [], [2]], limits)
    assert thin == []
    assert routes[0] == [1, 3] and sorted(routes[2]) == [1, 2]


def test_minimum_step_changes_a_whole_pattern() -> None:
    """A twice-a-cycle customer alone on day 0 moves to its other pattern (days 1 and 3)."""
    patterns: list[list[tuple[int, ...]]] = [[(0, 2), (1, 3)], [(1, 3)], [(2,)], [(1,)], [(2,)]]
    routes, thin = meet_daily_minimum([[1], [2, 4], [1, 3, 5], [2]], _limits(2, patterns))
    assert thin == [] and routes[0] == []
    assert [d for d, r in enumerate(routes) if 1 in r] == [1, 3]
    assert sorted(routes[2]) == [3, 5]


def test_minimum_step_never_moves_locked_visits() -> None:
    """Locked visits stay; a thin day made only of them is reported."""
    anyday = [(0,), (1,)]
    limits = _limits(2, [anyday, anyday], locked=[True, True])
    routes, thin = meet_daily_minimum([[1], [2]], limits)
    assert routes == [[1], [2]] and thin == [0, 1]


@settings(
    max_examples=6, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(seed=st.integers(0, 1000), n=st.integers(3, 14), minimum=st.integers(2, 3))
def test_every_day_meets_the_minimum_or_is_listed(seed: int, n: int, minimum: int) -> None:
    """Random towns: every planned rep-day has the minimum, or is listed with a reason."""
    customers = _town(n, seed)
    reps = _reps(min_visits_per_day=[minimum, minimum], max_visits_per_day=[minimum + 2, None])
    # the work limit ends the run; the long time limit only keeps a loaded machine from
    # cutting it short (which would make the plan depend on the load)
    plan = plan_routes(customers, reps, cycle=WEEK, time_limit=60, options=FAST, seed=seed)
    assert _thin(plan, minimum) == _listed(plan)
    assert all(row["reason"] for row in plan.stats["thin_days"])
    assert plan.days.loc[plan.days["rep_id"] == "r1", "visits"].max() <= minimum + 2
    assert plan.violations() == []
