"""Tests of the HTTP service through the ASGI transport: health, errors, limits, auth."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from territory.service import ServiceConfig
from territory.service.testing import InProcessClient as Client

CUSTOMERS = [
    {"customer_id": "a", "relationship": 5, "potential": 900.0},
    {"customer_id": "b", "relationship": 2, "potential": 800.0},
    {"customer_id": "c", "relationship": 4, "potential": 100.0},
    {"customer_id": "d", "relationship": 1, "potential": 50.0},
]
GRADE_BODY: dict[str, Any] = {
    "customers": CUSTOMERS,
    "scheme": {"name": "matrix", "parameters": {"high_potential": 500}},
}


@pytest.fixture
def client(make_client: Callable[..., Client]) -> Client:
    return make_client()


def make_client(**limits: Any) -> Client:
    return Client(ServiceConfig(job_store=":memory:", **limits))


def assert_error(response: httpx.Response, status: int, type_: str) -> str:
    """Check the problem details body (RFC 9457) and return its detail."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert {"type", "title", "status", "detail", "instance"} <= set(body)
    assert set(body) <= {"type", "title", "status", "detail", "instance", "errors", "job"}
    assert body["type"] == f"/problems/{type_}" and body["status"] == status
    assert body["instance"] == response.request.url.path
    message: str = body["detail"]
    assert "Traceback" not in response.text and "/work/" not in response.text
    assert ".py" not in response.text
    return message


# ----------------------------------------------------------------------- health and errors


def test_health_lists_stages_version_and_limits(client: Client) -> None:
    """Health reports status, version, every stage with availability, and the limits."""
    body = client.get("/v1/health").json()
    assert body["status"] == "ok"
    assert body["version"] == "0.1.0"
    names = {s["name"]: s for s in body["stages"]}
    assert set(names) == {"plan-routes", "grade", "territories", "allocate", "allocate-plan"}
    assert names["grade"]["available"] is True
    for stage in names.values():
        assert stage["available"] or "needs territory." in stage["reason"]
    assert body["limits"]["max_customers"] == 5000
    assert body["auth_required"] is False


def test_unknown_path_is_json_404(client: Client) -> None:
    """An unknown path gets a JSON 404 naming the path."""
    message = assert_error(client.get("/v1/nothing-here"), 404, "not_found")
    assert "/v1/nothing-here" in message


def test_unknown_job_is_json_404(client: Client) -> None:
    """An unknown job id gets a JSON 404."""
    assert_error(client.get("/v1/jobs/no-such-job"), 404, "not_found")
    assert_error(client.request("DELETE", "/v1/jobs/no-such-job"), 404, "not_found")


def test_unexpected_exception_is_json_500_without_details(client: Client) -> None:
    """An unexpected exception becomes a JSON 500 without trace, path or exception text."""

    async def broken() -> None:
        raise RuntimeError("secret detail in /srv/app/internal.py")

    client.app.add_api_route("/v1/broken", broken)
    message = assert_error(client.get("/v1/broken"), 500, "internal_error")
    assert "secret" not in message


def test_wrong_method_is_json_405(client: Client) -> None:
    """A wrong method gets a JSON 405."""
    assert_error(client.post("/v1/health"), 405, "method_not_allowed")


def test_body_that_is_not_json_is_422(client: Client) -> None:
    """A body that is not JSON is refused with a JSON 422."""
    response = client.post(
        "/v1/grade", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert "not valid JSON" in assert_error(response, 422, "invalid_request")


def test_body_with_wrong_types_names_the_field(client: Client) -> None:
    """Wrong types are refused with 422 naming the field, without echoing the input."""
    body = {"customers": "everyone", "scheme": {"name": "matrix"}}
    message = assert_error(client.post("/v1/grade", json=body), 422, "invalid_request")
    assert "customers" in message
    nested = {"customers": [{"customer_id": {"x": 1}}], "scheme": {"name": "matrix"}}
    message = assert_error(client.post("/v1/grade", json=nested), 422, "invalid_request")
    assert "customers.0.customer_id" in message


def test_unknown_field_is_refused(client: Client) -> None:
    """A field the model does not know is refused rather than ignored."""
    body = {**GRADE_BODY, "colour": "blue"}
    assert "colour" in assert_error(client.post("/v1/grade", json=body), 422, "invalid_request")


def test_library_validation_error_names_table_column_and_ids(client: Client) -> None:
    """The library's ValidationError reaches the client as 422 with table, column and ids."""
    customers = [dict(c) for c in CUSTOMERS]
    customers[1]["potential"] = "lots"
    customers[3]["customer_id"] = "a"
    response = client.post("/v1/grade", json={**GRADE_BODY, "customers": customers})
    message = assert_error(response, 422, "validation_error")
    assert "customers: column 'customer_id'" in message
    assert "'a'" in message
    entries = response.json()["errors"]  # one entry per problem
    assert entries and all(e["table"] == "customers" for e in entries)
    assert "customer_id" in {e["column"] for e in entries}
    assert all(e["detail"] in message for e in entries)


# ----------------------------------------------------------------------- limits


def test_body_over_limit_by_content_length_is_413() -> None:
    """A body whose Content-Length exceeds the limit gets 413 naming the limit."""
    c = make_client(max_body_bytes=200)
    try:
        message = assert_error(c.post("/v1/grade", json=GRADE_BODY), 413, "payload_too_large")
        assert "200 bytes" in message and "TERRITORY_MAX_BODY_BYTES" in message
        assert c.post("/v1/grade", json={"x": 1}).status_code == 422  # small body passes
    finally:
        c.close()


def test_streamed_body_over_limit_is_413() -> None:
    """A chunked body without Content-Length is counted as it streams and refused at 413."""
    c = make_client(max_body_bytes=200)
    payload = json.dumps(GRADE_BODY).encode()

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(payload), 50):
            yield payload[start : start + 50]

    try:
        response = c.post(
            "/v1/grade", content=chunks(), headers={"content-type": "application/json"}
        )
        assert "TERRITORY_MAX_BODY_BYTES" in assert_error(response, 413, "payload_too_large")
    finally:
        c.close()


def test_streamed_body_under_limit_is_served() -> None:
    """A chunked body within the limit is replayed to the app intact."""
    c = make_client()
    payload = json.dumps(GRADE_BODY).encode()

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(payload), 7):
            yield payload[start : start + 7]

    try:
        response = c.post(
            "/v1/grade", content=chunks(), headers={"content-type": "application/json"}
        )
        assert response.status_code == 200, response.text
    finally:
        c.close()


def test_too_many_customers_is_422_naming_the_limit() -> None:
    """More customers than TERRITORY_MAX_CUSTOMERS get 422 with the limit's value."""
    c = make_client(max_customers=3)
    try:
        message = assert_error(c.post("/v1/grade", json=GRADE_BODY), 422, "limit_exceeded")
        assert "4 records" in message and "limit of 3" in message
        assert "TERRITORY_MAX_CUSTOMERS" in message
    finally:
        c.close()


# ----------------------------------------------------------------------- auth


def test_api_key_missing_wrong_and_right() -> None:
    """With TERRITORY_API_KEY set: no key and a wrong key get 401, the right key passes."""
    c = make_client(api_key="s3cret-key")
    try:
        assert_error(c.post("/v1/grade", json=GRADE_BODY), 401, "unauthorized")
        wrong = {"X-API-Key": "s3cret-kex"}
        assert_error(c.post("/v1/grade", json=GRADE_BODY, headers=wrong), 401, "unauthorized")
        assert_error(c.get("/v1/jobs/x"), 401, "unauthorized")
        right = {"X-API-Key": "s3cret-key"}
        assert c.post("/v1/grade", json=GRADE_BODY, headers=right).status_code == 200
        health = c.get("/v1/health")
        assert health.status_code == 200 and health.json()["auth_required"] is True
    finally:
        c.close()


# ----------------------------------------------------------------------- grading stage


def test_grade_matrix_with_default_policy(client: Client) -> None:
    """POST /v1/grade grades the hand-checked matrix example and derives requirements."""
    response = client.post("/v1/grade", json={**GRADE_BODY, "policy": "default"})
    assert response.status_code == 200, response.text
    body = response.json()
    grades = {row["customer_id"]: row["grade"] for row in body["grades"]["customers"]}
    assert grades == {"a": "A", "b": "B", "c": "C", "d": "D"}
    visits = {row["customer_id"]: row["visits_per_cycle"] for row in body["requirements"]}
    assert visits == {"a": 8, "b": 4, "c": 2, "d": 1}


def test_grade_pareto_with_sales_and_custom_policy(client: Client) -> None:
    """Pareto ABC from a sales table, with a policy given as JSON."""
    sales = [
        {"customer_id": cid, "month": "2026-01", "sales": value}
        for cid, value in zip("abcd", [70.0, 20.0, 10.0, 0.0], strict=True)
    ]
    policy = {
        g: {"visits_per_cycle": n, "service_minutes": 10}
        for g, n in zip("ABCD", [4, 3, 2, 1], strict=True)
    }
    body = {
        "customers": [{"customer_id": cid} for cid in "abcd"],
        "sales": sales,
        "scheme": {"name": "pareto_abc", "parameters": {"window_months": 1}},
        "policy": policy,
    }
    response = client.post("/v1/grade", json=body)
    assert response.status_code == 200, response.text
    result = response.json()
    assert [r["grade"] for r in result["grades"]["customers"]] == ["A", "B", "C", "D"]
    assert [r["visits_per_cycle"] for r in result["requirements"]] == [4, 3, 2, 1]


def test_grade_unknown_scheme_parameter_is_422(client: Client) -> None:
    """An unknown scheme parameter is refused, naming it and the known ones."""
    body = {**GRADE_BODY, "scheme": {"name": "matrix", "parameters": {"colour": 1}}}
    message = assert_error(client.post("/v1/grade", json=body), 422, "validation_error")
    assert "'colour'" in message and "high_potential" in message


def test_grade_pareto_without_sales_is_422(client: Client) -> None:
    """Pareto ABC without a sales table is a validation error, not a crash."""
    body = {**GRADE_BODY, "scheme": {"name": "pareto_abc"}}
    assert "sales" in assert_error(client.post("/v1/grade", json=body), 422, "validation_error")


def test_concurrent_requests_do_not_interfere(client: Client) -> None:
    """Concurrent requests on one app each get their own, correct answer."""
    bodies = []
    for k in range(8):
        customers = [dict(c, customer_id=f"{c['customer_id']}{k}") for c in CUSTOMERS]
        bodies.append({**GRADE_BODY, "customers": customers})

    async def run_all() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            return list(await asyncio.gather(*(http.post("/v1/grade", json=b) for b in bodies)))

    responses = asyncio.run(run_all())
    for k, response in enumerate(responses):
        rows = response.json()["grades"]["customers"]
        assert [r["customer_id"] for r in rows] == [f"{x}{k}" for x in "abcd"]
        assert [r["grade"] for r in rows] == ["A", "B", "C", "D"]
