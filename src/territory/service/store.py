"""Where jobs live: one SQLite file that survives restarts and is shared by processes.

:class:`JobDatabase` keeps one row per job -- id, stage, state, owner, timestamps,
progress, error and the result as JSON text -- in a single SQLite file (the standard
library's :mod:`sqlite3`, nothing to install or run). The file is opened in WAL mode, so
readers never wait for the writer, and every change runs in its own ``BEGIN IMMEDIATE``
transaction with a busy timeout, so several processes (uvicorn workers, or a restarted
server) can share one file: a job submitted to one process is visible from all of them.
``":memory:"`` gives a private store that lives as long as the object (for tests).

States and who moves them:

* ``queued`` -> ``running`` -> ``done`` / ``failed``: the process that owns the job;
* ``cancelled``: any process, from ``queued`` or ``running`` (the owner notices at its
  next progress report);
* ``interrupted``: the owner when it shuts down before the job finished, or any process
  when the owner stopped sending heartbeats (it crashed or was killed);
* ``expired``: a finished job whose result was removed -- after its time to live, or to
  keep the stored results under their byte bound (oldest finished first). The row stays
  as a small tombstone (no result, an ``error`` that says why), so a job that existed
  never turns into "unknown". Tombstones are deleted after :data:`TOMBSTONE_SECONDS` or
  beyond :data:`MAX_TOMBSTONES`, oldest first.

Transitions are conditional updates (``... WHERE state = 'running'``): a job cancelled
by one process is never overwritten by another process's late result.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from territory.errors import TerritoryError
from territory.service.problems import legacy_problem, problem

__all__ = [
    "MAX_TOMBSTONES",
    "TOMBSTONE_SECONDS",
    "JobDatabase",
    "JobRecord",
    "JobState",
    "StoreClosedError",
]

#: Seconds an expired job's tombstone is kept (7 days).
TOMBSTONE_SECONDS = 7 * 24 * 3600.0

#: Most tombstones kept; the oldest are deleted first.
MAX_TOMBSTONES = 100_000

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    stage TEXT NOT NULL,
    state TEXT NOT NULL,
    owner TEXT NOT NULL,
    created REAL NOT NULL,
    started REAL,
    finished REAL,
    expired REAL,
    heartbeat REAL NOT NULL,
    progress TEXT,
    error TEXT,
    result TEXT,
    result_bytes INTEGER NOT NULL DEFAULT 0,
    caller TEXT NOT NULL DEFAULT ''
)""",
    "CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs (state, finished)",
)

#: Columns added since the first schema, with their definitions (added to older files).
_ADDED_COLUMNS = {"caller": "TEXT NOT NULL DEFAULT ''"}

_INDEXES = ("CREATE INDEX IF NOT EXISTS jobs_by_caller ON jobs (caller, created)",)

_COLUMNS = "id, stage, state, owner, created, started, finished, expired, progress, error, caller"


class JobState(StrEnum):
    """The state of a job."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"
    EXPIRED = "expired"

    @property
    def finished(self) -> bool:
        """Whether the job will not run any more (every state but queued and running)."""
        return self not in (JobState.QUEUED, JobState.RUNNING)


_ACTIVE = (JobState.QUEUED.value, JobState.RUNNING.value)
_FINISHED = (
    JobState.DONE.value,
    JobState.FAILED.value,
    JobState.CANCELLED.value,
    JobState.INTERRUPTED.value,
)


class StoreClosedError(TerritoryError):
    """The job database was closed (the server is shutting down)."""


def _iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="milliseconds")


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), allow_nan=False)


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def encode_result(result: dict[str, Any]) -> str:
    """A result as compact JSON text.

    Raises
    ------
    ValueError
        When the result holds NaN or infinity; TypeError when it is not JSON-safe.
    """
    return _dumps(result)


@dataclass(frozen=True)
class JobRecord:
    """One stored job, as read from the database.

    Attributes
    ----------
    id, stage, state, owner
        The job id, the stage it runs, its state and the process that runs it.
    created, started, finished, expired
        Unix timestamps (``None`` until they happen).
    progress, error, result
        As stored; ``result`` only when the job is done and it was asked for.
    caller
        Who submitted the job (a digest of the API key; empty without auth).
    """

    id: str
    stage: str
    state: JobState
    owner: str
    created: float
    started: float | None
    finished: float | None
    expired: float | None
    progress: dict[str, Any] | None
    error: dict[str, Any] | None
    result: dict[str, Any] | None = None
    caller: str = ""

    def snapshot(self) -> dict[str, Any]:
        """The job as JSON-safe values: the API's job object (the result only when done)."""
        data: dict[str, Any] = {
            "id": self.id,
            "stage": self.stage,
            "state": self.state.value,
            "progress": self.progress,
            "created_at": _iso(self.created),
            "started_at": _iso(self.started),
            "finished_at": _iso(self.finished),
        }
        if self.state is JobState.DONE:
            data["result"] = self.result
        if self.error is not None:
            data["error"] = legacy_problem(self.error)
        return data


def _record(row: Sequence[Any], result: str | None = None) -> JobRecord:
    return JobRecord(
        id=row[0],
        stage=row[1],
        state=JobState(row[2]),
        owner=row[3],
        created=row[4],
        started=row[5],
        finished=row[6],
        expired=row[7],
        progress=_loads(row[8]),
        error=_loads(row[9]),
        result=_loads(result),
        caller=row[10],
    )


class JobDatabase:
    """Jobs in one SQLite file, shared by threads and processes.

    Parameters
    ----------
    path
        The database file (created with its tables when missing; its folder must
        exist), or ``":memory:"`` for a private store that lives as long as this object.
    timeout
        Seconds a write waits for another process's write to finish before failing.
    clock
        Wall clock for timestamps, in seconds since the epoch (injectable for tests).

    Raises
    ------
    TerritoryError
        When the file cannot be opened or is not a job database.

    Examples
    --------
    >>> db = JobDatabase(":memory:")
    >>> db.create("j1", "grade", owner="me").state.value
    'queued'
    >>> db.start("j1"), db.finish("j1", JobState.DONE, result='{"ok":true}')
    (True, True)
    >>> db.get("j1").snapshot()["result"]
    {'ok': True}
    >>> db.close()
    """

    def __init__(
        self,
        path: str | os.PathLike[str] = ":memory:",
        *,
        timeout: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = str(path)
        self._clock = clock
        self._lock = threading.RLock()
        self._closed = False
        if self.path != ":memory:" and not Path(self.path).parent.is_dir():
            raise TerritoryError(
                f"job store {self.path}: the folder {Path(self.path).parent} does not exist"
            )
        try:
            self._conn = sqlite3.connect(
                self.path, timeout=timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as error:
            raise TerritoryError(f"job store {self.path}: cannot open it ({error})") from None
        try:
            self._conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            if self.path != ":memory:":
                self._conn.execute("PRAGMA journal_mode = WAL")
                self._conn.execute("PRAGMA synchronous = NORMAL")
            with self._write() as conn:
                for statement in _SCHEMA:
                    conn.execute(statement)
                present = {row[1] for row in conn.execute("PRAGMA table_info(jobs)")}
                for column, definition in _ADDED_COLUMNS.items():
                    if column not in present:  # a file written by an older version
                        conn.execute(f"ALTER TABLE jobs ADD COLUMN {column} {definition}")
                for statement in _INDEXES:
                    conn.execute(statement)
        except sqlite3.Error as error:
            self._conn.close()
            raise TerritoryError(
                f"job store {self.path}: not a usable job database ({error})"
            ) from None

    # ----------------------------------------------------------------- plumbing

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once (``BEGIN IMMEDIATE``) to avoid deadlocks."""
        with self._lock:
            if self._closed:
                raise StoreClosedError(f"job store {self.path} is closed")
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._closed:
                raise StoreClosedError(f"job store {self.path} is closed")
            yield self._conn

    def close(self) -> None:
        """Close the connection; later calls raise :class:`StoreClosedError`."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._conn.close()

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed

    # ----------------------------------------------------------------- writes

    def create(self, job_id: str, stage: str, *, owner: str, caller: str = "") -> JobRecord:
        """Store a new queued job and return it."""
        now = self._clock()
        with self._write() as conn:
            conn.execute(
                "INSERT INTO jobs (id, stage, state, owner, created, heartbeat, caller) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (job_id, stage, JobState.QUEUED.value, owner, now, now, caller),
            )
        return JobRecord(
            job_id, stage, JobState.QUEUED, owner, now, None, None, None, None, None, caller=caller
        )

    def start(self, job_id: str) -> bool:
        """Move a queued job to running; ``False`` when it is no longer queued."""
        now = self._clock()
        with self._write() as conn:
            cursor = conn.execute(
                "UPDATE jobs SET state = ?, started = ?, heartbeat = ? WHERE id = ? AND state = ?",
                (JobState.RUNNING.value, now, now, job_id, JobState.QUEUED.value),
            )
            return cursor.rowcount == 1

    def report(self, job_id: str, progress: dict[str, Any]) -> bool:
        """Store a running job's progress; ``False`` when it is no longer running."""
        with self._write() as conn:
            cursor = conn.execute(
                "UPDATE jobs SET progress = ?, heartbeat = ? WHERE id = ? AND state = ?",
                (_dumps(progress), self._clock(), job_id, JobState.RUNNING.value),
            )
            return cursor.rowcount == 1

    def finish(
        self,
        job_id: str,
        state: JobState,
        *,
        result: str | None = None,
        error: dict[str, Any] | None = None,
        progress: dict[str, Any] | None = None,
    ) -> bool:
        """Finish a running job as done (with its result text) or failed (with its error).

        Returns ``False``, changing nothing, when the job is no longer running (it was
        cancelled or interrupted meanwhile): a late result never overwrites those.
        """
        assignments = "state = ?, finished = ?, result = ?, result_bytes = ?, error = ?"
        values: list[Any] = [
            state.value,
            self._clock(),
            result,
            0 if result is None else len(result.encode("utf-8")),
            None if error is None else _dumps(error),
        ]
        if progress is not None:
            assignments += ", progress = ?"
            values.append(_dumps(progress))
        with self._write() as conn:
            cursor = conn.execute(
                f"UPDATE jobs SET {assignments} WHERE id = ? AND state = ?",
                (*values, job_id, JobState.RUNNING.value),
            )
            return cursor.rowcount == 1

    def cancel(self, job_id: str) -> tuple[JobRecord, bool] | None:
        """Cancel a queued or running job.

        Returns
        -------
        tuple or None
            The job and whether this call cancelled it (``False`` when it had already
            finished); ``None`` when there is no such job.
        """
        with self._write() as conn:
            cursor = conn.execute(
                "UPDATE jobs SET state = ?, finished = ? WHERE id = ? AND state IN (?, ?)",
                (JobState.CANCELLED.value, self._clock(), job_id, *_ACTIVE),
            )
            changed = cursor.rowcount == 1
            row = conn.execute(f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return None if row is None else (_record(row), changed)

    def interrupt(
        self,
        job_ids: Iterable[str] | None = None,
        *,
        reason: str,
        owner: str | None = None,
        stale_before: float | None = None,
    ) -> list[JobRecord]:
        """Mark queued or running jobs as interrupted, and return the ones marked.

        Parameters
        ----------
        job_ids
            The jobs to mark; every queued or running job (of ``owner``) when omitted.
        reason
            The message of the jobs' error.
        owner
            Only jobs run by this process.
        stale_before
            Only jobs whose owner's last heartbeat is older than this timestamp.
        """
        where = ["state IN (?, ?)"]
        params: list[Any] = list(_ACTIVE)
        if owner is not None:
            where.append("owner = ?")
            params.append(owner)
        if stale_before is not None:
            where.append("heartbeat < ?")
            params.append(stale_before)
        ids = None if job_ids is None else list(job_ids)
        if ids is not None:
            if not ids:
                return []
            where.append(f"id IN ({', '.join('?' * len(ids))})")
            params.extend(ids)
        error = _dumps(problem("interrupted", reason))
        with self._write() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM jobs WHERE {' AND '.join(where)}", params
            ).fetchall()
            marked = [row[0] for row in rows]
            if marked:
                conn.execute(
                    f"UPDATE jobs SET state = ?, finished = ?, error = ? "
                    f"WHERE id IN ({', '.join('?' * len(marked))})",
                    (JobState.INTERRUPTED.value, self._clock(), error, *marked),
                )
        return [_record(row) for row in rows]

    def heartbeat(self, owner: str) -> None:
        """Record that ``owner`` is alive: it still runs its queued and running jobs."""
        with self._write() as conn:
            conn.execute(
                "UPDATE jobs SET heartbeat = ? WHERE owner = ? AND state IN (?, ?)",
                (self._clock(), owner, *_ACTIVE),
            )

    def prune(self, *, ttl: float, max_result_bytes: int, max_jobs: int) -> list[str]:
        """Expire finished jobs so the store stays bounded; the ids expired.

        In this order: finished jobs older than ``ttl`` seconds; then the oldest finished
        jobs until the stored results take at most ``max_result_bytes``; then the oldest
        finished jobs until at most ``max_jobs`` jobs are not expired. An expired job
        keeps a tombstone (no result; an error saying why); tombstones older than
        :data:`TOMBSTONE_SECONDS`, or beyond :data:`MAX_TOMBSTONES`, are deleted.
        """
        now = self._clock()
        finished = f"state IN ({', '.join('?' * len(_FINISHED))})"
        with self._write() as conn:
            rows = conn.execute(
                f"SELECT id, state, finished, result_bytes FROM jobs WHERE {finished} "
                "ORDER BY finished DESC, id",
                _FINISHED,
            ).fetchall()
            active = conn.execute(
                "SELECT COUNT(*) FROM jobs WHERE state IN (?, ?)", _ACTIVE
            ).fetchone()[0]
            expire: dict[str, tuple[str, float, str]] = {}
            total_bytes = 0
            kept = active
            for job_id, state, finished_at, size in rows:  # newest first
                if now - finished_at > ttl:
                    why = f"after its time to live of {ttl:g} s (TERRITORY_JOB_TTL)"
                elif total_bytes + size > max_result_bytes:
                    why = (
                        f"to keep stored results under {max_result_bytes} bytes "
                        "(TERRITORY_MAX_RESULT_BYTES)"
                    )
                elif kept >= max_jobs:
                    why = f"to keep at most {max_jobs} jobs (TERRITORY_MAX_JOB_TABLE)"
                else:
                    total_bytes += size
                    kept += 1
                    continue
                expire[job_id] = (state, finished_at, why)
            for job_id, (state, finished_at, why) in expire.items():
                message = (
                    f"job {job_id} finished ({state}) at {_iso(finished_at)}; "
                    f"its result and details were removed {why}"
                )
                conn.execute(
                    "UPDATE jobs SET state = ?, expired = ?, result = NULL, result_bytes = 0, "
                    "error = ? WHERE id = ?",
                    (
                        JobState.EXPIRED.value,
                        now,
                        _dumps(problem("expired", message)),
                        job_id,
                    ),
                )
            conn.execute(
                "DELETE FROM jobs WHERE state = ? AND expired < ?",
                (JobState.EXPIRED.value, now - TOMBSTONE_SECONDS),
            )
            conn.execute(
                "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE state = ? "
                "ORDER BY expired DESC, id LIMIT -1 OFFSET ?)",
                (JobState.EXPIRED.value, MAX_TOMBSTONES),
            )
        return list(expire)

    # ----------------------------------------------------------------- reads

    def get(self, job_id: str, *, with_result: bool = True) -> JobRecord | None:
        """The job, or ``None`` when there is no such job (never was, or long gone)."""
        column = "result" if with_result else "NULL"
        with self._read() as conn:
            row = conn.execute(
                f"SELECT {_COLUMNS}, {column} FROM jobs WHERE id = ?", (job_id,)
            ).fetchone()
        return None if row is None else _record(row[:-1], row[-1])

    def list(
        self,
        *,
        states: Iterable[JobState] | None = None,
        owner: str | None = None,
        caller: str | None = None,
        newest_first: bool = False,
        limit: int | None = None,
    ) -> list[JobRecord]:
        """Jobs (without results), oldest first.

        Parameters
        ----------
        states, owner, caller
            Only jobs in these states, run by this process, or submitted by this caller.
        newest_first
            Newest first instead.
        limit
            At most this many jobs.
        """
        where: list[str] = ["1 = 1"]
        params: list[Any] = []
        if states is not None:
            values = [JobState(state).value for state in states]
            where.append(f"state IN ({', '.join('?' * len(values))})")
            params.extend(values)
        if owner is not None:
            where.append("owner = ?")
            params.append(owner)
        if caller is not None:
            where.append("caller = ?")
            params.append(caller)
        order = "created DESC, id DESC" if newest_first else "created, id"
        params.append(-1 if limit is None else int(limit))
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM jobs WHERE {' AND '.join(where)} ORDER BY {order} LIMIT ?",
                params,
            ).fetchall()
        return [_record(row) for row in rows]

    def count(self, *, expired: bool = False) -> int:
        """Jobs stored, without tombstones (or only tombstones when ``expired``)."""
        operator = "=" if expired else "!="
        with self._read() as conn:
            count: int = conn.execute(
                f"SELECT COUNT(*) FROM jobs WHERE state {operator} ?", (JobState.EXPIRED.value,)
            ).fetchone()[0]
        return count

    def result_bytes(self) -> int:
        """Bytes of the stored results (their JSON text)."""
        with self._read() as conn:
            total: int = conn.execute("SELECT COALESCE(SUM(result_bytes), 0) FROM jobs").fetchone()[
                0
            ]
        return total
