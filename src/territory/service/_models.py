"""Request and response models shared by every stage (pydantic; JSON only)."""

from __future__ import annotations

from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ErrorBody",
    "ErrorResponse",
    "HealthResponse",
    "JobResponse",
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


class ErrorBody(BaseModel):
    """What went wrong."""

    type: str = Field(description="machine-readable error type, e.g. 'validation_error'")
    message: str = Field(description="human-readable message (names table, column and ids)")
    problems: list[str] | None = Field(
        default=None, description="one line per problem, for validation errors"
    )


class ErrorResponse(BaseModel):
    """The body of every error response."""

    error: ErrorBody


class StageStatus(BaseModel):
    """Whether a stage is served."""

    name: str
    available: bool
    reason: str | None = None


class HealthResponse(BaseModel):
    """Service status, version, stages and limits."""

    status: str
    version: str
    auth_required: bool
    stages: list[StageStatus]
    limits: dict[str, float | int]
    jobs: dict[str, int]


class JobResponse(BaseModel):
    """A job's state; ``result`` when done, ``error`` when failed."""

    id: str
    stage: str
    state: str = Field(description="queued, running, done, failed or cancelled")
    progress: dict[str, Any] | None = Field(
        default=None, description="done, total, fraction (0-1) and message, when reported"
    )
    created_at: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    result: dict[str, Any] | None = None
    error: ErrorBody | None = None
