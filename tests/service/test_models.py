"""Tests of the typed HTTP API: response models, problem details, ids, jobs, variables.

Also: durable jobs by default, 410 for expired jobs, shared job store files.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from territory.service import ENVIRONMENT_VARIABLES, ServiceConfig, create_app
from territory.service.models import HealthResponse, JobList, JobResponse, ProblemDetails
from territory.service.openapi import openapi_document
from territory.service.problems import PROBLEM_TYPES
from territory.service.results import (
    AllocatePlanResult,
    AllocateResult,
    GradeResult,
    PlanRoutesResult,
    TerritoriesResult,
)
from territory.service.testing import InProcessClient as Client

REPO = Path(__file__).resolve().parents[2]

GRADE = {
    "customers": [
        {"customer_id": "a", "relationship": 5, "potential": 900.0},
        {"customer_id": "b", "relationship": 2, "potential": 100.0},
    ],
    "scheme": {"name": "matrix", "parameters": {"high_potential": 500}},
    "policy": "default",
}
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
TERRITORIES = {
    "customers": [
        {"customer_id": f"c{i}", "lon": 9.0 + 0.01 * (i % 4), "lat": 48.0 + 0.01 * (i // 4)}
        for i in range(12)
    ],
    "reps": [
        {"rep_id": "r1", "home_lon": 9.0, "home_lat": 48.0},
        {"rep_id": "r2", "home_lon": 9.03, "home_lat": 48.02},
    ],
    "balance": {"count": 0.2},
    "time_limit": 5,
    "starts": 1,
    "kicks": 2,
}
ALLOCATE = {
    "target": 1000,
    "hierarchy": [
        {"team": "T1", "rep_id": "R1", "potential": 300.0},
        {"team": "T2", "rep_id": "R2", "potential": 700.0},
    ],
    "levels": ["team", "rep_id"],
    "potential": "potential",
    "methods": "potential",
    "months": 2027,
}
ALLOCATE_PLAN = {
    "hierarchy": [
        {"team": "T1", "rep_id": "R1", "potential": 300.0, "market": 3000.0},
        {"team": "T2", "rep_id": "R2", "potential": 700.0, "market": 7000.0},
    ],
    "levels": ["team", "rep_id"],
    "potential": "potential",
    "methods": "potential",
    "months": 2027,
    "measures": [
        {"name": "value", "target": 1000},
        {"name": "share", "share": 0.1, "market": "market"},
    ],
}
STAGES: list[tuple[str, dict[str, Any], type[BaseModel]]] = [
    ("grade", GRADE, GradeResult),
    ("plan-routes", PLAN, PlanRoutesResult),
    ("territories", TERRITORIES, TerritoriesResult),
    ("allocate", ALLOCATE, AllocateResult),
    ("allocate-plan", ALLOCATE_PLAN, AllocatePlanResult),
]


@pytest.fixture
def client() -> Iterator[Client]:
    c = Client(ServiceConfig(job_store=":memory:", job_workers=1))
    yield c
    c.close()


def wait_done(client: Client, job_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body: dict[str, Any] = client.get(f"/v1/jobs/{job_id}").json()
        if body.get("state") not in ("queued", "running"):
            return body
        time.sleep(0.02)
    raise AssertionError(f"job {job_id} did not finish")


def assert_model(model: type[BaseModel], body: dict[str, Any]) -> None:
    """The body validates, and every member the model declares as required is there."""
    model.model_validate(body)
    required = {name for name, field in model.model_fields.items() if field.is_required()}
    assert required <= set(body), required - set(body)


# ----------------------------------------------------------------------- response models


@pytest.mark.parametrize(("stage", "body", "model"), STAGES, ids=[s[0] for s in STAGES])
def test_every_stage_answers_its_response_model(
    client: Client, stage: str, body: dict[str, Any], model: type[BaseModel]
) -> None:
    """Each stage's 200 body validates against the model the OpenAPI document declares."""
    response = client.post(f"/v1/{stage}", json=body)
    assert response.status_code == 200, response.text
    assert_model(model, response.json())
    operation = openapi_document()["paths"][f"/v1/{stage}"]["post"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": f"#/components/schemas/{model.__name__}"}


def test_job_answers_and_health_match_their_models(client: Client) -> None:
    """Submitted, finished and listed jobs and health validate against their models."""
    submitted = client.post("/v1/jobs/grade", json=GRADE)
    assert submitted.status_code == 202
    assert_model(JobResponse, submitted.json())
    done = wait_done(client, submitted.json()["id"])
    assert done["state"] == "done"
    job = JobResponse.model_validate(done)
    assert isinstance(job.result, GradeResult)  # the union picks the stage's real type
    assert_model(JobList, client.get("/v1/jobs").json())
    assert_model(HealthResponse, client.get("/v1/health").json())


def test_openapi_has_consistent_operation_ids_and_typed_answers() -> None:
    """Every operation has a verb_noun id; every 2xx has a schema; errors are problems."""
    document = openapi_document()
    ids = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            ids.append(operation["operationId"])
            for status, response in operation["responses"].items():
                content = response.get("content", {})
                if status.startswith("2"):
                    schema = content["application/json"]["schema"]
                    assert schema, f"{method} {path} {status} has no response model"
                    assert schema.get("$ref") or schema.get("type") == "object"
                else:
                    assert set(content) == {"application/problem+json"}, (path, status)
                    ref = content["application/problem+json"]["schema"]["$ref"]
                    assert ref.endswith("/ProblemDetails"), (path, status)
    assert not {"HTTPValidationError", "ValidationError"} & set(document["components"]["schemas"])
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"(get|run|submit|list|cancel)_[a-z_]+", i) for i in ids), ids
    assert {"get_health", "list_jobs", "get_job", "cancel_job", "run_grade"} <= set(ids)
    assert {"submit_plan_routes_job", "get_problem_type"} <= set(ids)


# ----------------------------------------------------------------------- problem details


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


# ----------------------------------------------------------------------- jobs


def test_job_list_shows_the_callers_jobs_newest_first() -> None:
    """GET /v1/jobs lists this key's jobs (not others'), newest first, with filters."""
    with Client(ServiceConfig(job_store=":memory:", api_key="k1", job_workers=1)) as client:
        key = {"X-API-Key": "k1"}
        first = client.post("/v1/jobs/grade", json=GRADE, headers=key).json()["id"]
        second = client.post("/v1/jobs/grade", json=GRADE, headers=key).json()["id"]
        store = client.app.state.service.jobs
        other = store.submit("grade", lambda control: {"ok": True}, caller="someone-else")
        for job_id in (first, second, other["id"]):
            deadline = time.monotonic() + 30
            while store.get(job_id)["state"] in ("queued", "running"):
                assert time.monotonic() < deadline
                time.sleep(0.02)
        listed = client.get("/v1/jobs", headers=key).json()
        assert [job["id"] for job in listed["jobs"]] == [second, first]
        assert listed["count"] == 2 and all("result" not in job for job in listed["jobs"])
        assert client.get("/v1/jobs?state=failed", headers=key).json()["jobs"] == []
        assert client.get("/v1/jobs?limit=1", headers=key).json()["count"] == 1
        assert client.get("/v1/jobs?state=bogus", headers=key).status_code == 422
        assert client.get("/v1/jobs").status_code == 401


def test_expired_job_is_410_gone_with_the_job() -> None:
    """A job whose result expired answers 410 with a problem holding the job; so does DELETE."""
    with Client(ServiceConfig(job_store=":memory:", job_ttl=0.2)) as client:
        job_id = client.post("/v1/jobs/grade", json=GRADE).json()["id"]
        assert wait_done(client, job_id)["state"] == "done"
        time.sleep(0.3)
        gone = client.get(f"/v1/jobs/{job_id}")
        assert gone.status_code == 410, gone.text
        assert gone.headers["content-type"] == "application/problem+json"
        body = gone.json()
        assert body["type"] == "/problems/expired" and "TERRITORY_JOB_TTL" in body["detail"]
        assert body["job"]["id"] == job_id and body["job"]["state"] == "expired"
        assert client.request("DELETE", f"/v1/jobs/{job_id}").status_code == 410
        listed = client.get("/v1/jobs").json()["jobs"]
        assert [job["state"] for job in listed] == ["expired"]


def test_create_app_keeps_jobs_in_a_file_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """create_app() alone stores jobs in TERRITORY_JOB_STORE's SQLite file (default in cwd)."""
    monkeypatch.chdir(tmp_path)
    for variable in ENVIRONMENT_VARIABLES.values():
        monkeypatch.delenv(variable, raising=False)
    app = create_app()
    try:
        assert app.state.service.jobs.database.path == "territory-jobs.sqlite3"
        assert (tmp_path / "territory-jobs.sqlite3").exists()
    finally:
        app.state.service.close()


def test_apps_on_one_file_share_jobs_and_outlive_each_other(tmp_path: Path) -> None:
    """A job submitted to one app (worker) is read from another, and after a restart."""
    config = ServiceConfig(job_store=str(tmp_path / "jobs.sqlite3"), job_workers=1)
    with Client(config) as one, Client(config) as two:
        job_id = one.post("/v1/jobs/grade", json=GRADE).json()["id"]
        assert wait_done(two, job_id)["state"] == "done"
        assert [job["id"] for job in two.get("/v1/jobs").json()["jobs"]] == [job_id]
    with Client(config) as restarted:
        again = restarted.get(f"/v1/jobs/{job_id}").json()
        assert again["state"] == "done" and again["result"]["grades"]["customers"]


def test_results_are_bounded_by_bytes_in_the_app(tmp_path: Path) -> None:
    """TERRITORY_MAX_RESULT_BYTES reaches the app's store: a larger result fails its job."""
    config = ServiceConfig(job_store=str(tmp_path / "jobs.sqlite3"), max_result_bytes=100)
    with Client(config) as client:
        job_id = client.post("/v1/jobs/grade", json=GRADE).json()["id"]
        failed = wait_done(client, job_id)
        assert failed["state"] == "failed"
        assert failed["error"]["type"] == "/problems/result_too_large"


# ----------------------------------------------------------------------- documentation


def test_every_territory_variable_is_documented() -> None:
    """Each TERRITORY_* variable the code reads is in ENVIRONMENT_VARIABLES and the README."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    source = "\n".join(
        path.read_text(encoding="utf-8") for path in (REPO / "src" / "territory").rglob("*.py")
    )
    used = set(re.findall(r"TERRITORY_[A-Z][A-Z_]*[A-Z]", source))
    assert used <= set(ENVIRONMENT_VARIABLES.values()), used - set(ENVIRONMENT_VARIABLES.values())
    undocumented = [v for v in ENVIRONMENT_VARIABLES.values() if f"`{v}`" not in readme]
    assert not undocumented, f"README.md does not document {undocumented}"
