"""Tests for the allocation core: apportion, rounding methods, and allocate's properties."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from territory.allocation import Bounds, allocate, apportion
from territory.allocation.apportionment import NO_MAX, apportion_groups
from territory.errors import InfeasibleError, ValidationError

DIVISORS = ["jefferson", "webster"]
ALL_METHODS = ["largest_remainder", *DIVISORS]


def test_hamilton_hand_case():
    """10 over 3 equal weights: the first unit takes the spare unit."""
    assert apportion(10, [1, 1, 1]).tolist() == [4, 3, 3]


def test_hamilton_known_remainders():
    """Largest remainders win: 100 over 47/33/20 in thirds of a seat."""
    assert apportion(10, [4.6, 3.3, 2.1]).tolist() == [5, 3, 2]


def test_jefferson_and_webster_differ_as_textbook():
    """5 seats for 62/25/13: D'Hondt favours the largest, Sainte-Laguë does not."""
    # D'Hondt quotients 62, 31, 25, 20.7, 15.5 | 13; Sainte-Laguë 124, 50, 41.3, 26, 24.8
    weights = [62, 25, 13]
    assert apportion(5, weights, method="jefferson").tolist() == [4, 1, 0]
    assert apportion(5, weights, method="dhondt").tolist() == [4, 1, 0]
    assert apportion(5, weights, method="webster").tolist() == [3, 1, 1]
    assert apportion(5, weights, method="sainte_lague").tolist() == [3, 1, 1]


def test_step_and_bounds():
    """Step 100 with a maximum: the cap is hit and the rest re-spread."""
    assert apportion(1000, [5, 3, 2], step=100, upper=[400, None, None]).tolist() == [
        400,
        400,
        200,
    ]


def test_lower_bound_not_multiple_of_step_is_tightened():
    """A minimum of 150 with step 100 becomes 200."""
    out = apportion(1000, [1, 1, 100], step=100, lower=[150, 0, 0])
    assert out[0] == 200 and out.sum() == 1000


def test_zero_weights_share_only_when_others_are_full():
    """Zero-weight units stay at zero until the weighted units hit their maxima."""
    assert apportion(10, [1, 0, 0]).tolist() == [10, 0, 0]
    assert apportion(10, [1, 0, 0], upper=[4, None, None]).tolist() == [4, 3, 3]
    assert apportion(9, [0, 0, 0]).tolist() == [3, 3, 3]


def test_apportion_infeasible_message():
    """The infeasible message shows the sums of minima and maxima."""
    with pytest.raises(InfeasibleError, match="sum of minima 0, sum of maxima 30"):
        apportion(100, [1, 1, 1], upper=10)


def test_apportion_validation():
    """Negative weights, a bad step and a bad method are reported together."""
    with pytest.raises(ValidationError) as info:
        apportion(10.5, [1, -1], method="nope")
    message = str(info.value)
    assert "method" in message and "negative" in message and "whole number" in message


bounded_units = st.lists(
    st.tuples(
        st.integers(0, 50),  # weight
        st.integers(0, 5),  # minimum
        st.one_of(st.none(), st.integers(0, 30)),  # maximum (None = no maximum)
    ),
    min_size=1,
    max_size=15,
)


def _arrays(units):
    w = np.array([u[0] for u in units], dtype=float)
    lo = np.array([u[1] for u in units], dtype=np.int64)
    hi = np.array([NO_MAX if u[2] is None else max(u[2], u[1]) for u in units], dtype=np.int64)
    return w, lo, hi


@settings(max_examples=200, deadline=None)
@given(bounded_units, st.integers(0, 400), st.sampled_from(ALL_METHODS))
def test_apportion_exact_within_bounds(units, total, method):
    """Shares sum exactly to the total and stay within bounds (when feasible)."""
    w, lo, hi = _arrays(units)
    upper = np.where(hi >= NO_MAX, np.nan, hi)
    if not lo.sum() <= total <= np.where(hi >= NO_MAX, 10**9, hi).sum():
        with pytest.raises(InfeasibleError):
            apportion(total, w, lower=lo, upper=upper, method=method)
        return
    out = apportion(total, w, lower=lo, upper=upper, method=method)
    assert out.sum() == total
    assert np.all(out >= lo) and np.all(out <= np.where(hi >= NO_MAX, np.inf, hi))
    assert np.all(out == np.round(out))


@settings(max_examples=200, deadline=None)
@given(bounded_units, st.integers(0, 400))
def test_hamilton_within_one_step_of_fair_share(units, total):
    """Largest remainder: every unit within one step of its bounded fair share."""
    w, lo, hi = _arrays(units)
    if not lo.sum() <= total <= np.where(hi >= NO_MAX, 10**9, hi).sum():
        return
    if not w.any():
        w = np.ones_like(w)
    fair, final = apportion_groups(np.array([total]), np.zeros(len(w), dtype=np.int64), w, lo, hi)
    assert final.sum() == total
    assert np.all(np.abs(final - fair) < 1)


@settings(max_examples=60, deadline=None)
@given(bounded_units, st.integers(0, 200), st.sampled_from(DIVISORS))
def test_divisor_methods_are_house_monotone(units, start, method):
    """A divisor method never lowers a unit when the total rises (over 20 totals)."""
    w, lo, hi = _arrays(units)
    upper = np.where(hi >= NO_MAX, np.nan, hi)
    cap = np.where(hi >= NO_MAX, 10**9, hi).sum()
    previous = None
    for total in range(max(start, int(lo.sum())), min(start + 20, int(cap)) + 1):
        out = apportion(total, w, lower=lo, upper=upper, method=method)
        assert out.sum() == total
        if previous is not None:
            assert np.all(out >= previous), (total, previous, out)
        previous = out


def _sequential(total, w, lo, hi, delta):
    """Reference divisor method: hand out steps one by one by priority w / (a + delta)."""
    a = lo.astype(float).copy()
    for _ in range(int(total - lo.sum())):
        priority = np.where(a < hi, w / (a + delta), -1.0)
        a[int(np.argmax(priority))] += 1
    return a


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 50), st.integers(0, 3), st.integers(3, 30)),
        min_size=1,
        max_size=10,
    ),
    st.integers(0, 120),
    st.sampled_from([("jefferson", 1.0), ("webster", 0.5)]),
)
def test_divisor_matches_sequential_reference(units, total, method):
    """The bisection implementation equals handing out steps one at a time."""
    w = np.array([u[0] for u in units], dtype=float)
    lo = np.array([u[1] for u in units], dtype=float)
    hi = np.array([u[2] for u in units], dtype=float)
    total = int(min(max(total, lo.sum()), hi.sum()))
    out = apportion(total, w, lower=lo, upper=hi, method=method[0])
    np.testing.assert_array_equal(out, _sequential(total, w, lo, hi, method[1]))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(1, 1000), min_size=2, max_size=10), st.integers(1, 500))
def test_divisor_exact_proportion_is_kept(weights, k):
    """When the total is a multiple of the weight sum, every method is exact."""
    total = sum(weights) * (k % 3 + 1)
    for method in ALL_METHODS:
        out = apportion(total, weights, method=method)
        assert out.tolist() == [w * (k % 3 + 1) for w in weights]


# --- allocate: properties over random hierarchies -----------------------------------


@st.composite
def problems(draw):
    n_customers = draw(st.integers(1, 14))
    n_reps = draw(st.integers(1, min(4, n_customers)))
    n_teams = draw(st.integers(1, n_reps))
    rep_of = [
        i % n_reps if i < n_reps else draw(st.integers(0, n_reps - 1)) for i in range(n_customers)
    ]
    team_of_rep = [r % n_teams for r in range(n_reps)]
    hierarchy = pd.DataFrame(
        {
            "region": "N",
            "team": [f"T{team_of_rep[r]}" for r in rep_of],
            "rep_id": [f"R{r}" for r in rep_of],
            "customer_id": [f"C{i}" for i in range(n_customers)],
            "potential": draw(
                st.lists(st.integers(0, 500), min_size=n_customers, max_size=n_customers)
            ),
        }
    )
    sales = draw(st.lists(st.integers(0, 40), min_size=12 * n_customers, max_size=12 * n_customers))
    history = pd.DataFrame(
        {
            "customer_id": np.repeat(hierarchy["customer_id"].to_numpy(), 12),
            "month": [f"2026-{m:02d}" for m in range(1, 13)] * n_customers,
            "sales": np.asarray(sales, dtype=float),
        }
    )
    return hierarchy, history


LEVELS = ["region", "team", "rep_id", "customer_id"]


def _check_adds_up(result, step, month_step):
    for depth, name in enumerate(LEVELS):
        frame = result.at_level(name)
        assert np.all(np.mod(frame["value"], step) == 0)
        monthly = result.monthly(name)
        assert np.all(np.mod(monthly.to_numpy(), month_step) == 0)
        np.testing.assert_array_equal(monthly.sum(axis=1).to_numpy(), frame["value"].to_numpy())
        if depth == 0:
            assert frame["value"].sum() == result.target
            continue
        parent = result.at_level(LEVELS[depth - 1]).set_index("unit")["value"]
        sums = frame.groupby("parent")["value"].sum()
        np.testing.assert_array_equal(sums.to_numpy(), parent.loc[sums.index].to_numpy())
        parent_months = result.monthly(LEVELS[depth - 1])
        child_months = monthly.groupby(frame["parent"].to_numpy()).sum()
        np.testing.assert_array_equal(
            child_months.to_numpy(), parent_months.loc[child_months.index].to_numpy()
        )


@settings(max_examples=40, deadline=None)
@given(
    problems(),
    st.integers(0, 20_000),
    st.sampled_from([(1, 1), (10, 1), (100, 10), (5, 5)]),
    st.sampled_from(ALL_METHODS),
    st.sampled_from(["history", "potential", "equal_growth", "untapped"]),
)
def test_allocate_adds_up_everywhere(problem, target, steps, rounding, method):
    """Children sum to parents and months to years, at every level and month."""
    hierarchy, history = problem
    step, month_step = steps
    result = allocate(
        target,
        hierarchy,
        levels=LEVELS,
        sales=history,
        potential="potential",
        methods={"team": "history", "rep_id": method, "customer_id": method},
        step=step,
        month_step=month_step,
        rounding=rounding,
    )
    _check_adds_up(result, step, month_step)
    bottom = np.abs(
        result.monthly("customer_id").to_numpy()
        - result.monthly("customer_id", unrounded=True).to_numpy()
    )
    assert np.all(bottom < month_step)
    if rounding == "largest_remainder":
        for name in LEVELS:
            frame = result.at_level(name)
            assert np.all(np.abs(frame["value"] - frame["unrounded"]) < step)


@settings(max_examples=40, deadline=None)
@given(
    problems(),
    st.floats(0.85, 1.35),
    st.sampled_from([1, 10]),
    st.sampled_from(ALL_METHODS),
    st.data(),
)
def test_allocate_respects_bounds_and_locks(problem, growth_factor, step, rounding, data):
    """Locks are exact, growth bands and maxima hold (to the step), or it is infeasible."""
    hierarchy, history = problem
    ly = history.groupby("customer_id")["sales"].sum()
    target = round(float(ly.sum()) * growth_factor / step) * step
    customers = hierarchy["customer_id"].tolist()
    locked = data.draw(st.lists(st.sampled_from(customers), max_size=2, unique=True))
    locks = {c: data.draw(st.integers(0, 200 // step)) * step for c in locked}
    capped = data.draw(st.lists(st.sampled_from(customers), max_size=3, unique=True))
    maxima = {c: float(data.draw(st.integers(100, 600))) for c in capped}
    growth = (-0.2, 0.4)
    try:
        result = allocate(
            target,
            hierarchy,
            levels=LEVELS,
            sales=history,
            bounds={
                "customer_id": Bounds(maximum=maxima),
                "rep_id": Bounds(growth=growth),
            },
            locks={"customer_id": locks},
            step=step,
            rounding=rounding,
        )
    except InfeasibleError as error:
        event("infeasible")
        assert "sum of" in str(error) or "no room" in str(error)
        return
    event("feasible")
    _check_adds_up(result, step, step)
    customers_frame = result.at_level("customer_id").set_index("unit")
    for c, value in locks.items():
        assert customers_frame.loc[c, "value"] == value
        assert customers_frame.loc[c, "bound"] == "locked"
    for c, cap in maxima.items():
        if c not in locks:
            assert customers_frame.loc[c, "value"] <= cap + 1e-9
    reps = result.at_level("rep_id")
    base = reps["baseline"].to_numpy()
    value = reps["value"].to_numpy()
    has = base > 0
    assert np.all(value[has] >= base[has] * (1 + growth[0]) - step)
    assert np.all(value[has] <= base[has] * (1 + growth[1]) + step)


def test_webster_three_way_tie_is_monotone():
    """Weights 24/8/8 tie three ways at 23 steps: ties go by unit order, never backwards."""
    outs = [apportion(t, [24, 8, 8], method="webster") for t in range(20, 26)]
    assert outs[3].tolist() == [14, 5, 4]
    for before, after in itertools.pairwise(outs):
        assert np.all(after >= before)


@settings(max_examples=30, deadline=None)
@given(
    problems(),
    st.integers(0, 5_000),
    st.sampled_from(DIVISORS),
    st.sampled_from(["history", "potential"]),
)
def test_allocate_divisor_monotone_in_target(problem, target, rounding, method):
    """With a divisor method, raising the target never lowers any unit at any level."""
    hierarchy, history = problem
    results = [
        allocate(
            t,
            hierarchy,
            levels=LEVELS,
            sales=history,
            potential="potential",
            methods=method,
            bounds={"customer_id": Bounds(maximum=300)},
            rounding=rounding,
        )
        for t in (target, target + 1, target + 7)
        if t <= 300 * len(hierarchy)
    ]
    for before, after in itertools.pairwise(results):
        for name in LEVELS:
            assert np.all(after.at_level(name)["value"] >= before.at_level(name)["value"])
