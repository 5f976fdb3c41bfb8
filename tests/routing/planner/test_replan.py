"""Re-planning from a previous plan: plan_routes(previous=...) and RoutePlan.changes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from territory.errors import ValidationError
from territory.routing import Cycle, PlanOptions, RoutePlan, plan_routes
from territory.routing.previous import read_previous

CYCLE = Cycle(weeks=2, days=5)
OPTIONS = PlanOptions(iterations=150)


def _customers(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "customer_id": [f"c{i:02d}" for i in range(n)],
            "lon": 9.0 + rng.uniform(-0.2, 0.2, n),
            "lat": 48.0 + rng.uniform(-0.1, 0.1, n),
            "visits_per_cycle": rng.choice([1, 2, 4], n),
            "service_minutes": 25.0,
        }
    )


def _reps() -> pd.DataFrame:
    return pd.DataFrame(
        {"rep_id": ["west", "east"], "home_lon": [8.9, 9.1], "home_lat": [48.0, 48.0]}
    )


def _plan(customers: pd.DataFrame, reps: pd.DataFrame, previous: object = None) -> RoutePlan:
    return plan_routes(
        customers,
        reps,
        cycle=CYCLE,
        time_limit=60,
        seed=0,
        options=OPTIONS,
        previous=previous,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
def base() -> tuple[pd.DataFrame, RoutePlan]:
    customers = _customers(30, seed=1)
    return customers, _plan(customers, _reps())


def _days(plan: RoutePlan) -> dict[str, tuple[str, tuple[int, ...]]]:
    return {
        str(c): (str(g["rep_id"].iloc[0]), tuple(sorted(g["day"])))
        for c, g in plan.visits.groupby("customer_id")
    }


def test_unchanged_inputs_give_the_same_plan_back(base: tuple[pd.DataFrame, RoutePlan]) -> None:
    """Re-planning unchanged inputs returns the previous plan: reps, days, order, times."""
    customers, first = base
    again = _plan(customers, _reps(), previous=first)
    pd.testing.assert_frame_equal(again.visits, first.visits)  # the same plan back
    assert len(again.changes(first)) == 0
    assert "100 %" in again.change_summary(first)


def test_a_visits_table_read_back_works_like_the_plan(
    base: tuple[pd.DataFrame, RoutePlan],
) -> None:
    """The previous plan may be its visits table, for example read back from CSV."""
    customers, first = base
    table = first.visits[["rep_id", "day", "seq", "customer_id"]].astype(str)
    again = _plan(customers, _reps(), previous=table)
    assert _days(again) == _days(first)


def test_new_removed_and_changed_customers_are_explained(
    base: tuple[pd.DataFrame, RoutePlan],
) -> None:
    """A new customer, a removed one and a 4 -> 2 frequency change each get their reason."""
    customers, first = base
    four = customers.index[customers["visits_per_cycle"] == 4][0]
    changed = customers.copy()
    changed.loc[four, "visits_per_cycle"] = 2
    gone = str(changed.loc[changed.index[-1], "customer_id"])
    changed = changed.iloc[:-1]
    new = changed.iloc[[0]].assign(customer_id="fresh", lon=9.01, visits_per_cycle=1)
    changed = pd.concat([changed, new], ignore_index=True)
    again = _plan(changed, _reps(), previous=first)
    reasons = again.changes(first).set_index("customer_id")["reason"]
    assert reasons["fresh"] == "new customer"
    assert reasons[gone] == "removed customer"
    four_id = str(customers.loc[four, "customer_id"])
    assert reasons[four_id] == "frequency changed"
    old = set(_days(first)[four_id][1])
    new_days = set(_days(again)[four_id][1])
    assert len(new_days) == 2 and new_days <= old  # two of the four days are kept


def test_customers_of_a_removed_rep_move_and_the_others_stay(
    base: tuple[pd.DataFrame, RoutePlan],
) -> None:
    """Without rep 'east', its customers move; at a high stability weight the rest stay."""
    customers, first = base
    reps = _reps()
    again = plan_routes(
        customers,
        reps[reps["rep_id"] == "west"],
        cycle=CYCLE,
        time_limit=60,
        seed=0,
        options=PlanOptions(iterations=150, stability_minutes=1000.0),
        previous=first,
    )
    before, after = _days(first), _days(again)
    for customer, (rep, days) in before.items():
        if rep == "west":
            assert after[customer] == (rep, days)
    reasons = again.changes(first).set_index("customer_id")["reason"]
    moved = [c for c, (rep, _) in before.items() if rep == "east" and c in after]
    assert moved and all(reasons[c] == "rep removed" for c in moved)


def test_locked_visits_keep_rep_days_and_order(base: tuple[pd.DataFrame, RoutePlan]) -> None:
    """Locked customers keep their rep, days and order while the rest is re-planned."""
    customers, first = base
    visits = first.visits.copy()
    locked_ids = set(visits["customer_id"].drop_duplicates().iloc[::3])
    visits["locked"] = visits["customer_id"].isin(locked_ids)
    moved = customers.assign(lon=customers["lon"] + 0.02)  # everyone else may re-route
    again = plan_routes(
        moved,
        _reps(),
        cycle=CYCLE,
        time_limit=60,
        seed=0,
        options=PlanOptions(iterations=150, stability_minutes=0.0),
        previous=visits,
    )
    before, after = _days(first), _days(again)
    for customer in locked_ids:
        assert after[customer] == before[customer]
    assert not again.changes(visits)["locked"].any()  # no locked customer changed
    for key, group in again.visits.groupby(["rep_id", "day"]):
        old = visits[(visits["rep_id"] == key[0]) & (visits["day"] == key[1])]
        old_order = [c for c in old.sort_values("seq")["customer_id"] if c in locked_ids]
        new_order = [c for c in group.sort_values("seq")["customer_id"] if c in locked_ids]
        assert new_order == old_order


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_changes_list_exactly_the_differences(
    base: tuple[pd.DataFrame, RoutePlan], data: st.DataObject
) -> None:
    """Every row of changes() is a real difference and every difference has a row."""
    _, plan = base
    visits = plan.visits[["rep_id", "day", "seq", "customer_id"]].copy()
    rows = data.draw(st.lists(st.integers(0, len(visits) - 1), max_size=6, unique=True))
    for row in rows:
        what = data.draw(st.sampled_from(["day", "rep", "drop", "seq"]))
        if what == "day":
            visits.iloc[row, 1] = data.draw(st.integers(1, CYCLE.n_days))
        elif what == "rep":
            visits.iloc[row, 0] = data.draw(st.sampled_from(["west", "east", "gone"]))
        elif what == "seq":
            visits.iloc[row, 2] = data.draw(st.integers(-5, 40))
        else:
            visits.iloc[row, 3] = "ghost"
    visits = visits.drop_duplicates(["customer_id", "day"])
    before, after = read_previous(visits, CYCLE), read_previous(plan.visits, CYCLE)
    changes = plan.changes(visits).set_index("customer_id")
    for customer in before.customers | after.customers:
        differs = (
            before.rep.get(customer) != after.rep.get(customer)
            or before.days.get(customer) != after.days.get(customer)
            or bool(changes["order_changed"].get(customer, False))
        )
        assert differs == (customer in changes.index)
        if customer in changes.index:
            row = changes.loc[customer]
            assert row["rep_changed"] == (before.rep.get(customer) != after.rep.get(customer))
            assert row["days_changed"] == (before.days.get(customer) != after.days.get(customer))


def test_previous_tables_are_checked() -> None:
    """A previous table missing columns or with days outside the cycle is rejected."""
    with pytest.raises(ValidationError, match="missing columns 'seq'"):
        read_previous(pd.DataFrame({"rep_id": ["r"], "day": [1], "customer_id": ["a"]}), CYCLE)
    bad = pd.DataFrame({"rep_id": ["r"], "day": [99], "seq": [1], "customer_id": ["a"]})
    with pytest.raises(ValidationError, match=r"previous: column 'day'.*'a'"):
        read_previous(bad, CYCLE)
    twice = pd.DataFrame(
        {"rep_id": ["r", "r"], "day": [1, 1], "seq": [1, 2], "customer_id": ["a", "a"]}
    )
    with pytest.raises(ValidationError, match="twice on one day"):
        read_previous(twice, CYCLE)


def test_a_new_rep_takes_the_customers_nearest_its_home(
    base: tuple[pd.DataFrame, RoutePlan],
) -> None:
    """A new rep between the two takes customers near its home; far ones stay put."""
    customers, first = base
    reps = pd.concat(
        [_reps(), pd.DataFrame({"rep_id": ["middle"], "home_lon": [9.0], "home_lat": [48.0]})],
        ignore_index=True,
    )
    again = _plan(customers, reps, previous=first)
    after = _days(again)
    assert any(rep == "middle" for rep, _ in after.values())
    lon = dict(zip(customers["customer_id"], customers["lon"], strict=True))
    for customer, (rep, _) in _days(first).items():
        if abs(lon[customer] - 8.9) < 0.05:  # right by the west home: nearer west than middle
            assert after[customer][0] == rep


def test_a_lock_that_cannot_hold_is_reported(base: tuple[pd.DataFrame, RoutePlan]) -> None:
    """A locked customer of a rep who left moves, and changes() says the lock was not kept."""
    customers, first = base
    visits = first.visits.assign(locked=True)
    reps = _reps()
    again = _plan(customers, reps[reps["rep_id"] == "west"], previous=visits)
    changes = again.changes(visits).set_index("customer_id")
    east = {c for c, (rep, _) in _days(first).items() if rep == "east"}
    moved = changes.loc[sorted(east & set(changes.index))]
    assert len(moved) and moved["locked"].all()
    assert moved["detail"].str.startswith("lock not kept: ").all()
    assert (moved["reason"] == "rep removed").all()


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_locked_visits_are_kept_exactly_whatever_else_changes(
    base: tuple[pd.DataFrame, RoutePlan], data: st.DataObject
) -> None:
    """Any set of locked customers keeps rep, days and order; the rest may change freely."""
    customers, first = base
    ids = sorted(first.visits["customer_id"].unique())
    locked = set(data.draw(st.lists(st.sampled_from(ids), max_size=10, unique=True)))
    shift = data.draw(st.floats(-0.05, 0.05))
    visits = first.visits.assign(locked=first.visits["customer_id"].isin(locked))
    fresh = pd.DataFrame(
        {
            "customer_id": ["fresh1", "fresh2"],
            "lon": [8.95 + shift, 9.05 - shift],
            "lat": [48.0, 48.02],
            "visits_per_cycle": [2, 4],
            "service_minutes": 25.0,
        }
    )
    again = plan_routes(
        pd.concat([customers.assign(lon=customers["lon"] + shift), fresh], ignore_index=True),
        _reps(),
        cycle=CYCLE,
        time_limit=60,
        seed=data.draw(st.integers(0, 5)),
        options=PlanOptions(iterations=60, stability_minutes=0.0),
        previous=visits,
    )
    before, after = _days(first), _days(again)
    assert all(after[c] == before[c] for c in locked)
    assert again.stats["search_rounds"] > 0  # both reps searched around their locks
    for (rep, day), group in again.visits.groupby(["rep_id", "day"]):
        old = visits[(visits["rep_id"] == rep) & (visits["day"] == day)].sort_values("seq")
        new_order = [c for c in group.sort_values("seq")["customer_id"] if c in locked]
        assert new_order == [c for c in old["customer_id"] if c in locked]
