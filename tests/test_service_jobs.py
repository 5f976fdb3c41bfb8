"""Tests of the service's job store: worker pool bound, progress, cancellation, expiry."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from territory.errors import InfeasibleError, ValidationError
from territory.service._jobs import JobControl, JobStore, TooManyJobsError


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(clock: Clock) -> Iterator[JobStore]:
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
    assert errors[0]["type"] == "validation_error" and "'lat'" in errors[0]["message"]
    assert errors[1] == {"type": "infeasible", "message": "needs 30 days, the cycle has 20"}
    assert errors[2]["type"] == "internal_error" and "secret" not in errors[2]["message"]


def test_too_many_active_jobs_are_refused(store: JobStore) -> None:
    """More than max_active queued or running jobs raise TooManyJobsError."""
    release = threading.Event()
    for _ in range(3):
        store.submit("demo", blocking_work(release))
    with pytest.raises(TooManyJobsError) as info:
        store.submit("demo", blocking_work(release))
    assert info.value.limit == 3 and info.value.active == 3
    release.set()


def test_finished_jobs_expire_after_ttl(store: JobStore, clock: Clock) -> None:
    """A finished job is forgotten once its TTL has passed."""
    job = store.submit("demo", lambda control: {"ok": True})
    wait_for(store, job["id"], {"done"})
    clock.now += 59
    assert store.get(job["id"]) is not None
    clock.now += 2
    assert store.get(job["id"]) is None


def test_job_table_drops_oldest_finished_jobs(store: JobStore, clock: Clock) -> None:
    """The table never holds more than max_table jobs; the oldest finished go first."""
    ids = []
    for _ in range(7):
        job = store.submit("demo", lambda control: {"ok": True})
        wait_for(store, job["id"], {"done"})
        clock.now += 1
        ids.append(job["id"])
    assert len(store) == 5
    assert store.get(ids[0]) is None and store.get(ids[1]) is None
    assert all(store.get(i) is not None for i in ids[2:])
