"""Who may visit whom, end to end: territories, plan_routes and re-planning follow one rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from territory.eligibility import eligibility
from territory.errors import ValidationError
from territory.routing import Cycle, PlanOptions, RoutePlan, plan_routes
from territory.territories import design_territories

CYCLE = Cycle(weeks=1, days=5)
FAST = PlanOptions(iterations=30)


def _region(
    seed: int, n: int = 24, key_share: float = 0.2, lock_share: float = 0.1
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A small town: 2 dealers, direct stores, key accounts, locks; 2 company + 2 dealer reps."""
    rng = np.random.default_rng(seed)
    supplier = rng.choice(np.array([None, "D1", "D2"], dtype=object), size=n)
    kind = np.where(np.arange(n) < 2, "dealer", "store")
    supplier[:2] = None  # the dealers themselves
    customers = pd.DataFrame(
        {
            "customer_id": [f"c{i:02d}" for i in range(n)],
            "lon": 9.0 + rng.uniform(0, 0.08, n),
            "lat": 48.0 + rng.uniform(0, 0.06, n),
            "kind": kind,
            "dealer_id": pd.Series(supplier, dtype=object),
            "key_account": (rng.random(n) < key_share) & (supplier != None),  # noqa: E711
            "visits_per_cycle": rng.integers(1, 3, n),
            "service_minutes": 20.0,
            "workload": 1.0,
        }
    )
    reps = pd.DataFrame(
        {
            "rep_id": ["C1", "C2", "R1", "R2"],
            "kind": ["company", "company", "dealer", "dealer"],
            "dealer_id": [None, None, "D1", "D2"],
            "home_lon": [9.01, 9.07, 9.03, 9.05],
            "home_lat": [48.01, 48.05, 48.03, 48.02],
        }
    )
    locks: list[str | None] = [None] * n
    for i in np.flatnonzero(rng.random(n) < lock_share):
        dealer = supplier[i]
        options = ["C1", "C2"] + ([] if dealer is None else [{"D1": "R1", "D2": "R2"}[dealer]])
        locks[i] = str(rng.choice(options))
    customers["locked_rep_id"] = pd.Series(locks, dtype=object)
    return customers, reps


def _ineligible_visits(plan: RoutePlan, customers: pd.DataFrame, reps: pd.DataFrame) -> list[str]:
    """Every visit whose rep may not serve its customer, as 'customer -> rep'."""
    rules = eligibility(customers, reps)
    row = {c: i for i, c in enumerate(rules.customer_ids)}
    col = {r: k for k, r in enumerate(rules.rep_ids)}
    return [
        f"{c} -> {r}"
        for c, r in zip(plan.visits["customer_id"], plan.visits["rep_id"], strict=True)
        if not rules.may_serve(row[c], col[r])
    ]


def test_plan_routes_alone_keeps_dealer_stores_with_dealer_reps() -> None:
    """Without any rep_id, plan_routes sends each dealer's plain stores to its own reps only."""
    customers, reps = _region(seed=1, key_share=0.0, lock_share=0.0)
    plan = plan_routes(customers, reps, cycle=CYCLE, time_limit=5, options=FAST)
    assert len(plan.visits) > 0
    assert _ineligible_visits(plan, customers, reps) == []
    served = plan.visits.merge(customers[["customer_id", "dealer_id"]], on="customer_id")
    d1 = served[served["dealer_id"] == "D1"]
    assert len(d1) and set(d1["rep_id"]) == {"R1"}


def test_main_dealer_store_locked_to_company_rep_is_planned() -> None:
    """A dealer's plain store locked to a company rep: accepted, designed, planned by that rep."""
    customers, reps = _region(seed=2, key_share=0.0, lock_share=0.0)
    store = customers.index[customers["dealer_id"] == "D1"][0]
    customers.loc[store, "locked_rep_id"] = "C2"
    store_id = customers.loc[store, "customer_id"]
    territories = design_territories(customers, reps, balance={"count": 0.5}, seed=0)
    assigned = territories.assignment.set_index("customer_id")["rep_id"]
    assert assigned[store_id] == "C2"
    routed = customers.merge(territories.assignment[["customer_id", "rep_id"]], on="customer_id")
    plan = plan_routes(routed, reps, cycle=CYCLE, time_limit=5, options=FAST)
    visits = plan.visits[plan.visits["customer_id"] == store_id]
    assert len(visits) == customers.loc[store, "visits_per_cycle"]
    assert set(visits["rep_id"]) == {"C2"}
    # plan_routes alone (no rep_id) reads the lock too
    alone = plan_routes(customers, reps, cycle=CYCLE, time_limit=5, options=FAST)
    assert set(alone.visits.loc[alone.visits["customer_id"] == store_id, "rep_id"]) == {"C2"}


def test_rep_id_breaking_the_rule_names_customer_and_rule() -> None:
    """A company rep given to a plain dealer store is a ValidationError naming both and the rule."""
    customers, reps = _region(seed=3, key_share=0.0, lock_share=0.0)
    store = customers.index[customers["dealer_id"] == "D2"][0]
    customers["rep_id"] = None
    customers.loc[store, "rep_id"] = "C1"
    with pytest.raises(ValidationError) as info:
        plan_routes(customers, reps, cycle=CYCLE, time_limit=5, options=FAST)
    text = str(info.value)
    store_id = customers.loc[store, "customer_id"]
    assert "customers: column 'rep_id' gives 1 customers a rep who may not serve them" in text
    assert f"{store_id} -> C1" in text and "store of dealer D2" in text and "key account" in text


def test_rep_id_against_lock_and_dealer_without_reps_are_refused() -> None:
    """rep_id differing from locked_rep_id, and a dealer whose stores have no rep, are errors."""
    customers, reps = _region(seed=4, key_share=0.0, lock_share=0.0)
    customers["rep_id"] = None
    customers.loc[0, ["rep_id", "locked_rep_id"]] = ["C1", "C2"]
    with pytest.raises(ValidationError) as info:
        plan_routes(customers, reps[reps["rep_id"] != "R2"], cycle=CYCLE, time_limit=5)
    text = str(info.value)
    assert "'rep_id' differs from 'locked_rep_id' for 1 customers (c00: rep_id C1" in text
    assert "has no rep for dealer 'D2'" in text


def test_replan_moves_a_store_whose_dealer_changed() -> None:
    """Re-planning never keeps a customer with a previous rep who may no longer serve it."""
    customers, reps = _region(seed=5, key_share=0.0, lock_share=0.0)
    before = plan_routes(customers, reps, cycle=CYCLE, time_limit=5, options=FAST)
    moved = customers.index[customers["dealer_id"] == "D1"][:2]
    customers.loc[moved, "dealer_id"] = "D2"
    after = plan_routes(customers, reps, cycle=CYCLE, time_limit=5, options=FAST, previous=before)
    assert _ineligible_visits(after, customers, reps) == []
    ids = customers.loc[moved, "customer_id"]
    assert set(after.visits.loc[after.visits["customer_id"].isin(ids), "rep_id"]) == {"R2"}


@pytest.mark.slow
@settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(12, 30),
    key_share=st.floats(0.0, 0.5),
    lock_share=st.floats(0.0, 0.4),
)
def test_no_visit_by_an_ineligible_rep(
    seed: int, n: int, key_share: float, lock_share: float
) -> None:
    """Random regions: territories, plan_routes and re-planning: no visit by an ineligible rep."""
    customers, reps = _region(seed, n, key_share, lock_share)
    territories = design_territories(customers, reps, balance={"count": 0.5}, seed=seed)
    rules = eligibility(customers, reps)
    row = {c: i for i, c in enumerate(rules.customer_ids)}
    col = {r: k for k, r in enumerate(rules.rep_ids)}
    for c, r in zip(
        territories.assignment["customer_id"], territories.assignment["rep_id"], strict=True
    ):
        assert rules.may_serve(row[c], col[r]), f"territory {c} -> {r}"
    routed = customers.merge(territories.assignment[["customer_id", "rep_id"]], on="customer_id")
    first = plan_routes(routed, reps, cycle=CYCLE, time_limit=3, options=FAST, seed=seed)
    assert _ineligible_visits(first, customers, reps) == []
    alone = plan_routes(customers, reps, cycle=CYCLE, time_limit=3, options=FAST, seed=seed)
    assert _ineligible_visits(alone, customers, reps) == []
    # next cycle: key-account marks flip and a new company rep joins
    changed = customers.assign(
        key_account=~customers["key_account"] & customers["dealer_id"].notna()
    )
    more = pd.concat(
        [
            reps,
            pd.DataFrame(
                {
                    "rep_id": ["C3"],
                    "kind": ["company"],
                    "dealer_id": [None],
                    "home_lon": [9.04],
                    "home_lat": [48.04],
                }
            ),
        ],
        ignore_index=True,
    )
    again = plan_routes(
        changed, more, cycle=CYCLE, time_limit=3, options=FAST, seed=seed, previous=alone
    )
    assert _ineligible_visits(again, changed, more) == []
