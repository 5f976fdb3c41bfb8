"""Tests of the service's job runner: pool bound, progress, cancellation, expiry, shutdown."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from territory.errors import InfeasibleError, ValidationError
from territory.service import ENVIRONMENT_VARIABLES, ServiceConfig, create_app
from territory.service.jobs import JobControl, JobStore, TooManyJobsError
from territory.service.store import JobDatabase
from territory.service.testing import InProcessClient as Client
from territory_cases import ManualClock, wait_done


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1000.0)


@pytest.fixture
def store(clock: ManualClock) -> Iterator[JobStore]:
    s = JobStore(workers=1, max_active=3, max_table=5, ttl=60.0, clock=clock)
    yield s
    s.shutdown()


def wait_for(
    store: JobStore, job_id: str, states: set[str], timeout: float = 10.0
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        snapshot = store.get(job_id)
        assert snapshot is not None
        if snapshot["state"] in states:
            return snapshot
        time.sleep(0.005)
    raise AssertionError(f"job {job_id} did not reach {states}: {store.get(job_id)}")


def blocking_work(release: threading.Event, started: threading.Event | None = None) -> Any:
    """Work that reports progress every few milliseconds until released."""

    def work(control: JobControl) -> dict[str, Any]:
        if started is not None:
            started.set()
        steps = 0
        while not release.is_set():
            steps += 1
            control.report(steps, None, "waiting")
            time.sleep(0.002)
        control.report(1, 1, "done")
        return {"steps": steps}

    return work


def test_job_runs_reports_progress_and_returns_result(store: JobStore) -> None:
    """A job goes queued/running -> done, with its progress and result."""
    release, started = threading.Event(), threading.Event()
    job = store.submit("demo", blocking_work(release, started))
    assert job["state"] in ("queued", "running") and job["stage"] == "demo"
    started.wait(5)
    running = wait_for(store, job["id"], {"running"})
    assert "result" not in running
    release.set()
    done = wait_for(store, job["id"], {"done"})
    assert done["result"]["steps"] >= 0
    assert done["progress"] == {"done": 1, "total": 1, "fraction": 1.0, "message": "done"}
    assert done["started_at"] and done["finished_at"]


def test_queued_job_cancelled_never_starts(store: JobStore) -> None:
    """With one worker busy, a cancelled queued job never runs."""
    release, started = threading.Event(), threading.Event()
    first = store.submit("demo", blocking_work(release, started))
    started.wait(5)
    ran = threading.Event()

    def second_work(control: JobControl) -> dict[str, Any]:
        ran.set()
        return {}

    second = store.submit("demo", second_work)
    assert second["state"] == "queued"
    outcome = store.cancel(second["id"])
    assert outcome is not None and outcome[1] is True and outcome[0]["state"] == "cancelled"
    release.set()
    wait_for(store, first["id"], {"done"})
    time.sleep(0.05)
    assert not ran.is_set()
    assert store.get(second["id"])["state"] == "cancelled"  # type: ignore[index]


def test_running_job_cancelled_stops_and_discards_result(store: JobStore) -> None:
    """Cancelling a running job marks it cancelled; its next progress report stops it."""
    release, started = threading.Event(), threading.Event()
    job = store.submit("demo", blocking_work(release, started))
    started.wait(5)
    outcome = store.cancel(job["id"])
    assert outcome is not None and outcome[0]["state"] == "cancelled"
    deadline = time.monotonic() + 5
    while store.active and time.monotonic() < deadline:  # the work stops by itself
        time.sleep(0.005)
    assert store.active == 0
    snapshot = store.get(job["id"])
    assert snapshot is not None and snapshot["state"] == "cancelled" and "result" not in snapshot
    again = store.cancel(job["id"])
    assert again is not None and again[1] is False


def test_result_of_uninterruptible_cancelled_job_is_discarded(store: JobStore) -> None:
    """Work that never reports progress finishes, but a cancelled job keeps no result."""
    release, started = threading.Event(), threading.Event()

    def work(control: JobControl) -> dict[str, Any]:
        started.set()
        release.wait(5)
        return {"answer": 42}

    job = store.submit("demo", work)
    started.wait(5)
    store.cancel(job["id"])
    assert store.active == 1  # still holds its thread
    release.set()
    deadline = time.monotonic() + 5
    while store.active and time.monotonic() < deadline:
        time.sleep(0.005)
    snapshot = store.get(job["id"])
    assert snapshot is not None and snapshot["state"] == "cancelled" and "result" not in snapshot


def test_failures_become_job_errors(store: JobStore) -> None:
    """Validation and infeasibility keep their message; other errors stay private."""

    def invalid(control: JobControl) -> dict[str, Any]:
        raise ValidationError("customers: column 'lat' is missing")

    def infeasible(control: JobControl) -> dict[str, Any]:
        raise InfeasibleError("needs 30 days, the cycle has 20")

    def broken(control: JobControl) -> dict[str, Any]:
        raise RuntimeError("/secret/path.py exploded")

    ids = [store.submit("demo", w)["id"] for w in (invalid, infeasible, broken)]
    errors = [wait_for(store, i, {"failed"})["error"] for i in ids]
    assert errors[0]["type"] == "/problems/validation_error" and "'lat'" in errors[0]["detail"]
    assert errors[1]["type"] == "/problems/infeasible"
    assert errors[1]["detail"] == "needs 30 days, the cycle has 20"
    assert errors[2]["type"] == "/problems/internal_error" and "secret" not in errors[2]["detail"]


def test_too_many_active_jobs_are_refused(store: JobStore) -> None:
    """More than max_active queued or running jobs raise TooManyJobsError."""
    release = threading.Event()
    for _ in range(3):
        store.submit("demo", blocking_work(release))
    with pytest.raises(TooManyJobsError) as info:
        store.submit("demo", blocking_work(release))
    assert info.value.limit == 3 and info.value.active == 3
    release.set()


def test_finished_jobs_expire_after_ttl(store: JobStore, clock: ManualClock) -> None:
    """A finished job loses its result once its TTL has passed, and then says so."""
    job = store.submit("demo", lambda control: {"ok": True})
    wait_for(store, job["id"], {"done"})
    clock.now += 59
    assert store.get(job["id"])["result"] == {"ok": True}  # type: ignore[index]
    clock.now += 2
    expired = store.get(job["id"])
    assert expired is not None and expired["state"] == "expired" and "result" not in expired
    assert (
        expired["error"]["type"] == "/problems/expired"
        and "TERRITORY_JOB_TTL" in expired["error"]["detail"]
    )


def test_job_table_expires_oldest_finished_jobs(store: JobStore, clock: ManualClock) -> None:
    """At most max_table jobs keep their details; the oldest finished expire first."""
    ids = []
    for _ in range(7):
        job = store.submit("demo", lambda control: {"ok": True})
        wait_for(store, job["id"], {"done"})
        clock.now += 1
        ids.append(job["id"])
    assert len(store) == 5
    assert [store.get(i)["state"] for i in ids] == ["expired"] * 2 + ["done"] * 5  # type: ignore[index]


def file_store(path: Path, clock: ManualClock, **settings: float) -> JobStore:
    """A small job store on the SQLite file ``path`` (settings override the defaults)."""
    return JobStore(
        workers=1,
        max_active=3,
        max_table=5,
        ttl=60.0,
        clock=clock,
        database=JobDatabase(path),
        **settings,  # type: ignore[arg-type]
    )


def test_results_are_bounded_by_bytes(clock: ManualClock) -> None:
    """Stored results stay under max_result_bytes; a result too large on its own fails."""
    store = JobStore(
        workers=1, max_active=3, max_table=50, ttl=60.0, clock=clock, max_result_bytes=100
    )
    try:
        ids = []
        for _ in range(4):  # each result is 30 bytes of JSON
            job = store.submit("demo", lambda control: {"text": "x" * 19})
            wait_for(store, job["id"], {"done"})
            clock.now += 1
            ids.append(job["id"])
        assert store.database.result_bytes() <= 100
        states = [store.get(i)["state"] for i in ids]  # type: ignore[index]
        assert states == ["expired", "done", "done", "done"]
        big = store.submit("demo", lambda control: {"text": "x" * 200})
        failed = wait_for(store, big["id"], {"failed"})
        assert failed["error"]["type"] == "/problems/result_too_large"
        assert "TERRITORY_MAX_RESULT_BYTES" in failed["error"]["detail"]
    finally:
        store.shutdown()


def test_shutdown_lets_running_jobs_finish_within_grace(tmp_path: Path, clock: ManualClock) -> None:
    """Within the grace period a running job finishes as done; queued ones are interrupted."""
    path = tmp_path / "jobs.sqlite3"
    store = file_store(path, clock, grace=10.0)
    release, started = threading.Event(), threading.Event()
    running = store.submit("demo", blocking_work(release, started))
    queued = store.submit("demo", blocking_work(release))
    started.wait(5)
    threading.Timer(0.2, release.set).start()
    marked = store.shutdown()
    assert [record.id for record in marked] == [queued["id"]]
    with pytest.raises(TooManyJobsError):
        store.submit("demo", blocking_work(release))
    reopened = JobDatabase(path)
    try:
        done = reopened.get(running["id"])
        assert done is not None and done.state.value == "done" and done.result is not None
    finally:
        reopened.close()


def test_shutdown_interrupts_jobs_past_grace_and_logs_each(
    tmp_path: Path, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    """Jobs still running after the grace period, and queued jobs, become interrupted."""
    path = tmp_path / "jobs.sqlite3"
    store = file_store(path, clock, grace=0.1)
    release, started = threading.Event(), threading.Event()
    running = store.submit("demo", blocking_work(release, started))
    queued = store.submit("demo", blocking_work(release))
    started.wait(5)
    with caplog.at_level(logging.WARNING, logger="territory"):
        marked = store.shutdown()
    release.set()
    assert {record.id for record in marked} == {running["id"], queued["id"]}
    lines = [r.getMessage() for r in caplog.records if "interrupted" in r.getMessage()]
    assert len(lines) == 2 and all("interrupted" in line for line in lines)
    again = file_store(path, clock)
    try:
        for job in (running, queued):
            snapshot = again.get(job["id"])
            assert snapshot is not None and snapshot["state"] == "interrupted"
            assert snapshot["error"]["type"] == "/problems/interrupted"
    finally:
        again.shutdown()


def test_cancel_from_another_process_stops_the_owner(tmp_path: Path, clock: ManualClock) -> None:
    """A job cancelled through another store on the same file stops at its next report."""
    path = tmp_path / "jobs.sqlite3"
    owner, other = file_store(path, clock), file_store(path, clock)
    try:
        release, started = threading.Event(), threading.Event()
        job = owner.submit("demo", blocking_work(release, started))
        started.wait(5)
        assert other.get(job["id"])["state"] == "running"  # type: ignore[index]
        outcome = other.cancel(job["id"])
        assert outcome is not None and outcome[1] is True
        deadline = time.monotonic() + 5
        while owner.active and time.monotonic() < deadline:
            time.sleep(0.01)
        assert owner.active == 0
        assert owner.get(job["id"])["state"] == "cancelled"  # type: ignore[index]
    finally:
        owner.shutdown()
        other.shutdown()


def test_jobs_of_a_dead_process_are_interrupted(tmp_path: Path, clock: ManualClock) -> None:
    """A queued or running job whose owner stopped its heartbeat becomes interrupted."""
    path = tmp_path / "jobs.sqlite3"
    dead = JobDatabase(path, clock=clock)
    dead.create("ghost", "demo", owner="elsewhere:1:dead")
    dead.start("ghost")
    dead.close()
    clock.now += 60
    store = JobStore(
        workers=1,
        max_active=3,
        max_table=5,
        ttl=600.0,
        clock=clock,
        database=JobDatabase(path, clock=clock),
        heartbeat=5.0,
    )
    try:
        snapshot = store.get("ghost")
        assert snapshot is not None and snapshot["state"] == "interrupted"
        assert "heartbeat" in snapshot["error"]["detail"]
    finally:
        store.shutdown()


# ------------------------------------------------------------- a real server, killed


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(store: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """``python -m territory.service`` on a free loopback port with the given job store."""
    import httpx

    port = free_port()
    env = {
        **os.environ,
        "TERRITORY_JOB_STORE": str(store),
        "TERRITORY_SHUTDOWN_GRACE": "1",
        "TERRITORY_JOB_WORKERS": "1",
        "TERRITORY_MAX_TIME_LIMIT": "60",
    }
    env.pop("TERRITORY_API_KEY", None)
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "territory.service", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"{url}/v1/health", timeout=1.0)
            return process, url
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                tail = log.read_text(errors="replace")[-2000:]
                raise AssertionError(f"server did not start: {tail}") from None
            time.sleep(0.1)


def plan_routes_body(customers: int, time_limit: float) -> dict[str, Any]:
    """Sample customers with default-policy visit needs and the region's reps."""
    from territory.datasets import sample_region
    from territory.grading import RelationshipPotentialMatrix, VisitPolicy

    region = sample_region(customers, seed=3)
    grades = RelationshipPotentialMatrix().grade(region.customers)
    needs = VisitPolicy.default().requirements(grades)
    table = region.customers.drop(columns=["grade"], errors="ignore").merge(needs, on="customer_id")
    return {
        "customers": json.loads(table.to_json(orient="records")),
        "reps": json.loads(region.reps.to_json(orient="records")),
        "time_limit": time_limit,
    }


@pytest.mark.slow
def test_sigterm_mid_job_then_restart_never_loses_a_job(tmp_path: Path) -> None:
    """SIGTERM mid-job interrupts running and queued jobs (logged); a restart reports them."""
    import httpx

    store, log = tmp_path / "jobs.sqlite3", tmp_path / "server.log"
    process, url = start_server(store, log)
    try:
        quick = httpx.post(
            f"{url}/v1/jobs/grade",
            json={
                "customers": [{"customer_id": "a", "relationship": 5, "potential": 900}],
                "scheme": {"name": "matrix", "parameters": {"high_potential": 500}},
            },
        ).json()
        assert "id" in quick, quick
        deadline = time.monotonic() + 60
        while httpx.get(f"{url}/v1/jobs/{quick['id']}").json()["state"] != "done":
            assert time.monotonic() < deadline, "the grade job never finished"
            time.sleep(0.05)
        body = plan_routes_body(300, time_limit=20)
        long = httpx.post(f"{url}/v1/jobs/plan-routes", json=body, timeout=30).json()
        queued = httpx.post(f"{url}/v1/jobs/plan-routes", json=body, timeout=30).json()
        assert long["state"] in ("queued", "running") and queued["state"] == "queued"
        while httpx.get(f"{url}/v1/jobs/{long['id']}").json()["state"] != "running":
            assert time.monotonic() < deadline, "the plan-routes job never started"
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    lines = log.read_text(errors="replace").splitlines()
    interrupted = [line for line in lines if "interrupted" in line]
    assert len(interrupted) == 2, lines[-20:]
    assert any(long["id"] in line and "grace" in line for line in interrupted)
    assert any(queued["id"] in line and "before the job started" in line for line in interrupted)

    process, url = start_server(store, log)
    try:
        answers = {
            name: httpx.get(f"{url}/v1/jobs/{job['id']}")
            for name, job in (("quick", quick), ("long", long), ("queued", queued))
        }
        assert {name: r.status_code for name, r in answers.items()} == dict.fromkeys(answers, 200)
        states = {name: r.json()["state"] for name, r in answers.items()}
        assert states == {"quick": "done", "long": "interrupted", "queued": "interrupted"}
        assert answers["quick"].json()["result"]["grades"]["customers"][0]["grade"] == "A"
        assert answers["long"].json()["error"]["type"] == "/problems/interrupted"
        assert answers["long"].json()["started_at"] is not None
        assert answers["queued"].json()["started_at"] is None
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)


@pytest.mark.slow
def test_two_uvicorn_workers_share_the_job_store(tmp_path: Path) -> None:
    """With --workers 2, a job submitted to one worker is answered by whichever one polls."""
    import httpx

    port = free_port()
    env = {**os.environ, "TERRITORY_JOB_STORE": str(tmp_path / "jobs.sqlite3")}
    env.pop("TERRITORY_API_KEY", None)
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "territory.service", "--port", str(port), "--workers", "2"],
            env=env,
            stdout=out,
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
                assert process.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
        body = {
            "customers": [{"customer_id": "a", "relationship": 5, "potential": 900.0}],
            "scheme": {"name": "matrix", "parameters": {"high_potential": 500}},
        }
        ids = [httpx.post(f"{url}/v1/jobs/grade", json=body).json()["id"] for _ in range(4)]
        answers = []
        for _ in range(20):  # fresh connections, spread over both workers
            for job_id in ids:
                response = httpx.get(f"{url}/v1/jobs/{job_id}")
                assert response.status_code == 200, response.text
                answers.append(response.json()["state"])
        assert answers[-len(ids) :] == ["done"] * len(ids)
        listed = httpx.get(f"{url}/v1/jobs").json()["jobs"]
        assert sorted(job["id"] for job in listed) == sorted(ids)
        text = log.read_text()
        assert "Started parent process" in text and text.count("Started server process") == 2
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)


# ----------------------------------------------------------------------- jobs through the app


GRADE = {
    "customers": [
        {"customer_id": "a", "relationship": 5, "potential": 900.0},
        {"customer_id": "b", "relationship": 2, "potential": 100.0},
    ],
    "scheme": {"name": "matrix", "parameters": {"high_potential": 500}},
    "policy": "default",
}


def test_job_list_shows_the_callers_jobs_newest_first() -> None:
    """GET /v1/jobs lists this key's jobs (not others'), newest first, with filters."""
    with Client(ServiceConfig(job_store=":memory:", api_key="k1", job_workers=1)) as client:
        key = {"X-API-Key": "k1"}
        first = client.post("/v1/jobs/grade", json=GRADE, headers=key).json()["id"]
        second = client.post("/v1/jobs/grade", json=GRADE, headers=key).json()["id"]
        store = client.app.state.service.jobs
        other = store.submit("grade", lambda control: {"ok": True}, caller="someone-else")
        for job_id in (first, second, other["id"]):
            deadline = time.monotonic() + 30
            while store.get(job_id)["state"] in ("queued", "running"):
                assert time.monotonic() < deadline
                time.sleep(0.02)
        listed = client.get("/v1/jobs", headers=key).json()
        assert [job["id"] for job in listed["jobs"]] == [second, first]
        assert listed["count"] == 2 and all("result" not in job for job in listed["jobs"])
        assert client.get("/v1/jobs?state=failed", headers=key).json()["jobs"] == []
        assert client.get("/v1/jobs?limit=1", headers=key).json()["count"] == 1
        assert client.get("/v1/jobs?state=bogus", headers=key).status_code == 422
        assert client.get("/v1/jobs").status_code == 401


def test_expired_job_is_410_gone_with_the_job() -> None:
    """A job whose result expired answers 410 with a problem holding the job; so does DELETE."""
    with Client(ServiceConfig(job_store=":memory:", job_ttl=0.2)) as client:
        job_id = client.post("/v1/jobs/grade", json=GRADE).json()["id"]
        assert wait_done(client, job_id)["state"] == "done"
        time.sleep(0.3)
        gone = client.get(f"/v1/jobs/{job_id}")
        assert gone.status_code == 410, gone.text
        assert gone.headers["content-type"] == "application/problem+json"
        body = gone.json()
        assert body["type"] == "/problems/expired" and "TERRITORY_JOB_TTL" in body["detail"]
        assert body["job"]["id"] == job_id and body["job"]["state"] == "expired"
        assert client.request("DELETE", f"/v1/jobs/{job_id}").status_code == 410
        listed = client.get("/v1/jobs").json()["jobs"]
        assert [job["state"] for job in listed] == ["expired"]


def test_create_app_keeps_jobs_in_a_file_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """create_app() alone stores jobs in TERRITORY_JOB_STORE's SQLite file (default in cwd)."""
    monkeypatch.chdir(tmp_path)
    for variable in ENVIRONMENT_VARIABLES.values():
        monkeypatch.delenv(variable, raising=False)
    app = create_app()
    try:
        assert app.state.service.jobs.database.path == "territory-jobs.sqlite3"
        assert (tmp_path / "territory-jobs.sqlite3").exists()
    finally:
        app.state.service.close()


def test_apps_on_one_file_share_jobs_and_outlive_each_other(tmp_path: Path) -> None:
    """A job submitted to one app (worker) is read from another, and after a restart."""
    config = ServiceConfig(job_store=str(tmp_path / "jobs.sqlite3"), job_workers=1)
    with Client(config) as one, Client(config) as two:
        job_id = one.post("/v1/jobs/grade", json=GRADE).json()["id"]
        assert wait_done(two, job_id)["state"] == "done"
        assert [job["id"] for job in two.get("/v1/jobs").json()["jobs"]] == [job_id]
    with Client(config) as restarted:
        again = restarted.get(f"/v1/jobs/{job_id}").json()
        assert again["state"] == "done" and again["result"]["grades"]["customers"]


def test_results_are_bounded_by_bytes_in_the_app(tmp_path: Path) -> None:
    """TERRITORY_MAX_RESULT_BYTES reaches the app's store: a larger result fails its job."""
    config = ServiceConfig(job_store=str(tmp_path / "jobs.sqlite3"), max_result_bytes=100)
    with Client(config) as client:
        job_id = client.post("/v1/jobs/grade", json=GRADE).json()["id"]
        failed = wait_done(client, job_id)
        assert failed["state"] == "failed"
        assert failed["error"]["type"] == "/problems/result_too_large"
