"""The eligibility, supervision and daily-limit columns over HTTP (territories, plan-routes)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from territory.service.testing import InProcessClient as Client


@pytest.fixture
def client(make_client: Callable[..., Client]) -> Client:
    return make_client(job_workers=1, max_time_limit=20)


def _customer(cid: str, lon: float, dealer: str | None, **extra: Any) -> dict[str, Any]:
    row = {"customer_id": cid, "lon": lon, "lat": 48.0, "kind": "store", "dealer_id": dealer}
    return row | {"visits_per_cycle": 1, "service_minutes": 20} | extra


#: a direct store, two plain stores of D1, a key store of D1, a store of D1 locked to C1
CUSTOMERS = [
    _customer("direct", 9.00, None),
    _customer("s1", 9.01, "D1"),
    _customer("s2", 9.02, "D1"),
    _customer("key", 9.03, "D1", key_account=True),
    _customer("main", 9.04, "D1", locked_rep_id="C1"),
]
REPS = [
    {"rep_id": "C1", "kind": "company", "home_lon": 9.0, "home_lat": 48.0}
    | {"supervisor_id": "Area manager", "min_visits_per_day": 2, "max_visits_per_day": 4},
    {"rep_id": "R1", "kind": "dealer", "dealer_id": "D1", "home_lon": 9.02, "home_lat": 48.0}
    | {"supervisor_id": "C1"},
]


def _body(**extra: Any) -> dict[str, Any]:
    body = {"customers": CUSTOMERS, "reps": REPS, "cycle": {"weeks": 1, "days": 5}}
    copy: dict[str, Any] = json.loads(
        json.dumps(body | {"time_limit": 3, "seed": 0, "iterations": 30} | extra)
    )
    return copy


def test_plan_routes_follows_the_rules_and_the_daily_limits(client: Client) -> None:
    """Over HTTP: the locked main store goes to C1, plain dealer stores to R1, C1's days >= 2."""
    response = client.request("POST", "/v1/plan-routes", json=_body())
    assert response.status_code == 200, response.text
    plan = response.json()
    rep_of = {v["customer_id"]: v["rep_id"] for v in plan["visits"]}
    assert rep_of["main"] == "C1" and rep_of["direct"] == "C1"
    assert rep_of["s1"] == "R1" and rep_of["s2"] == "R1"
    assert rep_of["key"] in {"C1", "R1"}
    listed = {(t["rep_id"], t["day"]) for t in plan["stats"]["thin_days"]}
    c1_days = [d for d in plan["days"] if d["rep_id"] == "C1"]
    assert c1_days
    for day in c1_days:
        assert day["visits"] <= 4
        assert day["visits"] >= 2 or ("C1", day["day"]) in listed


def test_plan_routes_rule_breaking_rep_id_is_422(client: Client) -> None:
    """A company rep_id on a plain dealer store is refused with the customer and the rule."""
    body = _body()
    body["customers"][1]["rep_id"] = "C1"
    response = client.request("POST", "/v1/plan-routes", json=body)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert "s1 -> C1" in detail and "store of dealer D1" in detail


def test_plan_routes_supervisor_cycle_is_422(client: Client) -> None:
    """A cycle of supervisors is refused with the reps named."""
    body = _body()
    body["reps"][0]["supervisor_id"] = "C1"
    response = client.request("POST", "/v1/plan-routes", json=body)
    assert response.status_code == 422, response.text
    assert "forms 1 cycles of supervisors (C1 -> C1)" in response.json()["detail"]


def test_territories_put_key_and_locked_stores_with_company(client: Client) -> None:
    """POST /v1/territories gives the key store and the locked main store to the company rep."""
    body = {"customers": CUSTOMERS, "reps": REPS, "balance": {"count": 0.5}, "time_limit": 10}
    response = client.request("POST", "/v1/territories", json=body)
    assert response.status_code == 200, response.text
    rep_of = {row["customer_id"]: row["rep_id"] for row in response.json()["assignment"]}
    assert rep_of == {"direct": "C1", "s1": "R1", "s2": "R1", "key": "C1", "main": "C1"}
