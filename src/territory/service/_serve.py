"""Run the service with uvicorn: :func:`serve` and ``python -m territory.service``.

The app keeps its jobs in the configured job store (``TERRITORY_JOB_STORE``, a
SQLite file), so jobs outlive the process and several uvicorn workers
(``--workers N``) share them. On SIGTERM uvicorn stops accepting connections, then runs
the app's lifespan shutdown, which gives running jobs ``TERRITORY_SHUTDOWN_GRACE``
seconds and marks the rest ``interrupted`` (a log line each).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from fastapi import FastAPI

from territory.errors import TerritoryError
from territory.service._app import create_app
from territory.service.config import ServiceConfig, check_bind
from territory.service.jobs import JobStore

__all__ = ["add_serve_arguments", "durable_app", "main", "serve"]

logger = logging.getLogger("territory")

_LOOPBACK = ("127.0.0.1", "::1", "localhost")


def _log_to_stderr() -> None:
    """Show the ``territory`` logger's info lines next to uvicorn's (servers only)."""
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s:     %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


def durable_app(config: ServiceConfig | None = None) -> FastAPI:
    """The app, with the ``territory`` logger's lines on standard error.

    :func:`territory.service.create_app` already keeps its jobs in the configured job
    store (``config.job_store``); this adds the server's logging and one line saying
    where the jobs are. It is the uvicorn factory of ``--workers N``
    (``uvicorn --factory territory.service._serve:durable_app``).

    Parameters
    ----------
    config
        Limits and settings; read from ``TERRITORY_*`` environment variables when omitted.

    Returns
    -------
    fastapi.FastAPI
    """
    _log_to_stderr()
    app = create_app(config)
    jobs: JobStore = app.state.service.jobs
    path = jobs.database.path
    where = path if path == ":memory:" else str(Path(path).resolve())
    logger.info(
        "service: jobs stored in %s (%d kept; shutdown grace %g s)", where, len(jobs), jobs.grace
    )
    return app


def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    config: ServiceConfig | None = None,
    workers: int = 1,
    insecure: bool = False,
) -> None:
    """Serve the HTTP API with uvicorn until interrupted.

    Parameters
    ----------
    host
        Interface to bind; the loopback interface by default. Bind another address
        only behind a reverse proxy that terminates TLS, and set ``TERRITORY_API_KEY``.
    port
        TCP port.
    config
        Limits and settings; read from ``TERRITORY_*`` environment variables when omitted.
    workers
        uvicorn worker processes; they share the job store. More than one needs
        ``config=None`` (each worker reads the environment variables).
    insecure
        Listen on a non-loopback address without an API key anyway (for example
        behind a proxy that authenticates); refused otherwise.

    Raises
    ------
    ValueError
        When ``workers`` is below 1, or above 1 with a ``config``.
    ValidationError
        When ``host`` is not loopback, no API key is set and ``insecure`` is false.
    """
    import uvicorn

    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    if workers > 1 and config is not None:
        raise ValueError("several workers read their settings from TERRITORY_* variables")
    config = ServiceConfig.from_env() if config is None else config
    check_bind(host, config, insecure=insecure)
    if host not in _LOOPBACK and not config.auth_enabled:
        logger.warning("service: listening on %s without an API key (--insecure)", host)
    if workers > 1:
        if config.job_store == ":memory:":
            raise ValueError("several workers need a job store file (TERRITORY_JOB_STORE)")
        uvicorn.run(
            "territory.service._serve:durable_app",
            factory=True,
            workers=workers,
            host=host,
            port=port,
            log_level="info",
            server_header=False,
        )
        return
    app = durable_app(config)
    uvicorn.run(app, host=host, port=port, log_level="info", server_header=False)


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--host`` and ``--port`` to a command's argument parser."""
    parser.add_argument(
        "--host", default="127.0.0.1", help="interface to bind (default: %(default)s)"
    )
    parser.add_argument("--port", type=int, default=8000, help="TCP port (default: %(default)s)")


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m territory.service [--host H] [--port P] [--workers N]``; the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m territory.service",
        description="Serve territory over HTTP (limits from TERRITORY_* variables).",
    )
    add_serve_arguments(parser)
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes sharing the job store (default: %(default)s)",
    )
    parser.add_argument(
        "--insecure",
        action="store_true",
        help="listen on a non-loopback address without TERRITORY_API_KEY anyway",
    )
    args = parser.parse_args(argv)
    try:
        serve(args.host, args.port, workers=args.workers, insecure=args.insecure)
    except (TerritoryError, ValueError) as error:  # for example a bad TERRITORY_* variable
        sys.stderr.write(f"territory service: {error}\n")
        return 2
    return 0
