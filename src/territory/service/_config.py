"""Service configuration: limits and settings, read once from environment variables."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields

from territory.errors import ValidationError

__all__ = ["ENVIRONMENT_VARIABLES", "ServiceConfig"]

#: Environment variable of each :class:`ServiceConfig` field.
ENVIRONMENT_VARIABLES: dict[str, str] = {
    "max_body_bytes": "TERRITORY_MAX_BODY_BYTES",
    "max_customers": "TERRITORY_MAX_CUSTOMERS",
    "max_time_limit": "TERRITORY_MAX_TIME_LIMIT",
    "default_time_limit": "TERRITORY_DEFAULT_TIME_LIMIT",
    "max_jobs": "TERRITORY_MAX_JOBS",
    "max_pending": "TERRITORY_MAX_PENDING",
    "workers": "TERRITORY_WORKERS",
    "job_workers": "TERRITORY_JOB_WORKERS",
    "job_ttl": "TERRITORY_JOB_TTL",
    "max_job_table": "TERRITORY_MAX_JOB_TABLE",
    "api_key": "TERRITORY_API_KEY",
}


@dataclass(frozen=True)
class ServiceConfig:
    """Limits and settings of the HTTP service.

    Every field has an environment variable (:data:`ENVIRONMENT_VARIABLES`, for
    example ``TERRITORY_MAX_CUSTOMERS``) read once by :meth:`from_env` when the app is
    created; changing the environment afterwards has no effect on a running app.

    Attributes
    ----------
    max_body_bytes
        Largest request body in bytes (larger requests get 413).
    max_customers
        Most customer records in one request (more get 422).
    max_time_limit
        Longest ``time_limit`` in seconds a request may ask for (longer gets 422).
    default_time_limit
        ``time_limit`` used when a request gives none (capped at ``max_time_limit``).
    max_jobs
        Most jobs queued or running at once (more get 429 with ``Retry-After``).
    max_pending
        Most synchronous solves waiting or running at once (more get 503 with
        ``Retry-After``).
    workers
        Threads that run synchronous solves.
    job_workers
        Threads that run jobs; a separate pool, so jobs never starve synchronous calls.
    job_ttl
        Seconds a finished job (done, failed or cancelled) is kept before it expires.
    max_job_table
        Most jobs remembered at once; the oldest finished jobs are dropped first.
    api_key
        When set, every endpoint except health needs this value in ``X-API-Key``.
    """

    max_body_bytes: int = 10_000_000
    max_customers: int = 5_000
    max_time_limit: float = 300.0
    default_time_limit: float = 10.0
    max_jobs: int = 16
    max_pending: int = 32
    workers: int = 2
    job_workers: int = 2
    job_ttl: float = 3600.0
    max_job_table: int = 1_000
    api_key: str | None = None

    def __post_init__(self) -> None:
        problems = []
        for field in fields(self):
            if field.name == "api_key":
                continue
            value = getattr(self, field.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                problems.append(f"{field.name} must be a number, got {value!r}")
            elif not math.isfinite(value) or value <= 0:
                problems.append(f"{field.name} must be a positive number, got {value!r}")
        if self.api_key is not None and not self.api_key.strip():
            problems.append("api_key must not be empty (leave it unset to switch auth off)")
        if not problems and self.max_job_table < self.max_jobs:
            problems.append(
                f"max_job_table ({self.max_job_table}) must be at least max_jobs ({self.max_jobs})"
            )
        if problems:
            raise ValidationError([f"service config: {p}" for p in problems])

    @property
    def auth_enabled(self) -> bool:
        """Whether requests need an ``X-API-Key`` header."""
        return self.api_key is not None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ServiceConfig:
        """Read the configuration from environment variables.

        Parameters
        ----------
        environ
            The variables to read; ``os.environ`` when omitted. Unset or empty
            variables keep their defaults.

        Returns
        -------
        ServiceConfig

        Raises
        ------
        ValidationError
            When a variable is not a positive number, naming the variable.

        Examples
        --------
        >>> ServiceConfig.from_env({"TERRITORY_MAX_CUSTOMERS": "200"}).max_customers
        200
        """
        source = os.environ if environ is None else environ
        values: dict[str, object] = {}
        problems = []
        for field in fields(cls):
            variable = ENVIRONMENT_VARIABLES[field.name]
            raw = source.get(variable, "").strip()
            if not raw:
                continue
            if field.name == "api_key":
                values[field.name] = raw
                continue
            is_int = isinstance(getattr(cls, field.name), int)
            try:
                values[field.name] = int(raw) if is_int else float(raw)
            except ValueError:
                kind = "a whole number" if is_int else "a number"
                problems.append(f"environment variable {variable} must be {kind}, got {raw!r}")
        if problems:
            raise ValidationError(problems)
        try:
            return cls(**values)  # type: ignore[arg-type]
        except ValidationError as error:
            names = {f"service config: {name} ": var for name, var in ENVIRONMENT_VARIABLES.items()}
            renamed = []
            for problem in error.problems:
                for prefix, variable in names.items():
                    if problem.startswith(prefix):
                        problem = f"environment variable {variable}: {problem}"
                        break
                renamed.append(problem)
            raise ValidationError(renamed) from None
