"""Write the service's OpenAPI document: ``python -m territory.service.openapi docs/openapi.json``.

The document depends on which stages this installation serves (see
``GET /v1/health``), never on the limits or the API key, so the committed file is
regenerated only when endpoints or models change.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from territory.service._app import create_app
from territory.service.config import ServiceConfig

__all__ = ["main", "openapi_document", "openapi_text"]


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document of an app with the default limits (and a private job store).

    Examples
    --------
    >>> openapi_document()["info"]["title"]
    'territory'
    """
    app = create_app(ServiceConfig(job_store=":memory:"))
    try:
        return app.openapi()
    finally:
        app.state.service.close()


def openapi_text() -> str:
    """The OpenAPI document as stable, indented JSON text (keys sorted, final newline)."""
    return json.dumps(openapi_document(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Write the document to the given path (``-`` for standard output)."""
    parser = argparse.ArgumentParser(
        prog="python -m territory.service.openapi",
        description="Write the OpenAPI document of the territory HTTP service.",
    )
    parser.add_argument("path", help="output file, for example docs/openapi.json; - for stdout")
    args = parser.parse_args(argv)
    text = openapi_text()
    if args.path == "-":
        sys.stdout.write(text)
    else:
        Path(args.path).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
