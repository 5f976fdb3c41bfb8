"""Fuzzing the HTTP service: whatever the body, the answer is 200, 202 or a 4xx problem.

The same damage as ``test_fuzz_stages`` (extreme numbers, odd strings, missing and extra
members) is sent to every stage as JSON -- including ``NaN``, ``Infinity`` and ``1e400``,
which Python's JSON reader accepts -- and to the job endpoints. The service must never
answer 500: every bad input is a 422 (or 413) problem details body naming what is wrong,
and every 200 validates against the stage's response model.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from territory.service import ServiceConfig
from territory.service.models import ProblemDetails
from territory.service.results import (
    AllocateResult,
    GradeResult,
    PlanRoutesResult,
    TerritoriesResult,
)
from territory.service.testing import InProcessClient

#: Valid bodies (one per stage, ``stage#variant`` for more) and the model of their answer.
BODIES: dict[str, tuple[dict[str, Any], Any]] = {
    "grade": (
        {
            "customers": [
                {"customer_id": "a", "relationship": 5, "potential": 900.0},
                {"customer_id": "b", "relationship": 2, "potential": 100.0},
            ],
            "scheme": {"name": "matrix", "parameters": {"high_potential": 500}},
            "policy": "default",
        },
        GradeResult,
    ),
    "grade#pareto": (
        {
            "customers": [{"customer_id": "a"}, {"customer_id": "b"}, {"customer_id": "c"}],
            "sales": [
                {"customer_id": "a", "month": "2026-01", "sales": 70.0},
                {"customer_id": "b", "month": "2026-01", "sales": 20.0},
                {"customer_id": "c", "month": "2026-01", "sales": 10.0},
            ],
            "scheme": {"name": "pareto_abc", "parameters": {"window_months": 1}},
        },
        GradeResult,
    ),
    "plan-routes": (
        {
            "customers": [
                {
                    "customer_id": "a",
                    "lon": 9.0,
                    "lat": 48.0,
                    "visits_per_cycle": 2,
                    "service_minutes": 30,
                    "opens": "08:00",
                },
                {
                    "customer_id": "b",
                    "lon": 9.05,
                    "lat": 48.0,
                    "visits_per_cycle": 1,
                    "service_minutes": 20,
                    "min_gap_days": 1,
                },
            ],
            "reps": [
                {
                    "rep_id": "r1",
                    "home_lon": 9.02,
                    "home_lat": 48.01,
                    "day_start": "08:00",
                    "lunch_start": "12:00",
                }
            ],
            "cycle": {"weeks": 1, "days": 5},
            "time_limit": 1,
            "iterations": 10,
        },
        PlanRoutesResult,
    ),
    "plan-routes#previous": (
        {
            "customers": [
                {
                    "customer_id": "a",
                    "lon": 9.0,
                    "lat": 48.0,
                    "visits_per_cycle": 1,
                    "service_minutes": 20,
                },
                {
                    "customer_id": "b",
                    "lon": 9.05,
                    "lat": 48.0,
                    "visits_per_cycle": 1,
                    "service_minutes": 20,
                },
            ],
            "reps": [{"rep_id": "r1", "home_lon": 9.02, "home_lat": 48.01}],
            "previous": [
                {"rep_id": "r1", "day": 1, "seq": 1, "customer_id": "a", "locked": True},
                {"rep_id": "r1", "day": 2, "seq": 1, "customer_id": "b"},
            ],
            "cycle": {"weeks": 1, "days": 5},
            "time_limit": 1,
            "iterations": 10,
        },
        PlanRoutesResult,
    ),
    "territories#pairs": (
        {
            "customers": [
                {"customer_id": f"c{i}", "lon": 9.0 + 0.01 * i, "lat": 48.0, "current_rep_id": "r1"}
                for i in range(4)
            ],
            "reps": [
                {"rep_id": "r1", "home_lon": 9.0, "home_lat": 48.0},
                {"rep_id": "r2", "home_lon": 9.03, "home_lat": 48.0},
            ],
            "balance": {"count": 0.5},
            "pairs": [{"customer_id_a": "c0", "customer_id_b": "c1"}],
            "max_moves": 3,
            "time_limit": 1,
            "starts": 1,
            "kicks": 1,
        },
        TerritoriesResult,
    ),
    "territories": (
        {
            "customers": [
                {"customer_id": f"c{i}", "lon": 9.0 + 0.01 * (i % 3), "lat": 48.0 + 0.01 * (i // 3)}
                for i in range(6)
            ],
            "reps": [
                {"rep_id": "r1", "home_lon": 9.0, "home_lat": 48.0},
                {"rep_id": "r2", "home_lon": 9.02, "home_lat": 48.01},
            ],
            "balance": {"count": 0.4},
            "time_limit": 1,
            "starts": 1,
            "kicks": 1,
        },
        TerritoriesResult,
    ),
    "allocate#bounds": (
        {
            "target": 1000,
            "hierarchy": [
                {"team": "T1", "rep_id": "R1", "potential": 300.0},
                {"team": "T2", "rep_id": "R2", "potential": 700.0},
            ],
            "levels": ["team", "rep_id"],
            "potential": "potential",
            "methods": "potential",
            "months": 2027,
            "bounds": {"rep_id": {"minimum": 100.0, "maximum": 800.0}},
            "locks": {"rep_id": {"R1": 300.0}},
            "step": 10,
        },
        AllocateResult,
    ),
    "allocate": (
        {
            "target": 1000,
            "hierarchy": [
                {"team": "T1", "rep_id": "R1", "potential": 300.0},
                {"team": "T2", "rep_id": "R2", "potential": 700.0},
            ],
            "levels": ["team", "rep_id"],
            "potential": "potential",
            "methods": "potential",
            "months": 2027,
        },
        AllocateResult,
    ),
}

EXTREMES: list[object] = [
    math.inf,
    -math.inf,
    math.nan,
    1e308,
    -1e308,
    5e-324,
    2**63,
    10**30,
    -1,
    0,
    "",
    "é☃",
    None,
    True,
    [],
    {},
]
values = st.one_of(
    st.sampled_from(EXTREMES),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.text(max_size=4),
)


@pytest.fixture(scope="module")
def client() -> Iterator[InProcessClient]:
    with InProcessClient(
        ServiceConfig(job_store=":memory:", max_time_limit=2, default_time_limit=1)
    ) as c:
        yield c


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every member path of a JSON value (objects and arrays, not the root)."""
    found: list[tuple[Any, ...]] = []
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, child in items:
        found.append((*prefix, key))
        if isinstance(child, dict | list) and child:
            found.extend(_paths(child, (*prefix, key)))
    return found


@st.composite
def damaged_bodies(draw: st.DrawFn) -> tuple[str, str]:
    """A stage and a JSON body with one member replaced, removed or added."""
    stage = draw(st.sampled_from(sorted(BODIES)))
    body = json.loads(json.dumps(BODIES[stage][0]))
    path = draw(st.sampled_from(_paths(body)))
    *parents, last = path
    holder = body
    for key in parents:
        holder = holder[key]
    kind = draw(st.sampled_from(["replace", "remove", "add"]))
    event(f"{stage}: {kind} {'.'.join(map(str, path))}")
    if kind == "replace":
        holder[last] = draw(values)
    elif kind == "remove":
        del holder[last]
    elif isinstance(holder, dict):
        holder[draw(st.sampled_from(["customer_id", "lon", "", "é☃", "extra"]))] = draw(values)
    else:
        holder.append(draw(values))
    text = json.dumps(body)  # NaN and Infinity as JavaScript literals, which the server reads
    if draw(st.booleans()):
        text = text.replace("Infinity", "1e400")
    return stage, text


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)
@given(damaged_bodies())
def test_damaged_bodies_never_get_a_500(client: InProcessClient, case: tuple[str, str]) -> None:
    """A damaged body gets 200 with the stage's model, or a 4xx problem; never a 500."""
    stage, text = case
    headers = {"content-type": "application/json"}
    response = client.post(f"/v1/{stage.split('#')[0]}", content=text, headers=headers)
    event(f"status {response.status_code}")
    assert response.status_code in (200, 413, 422), response.text
    if response.status_code == 200:
        BODIES[stage][1].model_validate(response.json())
    else:
        assert response.headers["content-type"] == "application/problem+json"
        problem = ProblemDetails.model_validate(response.json())
        assert problem.status == response.status_code and problem.detail


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)
@given(damaged_bodies())
def test_damaged_jobs_never_fail_with_an_internal_error(
    client: InProcessClient, case: tuple[str, str]
) -> None:
    """As a job, a damaged body is refused (422), or ends done or with a library error."""
    stage, text = case
    headers = {"content-type": "application/json"}
    response = client.post(f"/v1/jobs/{stage.split('#')[0]}", content=text, headers=headers)
    assert response.status_code in (202, 413, 422), response.text
    if response.status_code != 202:
        return
    job_id = response.json()["id"]
    deadline = time.monotonic() + 60
    while (job := client.get(f"/v1/jobs/{job_id}").json())["state"] in ("queued", "running"):
        assert time.monotonic() < deadline, job
        time.sleep(0.01)
    event(f"job {job['state']}")
    if job["state"] == "done":
        BODIES[stage][1].model_validate(job["result"])
    else:
        assert job["state"] == "failed", job
        assert job["error"]["type"] in ("/problems/validation_error", "/problems/infeasible"), job


@settings(max_examples=15, deadline=None, database=None)
@given(st.binary(max_size=64) | st.text(max_size=64).map(str.encode))
def test_garbage_bodies_get_a_problem_not_a_500(client: InProcessClient, raw: bytes) -> None:
    """Bytes that are not a request body at all get a 4xx problem."""
    response = client.post("/v1/grade", content=raw, headers={"content-type": "application/json"})
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("stage", sorted(BODIES))
def test_every_valid_body_is_answered(client: InProcessClient, stage: str) -> None:
    """The undamaged bodies succeed, so the fuzzing above starts from a working request."""
    body, model = BODIES[stage]
    response = client.post(f"/v1/{stage.split('#')[0]}", json=body)
    assert response.status_code == 200, response.text
    model.model_validate(response.json())


def test_infinite_gap_is_a_422_not_a_500(client: InProcessClient) -> None:
    """`"min_gap_days": Infinity` (an OverflowError and a 500 before) is a validation problem."""
    body = json.loads(json.dumps(BODIES["plan-routes"][0]))
    body["customers"][1]["min_gap_days"] = math.inf
    response = client.post(
        "/v1/plan-routes", content=json.dumps(body), headers={"content-type": "application/json"}
    )
    assert response.status_code == 422, response.text
    entries = response.json()["errors"]
    assert [(e["table"], e["column"]) for e in entries] == [("customers", "min_gap_days")]


def test_pareto_grading_of_overflowing_sales_is_a_422(client: InProcessClient) -> None:
    """Sales of 1e308 (every grade C with score NaN, and 200, before) get a 422 problem."""
    body = {
        "customers": [{"customer_id": c} for c in ("a", "b", "c")],
        "sales": [
            {"customer_id": c, "month": "2026-01", "sales": s}
            for c, s in (("a", 1e308), ("b", 1e308), ("c", 1.0))
        ],
        "scheme": {"name": "pareto_abc", "parameters": {"window_months": 1}},
    }
    response = client.post("/v1/grade", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["column"] == "sales"
    assert "largest float" in response.json()["detail"]
