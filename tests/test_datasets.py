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
    """Key accounts are direct-supplied stores; dealers supply no one above them."""
    c = sample_region(1000, seed=0).customers
    assert c.loc[c["key_account"], "dealer_id"].isna().all()
    assert (c.loc[c["key_account"], "kind"] == "store").all()
    assert c.loc[c["kind"] == "dealer", "dealer_id"].isna().all()
    assert c["relationship"].between(1, 5).all()
    assert (c["potential"] > 0).all()


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
