"""Problem details (:mod:`territory.service.problems`): one entry per problem, resolvable types."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from territory.service.models import ProblemDetails
from territory.service.problems import PROBLEM_TYPES
from territory.service.testing import InProcessClient as Client

PLAN = {
    "customers": [
        {"customer_id": "a", "lon": 9.0, "lat": 48.0, "visits_per_cycle": 2, "service_minutes": 30},
        {
            "customer_id": "b",
            "lon": 9.05,
            "lat": 48.0,
            "visits_per_cycle": 1,
            "service_minutes": 20,
        },
    ],
    "reps": [{"rep_id": "r1", "home_lon": 9.02, "home_lat": 48.01}],
    "time_limit": 2,
    "iterations": 20,
}


@pytest.fixture
def client(make_client: Callable[..., Client]) -> Client:
    return make_client(job_workers=1)


def test_validation_problems_are_separate_entries(client: Client) -> None:
    """A request with two bad rows gets one 'errors' entry per problem, with pointers."""
    body = {**PLAN, "reps": [{"rep_id": "r1", "home_lon": [9.0]}], "time_limit": -1}
    response = client.post("/v1/plan-routes", json=body)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = ProblemDetails.model_validate(response.json())
    assert problem.type == "/problems/invalid_request" and problem.errors is not None
    pointers = {entry.pointer for entry in problem.errors}
    assert "#/time_limit" in pointers and any(p and p.startswith("#/reps/0") for p in pointers)


def test_library_problems_name_table_and_column(client: Client) -> None:
    """Each ValidationError problem is an entry naming its table and column."""
    customers = [dict(c) for c in PLAN["customers"]]  # type: ignore[attr-defined]
    customers[0]["lat"] = 123.0
    customers[1]["service_minutes"] = -5
    response = client.post("/v1/plan-routes", json={**PLAN, "customers": customers})
    assert response.status_code == 422, response.text
    entries = response.json()["errors"]
    where = {(e["table"], e["column"]) for e in entries}
    assert {("customers", "lat"), ("customers", "service_minutes")} <= where
    assert all(e["pointer"] is None for e in entries)


def test_every_problem_type_resolves(client: Client) -> None:
    """GET /problems/{code} describes every type the service uses; unknown codes are 404."""
    for code, kind in PROBLEM_TYPES.items():
        response = client.get(f"/problems/{code}")
        assert response.status_code == 200
        body = response.json()
        assert body["type"] == f"/problems/{code}" and body["title"] == kind.title
    missing = client.get("/problems/nope")
    assert missing.status_code == 404 and missing.json()["type"] == "/problems/not_found"
