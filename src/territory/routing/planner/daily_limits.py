"""Daily visit limits of a rep: the maximum while planning, the minimum as a last step.

The manuals ask for at least two customer visits a day (每天安排至少二次拜访客户); a
rep's ``min_visits_per_day`` and ``max_visits_per_day`` (see :mod:`territory.tables`)
say it per rep.

* **Maximum.** A route-level feasibility rule: every insertion of a rep's plan
  (construction, repair, the periodic search through its per-route ``capacity`` with a
  demand of one per visit) refuses a day that already has the maximum.
* **Minimum.** A day with visits but fewer than the minimum is *thin*. After the
  search, :func:`meet_daily_minimum` mends thin days while the customers' valid visit
  patterns allow it, thinnest first:

  1. *merge*: move every visit of the thin day to other days that already have visits,
     so that the day is free;
  2. *fill*: bring visits onto the thin day -- a visit still missing from the plan, or
     a visit of a day that keeps at least the minimum -- until it has the minimum.

  A customer changes days by one visit moved, or by a whole other valid pattern (at
  most :data:`PATTERNS_TRIED`); every day stays feasible and within the maximum, no
  empty day is opened and no other day is left thin; the cheapest change wins.
  Each success removes one thin day and makes none, so the step ends. A day that
  neither step mends stays in the plan and is listed with the reason
  (:func:`thin_day_records`, in ``RoutePlan.stats["thin_days"]``). Visits that are locked
  from the previous plan are never moved. Travel may grow: the minimum is a rule, not a
  cost.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from territory.routing.cycle import Cycle
from territory.routing.patterns import pattern_holding

__all__ = ["DailyLimits", "meet_daily_minimum", "thin_day_records"]

FloatArray = NDArray[np.float64]

#: Whole patterns tried per customer when one moved visit does not do (most regular first).
PATTERNS_TRIED = 16
#: Travel minutes a visit still missing from the plan is worth when it can fill a thin day.
MISSING_VISIT_MINUTES = 1000.0


@dataclass(frozen=True)
class DailyLimits:
    """One rep's cycle as the minimum step sees it (local nodes, node 0 = home).

    Attributes
    ----------
    minimum, maximum
        Fewest and most visits of a day with visits.
    visits
        Per customer (node ``j + 1``), the visits required.
    patterns
        Per customer, its valid patterns (tuples of cycle days).
    travel
        The rep's local travel-minutes matrix.
    feasible
        Whether a route (local nodes in order) fits the rep's day: times, windows, lunch.
    locked
        Per customer, whether its visits must stay where they are.
    """

    minimum: int
    maximum: int
    visits: Sequence[int]
    patterns: Sequence[Sequence[tuple[int, ...]]]
    travel: FloatArray
    feasible: Callable[[list[int]], bool]
    locked: Sequence[bool] | None = None


class _Routes:
    """Routes with the days of every customer, and checked insertions."""

    def __init__(self, limits: DailyLimits, routes: list[list[int]]) -> None:
        self.limits = limits
        self.routes: list[list[int]] = []
        self.days_of: list[set[int]] = []
        self.restore(routes)

    def movable(self, node: int) -> bool:
        locked = self.limits.locked
        return not (locked is not None and locked[node - 1])

    def holds(self, node: int, days: set[int]) -> bool:
        return pattern_holding(self.limits.patterns[node - 1], days) >= 0

    def insertion(self, day: int, node: int) -> tuple[float, int] | None:
        """Cheapest feasible (extra travel, position) of ``node`` on ``day``."""
        route = self.routes[day]
        if len(route) >= self.limits.maximum:
            return None
        t = self.limits.travel
        prev = np.array([0, *route])
        nxt = np.array([*route, 0])
        delta = t[prev, node] + t[node, nxt] - t[prev, nxt]
        for position in np.argsort(delta, kind="stable"):
            candidate = [*route[:position], node, *route[position:]]
            if self.limits.feasible(candidate):
                return float(delta[position]), int(position)
        return None

    def saving(self, day: int, node: int) -> float:
        """Travel saved by taking ``node`` off ``day``."""
        route = self.routes[day]
        k = route.index(node)
        t = self.limits.travel
        before = route[k - 1] if k else 0
        after = route[k + 1] if k + 1 < len(route) else 0
        return float(t[before, node] + t[node, after] - t[before, after])

    def insert(self, day: int, node: int, position: int) -> None:
        self.routes[day].insert(position, node)
        self.days_of[node - 1].add(day)

    def remove(self, day: int, node: int) -> None:
        self.routes[day].remove(node)
        self.days_of[node - 1].discard(day)

    def snapshot(self) -> list[list[int]]:
        return [list(r) for r in self.routes]

    def restore(self, routes: list[list[int]]) -> None:
        self.routes = [list(r) for r in routes]
        self.days_of = [set() for _ in self.limits.visits]
        for day, route in enumerate(self.routes):
            for node in route:
                self.days_of[node - 1].add(day)


def _trial(state: _Routes, node: int, days: frozenset[int], open_day: int) -> float | None:
    """Put ``node`` on exactly ``days``; the change in travel, or ``None`` (nothing changed).

    Refused when a day does not take the visit (feasibility, maximum), when it would
    open a day that has no visits (other than ``open_day``), or leave a day other than
    ``open_day`` with visits but fewer than the minimum.
    """
    old = set(state.days_of[node - 1])
    saved = state.snapshot()
    cost = 0.0
    for day in sorted(old - days):
        cost -= state.saving(day, node)
        state.remove(day, node)
    for day in sorted(days - old):
        found = None if not state.routes[day] and day != open_day else state.insertion(day, node)
        if found is None:
            state.restore(saved)
            return None
        cost += found[0]
        state.insert(day, node, found[1])
    minimum = state.limits.minimum
    if any(d != open_day and 0 < len(state.routes[d]) < minimum for d in old ^ days):
        state.restore(saved)
        return None
    return cost


def _options(
    state: _Routes, node: int, leave: int | None, enter: int | None
) -> list[frozenset[int]]:
    """Day sets for ``node`` that leave day ``leave`` or enter day ``enter``.

    One visit moved (the other days kept), a visit added when the customer is short of
    one, or a whole other pattern (at most :data:`PATTERNS_TRIED`, most regular first);
    every set is held by one of its valid patterns.
    """
    j = node - 1
    now = state.days_of[j]
    sets: list[frozenset[int]] = []
    if leave is not None:
        sets += [frozenset(now - {leave} | {d}) for d in range(len(state.routes)) if d not in now]
    if enter is not None:
        sets += [frozenset(now - {d} | {enter}) for d in now]
        if len(now) < state.limits.visits[j]:
            sets.append(frozenset(now | {enter}))
    for pattern in state.limits.patterns[j][:PATTERNS_TRIED]:
        if (leave is None or leave not in pattern) and (enter is None or enter in pattern):
            sets.append(frozenset(pattern))
    return [d for d in dict.fromkeys(sets) if d != now and state.holds(node, set(d))]


def _best_move(
    state: _Routes, nodes: list[int], leave: int | None, enter: int | None
) -> tuple[float, int, frozenset[int]] | None:
    """The cheapest change of days of one of ``nodes`` (a missing visit added first)."""
    open_day = leave if leave is not None else enter
    assert open_day is not None
    best: tuple[float, int, frozenset[int]] | None = None
    for node in nodes:
        if not state.movable(node):
            continue
        before = len(state.days_of[node - 1])
        for days in _options(state, node, leave, enter):
            saved = state.snapshot()
            cost = _trial(state, node, days, open_day)
            if cost is None:
                continue
            state.restore(saved)
            cost -= MISSING_VISIT_MINUTES * (len(days) - before)
            if best is None or (cost, node) < (best[0], best[1]):
                best = (cost, node, days)
    return best


def _merge(state: _Routes, day: int) -> bool:
    """Move every visit of ``day`` to other days with visits; undo unless all moved."""
    saved = state.snapshot()
    while state.routes[day]:
        best = _best_move(state, list(state.routes[day]), day, None)
        if best is None:
            state.restore(saved)
            return False
        _trial(state, best[1], best[2], day)
    return True


def _fill(state: _Routes, day: int) -> bool:
    """Bring visits onto ``day`` until it has the minimum; undo unless it gets there."""
    saved = state.snapshot()
    while len(state.routes[day]) < state.limits.minimum:
        others = [j + 1 for j in range(len(state.limits.visits)) if day not in state.days_of[j]]
        best = _best_move(state, others, None, day)
        if best is None:
            state.restore(saved)
            return False
        _trial(state, best[1], best[2], day)
    return True


def meet_daily_minimum(
    routes: list[list[int]], limits: DailyLimits
) -> tuple[list[list[int]], list[int]]:
    """Mend the days with fewer visits than the minimum, where patterns allow.

    Parameters
    ----------
    routes
        Per cycle day, the local nodes visited in order (every route feasible).
    limits
        The rep's limits, patterns, travel and day feasibility.

    Returns
    -------
    routes
        The mended routes (each still feasible, within the maximum, every customer on
        a valid pattern, never fewer visits than before).
    thin
        The days that still have visits but fewer than the minimum.

    Examples
    --------
    Two customers due once each, on any of two days, each on its own day: the step
    merges them onto one day.

    >>> import numpy as np
    >>> limits = DailyLimits(
    ...     minimum=2, maximum=10, visits=[1, 1], patterns=[[(0,), (1,)], [(0,), (1,)]],
    ...     travel=np.zeros((3, 3)), feasible=lambda route: True)
    >>> meet_daily_minimum([[1], [2]], limits)
    ([[], [1, 2]], [])
    """
    state = _Routes(limits, routes)
    if limits.minimum <= 1:
        return state.routes, []
    for _ in range(len(routes) + 1):  # every round mends one thin day and makes none
        thin = sorted(
            (d for d, r in enumerate(state.routes) if 0 < len(r) < limits.minimum),
            key=lambda d: (len(state.routes[d]), d),
        )
        if not any(_merge(state, d) or _fill(state, d) for d in thin):
            break
    return state.routes, [d for d, r in enumerate(state.routes) if 0 < len(r) < limits.minimum]


def thin_day_records(
    cycle: Cycle,
    rep_id: str,
    minimum: int,
    thin: Sequence[tuple[int, int]],
) -> list[dict[str, Any]]:
    """The rows of ``RoutePlan.stats["thin_days"]`` for one rep.

    Parameters
    ----------
    cycle
        The planning cycle.
    rep_id
        The rep.
    minimum
        Its ``min_visits_per_day``.
    thin
        ``(cycle day, visits)`` of each thin day (cycle days from 0).

    Returns
    -------
    list of dict
        ``rep_id, week, day, weekday, visits, min_visits_per_day, reason`` (``day`` and
        ``week`` from 1, as in the plan's tables).
    """
    return [
        {
            "rep_id": rep_id,
            "week": cycle.week(day) + 1,
            "day": day + 1,
            "weekday": cycle.weekday_name(day),
            "visits": int(visits),
            "min_visits_per_day": int(minimum),
            "reason": (
                f"{visits} visits, below the minimum of {minimum}: no valid visit pattern "
                "lets this day's visits move to the rep's other days, nor enough visits "
                "move here, within the working day"
            ),
        }
        for day, visits in thin
    ]
