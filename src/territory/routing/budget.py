"""One time budget shared by construction, search and polish.

A :class:`Budget` is plain data (it travels to worker processes with a task): the
seconds this piece of work may use and the wall-clock deadline of the whole call.
:meth:`Budget.start` returns a :class:`Clock` that says how much is left of both.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

__all__ = ["Budget", "Clock"]


@dataclass(frozen=True)
class Budget:
    """Seconds for one piece of work, and the deadline (``time.time()``) of the call.

    Examples
    --------
    >>> clock = Budget(seconds=5.0, deadline=time.time() + 60).start()
    >>> 4.0 < clock.left() <= 5.0
    True
    """

    seconds: float
    deadline: float

    def start(self) -> Clock:
        """A clock running from now."""
        return Clock(self)


class Clock:
    """A running :class:`Budget`: elapsed time and what is left of it."""

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self.started = time.perf_counter()

    def elapsed(self) -> float:
        """Seconds since the clock started."""
        return time.perf_counter() - self.started

    def left(self) -> float:
        """Seconds left: the smaller of the own allotment and the call's deadline."""
        return min(self.budget.seconds - self.elapsed(), self.budget.deadline - time.time())

    def expired(self) -> bool:
        """Whether nothing is left."""
        return self.left() <= 0.0
