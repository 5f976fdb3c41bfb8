"""Tests for territory.allocation.allocate_plan: measures, product lines, promotions, share."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from territory.allocation import Measure, NewProduct, Promotion, allocate_plan
from territory.errors import InfeasibleError, ValidationError

MONTHS = [f"2026-{m:02d}" for m in range(1, 13)]
LEVELS = ["region", "rep_id", "customer_id"]


def _hierarchy() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "region": "N",
            "rep_id": ["R1", "R1", "R2"],
            "customer_id": ["C1", "C2", "C3"],
            "market_size": [4000.0, 4000.0, 2000.0],
        }
    )


def _history(monthly: dict[tuple[str, str], float]) -> pd.DataFrame:
    """Flat monthly history per (customer, line); quantity = sales / 10."""
    rows = [(c, m, line, v, v / 10) for (c, line), v in monthly.items() for m in MONTHS]
    return pd.DataFrame(rows, columns=["customer_id", "month", "line", "sales", "quantity"])


def test_two_measures_lines_and_a_new_product_by_hand():
    """10 % to the new line (spread like juice); the rest by line history; lines add up."""
    history = _history(
        {("C1", "tea"): 100, ("C2", "tea"): 300, ("C3", "tea"): 600, ("C1", "juice"): 100}
    )
    plan = allocate_plan(
        _hierarchy(),
        levels=LEVELS,
        sales=history,
        product_column="line",
        months=2027,
        measures=[Measure("value", 22_000, step=10), Measure("quantity", 2_200, column="quantity")],
        new_products=[NewProduct("soda", share=0.1, like="juice")],
    )
    lines = plan.lines.set_index(["measure", "product_line"])["target"].to_dict()
    assert lines == {
        ("value", "soda"): 2200.0,
        ("value", "tea"): 18000.0,
        ("value", "juice"): 1800.0,
        ("quantity", "soda"): 220.0,
        ("quantity", "tea"): 1800.0,
        ("quantity", "juice"): 180.0,
    }
    stores = plan.totals("customer_id").set_index("unit")
    # tea 1:3:6 of 18000; juice and soda all to C1
    assert stores["value"].to_dict() == {"C1": 1800 + 1800 + 2200, "C2": 5400, "C3": 10800}
    assert stores["quantity"].sum() == 2200
    assert plan.allocation("value", "soda").value("customer_id", "C3") == 0.0
    assert np.all(plan.allocation("value", "tea").monthly("customer_id").to_numpy() % 10 == 0)
    frame = plan.to_frame()
    assert {"measure", "product_line", "level", "period"} <= set(frame.columns)
    assert "value / soda: 2,200 (new, share 10.0%)" in plan.summary()
    json.dumps(plan.to_dict())


def test_fixed_amount_per_measure_and_given_line_targets():
    """A fixed amount per measure; a mapping gives every line its own figure."""
    history = _history({("C1", "tea"): 100, ("C2", "tea"): 100, ("C3", "tea"): 200})
    plan = allocate_plan(
        _hierarchy(),
        levels=LEVELS,
        sales=history,
        product_column="line",
        months=2027,
        measures=[
            Measure("value", 10_000),
            Measure("quantity", {"tea": 900, "kvass": 50}, column="quantity"),
        ],
        new_products=[NewProduct("kvass", amount={"value": 1_000})],
    )
    lines = plan.lines.set_index(["measure", "product_line"])["target"].to_dict()
    assert lines[("value", "kvass")] == 1000.0 and lines[("value", "tea")] == 9000.0
    assert lines[("quantity", "kvass")] == 50.0 and lines[("quantity", "tea")] == 900.0
    kvass = plan.allocation("value", "kvass").at_level("customer_id")["value"].tolist()
    assert kvass == [250.0, 250.0, 500.0]  # like all lines together: 1:1:2
    with pytest.raises(InfeasibleError, match=r"new products take 12,000 \(12,000\) of a total"):
        allocate_plan(
            _hierarchy(),
            levels=LEVELS,
            sales=history,
            product_column="line",
            months=2027,
            measures=[Measure("value", 10_000)],
            new_products=[NewProduct("kvass", amount=12_000)],
        )


def test_promotion_moves_target_to_promoted_store_and_month():
    """C1 doubles in 2027-05: weight 13 vs 12; its May is 2/13 of its year; total unchanged."""
    hierarchy = _hierarchy().iloc[:2]
    history = _history({("C1", "tea"): 100, ("C2", "tea"): 100})
    plan = allocate_plan(
        hierarchy,
        levels=LEVELS,
        sales=history,
        months=2027,
        measures=[Measure("value", 2500)],
        promotions=[Promotion(1.0, months=["2027-05"], customers=["C1"])],
    )
    result = plan.allocation("value")
    assert result.value("customer_id", "C1") == 1300.0
    assert result.value("customer_id", "C2") == 1200.0
    c1 = result.monthly("customer_id").loc["C1"]
    assert c1["2027-05"] == 200.0 and c1["2027-04"] == 100.0
    assert result.target == 2500.0


def test_market_share_measure():
    """25 % of a 10,000 market is 2,500; every unit's share target is value ÷ market."""
    history = _history({("C1", "tea"): 100, ("C2", "tea"): 100, ("C3", "tea"): 200})
    plan = allocate_plan(
        _hierarchy(),
        levels=LEVELS,
        sales=history,
        months=2027,
        measures=[Measure("share", share=0.25, market="market_size"), Measure("value", 100)],
    )
    reps = plan.at_level("rep_id").set_index(["measure", "unit"])
    assert reps.loc[("share", "R1"), "value"] == 1250.0
    assert reps.loc[("share", "R1"), "market"] == 8000.0
    assert reps.loc[("share", "R1"), "market_share"] == pytest.approx(1250 / 8000)
    assert np.isnan(reps.loc[("value", "R1"), "market_share"])
    assert plan.allocation("share").target == 2500.0
    market = pd.Series([4000.0, 4000.0, 2000.0], index=["C1", "C2", "C3"])
    by_series = allocate_plan(
        _hierarchy(),
        levels=LEVELS,
        sales=history,
        months=2027,
        measures=[Measure("share", share=0.25, market=market)],
    )
    assert by_series.at_level("rep_id")["market"].tolist() == [8000.0, 2000.0]
    assert "market share target 25.0%" in plan.summary()


def test_bad_market_sizes_get_the_shared_message():
    """A text, negative or unknown market size names the table, the column and the stores."""
    history = _history({("C1", "tea"): 100, ("C2", "tea"): 100, ("C3", "tea"): 200})
    hierarchy = _hierarchy().assign(market_size=["lots", -1.0, 2000.0])
    with pytest.raises(ValidationError) as caught:
        allocate_plan(
            hierarchy,
            levels=LEVELS,
            sales=history,
            months=2027,
            measures=[Measure("share", share=0.25, market="market_size")],
        )
    text = str(caught.value)
    assert "hierarchy: column 'market_size' has 1 non-numeric values (customer_id: 'C1')" in text
    assert "hierarchy: column 'market_size' has 1 negative values (customer_id: 'C2')" in text
    with pytest.raises(
        ValidationError,
        match=r"market: column 'market' has 1 missing values \(customer_id: 'C3'\)",
    ):
        allocate_plan(
            _hierarchy(),
            levels=LEVELS,
            sales=history,
            months=2027,
            measures=[Measure("share", share=0.25, market={"C1": 4000.0, "C2": 4000.0})],
        )


def test_bad_options_are_named():
    """Unknown lines, months and stores, and bad measures, are validation errors."""
    history = _history({("C1", "tea"): 100})
    common = dict(levels=LEVELS, sales=history, months=2027)
    with pytest.raises(ValidationError, match="line without history: 'cola'"):
        allocate_plan(
            _hierarchy(),
            **common,
            product_column="line",
            measures=[Measure("value", 10)],
            new_products=[NewProduct("x", share=0.1, like="cola")],
        )
    with pytest.raises(ValidationError, match=r"not plan months \(month: '2028-01'\)"):
        allocate_plan(
            _hierarchy(),
            **common,
            measures=[Measure("value", 10)],
            promotions=[Promotion(0.1, months=["2028-01"])],
        )
    with pytest.raises(ValidationError, match=r"not in the hierarchy \(customer_id: 'C9'\)"):
        allocate_plan(
            _hierarchy(),
            **common,
            measures=[Measure("value", 10)],
            promotions=[Promotion(0.1, months=["2027-01"], customers=["C9"])],
        )
    with pytest.raises(ValidationError, match="plan's lines are"):
        allocate_plan(
            _hierarchy(),
            **common,
            product_column="line",
            measures=[Measure("value", {"coffee": 10})],
        )
    with pytest.raises(ValidationError, match="distinct named measures"):
        allocate_plan(_hierarchy(), **common, measures=[Measure("v", 1), Measure("v", 2)])
    with pytest.raises(ValidationError, match="share must lie in"):
        Measure("s", share=1.5, market="market_size")
    with pytest.raises(ValidationError, match="a share or an amount, not both"):
        NewProduct("x", share=0.1, amount=5)
    with pytest.raises(ValidationError, match="uplift must be a number above -1"):
        Promotion(-2, months=["2027-01"])
    with pytest.raises(ValidationError, match="'units' is missing"):
        allocate_plan(_hierarchy(), **common, measures=[Measure("q", 5, column="units")])


@st.composite
def _plans(draw: st.DrawFn) -> dict[str, object]:
    n_stores = draw(st.integers(1, 8))
    reps = [f"R{draw(st.integers(0, 2))}" for _ in range(n_stores)]
    dealers = [f"D{draw(st.integers(0, 1))}" for _ in range(n_stores)]
    hierarchy = pd.DataFrame(
        {
            "region": "N",
            "dealer_id": dealers,
            "rep_id": reps,
            "customer_id": [f"C{i}" for i in range(n_stores)],
        }
    )
    monthly = {
        (f"C{i}", line): float(draw(st.integers(0, 500)))
        for i in range(n_stores)
        for line in ("tea", "juice")
    }
    share = draw(st.sampled_from([0.0, 0.05, 0.3]))
    return {
        "hierarchy": hierarchy,
        "history": _history(monthly),
        "value": draw(st.integers(0, 50_000)) * 10,
        "quantity": draw(st.integers(0, 5_000)),
        "share": share,
        "uplift": draw(st.sampled_from([0.0, 0.5])),
    }


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_plans())
def test_lines_and_levels_add_up_exactly(drawn):
    """Lines add up to each measure; stores, pairs, reps and dealers to the region, exactly."""
    hierarchy = drawn["hierarchy"]
    plan = allocate_plan(
        hierarchy,
        levels=["region", "dealer_id", "rep_id", "customer_id"],
        sales=drawn["history"],
        product_column="line",
        months=2027,
        crossing=["rep_id"],
        measures=[
            Measure("value", drawn["value"], step=10),
            Measure("quantity", drawn["quantity"], column="quantity"),
        ],
        new_products=[NewProduct("soda", share=drawn["share"])],
        promotions=[Promotion(drawn["uplift"], months=["2027-06"], customers=["C0"])],
    )
    for measure, step in (("value", 10), ("quantity", 1)):
        lines = plan.lines[plan.lines["measure"] == measure]
        assert lines["target"].sum() == drawn[measure]
        assert (lines["target"] % step == 0).all() and (lines["target"] >= 0).all()
        for level in ("region", "dealer_id", "customer_id"):
            totals = plan.totals(level)
            assert totals[measure].sum() == drawn[measure]
        stores = plan.totals("customer_id").set_index("unit")[measure]
        reps = {
            rep: float(stores[hierarchy.loc[hierarchy["rep_id"] == rep, "customer_id"]].sum())
            for rep in hierarchy["rep_id"].unique()
        }
        marginal = {}
        for line in plan.product_lines:
            m = plan.allocation(measure, line).marginal("rep_id").set_index("unit")["value"]
            for rep, value in m.items():
                marginal[rep] = marginal.get(rep, 0.0) + value
        assert marginal == reps


def test_plan_inputs_that_would_lose_target_are_refused():
    """Repeated new lines, unknown sales ids, bad steps and stray promotion lines are errors."""
    hierarchy = pd.DataFrame({"rep_id": ["R1", "R2"], "customer_id": ["C1", "C2"]})
    sales = pd.DataFrame(
        {
            "customer_id": ["C1", "C2"] * 2,
            "month": ["2026-11"] * 2 + ["2026-12"] * 2,
            "sales": [1.0, 2.0, 1.0, 2.0],
            "line": "core",
        }
    )
    common = {"levels": ["rep_id", "customer_id"], "months": 2027}
    with pytest.raises(ValidationError, match="more than once"):
        allocate_plan(
            hierarchy,
            measures=[Measure("value", 2000)],
            sales=sales,
            product_column="line",
            new_products=[NewProduct("soda", share=0.1), NewProduct("soda", share=0.2)],
            **common,
        )
    stray = sales.assign(customer_id=["C1", "ZZZ", "C1", "C2"])
    with pytest.raises(ValidationError, match="ZZZ"):
        allocate_plan(hierarchy, measures=[Measure("value", 2000)], sales=stray, **common)
    for step in (0, float("nan"), -5):
        with pytest.raises(ValidationError, match="step"):
            Measure("value", 2000, step=step)
    promotion = Promotion(uplift=0.5, months=["2027-03"], lines=["core"])
    with pytest.raises(ValidationError, match="product dimension"):
        allocate_plan(
            hierarchy,
            measures=[Measure("value", 2000)],
            sales=sales,
            promotions=[promotion],
            **common,
        )
