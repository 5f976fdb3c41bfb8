"""Every error the service returns is JSON: ``{"error": {"type": ..., "message": ...}}``.

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

__all__ = ["ApiError", "CatchUnexpected", "error_response", "install_error_handlers"]

logger = logging.getLogger("territory")

#: Error type of each HTTP status that Starlette raises by itself.
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
#: Most pydantic problems listed in one message.
_MAX_PROBLEMS_SHOWN = 10


class ApiError(Exception):
    """An error answered with a given HTTP status and a JSON body.

    Parameters
    ----------
    status
        HTTP status code.
    type
        Short machine-readable error type, for example ``"limit_exceeded"``.
    message
        Human-readable message; say which limit and its value where one applies.
    headers
        Extra response headers (for example ``Retry-After``).
    """

    def __init__(
        self,
        status: int,
        type: str,
        message: str,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.type = type
        self.message = message
        self.headers = dict(headers or {})


def error_response(
    status: int,
    type: str,
    message: str,
    *,
    headers: Mapping[str, str] | None = None,
    problems: Sequence[str] | None = None,
) -> JSONResponse:
    """The JSON response of one error.

    Examples
    --------
    >>> error_response(404, "not_found", "no job x").body
    b'{"error":{"type":"not_found","message":"no job x"}}'
    """
    error: dict[str, Any] = {"type": type, "message": message}
    if problems:
        error["problems"] = list(problems)
    return JSONResponse({"error": error}, status_code=status, headers=dict(headers or {}))


def _describe_pydantic(errors: Sequence[Any]) -> str:
    """One line per pydantic problem, naming where it is; never echoes the input."""
    if any(isinstance(e, Mapping) and e.get("type") == "json_invalid" for e in errors):
        return "request body is not valid JSON"
    lines = []
    for error in errors[:_MAX_PROBLEMS_SHOWN]:
        if not isinstance(error, Mapping):
            continue
        location = ".".join(str(part) for part in error.get("loc", ()))
        lines.append(f"{location}: {error.get('msg', 'is invalid')}")
    if len(errors) > _MAX_PROBLEMS_SHOWN:
        lines.append(f"and {len(errors) - _MAX_PROBLEMS_SHOWN} more problems")
    if not lines:
        return "request body is invalid"
    return "invalid request: " + "; ".join(lines)


async def _on_api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.type, exc.message, headers=exc.headers)


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ValidationError)
    return error_response(422, "validation_error", str(exc), problems=exc.problems)


async def _on_infeasible(request: Request, exc: Exception) -> JSONResponse:
    return error_response(422, "infeasible", str(exc))


async def _on_request_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return error_response(422, "invalid_request", _describe_pydantic(exc.errors()))


async def _on_http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    if status == 404:
        message = f"no endpoint {request.method} {request.url.path}"
    elif status == 405:
        message = f"method {request.method} is not allowed on {request.url.path}"
    else:
        message = exc.detail if isinstance(exc.detail, str) else HTTPStatus(status).phrase
    type_ = _STATUS_TYPES.get(status, HTTPStatus(status).phrase.lower().replace(" ", "_"))
    return error_response(status, type_, message, headers=exc.headers)


class CatchUnexpected:
    """Answer an unexpected exception with a JSON 500, logged once, without re-raising.

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
                500, "internal_error", "internal error; the server log has details"
            )
            await response(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    """Answer every error of ``app`` with the JSON error body.

    Expected errors get handlers; anything else is caught by :class:`CatchUnexpected`,
    installed here as the innermost middleware.
    """
    app.add_exception_handler(ApiError, _on_api_error)
    app.add_exception_handler(ValidationError, _on_validation_error)
    app.add_exception_handler(InfeasibleError, _on_infeasible)
    app.add_exception_handler(RequestValidationError, _on_request_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)
    app.add_middleware(CatchUnexpected)
