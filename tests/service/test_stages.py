"""Jobs and concurrency over HTTP, on the territories stage (ASGI transport, real stages).

The stages' own endpoints are tested in ``test_stage_<name>.py``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from territory.service import ServiceConfig
from territory.service.testing import InProcessClient as Client
from territory_cases import territories_body, wait_for


@pytest.fixture
def client(make_client: Callable[..., Client]) -> Client:
    return make_client(job_workers=1, max_time_limit=30)


def available(client: Client, stage: str) -> bool:
    stages = client.request("GET", "/v1/health").json()["stages"]
    return any(s["name"] == stage and s["available"] for s in stages)


# ----------------------------------------------------------------------- jobs


def test_job_submit_poll_and_result_match_sync(client: Client, region: Any) -> None:
    """A territories job returns 202 + Location, and its result equals the direct call."""
    body = territories_body(region, seed=2)
    response = client.request("POST", "/v1/jobs/territories", json=body)
    assert response.status_code == 202, response.text
    job = response.json()
    assert job["state"] in ("queued", "running") and job["stage"] == "territories"
    assert response.headers["location"] == f"/v1/jobs/{job['id']}"
    done = wait_for(client, job["id"], lambda b: b["state"] in {"done", "failed"})
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
    wait_for(client, first["id"], lambda b: b["state"] == "done")
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
    failed = wait_for(client, job["id"], lambda b: b["state"] in {"failed", "done"})
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
