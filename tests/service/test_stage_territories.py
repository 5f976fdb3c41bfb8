"""End-to-end tests of ``POST /v1/territories`` (ASGI transport, the real stage)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from territory.service.testing import InProcessClient as Client
from territory_cases import territories_body


@pytest.fixture
def client(make_client: Callable[..., Client]) -> Client:
    return make_client(job_workers=1, max_time_limit=30)


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
