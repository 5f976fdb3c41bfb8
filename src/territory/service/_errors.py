"""Every error the service returns is a problem details object (RFC 9457).

The body has the media type ``application/problem+json``: ``type`` (a URI reference,
``/problems/<code>``), ``title``, ``status``, ``detail``, ``instance`` (the request
path) and, for validation problems, ``errors`` with one entry per problem (see
:mod:`territory.service.problems`).

Responses never carry a stack trace or an internal path: unexpected exceptions are
logged (logger ``"territory"``) and answered with a fixed message.

Unexpected exceptions are caught by :class:`CatchUnexpected`, an ASGI middleware, and
not by ``add_exception_handler(Exception, ...)``: Starlette answers such a handler's 500
and then re-raises the exception into the server, which logs it a second time and
closes the connection, so the client's next request on that keep-alive connection
fails. The middleware answers 500 and the connection stays usable.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from territory.errors import InfeasibleError, ValidationError
from territory.service.problems import PROBLEM_MEDIA_TYPE, problem, table_problem_entries

__all__ = [
    "ApiError",
    "CatchUnexpected",
    "ProblemResponse",
    "error_response",
    "install_error_handlers",
    "pydantic_problem_entries",
]

logger = logging.getLogger("territory")

#: Problem code of each HTTP status that Starlette raises by itself.
_STATUS_TYPES = {
    400: "bad_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "too_many_jobs",
    500: "internal_error",
    503: "busy",
}
#: Most pydantic problems listed in one response.
_MAX_PROBLEMS_SHOWN = 50


class ProblemResponse(JSONResponse):
    """A JSON response with the media type ``application/problem+json``."""

    media_type = PROBLEM_MEDIA_TYPE


class ApiError(Exception):
    """An error answered with a given HTTP status and a problem details body.

    Parameters
    ----------
    status
        HTTP status code.
    type
        The problem code, a key of :data:`~territory.service.problems.PROBLEM_TYPES`,
        for example ``"limit_exceeded"``.
    message
        The problem's ``detail``; say which limit and its value where one applies.
    headers
        Extra response headers (for example ``Retry-After``).
    extensions
        More members of the problem object (for example the ``job`` of an expired job).
    """

    def __init__(
        self,
        status: int,
        type: str,
        message: str,
        *,
        headers: Mapping[str, str] | None = None,
        extensions: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.type = type
        self.message = message
        self.headers = dict(headers or {})
        self.extensions = dict(extensions or {})


def error_response(
    status: int,
    type: str,
    message: str,
    *,
    headers: Mapping[str, str] | None = None,
    instance: str | None = None,
    errors: Sequence[dict[str, Any]] | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> ProblemResponse:
    """The ``application/problem+json`` response of one error.

    Examples
    --------
    >>> response = error_response(404, "not_found", "no job x")
    >>> response.headers["content-type"], response.body[:37]
    ('application/problem+json', b'{"type":"/problems/not_found","title"')
    """
    body = problem(
        type, message, status=status, instance=instance, errors=errors, **dict(extensions or {})
    )
    return ProblemResponse(body, status_code=status, headers=dict(headers or {}))


def _pointer(location: Sequence[Any]) -> str:
    """A JSON pointer (as a URI fragment) into the request body."""
    parts = list(location)
    if parts and parts[0] == "body":
        parts = parts[1:]
    escaped = [str(part).replace("~", "~0").replace("/", "~1") for part in parts]
    return "#/" + "/".join(escaped) if escaped else "#"


def pydantic_problem_entries(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """One ``errors`` entry per pydantic problem, with a JSON pointer; never echoes input.

    Examples
    --------
    >>> pydantic_problem_entries([{"loc": ("body", "reps", 0), "msg": "Field required"}])
    [{'detail': 'reps.0: Field required', 'pointer': '#/reps/0', 'table': None, 'column': None}]
    """
    entries = []
    for error in errors[:_MAX_PROBLEMS_SHOWN]:
        if not isinstance(error, Mapping):
            continue
        location = [part for part in error.get("loc", ()) if part != "body"]
        where = ".".join(str(part) for part in location) or "body"
        entries.append(
            {
                "detail": f"{where}: {error.get('msg', 'is invalid')}",
                "pointer": _pointer(location),
                "table": None,
                "column": None,
            }
        )
    return entries


def _describe_pydantic(errors: Sequence[Any], entries: Sequence[dict[str, Any]]) -> str:
    if any(isinstance(e, Mapping) and e.get("type") == "json_invalid" for e in errors):
        return "request body is not valid JSON"
    if not entries:
        return "request body is invalid"
    lines = [entry["detail"] for entry in entries[:10]]
    if len(errors) > len(lines):
        lines.append(f"and {len(errors) - len(lines)} more problems")
    return "invalid request: " + "; ".join(lines)


async def _on_api_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, ApiError)
    return error_response(
        exc.status,
        exc.type,
        exc.message,
        headers=exc.headers,
        instance=request.url.path,
        extensions=exc.extensions,
    )


async def _on_validation_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, ValidationError)
    return error_response(
        422,
        "validation_error",
        str(exc),
        instance=request.url.path,
        errors=table_problem_entries(exc.problems),
    )


async def _on_infeasible(request: Request, exc: Exception) -> ProblemResponse:
    return error_response(422, "infeasible", str(exc), instance=request.url.path)


async def _on_request_validation(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    entries = pydantic_problem_entries(errors)
    return error_response(
        422,
        "invalid_request",
        _describe_pydantic(errors, entries),
        instance=request.url.path,
        errors=entries,
    )


async def _on_http_exception(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    if status == 404:
        message = f"no endpoint {request.method} {request.url.path}"
    elif status == 405:
        message = f"method {request.method} is not allowed on {request.url.path}"
    else:
        message = exc.detail if isinstance(exc.detail, str) else HTTPStatus(status).phrase
    type_ = _STATUS_TYPES.get(status, HTTPStatus(status).phrase.lower().replace(" ", "_"))
    return error_response(status, type_, message, headers=exc.headers, instance=request.url.path)


class CatchUnexpected:
    """Answer an unexpected exception with a problem 500, logged once, without re-raising.

    Parameters
    ----------
    app
        The wrapped ASGI application.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI connection."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracked_send)
        except Exception:
            logger.exception(
                "service: unexpected error in %s %s", scope.get("method"), scope.get("path")
            )
            if started:  # too late for a 500: the status line has gone out
                return
            response = error_response(
                500,
                "internal_error",
                "internal error; the server log has details",
                instance=scope.get("path"),
            )
            await response(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    """Answer every error of ``app`` with a problem details body.

    Expected errors get handlers; anything else is caught by :class:`CatchUnexpected`,
    installed here as the innermost middleware.
    """
    app.add_exception_handler(ApiError, _on_api_error)
    app.add_exception_handler(ValidationError, _on_validation_error)
    app.add_exception_handler(InfeasibleError, _on_infeasible)
    app.add_exception_handler(RequestValidationError, _on_request_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)
    app.add_middleware(CatchUnexpected)
