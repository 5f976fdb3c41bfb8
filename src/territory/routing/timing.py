"""Timing of one rep-day: start-of-service times, lunch break and return home.

The rep leaves home at ``day_start``, drives to each visit in order, waits for the
customer to open, serves, and drives home by ``day_end``. A lunch break of ``minutes``
starts between ``lunch_start`` and ``lunch_start + LUNCH_WINDOW`` while the rep drives
or waits between two places (never during a visit); driving resumes after it. A day that
is over before the latest lunch start needs no break inside it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["LUNCH_WINDOW", "DaySchedule", "DayShape", "schedule_day"]

#: Minutes after ``lunch_start`` by which the lunch break must have started.
LUNCH_WINDOW = 60.0

FloatArray = NDArray[np.float64]
_EPS = 1e-6


@dataclass(frozen=True)
class DayShape:
    """Everything that constrains one rep-day, on the rep's local node numbering.

    Node 0 is the rep's home; ``travel`` is the rep's local travel-minutes matrix;
    ``earliest``/``latest`` bound the start of service at each node.
    """

    travel: FloatArray
    service: FloatArray
    earliest: FloatArray
    latest: FloatArray
    day_start: float
    day_end: float
    lunch: tuple[float, float, float] | None


@dataclass(frozen=True)
class DaySchedule:
    """Times of a feasible rep-day.

    Attributes
    ----------
    starts
        Start of service at each visit, in route order.
    departure
        When the rep leaves home.
    back
        When the rep is home again.
    break_start
        Start of the lunch break, or ``None`` when the day needs none.
    break_gap
        The break is taken on the way into visit ``break_gap`` (``len(route)`` is the
        way home); ``-1`` without a break.
    """

    starts: tuple[float, ...]
    departure: float
    back: float
    break_start: float | None
    break_gap: int


def _walk(
    shape: DayShape, route: Sequence[int], gap: int
) -> tuple[list[float], float, float | None] | None:
    """Times with the break on gap ``gap`` (``-1``: no break); ``None`` if infeasible."""
    travel, service, earliest, latest = shape.travel, shape.service, shape.earliest, shape.latest
    starts: list[float] = []
    leave = shape.day_start
    here = 0
    break_start: float | None = None
    for position, node in enumerate([*route, 0]):
        drive = float(travel[here, node])
        if position == gap and shape.lunch is not None:
            low, high, minutes = shape.lunch
            break_start = max(leave, low)
            if break_start > high + _EPS:
                return None
            arrive = max(leave + drive, low) + minutes
        else:
            arrive = leave + drive
        if node == 0:
            if arrive > shape.day_end + _EPS:
                return None
            return starts, arrive, break_start
        start = max(arrive, float(earliest[node]))
        if start > float(latest[node]) + _EPS:
            return None
        starts.append(start)
        leave = start + float(service[node])
        here = node
    raise AssertionError("unreachable")  # pragma: no cover


def schedule_day(shape: DayShape, route: Sequence[int]) -> DaySchedule | None:
    """Earliest feasible times for ``route``, or ``None`` when it cannot be driven.

    The walk without a break is computed first (a break only delays). When the day needs
    a break, every gap whose departure falls before the latest lunch start is tested in
    O(1) each with the forward slack of the rest of the route (waiting absorbs the
    delay), and the gap that brings the rep home first wins.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.array([[0.0, 10.0], [10.0, 0.0]])
    >>> shape = DayShape(t, np.array([0.0, 30.0]), np.array([0.0, 540.0]),
    ...                  np.array([0.0, 600.0]), 480.0, 1020.0, None)
    >>> s = schedule_day(shape, [1])
    >>> s.starts, s.departure, s.back
    ((540.0,), 530.0, 580.0)
    """
    travel, service, earliest, latest = shape.travel, shape.service, shape.earliest, shape.latest
    nodes = [*route, 0]
    count = len(nodes)
    leaves = [0.0] * count  # departure from the place before nodes[g]
    drives = [0.0] * count
    waits = [0.0] * count
    slack = [0.0] * count
    starts: list[float] = []
    leave, here = shape.day_start, 0
    back = 0.0
    for g, node in enumerate(nodes):
        leaves[g] = leave
        drive = float(travel[here, node])
        drives[g] = drive
        arrive = leave + drive
        if node == 0:
            back = arrive
            slack[g] = shape.day_end - arrive
            if slack[g] < -_EPS:
                return None
            break
        start = max(arrive, float(earliest[node]))
        waits[g] = start - arrive
        slack[g] = float(latest[node]) - start
        if slack[g] < -_EPS:
            return None
        starts.append(start)
        leave = start + float(service[node])
        here = node
    gap = -1
    if shape.lunch is not None and back > shape.lunch[1] + _EPS:
        low, high, minutes = shape.lunch
        # most delay each gap can take: M[g] = W[g] + min(S[g], M[g + 1])
        most = [0.0] * (count + 1)
        most[count] = math.inf
        waited = [0.0] * (count + 1)
        for g in range(count - 1, -1, -1):
            most[g] = waits[g] + min(slack[g], most[g + 1])
            waited[g] = waits[g] + waited[g + 1]
        best_back = math.inf
        for g in range(count):
            if max(leaves[g], low) > high + _EPS:
                break
            delay = max(leaves[g] + drives[g], low) + minutes - (leaves[g] + drives[g])
            if delay > most[g] + _EPS:
                continue
            new_back = back + max(0.0, delay - waited[g])
            if new_back < best_back - _EPS:
                best_back, gap = new_back, g
        if gap < 0:
            return None
        walked = _walk(shape, route, gap)
        if walked is None:  # pragma: no cover - guarded by the slack test above
            return None
        starts, back, break_start = walked
    else:
        break_start = None
    departure = shape.day_start
    if route and gap != 0:
        departure = max(departure, starts[0] - float(travel[0, route[0]]))
    return DaySchedule(tuple(starts), departure, back, break_start, gap)
