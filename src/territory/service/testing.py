"""Call the service in-process, without a server: for tests and notebooks.

Examples
--------
>>> from territory.service import ServiceConfig
>>> with InProcessClient(ServiceConfig(job_store=":memory:")) as client:
...     client.get("/v1/health").status_code
200
"""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Any

import httpx

from territory.service._app import create_app
from territory.service.config import ServiceConfig

__all__ = ["InProcessClient"]


class InProcessClient:
    """A synchronous client that calls the app through httpx's ASGI transport.

    Parameters
    ----------
    config
        Service configuration; the app is created from it. Its jobs live in
        ``config.job_store``: pass ``job_store=":memory:"`` for a private store that
        leaves no file behind.
    """

    def __init__(self, config: ServiceConfig) -> None:
        self.app = create_app(config)

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send one request and return the response."""

        async def call() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                return await client.request(method, url, **kwargs)

        return asyncio.run(call())

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        """``GET url``."""
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        """``POST url``."""
        return self.request("POST", url, **kwargs)

    def close(self) -> None:
        """Stop the app's worker pools."""
        self.app.state.service.close()

    def __enter__(self) -> InProcessClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
