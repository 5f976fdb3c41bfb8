"""Tests of the sample region."""

import pandas as pd
import pytest

from territory.datasets import sample_region
from territory.errors import ValidationError
from territory.tables import validate_customers, validate_dealers, validate_reps


def test_same_seed_same_region() -> None:
    """The region is deterministic for a seed and differs across seeds."""
    a, b = sample_region(400, seed=3), sample_region(400, seed=3)
    for name in ("customers", "reps", "dealers", "sales"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    c = sample_region(400, seed=4)
    assert not a.customers[["lon", "lat"]].equals(c.customers[["lon", "lat"]])


def test_region_tables_validate() -> None:
    """Every table of the sample region passes validation and links up."""
    region = sample_region(600, seed=1)
    dealers = validate_dealers(region.dealers)
    customers = validate_customers(region.customers, dealers=dealers)
    reps = validate_reps(region.reps, dealers=dealers)
    assert len(customers) == 600
    assert set(customers.loc[customers["kind"] == "dealer", "customer_id"]) == set(
        region.dealers["customer_id"]
    )
    # every dealer that supplies stores has at least one rep of its own
    supplying = set(customers["dealer_id"].dropna())
    assert supplying <= set(reps.loc[reps["kind"] == "dealer", "dealer_id"])
    assert (reps["kind"] == "company").any()


def test_region_business_structure() -> None:
    """Key accounts are direct stores or main dealer stores; dealers supply no one above them."""
    c = sample_region(1000, seed=0).customers
    assert (c.loc[c["key_account"], "kind"] == "store").all()
    key_dealer = c[c["key_account"] & c["dealer_id"].notna()]
    supplied = c[(c["kind"] == "store") & c["dealer_id"].notna()]
    assert 0 < len(key_dealer) <= 0.05 * len(supplied)
    # the main dealer stores are the dealer-supplied stores of largest potential
    assert (
        key_dealer["potential"].min() >= supplied.loc[~supplied["key_account"], "potential"].max()
    )
    assert c.loc[c["kind"] == "dealer", "dealer_id"].isna().all()
    assert c["relationship"].between(1, 5).all()
    assert (c["potential"] > 0).all()


def test_region_key_dealer_stores_go_to_company_reps() -> None:
    """The eligibility rules let company reps serve the key dealer stores of the region."""
    from territory.eligibility import COMPANY, eligibility

    region = sample_region(600, seed=2)
    rules = eligibility(region.customers, region.reps)
    c = region.customers
    key = [i for i in range(len(c)) if c["key_account"].iloc[i] and c["dealer_id"].notna().iloc[i]]
    assert key and all(rules.side(i) == COMPANY for i in key)
    assert all(COMPANY in rules.rep_side[rules.reps_for(i)].tolist() for i in key)


def test_region_reps_have_supervisors() -> None:
    """Dealer reps are managed by a company rep; company reps by area managers."""
    from territory.eligibility import supervision

    region = sample_region(1000, seed=0)
    table = supervision(region.reps)
    dealer = table[table["kind"] == "dealer"]
    company = table[table["kind"] == "company"]
    assert dealer["supervisor_id"].isin(set(company["rep_id"])).all()
    assert company["supervisor_id"].str.match(r"^AM\d{2}$").all()
    assert (dealer["level"] == 1).all() and (company["level"] == 0).all()


def test_region_product_lines_add_up_to_sales() -> None:
    """Two product lines; the new one only in the last months; lines sum to the sales."""
    region = sample_region(400, seed=1)
    lines = region.product_sales
    assert set(lines["product_line"]) == {"core", "new"}
    new_months = sorted(lines.loc[lines["product_line"] == "new", "month"].unique())
    assert new_months == sorted(region.sales["month"].unique())[-3:]
    total = lines.groupby(["customer_id", "month"])["sales"].sum()
    sales = region.sales.set_index(["customer_id", "month"])["sales"]
    assert (total.reindex(sales.index) - sales).abs().max() < 1e-6
    assert (lines["sales"] >= 0).all()


def test_region_keeps_its_table_shapes() -> None:
    """The new parts are additions: sales keep one row per customer-month, reps one more column."""
    region = sample_region(300, seed=0)
    assert list(region.sales.columns) == ["customer_id", "month", "sales"]
    assert len(region.sales) == 300 * 24
    assert list(region.reps.columns)[-1] == "supervisor_id"
    assert region.reps.columns[:4].tolist() == ["rep_id", "name", "kind", "dealer_id"]


def test_sales_history_shape() -> None:
    """24 months per customer, no negative sales, some customers without sales."""
    region = sample_region(500, seed=2)
    sales = region.sales
    assert len(sales) == 500 * 24
    assert sales["month"].nunique() == 24
    assert sales["month"].max() == "2026-10"
    assert (sales["sales"] >= 0).all()
    totals = sales.groupby("customer_id")["sales"].sum()
    assert (totals == 0).any()


def test_region_scales() -> None:
    """The size parameter scales customers and reps together."""
    small, large = sample_region(500), sample_region(5000)
    assert len(large.customers) == 5000
    assert len(large.reps) > 5 * len(small.reps)


def test_region_rejects_tiny_size() -> None:
    """Fewer than 20 customers is refused with a clear message."""
    with pytest.raises(ValidationError, match="at least 20"):
        sample_region(5)
