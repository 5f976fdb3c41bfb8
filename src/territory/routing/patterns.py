"""Visit patterns: which days of the cycle a customer is visited on.

A pattern is a sorted tuple of cycle days. Taking the cycle as repeating, the gap
between consecutive visits (in working days, wrapping from the last visit of one cycle
to the first of the next) must be at least :func:`required_gap`. Patterns are listed
most regular first: even spacing, then as few distinct weekdays as possible (a weekly
customer keeps its weekday).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Collection, Sequence

__all__ = [
    "cyclic_gaps",
    "enumerate_patterns",
    "irregularity",
    "pattern_holding",
    "required_gap",
]

#: Patterns kept per customer (the most regular ones).
MAX_PATTERNS = 120


def required_gap(n_days: int, visits: int, min_gap_days: float | None = None) -> int:
    """Smallest allowed gap, in working days, between two visits of one customer.

    ``max(1, ceil(n_days / visits) - 1)``, or ``max(1, min_gap_days)`` when the customer
    states its own minimum gap.

    Examples
    --------
    >>> required_gap(20, 8), required_gap(20, 4), required_gap(20, 4, 2)
    (2, 4, 2)
    """
    if min_gap_days is not None and not math.isnan(min_gap_days):
        return max(1, math.ceil(min_gap_days))
    if visits <= 0:
        return 1
    return max(1, math.ceil(n_days / visits) - 1)


def cyclic_gaps(days: Sequence[int], n_days: int) -> list[int]:
    """Gaps between consecutive visit days, wrapping around the cycle.

    Examples
    --------
    >>> cyclic_gaps([1, 6, 11, 16], 20)
    [5, 5, 5, 5]
    """
    ordered = sorted(days)
    if not ordered:
        return []
    return [b - a for a, b in itertools.pairwise(ordered)] + [n_days - ordered[-1] + ordered[0]]


def irregularity(days: Sequence[int], n_days: int, week_days: int) -> int:
    """How far a pattern is from a perfectly regular one (0 is best).

    Twice the spread of the gaps (largest minus smallest) plus the number of weekdays used beyond
    the fewest possible.

    Examples
    --------
    >>> irregularity((0, 5, 10, 15), 20, 5), irregularity((0, 6, 10, 15), 20, 5)
    (0, 5)
    """
    if not days:
        return 0
    gaps = cyclic_gaps(days, n_days)
    weeks = max(1, n_days // week_days)
    fewest = min(week_days, math.ceil(len(days) / weeks))
    weekdays = len({d % week_days for d in days})
    return 2 * (max(gaps) - min(gaps)) + max(0, weekdays - fewest)


def pattern_holding(patterns: Sequence[Sequence[int]], days: Collection[int]) -> int:
    """Index of the first pattern that holds every one of ``days`` (-1 when none does).

    Examples
    --------
    >>> pattern_holding([(0, 5), (1, 6)], {6}), pattern_holding([(0, 5)], {2})
    (1, -1)
    """
    return next((p for p, pattern in enumerate(patterns) if set(days) <= set(pattern)), -1)


def enumerate_patterns(
    n_days: int,
    visits: int,
    gap: int,
    allowed: Sequence[bool],
    *,
    week_days: int,
    limit: int = MAX_PATTERNS,
) -> list[tuple[int, ...]]:
    """Valid patterns of ``visits`` days, most regular first.

    Parameters
    ----------
    n_days
        Working days in the cycle.
    visits
        Visits per cycle.
    gap
        Smallest allowed cyclic gap (see :func:`required_gap`).
    allowed
        ``allowed[d]`` is whether cycle day ``d`` may hold a visit (the customer's
        weekdays and the rep's working days).
    week_days
        Working days per week (to rank weekday regularity).
    limit
        How many patterns to return at most.

    Returns
    -------
    list of tuple of int
        Sorted by :func:`irregularity`, then lexicographically; empty when no pattern
        exists.

    Examples
    --------
    >>> enumerate_patterns(10, 2, 4, [True] * 10, week_days=5)[:3]
    [(0, 5), (1, 6), (2, 7)]
    >>> enumerate_patterns(10, 3, 4, [True] * 10, week_days=5)
    []
    """
    if visits <= 0:
        return [()]
    if visits * gap > n_days or sum(bool(a) for a in allowed) < visits:
        return []
    found: set[tuple[int, ...]] = set()
    if visits == 1:
        found = {(d,) for d in range(n_days) if allowed[d]}
    else:
        ideal_low, ideal_high = n_days // visits, math.ceil(n_days / visits)
        slack = 0
        budget = [20000 * max(1, limit // 20)]
        while True:
            low = max(gap, ideal_low - slack)
            high = min(n_days, ideal_high + slack)
            _search(n_days, visits, low, high, allowed, found, limit * 4, budget)
            if len(found) >= limit * 4 or (low == gap and high >= n_days) or budget[0] <= 0:
                break
            slack += 1
    ranked = sorted(found, key=lambda p: (irregularity(p, n_days, week_days), p))
    return ranked[:limit]


def _search(
    n_days: int,
    visits: int,
    low: int,
    high: int,
    allowed: Sequence[bool],
    found: set[tuple[int, ...]],
    cap: int,
    budget: list[int],
) -> None:
    """Add patterns whose every cyclic gap lies in ``[low, high]`` (depth-first)."""

    def extend(first: int, days: list[int]) -> None:
        if len(found) >= cap or budget[0] <= 0:
            return
        budget[0] -= 1
        last = days[-1]
        left = visits - len(days)
        if left == 0:
            wrap = n_days - last + first
            if low <= wrap <= high:
                found.add(tuple(days))
            return
        for nxt in range(last + low, min(last + high, n_days - 1) + 1):
            # the remaining visits and the wrap gap must still fit
            if nxt + (left - 1) * low > first + n_days - low:
                break
            if nxt + (left - 1) * high < first + n_days - high:
                continue
            if allowed[nxt]:
                days.append(nxt)
                extend(first, days)
                days.pop()

    for first in range(min(high, n_days)):
        if allowed[first]:
            extend(first, [first])
