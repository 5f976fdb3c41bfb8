"""Job and health answers validate against their models (:mod:`territory.service.models`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pydantic import BaseModel

from territory.service.models import HealthResponse, JobList, JobResponse
from territory.service.results import GradeResult
from territory.service.testing import InProcessClient as Client
from territory_cases import wait_done

GRADE = {
    "customers": [
        {"customer_id": "a", "relationship": 5, "potential": 900.0},
        {"customer_id": "b", "relationship": 2, "potential": 100.0},
    ],
    "scheme": {"name": "matrix", "parameters": {"high_potential": 500}},
    "policy": "default",
}


@pytest.fixture
def client(make_client: Callable[..., Client]) -> Client:
    return make_client(job_workers=1)


def assert_model(model: type[BaseModel], body: dict[str, Any]) -> None:
    """The body validates, and every member the model declares as required is there."""
    model.model_validate(body)
    required = {name for name, field in model.model_fields.items() if field.is_required()}
    assert required <= set(body), required - set(body)


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
