"""What the library needs to know of a ``concurrent.futures.Executor``."""

from __future__ import annotations

from concurrent.futures import Executor

__all__ = ["worker_count"]


def worker_count(executor: Executor | None) -> int:
    """How many tasks ``executor`` runs at once (1 for ``None`` or when unknown).

    Reads a ``ThreadPoolExecutor``'s or ``ProcessPoolExecutor``'s worker count, or the
    threads of the cluster behind a Dask ``Client.get_executor()``.
    """
    if executor is None:
        return 1
    count = getattr(executor, "_max_workers", None)
    if isinstance(count, int) and count > 0:
        return count
    client = getattr(executor, "_client", None)  # dask's ClientExecutor
    if client is not None:
        try:
            return max(1, int(sum(client.nthreads().values())))
        except Exception:  # pragma: no cover - depends on the cluster
            return 1
    return 1
