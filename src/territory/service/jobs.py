"""Long runs as jobs: a bounded worker pool, progress, cancellation, durable records.

A job runs one work function in a :class:`~concurrent.futures.ThreadPoolExecutor` of
fixed size; its record lives in a :class:`~territory.service.store.JobDatabase` (a
SQLite file shared by every process of the server, or ``:memory:``). Its states:
``queued`` -> ``running`` -> ``done`` / ``failed``; ``cancelled`` from ``queued`` or
``running``; ``interrupted`` when the server stopped first; ``expired`` when a finished
job's result was removed (after ``ttl`` seconds, or to keep the stored results under
``max_result_bytes``, or the jobs under ``max_table``; the oldest finished go first).

Cancelling: a queued job never starts. A running job is marked ``cancelled`` at once and
its result is discarded; the work function stops at its next progress report (the report
raises :class:`JobCancelledError`), so a solver that cannot be interrupted finishes the
piece it is working on first. Any process may cancel any job: the owner notices it when
its next progress report finds the job no longer running.

Shutting down (:meth:`JobStore.shutdown`, run by the app's lifespan when uvicorn gets
SIGTERM): queued jobs are marked ``interrupted`` at once; running jobs get ``grace``
seconds to finish; those still running then are marked ``interrupted`` and stop at their
next progress report. Each interrupted job gets a warning on ``territory``'s logger.

A process that dies without shutting down (``kill -9``, a crash) stops its heartbeat
(every ``heartbeat`` seconds); any other process -- or the next one on the same file --
marks its jobs ``interrupted`` once the heartbeat is ``6 * heartbeat`` seconds old.
"""

from __future__ import annotations

import logging
import math
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from territory.errors import InfeasibleError, ValidationError
from territory.service.config import ServiceConfig
from territory.service.problems import problem, table_problem_entries
from territory.service.store import (
    JobDatabase,
    JobRecord,
    JobState,
    StoreClosedError,
    encode_result,
)

__all__ = [
    "JobCancelledError",
    "JobControl",
    "JobState",
    "JobStore",
    "TooManyJobsError",
]

logger = logging.getLogger("territory")

Work = Callable[["JobControl"], dict[str, Any]]

#: Least seconds between two progress writes of one job (the last one is always kept).
PROGRESS_INTERVAL = 0.2


class JobCancelledError(Exception):
    """Raised inside a job's work function when the job was cancelled or interrupted."""


class TooManyJobsError(Exception):
    """The store already runs or queues as many jobs as it may (or is shutting down)."""

    def __init__(self, active: int, limit: int) -> None:
        super().__init__(f"{active} jobs are queued or running; the limit is {limit}")
        self.active = active
        self.limit = limit


@dataclass(eq=False)
class _Local:
    """What this process knows of a job it runs, beyond its record."""

    id: str
    stage: str
    stop: threading.Event = field(default_factory=threading.Event)
    future: Future[None] | None = None
    started: bool = False
    progress: dict[str, Any] | None = None
    written: float = -math.inf  # monotonic time of the last progress write


class JobControl:
    """Handed to a job's work function: report progress and notice cancellation."""

    def __init__(self, store: JobStore, local: _Local) -> None:
        self._store = store
        self._local = local

    @property
    def cancelled(self) -> bool:
        """Whether the job has been cancelled (or interrupted by a shutdown)."""
        return self._local.stop.is_set()

    def check(self) -> None:
        """Raise :class:`JobCancelledError` when the job has been cancelled."""
        if self.cancelled:
            raise JobCancelledError(self._local.id)

    def report(self, done: float, total: float | None = None, message: str | None = None) -> None:
        """Record progress, then stop the work if the job was cancelled.

        Progress is written to the store at most every :data:`PROGRESS_INTERVAL`
        seconds (and always when ``done`` reaches ``total``); the latest report is
        stored with the job's outcome in any case.

        Parameters
        ----------
        done
            Units of work done so far.
        total
            Units of work in all, when known.
        message
            What the work is doing, for example ``"rep R3"``.

        Raises
        ------
        JobCancelledError
            When the job was cancelled; let it propagate to stop the work.
        """
        fraction = None
        if total is not None and total > 0 and math.isfinite(total) and math.isfinite(done):
            fraction = min(1.0, max(0.0, done / total))
        local = self._local
        local.progress = {"done": done, "total": total, "fraction": fraction, "message": message}
        now = time.monotonic()
        if not local.stop.is_set() and (
            now - local.written >= PROGRESS_INTERVAL or fraction == 1.0
        ):
            local.written = now
            try:
                running = self._store.database.report(local.id, local.progress)
            except StoreClosedError:
                running = False
            if not running:  # cancelled or interrupted, maybe by another process
                local.stop.set()
        self.check()


def _failure(exc: BaseException) -> dict[str, Any]:
    """The job's ``error``: a problem details object, as the synchronous call answers."""
    if isinstance(exc, ValidationError):
        return problem("validation_error", str(exc), errors=table_problem_entries(exc.problems))
    if isinstance(exc, InfeasibleError):
        return problem("infeasible", str(exc))
    return problem("internal_error", "internal error; the server log has details")


class JobStore:
    """Runs jobs in a bounded thread pool and keeps their records in a job database.

    Parameters
    ----------
    workers
        Threads running jobs.
    max_active
        Most jobs queued or running at once in this process (a cancelled job whose work
        has not yet returned still counts, because it still holds a thread).
    max_table
        Most jobs kept with their details (expired tombstones aside).
    ttl
        Seconds a finished job keeps its result before it expires.
    clock
        Wall clock for timestamps and expiry (injectable for tests).
    database
        Where the records live; a private ``:memory:`` database when omitted. The store
        closes it on :meth:`shutdown`.
    max_result_bytes
        Most bytes of stored results (JSON text) in the whole database; the oldest
        finished jobs expire first. A single larger result fails its job.
    grace
        Seconds :meth:`shutdown` lets running jobs finish.
    heartbeat
        Seconds between this process's heartbeats; ``0`` for none.
    """

    def __init__(
        self,
        *,
        workers: int,
        max_active: int,
        max_table: int,
        ttl: float,
        clock: Callable[[], float] = time.time,
        database: JobDatabase | None = None,
        max_result_bytes: int = ServiceConfig.max_result_bytes,
        grace: float = 0.0,
        heartbeat: float = 5.0,
    ) -> None:
        self.max_active = max_active
        self.max_table = max_table
        self.ttl = ttl
        self.max_result_bytes = max_result_bytes
        self.grace = grace
        self.database = JobDatabase(":memory:", clock=clock) if database is None else database
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self._clock = clock
        self._lock = threading.RLock()  # taken before the database's lock, never after
        self._idle = threading.Condition(self._lock)
        self._local: dict[str, _Local] = {}
        self._active = 0
        self._closing = False
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="territory-job")
        self._stale_after = 6 * heartbeat
        self._beat_stop = threading.Event()
        self._beat: threading.Thread | None = None
        self._sweep()  # jobs of a process that died, and results past their time
        if heartbeat > 0:
            self._beat = threading.Thread(
                target=self._beat_loop, args=(heartbeat,), name="territory-job-heartbeat"
            )
            self._beat.daemon = True
            self._beat.start()

    @classmethod
    def from_config(cls, config: ServiceConfig) -> JobStore:
        """The job store a service with ``config`` uses (``config.job_store`` and limits)."""
        return cls(
            workers=config.job_workers,
            max_active=config.max_jobs,
            max_table=config.max_job_table,
            ttl=config.job_ttl,
            database=JobDatabase(config.job_store),
            max_result_bytes=config.max_result_bytes,
            grace=config.shutdown_grace,
        )

    @property
    def active(self) -> int:
        """Jobs queued or running in this process (holding or waiting for a thread)."""
        with self._lock:
            return self._active

    def __len__(self) -> int:
        """Jobs stored with their details, in every process sharing the database."""
        with self._lock:
            self._prune()
            return self.database.count()

    def submit(self, stage: str, work: Work, *, caller: str = "") -> dict[str, Any]:
        """Queue ``work`` as a new job of ``caller`` and return its snapshot.

        Raises
        ------
        TooManyJobsError
            When ``max_active`` jobs are already queued or running, or the store is
            shutting down.
        """
        with self._lock:
            if self._closing or self._active >= self.max_active:
                raise TooManyJobsError(self._active, 0 if self._closing else self.max_active)
            self._prune(extra=1)
            local = _Local(id=secrets.token_urlsafe(16), stage=stage)
            record = self.database.create(local.id, stage, owner=self.owner, caller=caller)
            self._local[local.id] = local
            self._active += 1
            local.future = self._pool.submit(self._run, local, work)
        local.future.add_done_callback(lambda _: self._release(local))
        return record.snapshot()

    def get(self, job_id: str) -> dict[str, Any] | None:
        """The snapshot of a job, or ``None`` when it is unknown (or long expired)."""
        record = self.database.get(job_id)
        if record is not None and self._due(record):
            with self._lock:
                self._sweep()
            record = self.database.get(job_id)
        return None if record is None else record.snapshot()

    def list_jobs(
        self, *, caller: str | None = None, states: Sequence[str] | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        """Snapshots of jobs (without results), newest first.

        Parameters
        ----------
        caller
            Only the jobs this caller submitted; every job when ``None``.
        states
            Only jobs in these states.
        limit
            At most this many.
        """
        with self._lock:
            self._prune()
        records = self.database.list(
            caller=caller,
            states=None if states is None else [JobState(state) for state in states],
            newest_first=True,
            limit=limit,
        )
        snapshots = [record.snapshot() for record in records]
        for snapshot in snapshots:
            snapshot.pop("result", None)  # listed without results (read as None)
        return snapshots

    def cancel(self, job_id: str) -> tuple[dict[str, Any], bool] | None:
        """Cancel a queued or running job.

        Returns
        -------
        tuple or None
            The job's snapshot and whether this call cancelled it (``False`` when it
            had already finished, which leaves it as it is); ``None`` when unknown.
        """
        with self._lock:
            outcome = self.database.cancel(job_id)
            local = self._local.get(job_id)
            if outcome is not None and outcome[1] and local is not None:
                local.stop.set()
                if local.future is not None:
                    local.future.cancel()  # succeeds only while the job is still queued
        if outcome is None:
            return None
        return outcome[0].snapshot(), outcome[1]

    def shutdown(self, grace: float | None = None) -> list[JobRecord]:
        """Stop taking jobs, let running ones finish, mark the rest interrupted.

        Queued jobs are marked ``interrupted`` at once; running jobs get ``grace``
        seconds, then those still running are marked ``interrupted`` too (their work
        stops at its next progress report). Logs one warning per interrupted job,
        stops the worker threads (without waiting for work that is still running) and
        closes the database.

        Parameters
        ----------
        grace
            Seconds to wait for running jobs; the store's ``grace`` when omitted.

        Returns
        -------
        list of JobRecord
            The jobs this call marked interrupted.
        """
        grace = self.grace if grace is None else grace
        with self._lock:
            if self._closing:
                return []
            self._closing = True
            queued = [local for local in self._local.values() if not local.started]
            for local in queued:
                local.stop.set()
                if local.future is not None:
                    local.future.cancel()
            interrupted = self._interrupt(
                [local.id for local in queued], "the server shut down before the job started"
            )
            running = [local.id for local in self._local.values() if local.started]
            if running:
                logger.info(
                    "service: shutting down; waiting up to %g s for %d running job(s)",
                    grace,
                    len(running),
                )
            deadline = time.monotonic() + grace
            while any(local.started for local in self._local.values()):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._idle.wait(left)
            late = [local for local in self._local.values() if local.started]
            for local in late:
                local.stop.set()
            interrupted += self._interrupt(
                [local.id for local in late],
                f"the server shut down; the job was still running after the grace period of "
                f"{grace:g} s (TERRITORY_SHUTDOWN_GRACE)",
            )
            self._beat_stop.set()
        if self._beat is not None:
            self._beat.join(timeout=5)
        self._pool.shutdown(wait=False, cancel_futures=True)
        with self._lock:
            self.database.close()
        return interrupted

    # ------------------------------------------------------------------ internals

    def _interrupt(self, job_ids: list[str], reason: str) -> list[JobRecord]:
        if not job_ids:
            return []
        marked = self.database.interrupt(job_ids, reason=reason)
        for record in marked:
            _log_interrupted(record, reason)
        return marked

    def _run(self, local: _Local, work: Work) -> None:
        with self._lock:
            if self._closing or local.stop.is_set() or not self.database.start(local.id):
                return
            local.started = True
        control = JobControl(self, local)
        try:
            try:
                result = work(control)
                text = encode_result(result)
            except JobCancelledError:
                return
            except Exception as exc:  # every failure becomes the job's error
                if not isinstance(exc, ValidationError | InfeasibleError):
                    logger.exception("service: job %s (%s) failed", local.id, local.stage)
                self.database.finish(
                    local.id, JobState.FAILED, error=_failure(exc), progress=local.progress
                )
                return
            size = len(text.encode("utf-8"))
            if size > self.max_result_bytes:
                message = (
                    f"the result is {size} bytes, more than the {self.max_result_bytes} bytes "
                    "the server keeps (TERRITORY_MAX_RESULT_BYTES)"
                )
                logger.warning("service: job %s (%s) failed: %s", local.id, local.stage, message)
                self.database.finish(
                    local.id,
                    JobState.FAILED,
                    error=problem("result_too_large", message),
                    progress=local.progress,
                )
                return
            # a job cancelled or interrupted meanwhile keeps that state: finish() is a no-op
            if self.database.finish(local.id, JobState.DONE, result=text, progress=local.progress):
                with self._lock:
                    self._prune()
        except StoreClosedError:  # shut down while the work ran; the job is interrupted
            return

    def _release(self, local: _Local) -> None:
        with self._lock:
            self._active -= 1
            self._local.pop(local.id, None)
            local.started = False
            self._idle.notify_all()

    def _prune(self, extra: int = 0) -> None:
        """Expire what the bounds ask for; ``extra`` jobs are about to be added."""
        expired = self.database.prune(
            ttl=self.ttl, max_result_bytes=self.max_result_bytes, max_jobs=self.max_table - extra
        )
        if expired:
            logger.info("service: %d finished job(s) expired", len(expired))

    def _sweep(self) -> None:
        """Interrupt jobs of processes whose heartbeat stopped, then prune."""
        if self._stale_after > 0:
            self._interrupt_stale()
        self._prune()

    def _interrupt_stale(self) -> None:
        stale_before = self._clock() - self._stale_after
        reason = (
            "the server that ran the job stopped without finishing it (no heartbeat for "
            f"{self._stale_after:g} s)"
        )
        marked = self.database.interrupt(reason=reason, stale_before=stale_before)
        for record in marked:
            if record.owner != self.owner:
                _log_interrupted(record, reason)

    def _due(self, record: JobRecord) -> bool:
        """Whether the job is finished and past its time to live (but not yet expired).

        Jobs whose owner died are found by the heartbeat thread's sweep instead.
        """
        if record.state is JobState.EXPIRED or record.finished is None:
            return False
        return self._clock() - record.finished > self.ttl

    def _beat_loop(self, interval: float) -> None:
        while not self._beat_stop.wait(interval):
            try:
                with self._lock:
                    if self._closing:
                        return
                    self.database.heartbeat(self.owner)
                    self._sweep()
            except StoreClosedError:
                return
            except Exception:  # a locked database, a full disk: keep beating
                logger.exception("service: job store heartbeat failed")


def _log_interrupted(record: JobRecord, reason: str) -> None:
    """One warning line for a job marked interrupted."""
    logger.warning(
        "service: job %s (%s, %s) interrupted: %s",
        record.id,
        record.stage,
        record.state.value,
        reason,
    )
