"""Tests for cross-cutting levels in territory.allocation.allocate (reps under several dealers)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from territory.allocation import Allocation, Bounds, allocate
from territory.errors import InfeasibleError, ValidationError

LEVELS = ["region", "dealer_id", "rep_id", "customer_id"]


@pytest.fixture
def hierarchy() -> pd.DataFrame:
    """R1 serves stores of D1 and D2; R2 and R3 have one dealer each."""
    return pd.DataFrame(
        {
            "region": "N",
            "dealer_id": ["D1", "D1", "D2", "D2", "D2"],
            "rep_id": ["R1", "R2", "R1", "R3", "R3"],
            "customer_id": ["C1", "C2", "C3", "C4", "C5"],
            "potential": [100.0, 200.0, 300.0, 400.0, 500.0],
        }
    )


def _run(hierarchy: pd.DataFrame, target: float = 1500, **kwargs: object) -> Allocation:
    return allocate(
        target,
        hierarchy,
        levels=LEVELS,
        potential="potential",
        methods="potential",
        months=2027,
        crossing=["rep_id"],
        **kwargs,  # type: ignore[arg-type]
    )


def test_without_crossing_the_error_names_the_option(hierarchy):
    """A rep under two dealers is still rejected without crossing, and the error says how."""
    with pytest.raises(ValidationError, match=r"crossing=\['rep_id'\].*\(rep_id: 'R1'\)"):
        allocate(
            100, hierarchy, levels=LEVELS, potential="potential", methods="potential", months=2027
        )


def test_pairs_and_both_marginals_by_hand(hierarchy):
    """Potential 100..500 of 1500: every store gets its potential; pairs and marginals add up."""
    result = _run(hierarchy)
    pairs = result.at_level("rep_id")
    assert list(zip(pairs["parent"], pairs["unit"], pairs["value"], strict=True)) == [
        ("D1", "R1", 100.0),
        ("D1", "R2", 200.0),
        ("D2", "R1", 300.0),
        ("D2", "R3", 900.0),
    ]
    reps = result.marginal("rep_id").set_index("unit")
    assert reps["value"].to_dict() == {"R1": 400.0, "R2": 200.0, "R3": 900.0}
    assert reps["parents"].to_dict() == {"R1": 2, "R2": 1, "R3": 1}
    assert result.value("rep_id", "R1") == 400.0
    dealers = result.marginal("dealer_id").set_index("unit")["value"].to_dict()
    assert dealers == {"D1": 300.0, "D2": 1200.0}
    stores = result.at_level("customer_id")
    assert stores["parent"].tolist() == ["R1", "R2", "R1", "R3", "R3"]
    monthly = result.monthly("rep_id")
    assert monthly.index.names == ["parent", "rep_id"]
    assert monthly.loc[("D2", "R1")].sum() == 300.0
    assert "4 (parent, unit) pairs of 3 units" in result.summary()
    assert json.loads(json.dumps(result.to_dict()))["crossing"] == ["rep_id"]


def test_bounds_and_locks_name_pairs(hierarchy):
    """A pair key caps one pair; a rep under one dealer may be named alone."""
    result = _run(
        hierarchy,
        bounds={"rep_id": Bounds(maximum={("D2", "R1"): 150})},
        locks={"rep_id": {"R2": 250}},
    )
    as_text = _run(hierarchy, bounds={"rep_id": Bounds(maximum={"D2/R1": 150})})
    assert as_text.at_level("rep_id")["value"].tolist() == [100.0, 200.0, 150.0, 1050.0]
    pairs = result.at_level("rep_id").set_index(["parent", "unit"])
    assert pairs.loc[("D2", "R1"), "value"] == 150.0
    assert pairs.loc[("D2", "R1"), "bound"] == "max"
    assert pairs.loc[("D1", "R2"), "value"] == 250.0
    assert pairs.loc[("D1", "R2"), "bound"] == "locked"
    assert pairs["value"].sum() == 1500.0


def test_ambiguous_and_unknown_keys_are_errors(hierarchy):
    """Naming a rep under two dealers alone, or an unknown pair, is a validation error."""
    with pytest.raises(ValidationError, match=r"several 'dealer_id'.*\(rep_id: 'R1'\)"):
        _run(hierarchy, locks={"rep_id": {"R1": 100}})
    with pytest.raises(ValidationError, match=r"not in level 'rep_id'.*\('D1', 'R3'\)"):
        _run(hierarchy, bounds={"rep_id": Bounds(minimum={("D1", "R3"): 1})})


def test_bad_crossing_levels(hierarchy):
    """Crossing the top level, the key or an unknown column is refused."""
    with pytest.raises(ValidationError, match="top level"):
        allocate(
            10,
            hierarchy,
            levels=LEVELS,
            potential="potential",
            methods="potential",
            months=2027,
            crossing=["region"],
        )
    with pytest.raises(ValidationError, match="not a level"):
        allocate(
            10,
            hierarchy,
            levels=LEVELS,
            potential="potential",
            methods="potential",
            months=2027,
            crossing=["team"],
        )
    with pytest.raises(ValidationError, match="is the key"):
        allocate(
            10,
            hierarchy,
            levels=LEVELS[:3],
            potential="potential",
            methods="potential",
            months=2027,
            crossing=["rep_id"],
            key="rep_id",
        )


def test_history_and_input_not_modified(hierarchy):
    """History by store works on pairs, and the input table is left as it was."""
    before = hierarchy.copy()
    months = [f"2026-{m:02d}" for m in range(1, 13)]
    history = pd.DataFrame(
        [(c, m, float(i + 1)) for i, c in enumerate(hierarchy["customer_id"]) for m in months],
        columns=["customer_id", "month", "sales"],
    )
    result = allocate(300, hierarchy, levels=LEVELS, sales=history, crossing=["rep_id"], step=1)
    assert result.marginal("rep_id").set_index("unit")["value"].to_dict() == {
        "R1": 80.0,
        "R2": 40.0,
        "R3": 180.0,
    }
    pd.testing.assert_frame_equal(hierarchy, before)


@st.composite
def _regions(draw: st.DrawFn) -> tuple[pd.DataFrame, int, int]:
    n_dealers = draw(st.integers(1, 4))
    n_reps = draw(st.integers(1, 5))
    n_stores = draw(st.integers(1, 25))
    rows = []
    for c in range(n_stores):
        dealer = draw(st.integers(0, n_dealers - 1))
        rep = draw(st.integers(0, n_reps - 1))
        potential = draw(st.integers(0, 1000))
        rows.append(("N", f"D{dealer}", f"R{rep}", f"C{c}", float(potential)))
    frame = pd.DataFrame(rows, columns=[*LEVELS, "potential"])
    step = draw(st.sampled_from([1, 10, 100]))
    target = draw(st.integers(0, 100_000)) * step
    return frame, target, step


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_regions(), st.sampled_from(["largest_remainder", "webster"]))
def test_cross_cutting_totals_are_exact_at_every_level(drawn, rounding):
    """Region, dealers, pairs, reps, stores and months all add up in whole steps."""
    hierarchy, target, step = drawn
    result = allocate(
        target,
        hierarchy,
        levels=LEVELS,
        potential="potential",
        methods="potential",
        months=2027,
        step=step,
        rounding=rounding,
        crossing=["rep_id"],
    )
    region = result.at_level("region")["value"].sum()
    assert region == target
    stores = result.at_level("customer_id")
    assert (stores["value"] >= 0).all()
    assert np.all(np.mod(stores["value"], step) == 0)
    pairs = result.at_level("rep_id")
    dealers = result.at_level("dealer_id").set_index("unit")["value"]
    # dealer = sum of its pairs; pair = sum of its stores
    by_dealer = pairs.groupby("parent")["value"].sum()
    assert by_dealer.reindex(dealers.index).tolist() == dealers.tolist()
    store_pair = hierarchy.set_index("customer_id")[["dealer_id", "rep_id"]]
    keyed = stores.assign(
        dealer_id=stores["unit"].map(store_pair["dealer_id"]),
        rep_id=stores["unit"].map(store_pair["rep_id"]),
    )
    by_pair = keyed.groupby(["dealer_id", "rep_id"])["value"].sum()
    assert by_pair.to_dict() == pairs.set_index(["parent", "unit"])["value"].to_dict()
    # rep marginal = sum of its stores, whatever their dealer; and the totals match
    reps = result.marginal("rep_id").set_index("unit")["value"]
    assert reps.to_dict() == keyed.groupby("rep_id")["value"].sum().to_dict()
    assert reps.sum() == target == dealers.sum() == stores["value"].sum()
    # months add up to the year for every store, every pair and the rep marginal
    stores_monthly = result.monthly("customer_id")
    assert np.allclose(stores_monthly.sum(axis=1).to_numpy(), stores["value"].to_numpy())
    marginal = result.marginal("rep_id")
    assert np.allclose(marginal[list(result.months)].sum(axis=1), marginal["value"])
    # each store within one step of its fair share of its pair (largest remainder)
    if rounding == "largest_remainder":
        assert (np.abs(stores["value"] - stores["unrounded"]) < step + 1e-6).all()


def test_to_frame_sums_pairs_unless_asked(hierarchy):
    """to_frame has one row per rep (parents listed); pairs=True gives one per pair."""
    result = _run(hierarchy)
    frame = result.to_frame()
    reps = frame[(frame["level"] == "rep_id") & (frame["period"] == "year")]
    assert reps[["unit", "parent", "value"]].values.tolist() == [
        ["R1", "D1, D2", 400.0],
        ["R2", "D1", 200.0],
        ["R3", "D2", 900.0],
    ]
    assert not frame.duplicated(["level", "unit", "period"]).any()
    months = frame[(frame["level"] == "rep_id") & (frame["period"] != "year")]
    assert months.groupby("unit")["value"].sum().to_dict() == {"R1": 400, "R2": 200, "R3": 900}
    pairs = result.to_frame(pairs=True)
    assert len(pairs[(pairs["level"] == "rep_id") & (pairs["period"] == "year")]) == 4


def test_reconcile_walks_up_through_pairs(hierarchy):
    """Store plans sum up to their pairs, dealers and region; a pair plan names the pair."""
    from territory.allocation import reconcile

    result = _run(hierarchy)
    plans = pd.DataFrame({"unit": ["C1", "C3", "C4"], "value": [150.0, 250.0, 500.0]})
    table = reconcile(result, plans)
    pairs = table[table["level"] == "rep_id"].set_index(["unit", "top_down"])["bottom_up"]
    assert pairs[("R1", 100.0)] == 150.0 and pairs[("R1", 300.0)] == 250.0
    dealers = table[table["level"] == "dealer_id"].set_index("unit")["bottom_up"].to_dict()
    assert dealers == {"D1": 150.0, "D2": 750.0}
    rep_plans = pd.DataFrame({"unit": [("D2", "R1"), "R3"], "value": [280.0, 900.0]})
    by_pair = reconcile(result, rep_plans, level="rep_id")
    assert by_pair[by_pair["level"] == "dealer_id"]["bottom_up"].tolist()[1] == 1180.0
    with pytest.raises(ValidationError, match=r"name the \(parent, unit\) pair.*'R1'"):
        reconcile(result, pd.DataFrame({"unit": ["R1"], "value": [1.0]}), level="rep_id")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_regions(), st.integers(0, 50), st.integers(1, 400), st.data())
def test_cross_cutting_bounds_hold_and_totals_stay_exact(drawn, low, width, data):
    """Store minima and maxima and a pair cap hold; every level still adds up exactly."""
    hierarchy, _, step = drawn
    n = len(hierarchy)
    lo, hi = low * step, (low + width) * step
    first_pair = (hierarchy["dealer_id"].iloc[0], hierarchy["rep_id"].iloc[0])
    in_pair = (hierarchy["dealer_id"] == first_pair[0]) & (hierarchy["rep_id"] == first_pair[1])
    pair_cap = int(in_pair.sum()) * hi  # never below what its stores must get
    target = data.draw(st.integers(n * low, n * (low + width))) * step
    result = allocate(
        target,
        hierarchy,
        levels=LEVELS,
        potential="potential",
        methods="potential",
        months=2027,
        step=step,
        crossing=["rep_id"],
        bounds={
            "customer_id": Bounds(minimum=lo, maximum=hi),
            "rep_id": Bounds(maximum={first_pair: pair_cap}),
        },
    )
    stores = result.at_level("customer_id")["value"]
    assert ((stores >= lo) & (stores <= hi)).all()
    pairs = result.at_level("rep_id").set_index(["parent", "unit"])["value"]
    assert pairs[first_pair] <= pair_cap
    assert stores.sum() == pairs.sum() == result.marginal("rep_id")["value"].sum() == target
    with pytest.raises(InfeasibleError, match="sum of maxima"):
        allocate(
            n * hi + step,
            hierarchy,
            levels=LEVELS,
            potential="potential",
            methods="potential",
            months=2027,
            step=step,
            crossing=["rep_id"],
            bounds={"customer_id": Bounds(maximum=hi)},
        )
