"""The service as a real uvicorn process on a loopback port, and its OpenAPI document."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from territory.service.openapi import openapi_text

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log_path = tmp_path_factory.mktemp("server") / "uvicorn.log"
    log = log_path.open("wb")
    env = {
        **os.environ,
        "TERRITORY_API_KEY": "test-key",
        "TERRITORY_MAX_BODY_BYTES": "100000",
        "TERRITORY_JOB_STORE": str(tmp_path_factory.mktemp("store") / "jobs.sqlite3"),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "territory.service", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{url}/v1/health", timeout=1.0)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    tail = log_path.read_text(errors="replace")[-2000:]
                    raise AssertionError(f"server did not start: {tail}") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


@pytest.mark.slow
def test_real_server_answers_over_http(server: str) -> None:
    """A uvicorn process serves health, enforces the key and body limit, and grades."""
    health = httpx.get(f"{server}/v1/health").json()
    assert health["status"] == "ok" and health["auth_required"] is True
    assert health["limits"]["max_body_bytes"] == 100000
    body = {
        "customers": [
            {"customer_id": "a", "relationship": 5, "potential": 900},
            {"customer_id": "b", "relationship": 2, "potential": 100},
        ],
        "scheme": {"name": "matrix", "parameters": {"high_potential": 500}},
    }
    assert httpx.post(f"{server}/v1/grade", json=body).status_code == 401
    response = httpx.post(f"{server}/v1/grade", json=body, headers={"X-API-Key": "test-key"})
    assert response.status_code == 200, response.text
    assert [r["grade"] for r in response.json()["grades"]["customers"]] == ["A", "D"]
    big = {"customers": [{"customer_id": f"C{i}", "potential": i} for i in range(10_000)]}
    refused = httpx.post(f"{server}/v1/grade", json=big, headers={"X-API-Key": "test-key"})
    assert refused.status_code == 413
    assert "TERRITORY_MAX_BODY_BYTES" in refused.json()["detail"]


@pytest.mark.slow
def test_real_server_refuses_streamed_body_over_limit(server: str) -> None:
    """A chunked upload without Content-Length is cut off at the body limit."""
    chunk = b" " * 10_000

    def chunks() -> Iterator[bytes]:
        for _ in range(20):
            yield chunk

    response = httpx.post(
        f"{server}/v1/grade",
        content=chunks(),
        headers={"X-API-Key": "test-key", "content-type": "application/json"},
    )
    assert response.status_code == 413


def test_committed_openapi_document_is_current() -> None:
    """docs/openapi.json equals the generated document; regenerate it after API changes.

    Regenerate with ``python -m territory.service.openapi docs/openapi.json``.
    """
    committed = REPO / "docs" / "openapi.json"
    assert committed.exists(), "docs/openapi.json is missing"
    generated = openapi_text()
    assert committed.read_text(encoding="utf-8") == generated, (
        "docs/openapi.json is out of date: run "
        "`python -m territory.service.openapi docs/openapi.json`"
    )
    document = json.loads(generated)
    assert "/v1/health" in document["paths"] and "/v1/jobs/{job_id}" in document["paths"]


def test_500_keeps_the_keep_alive_connection_usable() -> None:
    """After an unexpected error's 500, the next request on the same connection succeeds."""
    import http.client
    import threading

    import uvicorn

    from territory.service import ServiceConfig, create_app

    app = create_app(ServiceConfig(job_store=":memory:"))

    async def broken() -> None:
        raise RuntimeError("boom")

    app.add_api_route("/v1/broken", broken)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.05)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/v1/broken")
        failed = connection.getresponse()
        assert failed.status == 500
        assert json.loads(failed.read())["type"] == "/problems/internal_error"
        assert (failed.getheader("connection") or "").lower() != "close"
        socket_before = connection.sock
        connection.request("GET", "/v1/health")  # same socket: raises if it was closed
        ok = connection.getresponse()
        assert ok.status == 200 and json.loads(ok.read())["status"] == "ok"
        assert connection.sock is socket_before
        connection.close()
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        app.state.service.close()
