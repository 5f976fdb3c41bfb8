"""Service configuration: limits and settings, read once from environment variables.

Auth cannot be switched off by accident: ``TERRITORY_API_KEY`` set but empty is an
error (not "no key"), and :func:`check_bind` refuses to serve on a non-loopback
address without a key unless the caller says ``insecure=True`` (``--insecure``).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields

from territory.errors import ValidationError

__all__ = ["ENVIRONMENT_VARIABLES", "LOOPBACK_HOSTS", "ServiceConfig", "check_bind"]

#: Hosts that only the same machine can reach; serving on them needs no API key.
LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")

#: Environment variable of each :class:`ServiceConfig` field.
ENVIRONMENT_VARIABLES: dict[str, str] = {
    "max_body_bytes": "TERRITORY_MAX_BODY_BYTES",
    "max_customers": "TERRITORY_MAX_CUSTOMERS",
    "max_reps": "TERRITORY_MAX_REPS",
    "max_time_limit": "TERRITORY_MAX_TIME_LIMIT",
    "default_time_limit": "TERRITORY_DEFAULT_TIME_LIMIT",
    "max_jobs": "TERRITORY_MAX_JOBS",
    "max_pending": "TERRITORY_MAX_PENDING",
    "workers": "TERRITORY_WORKERS",
    "job_workers": "TERRITORY_JOB_WORKERS",
    "job_ttl": "TERRITORY_JOB_TTL",
    "max_job_table": "TERRITORY_MAX_JOB_TABLE",
    "job_store": "TERRITORY_JOB_STORE",
    "max_result_bytes": "TERRITORY_MAX_RESULT_BYTES",
    "shutdown_grace": "TERRITORY_SHUTDOWN_GRACE",
    "api_key": "TERRITORY_API_KEY",
}

#: Fields that are text, not numbers.
_TEXT_FIELDS = frozenset({"api_key", "job_store"})

#: Number fields that may be zero.
_MAY_BE_ZERO = frozenset({"shutdown_grace"})


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
    max_reps
        Most rep records in one request (more get 422).
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
    job_store
        The SQLite file that holds jobs and their results (``territory-jobs.sqlite3``
        in the working directory by default); it survives restarts and several server
        processes may share it. ``":memory:"`` keeps jobs in this process only.
    max_result_bytes
        Most bytes of finished jobs' results (as JSON) kept in the job store; the
        oldest finished jobs expire first, and a single larger result fails its job.
    shutdown_grace
        Seconds running jobs may take to finish when the server is stopped (SIGTERM);
        jobs still running then, and queued jobs, are marked ``interrupted``. May be 0.
    api_key
        When set, every endpoint except health needs this value in ``X-API-Key``,
        including the API documentation (``/docs``, ``/redoc``, ``/openapi.json``).
        An empty or blank key is an error: leave the variable unset to switch auth off.
    """

    max_body_bytes: int = 10_000_000
    max_customers: int = 5_000
    max_reps: int = 500
    max_time_limit: float = 300.0
    default_time_limit: float = 10.0
    max_jobs: int = 16
    max_pending: int = 32
    workers: int = 2
    job_workers: int = 2
    job_ttl: float = 3600.0
    max_job_table: int = 1_000
    job_store: str = "territory-jobs.sqlite3"
    max_result_bytes: int = 200_000_000
    shutdown_grace: float = 20.0
    api_key: str | None = None

    def __post_init__(self) -> None:
        problems = []
        for field in fields(self):
            if field.name in _TEXT_FIELDS:
                continue
            value = getattr(self, field.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                problems.append(f"{field.name} must be a number, got {value!r}")
            elif field.name in _MAY_BE_ZERO and math.isfinite(value) and value >= 0:
                continue
            elif not math.isfinite(value) or value <= 0:
                problems.append(f"{field.name} must be a positive number, got {value!r}")
        if self.api_key is not None and not self.api_key.strip():
            problems.append("api_key must not be empty (leave it unset to switch auth off)")
        if not self.job_store.strip():
            problems.append("job_store must name a file (or ':memory:')")
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
            variables keep their defaults, except ``TERRITORY_API_KEY``: set but empty
            is an error, so that auth is never switched off by a blank value.

        Returns
        -------
        ServiceConfig

        Raises
        ------
        ValidationError
            When a variable is not a positive number, or the API key is empty, naming
            the variable.

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
            if field.name == "api_key" and variable in source and not raw:
                problems.append(
                    f"environment variable {variable} is set but empty; set a key, or unset "
                    "the variable to serve without auth"
                )
                continue
            if not raw:
                continue
            if field.name in _TEXT_FIELDS:
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


def check_bind(host: str, config: ServiceConfig, *, insecure: bool = False) -> None:
    """Refuse to serve on a non-loopback address without an API key.

    Parameters
    ----------
    host
        The interface to bind.
    config
        The service configuration (its ``api_key``).
    insecure
        Serve without a key anyway (for example behind a proxy that authenticates).

    Raises
    ------
    ValidationError
        When ``host`` is not loopback, no key is set and ``insecure`` is false.

    Examples
    --------
    >>> check_bind("127.0.0.1", ServiceConfig())
    >>> check_bind("0.0.0.0", ServiceConfig(api_key="secret"))
    """
    if host.strip().lower() in LOOPBACK_HOSTS or config.auth_enabled or insecure:
        return
    raise ValidationError(
        f"service: refusing to listen on {host} without an API key: anyone who can reach it "
        "could use it; set TERRITORY_API_KEY, bind 127.0.0.1, or pass --insecure"
    )
