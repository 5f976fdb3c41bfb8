"""The periodic vehicle-routing problem (PVRP) over explicit day combinations.

A :class:`PeriodicInstance` is the classic PVRP of Cordeau, Gendreau & Laporte (1997):
``t`` days, ``m`` vehicles a day with a capacity and a longest route duration per day,
and customers that each need ``frequency`` visits on one of their allowed day
combinations. :func:`read_cordeau` reads the benchmark text format.

A day combination is stored as in the Cordeau files: the decimal value of a ``t``-bit
day string whose *leftmost* bit is day 1 (with ``t = 5``, ``10 = 01010`` means days
2 and 4). :func:`combination_days` and :func:`days_combination` convert.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from territory.errors import ProblemCollector, ValidationError

__all__ = ["PeriodicInstance", "combination_days", "days_combination", "read_cordeau"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

_TABLE = "customers"
_ID = "customer"


def combination_days(code: int, days: int) -> tuple[int, ...]:
    """Days (1-based) of a day combination in the Cordeau bit order.

    Parameters
    ----------
    code
        Decimal value of the ``days``-bit string; its leftmost bit is day 1.
    days
        Number of days in the period (``t``).

    Returns
    -------
    tuple of int
        The visit days in increasing order.

    Examples
    --------
    >>> combination_days(10, 5)
    (2, 4)
    >>> combination_days(1, 5)
    (5,)
    """
    return tuple(d for d in range(1, days + 1) if code >> (days - d) & 1)


def days_combination(days_visited: tuple[int, ...] | list[int], days: int) -> int:
    """Inverse of :func:`combination_days`: the code of a set of 1-based days.

    Examples
    --------
    >>> days_combination((2, 4), 5)
    10
    """
    return sum(1 << (days - d) for d in set(days_visited))


@dataclass(frozen=True, eq=False)
class PeriodicInstance:
    """A periodic vehicle-routing problem; node 0 is the depot, customers are ``1..n``.

    Distances are Euclidean between ``(x, y)`` and unrounded; the cost of a solution
    is its total distance; a route's duration is its distance plus the service
    durations of its customers.

    Attributes
    ----------
    days
        Number of days ``t`` in the period.
    vehicles
        Vehicles available each day (``m``).
    capacity
        ``(t,)`` vehicle capacity on each day.
    max_duration
        ``(t,)`` longest route duration on each day; ``inf`` means no limit.
    x, y
        ``(n+1,)`` coordinates (entry 0 is the depot).
    service
        ``(n+1,)`` service duration at each node (``service[0] == 0``).
    demand
        ``(n+1,)`` load delivered at each visit (``demand[0] == 0``).
    frequency
        ``(n+1,)`` visits each customer needs in the period (``frequency[0] == 0``).
    combinations
        ``n+1`` tuples of allowed day-combination codes (entry 0 is empty).
    name
        Instance name, for example ``"p01"``.
    """

    days: int
    vehicles: int
    capacity: FloatArray
    max_duration: FloatArray
    x: FloatArray
    y: FloatArray
    service: FloatArray
    demand: FloatArray
    frequency: IntArray
    combinations: tuple[tuple[int, ...], ...]
    name: str = "pvrp"
    _distance: FloatArray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        problems = ProblemCollector()
        n1 = len(self.x)
        if self.days < 1:
            problems.add("instance", "days", f"must be at least 1, got {self.days}")
        if self.vehicles < 1:
            problems.add("instance", "vehicles", f"must be at least 1, got {self.vehicles}")
        if n1 < 2:
            problems.add(_TABLE, None, "needs a depot and at least one customer")
        for name in ("y", "service", "demand", "frequency"):
            if len(getattr(self, name)) != n1:
                problems.add(_TABLE, name, f"has {len(getattr(self, name))} entries, expected {n1}")
        if len(self.combinations) != n1:
            problems.add(
                _TABLE, "combinations", f"has {len(self.combinations)} entries, expected {n1}"
            )
        for name in ("capacity", "max_duration"):
            if len(getattr(self, name)) != self.days:
                problems.add(
                    "days", name, f"has {len(getattr(self, name))} entries, expected {self.days}"
                )
        problems.raise_if_any()

        for name in ("capacity", "max_duration"):
            values = np.asarray(getattr(self, name), dtype=float)
            bad = [d + 1 for d in np.flatnonzero(np.isnan(values) | (values <= 0))]
            if bad:
                problems.add("days", name, "must be positive", bad, id_column="day")
        for name in ("x", "y"):
            bad_ids = np.flatnonzero(~np.isfinite(np.asarray(getattr(self, name), dtype=float)))
            if len(bad_ids):
                problems.add(_TABLE, name, "is not finite", bad_ids.tolist(), id_column=_ID)
        for name in ("service", "demand"):
            values = np.asarray(getattr(self, name), dtype=float)
            bad_ids = np.flatnonzero(~np.isfinite(values) | (values < 0))
            if len(bad_ids):
                problems.add(
                    _TABLE, name, "must be finite and non-negative", bad_ids.tolist(), id_column=_ID
                )
        if self.frequency[0] != 0 or self.demand[0] != 0 or self.combinations[0]:
            problems.add(_TABLE, None, "the depot (node 0) must have no demand, frequency or days")
        full = (1 << self.days) - 1
        no_combination, out_of_range, wrong_count = [], [], []
        for i in range(1, n1):
            codes = self.combinations[i]
            if not codes:
                no_combination.append(i)
            elif any(c < 1 or c > full for c in codes):
                out_of_range.append(i)
            elif any(int(c).bit_count() != int(self.frequency[i]) for c in codes):
                wrong_count.append(i)
        if no_combination:
            problems.add(_TABLE, "combinations", "are empty", no_combination, id_column=_ID)
        if out_of_range:
            problems.add(
                _TABLE,
                "combinations",
                f"have codes outside 1..{full} (a {self.days}-day period)",
                out_of_range,
                id_column=_ID,
            )
        if wrong_count:
            problems.add(
                _TABLE,
                "combinations",
                "have a number of days different from the frequency",
                wrong_count,
                id_column=_ID,
            )
        problems.raise_if_any()
        dx = self.x[:, None] - self.x[None, :]
        dy = self.y[:, None] - self.y[None, :]
        object.__setattr__(self, "_distance", np.hypot(dx, dy))

    @property
    def size(self) -> int:
        """Number of customers ``n`` (the depot excluded)."""
        return len(self.x) - 1

    @property
    def distance(self) -> FloatArray:
        """``(n+1, n+1)`` Euclidean distances (read-only view)."""
        view = self._distance.view()
        view.flags.writeable = False
        return view

    def allowed_days(self, customer: int) -> list[tuple[int, ...]]:
        """The allowed combinations of ``customer`` as tuples of 1-based days."""
        return [combination_days(c, self.days) for c in self.combinations[customer]]

    def summary(self) -> str:
        """One line describing the instance."""
        limit = ", ".join("-" if np.isinf(v) else f"{v:g}" for v in self.max_duration)
        return (
            f"{self.name}: {self.size} customers, {self.days} days, {self.vehicles} vehicles "
            f"a day, capacity {', '.join(f'{v:g}' for v in self.capacity)}, "
            f"max duration {limit}, {int(self.frequency.sum())} visits"
        )


def _numbers(path: Path) -> list[str]:
    try:
        return path.read_text().split()
    except OSError as error:
        raise ValidationError(f"cordeau file: cannot read {path}: {error}") from error


def read_cordeau(path: str | Path) -> PeriodicInstance:
    """Read a periodic VRP instance in the Cordeau text format.

    Line 1 is ``type m n t``; then ``t`` lines ``D Q`` (longest route duration, 0 for
    none, and capacity of each day); then the depot and the customers, each
    ``i x y d q f a c_1 ... c_a``: id, coordinates, service duration, demand, visit
    frequency, number of allowed day combinations and the combination codes.
    Records may wrap over lines; ids must be ``0..n`` in order.

    Parameters
    ----------
    path
        The instance file.

    Returns
    -------
    PeriodicInstance
        Named after the file stem.

    Raises
    ------
    ValidationError
        When the file is truncated, not numeric, not a PVRP (type 1), or describes
        an invalid instance.
    """
    path = Path(path)
    tokens = _numbers(path)
    where = f"cordeau file {path.name}"
    position = 0

    def take(what: str) -> float:
        nonlocal position
        if position >= len(tokens):
            raise ValidationError(f"{where}: ends early, expected {what}")
        token = tokens[position]
        position += 1
        try:
            return float(token)
        except ValueError:
            raise ValidationError(f"{where}: {what} is {token!r}, not a number") from None

    def take_int(what: str) -> int:
        value = take(what)
        if value != int(value):
            raise ValidationError(f"{where}: {what} is {value}, not an integer")
        return int(value)

    kind = take_int("the problem type")
    if kind != 1:
        raise ValidationError(f"{where}: problem type {kind} is not a PVRP (type 1)")
    vehicles, n, days = take_int("m"), take_int("n"), take_int("t")
    if n < 1 or days < 1 or days > 62:
        raise ValidationError(f"{where}: needs n >= 1 and 1 <= t <= 62, got n={n}, t={days}")
    limits = [(take(f"D of day {d}"), take(f"Q of day {d}")) for d in range(1, days + 1)]
    x, y, service, demand = (np.zeros(n + 1) for _ in range(4))
    frequency = np.zeros(n + 1, dtype=np.int64)
    combinations: list[tuple[int, ...]] = []
    for i in range(n + 1):
        record = f"record {i}"
        node = take_int(f"the id of {record}")
        if node != i:
            raise ValidationError(f"{where}: {record} has id {node}, expected ids 0..{n} in order")
        x[i], y[i] = take(f"x of node {i}"), take(f"y of node {i}")
        service[i], demand[i] = take(f"d of node {i}"), take(f"q of node {i}")
        frequency[i] = take_int(f"f of node {i}")
        count = take_int(f"a of node {i}")
        combinations.append(tuple(take_int(f"combination of node {i}") for _ in range(count)))
    if position != len(tokens):
        raise ValidationError(
            f"{where}: {len(tokens) - position} numbers after the last customer (n={n})"
        )
    return PeriodicInstance(
        days=days,
        vehicles=vehicles,
        capacity=np.array([q for _, q in limits], dtype=float),
        max_duration=np.array([dur if dur > 0 else np.inf for dur, _ in limits], dtype=float),
        x=x,
        y=y,
        service=service,
        demand=demand,
        frequency=frequency,
        combinations=tuple(combinations),
        name=path.stem,
    )
