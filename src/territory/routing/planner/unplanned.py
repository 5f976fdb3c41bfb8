"""Why visits are left out: reason codes and the single-visit reachability test."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "REASONS",
    "Shortfall",
    "single_visit_status",
]

FloatArray = NDArray[np.float64]

#: Reason codes of :attr:`RoutePlan.unplanned`, with their meaning.
REASONS = {
    "capacity": "the rep's days are full with visits of the same or higher priority",
    "opening_hours": "the customer cannot be reached while open within the rep's day",
    "too_far": "a return trip from the rep's home plus the visit exceeds the working day",
    "visit_too_long": "the visit alone, without any travel, is longer than the rep's "
    "working day less lunch",
    "no_pattern": "no choice of days meets the spacing rule, the allowed days and the "
    "rep's working days",
    "no_rep": "no rep works on any of the customer's allowed days",
}

#: :func:`single_visit_status` codes.
REACHABLE, TOO_FAR, OPENING_HOURS = 0, 1, 2


@dataclass(frozen=True)
class Shortfall:
    """Visits of one customer that are not in the plan.

    Attributes
    ----------
    customer
        Customer row index.
    rep
        Rep index, or -1 when the customer has no rep.
    planned
        Visits that are in the plan.
    reason
        One of :data:`REASONS`.
    detail
        A sentence with the numbers.
    """

    customer: int
    rep: int
    planned: int
    reason: str
    detail: str


def _back_home(
    out: FloatArray,
    back: FloatArray,
    service: FloatArray,
    opens: FloatArray,
    closes: FloatArray,
    day_start: float,
    day_end: float,
    lunch: tuple[float, float, float] | None,
) -> NDArray[np.bool_]:
    """Whether a day home -> customer -> home fits (vectorised over customers)."""
    start = np.maximum(day_start + out, opens)
    ok = start <= closes + 1e-6
    finish = start + service + back
    if lunch is None:
        return ok & (finish <= day_end + 1e-6)
    low, high, minutes = lunch
    no_break = finish <= min(high, day_end) + 1e-6
    # break on the way out
    out_start = np.maximum(np.maximum(day_start + out, low) + minutes, opens)
    way_out = (
        (max(day_start, low) <= high + 1e-6)
        & (out_start <= closes + 1e-6)
        & (out_start + service + back <= day_end + 1e-6)
    )
    # break on the way home
    leave = start + service
    way_home = (
        ok
        & (np.maximum(leave, low) <= high + 1e-6)
        & (np.maximum(leave + back, low) + minutes <= day_end + 1e-6)
    )
    return (ok & no_break) | way_out | way_home


def single_visit_status(
    out: FloatArray,
    back: FloatArray,
    service: FloatArray,
    opens: FloatArray,
    closes: FloatArray,
    day_start: float,
    day_end: float,
    lunch: tuple[float, float, float] | None,
) -> NDArray[np.int64]:
    """Whether one rep can visit each customer alone in a day.

    Parameters
    ----------
    out, back
        Travel minutes home -> customer and customer -> home.
    service, opens, closes
        Per customer; ``closes`` is the latest start of service.
    day_start, day_end, lunch
        The rep's day and lunch ``(earliest start, latest start, minutes)``.

    Returns
    -------
    numpy.ndarray
        :data:`REACHABLE`, :data:`TOO_FAR` (even an always-open customer would not fit)
        or :data:`OPENING_HOURS` per customer.

    Examples
    --------
    >>> import numpy as np
    >>> one = np.array([10.0, 10.0, 400.0])
    >>> single_visit_status(one, one, np.full(3, 30.0), np.array([0.0, 1100.0, 0.0]),
    ...                     np.full(3, 1440.0), 480.0, 1020.0, None).tolist()
    [0, 2, 1]
    """
    always_open = _back_home(
        out,
        back,
        service,
        np.zeros_like(opens),
        np.full_like(closes, np.inf),
        day_start,
        day_end,
        lunch,
    )
    fits = _back_home(out, back, service, opens, closes, day_start, day_end, lunch)
    status = np.where(fits, REACHABLE, np.where(always_open, OPENING_HOURS, TOO_FAR))
    return np.asarray(status, dtype=np.int64)
