"""Ruin-and-recreate search over one rep's cycle: visit patterns and day routes together.

The state is the route of every cycle day (local nodes ``1..n``, node 0 the rep's
home) and the visit pattern of every customer. The objective is the one documented in
:mod:`territory.routing.options`: travel, plus pattern irregularity and day imbalance
as soft terms, plus a large cost per missing visit. Every route in every state is
feasible: each edit is checked against the rep's day (working hours, opening hours,
lunch) by :func:`~territory.routing.timing.schedule_day`, or by its duration alone
when the rep has no lunch and no customer's opening hours can bind.

One round of the search (:meth:`CycleSearch.run`):

1. **ruin** -- take a few related customers off *all* their days: a customer and its
   nearest neighbours, a string of consecutive stops of one day, or now and then
   every customer of one day (the customers are removed from every day they are on);
   while some customer is short of visits, half the rounds ruin around one of them;
2. **recreate** -- put them back one by one (highest priority, then most visits
   first, in one of a few seeded orders), each on the valid pattern whose cheapest
   feasible insertions into the actual day routes cost least, with some noise (a
   customer visited once a cycle is priced only on the days its nearest neighbours
   are on, unless none of them has room);
3. **pattern moves** -- each ruined customer and its neighbours move to a cheaper
   pattern when there is one (removal savings on the days they leave, insertion
   costs on the days they join);
4. **routes** -- 2-opt and or-opt on every day the round touched, until no move
   improves;
5. **accept** -- the round's plan becomes the current one when it costs less than the
   current cost plus a threshold, which falls to zero over an *epoch* of rounds; each
   epoch starts again from the best plan. After an epoch that found nothing better,
   the next one starts from a higher threshold (:data:`REHEAT`), alternating with
   normal epochs, so that a stalled search leaves its basin. Epochs have a fixed
   length, so a run with more rounds repeats a shorter run's rounds first and is
   never worse than it.

When :data:`STALL_EPOCHS` epochs in a row found nothing better, the search is
*kicked*: a quarter of the customers (:data:`KICK_SHARE`) are taken out of the best plan
in related groups and put back, and the epochs go on from there (the best plan is kept).
The search stops at its work limit, when the clock runs out, or at a stall after
:data:`KICKS` kicks (a small cycle is then solved as well as this search can, and the
rest of the time would be wasted). It is deterministic for a seed and a number of
rounds; the clock only stops it.
"""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from territory.routing.budget import Clock
from territory.routing.options import DROP_MINUTES, PlanOptions
from territory.routing.patterns import pattern_holding
from territory.routing.timing import DayShape, schedule_day

__all__ = ["CycleProblem", "CycleSearch", "SearchReport"]

logger = logging.getLogger("territory")

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

_EPS = 1e-6
#: Nearest customers kept per customer (ruin and pattern moves).
NEIGHBOURS = 12
#: Fewest and most customers taken out in one round.
RUIN_BOUNDS = (3, 20)
#: Share of rounds that ruin a whole day (every customer on it, from all its days).
DAY_RUIN = 0.1
#: Share of rounds that, while customers are short of visits, ruin around one of them.
SHORT_RUIN = 0.5
#: Largest random surcharge on insertion prices in a noisy recreate.
NOISE = 0.15
#: Starting threshold of an epoch, in multiples of the mean travel per planned visit.
THRESHOLD = 6.0
#: After an epoch that found nothing better, the next epoch starts at ``1 + REHEAT``
#: times :data:`THRESHOLD` (the one after it is normal again, and so on), so that a
#: search caught in a poor basin can climb out of it.
REHEAT = 2.0
#: Rounds per epoch per customer (an epoch has at least ``MIN_EPOCH`` rounds).
EPOCH_PER_CUSTOMER = 4
MIN_EPOCH = 200
#: The search stops when this many epochs in a row found nothing better.
STALL_EPOCHS = 5
#: A stalled search is kicked this many times before it stops: a fresh start from the
#: best plan with :data:`KICK_SHARE` of its customers taken out and put back.
KICKS = 3
KICK_SHARE = 0.25
#: Full day schedules tried per insertion when the O(1) lunch check is unsure.
FULL_CHECKS = 8
#: Customers visited once a cycle price only the days of this many nearest neighbours...
GRANULAR_NEIGHBOURS = 8
#: ...when they have more patterns (working days) than this.
GRANULAR_DAYS = 5
#: Longest segment or-opt moves.
OR_OPT = 3


@dataclass(frozen=True)
class CycleProblem:
    """One rep's cycle as the search sees it (local numbering, node 0 = home).

    Attributes
    ----------
    shape
        Travel matrix, service, windows, shift and lunch of the rep's days.
    working
        Per cycle day, whether the rep works.
    visits, weight
        Per customer (``j`` is node ``j + 1``): visits required, and the weight of a
        missing visit (1 lowest; higher grades weigh more).
    patterns
        Per customer, its valid visit patterns (tuples of cycle days).
    irregular
        Per customer, the irregularity of each pattern.
    options
        Objective weights and work limit.
    previous_days
        Per customer, the cycle days it was visited on in the previous plan (empty for
        a new customer); a visit on another day counts as changed.
    locked
        Per customer, whether its visits are locked: it is never taken out or moved to
        other days, and the order of locked visits within a day is kept.
    vehicles, demand, capacity
        Routes a day (one for a rep), the load of each customer's visit and the most a
        route may carry (the periodic VRP of :func:`~territory.routing.periodic.solve_pvrp`).
    """

    shape: DayShape
    working: tuple[bool, ...]
    visits: IntArray
    weight: FloatArray
    patterns: list[list[tuple[int, ...]]]
    irregular: list[FloatArray]
    options: PlanOptions
    previous_days: tuple[frozenset[int], ...] | None = None
    locked: tuple[bool, ...] | None = None
    vehicles: int = 1
    demand: FloatArray | None = None
    capacity: float = math.inf

    @property
    def size(self) -> int:
        """Number of customers."""
        return len(self.visits)

    @property
    def room(self) -> float:
        """Working minutes of one day (lunch excluded)."""
        lunch = self.shape.lunch[2] if self.shape.lunch else 0.0
        return self.shape.day_end - self.shape.day_start - lunch


@dataclass(frozen=True)
class SearchReport:
    """What a search did: rounds, improvements, objective before and after."""

    rounds: int
    improvements: int
    start_cost: float
    best_cost: float
    start_travel: float
    best_travel: float


class CycleSearch:
    """The mutable plan of one rep's cycle and the search over it.

    Parameters
    ----------
    problem
        The rep's cycle.
    routes
        A feasible start: the routes of every cycle day (local nodes), ``vehicles``
        per day in order (route ``s`` belongs to day ``s // vehicles``).
    seed
        Seed of every random choice.
    """

    def __init__(self, problem: CycleProblem, routes: list[list[int]], seed: int) -> None:
        self.problem = problem
        self.rng = np.random.default_rng(seed)
        shape = problem.shape
        self.t: list[list[float]] = shape.travel.tolist()
        self.t_to: list[list[float]] = shape.travel.T.tolist()  # t_to[v][a] = t[a][v]
        self.service: list[float] = shape.service.tolist()
        self.earliest: list[float] = shape.earliest.tolist()
        self.latest: list[float] = shape.latest.tolist()
        self.n_days = len(problem.working)
        self.m = problem.vehicles
        self.n_slots = self.n_days * self.m
        self.day_of = [s // self.m for s in range(self.n_slots)]
        n = problem.size
        self.demand: list[float] = (
            [0.0] * (n + 1) if problem.demand is None else [0.0, *map(float, problem.demand)]
        )
        self.room = problem.room
        self.simple = shape.lunch is None and bool(
            np.all(shape.earliest[1:] <= shape.day_start + _EPS)
            and np.all(shape.latest[1:] + shape.service[1:] >= shape.day_end - _EPS)
        )
        self.symmetric = bool(np.allclose(shape.travel, shape.travel.T))
        both = shape.travel[1:, 1:] + shape.travel[1:, 1:].T
        np.fill_diagonal(both, np.inf)
        k = min(NEIGHBOURS, max(0, n - 1))
        self.nearest: IntArray = np.argsort(both, axis=1, kind="stable")[:, :k].astype(np.int64)
        self.irregular: list[list[float]] = [row.tolist() for row in problem.irregular]
        self.drop: list[float] = (DROP_MINUTES * problem.weight).tolist()
        # per customer, every day of any of its patterns
        self.pattern_days = [
            sorted({d for pattern in patterns for d in pattern}) for patterns in problem.patterns
        ]
        self.previous = problem.previous_days or tuple(frozenset() for _ in range(n))
        self.locked = problem.locked or (False,) * n
        self.locked_nodes = {j + 1 for j in range(n) if self.locked[j]}
        returning = [j for j in range(n) if self.previous[j]]
        share = problem.options.max_changed_share
        self.change_cap = (
            math.inf
            if share is None
            else share * float(sum(int(problem.visits[j]) for j in returning))
        )
        self.routes: list[list[int]] = [list(r) for r in routes]
        self.pattern: list[int] = [-1] * n
        self.days_of: list[set[int]] = [set() for _ in range(n)]
        self.slot_of: list[dict[int, int]] = [{} for _ in range(n)]  # day -> route index
        self.route_travel = [0.0] * self.n_slots  # per route
        self.route_service = [0.0] * self.n_slots
        self.load = [0.0] * self.n_slots
        # per route: departure times and delay tolerance (see _route_timing), priced insertions
        self._timing: list[tuple[list[float], list[float], int] | None] = [None] * self.n_slots
        self._prices: list[dict[int, tuple[float, int, int] | None]] = [
            {} for _ in range(self.n_slots)
        ]
        self._legs: list[tuple[list[int], list[int], list[float]] | None] = [None] * self.n_slots
        self._rebuild()
        for j in range(n):
            self.pattern[j] = self._pattern_of(j)

    # -- bookkeeping -----------------------------------------------------------------

    def _rebuild(self) -> None:
        for days in self.days_of:
            days.clear()
        for slots in self.slot_of:
            slots.clear()
        for s, route in enumerate(self.routes):
            for v in route:
                self._enter(s, v)
            self._set_route(s, route)

    def _pattern_of(self, j: int) -> int:
        """The first pattern of ``j`` holding all its current days (-1 if none)."""
        days = self.days_of[j]
        return pattern_holding(self.problem.patterns[j], days) if days else -1

    def path_travel(self, route: list[int]) -> float:
        """Travel minutes of home -> ``route`` -> home."""
        t = self.t
        here, total = 0, 0.0
        for v in route:
            total += t[here][v]
            here = v
        return total + t[here][0]

    def feasible(self, route: list[int]) -> bool:
        """Whether ``route`` fits the rep's day."""
        if self.simple:
            return self.path_travel(route) + sum(self.service[v] for v in route) <= (
                self.room + _EPS
            )
        return schedule_day(self.problem.shape, route) is not None

    def _balance(self, work: float) -> float:
        weight = self.problem.options.balance_minutes
        return weight * work * work / self.room if weight else 0.0

    def travel(self) -> float:
        """Travel minutes of the whole cycle."""
        return float(sum(self.route_travel))

    def missing(self) -> int:
        """Visits not in the plan."""
        return int(
            sum(int(v) - len(d) for v, d in zip(self.problem.visits, self.days_of, strict=True))
        )

    def _moved(self, j: int, d: int) -> float:
        """Stability cost of a visit of customer ``j`` on day ``d``."""
        before = self.previous[j]
        if before and d not in before:
            return self.problem.options.stability_minutes
        return 0.0

    def changed(self) -> int:
        """Visits of returning customers on days they were not visited on before."""
        return sum(
            len(days - self.previous[j]) for j, days in enumerate(self.days_of) if self.previous[j]
        )

    def cost(self) -> float:
        """The objective (see :mod:`territory.routing.options`)."""
        opts = self.problem.options
        total = self.travel()
        if any(self.previous):
            total += opts.stability_minutes * self.changed()
            total += DROP_MINUTES * max(0.0, self.changed() - self.change_cap)
        for s in range(self.n_slots):
            total += self._balance(self.route_travel[s] + self.route_service[s])
        for j, days in enumerate(self.days_of):
            if days and self.pattern[j] >= 0:
                total += opts.regularity_minutes * self.irregular[j][self.pattern[j]]
            total += self.drop[j] * (int(self.problem.visits[j]) - len(days))
        return total

    def snapshot(self) -> tuple[list[list[int]], list[int]]:
        """A copy of the routes and patterns."""
        return [list(r) for r in self.routes], list(self.pattern)

    def restore(self, state: tuple[list[list[int]], list[int]]) -> None:
        """Go back to a :meth:`snapshot`."""
        routes, pattern = state
        self.pattern = list(pattern)
        changed = [s for s in range(self.n_slots) if self.routes[s] != routes[s]]
        for s in changed:  # only the routes that differ lose their cached timing and prices
            for v in self.routes[s]:
                self._leave(s, v)
        for s in changed:
            self._set_route(s, list(routes[s]))
            for v in self.routes[s]:
                self._enter(s, v)

    # -- edits -----------------------------------------------------------------------

    def _set_route(self, s: int, route: list[int]) -> None:
        self.routes[s] = route
        self.route_travel[s] = self.path_travel(route)
        self.route_service[s] = sum(self.service[v] for v in route)
        self.load[s] = sum(self.demand[v] for v in route)
        self._timing[s] = None
        self._legs[s] = None
        self._prices[s].clear()

    def _enter(self, s: int, v: int) -> None:
        day = self.day_of[s]
        self.days_of[v - 1].add(day)
        self.slot_of[v - 1][day] = s

    def _leave(self, s: int, v: int) -> None:
        day = self.day_of[s]
        self.days_of[v - 1].discard(day)
        self.slot_of[v - 1].pop(day, None)

    def _route_timing(self, s: int) -> tuple[list[float], list[float], int]:
        """Departures, delay tolerances and the lunch leg of route ``s`` (cached).

        Places are home -> route -> home, numbered ``0 .. m + 1``. ``leave[k]`` is the
        earliest departure from place ``k``; ``most[k]`` the largest delay of the
        departure from place ``k - 1`` that keeps the rest of the day feasible (waiting
        absorbs delay); ``lunch_leg`` is the place whose incoming leg holds the lunch
        break (the rep drives, waits for the break's earliest start if need be, eats,
        then arrives), or -1 when the day has none.
        """
        cached = self._timing[s]
        if cached is not None:
            return cached
        route = self.routes[s]
        shape = self.problem.shape
        lunch_leg = -1
        if shape.lunch is not None and route:
            schedule = schedule_day(shape, route)
            if schedule is not None and schedule.break_gap >= 0:
                lunch_leg = schedule.break_gap + 1
        path = [0, *route, 0]
        t = self.t
        leave = [shape.day_start] * (len(path) - 1)
        wait = [0.0] * len(path)  # waiting for the place to open, or for lunch
        slack = [0.0] * len(path)
        cap = [math.inf] * len(path)  # departure delay the lunch leg can take
        for k in range(1, len(path)):
            drive = leave[k - 1] + t[path[k - 1]][path[k]]
            arrive = drive
            if k == lunch_leg:
                low, high, minutes = shape.lunch  # type: ignore[misc]
                arrive = max(drive, low) + minutes
                wait[k] = max(0.0, low - drive)
                cap[k] = high - leave[k - 1]
            if k == len(path) - 1:
                slack[k] = shape.day_end - arrive
                break
            node = path[k]
            start = max(arrive, self.earliest[node])
            wait[k] += start - arrive
            slack[k] = self.latest[node] - start
            leave[k] = start + self.service[node]
        most = [0.0] * len(path)
        most[-1] = min(cap[-1], wait[-1] + slack[-1])
        for k in range(len(path) - 2, 0, -1):
            most[k] = min(cap[k], wait[k] + min(slack[k], most[k + 1]))
        timing = (leave, most, lunch_leg)
        self._timing[s] = timing
        return timing

    def insert(self, s: int, v: int, position: int) -> None:
        """Put node ``v`` at ``position`` of route ``s``."""
        route = self.routes[s]
        route.insert(position, v)
        self._set_route(s, route)
        self._enter(s, v)

    def remove(self, d: int, v: int) -> None:
        """Take node ``v`` off day ``d``."""
        s = self.slot_of[v - 1][d]
        route = self.routes[s]
        route.remove(v)
        self._set_route(s, route)
        self._leave(s, v)

    def take_out(self, j: int) -> None:
        """Take customer ``j`` off all its days."""
        for d in sorted(self.days_of[j]):
            self.remove(d, j + 1)
        self.pattern[j] = -1

    # -- pricing ---------------------------------------------------------------------

    def insertion(self, d: int, v: int) -> tuple[float, int, int] | None:
        """Cheapest feasible insertion of node ``v`` into day ``d``: (price, route, position).

        Every route of the day is tried; of its empty routes only the first (they are
        all alike). Prices are cached per route until the route changes.
        """
        if self.m == 1:  # one route a day (a rep's cycle): route d is day d
            prices = self._prices[d]
            if v in prices:
                return prices[v]
            found = prices[v] = self._price_insertion(d, v)
            return found
        best: tuple[float, int, int] | None = None
        empty_seen = False
        for s in range(d * self.m, (d + 1) * self.m):
            if not self.routes[s]:
                if empty_seen:
                    continue
                empty_seen = True
            prices = self._prices[s]
            if v in prices:
                found = prices[v]
            else:
                found = prices[v] = self._price_insertion(s, v)
            if found is not None and (best is None or found[0] < best[0]):
                best = found
        return best

    def _quick_fit(self, s: int, v: int, position: int) -> bool | None:
        """Whether ``v`` fits at ``position`` of route ``s``: ``True``, ``False`` or ``None``.

        In O(1) with the day's cached timing, and exact without lunch. With lunch the
        break first keeps its leg (or, when ``v`` is put on that leg, goes before or
        after ``v``); when that fails the answer is ``None`` (the break might fit on
        another leg) and :func:`~territory.routing.timing.schedule_day` decides.
        """
        leave, most, lunch_leg = self._route_timing(s)
        route = self.routes[s]
        t = self.t
        before = route[position - 1] if position else 0
        after = route[position] if position < len(route) else 0
        old = leave[position] + t[before][after]  # arrival at the next place, no break
        lunch = self.problem.shape.lunch
        if position + 1 != lunch_leg:
            start = max(leave[position] + t[before][v], self.earliest[v])
            if start > self.latest[v] + _EPS:
                return False if lunch_leg < 0 else None
            push = start + self.service[v] + t[v][after] - old
            if push > most[position + 1] + _EPS:
                return False if lunch_leg < 0 else None
            if lunch is None or lunch_leg >= 0:
                return True
            # no break today: fine while the day still ends before the latest lunch start
            if leave[-1] + t[route[-1] if route else 0][0] + max(0.0, push) <= lunch[1]:
                return True
            return None
        low, high, minutes = lunch  # type: ignore[misc]
        old = max(old, low) + minutes
        # the break after v
        start = max(leave[position] + t[before][v], self.earliest[v])
        if start <= self.latest[v] + _EPS:
            out = start + self.service[v]
            if max(out, low) <= high + _EPS:
                push = max(out + t[v][after], low) + minutes - old
                if push <= self._arrival_tolerance(s, position + 1) + _EPS:
                    return True
        # the break before v
        if max(leave[position], low) <= high + _EPS:
            start = max(max(leave[position] + t[before][v], low) + minutes, self.earliest[v])
            if start <= self.latest[v] + _EPS:
                push = start + self.service[v] + t[v][after] - old
                if push <= self._arrival_tolerance(s, position + 1) + _EPS:
                    return True
        return None

    def _arrival_tolerance(self, s: int, k: int) -> float:
        """The delay the arrival at place ``k`` of route ``s`` can take (lunch leg or not)."""
        _, most, _ = self._route_timing(s)
        route = self.routes[s]
        path_len = len(route) + 2
        if k == path_len - 1:
            back = self._arrival(s, k)
            return self.problem.shape.day_end - back
        node = route[k - 1]
        arrive = self._arrival(s, k)
        start = max(arrive, self.earliest[node])
        nxt = most[k + 1] if k + 1 < path_len else math.inf
        return (start - arrive) + min(self.latest[node] - start, nxt)

    def _arrival(self, s: int, k: int) -> float:
        """Arrival at place ``k`` of route ``s`` (after the lunch break on its leg)."""
        leave, _, lunch_leg = self._route_timing(s)
        route = self.routes[s]
        before = route[k - 2] if k >= 2 else 0
        here = route[k - 1] if k - 1 < len(route) else 0
        arrive = leave[k - 1] + self.t[before][here]
        if k == lunch_leg and self.problem.shape.lunch is not None:
            low, _, minutes = self.problem.shape.lunch
            arrive = max(arrive, low) + minutes
        return arrive

    def _price_insertion(self, s: int, v: int) -> tuple[float, int, int] | None:
        """Cheapest feasible (price, route, position) of ``v`` in route ``s``."""
        day = self.day_of[s]
        if not self.problem.working[day]:
            return None
        if self.load[s] + self.demand[v] > self.problem.capacity + _EPS:
            return None
        route = self.routes[s]
        t = self.t
        base = self.route_travel[s] + self.route_service[s] + self.service[v]
        slack = self.room + _EPS - base
        if slack < 0:
            return None
        into, out_of = self.t_to[v], t[v]
        deltas = [into[a] + out_of[b] - edge for a, b, edge in zip(*self._edges(s), strict=True)]
        if self.simple:  # only the day's length binds: the cheapest position fits or none
            position = deltas.index(min(deltas))
            return self._priced(s, v, position, deltas[position], slack)
        full_checks = FULL_CHECKS
        for position in sorted(range(len(deltas)), key=deltas.__getitem__):
            if deltas[position] > slack:
                return None
            fits = self._quick_fit(s, v, position)
            if fits is None and full_checks > 0:
                full_checks -= 1
                candidate = [*route[:position], v, *route[position:]]
                fits = schedule_day(self.problem.shape, candidate) is not None
            if fits:
                return self._priced(s, v, position, deltas[position], slack)
        return None

    def _priced(
        self, s: int, v: int, position: int, delta: float, slack: float
    ) -> tuple[float, int, int] | None:
        """(price, route, position) of an insertion that fits; ``None`` when over ``slack``."""
        if delta > slack:
            return None
        work = self.route_travel[s] + self.route_service[s]
        price = delta + self._balance(work + delta + self.service[v]) - self._balance(work)
        return price + self._moved(v - 1, self.day_of[s]), s, position

    def _edges(self, s: int) -> tuple[list[int], list[int], list[float]]:
        """Tails, heads and travel of the legs of route ``s`` (home -> route -> home), cached."""
        cached = self._legs[s]
        if cached is None:
            route = self.routes[s]
            tails, heads = [0, *route], [*route, 0]
            t = self.t
            cached = (tails, heads, [t[a][b] for a, b in zip(tails, heads, strict=True)])
            self._legs[s] = cached
        return cached

    def removal(self, d: int, v: int) -> float:
        """Objective saved by taking node ``v`` off day ``d`` (travel and balance)."""
        s = self.slot_of[v - 1][d]
        route = self.routes[s]
        k = route.index(v)
        a = route[k - 1] if k > 0 else 0
        b = route[k + 1] if k + 1 < len(route) else 0
        t = self.t
        delta = t[a][v] + t[v][b] - t[a][b]
        work = self.route_travel[s] + self.route_service[s]
        balance = self._balance(work) - self._balance(work - delta - self.service[v])
        return delta + balance + self._moved(v - 1, d)

    # -- recreate and pattern moves --------------------------------------------------

    def place(self, j: int, noise: float = 0.0) -> bool:
        """Put an unplaced customer ``j`` on its cheapest pattern; return whether fully."""
        v = j + 1
        patterns = self.problem.patterns[j]
        if not patterns or self.problem.visits[j] == 0:
            return bool(self.problem.visits[j] == 0)
        surcharge = 1.0 + noise * self.rng.random(self.n_days) if noise else None
        candidates = self._candidates(j)
        count, p, price = self._cheapest_pattern(j, candidates, surcharge)
        if count == 0 and len(candidates) < len(patterns):  # no near day has room
            count, p, price = self._cheapest_pattern(j, range(len(patterns)), surcharge)
        if count == 0:
            return False
        for d in patterns[p]:
            if price[d] is None:
                continue
            found = self.insertion(d, v)  # positions unchanged by the other days
            if found is not None:
                self.insert(found[1], v, found[2])
        self.pattern[j] = p
        return bool(len(self.days_of[j]) == self.problem.visits[j])

    def _cheapest_pattern(
        self, j: int, candidates: Sequence[int], surcharge: FloatArray | None
    ) -> tuple[int, int, dict[int, tuple[float, int, int] | None]]:
        """Of ``candidates``, the pattern placing most visits at least cost.

        Returns the visits it places, the pattern and the (surcharged) price of each
        day priced.
        """
        v = j + 1
        patterns = self.problem.patterns[j]
        if len(candidates) == len(patterns):
            days: Iterable[int] = self.pattern_days[j]
        else:
            days = {d for p in candidates for d in patterns[p]}
        insertion = self.insertion
        price = {d: insertion(d, v) for d in days}  # each day priced once
        if surcharge is not None:
            price = {
                d: None if p is None else (p[0] * float(surcharge[d]), p[1], p[2])
                for d, p in price.items()
            }
        regular = self.problem.options.regularity_minutes
        irregular = self.irregular[j]
        best_count, best_cost, best_p = -1, math.inf, -1
        for p in candidates:
            count, total = 0, 0.0
            for d in patterns[p]:
                found = price[d]
                if found is not None:
                    count += 1
                    total += found[0]
            cost = total + regular * irregular[p]
            if count > best_count or (count == best_count and cost < best_cost):
                best_count, best_cost, best_p = count, cost, p
        assert best_p >= 0, "no candidate pattern"
        return best_count, best_p, price

    def _candidates(self, j: int) -> list[int]:
        """Patterns of customer ``j`` worth pricing (indices into its patterns).

        A customer visited once a cycle has one pattern per working day; only the days
        its nearest neighbours are on, and its own, are priced (the others would add a
        detour from elsewhere). Every pattern is a candidate when none of those days is
        one of its patterns, and for customers visited more often.
        """
        patterns = self.problem.patterns[j]
        if self.problem.visits[j] != 1 or len(patterns) <= GRANULAR_DAYS:
            return list(range(len(patterns)))
        near = set(self.days_of[j])
        for c in self.nearest[j][:GRANULAR_NEIGHBOURS]:
            near.update(self.days_of[int(c)])
        chosen = [p for p, pattern in enumerate(patterns) if pattern[0] in near]
        return chosen or list(range(len(patterns)))

    def move_pattern(self, j: int) -> bool:
        """Move customer ``j`` to a cheaper complete pattern if there is one."""
        if self.locked[j]:
            return False
        current = self.pattern[j]
        patterns = self.problem.patterns[j]
        if len(patterns) < 2 and current >= 0 and len(self.days_of[j]) == self.problem.visits[j]:
            return False
        v = j + 1
        on = self.days_of[j]
        saving = {d: self.removal(d, v) for d in on}
        regular = self.problem.options.regularity_minutes
        irregular = self.irregular[j]
        missing = int(self.problem.visits[j]) - len(on)
        now = regular * irregular[current] if current >= 0 else 0.0
        price: dict[int, tuple[float, int, int] | None] = {}
        best: tuple[float, int] | None = None
        insertion = self.insertion
        for p in self._candidates(j):
            pattern = patterns[p]
            if p == current and not missing:
                continue
            delta = regular * irregular[p] - now - self.drop[j] * missing
            for d in pattern:
                if d in on:
                    continue
                if d in price:
                    found = price[d]
                else:
                    found = price[d] = insertion(d, v)
                if found is None:
                    delta = math.inf
                    break
                delta += found[0]
            if delta == math.inf:
                continue
            delta -= sum(saving[d] for d in on if d not in pattern)
            if delta < -1e-7 and (best is None or delta < best[0]):
                best = (delta, p)
        if best is None:
            return False
        p = best[1]
        target = set(patterns[p])
        for d in sorted(on - target):
            self.remove(d, v)
        for d in sorted(target - self.days_of[j]):
            found = self.insertion(d, v)
            if found is None:  # pragma: no cover - priced feasible just above
                continue
            self.insert(found[1], v, found[2])
        self.pattern[j] = p
        return True

    # -- routes ----------------------------------------------------------------------

    def improve_day(self, d: int) -> bool:
        """2-opt and or-opt on every route of day ``d``; return whether any changed."""
        changed = False
        for s in range(d * self.m, (d + 1) * self.m):
            changed = self.improve_route(s) or changed
        return changed

    def improve_route(self, s: int) -> bool:
        """2-opt and or-opt on route ``s`` until no move shortens it; whether it changed."""
        if len(self.routes[s]) < 2:
            return False
        changed = False
        improved = True
        while improved:
            improved = self._two_opt(s) or self._or_opt(s)
            changed = changed or improved
        return changed

    def _accept_route(self, s: int, candidate: list[int]) -> bool:
        before = self.route_travel[s]
        after = self.path_travel(candidate)
        if self.locked_nodes and not self._keeps_locked_order(s, candidate):
            return False
        if after < before - _EPS and self.feasible(candidate):
            self._set_route(s, candidate)
            return True
        return False

    def _keeps_locked_order(self, s: int, candidate: list[int]) -> bool:
        locked = self.locked_nodes
        return [v for v in candidate if v in locked] == [v for v in self.routes[s] if v in locked]

    def _two_opt(self, s: int) -> bool:
        """First improving feasible 2-opt move of route ``s``, in (a, b) order."""
        route = self.routes[s]
        t = self.t
        path = [0, *route, 0]
        size = len(path)
        legs = [t[path[k]][path[k + 1]] for k in range(size - 1)]
        for a in range(size - 3):
            from_a, from_next, leg_a = t[path[a]], t[path[a + 1]], legs[a]
            for b in range(a + 2, size - 1):
                if self.symmetric:  # reversing a+1..b only pays when legs a and b shrink
                    gain = leg_a + legs[b] - from_a[path[b]] - from_next[path[b + 1]]
                    if gain <= _EPS:
                        continue
                candidate = path[1 : a + 1] + path[a + 1 : b + 1][::-1] + path[b + 1 : -1]
                if self._accept_route(s, candidate):
                    return True
        return False

    def _or_opt(self, s: int) -> bool:
        """First improving feasible move of a segment of 1-3 stops elsewhere in route ``s``.

        Segments are tried by length, then position; for each, the legs to put it on in
        route order, and only those where it shortens the route.
        """
        route = self.routes[s]
        t = self.t
        path = [0, *route, 0]
        size = len(path)
        legs = [t[path[k]][path[k + 1]] for k in range(size - 1)]
        for length in range(1, min(OR_OPT, len(route)) + 1):
            for i in range(1, size - length):
                first, last = path[i], path[i + length - 1]
                before, after = path[i - 1], path[i + length]
                gain = t[before][first] + t[last][after] - t[before][after]
                if gain <= _EPS:
                    continue
                limit = gain - _EPS
                into_first, from_last = self.t_to[first], t[last]
                # leg k runs path[k] -> path[k + 1]; the legs touching the segment are out
                for k in itertools.chain(range(i - 1), range(i + length, size - 1)):
                    if into_first[path[k]] + from_last[path[k + 1]] - legs[k] < limit:
                        segment = path[i : i + length]
                        if k < i:
                            candidate = (
                                path[1 : k + 1] + segment + path[k + 1 : i] + path[i + length : -1]
                            )
                        else:
                            candidate = (
                                path[1:i] + path[i + length : k + 1] + segment + path[k + 1 : -1]
                            )
                        if self._accept_route(s, candidate):
                            return True
        return False

    # -- the search ------------------------------------------------------------------

    def _ruin(self) -> list[int]:
        """Take related customers out (never locked ones); return them."""
        out = [j for j in dict.fromkeys(self._related()) if not self.locked[j]]
        for j in out:
            self.take_out(j)
        return out

    def _related(self) -> list[int]:
        """Customers to ruin together: see step 1 of the module docstring."""
        n = self.problem.size
        planned = [j for j in range(n) if self.days_of[j] and not self.locked[j]]
        if not planned:
            return []
        high = max(RUIN_BOUNDS[0], min(RUIN_BOUNDS[1], n // 4))
        count = int(self.rng.integers(RUIN_BOUNDS[0], high + 1))
        short = [
            j
            for j in range(n)
            if len(self.days_of[j]) < self.problem.visits[j] and not self.locked[j]
        ]
        if short and self.nearest.shape[1] and self.rng.random() < SHORT_RUIN:
            # make room around a customer that is short of visits
            seed = short[int(self.rng.integers(len(short)))]
            return [seed, *(int(c) for c in self.nearest[seed][: count - 1])]
        seed = planned[int(self.rng.integers(len(planned)))]
        kind = self.rng.random()
        if kind < DAY_RUIN:
            return [seed, *(v - 1 for v in self._a_route_of(seed))]
        if kind < 0.5 + DAY_RUIN / 2 and self.nearest.shape[1]:
            return [seed, *(int(c) for c in self.nearest[seed][: count - 1])]
        route = self._a_route_of(seed)
        k = route.index(seed + 1)
        low = max(0, k - int(self.rng.integers(count)))
        return [seed, *(v - 1 for v in route[low : low + count] if v - 1 != seed)]

    def _kick(self) -> None:
        """Take :data:`KICK_SHARE` of the customers out in related groups and put them back."""
        target = max(RUIN_BOUNDS[1], int(KICK_SHARE * self.problem.size))
        before = [list(r) for r in self.routes]
        removed: dict[int, None] = {}  # a neighbour may already be out
        while len(removed) < target:
            out = self._ruin()
            if not out:
                break
            removed.update(dict.fromkeys(out))
        self._recreate(list(removed))
        for s in range(self.n_slots):
            if self.routes[s] != before[s]:
                self.improve_route(s)

    def _a_route_of(self, j: int) -> list[int]:
        """One of customer ``j``'s routes, chosen at random."""
        days = sorted(self.days_of[j])
        return self.routes[self.slot_of[j][days[int(self.rng.integers(len(days)))]]]

    def _recreate(self, removed: list[int]) -> None:
        problem = self.problem
        style = int(self.rng.integers(3))
        tie = self.rng.random(len(removed))
        if style == 0:
            key = [(-problem.weight[j], -problem.visits[j], tie[k]) for k, j in enumerate(removed)]
        elif style == 1:
            key = [(-problem.weight[j], 0, tie[k]) for k, j in enumerate(removed)]
        else:
            far = [-self.t[0][j + 1] for j in removed]
            key = [(-problem.weight[j], far[k], tie[k]) for k, j in enumerate(removed)]
        order = [removed[k] for k in sorted(range(len(removed)), key=key.__getitem__)]
        noise = NOISE if self.rng.random() < 0.5 else 0.0
        for j in order:
            self.place(j, noise)

    def run(self, clock: Clock, iterations: int | None) -> SearchReport:
        """Search until ``iterations`` rounds are done or the clock runs out.

        The best plan found is left in place.
        """
        n = self.problem.size
        start_cost, start_travel = self.cost(), self.travel()
        for j in range(n):  # customers short of visits first get their cheapest place
            if len(self.days_of[j]) < self.problem.visits[j] and not self.locked[j]:
                if self.days_of[j]:
                    self.move_pattern(j)
                else:
                    self.place(j)
        for d in range(self.n_days):
            self.improve_day(d)
        best_state, best_cost = self.snapshot(), self.cost()
        current_cost = best_cost
        epoch = max(MIN_EPOCH, EPOCH_PER_CUSTOMER * n)
        rounds = improvements = stalled = kicks = 0
        epoch_best = best_cost
        while n > 1 and (iterations is None or rounds < iterations) and not clock.expired():
            position = rounds % epoch
            if position == 0 and rounds:
                self.restore(best_state)
                current_cost = best_cost
                stalled = stalled + 1 if best_cost >= epoch_best - 1e-7 else 0
                if stalled >= STALL_EPOCHS:
                    if kicks >= KICKS:
                        break
                    kicks += 1
                    stalled = 0
                    self._kick()
                    current_cost = self.cost()
                epoch_best = best_cost
            rounds += 1
            planned = max(1, sum(len(days) for days in self.days_of))
            heat = THRESHOLD * (1.0 + REHEAT * (stalled % 2))
            threshold = heat * self.travel() / planned * (1.0 - position / epoch)
            before = self.snapshot()
            removed = self._ruin()
            self._recreate(removed)
            around = set(removed)
            for j in removed:
                around.update(int(c) for c in self.nearest[j][:4])
            for j in sorted(around, key=lambda c: (self.rng.random(), c)):
                self.move_pattern(j)
            touched = [s for s in range(self.n_slots) if self.routes[s] != before[0][s]]
            for s in touched:
                self.improve_route(s)
            cost = self.cost()
            if cost < current_cost + threshold:
                current_cost = cost
                if cost < best_cost - 1e-7:
                    best_state, best_cost = self.snapshot(), cost
                    improvements += 1
            else:
                self.restore(before)
        self.restore(best_state)
        return SearchReport(
            rounds, improvements, start_cost, best_cost, start_travel, self.travel()
        )
