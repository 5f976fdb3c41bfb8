"""The FastAPI application: :func:`create_app`.

Every stage that this installation has is served twice: synchronously at
``POST /v1/<stage>`` (the solve runs in a bounded thread pool, never on the event loop)
and as a job at ``POST /v1/jobs/<stage>``. All state lives on ``app.state``; two apps
never share anything.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request, Security
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.security import APIKeyHeader

from territory import __version__
from territory.service._body_limit import BodySizeLimit
from territory.service._config import ServiceConfig
from territory.service._errors import ApiError, install_error_handlers
from territory.service._jobs import JobStore, TooManyJobsError
from territory.service._models import ErrorResponse, HealthResponse, JobResponse, StageRequest
from territory.service._stages import STAGE_MODULES, RunContext, Stage, load_stages

__all__ = ["create_app"]

#: Seconds a client is asked to wait before retrying a refused request.
RETRY_AFTER_SECONDS = 5

_api_key_header = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    description="Needed on every endpoint except health when the server sets TERRITORY_API_KEY.",
)


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorResponse, "description": description}


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
        self.jobs = JobStore(
            workers=config.job_workers,
            max_active=config.max_jobs,
            max_table=config.max_job_table,
            ttl=config.job_ttl,
        )
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
    async def endpoint(request: Request, body: Any) -> JSONResponse:
        state = _state(request)
        context = _context(state.config, body)

        def work(control: Any) -> dict[str, Any]:
            job_context = RunContext(state.config, context.time_limit, progress=control.report)
            return stage.run(body, job_context)

        try:
            snapshot = state.jobs.submit(stage.name, work)
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


def _job_routes(router: APIRouter) -> None:
    not_found: dict[int | str, dict[str, Any]] = {
        404: _error("no such job (never existed, or expired)")
    }

    @router.get(
        "/jobs/{job_id}",
        name="get_job",
        response_model=JobResponse,
        responses={**_COMMON_ERRORS, **not_found},
        tags=["jobs"],
    )
    async def get_job(request: Request, job_id: str) -> JSONResponse:
        """State, progress and (when done) result of a job."""
        snapshot = _state(request).jobs.get(job_id)
        if snapshot is None:
            raise ApiError(404, "not_found", f"no job {job_id!r} (never existed, or expired)")
        return JSONResponse(snapshot)

    @router.delete(
        "/jobs/{job_id}",
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
            raise ApiError(404, "not_found", f"no job {job_id!r} (never existed, or expired)")
        snapshot, cancelled = outcome
        if not cancelled:
            raise ApiError(
                409, "conflict", f"job {job_id!r} has already finished ({snapshot['state']})"
            )
        return JSONResponse(snapshot)


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
    @app.get("/v1/health", response_model=HealthResponse, tags=["service"])
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
                },
                "jobs": {"active": state.jobs.active, "stored": len(state.jobs)},
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
        The app; serve it with uvicorn (see :func:`territory.service.serve`). Its
        thread pools stop when the app's lifespan ends.
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
        description="Sales territory and route planning over HTTP. Errors are JSON: "
        '`{"error": {"type": ..., "message": ...}}`.',
        lifespan=lifespan,
        docs_url=None,  # served by _docs_routes, behind the API key when one is set
        redoc_url=None,
        openapi_url=None,
    )
    app.state.service = state
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=config.max_body_bytes)
    _health_route(app)
    _docs_routes(app)
    router = APIRouter(prefix="/v1", dependencies=[Depends(_require_api_key)])
    for stage in state.stages.values():
        _add_stage(router, stage)
    _job_routes(router)
    app.include_router(router)
    return app
