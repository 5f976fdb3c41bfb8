"""The local engine: one rep-day solved exactly, or nearly so, lunch break included.

A rep-day is a small one-vehicle routing problem with time windows (10-25 visits). The
general engines pay for their generality there: OR-Tools models the lunch break as a
break interval, which makes each of its descents slow, and its first-solution
heuristics can backtrack for seconds on a tight day; PyVRP always runs its whole time
limit. This engine works on the day's own terms, in three steps:

1. **Timing** is one forward pass over the route with two labels, "lunch not taken
   yet" and "lunch taken" (the earliest time at which each can leave the current
   place), so a route is tested in O(n) without interval variables. The rule is that
   of :func:`territory.routing.timing.schedule_day` (leave home at ``earliest[0]``;
   the break starts between ``breaks[0]`` and ``breaks[1]`` while driving or waiting
   between two places; a day home by ``breaks[1]`` needs none), and the two agree on
   every route (a property test checks it).
2. **Start**: cheapest feasible insertion (:func:`insertion_route`, tightest window
   first), then a best-improvement descent over 2-opt, moves of a stretch of any
   length to another place (kept or reversed; relocate and or-opt are the short
   cases) and swaps. Cost deltas of all moves come at once from numpy; only improving
   moves are timed, best first, and the descent stops when no improving move is left.
3. **Dynamic programme** over (visited set, last visit, lunch taken), layer by layer
   in numpy, whose labels are the Pareto front of (cost so far, earliest leaving
   time). Leaving earlier never hurts (waiting is free and the break only delays), so
   the front loses nothing. Labels are cut by the windows (every unvisited visit must
   still be reachable in time), the shift end, and a lower bound (the cheapest arc
   into every node still to enter) against the start's cost. On days of up to
   :data:`EXACT_MAX_VISITS` visits a layer may hold :data:`LABEL_CAP` labels, which is
   almost always enough: the programme then completes and its route is **optimal**
   (or it proves that no route exists). On longer days, or when a layer overflows, it
   keeps the :data:`BEAM_WIDTH` most promising labels per layer (lowest cost plus
   bound), a restricted programme that handles windows and lunch far better than
   local moves do; its route gets a descent and then kicks (random ruin, reversal of
   a long stretch, double bridge; late visits re-inserted) with descents until
   :data:`PATIENCE` kicks in a row bring nothing, ``iterations`` kicks were made, or
   the time limit is reached.

Why not local search alone: on days with opening hours and a lunch break the feasible
routes form islands (the morning stores, the afternoon wait), and kicks and descents
stayed 1-2 % above the optimum on average, up to 10 % on single days, while the
restricted programme found the optimum on every 13- and 15-visit test day.

Measured on the shared two-core machine (``benchmarks/day_engines.py``, 3 days per
case, load about 2.5): medians of 3-13 ms on 10 visits (proven optimal), 27-33 ms on
15, 0.10-0.11 s on 25, with the cheapest route of the three engines on every 10- and
15-visit day; on 25 visits it was 2.0 % and 0.3 % above the best on two of 12 days.
Everything is deterministic for a seed; only hitting ``time_limit`` (logged) makes a
run depend on the machine.

Problems that are not one rep-day (more than one vehicle, optional visits with drop
penalties, a ``max_duration``, or a capacity below the day's total demand) are
delegated unchanged to the OR-Tools engine.

The answer's start times and break come from
:func:`~territory.routing.timing.schedule_day`, so it passes that check and
:func:`~territory.routing.engines.check_solution`. The cost minimised is
:attr:`DayProblem.arc_cost` summed along the route.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from territory.routing.engines.check import route_cost
from territory.routing.engines.insertion import (
    DayModel,
    day_shape,
    insertion_order,
    insertion_route,
    route_fits,
)
from territory.routing.engines.problem import DayProblem, DaySolution
from territory.routing.timing import schedule_day

__all__ = [
    "BEAM_WIDTH",
    "EXACT_MAX_VISITS",
    "LABEL_CAP",
    "PATIENCE",
    "LocalEngine",
    "day_shape",
    "insertion_route",
    "route_fits",
]

logger = logging.getLogger("territory")

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Days with at most this many visits get the exact programme (up to ``LABEL_CAP``).
EXACT_MAX_VISITS = 12
#: Labels per layer of the programme on such days; more make it a restricted one.
LABEL_CAP = 20_000
#: Labels per layer of the restricted programme on longer days.
BEAM_WIDTH = 1500
#: Kicks in a row without a cheaper route after which the search stops.
PATIENCE = 16
#: Largest relative worsening with which a kicked route replaces the current one.
ACCEPT_WORSE = 0.02
#: Visits taken out per ruin step: a share of the day, at least two.
RUIN_SHARE = 0.4
#: A cut layer sorts at most this many times ``width`` candidates for dominance.
_PRESELECT = 3
#: Time tolerance in minutes, as in :mod:`territory.routing.timing`.
_EPS = 1e-6
#: Cost tolerance of an improving move.
_GAIN = 1e-9


class _Day(DayModel):
    """A :class:`DayModel` with the local search's move list (built once per day)."""

    def __init__(self, problem: DayProblem) -> None:
        super().__init__(problem)
        self._moves: _Moves | None = None

    def moves(self) -> _Moves:
        """The moves on a route of every visit."""
        if self._moves is None:
            self._moves = _Moves.of_length(self.n)
        return self._moves


@dataclass(frozen=True)
class _Moves:
    """Candidate moves on a route of ``m`` visits: kind and three path positions.

    Path positions: 0 is home, ``1..m`` the visits, ``m + 1`` home again. 2-opt
    ``(a, b)`` reverses positions ``a..b``; segment moves ``(a, b, q)`` move ``a..b``
    (any length, kept or reversed) between positions ``q`` and ``q + 1``; swap
    ``(a, b)`` exchanges two visits at least two positions apart.
    """

    kind: IntArray
    first: IntArray
    second: IntArray
    third: IntArray

    @classmethod
    def of_length(cls, m: int) -> _Moves:
        """Every move on a route of ``m`` visits."""
        kinds, firsts, seconds, thirds = [], [], [], []
        a, b = np.triu_indices(m + 1, k=1)
        keep = a >= 1
        a, b = a[keep].astype(np.int64), b[keep].astype(np.int64)
        kinds.append(np.full(len(a), _TWO_OPT, dtype=np.int64))
        firsts.append(a)
        seconds.append(b)
        thirds.append(np.zeros_like(a))
        a, b = np.triu_indices(m + 1, k=0)
        keep = (a >= 1) & (b - a + 1 < m)
        a, b = a[keep].astype(np.int64), b[keep].astype(np.int64)
        gaps = np.arange(0, m + 1, dtype=np.int64)
        a, b, q = np.repeat(a, m + 1), np.repeat(b, m + 1), np.tile(gaps, len(a))
        keep = (q < a - 1) | (q > b)
        a, b, q = a[keep], b[keep], q[keep]
        for kind, chosen in ((_SEGMENT, np.ones(len(a), dtype=bool)), (_SEGMENT_REVERSED, b > a)):
            kinds.append(np.full(int(chosen.sum()), kind, dtype=np.int64))
            firsts.append(a[chosen])
            seconds.append(b[chosen])
            thirds.append(q[chosen])
        a, b = np.triu_indices(m + 1, k=2)
        keep = a >= 1
        a, b = a[keep].astype(np.int64), b[keep].astype(np.int64)
        kinds.append(np.full(len(a), _SWAP, dtype=np.int64))
        firsts.append(a)
        seconds.append(b)
        thirds.append(np.zeros_like(a))
        return cls(
            np.concatenate(kinds),
            np.concatenate(firsts),
            np.concatenate(seconds),
            np.concatenate(thirds),
        )

    def deltas(self, cost: FloatArray, route: list[int]) -> FloatArray:
        """Change of the route's cost by each move."""
        path = np.asarray([0, *route, 0], dtype=np.int64)
        arc = cost[path[:-1], path[1:]]
        forward = np.concatenate([[0.0], np.cumsum(arc)])  # cost of positions 0..k
        backward = np.concatenate([[0.0], np.cumsum(cost[path[1:], path[:-1]])])
        a, b, q, kind = self.first, self.second, self.third, self.kind
        pa, pb, before, after = path[a], path[b], path[a - 1], path[b + 1]
        inner = (backward[b] - backward[a]) - (forward[b] - forward[a])  # reversing a..b
        two_opt = cost[before, pb] + cost[pa, after] - arc[a - 1] - arc[b] + inner
        left, right = path[q], path[q + 1]
        moved = cost[before, after] - arc[a - 1] - arc[b] - cost[left, right]
        segment = moved + cost[left, pa] + cost[pb, right]
        segment_reversed = moved + cost[left, pb] + cost[pa, right] + inner
        swap = (
            cost[before, pb]
            + cost[pb, path[a + 1]]
            + cost[path[b - 1], pa]
            + cost[pa, after]
            - arc[a - 1]
            - arc[a]
            - arc[b - 1]
            - arc[b]
        )
        return np.select(
            [kind == _TWO_OPT, kind == _SEGMENT, kind == _SEGMENT_REVERSED],
            [two_opt, segment, segment_reversed],
            swap,
        )


_TWO_OPT, _SEGMENT, _SEGMENT_REVERSED, _SWAP = 0, 1, 2, 3


def _apply(route: list[int], kind: int, a: int, b: int, q: int) -> list[int]:
    """The route after one move of :func:`_moves` (positions are path positions)."""
    i, j = a - 1, b  # route slice [i, j) holds path positions a..b
    if kind == _TWO_OPT:
        return [*route[:i], *route[i:j][::-1], *route[j:]]
    if kind == _SWAP:
        moved = list(route)
        moved[i], moved[b - 1] = moved[b - 1], moved[i]
        return moved
    segment = route[i:j] if kind == _SEGMENT else route[i:j][::-1]
    rest = [*route[:i], *route[j:]]
    at = q if q < a else q - (b - a + 1)  # gap q of the path, in the route without a..b
    return [*rest[:at], *segment, *rest[at:]]


def _descend(day: _Day, route: list[int], deadline: float) -> list[int]:
    """Best feasible improving move until none is left (or the deadline passes)."""
    moves = day.moves()
    while time.perf_counter() < deadline:
        delta = moves.deltas(day.cost_np, route)
        improving = np.nonzero(delta < -_GAIN)[0]
        if not len(improving):
            return route
        order = improving[np.argsort(delta[improving], kind="stable")]
        for k in order.tolist():
            candidate = _apply(
                route,
                int(moves.kind[k]),
                int(moves.first[k]),
                int(moves.second[k]),
                int(moves.third[k]),
            )
            if day.fits(candidate):
                route = candidate
                break
        else:
            return route
    return route


def _perturb(day: _Day, route: list[int], rng: np.random.Generator) -> list[int] | None:
    """A random kick of ``route`` repaired into a feasible route (``None`` if stuck).

    Kicks, in turn at random: take out a visit and its nearest neighbours; take out
    random visits; reverse a long stretch (the whole day driven the other way round);
    a double bridge (exchange two stretches). Visits that the kick made late are
    taken out too; everything taken out is put back by cheapest feasible insertion in
    random order.
    """
    n = len(route)
    size = max(2, round(RUIN_SHARE * n))
    kind = int(rng.integers(0, 4))
    removed: list[int] = []
    if kind == 0:
        centre = route[int(rng.integers(0, n))]
        closeness = day.cost_np[centre, 1:] + day.cost_np[1:, centre]
        removed = (np.argsort(closeness, kind="stable")[:size] + 1).tolist()
        kicked = [v for v in route if v not in set(removed)]
    elif kind == 1:
        removed = [route[k] for k in rng.choice(n, size=size, replace=False).tolist()]
        kicked = [v for v in route if v not in set(removed)]
    elif kind == 2:
        length = int(rng.integers(n // 2, n + 1))
        first = int(rng.integers(0, n - length + 1))
        kicked = [*route[:first], *route[first : first + length][::-1], *route[first + length :]]
    else:
        cuts = sorted(rng.choice(np.arange(1, n), size=3, replace=False).tolist())
        a, b, c = cuts
        kicked = [*route[:a], *route[b:c], *route[a:b], *route[c:]]
    kept: list[int] = []
    for node in kicked:
        if day.fits([*kept, node]):
            kept.append(node)
        else:
            removed.append(node)
    order = [removed[k] for k in rng.permutation(len(removed)).tolist()]
    return day.insert(kept, order)


def _iterate(
    day: _Day, route: list[int], seed: int, deadline: float, iterations: int | None
) -> tuple[list[int], int]:
    """Kicks and descents from ``route`` while they pay; the best route and rounds run.

    A kicked and descended route replaces the current one when it costs less than
    the current one plus a random share (up to :data:`ACCEPT_WORSE`) of it, so the
    search drifts between local optima instead of kicking the same one again.
    """
    best, best_cost = route, day.route_cost(route)
    if day.n < 4:
        return best, 0
    current, current_cost = best, best_cost
    rng = np.random.default_rng(seed)
    rounds = since_best = 0
    limit = math.inf if iterations is None else iterations
    while since_best < PATIENCE and rounds < limit and time.perf_counter() < deadline:
        rounds += 1
        since_best += 1
        repaired = _perturb(day, current, rng)
        if repaired is None:
            continue
        candidate = _descend(day, repaired, deadline)
        candidate_cost = day.route_cost(candidate)
        if candidate_cost < current_cost * (1.0 + ACCEPT_WORSE * float(rng.random())):
            current, current_cost = candidate, candidate_cost
        if candidate_cost < best_cost - _GAIN:
            best, best_cost, since_best = candidate, candidate_cost, 0
    return best, rounds


@dataclass(frozen=True)
class _Outcome:
    """What the search found.

    The route (if any); whether it is proven optimal (or, without a route, that none
    exists); the rounds of kicks; the cost of the start.
    """

    route: list[int] | None
    optimal: bool
    rounds: int
    start_cost: float


def _search(day: _Day, seed: int, deadline: float, iterations: int | None) -> _Outcome:
    """Insertion and descent, then the programme below that cost, then kicks if not exact."""
    start = day.insert([], insertion_order(day))
    route = None if start is None else _descend(day, start, deadline)
    start_cost = math.inf if route is None else day.route_cost(route)
    width = LABEL_CAP if day.n <= EXACT_MAX_VISITS else BEAM_WIDTH
    found, optimal = _programme(day, start_cost, width, deadline)
    if found is not None and day.fits(found):
        route = found if optimal else _descend(day, found, deadline)
    if route is None or optimal:
        return _Outcome(route, optimal, 0, start_cost)
    route, rounds = _iterate(day, route, seed, deadline, iterations)
    return _Outcome(route, False, rounds, start_cost)


def _programme(
    day: _Day, upper: float, width: int, deadline: float
) -> tuple[list[int] | None, bool]:
    """The cheapest feasible route costing less than ``upper``, by dynamic programming.

    A layer with more than ``width`` labels keeps the ``width`` ones with the lowest
    cost plus bound (a restricted programme: a heuristic from then on). Returns the
    route (``None`` when none beats ``upper``) and whether no layer was cut, in which
    case the answer is exact: the route is optimal, or no route beats ``upper``. At
    ``deadline`` the programme gives up (``None, False``).
    """
    n = day.n
    travel, cost = day.travel_np, day.cost_np
    earliest = np.asarray(day.earliest)
    latest = np.asarray(day.latest)
    service = np.asarray(day.service)
    bits = np.left_shift(np.int64(1), np.arange(n, dtype=np.int64))
    off_diagonal = cost + np.diag(np.full(n + 1, np.inf))
    cheapest_in = off_diagonal.min(axis=0)  # cheapest arc into each node
    # Window reach: leaving j at time t still reaches k on time iff t <= reach[j, k].
    reach = latest[None, 1:] + _EPS - travel[:, 1:]
    span = float(np.max(latest) + np.max(service) + 2 * np.max(travel)) + 1.0
    if day.lunch is not None:
        span += day.lunch[2] + day.lunch[1]
    big = float(2 ** math.ceil(math.log2(max(span, 2.0)) + 1))

    mask = np.zeros(1, dtype=np.int64)
    last = np.zeros(1, dtype=np.int64)
    done = np.zeros(1, dtype=bool)
    leave = np.array([day.start])
    spent = np.zeros(1)
    bound = np.array([float(cheapest_in[1:].sum() + cheapest_in[0])])
    history: list[tuple[IntArray, IntArray]] = []
    exact = True
    for _layer in range(n):
        if time.perf_counter() > deadline:
            return None, False
        free = (mask[:, None] & bits[None, :]) == 0
        label, column = np.nonzero(free)
        node = column + 1
        drive = travel[last[label], node]
        reached = leave[label] + drive
        parts = [(label, node, done[label], reached)]
        if day.lunch is not None:
            low, high, minutes = day.lunch
            lunch_ok = ~done[label] & (np.maximum(leave[label], low) <= high + _EPS)
            with_break = np.maximum(reached, low) + minutes
            parts.append(
                (
                    label[lunch_ok],
                    node[lunch_ok],
                    np.ones(int(lunch_ok.sum()), bool),
                    with_break[lunch_ok],
                )
            )
        label = np.concatenate([p[0] for p in parts])
        node = np.concatenate([p[1] for p in parts])
        now_done = np.concatenate([p[2] for p in parts])
        start = np.maximum(np.concatenate([p[3] for p in parts]), earliest[node])
        new_leave = start + service[node]
        new_spent = spent[label] + cost[last[label], node]
        new_bound = bound[label] - cheapest_in[node]
        keep = (start <= latest[node] + _EPS) & (new_leave + travel[node, 0] <= day.end + _EPS)
        keep &= new_spent + new_bound < upper - _GAIN
        if day.lunch is not None:
            keep &= now_done | (new_leave <= day.lunch[1] + _EPS)
        keep = np.nonzero(keep)[0]
        if len(keep) > _PRESELECT * width:
            # A cut layer: only the most promising candidates are worth sorting.
            exact = False
            key = new_spent[keep] + new_bound[keep]
            keep = np.sort(keep[np.argsort(key, kind="stable")[: _PRESELECT * width]])
        label, node, now_done = label[keep], node[keep], now_done[keep]
        new_leave, new_spent, new_bound = new_leave[keep], new_spent[keep], new_bound[keep]
        new_mask = mask[label] | bits[node - 1]
        # Pareto front per (visited set, last visit): sort by cost; a label is dominated
        # by an earlier (cheaper) one that leaves no later and has taken lunch if it
        # has. (Equal costs in either order: at worst a dominated label is kept.)
        group = new_mask * (n + 1) + node
        order = np.lexsort((new_spent, group))
        group_sorted = group[order]
        first = np.ones(len(order), dtype=bool)
        first[1:] = group_sorted[1:] != group_sorted[:-1]
        rank = np.cumsum(first) - 1
        shifted = new_leave[order] - rank * big
        fed_shifted = np.where(now_done[order], shifted, np.inf)
        best_any = np.minimum.accumulate(shifted)
        best_fed = np.minimum.accumulate(fed_shifted)
        prior_any = np.concatenate([[np.inf], best_any[:-1]])
        prior_fed = np.concatenate([[np.inf], best_fed[:-1]])
        prior_any[first] = np.inf
        prior_fed[first] = np.inf
        dominated = np.where(now_done[order], prior_fed, prior_any) <= shifted + _EPS
        chosen = order[~dominated]
        label, node, now_done = label[chosen], node[chosen], now_done[chosen]
        new_leave, new_spent, new_bound = new_leave[chosen], new_spent[chosen], new_bound[chosen]
        new_mask = new_mask[chosen]
        # Every unvisited customer must still be reachable within its window.
        unvisited = (new_mask[:, None] & bits[None, :]) == 0
        late = unvisited & (new_leave[:, None] > reach[node])
        alive = np.nonzero(~late.any(axis=1))[0]
        if len(alive) > width:
            exact = False
            best_first = np.argsort(new_spent[alive] + new_bound[alive], kind="stable")
            alive = np.sort(alive[best_first[:width]])
        label, node, now_done = label[alive], node[alive], now_done[alive]
        history.append((label, node))
        mask, last, done = new_mask[alive], node, now_done
        leave, spent, bound = new_leave[alive], new_spent[alive], new_bound[alive]
        if not len(mask):
            return None, exact
    back = leave + travel[last, 0]
    home = back <= day.end + _EPS
    if day.lunch is not None:
        low, high, minutes = day.lunch
        back_fed = np.where(
            np.maximum(leave, low) <= high + _EPS,
            np.maximum(back, low) + minutes,
            np.inf,
        )
        home = done & home | ~done & (
            (back <= min(high, day.end) + _EPS) | (back_fed <= day.end + _EPS)
        )
    total = np.where(home, spent + cost[last, 0], np.inf)
    if not len(total) or not np.isfinite(total.min()) or total.min() >= upper - _GAIN:
        return None, exact
    index = int(np.argmin(total))
    route: list[int] = []
    for label, node in reversed(history):
        route.append(int(node[index]))
        index = int(label[index])
    return route[::-1], exact


def _delegates(problem: DayProblem) -> str | None:
    """Why ``problem`` goes to OR-Tools, or ``None`` when it is a plain rep-day."""
    if problem.vehicles != 1:
        return f"{problem.vehicles} vehicles"
    if problem.drop_penalty is not None:
        return "optional visits"
    if problem.max_duration is not None:
        return "a max_duration"
    if (
        problem.demand is not None
        and problem.capacity is not None
        and float(problem.demand[1:].sum()) > problem.capacity
    ):
        return "a binding capacity"
    return None


class LocalEngine:
    """Solve a one-rep day exactly or by local search, lunch break included.

    See the module notes for the method. Problems with more than one vehicle, drop
    penalties, a ``max_duration`` or a capacity below the day's total demand are
    delegated to :class:`~territory.routing.engines.ortools.OrToolsEngine`.

    Examples
    --------
    >>> import numpy as np
    >>> xs = np.array([0.0, 3.0, 1.0, 2.0])
    >>> p = DayProblem(np.abs(xs[:, None] - xs), np.zeros(4), np.zeros(4), np.full(4, 100.0))
    >>> solution = LocalEngine().solve(p, time_limit=1.0)
    >>> solution.routes, solution.cost
    ([[2, 3, 1]], 6.0)
    """

    name = "local"

    def solve(
        self,
        problem: DayProblem,
        *,
        time_limit: float,
        seed: int = 0,
        iterations: int | None = None,
    ) -> DaySolution:
        """Solve ``problem``.

        Parameters
        ----------
        problem
            The day problem.
        time_limit
            Wall-clock cap in seconds; a plain rep-day usually finishes far earlier.
        seed
            Seed of the ruin steps of the local search.
        iterations
            Largest number of kicks of the search (it may stop earlier,
            deterministically, when :data:`PATIENCE` rounds bring no improvement).

        Returns
        -------
        DaySolution
            One route with its start times and break start. ``feasible`` is ``False``
            (no route, every visit in ``dropped``) when no route was found; when the
            exact programme completed, no route exists.
        """
        reason = _delegates(problem)
        if reason is not None:
            from territory.routing.engines.ortools.engine import OrToolsEngine

            logger.debug("local: %s, delegated to OR-Tools", reason)
            return OrToolsEngine().solve(
                problem, time_limit=time_limit, seed=seed, iterations=iterations
            )
        started = time.perf_counter()
        deadline = started + time_limit
        n = problem.size
        if n == 0:
            return DaySolution(routes=[], break_starts=[], starts=[], cost=0.0, feasible=True)
        day = _Day(problem)
        outcome = _search(day, seed, deadline, iterations)
        route = outcome.route
        if time.perf_counter() >= deadline:
            logger.info("local: time limit %.3f s hit; the result is not reproducible", time_limit)
        logger.debug(
            "local: %d visits, cost %.3f -> %.3f, optimal %s, %d rounds, %.3f s",
            n,
            outcome.start_cost,
            math.inf if route is None else day.route_cost(route),
            outcome.optimal,
            outcome.rounds,
            time.perf_counter() - started,
        )
        schedule = None if route is None else schedule_day(day_shape(problem), route)
        if route is None or schedule is None:
            logger.warning(
                "local: no feasible route for %d visits%s",
                n,
                " (none exists)" if outcome.optimal else " (none found)",
            )
            return DaySolution(
                routes=[], dropped=list(range(1, n + 1)), feasible=False, break_starts=[]
            )
        return DaySolution(
            routes=[route],
            starts=[list(schedule.starts)],
            cost=route_cost(problem, route),
            feasible=True,
            break_starts=[schedule.break_start],
        )
