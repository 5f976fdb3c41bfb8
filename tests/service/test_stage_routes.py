"""End-to-end tests of POST /v1/plan-routes and plan-routes jobs (real planner, short runs)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from territory.datasets import sample_region
from territory.grading import RelationshipPotentialMatrix, VisitPolicy
from territory.service import ServiceConfig
from territory.service.testing import InProcessClient as Client
from territory_cases import wait_for

SMALL: dict[str, Any] = {
    "customers": [
        {"customer_id": "a", "lon": 9.0, "lat": 48.0, "visits_per_cycle": 4, "service_minutes": 30},
        {
            "customer_id": "b",
            "lon": 9.05,
            "lat": 48.0,
            "visits_per_cycle": 2,
            "service_minutes": 20,
        },
    ],
    "reps": [{"rep_id": "r1", "home_lon": 9.02, "home_lat": 48.01}],
    "cycle": {"weeks": 4, "days": 5},
    "time_limit": 2,
    "seed": 0,
}


@pytest.fixture
def client(make_client: Callable[..., Client]) -> Client:
    return make_client(job_workers=1, max_time_limit=20)


def region_body(time_limit: float) -> dict[str, Any]:
    """200 sample customers with default-policy visit requirements, 3 reps, 4 x 5 days."""
    region = sample_region(200, seed=3)
    grades = RelationshipPotentialMatrix().grade(region.customers)
    needs = VisitPolicy.default().requirements(grades)
    customers = region.customers.drop(columns=["grade"], errors="ignore").merge(
        needs, on="customer_id"
    )
    return {
        "customers": json.loads(customers.to_json(orient="records")),
        "reps": json.loads(region.reps.to_json(orient="records")),
        "time_limit": time_limit,
    }


def test_health_lists_plan_routes(client: Client) -> None:
    """The planner is installed, so health lists plan-routes as available."""
    stages = {
        s["name"]: s["available"] for s in client.request("GET", "/v1/health").json()["stages"]
    }
    assert stages["plan-routes"] is True


def test_plan_routes_plans_every_visit_of_small_case(client: Client) -> None:
    """Two customers needing 4 + 2 visits and one rep: all 6 visits planned, JSON plan."""
    response = client.request("POST", "/v1/plan-routes", json=SMALL)
    assert response.status_code == 200, response.text
    plan = response.json()
    assert plan["visits_required"] == 6 and plan["visits_planned"] == 6
    assert len(plan["visits"]) == 6 and plan["unplanned"] == []
    per_customer = {c: sum(v["customer_id"] == c for v in plan["visits"]) for c in "ab"}
    assert per_customer == {"a": 4, "b": 2}
    assert {v["rep_id"] for v in plan["visits"]} == {"r1"}
    assert plan["summary"].startswith("route plan: 6 of 6 visits")


def test_plan_routes_same_request_and_seed_same_plan(client: Client) -> None:
    """The same request and seed give the same visits."""
    first = client.request("POST", "/v1/plan-routes", json=SMALL).json()
    second = client.request("POST", "/v1/plan-routes", json=SMALL).json()
    assert first["visits"] == second["visits"]


def test_plan_routes_replans_from_previous_visits(client: Client) -> None:
    """A request with last cycle's visits keeps their days and returns the changes."""
    body = json.loads(json.dumps(SMALL)) | {"iterations": 50}
    first = client.request("POST", "/v1/plan-routes", json=body).json()
    body["previous"] = first["visits"]
    body["customers"].append(
        {"customer_id": "new", "lon": 9.03, "lat": 48.0, "visits_per_cycle": 1}
        | {"service_minutes": 15}
    )
    response = client.request("POST", "/v1/plan-routes", json=body)
    assert response.status_code == 200, response.text
    again = response.json()

    def days(plan: dict[str, Any]) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for visit in plan["visits"]:
            out.setdefault(visit["customer_id"], []).append(visit["day"])
        return {c: sorted(d) for c, d in out.items()}

    assert {c: d for c, d in days(again).items() if c != "new"} == days(first)
    reasons = {row["customer_id"]: row["reason"] for row in again["changes"]}
    assert reasons["new"] == "new customer"
    assert again["change_summary"].startswith("1 of 3 customers changed")


def test_plan_routes_reports_unplanned_with_reason(client: Client) -> None:
    """A customer whose visits cannot fit comes back in 'unplanned' with a reason."""
    body = json.loads(json.dumps(SMALL))
    body["customers"].append(
        {
            "customer_id": "c",
            "lon": 9.01,
            "lat": 48.0,
            "visits_per_cycle": 30,
            "service_minutes": 10,
        }
    )
    response = client.request("POST", "/v1/plan-routes", json=body)
    assert response.status_code == 200, response.text
    unplanned = {row["customer_id"]: row for row in response.json()["unplanned"]}
    assert "c" in unplanned and unplanned["c"]["reason"]


def test_plan_routes_validation_error_names_table_column_ids(client: Client) -> None:
    """A negative service time is refused with the library's table/column/id message."""
    body = json.loads(json.dumps(SMALL))
    body["customers"][1]["service_minutes"] = -5
    response = client.request("POST", "/v1/plan-routes", json=body)
    assert response.status_code == 422, response.text
    error = response.json()
    assert error["type"] == "/problems/validation_error"
    assert "customers: column 'service_minutes'" in error["detail"] and "'b'" in error["detail"]


def test_plan_routes_limits(client: Client) -> None:
    """time_limit above TERRITORY_MAX_TIME_LIMIT and too many customers get 422."""
    response = client.request("POST", "/v1/plan-routes", json={**SMALL, "time_limit": 21})
    assert response.status_code == 422
    assert "TERRITORY_MAX_TIME_LIMIT" in response.json()["detail"]
    small = Client(ServiceConfig(job_store=":memory:", max_customers=1))
    try:
        response = small.request("POST", "/v1/plan-routes", json=SMALL)
        assert response.status_code == 422
        assert "limit of 1 (TERRITORY_MAX_CUSTOMERS)" in response.json()["detail"]
    finally:
        small.close()


def test_plan_routes_bad_option_types_are_422(client: Client) -> None:
    """An unknown engine or a non-numeric time_limit is refused by the request model."""
    for change in ({"engine": "magic"}, {"time_limit": "soon"}, {"cycle": {"weeks": 0}}):
        response = client.request("POST", "/v1/plan-routes", json={**SMALL, **change})
        assert response.status_code == 422, change
        assert response.json()["type"] == "/problems/invalid_request"


def test_plan_routes_job_reports_progress_and_result(client: Client) -> None:
    """A plan-routes job runs to done with progress per rep and the plan as result."""
    response = client.request("POST", "/v1/jobs/plan-routes", json=SMALL)
    assert response.status_code == 202, response.text
    job = wait_for(client, response.json()["id"], lambda b: b["state"] in ("done", "failed"))
    assert job["state"] == "done", job
    assert job["progress"]["done"] == job["progress"]["total"] == 1
    assert job["progress"]["fraction"] == 1.0
    direct = client.request("POST", "/v1/plan-routes", json=SMALL).json()
    assert job["result"]["visits"] == direct["visits"]


@pytest.mark.slow
def test_running_plan_routes_job_cancelled_stops_after_current_rep(client: Client) -> None:
    """Cancelling a running job stops the planner after the rep it is solving."""
    response = client.request("POST", "/v1/jobs/plan-routes", json=region_body(time_limit=12))
    job_id = response.json()["id"]
    wait_for(client, job_id, lambda b: (b["progress"] or {}).get("done", 0) >= 1)
    cancelled = client.request("DELETE", f"/v1/jobs/{job_id}")
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    store = client.app.state.service.jobs
    deadline = time.monotonic() + 30
    while store.active and time.monotonic() < deadline:
        time.sleep(0.02)
    assert store.active == 0
    final = client.request("GET", f"/v1/jobs/{job_id}").json()
    assert final["state"] == "cancelled" and "result" not in final
    assert final["progress"]["done"] < final["progress"]["total"] == 3
