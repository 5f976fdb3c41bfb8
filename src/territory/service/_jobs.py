"""Long runs as jobs: a bounded worker pool, progress, cancellation, expiry.

A job runs one work function in a :class:`~concurrent.futures.ThreadPoolExecutor` of
fixed size. Its states: ``queued`` -> ``running`` -> ``done`` / ``failed``, or
``cancelled`` from ``queued`` or ``running``. A queued job that is cancelled never
starts. A running job that is cancelled is marked ``cancelled`` at once and its result
is discarded; the work function stops at its next progress report (the report raises
:class:`JobCancelledError`), so a solver that cannot be interrupted finishes the piece it is
working on first. Finished jobs expire ``ttl`` seconds after they finish, and the table
keeps at most ``max_table`` jobs (the oldest finished ones are dropped first).
"""

from __future__ import annotations

import logging
import math
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from territory.errors import InfeasibleError, ValidationError

__all__ = ["Job", "JobCancelledError", "JobControl", "JobState", "JobStore", "TooManyJobsError"]

logger = logging.getLogger("territory")

Work = Callable[["JobControl"], dict[str, Any]]


class JobState(StrEnum):
    """The state of a job."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        """Whether the job will not change any more."""
        return self in (JobState.DONE, JobState.FAILED, JobState.CANCELLED)


class JobCancelledError(Exception):
    """Raised inside a job's work function when the job was cancelled."""


class TooManyJobsError(Exception):
    """The store already runs or queues as many jobs as it may."""

    def __init__(self, active: int, limit: int) -> None:
        super().__init__(f"{active} jobs are queued or running; the limit is {limit}")
        self.active = active
        self.limit = limit


def _iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="milliseconds")


@dataclass(eq=False)
class Job:
    """One job; mutable, changed only under the store's lock."""

    id: str
    stage: str
    state: JobState = JobState.QUEUED
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    finished_monotonic: float | None = None
    progress: dict[str, Any] | None = None
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    cancel_requested: threading.Event = field(default_factory=threading.Event)
    future: Future[None] | None = None

    def snapshot(self) -> dict[str, Any]:
        """The job as JSON-safe values (the result only when done)."""
        data: dict[str, Any] = {
            "id": self.id,
            "stage": self.stage,
            "state": self.state.value,
            "progress": dict(self.progress) if self.progress else None,
            "created_at": _iso(self.created),
            "started_at": _iso(self.started),
            "finished_at": _iso(self.finished),
        }
        if self.state is JobState.DONE:
            data["result"] = self.result
        if self.error is not None:
            data["error"] = dict(self.error)
        return data


class JobControl:
    """Handed to a job's work function: report progress and notice cancellation."""

    def __init__(self, job: Job, lock: threading.RLock) -> None:
        self._job = job
        self._lock = lock

    @property
    def cancelled(self) -> bool:
        """Whether the job has been cancelled."""
        return self._job.cancel_requested.is_set()

    def check(self) -> None:
        """Raise :class:`JobCancelledError` when the job has been cancelled."""
        if self.cancelled:
            raise JobCancelledError(self._job.id)

    def report(self, done: float, total: float | None = None, message: str | None = None) -> None:
        """Record progress, then stop the work if the job was cancelled.

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
        with self._lock:
            self._job.progress = {
                "done": done,
                "total": total,
                "fraction": fraction,
                "message": message,
            }
        self.check()


def _failure(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, ValidationError):
        return {"type": "validation_error", "message": str(exc), "problems": list(exc.problems)}
    if isinstance(exc, InfeasibleError):
        return {"type": "infeasible", "message": str(exc)}
    return {"type": "internal_error", "message": "internal error; the server log has details"}


class JobStore:
    """Runs jobs in a bounded thread pool and remembers them for a while.

    Parameters
    ----------
    workers
        Threads running jobs.
    max_active
        Most jobs queued or running at once (a cancelled job whose work has not yet
        returned still counts, because it still holds a thread).
    max_table
        Most jobs remembered at once.
    ttl
        Seconds a finished job is kept.
    clock
        Monotonic clock used for expiry (injectable for tests).
    """

    def __init__(
        self,
        *,
        workers: int,
        max_active: int,
        max_table: int,
        ttl: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_active = max_active
        self.max_table = max_table
        self.ttl = ttl
        self._clock = clock
        self._lock = threading.RLock()  # future callbacks may run under it
        self._jobs: dict[str, Job] = {}
        self._active = 0
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="territory-job")

    @property
    def active(self) -> int:
        """Jobs queued or running (holding or waiting for a worker thread)."""
        with self._lock:
            return self._active

    def __len__(self) -> int:
        with self._lock:
            self._expire()
            return len(self._jobs)

    def submit(self, stage: str, work: Work) -> dict[str, Any]:
        """Queue ``work`` as a new job and return its snapshot.

        Raises
        ------
        TooManyJobsError
            When ``max_active`` jobs are already queued or running.
        """
        with self._lock:
            self._expire()
            if self._active >= self.max_active:
                raise TooManyJobsError(self._active, self.max_active)
            self._make_room()
            job = Job(id=secrets.token_urlsafe(16), stage=stage)
            self._jobs[job.id] = job
            self._active += 1
            snapshot = job.snapshot()
        future = self._pool.submit(self._run, job, work)
        future.add_done_callback(self._release)
        with self._lock:
            job.future = future
        return snapshot

    def get(self, job_id: str) -> dict[str, Any] | None:
        """The snapshot of a job, or ``None`` when it is unknown or expired."""
        with self._lock:
            self._expire()
            job = self._jobs.get(job_id)
            return None if job is None else job.snapshot()

    def cancel(self, job_id: str) -> tuple[dict[str, Any], bool] | None:
        """Cancel a queued or running job.

        Returns
        -------
        tuple or None
            The job's snapshot and whether this call cancelled it (``False`` when it
            had already finished, which leaves it as it is); ``None`` when unknown.
        """
        with self._lock:
            self._expire()
            job = self._jobs.get(job_id)
            if job is None:
                return None
            if job.state.finished:
                return job.snapshot(), False
            job.cancel_requested.set()
            if job.future is not None:
                job.future.cancel()  # succeeds only while the job is still queued
            self._finish(job, JobState.CANCELLED)
            return job.snapshot(), True

    def shutdown(self) -> None:
        """Cancel every job and stop the worker threads (running work is not awaited)."""
        with self._lock:
            for job in self._jobs.values():
                if not job.state.finished:
                    job.cancel_requested.set()
                    self._finish(job, JobState.CANCELLED)
        self._pool.shutdown(wait=False, cancel_futures=True)

    # ------------------------------------------------------------------ internals

    def _run(self, job: Job, work: Work) -> None:
        with self._lock:
            if job.state is not JobState.QUEUED:
                return
            job.state = JobState.RUNNING
            job.started = time.time()
        control = JobControl(job, self._lock)
        try:
            result = work(control)
        except JobCancelledError:
            return
        except Exception as exc:  # every failure becomes the job's error
            if not isinstance(exc, ValidationError | InfeasibleError):
                logger.exception("service: job %s (%s) failed", job.id, job.stage)
            with self._lock:
                if job.state is JobState.RUNNING:
                    job.error = _failure(exc)
                    self._finish(job, JobState.FAILED)
            return
        with self._lock:
            if job.state is JobState.RUNNING:  # a cancelled job's result is discarded
                job.result = result
                self._finish(job, JobState.DONE)

    def _release(self, future: Future[None]) -> None:
        with self._lock:
            self._active -= 1

    def _finish(self, job: Job, state: JobState) -> None:
        job.state = state
        job.finished = time.time()
        job.finished_monotonic = self._clock()

    def _expire(self) -> None:
        now = self._clock()
        expired = [
            job_id
            for job_id, job in self._jobs.items()
            if job.finished_monotonic is not None and now - job.finished_monotonic > self.ttl
        ]
        for job_id in expired:
            del self._jobs[job_id]

    def _make_room(self) -> None:
        """Drop the oldest finished jobs until one more fits in the table."""
        if len(self._jobs) < self.max_table:
            return
        finished = sorted(
            (job for job in self._jobs.values() if job.finished_monotonic is not None),
            key=lambda job: job.finished_monotonic or 0.0,
        )
        for job in finished[: len(self._jobs) - self.max_table + 1]:
            del self._jobs[job.id]
