"""Tests of the service's job database: records, transitions, bounds, sharing, restarts."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from territory.errors import TerritoryError
from territory.service.problems import problem
from territory.service.store import (
    JobDatabase,
    JobState,
    StoreClosedError,
    encode_result,
)
from territory_cases import ManualClock


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1_700_000_000.0)


@pytest.fixture
def db(tmp_path: Path, clock: ManualClock) -> Iterator[JobDatabase]:
    d = JobDatabase(tmp_path / "jobs.sqlite3", clock=clock)
    yield d
    d.close()


def finished(db: JobDatabase, job_id: str, result: dict[str, object]) -> None:
    db.create(job_id, "demo", owner="me")
    assert db.start(job_id)
    assert db.finish(job_id, JobState.DONE, result=encode_result(result))


def test_round_trip_keeps_every_field(db: JobDatabase, clock: ManualClock) -> None:
    """A job's stage, state, progress, timestamps and result read back as written."""
    created = db.create("j1", "plan-routes", owner="me")
    assert created.state is JobState.QUEUED and created.created == clock.now
    clock.now += 1
    assert db.start("j1")
    assert db.report("j1", {"done": 1, "total": 3, "fraction": 1 / 3, "message": "rep r1"})
    clock.now += 2
    assert db.finish("j1", JobState.DONE, result=encode_result({"visits": [1, 2]}))
    record = db.get("j1")
    assert record is not None
    snapshot = record.snapshot()
    assert snapshot["state"] == "done" and snapshot["stage"] == "plan-routes"
    assert snapshot["result"] == {"visits": [1, 2]}
    assert snapshot["progress"]["message"] == "rep r1"
    assert snapshot["created_at"] == "2023-11-14T22:13:20.000+00:00"
    assert snapshot["started_at"] == "2023-11-14T22:13:21.000+00:00"
    assert snapshot["finished_at"] == "2023-11-14T22:13:23.000+00:00"
    assert db.get("j1", with_result=False).result is None  # type: ignore[union-attr]
    assert db.get("nope") is None


def test_failed_job_keeps_its_error(db: JobDatabase) -> None:
    """A failed job reads back with its error (as problem details) and without a result."""
    db.create("j1", "grade", owner="me")
    db.start("j1")
    db.finish("j1", JobState.FAILED, error=problem("infeasible", "30 > 20"))
    snapshot = db.get("j1").snapshot()  # type: ignore[union-attr]
    assert snapshot["state"] == "failed" and "result" not in snapshot
    assert snapshot["error"] == {
        "type": "/problems/infeasible",
        "title": "Infeasible request",
        "status": 422,
        "detail": "30 > 20",
    }


def test_error_stored_by_an_older_version_reads_as_a_problem(db: JobDatabase) -> None:
    """An error stored as {type, message} (before problem details) reads back as a problem."""
    db.create("j1", "grade", owner="me")
    db.start("j1")
    db.finish("j1", JobState.FAILED, error={"type": "infeasible", "message": "30 > 20"})
    error = db.get("j1").snapshot()["error"]  # type: ignore[union-attr]
    assert error["type"] == "/problems/infeasible" and error["detail"] == "30 > 20"


def test_transitions_are_conditional(db: JobDatabase) -> None:
    """A cancelled job never starts, takes no progress and keeps no late result."""
    db.create("j1", "demo", owner="me")
    outcome = db.cancel("j1")
    assert outcome is not None and outcome[1] is True and outcome[0].state is JobState.CANCELLED
    assert not db.start("j1")
    assert not db.report("j1", {"done": 1})
    assert not db.finish("j1", JobState.DONE, result="{}")
    again = db.cancel("j1")
    assert again is not None and again[1] is False
    assert db.cancel("nope") is None
    assert db.get("j1").state is JobState.CANCELLED  # type: ignore[union-attr]


def test_interrupt_marks_only_active_jobs(db: JobDatabase) -> None:
    """Interrupting marks queued and running jobs, leaves finished ones, and says why."""
    db.create("queued", "demo", owner="me")
    db.create("running", "demo", owner="me")
    db.start("running")
    finished(db, "done", {"ok": True})
    db.create("other", "demo", owner="someone else")
    marked = db.interrupt(reason="the server shut down", owner="me")
    assert sorted(record.id for record in marked) == ["queued", "running"]
    assert {record.state for record in marked} == {JobState.QUEUED, JobState.RUNNING}
    for job_id in ("queued", "running"):
        snapshot = db.get(job_id).snapshot()  # type: ignore[union-attr]
        assert snapshot["state"] == "interrupted" and snapshot["finished_at"] is not None
        assert snapshot["error"] == {
            "type": "/problems/interrupted",
            "title": "Job interrupted",
            "detail": "the server shut down",
        }
    assert db.get("done").state is JobState.DONE  # type: ignore[union-attr]
    assert db.get("other").state is JobState.QUEUED  # type: ignore[union-attr]
    assert db.interrupt([], reason="x") == []


def test_interrupt_stale_uses_heartbeats(db: JobDatabase, clock: ManualClock) -> None:
    """Only jobs whose owner's heartbeat is older than the cut-off are interrupted."""
    db.create("old", "demo", owner="dead")
    db.create("fresh", "demo", owner="alive")
    clock.now += 100
    db.heartbeat("alive")
    marked = db.interrupt(reason="no heartbeat", stale_before=clock.now - 30)
    assert [record.id for record in marked] == ["old"]
    assert db.get("fresh").state is JobState.QUEUED  # type: ignore[union-attr]


def test_prune_bounds_result_bytes_oldest_first(db: JobDatabase, clock: ManualClock) -> None:
    """Results over the byte bound expire, oldest finished first, as tombstones that say why."""
    for n in range(5):
        finished(db, f"j{n}", {"text": "x" * 90})  # 101 bytes of JSON each
        clock.now += 1
    assert db.result_bytes() == 505
    expired = db.prune(ttl=3600, max_result_bytes=250, max_jobs=100)
    assert expired == ["j2", "j1", "j0"]
    assert db.result_bytes() == 202
    tombstone = db.get("j0").snapshot()  # type: ignore[union-attr]
    assert tombstone["state"] == "expired" and "result" not in tombstone
    assert tombstone["error"]["type"] == "/problems/expired"
    assert "(done)" in tombstone["error"]["detail"]
    assert "TERRITORY_MAX_RESULT_BYTES" in tombstone["error"]["detail"]
    assert db.count() == 2 and db.count(expired=True) == 3


def test_prune_expires_by_ttl_and_count_and_spares_active_jobs(
    db: JobDatabase, clock: ManualClock
) -> None:
    """Jobs past their TTL expire, then the oldest beyond max_jobs; active jobs never do."""
    finished(db, "old", {})
    clock.now += 100
    for n in range(3):
        finished(db, f"j{n}", {})
        clock.now += 1
    db.create("queued", "demo", owner="me")
    expired = db.prune(ttl=50, max_result_bytes=10**6, max_jobs=3)
    assert expired == ["j0", "old"]
    assert db.get("queued").state is JobState.QUEUED  # type: ignore[union-attr]
    assert "TERRITORY_JOB_TTL" in db.get("old").error["detail"]  # type: ignore[union-attr,index]
    assert "TERRITORY_MAX_JOB_TABLE" in db.get("j0").error["detail"]  # type: ignore[union-attr,index]


def test_tombstones_are_deleted_after_a_week(db: JobDatabase, clock: ManualClock) -> None:
    """An expired job answers as expired for a week, then is gone."""
    finished(db, "j1", {})
    clock.now += 1
    db.prune(ttl=0, max_result_bytes=10**6, max_jobs=10)
    assert db.get("j1").state is JobState.EXPIRED  # type: ignore[union-attr]
    clock.now += 6 * 24 * 3600
    db.prune(ttl=0, max_result_bytes=10**6, max_jobs=10)
    assert db.get("j1") is not None
    clock.now += 2 * 24 * 3600
    db.prune(ttl=0, max_result_bytes=10**6, max_jobs=10)
    assert db.get("j1") is None


def test_two_connections_see_each_others_writes(tmp_path: Path) -> None:
    """Two databases on one file (two processes' view) share jobs, states and results."""
    path = tmp_path / "jobs.sqlite3"
    first, second = JobDatabase(path), JobDatabase(path)
    try:
        first.create("j1", "demo", owner="first")
        assert second.get("j1").state is JobState.QUEUED  # type: ignore[union-attr]
        assert first.start("j1")
        assert second.cancel("j1")[1] is True  # type: ignore[index]
        assert not first.report("j1", {"done": 1})  # the owner notices the cancellation
        second.create("j2", "demo", owner="second")
        second.start("j2")
        second.finish("j2", JobState.DONE, result=encode_result({"ok": 1}))
        assert first.get("j2").result == {"ok": 1}  # type: ignore[union-attr]
        assert [r.id for r in first.list()] == ["j1", "j2"]
        assert [r.id for r in first.list(states=[JobState.DONE])] == ["j2"]
        mode = sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0]
        assert mode == "wal"
    finally:
        first.close()
        second.close()


def test_concurrent_writers_do_not_lose_jobs(tmp_path: Path) -> None:
    """Threads writing through two connections at once keep every job."""
    path = tmp_path / "jobs.sqlite3"
    dbs = [JobDatabase(path), JobDatabase(path)]
    errors: list[BaseException] = []

    def write(db: JobDatabase, prefix: str) -> None:
        try:
            for n in range(50):
                job_id = f"{prefix}{n}"
                db.create(job_id, "demo", owner=prefix)
                db.start(job_id)
                db.report(job_id, {"done": n})
                db.finish(job_id, JobState.DONE, result="{}")
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(dbs[n % 2], f"t{n}-")) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert errors == []
        assert dbs[0].count() == 200
        assert {r.state for r in dbs[1].list()} == {JobState.DONE}
    finally:
        for d in dbs:
            d.close()


def test_jobs_survive_reopening(tmp_path: Path) -> None:
    """A closed and reopened database (a restart) still has every job and result."""
    path = tmp_path / "jobs.sqlite3"
    db = JobDatabase(path)
    finished(db, "j1", {"answer": 42})
    db.create("j2", "demo", owner="me")
    db.interrupt(reason="stopped", owner="me")
    db.close()
    with pytest.raises(StoreClosedError):
        db.get("j1")
    again = JobDatabase(path)
    try:
        assert again.get("j1").result == {"answer": 42}  # type: ignore[union-attr]
        assert again.get("j2").state is JobState.INTERRUPTED  # type: ignore[union-attr]
    finally:
        again.close()


def test_unusable_paths_raise_territory_errors(tmp_path: Path) -> None:
    """A missing folder or a file that is not a database gives a clear error."""
    with pytest.raises(TerritoryError, match="does not exist"):
        JobDatabase(tmp_path / "missing" / "jobs.sqlite3")
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"not a database at all" * 100)
    with pytest.raises(TerritoryError, match="not a usable job database"):
        JobDatabase(garbage)


def test_results_must_be_json_safe() -> None:
    """NaN in a result is refused rather than stored as invalid JSON."""
    with pytest.raises(ValueError):
        encode_result({"x": float("nan")})
