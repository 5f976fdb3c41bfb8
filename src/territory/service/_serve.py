"""Run the service with uvicorn: :func:`serve` and ``python -m territory.service``."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from territory.errors import TerritoryError
from territory.service._app import create_app
from territory.service._config import ServiceConfig

__all__ = ["add_serve_arguments", "main", "serve"]

logger = logging.getLogger("territory")


def serve(
    host: str = "127.0.0.1", port: int = 8000, *, config: ServiceConfig | None = None
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
    """
    import uvicorn

    app = create_app(config)
    if host not in ("127.0.0.1", "::1", "localhost") and not app.state.service.config.auth_enabled:
        logger.warning("service: listening on %s without an API key (TERRITORY_API_KEY)", host)
    uvicorn.run(app, host=host, port=port, log_level="info", server_header=False)


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--host`` and ``--port`` to a command's argument parser."""
    parser.add_argument(
        "--host", default="127.0.0.1", help="interface to bind (default: %(default)s)"
    )
    parser.add_argument("--port", type=int, default=8000, help="TCP port (default: %(default)s)")


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m territory.service [--host H] [--port P]``; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m territory.service",
        description="Serve territory over HTTP (limits from TERRITORY_* variables).",
    )
    add_serve_arguments(parser)
    args = parser.parse_args(argv)
    try:
        serve(args.host, args.port)
    except TerritoryError as error:  # for example a bad TERRITORY_* variable
        sys.stderr.write(f"territory service: {error}\n")
        return 2
    return 0
