"""The FastAPI application: :func:`create_app`.

Every stage that this installation has is served twice: synchronously at
``POST /v1/<stage>`` (the solve runs in a bounded thread pool, never on the event loop)
and as a job at ``POST /v1/jobs/<stage>``. All state lives on ``app.state``, except the
jobs: they live in the configured job store (``TERRITORY_JOB_STORE``, a SQLite file by
default), which every app and process on that file shares.

Every 200 and 202 answer has a response model (see :mod:`territory.service.results`)
and every error is RFC 9457 problem details (``application/problem+json``, see
:mod:`territory.service.problems`). Operation ids are ``verb_noun``: ``get_health``,
``run_<stage>``, ``submit_<stage>_job``, ``list_jobs``, ``get_job``, ``cancel_job``,
``get_problem_type``.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from collections.abc import AsyncIterator, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Query, Request, Security
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.security import APIKeyHeader

from territory import __version__
from territory.service._body_limit import BodySizeLimit
from territory.service._errors import ApiError, install_error_handlers
from territory.service._stages import STAGE_MODULES, RunContext, Stage, load_stages
from territory.service.config import ServiceConfig
from territory.service.jobs import JobStore, TooManyJobsError
from territory.service.models import (
    HealthResponse,
    JobList,
    JobResponse,
    ProblemDetails,
    ProblemTypeResponse,
    StageRequest,
)
from territory.service.problems import PROBLEM_MEDIA_TYPE, PROBLEM_TYPES, problem_type_uri

__all__ = ["create_app"]

#: Seconds a client is asked to wait before retrying a refused request.
RETRY_AFTER_SECONDS = 5

_api_key_header = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    description="Needed on every endpoint except health when the server sets TERRITORY_API_KEY.",
)


def _error(description: str) -> dict[str, Any]:
    # Declared as JSON here; _openapi() moves error bodies to application/problem+json.
    return {"model": ProblemDetails, "description": description}


_COMMON_ERRORS: dict[int | str, dict[str, Any]] = {
    401: _error("X-API-Key missing or wrong"),
    413: _error("request body larger than TERRITORY_MAX_BODY_BYTES"),
    422: _error(
        "invalid body, a library validation error (naming table, column and ids), an "
        "infeasible request, or a limit (TERRITORY_MAX_CUSTOMERS, TERRITORY_MAX_REPS, "
        "TERRITORY_MAX_TIME_LIMIT)"
    ),
    500: _error("internal error (details only in the server log)"),
}


class _ServiceState:
    """Everything one app owns: configuration, stages, pools and counters."""

    def __init__(self, config: ServiceConfig) -> None:
        self.config = config
        self.stages, self.missing_stages = load_stages()
        self.jobs = JobStore.from_config(config)
        self.solve_pool = ThreadPoolExecutor(
            max_workers=config.workers, thread_name_prefix="territory-solve"
        )
        self.pending = 0  # synchronous solves waiting or running; changed on the event loop

    def close(self) -> None:
        self.jobs.shutdown()
        self.solve_pool.shutdown(wait=False, cancel_futures=True)


def _state(request: Request) -> _ServiceState:
    state: _ServiceState = request.app.state.service
    return state


def _caller(request: Request, key: str | None) -> str:
    """Who is calling: a digest of the API key (never the key itself); empty without auth."""
    if _state(request).config.api_key is None or not key:
        return ""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


async def _caller_id(request: Request, key: str | None = Security(_api_key_header)) -> str:
    return _caller(request, key)


async def _require_api_key(request: Request, key: str | None = Security(_api_key_header)) -> None:
    expected = _state(request).config.api_key
    if expected is None:
        return
    if not key:
        raise ApiError(401, "unauthorized", "missing X-API-Key header")
    if not secrets.compare_digest(key.encode("utf-8"), expected.encode("utf-8")):
        raise ApiError(401, "unauthorized", "wrong API key in X-API-Key header")


def _context(config: ServiceConfig, body: StageRequest) -> RunContext:
    """Check the request against the limits; the run context for it."""
    customers = body.customer_count()
    if customers > config.max_customers:
        raise ApiError(
            422,
            "limit_exceeded",
            f"customers: {customers} records exceed the limit of {config.max_customers} "
            "(TERRITORY_MAX_CUSTOMERS)",
        )
    reps = body.rep_count()
    if reps > config.max_reps:
        raise ApiError(
            422,
            "limit_exceeded",
            f"reps: {reps} records exceed the limit of {config.max_reps} (TERRITORY_MAX_REPS)",
        )
    requested = body.requested_time_limit()
    if requested is not None and requested > config.max_time_limit:
        raise ApiError(
            422,
            "limit_exceeded",
            f"time_limit: {requested:g} s exceeds the limit of {config.max_time_limit:g} s "
            "(TERRITORY_MAX_TIME_LIMIT)",
        )
    time_limit = min(config.default_time_limit, config.max_time_limit)
    return RunContext(config=config, time_limit=time_limit if requested is None else requested)


Endpoint = Callable[..., Coroutine[Any, Any, Any]]


def _with_body(endpoint: Endpoint, model: type[StageRequest]) -> Endpoint:
    """Declare the request model of a generated endpoint (FastAPI reads annotations)."""
    endpoint.__annotations__["body"] = model
    return endpoint


def _sync_endpoint(stage: Stage) -> Endpoint:
    async def endpoint(request: Request, body: Any) -> JSONResponse:
        state = _state(request)
        context = _context(state.config, body)
        if state.pending >= state.config.max_pending:
            raise ApiError(
                503,
                "busy",
                f"{state.pending} requests are already being solved; the limit is "
                f"{state.config.max_pending} (TERRITORY_MAX_PENDING); retry later or submit "
                "a job",
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        state.pending += 1
        try:
            loop = asyncio.get_running_loop()
            result = await loop.run_in_executor(state.solve_pool, stage.run, body, context)
        finally:
            state.pending -= 1
        return JSONResponse(result)

    return _with_body(endpoint, stage.request_model)


def _job_endpoint(stage: Stage) -> Endpoint:
    async def endpoint(
        request: Request, body: Any, caller: str = Depends(_caller_id)
    ) -> JSONResponse:
        state = _state(request)
        context = _context(state.config, body)

        def work(control: Any) -> dict[str, Any]:
            job_context = RunContext(state.config, context.time_limit, progress=control.report)
            return stage.run(body, job_context)

        try:
            snapshot = state.jobs.submit(stage.name, work, caller=caller)
        except TooManyJobsError as busy:
            raise ApiError(
                429,
                "too_many_jobs",
                f"{busy.active} jobs are queued or running; the limit is {busy.limit} "
                "(TERRITORY_MAX_JOBS); retry later",
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            ) from None
        location = str(request.url_for("get_job", job_id=snapshot["id"]).path)
        return JSONResponse(snapshot, status_code=202, headers={"Location": location})

    return _with_body(endpoint, stage.request_model)


def _add_stage(router: APIRouter, stage: Stage) -> None:
    router.add_api_route(
        f"/{stage.name}",
        _sync_endpoint(stage),
        methods=["POST"],
        summary=stage.summary,
        description=stage.description,
        operation_id=f"run_{stage.name.replace('-', '_')}",
        response_model=stage.result_model,
        responses={**_COMMON_ERRORS, 503: _error("too many requests being solved")},
        tags=["stages"],
    )
    router.add_api_route(
        f"/jobs/{stage.name}",
        _job_endpoint(stage),
        methods=["POST"],
        status_code=202,
        summary=f"{stage.summary} (as a job)",
        description=f"{stage.description}\n\nReturns 202 with the job; poll "
        "`GET /v1/jobs/{job_id}` for its state, progress and result.",
        operation_id=f"submit_{stage.name.replace('-', '_')}_job",
        response_model=JobResponse,
        responses={**_COMMON_ERRORS, 429: _error("too many jobs queued or running")},
        tags=["jobs"],
    )


JobStateName = Literal["queued", "running", "done", "failed", "cancelled", "interrupted", "expired"]


def _gone(snapshot: dict[str, Any]) -> ApiError:
    """410 Gone for an expired job, with the job (no result) as the ``job`` member."""
    error = snapshot.get("error") or {}
    return ApiError(
        410,
        "expired",
        str(error.get("detail", f"job {snapshot['id']!r} expired")),
        extensions={"job": snapshot},
    )


def _job_routes(router: APIRouter) -> None:
    not_found: dict[int | str, dict[str, Any]] = {
        404: _error("no such job (it never existed, or its tombstone was deleted after a week)"),
        410: _error(
            "the job expired: its result was removed (TERRITORY_JOB_TTL, "
            "TERRITORY_MAX_RESULT_BYTES, TERRITORY_MAX_JOB_TABLE); 'job' holds its id, stage "
            "and timestamps"
        ),
    }

    @router.get(
        "/jobs",
        operation_id="list_jobs",
        response_model=JobList,
        responses=_COMMON_ERRORS,
        tags=["jobs"],
    )
    async def list_jobs(
        request: Request,
        caller: str = Depends(_caller_id),
        state: Annotated[
            list[JobStateName] | None,
            Query(description="only jobs in these states (repeat for several)"),
        ] = None,
        limit: Annotated[int, Query(ge=1, le=1000, description="most jobs answered")] = 100,
    ) -> JSONResponse:
        """The caller's jobs, newest first, without their results.

        The caller is the API key (every job when the server has no key). Expired jobs
        are listed with state ``expired`` for a week.
        """
        states = None if state is None else list(state)
        jobs = _state(request).jobs.list_jobs(caller=caller, states=states, limit=limit)
        return JSONResponse({"jobs": jobs, "count": len(jobs), "limit": limit})

    @router.get(
        "/jobs/{job_id}",
        name="get_job",
        operation_id="get_job",
        response_model=JobResponse,
        responses={**_COMMON_ERRORS, **not_found},
        tags=["jobs"],
    )
    async def get_job(request: Request, job_id: str) -> JSONResponse:
        """State, progress and (when done) result of a job.

        A job the server stopped before it finished answers 200 with state
        ``interrupted``; a job whose result was removed answers 410 Gone.
        """
        snapshot = _state(request).jobs.get(job_id)
        if snapshot is None:
            raise ApiError(404, "not_found", f"no job {job_id!r} (never existed, or long expired)")
        if snapshot["state"] == "expired":
            raise _gone(snapshot)
        return JSONResponse(snapshot)

    @router.delete(
        "/jobs/{job_id}",
        operation_id="cancel_job",
        response_model=JobResponse,
        responses={**_COMMON_ERRORS, **not_found, 409: _error("the job has already finished")},
        tags=["jobs"],
    )
    async def cancel_job(request: Request, job_id: str) -> JSONResponse:
        """Cancel a job.

        A queued job never starts. A running job is marked cancelled at once and its
        result is discarded; the solver stops at its next progress report (routing:
        after the rep it is solving), so it may keep a worker busy a little longer.
        """
        outcome = _state(request).jobs.cancel(job_id)
        if outcome is None:
            raise ApiError(404, "not_found", f"no job {job_id!r} (never existed, or long expired)")
        snapshot, cancelled = outcome
        if snapshot["state"] == "expired":
            raise _gone(snapshot)
        if not cancelled:
            raise ApiError(
                409, "conflict", f"job {job_id!r} has already finished ({snapshot['state']})"
            )
        return JSONResponse(snapshot)


def _problem_routes(app: FastAPI) -> None:
    """``GET /problems/{code}``: what each problem ``type`` means (no API key needed)."""

    @app.get(
        "/problems/{code}",
        operation_id="get_problem_type",
        response_model=ProblemTypeResponse,
        responses={404: _error("no such problem type")},
        tags=["service"],
    )
    async def get_problem_type(code: str) -> ProblemTypeResponse:
        """What a problem type (the ``type`` of an error body) means and what to do."""
        kind = PROBLEM_TYPES.get(code)
        if kind is None:
            raise ApiError(404, "not_found", f"no problem type {code!r}")
        return ProblemTypeResponse(
            type=problem_type_uri(code),
            code=code,
            title=kind.title,
            status=kind.status,
            description=kind.description,
        )


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document, with error bodies as ``application/problem+json``."""
    if app.openapi_schema is None:
        document = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
            tags=app.openapi_tags,
        )
        problem_ref = {"$ref": "#/components/schemas/ProblemDetails"}
        for operations in document.get("paths", {}).values():
            for operation in operations.values():
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if status[:1] in "45" and "application/json" in content:
                        content[PROBLEM_MEDIA_TYPE] = content.pop("application/json")
                        # FastAPI's own 422 model is not what the handlers answer
                        content[PROBLEM_MEDIA_TYPE]["schema"] = problem_ref
        schemas = document.get("components", {}).get("schemas", {})
        for unused in ("HTTPValidationError", "ValidationError"):
            schemas.pop(unused, None)
        app.openapi_schema = document
    return app.openapi_schema


def _docs_routes(app: FastAPI) -> None:
    """``/openapi.json``, ``/docs`` and ``/redoc``, behind the API key when one is set."""
    guard = [Depends(_require_api_key)]

    @app.get("/openapi.json", include_in_schema=False, dependencies=guard)
    async def openapi_document() -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/docs", include_in_schema=False, dependencies=guard)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="territory - API")

    @app.get("/redoc", include_in_schema=False, dependencies=guard)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(openapi_url="/openapi.json", title="territory - API")


def _health_route(app: FastAPI) -> None:
    @app.get(
        "/v1/health", operation_id="get_health", response_model=HealthResponse, tags=["service"]
    )
    async def health(request: Request) -> HealthResponse:
        """Status, version, stages served and limits (never needs an API key)."""
        state = _state(request)
        config = state.config
        stages = [
            {
                "name": name,
                "available": name in state.stages,
                "reason": state.missing_stages.get(name),
            }
            for name in STAGE_MODULES
        ]
        return HealthResponse.model_validate(
            {
                "status": "ok",
                "version": __version__,
                "auth_required": config.auth_enabled,
                "stages": stages,
                "limits": {
                    "max_body_bytes": config.max_body_bytes,
                    "max_customers": config.max_customers,
                    "max_reps": config.max_reps,
                    "max_time_limit": config.max_time_limit,
                    "default_time_limit": config.default_time_limit,
                    "max_jobs": config.max_jobs,
                    "max_pending": config.max_pending,
                    "job_ttl": config.job_ttl,
                    "max_result_bytes": config.max_result_bytes,
                },
                "jobs": {"active": state.jobs.active, "stored": len(state.jobs)},
                "job_store": ":memory:" if config.job_store == ":memory:" else "file",
            }
        )


def create_app(config: ServiceConfig | None = None) -> FastAPI:
    """Create the HTTP service.

    Parameters
    ----------
    config
        Limits and settings; read from the ``TERRITORY_*`` environment variables
        (:meth:`ServiceConfig.from_env`) when omitted.

    Returns
    -------
    fastapi.FastAPI
        The app; serve it with uvicorn (see :func:`territory.service.serve`), also as a
        factory (``uvicorn --factory territory.service:create_app --workers 4``). Its
        jobs live in ``config.job_store`` (``TERRITORY_JOB_STORE``; a SQLite file in the
        working directory by default, shared by every app on that file; ``":memory:"``
        for a private, in-process store). Its thread pools stop, and running jobs get
        ``config.shutdown_grace`` seconds, when the app's lifespan ends.
    """
    config = ServiceConfig.from_env() if config is None else config
    state = _ServiceState(config)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        state.close()

    app = FastAPI(
        title="territory",
        version=__version__,
        description="Sales territory and route planning over HTTP. Errors are RFC 9457 "
        "problem details (`application/problem+json`): `type` (`/problems/<code>`, described "
        "by `GET /problems/{code}`), `title`, `status`, `detail`, `instance`, and for "
        "validation problems `errors`, one entry per problem.",
        lifespan=lifespan,
        docs_url=None,  # served by _docs_routes, behind the API key when one is set
        redoc_url=None,
        openapi_url=None,
    )
    app.state.service = state
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=config.max_body_bytes)
    _health_route(app)
    _problem_routes(app)
    _docs_routes(app)
    router = APIRouter(prefix="/v1", dependencies=[Depends(_require_api_key)])
    for stage in state.stages.values():
        _add_stage(router, stage)
    _job_routes(router)
    app.include_router(router)
    return app
