"""The OpenAPI document (:mod:`territory.service.openapi`): operation ids and typed answers."""

from __future__ import annotations

import re

from territory.service.openapi import openapi_document


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
