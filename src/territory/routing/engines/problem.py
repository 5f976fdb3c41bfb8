"""The internal interface between the planner and the vehicle-routing solvers.

The planner cuts its work into small routing problems with time windows (one rep-day,
or one day of a benchmark) and hands each to an :class:`Engine`. Engines:
``"ortools"`` (default) and ``"pyvrp"`` (optional extra ``territory[pyvrp]``).

Conventions: node 0 is the depot (the rep's home); nodes ``1..n`` are visits. Times
are minutes (floats); engines that need integers scale them by :data:`TIME_SCALE` and
round travel and service times *up* (windows inwards) so that a route feasible for the
engine is feasible on the real data.

Determinism: a search stopped by ``time_limit`` depends on how fast the machine runs
at that moment, so two runs with the same seed can differ under varying load. Pass a
work limit (``iterations``) to get the same solution for the same problem and seed on
any machine: ruin-and-repair rounds for OR-Tools (which then also skips its
time-capped arc-based starts), PyVRP iterations for PyVRP. ``time_limit`` then only
caps the run; hitting the cap is logged as a warning because the result is no longer
reproducible. The trade-off: a work limit gives the same quality everywhere but not a
bounded time; a time limit bounds the time but not the result. Rates measured on the
shared project machine: OR-Tools does about 15-80 rounds per second on 100 visits
(per-route rounds; the spread follows route length) and about 20 on 30 visits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from territory.errors import ProblemCollector

__all__ = [
    "COST_SCALE",
    "DEMAND_SCALE",
    "TIME_SCALE",
    "DayProblem",
    "DaySolution",
    "IntegerProblem",
    "to_integers",
]

FloatArray = NDArray[np.float64]

#: Integer ticks per minute used by engines that need integer times.
TIME_SCALE = 1000
#: Integer ticks per cost unit used by engines that need integer costs.
COST_SCALE = 1000
#: Integer ticks per demand unit used by engines that need integer loads.
DEMAND_SCALE = 1000

_TABLE = "day problem"


def _as_float_array(value: Any) -> FloatArray:
    return np.asarray(value, dtype=np.float64)


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
        mandatory. Higher penalties mark higher-priority visits. Entry 0 is ignored.
    breaks
        Optional ``(earliest_start, latest_start, minutes)`` of a break every vehicle
        takes (for example a lunch break). The break is taken while the vehicle waits
        or between two visits (never during a service); a route that is over before
        ``latest_start`` or starts after the break needs no break inside it.

    Raises
    ------
    ValidationError
        Listing every inconsistent field (shapes, negative times, empty windows).

    Examples
    --------
    >>> import numpy as np
    >>> p = DayProblem(
    ...     travel=np.array([[0.0, 5.0], [5.0, 0.0]]),
    ...     service=np.array([0.0, 10.0]),
    ...     earliest=np.array([480.0, 540.0]),
    ...     latest=np.array([1020.0, 600.0]),
    ... )
    >>> p.size
    1
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
        for name in ("travel", "service", "earliest", "latest", "cost", "demand", "drop_penalty"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, _as_float_array(value))
        problems = ProblemCollector()
        n = len(self.service)
        if n < 1:
            problems.add(_TABLE, "service", "needs at least the depot entry")
        for name in ("travel", "cost"):
            matrix = getattr(self, name)
            if matrix is None:
                continue
            if matrix.shape != (n, n):
                problems.add(_TABLE, name, f"has shape {matrix.shape}, expected {(n, n)}")
            elif not np.all(np.isfinite(matrix)) or np.any(matrix < 0):
                bad = np.unique(np.nonzero(~np.isfinite(matrix) | (matrix < 0))[0])
                problems.add(_TABLE, name, "has negative or missing entries", bad, id_column="row")
        for name in ("earliest", "latest", "demand", "drop_penalty"):
            vector = getattr(self, name)
            if vector is None:
                continue
            if vector.shape != (n,):
                problems.add(_TABLE, name, f"must have {n} entries, got shape {vector.shape}")
            elif not np.all(np.isfinite(vector)):
                bad = np.nonzero(~np.isfinite(vector))[0]
                problems.add(_TABLE, name, "has missing values", bad, id_column="node")
        if self.service.shape == (n,):
            bad = np.nonzero(~np.isfinite(self.service) | (self.service < 0))[0]
            if len(bad):
                problems.add(
                    _TABLE, "service", "has negative or missing values", bad, id_column="node"
                )
        if self.earliest.shape == (n,) and self.latest.shape == (n,):
            bad = np.nonzero(self.latest < self.earliest)[0]
            if len(bad):
                problems.add(_TABLE, "latest", "is before earliest", bad, id_column="node")
        for name in ("demand", "drop_penalty"):
            vector = getattr(self, name)
            if vector is not None and vector.shape == (n,) and np.any(vector < 0):
                bad = np.nonzero(vector < 0)[0]
                problems.add(_TABLE, name, "has negative values", bad, id_column="node")
        if self.vehicles < 1:
            problems.add(_TABLE, "vehicles", f"must be at least 1, got {self.vehicles}")
        if self.capacity is not None and self.capacity < 0:
            problems.add(_TABLE, "capacity", f"must not be negative, got {self.capacity}")
        if self.max_duration is not None and self.max_duration < 0:
            problems.add(_TABLE, "max_duration", f"must not be negative, got {self.max_duration}")
        if self.breaks is not None:
            values: tuple[float, ...] = tuple(self.breaks)
            if len(values) != 3 or values[1] < values[0] or values[2] < 0:
                problems.add(
                    _TABLE,
                    "breaks",
                    "must be (earliest_start, latest_start, minutes) with "
                    f"earliest_start <= latest_start and minutes >= 0, got {self.breaks}",
                )
        problems.raise_if_any()

    @property
    def size(self) -> int:
        """Number of visits (depot excluded)."""
        return len(self.service) - 1

    @property
    def arc_cost(self) -> FloatArray:
        """The minimised arc cost matrix (``cost``, or ``travel`` when it is ``None``)."""
        return self.travel if self.cost is None else self.cost


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
    break_starts
        Per route, the start of its break (minutes after midnight), or ``None`` when
        the problem has no breaks; aligned with ``routes``.
    """

    routes: list[list[int]]
    starts: list[list[float]] = field(default_factory=list)
    dropped: list[int] = field(default_factory=list)
    cost: float = 0.0
    feasible: bool = True
    break_starts: list[float | None] = field(default_factory=list)


IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class IntegerProblem:
    """A :class:`DayProblem` in integer ticks, rounded so that feasibility carries over.

    Travel and service times and demands are rounded up, windows, capacity, duration
    and break bounds inwards; costs and penalties are rounded to the nearest tick (they
    only steer the search). ``None`` fields of the problem stay ``None``.
    """

    travel: IntArray
    service: IntArray
    earliest: IntArray
    latest: IntArray
    cost: IntArray
    demand: IntArray | None
    capacity: int | None
    max_duration: int | None
    drop_penalty: IntArray | None
    breaks: tuple[int, int, int] | None


def _up(values: FloatArray | float, scale: int) -> Any:
    # The small slack absorbs float noise such as 0.1 * 1000 = 100.00000000000001.
    return np.ceil(np.asarray(values, dtype=np.float64) * scale - 1e-6).astype(np.int64)


def _down(values: FloatArray | float, scale: int) -> Any:
    return np.floor(np.asarray(values, dtype=np.float64) * scale + 1e-6).astype(np.int64)


def to_integers(problem: DayProblem) -> IntegerProblem:
    """Scale ``problem`` to integer ticks (:data:`TIME_SCALE`, :data:`COST_SCALE`).

    Parameters
    ----------
    problem
        The float problem.

    Returns
    -------
    IntegerProblem
        Integer arrays with travel and service rounded up and windows rounded inwards.

    Examples
    --------
    >>> import numpy as np
    >>> p = DayProblem(
    ...     travel=np.array([[0.0, 1.00001], [1.00001, 0.0]]),
    ...     service=np.zeros(2),
    ...     earliest=np.zeros(2),
    ...     latest=np.array([60.0, 30.5]),
    ... )
    >>> ticks = to_integers(p)
    >>> int(ticks.travel[0, 1]), int(ticks.latest[1])
    (1001, 30500)
    """
    travel = np.ceil(problem.travel * TIME_SCALE).astype(np.int64)
    np.fill_diagonal(travel, 0)
    breaks = None
    if problem.breaks is not None:
        start, end, minutes = problem.breaks
        breaks = (
            int(_up(start, TIME_SCALE)),
            int(_down(end, TIME_SCALE)),
            int(_up(minutes, TIME_SCALE)),
        )
    return IntegerProblem(
        travel=travel,
        service=_up(problem.service, TIME_SCALE),
        earliest=_up(problem.earliest, TIME_SCALE),
        latest=_down(problem.latest, TIME_SCALE),
        cost=np.rint(problem.arc_cost * COST_SCALE).astype(np.int64),
        demand=None if problem.demand is None else _up(problem.demand, DEMAND_SCALE),
        capacity=None if problem.capacity is None else int(_down(problem.capacity, DEMAND_SCALE)),
        max_duration=(
            None if problem.max_duration is None else int(_down(problem.max_duration, TIME_SCALE))
        ),
        drop_penalty=(
            None
            if problem.drop_penalty is None
            else np.rint(problem.drop_penalty * COST_SCALE).astype(np.int64)
        ),
        breaks=breaks,
    )
