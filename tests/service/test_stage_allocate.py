"""End-to-end tests of ``POST /v1/allocate`` (ASGI transport, the real stage)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from territory.service.testing import InProcessClient as Client


@pytest.fixture
def client(make_client: Callable[..., Client]) -> Client:
    return make_client(job_workers=1, max_time_limit=30)


def test_allocate_splits_target_by_potential(client: Client) -> None:
    """POST /v1/allocate splits 1000 by potential 300/100/600, summing exactly."""
    body = {
        "target": 1000,
        "hierarchy": [
            {"team": "T1", "rep_id": "R1", "potential": 300.0},
            {"team": "T1", "rep_id": "R2", "potential": 100.0},
            {"team": "T2", "rep_id": "R3", "potential": 600.0},
        ],
        "levels": ["team", "rep_id"],
        "potential": "potential",
        "methods": "potential",
        "months": 2027,
    }
    response = client.request("POST", "/v1/allocate", json=body)
    assert response.status_code == 200, response.text
    levels = {lv["name"]: lv for lv in response.json()["levels"]}
    reps = {u["unit"]: u["value"] for u in levels["rep_id"]["units"]}
    assert reps == {"R1": 300.0, "R2": 100.0, "R3": 600.0}
    assert all(sum(u["months"]) == u["value"] for u in levels["rep_id"]["units"])


def test_allocate_across_dealers_reports_pairs_and_reps(client: Client) -> None:
    """A rep under two dealers is allocated on (dealer, rep) pairs over HTTP, exactly."""
    body = {
        "target": 1000,
        "hierarchy": [
            {"dealer_id": "D1", "rep_id": "R1", "customer_id": "C1", "potential": 100.0},
            {"dealer_id": "D1", "rep_id": "R2", "customer_id": "C2", "potential": 300.0},
            {"dealer_id": "D2", "rep_id": "R1", "customer_id": "C3", "potential": 600.0},
        ],
        "levels": ["dealer_id", "rep_id", "customer_id"],
        "potential": "potential",
        "methods": "potential",
        "months": 2027,
        "crossing": ["rep_id"],
    }
    without = client.request("POST", "/v1/allocate", json={**body, "crossing": []})
    assert without.status_code == 422, without.text
    response = client.request("POST", "/v1/allocate", json=body)
    assert response.status_code == 200, response.text
    levels = {lv["name"]: lv for lv in response.json()["levels"]}
    stores = {u["unit"]: u["value"] for u in levels["customer_id"]["units"]}
    assert stores == {"C1": 100.0, "C2": 300.0, "C3": 600.0}
    dealers = {u["unit"]: u["value"] for u in levels["dealer_id"]["units"]}
    assert dealers == {"D1": 400.0, "D2": 600.0}


def test_allocate_reads_sales_under_its_old_name_history(client: Client) -> None:
    """The request's sales table may still be sent as 'history'."""
    body = {
        "target": 900,
        "hierarchy": [{"rep_id": "R1"}, {"rep_id": "R2"}],
        "levels": ["rep_id"],
        "months": 2027,
    }
    rows = [
        {"rep_id": r, "month": f"2026-{m:02d}", "sales": v}
        for r, v in (("R1", 1.0), ("R2", 2.0))
        for m in range(1, 13)
    ]
    by_name = {
        name: client.request("POST", "/v1/allocate", json={**body, name: rows})
        for name in ("sales", "history")
    }
    assert all(r.status_code == 200 for r in by_name.values()), by_name["history"].text
    assert by_name["sales"].json() == by_name["history"].json()


def test_allocate_infeasible_bounds_is_422(client: Client) -> None:
    """Bounds that cannot meet the target give 422 'infeasible' with the arithmetic."""
    body = {
        "target": 1000,
        "hierarchy": [{"rep_id": "R1", "potential": 1.0}, {"rep_id": "R2", "potential": 1.0}],
        "levels": ["rep_id"],
        "potential": "potential",
        "methods": "potential",
        "bounds": {"rep_id": {"maximum": 100}},
        "months": 2027,
    }
    response = client.request("POST", "/v1/allocate", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["type"] == "/problems/infeasible"
