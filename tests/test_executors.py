"""Tests of territory.executors."""

from __future__ import annotations

from concurrent.futures import Executor, ThreadPoolExecutor

from territory.executors import worker_count


class _Opaque(Executor):
    """An executor that says nothing of its workers."""


def test_worker_count_reads_pools_and_defaults_to_one() -> None:
    """None and unknown executors count 1; a pool counts its workers."""
    assert worker_count(None) == 1
    assert worker_count(_Opaque()) == 1
    with ThreadPoolExecutor(max_workers=3) as pool:
        assert worker_count(pool) == 3
