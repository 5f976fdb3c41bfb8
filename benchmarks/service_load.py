"""Load test of the HTTP service: latency of concurrent stage requests.

    python benchmarks/service_load.py --requests 200 --concurrency 8 --customers 60

Starts a real uvicorn server (``python -m territory.service``) on a free loopback port
in a subprocess, sends ``--requests`` POST requests to one stage with at most
``--concurrency`` in flight (httpx), then stops the server. The stage is
``plan-routes`` when the installation serves it, otherwise ``territories`` (choose with
``--stage``). Every request carries the same sample-region body (``--customers``
customers, seed 0). Prints p50/p95/max latency, throughput and the number of errors
(any status other than 200, or a transport error), and the latency of ``GET /v1/health``
probed every 0.25 s during the load (shows whether solves starve the event loop).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

import httpx

from territory.datasets import sample_region


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def records(frame: Any) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = json.loads(frame.to_json(orient="records"))
    return result


def request_body(stage: str, customers: int, time_limit: float) -> dict[str, Any]:
    region = sample_region(max(customers, 20), seed=0)
    if stage == "plan-routes":
        from territory.grading import RelationshipPotentialMatrix, VisitPolicy

        grades = RelationshipPotentialMatrix().grade(region.customers)
        needs = VisitPolicy.default().requirements(grades)
        table = region.customers.drop(columns=["grade"], errors="ignore").merge(
            needs, on="customer_id"
        )
        return {
            "customers": records(table),
            "reps": records(region.reps),
            "cycle": {"weeks": 4, "days": 5},
            "time_limit": time_limit,
            "seed": 0,
        }
    if stage == "territories":
        return {
            "customers": records(region.customers),
            "reps": records(region.reps),
            "balance": {"count": 0.15, "potential": 0.15},
            "time_limit": time_limit,
        }
    raise SystemExit(f"unsupported stage {stage!r}")


async def load(url: str, path: str, body: dict[str, Any], requests: int, concurrency: int) -> Any:
    latencies: list[float] = []
    errors: dict[str, int] = {}
    gate = asyncio.Semaphore(concurrency)
    payload = json.dumps(body).encode()
    headers = {"content-type": "application/json"}
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=600.0, limits=limits) as client:

        async def one() -> None:
            async with gate:
                start = time.perf_counter()
                try:
                    response = await client.post(path, content=payload, headers=headers)
                    status = str(response.status_code)
                except httpx.TransportError as error:
                    status = type(error).__name__
                latencies.append(time.perf_counter() - start)
                if status != "200":
                    errors[status] = errors.get(status, 0) + 1

        health: list[float] = []
        running = True

        async def probe() -> None:
            async with httpx.AsyncClient(base_url=url, timeout=600.0) as side:
                while running:
                    await asyncio.sleep(0.25)
                    begin = time.perf_counter()
                    await side.get("/v1/health")
                    health.append(time.perf_counter() - begin)

        prober = asyncio.create_task(probe())
        start = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(requests)))
        wall = time.perf_counter() - start
        running = False
        await prober
    return latencies, errors, wall, health


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--customers", type=int, default=60)
    parser.add_argument("--stage", default="auto", help="plan-routes, territories or auto")
    parser.add_argument("--time-limit", type=float, default=1.0, help="solver seconds")
    parser.add_argument("--workers", type=int, default=2, help="TERRITORY_WORKERS")
    args = parser.parse_args()

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "TERRITORY_WORKERS": str(args.workers),
        "TERRITORY_MAX_PENDING": str(max(args.concurrency, 1)),
    }
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "territory.service", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    health = httpx.get(f"{url}/v1/health", timeout=1.0).json()
                    break
                except httpx.TransportError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        log.seek(0)
                        raise SystemExit("server did not start:\n" + log.read().decode()) from None
                    time.sleep(0.1)
            served = {s["name"] for s in health["stages"] if s["available"]}
            stage = args.stage
            if stage == "auto":
                stage = "plan-routes" if "plan-routes" in served else "territories"
            if stage not in served:
                raise SystemExit(f"the server does not serve {stage!r} (serves {sorted(served)})")
            body = request_body(stage, args.customers, args.time_limit)
            latencies, errors, wall, health = asyncio.run(
                load(url, f"/v1/{stage}", body, args.requests, args.concurrency)
            )
        finally:
            server.terminate()
            server.wait(timeout=60)

    latencies.sort()
    p95 = latencies[min(len(latencies) - 1, round(0.95 * (len(latencies) - 1)))]
    print(
        f"stage {stage}, {args.customers} customers, time_limit {args.time_limit:g} s, "
        f"{args.requests} requests, concurrency {args.concurrency}, "
        f"{args.workers} solve workers"
    )
    print(
        f"p50 {statistics.median(latencies):.3f} s, p95 {p95:.3f} s, "
        f"max {latencies[-1]:.3f} s, throughput {args.requests / wall:.2f} req/s, "
        f"wall {wall:.1f} s"
    )
    print(f"errors: {sum(errors.values())} {errors if errors else ''}".rstrip())
    if health:
        print(
            f"GET /v1/health during the load: p50 {statistics.median(health) * 1000:.0f} ms, "
            f"max {max(health) * 1000:.0f} ms ({len(health)} probes)"
        )


if __name__ == "__main__":
    main()
