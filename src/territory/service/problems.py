"""Problem details (RFC 9457): every error the service reports, in one shape.

An error response has the media type ``application/problem+json`` and a body like::

    {"type": "/problems/validation_error", "title": "Invalid input", "status": 422,
     "detail": "customers: column 'lat' is empty (customer_id: 'C1')",
     "instance": "/v1/plan-routes",
     "errors": [{"detail": "customers: column 'lat' is empty (customer_id: 'C1')",
                 "table": "customers", "column": "lat", "pointer": null}]}

``type`` is a relative URI reference that the service resolves itself
(``GET /problems/<code>`` describes the problem type); clients match on it. ``errors``
lists each validation problem as its own entry: ``pointer`` (a JSON pointer into the
request body, for a malformed request) or ``table`` and ``column`` (for the library's
table validation). A failed job carries the same object in its ``error`` member.

This module is standard library only, so the job database can build problems too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

__all__ = [
    "PROBLEM_MEDIA_TYPE",
    "PROBLEM_TYPES",
    "ProblemType",
    "legacy_problem",
    "problem",
    "problem_code",
    "problem_type_uri",
    "table_problem_entries",
]

#: The media type of an error response.
PROBLEM_MEDIA_TYPE = "application/problem+json"


@dataclass(frozen=True)
class ProblemType:
    """One kind of problem.

    Attributes
    ----------
    title
        Short, fixed summary (the same for every occurrence).
    status
        HTTP status it is answered with, or ``None`` for problems that only a job's
        ``error`` carries.
    description
        What it means and what to do about it.
    """

    title: str
    status: int | None
    description: str


#: Every problem type the service reports, by code (the last segment of its ``type``).
PROBLEM_TYPES: dict[str, ProblemType] = {
    "validation_error": ProblemType(
        "Invalid input",
        422,
        "The input tables or parameters are invalid. Each entry of `errors` names the "
        "table, the column and up to five offending ids; fix them all and retry.",
    ),
    "invalid_request": ProblemType(
        "Malformed request body",
        422,
        "The body is not valid JSON or does not match the request schema. Each entry of "
        "`errors` has a JSON `pointer` to the offending member.",
    ),
    "infeasible": ProblemType(
        "Infeasible request",
        422,
        "The input is valid but the request cannot be met; `detail` shows the arithmetic.",
    ),
    "limit_exceeded": ProblemType(
        "Limit exceeded",
        422,
        "The request is larger than a server limit (TERRITORY_MAX_CUSTOMERS, "
        "TERRITORY_MAX_REPS, TERRITORY_MAX_TIME_LIMIT); `detail` names the limit.",
    ),
    "bad_request": ProblemType("Bad request", 400, "The request is malformed."),
    "unauthorized": ProblemType("Unauthorized", 401, "The X-API-Key header is missing or wrong."),
    "not_found": ProblemType(
        "Not found", 404, "No such endpoint, or no such job (it never existed)."
    ),
    "method_not_allowed": ProblemType(
        "Method not allowed", 405, "The endpoint does not accept this HTTP method."
    ),
    "conflict": ProblemType(
        "Conflict", 409, "The job has already finished, so it cannot be cancelled."
    ),
    "expired": ProblemType(
        "Job expired",
        410,
        "The job existed but its result was removed (after TERRITORY_JOB_TTL, or to keep "
        "the stored results under TERRITORY_MAX_RESULT_BYTES or TERRITORY_MAX_JOB_TABLE). "
        "The answer carries the job's id, stage and timestamps; submit it again.",
    ),
    "payload_too_large": ProblemType(
        "Payload too large", 413, "The body is larger than TERRITORY_MAX_BODY_BYTES."
    ),
    "unsupported_media_type": ProblemType(
        "Unsupported media type", 415, "Send the body as application/json."
    ),
    "too_many_jobs": ProblemType(
        "Too many jobs",
        429,
        "TERRITORY_MAX_JOBS jobs are queued or running (or the server is shutting down); "
        "retry after the Retry-After header's seconds.",
    ),
    "internal_error": ProblemType(
        "Internal error",
        500,
        "An unexpected error; the details are only in the server log.",
    ),
    "busy": ProblemType(
        "Busy",
        503,
        "TERRITORY_MAX_PENDING synchronous requests are being solved; retry after the "
        "Retry-After header's seconds, or submit a job.",
    ),
    "interrupted": ProblemType(
        "Job interrupted",
        None,
        "The server stopped before the job finished (SIGTERM after the grace period "
        "TERRITORY_SHUTDOWN_GRACE, or a crash). Jobs are not resumed: submit it again.",
    ),
    "result_too_large": ProblemType(
        "Result too large",
        None,
        "The job's result is larger than TERRITORY_MAX_RESULT_BYTES, so it was not kept.",
    ),
}

_TYPE_PREFIX = "/problems/"
_TABLE_PROBLEM = re.compile(r"^(?P<table>[^:\s][^:]*?):\s+(?:column '(?P<column>[^']*)')?")


def problem_type_uri(code: str) -> str:
    """The ``type`` URI of a problem code.

    Examples
    --------
    >>> problem_type_uri("validation_error")
    '/problems/validation_error'
    """
    return f"{_TYPE_PREFIX}{code}" if code in PROBLEM_TYPES else "about:blank"


def problem_code(type_uri: str) -> str:
    """The code of a problem ``type`` URI (the inverse of :func:`problem_type_uri`).

    Examples
    --------
    >>> problem_code("/problems/infeasible")
    'infeasible'
    """
    return type_uri.removeprefix(_TYPE_PREFIX)


def table_problem_entries(problems: Iterable[str]) -> list[dict[str, Any]]:
    """One ``errors`` entry per library validation problem, with its table and column.

    Examples
    --------
    >>> table_problem_entries(["customers: column 'lat' is empty (customer_id: 'C1')"])
    [{'detail': "customers: column 'lat' is empty (customer_id: 'C1')", 'pointer': None, \
'table': 'customers', 'column': 'lat'}]
    """
    entries = []
    for text in problems:
        match = _TABLE_PROBLEM.match(text)
        table = match["table"] if match and " " not in match["table"].strip() else None
        column = match["column"] if match and table is not None else None
        entries.append({"detail": text, "pointer": None, "table": table, "column": column})
    return entries


def problem(
    code: str,
    detail: str,
    *,
    status: int | None = None,
    instance: str | None = None,
    errors: Sequence[dict[str, Any]] | None = None,
    **extensions: Any,
) -> dict[str, Any]:
    """A problem details object (JSON-safe).

    Parameters
    ----------
    code
        A key of :data:`PROBLEM_TYPES`; another code gives ``type`` ``about:blank`` and
        the title of its HTTP status.
    detail
        What went wrong this time (names table, column, ids, limits).
    status
        HTTP status; the problem type's when omitted.
    instance
        The request path (or job) it happened at.
    errors
        One entry per problem, for validation problems.
    **extensions
        More members, for example the ``job`` of an expired job.

    Examples
    --------
    >>> problem("not_found", "no job 'x'")["title"]
    'Not found'
    """
    kind = PROBLEM_TYPES.get(code)
    status = kind.status if status is None and kind is not None else status
    if kind is not None:
        title = kind.title
    elif status is not None:
        title = HTTPStatus(status).phrase
    else:
        title = code.replace("_", " ").capitalize()
    body: dict[str, Any] = {"type": problem_type_uri(code), "title": title}
    if status is not None:
        body["status"] = status
    body["detail"] = detail
    if instance is not None:
        body["instance"] = instance
    if errors:
        body["errors"] = list(errors)
    body.update(extensions)
    return body


def legacy_problem(error: dict[str, Any]) -> dict[str, Any]:
    """A job error stored by an older version (``type`` code and ``message``) as a problem.

    Examples
    --------
    >>> legacy_problem({"type": "interrupted", "message": "stopped"})["type"]
    '/problems/interrupted'
    """
    if "detail" in error or "message" not in error:
        return error
    code = str(error.get("type", "internal_error"))
    problems = error.get("problems") or ()
    return problem(code, str(error["message"]), errors=table_problem_entries(problems) or None)
