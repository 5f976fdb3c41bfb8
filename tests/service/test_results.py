"""The stages' answers validate against their response models (:mod:`territory.service.results`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pydantic import BaseModel

from territory.service.openapi import openapi_document
from territory.service.results import (
    AllocatePlanResult,
    AllocateResult,
    GradeResult,
    PlanRoutesResult,
    TerritoriesResult,
)
from territory.service.testing import InProcessClient as Client

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
def client(make_client: Callable[..., Client]) -> Client:
    return make_client(job_workers=1)


def assert_model(model: type[BaseModel], body: dict[str, Any]) -> None:
    """The body validates, and every member the model declares as required is there."""
    model.model_validate(body)
    required = {name for name, field in model.model_fields.items() if field.is_required()}
    assert required <= set(body), required - set(body)


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
