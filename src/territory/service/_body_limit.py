"""ASGI middleware that refuses request bodies above a size limit with 413.

The limit is checked twice: on the ``Content-Length`` header before anything is read,
and on the bytes actually received (a chunked body has no ``Content-Length``, and a
client may lie). The body is read up to the limit and then replayed to the app.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from territory.service._errors import error_response

__all__ = ["BodySizeLimit"]


class BodySizeLimit:
    """Wrap an ASGI app so that bodies larger than ``max_bytes`` get 413.

    Parameters
    ----------
    app
        The wrapped ASGI application.
    max_bytes
        Largest accepted body in bytes.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _too_large(self, size: str) -> str:
        return (
            f"request body of {size} exceeds the limit of {self.max_bytes} bytes "
            "(TERRITORY_MAX_BODY_BYTES)"
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI connection."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    response = error_response(
                        400,
                        "bad_request",
                        "Content-Length header is not a number",
                        instance=scope.get("path"),
                    )
                    await response(scope, receive, send)
                    return
                if declared > self.max_bytes:
                    response = error_response(
                        413,
                        "payload_too_large",
                        self._too_large(f"{declared} bytes"),
                        instance=scope.get("path"),
                    )
                    await response(scope, receive, send)
                    return
        chunks: list[bytes] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > self.max_bytes:
                response = error_response(
                    413,
                    "payload_too_large",
                    self._too_large(f"at least {received} bytes"),
                    instance=scope.get("path"),
                )
                await response(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
