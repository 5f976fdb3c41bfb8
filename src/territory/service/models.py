"""Request and response models shared by every stage (pydantic; JSON only)."""

from __future__ import annotations

from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from territory.service.results import StageResult

__all__ = [
    "HealthResponse",
    "JobCounts",
    "JobList",
    "JobResponse",
    "JobSummary",
    "Limits",
    "ProblemDetails",
    "ProblemEntry",
    "ProblemTypeResponse",
    "Record",
    "StageRequest",
    "StageStatus",
    "records_frame",
]

#: One table row: column name -> plain JSON scalar.
Record = dict[str, str | int | float | bool | None]


class StageRequest(BaseModel):
    """Base of every stage's request body; unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")

    def customer_count(self) -> int:
        """Number of customer records, checked against ``TERRITORY_MAX_CUSTOMERS``."""
        return 0

    def rep_count(self) -> int:
        """Number of rep records, checked against ``TERRITORY_MAX_REPS``."""
        return 0

    def requested_time_limit(self) -> float | None:
        """The ``time_limit`` asked for, checked against ``TERRITORY_MAX_TIME_LIMIT``."""
        return None


def records_frame(records: list[Record]) -> pd.DataFrame:
    """A table from JSON records (columns in order of first appearance).

    Examples
    --------
    >>> records_frame([{"customer_id": "C1", "lon": 9.1}, {"customer_id": "C2"}]).shape
    (2, 2)
    """
    return pd.DataFrame.from_records(records) if records else pd.DataFrame()


class ProblemEntry(BaseModel):
    """One problem of a request: where it is and what is wrong."""

    model_config = ConfigDict(extra="allow")

    detail: str = Field(description="what is wrong (names table, column and up to five ids)")
    pointer: str | None = Field(
        default=None, description="JSON pointer into the request body, e.g. '#/reps/0/home_lon'"
    )
    table: str | None = Field(default=None, description="the table at fault, e.g. 'customers'")
    column: str | None = Field(default=None, description="the column at fault")


class ProblemDetails(BaseModel):
    """An error, as RFC 9457 problem details (media type ``application/problem+json``)."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(
        description="problem type URI, e.g. '/problems/validation_error'; "
        "GET /problems/{code} describes it"
    )
    title: str = Field(description="short summary of the problem type")
    status: int | None = Field(default=None, description="HTTP status code")
    detail: str = Field(description="what went wrong this time, for people")
    instance: str | None = Field(default=None, description="the request path")
    errors: list[ProblemEntry] | None = Field(
        default=None, description="one entry per problem, for validation problems"
    )


class ProblemTypeResponse(BaseModel):
    """What a problem type means."""

    type: str
    code: str
    title: str
    status: int | None = Field(description="HTTP status, or null for job-only problems")
    description: str


class StageStatus(BaseModel):
    """Whether a stage is served."""

    name: str
    available: bool
    reason: str | None = None


class Limits(BaseModel):
    """The server's limits (TERRITORY_* variables)."""

    model_config = ConfigDict(extra="allow")

    max_body_bytes: int
    max_customers: int
    max_reps: int
    max_time_limit: float
    default_time_limit: float
    max_jobs: int
    max_pending: int
    job_ttl: float
    max_result_bytes: int


class JobCounts(BaseModel):
    """Jobs of this process and of the job store."""

    active: int = Field(description="jobs queued or running in this process")
    stored: int = Field(description="jobs stored (expired tombstones aside), in all processes")


class HealthResponse(BaseModel):
    """Service status, version, stages and limits."""

    status: str
    version: str
    auth_required: bool
    stages: list[StageStatus]
    limits: Limits
    jobs: JobCounts
    job_store: str = Field(description="':memory:' or 'file' (the path is not shown)")


_JOB_STATES = (
    "queued, running, done, failed, cancelled, interrupted (the server stopped first) or "
    "expired (only in GET /v1/jobs: a job whose result was removed)"
)


class JobSummary(BaseModel):
    """A job without its result."""

    id: str
    stage: str
    state: Literal["queued", "running", "done", "failed", "cancelled", "interrupted", "expired"] = (
        Field(description=_JOB_STATES)
    )
    progress: dict[str, Any] | None = Field(
        default=None, description="done, total, fraction (0-1) and message, when reported"
    )
    created_at: str | None = Field(default=None, description="ISO 8601, UTC")
    started_at: str | None = None
    finished_at: str | None = None
    error: ProblemDetails | None = Field(
        default=None, description="why it failed, was interrupted or expired"
    )


class JobResponse(JobSummary):
    """A job's state; ``result`` when done, ``error`` when failed or interrupted."""

    result: StageResult | None = Field(
        default=None, description="the stage's result, when the job is done"
    )


class JobList(BaseModel):
    """The caller's jobs, newest first, without results."""

    jobs: list[JobSummary]
    count: int = Field(description="jobs in this answer")
    limit: int = Field(description="most jobs answered; ask for more with ?limit=")
