"""End-to-end tests of the service's stage endpoints and jobs (ASGI transport, real stages)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from territory.datasets import sample_region
from territory.service import ServiceConfig
from territory.service.testing import InProcessClient as Client


@pytest.fixture
def client() -> Iterator[Client]:
    c = Client(ServiceConfig(job_store=":memory:", job_workers=1, max_time_limit=30))
    yield c
    c.close()


def records(frame: Any) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = json.loads(frame.to_json(orient="records"))
    return result


@pytest.fixture(scope="module")
def region() -> Any:
    return sample_region(200, seed=3)


def territories_body(region: Any, **options: Any) -> dict[str, Any]:
    return {
        "customers": records(region.customers),
        "reps": records(region.reps),
        "balance": {"count": 0.15, "potential": 0.15},
        "time_limit": 20,
        **options,
    }


def available(client: Client, stage: str) -> bool:
    stages = client.request("GET", "/v1/health").json()["stages"]
    return any(s["name"] == stage and s["available"] for s in stages)


def wait_for(client: Client, job_id: str, states: set[str], timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = client.request("GET", f"/v1/jobs/{job_id}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        if body["state"] in states:
            return body
        time.sleep(0.02)
    raise AssertionError(f"job {job_id} did not reach {states}")


# ----------------------------------------------------------------------- territories


def test_territories_assigns_every_customer_once(client: Client, region: Any) -> None:
    """POST /v1/territories assigns each customer to exactly one known rep."""
    response = client.request("POST", "/v1/territories", json=territories_body(region))
    assert response.status_code == 200, response.text
    plan = response.json()
    assignment = plan["assignment"]
    ids = [row["customer_id"] for row in assignment]
    assert sorted(ids) == sorted(region.customers["customer_id"])
    assert {row["rep_id"] for row in assignment} <= set(region.reps["rep_id"])
    assert plan["n_customers"] == 200 and "territories:" in plan["summary"]


def test_territories_same_request_and_seed_same_plan(client: Client, region: Any) -> None:
    """The same request and seed give the same assignment."""
    body = territories_body(region, seed=7)
    first = client.request("POST", "/v1/territories", json=body).json()["assignment"]
    second = client.request("POST", "/v1/territories", json=body).json()["assignment"]
    assert first == second


def test_territories_time_limit_over_limit_is_422(client: Client, region: Any) -> None:
    """A time_limit above TERRITORY_MAX_TIME_LIMIT gets 422 naming the limit and its value."""
    response = client.request(
        "POST", "/v1/territories", json=territories_body(region, time_limit=31)
    )
    assert response.status_code == 422
    message = response.json()["detail"]
    assert "31 s" in message and "30 s" in message and "TERRITORY_MAX_TIME_LIMIT" in message


def test_territories_bad_reps_name_table_column_ids(client: Client, region: Any) -> None:
    """A reps table with a bad coordinate gets the library's message with table/column/id."""
    body = territories_body(region)
    body["reps"][0]["home_lat"] = 123.0
    response = client.request("POST", "/v1/territories", json=body)
    assert response.status_code == 422, response.text
    error = response.json()
    rep_id = body["reps"][0]["rep_id"]
    assert error["type"] == "/problems/validation_error"
    assert "reps" in error["detail"] and "home_lat" in error["detail"]
    assert rep_id in error["detail"]


# ----------------------------------------------------------------------- allocation


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


# ----------------------------------------------------------------------- jobs


def test_job_submit_poll_and_result_match_sync(client: Client, region: Any) -> None:
    """A territories job returns 202 + Location, and its result equals the direct call."""
    body = territories_body(region, seed=2)
    response = client.request("POST", "/v1/jobs/territories", json=body)
    assert response.status_code == 202, response.text
    job = response.json()
    assert job["state"] in ("queued", "running") and job["stage"] == "territories"
    assert response.headers["location"] == f"/v1/jobs/{job['id']}"
    done = wait_for(client, job["id"], {"done", "failed"})
    assert done["state"] == "done", done
    direct = client.request("POST", "/v1/territories", json=body).json()
    assert done["result"]["assignment"] == direct["assignment"]


def test_queued_job_cancelled_never_starts(client: Client, region: Any) -> None:
    """With the one job worker busy, DELETE on a queued job cancels it before it starts."""
    body = territories_body(region)
    first = client.request("POST", "/v1/jobs/territories", json=body).json()
    second = client.request("POST", "/v1/jobs/territories", json=body).json()
    cancelled = client.request("DELETE", f"/v1/jobs/{second['id']}")
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["state"] == "cancelled"
    wait_for(client, first["id"], {"done"})
    time.sleep(0.1)
    final = client.request("GET", f"/v1/jobs/{second['id']}").json()
    assert final["state"] == "cancelled" and final["started_at"] is None and "result" not in final
    again = client.request("DELETE", f"/v1/jobs/{first['id']}")
    assert again.status_code == 409 and again.json()["type"] == "/problems/conflict"


def test_job_with_invalid_input_is_refused_or_fails(client: Client, region: Any) -> None:
    """Limits are checked at submission; library validation errors end the job as failed."""
    body = territories_body(region)
    body["customers"][0]["lon"] = "east"
    job = client.request("POST", "/v1/jobs/territories", json=body).json()
    failed = wait_for(client, job["id"], {"failed", "done"})
    assert failed["state"] == "failed"
    assert (
        failed["error"]["type"] == "/problems/validation_error"
        and "lon" in failed["error"]["detail"]
    )


def test_too_many_jobs_is_429_with_retry_after(region: Any) -> None:
    """Beyond TERRITORY_MAX_JOBS queued or running jobs, submissions get 429 + Retry-After."""
    c = Client(ServiceConfig(job_store=":memory:", job_workers=1, max_jobs=1))
    try:
        body = territories_body(region)
        first = c.request("POST", "/v1/jobs/territories", json=body)
        assert first.status_code == 202
        refused = c.request("POST", "/v1/jobs/territories", json=body)
        assert refused.status_code == 429
        assert refused.headers["retry-after"].isdigit()
        message = refused.json()["detail"]
        assert "limit is 1" in message and "TERRITORY_MAX_JOBS" in message
        c.request("DELETE", f"/v1/jobs/{first.json()['id']}")
    finally:
        c.close()


def test_sync_solves_over_max_pending_get_503(region: Any) -> None:
    """Beyond TERRITORY_MAX_PENDING concurrent synchronous solves, requests get 503."""
    c = Client(ServiceConfig(job_store=":memory:", max_pending=1))
    body = territories_body(region)

    async def two_at_once() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=c.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            calls = (http.post("/v1/territories", json=body) for _ in range(2))
            return list(await asyncio.gather(*calls))

    try:
        statuses = sorted(r.status_code for r in asyncio.run(two_at_once()))
        assert statuses == [200, 503]
        refused = next(r for r in asyncio.run(two_at_once()) if r.status_code == 503)
        assert refused.headers["retry-after"].isdigit()
        assert "TERRITORY_MAX_PENDING" in refused.json()["detail"]
    finally:
        c.close()


def test_solves_do_not_block_the_event_loop(
    client: Client, region: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Health answers while a solve runs: solves run in the thread pool, not on the loop."""
    import threading

    from territory.territories import TerritoryPlan

    release = threading.Event()
    real = TerritoryPlan.to_dict

    def held(plan: TerritoryPlan) -> dict[str, Any]:
        release.wait(timeout=30)  # the solve holds its worker thread until health answered
        return real(plan)

    monkeypatch.setattr(TerritoryPlan, "to_dict", held)
    body = territories_body(region)
    finished: list[str] = []

    async def solve(http: httpx.AsyncClient) -> None:
        response = await http.post("/v1/territories", json=body)
        assert response.status_code == 200
        finished.append("solve")

    async def health(http: httpx.AsyncClient) -> None:
        await asyncio.sleep(0.1)
        assert (await http.get("/v1/health")).status_code == 200
        finished.append("health")
        release.set()

    async def both() -> None:
        transport = httpx.ASGITransport(app=client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            await asyncio.gather(solve(http), health(http))

    asyncio.run(both())
    assert finished == ["health", "solve"]


# ----------------------------------------------------------------------- allocate-plan


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
    done = wait_for(client, job.json()["id"], {"done", "failed"})
    assert done["state"] == "done", done
    assert done["result"] == sync
