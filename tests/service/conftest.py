"""Fixtures shared by the service tests: in-process clients and the sample region."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from territory.datasets import sample_region
from territory.service import ServiceConfig
from territory.service.testing import InProcessClient


@pytest.fixture
def make_client() -> Iterator[Callable[..., InProcessClient]]:
    """Build clients on an in-memory job store (``ServiceConfig`` overrides as keywords).

    Every client made is closed at teardown.
    """
    made: list[InProcessClient] = []

    def make(**overrides: Any) -> InProcessClient:
        client = InProcessClient(ServiceConfig(job_store=":memory:", **overrides))
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture(scope="module")
def region() -> Any:
    """200 sample customers and their reps (seed 3), built once per test module."""
    return sample_region(200, seed=3)
