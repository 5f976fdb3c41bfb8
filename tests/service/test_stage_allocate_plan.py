"""End-to-end tests of ``POST /v1/allocate-plan`` and its jobs (ASGI transport, the real stage)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from territory.service.testing import InProcessClient as Client
from territory_cases import wait_for


@pytest.fixture
def client(make_client: Callable[..., Client]) -> Client:
    return make_client(job_workers=1, max_time_limit=30)


def plan_body() -> dict[str, Any]:
    """Two product lines (tea 1000, juice 100 last December) and two measures."""
    sales = [
        {"customer_id": c, "month": "2026-12", "line": line, "sales": v, "quantity": v / 10}
        for c, tea, juice in (("C1", 100.0, 50.0), ("C2", 300.0, 0.0), ("C3", 600.0, 50.0))
        for line, v in (("tea", tea), ("juice", juice))
    ]
    return {
        "hierarchy": [
            {"rep_id": "R1", "customer_id": "C1"},
            {"rep_id": "R1", "customer_id": "C2"},
            {"rep_id": "R2", "customer_id": "C3"},
        ],
        "levels": ["rep_id", "customer_id"],
        "sales": sales,
        "product_column": "line",
        "months": ["2027-12"],
        "methods": {"method": "history", "window": ["2026-12", "2026-12"]},
        "baseline": ["2026-12", "2026-12"],
        "measures": [
            {"name": "value", "target": 2200},
            {"name": "quantity", "target": 220, "column": "quantity"},
        ],
    }


def test_allocate_plan_splits_measures_and_lines_exactly(client: Client) -> None:
    """POST /v1/allocate-plan: 2200 by history is tea 2000 / juice 200, R1 900 / R2 1300."""
    from territory.service.results import AllocatePlanResult

    response = client.request("POST", "/v1/allocate-plan", json=plan_body())
    assert response.status_code == 200, response.text
    body = response.json()
    AllocatePlanResult.model_validate(body)
    lines = {(r["measure"], r["product_line"]): r["target"] for r in body["lines"]}
    assert lines == {
        ("value", "tea"): 2000.0,
        ("value", "juice"): 200.0,
        ("quantity", "tea"): 200.0,
        ("quantity", "juice"): 20.0,
    }
    reps: dict[tuple[str, str], float] = {}
    for allocation in body["allocations"]:
        assert allocation["target"] == lines[(allocation["measure"], allocation["product_line"])]
        for level in allocation["levels"]:
            total = sum(u["value"] for u in level["units"])
            assert total == allocation["target"]
            if level["name"] == "rep_id":
                for unit in level["units"]:
                    key = (allocation["measure"], unit["unit"])
                    reps[key] = reps.get(key, 0.0) + unit["value"]
    assert reps == {
        ("value", "R1"): 900.0,
        ("value", "R2"): 1300.0,
        ("quantity", "R1"): 90.0,
        ("quantity", "R2"): 130.0,
    }


def test_allocate_plan_new_product_takes_its_share(client: Client) -> None:
    """A new product with a 10 % share takes 220 of 2200; the old lines share the rest."""
    body = {**plan_body(), "new_products": [{"line": "soda", "share": 0.1, "like": "juice"}]}
    response = client.request("POST", "/v1/allocate-plan", json=body)
    assert response.status_code == 200, response.text
    lines = response.json()["lines"]
    value = {r["product_line"]: r["target"] for r in lines if r["measure"] == "value"}
    assert value["soda"] == 220.0 and value["tea"] + value["juice"] == 1980.0


def test_allocate_plan_bad_requests_are_422_problems(client: Client) -> None:
    """A negative target and an unknown member give 422 problem details naming them."""
    negative = {**plan_body(), "measures": [{"name": "value", "target": -5}]}
    response = client.request("POST", "/v1/allocate-plan", json=negative)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["type"] == "/problems/validation_error"
    assert "non-negative" in problem["detail"] and "'value'" in problem["detail"]
    unknown = {**plan_body(), "measures": [{"name": "value", "target": 5, "colour": 1}]}
    response = client.request("POST", "/v1/allocate-plan", json=unknown)
    assert response.status_code == 422, response.text
    pointers = [e["pointer"] for e in response.json()["errors"]]
    assert pointers == ["#/measures/0/colour"]


def test_allocate_plan_job_result_matches_sync(client: Client) -> None:
    """The same plan as a job: its result is the synchronous answer."""
    sync = client.request("POST", "/v1/allocate-plan", json=plan_body()).json()
    job = client.request("POST", "/v1/jobs/allocate-plan", json=plan_body())
    assert job.status_code == 202, job.text
    done = wait_for(client, job.json()["id"], lambda b: b["state"] in {"done", "failed"})
    assert done["state"] == "done", done
    assert done["result"] == sync
