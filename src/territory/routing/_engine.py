"""The internal interface between the planner and the vehicle-routing solvers.

The planner cuts its work into small routing problems with time windows (one rep-day,
or one day of a benchmark) and hands each to an :class:`Engine`. Engines:
``"ortools"`` (default) and ``"pyvrp"`` (optional extra ``territory[pyvrp]``).

Conventions: node 0 is the depot (the rep's home); nodes ``1..n`` are visits. Times
are minutes (floats); engines that need integers scale and round travel times *up* so
that a route feasible for the engine is feasible on the real data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from territory.errors import ValidationError

__all__ = ["ENGINES", "DayProblem", "DaySolution", "Engine", "get_engine"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class DayProblem:
    """A vehicle-routing problem with time windows (one depot).

    Attributes
    ----------
    travel
        ``(n+1, n+1)`` travel minutes; row/column 0 is the depot.
    service
        ``(n+1,)`` service minutes at each node (``service[0] == 0``).
    earliest, latest
        ``(n+1,)`` window for the *start of service* at each node, in minutes after
        midnight; entry 0 is the vehicles' shift (leave home no earlier than
        ``earliest[0]``, be back no later than ``latest[0]``).
    cost
        ``(n+1, n+1)`` arc cost that is minimised (for example kilometres, or
        Euclidean distance in a benchmark); ``None`` means ``travel``.
    vehicles
        Number of vehicles available (a rep-day has one).
    demand, capacity
        Optional load per node and capacity per vehicle.
    max_duration
        Optional longest route duration (return time minus departure time).
    drop_penalty
        ``(n+1,)`` cost of leaving each visit out, or ``None`` when every visit is
        mandatory. Higher penalties mark higher-priority visits.
    breaks
        Optional ``(earliest_start, latest_start, minutes)`` of a break every vehicle
        takes (for example a lunch break).
    """

    travel: FloatArray
    service: FloatArray
    earliest: FloatArray
    latest: FloatArray
    cost: FloatArray | None = None
    vehicles: int = 1
    demand: FloatArray | None = None
    capacity: float | None = None
    max_duration: float | None = None
    drop_penalty: FloatArray | None = None
    breaks: tuple[float, float, float] | None = None

    def __post_init__(self) -> None:
        n = len(self.service)
        if self.travel.shape != (n, n):
            raise ValidationError(
                f"day problem: travel has shape {self.travel.shape}, expected {(n, n)}"
            )
        if self.cost is not None and self.cost.shape != (n, n):
            raise ValidationError(
                f"day problem: cost has shape {self.cost.shape}, expected {(n, n)}"
            )
        for name in ("earliest", "latest"):
            if len(getattr(self, name)) != n:
                raise ValidationError(f"day problem: {name} must have {n} entries")
        if self.vehicles < 1:
            raise ValidationError(f"day problem: vehicles must be at least 1, got {self.vehicles}")

    @property
    def size(self) -> int:
        """Number of visits (depot excluded)."""
        return len(self.service) - 1


@dataclass(frozen=True)
class DaySolution:
    """Routes found for a :class:`DayProblem`.

    Attributes
    ----------
    routes
        One list per used vehicle with the visit nodes (``1..n``) in order; the depot
        is implied at both ends. Empty routes are omitted.
    starts
        Per route, the start-of-service time at each of its nodes (minutes after
        midnight), aligned with ``routes``.
    dropped
        Visit nodes left out (only possible when ``drop_penalty`` is given).
    cost
        Objective value: sum of arc costs of the routes (drop penalties excluded).
    feasible
        Whether every mandatory visit is routed and every constraint holds.
    """

    routes: list[list[int]]
    starts: list[list[float]] = field(default_factory=list)
    dropped: list[int] = field(default_factory=list)
    cost: float = 0.0
    feasible: bool = True


class Engine(Protocol):
    """A solver of :class:`DayProblem`."""

    name: str

    def solve(self, problem: DayProblem, *, time_limit: float, seed: int = 0) -> DaySolution:
        """Solve ``problem`` within ``time_limit`` seconds, deterministically for ``seed``."""
        ...


#: Engine factories by name; each import is deferred so optional solvers stay optional.
ENGINES: dict[str, Callable[[], Engine]] = {}


def get_engine(name: str) -> Engine:
    """Return the engine called ``name`` (``"ortools"`` or ``"pyvrp"``).

    Raises
    ------
    ValidationError
        For an unknown name.
    ImportError
        When the engine's solver package is not installed.
    """
    if name not in ENGINES:
        raise ValidationError(
            f"engine: unknown engine {name!r}; choose one of {', '.join(sorted(ENGINES))}"
        )
    return ENGINES[name]()
