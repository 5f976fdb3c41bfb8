"""Day-combination search for the periodic VRP: construction, local search, perturbation.

:class:`DayPlan` holds the routes of every day and evaluates, with numpy, the cost of
removing a customer from its days and of inserting it (cheapest position) into the days
of another allowed combination. Capacity and duration excesses are priced with a large
penalty so that the search can pass through infeasible states but prefers feasible
ones. The daily routes are re-optimised elsewhere by a routing engine
(:mod:`territory.routing.periodic.solve`).
"""

from __future__ import annotations

import copy
import time

import numpy as np
from numpy.typing import NDArray

from territory.errors import InfeasibleError
from territory.routing.periodic.instance import PeriodicInstance, combination_days

__all__ = ["DayPlan", "feasible_combinations"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Improvements smaller than this are treated as ties.
EPSILON = 1e-9


def feasible_combinations(instance: PeriodicInstance) -> list[list[tuple[int, ...]]]:
    """Per customer, the allowed combinations (0-based days) usable on their own.

    A combination is unusable when one of its days cannot hold the customer even on a
    route of its own (demand above the capacity, or out-and-back duration above the
    limit).

    Raises
    ------
    InfeasibleError
        When a customer has no usable combination; the message shows the numbers.
    """
    dist0 = instance.distance[0]
    usable: list[list[tuple[int, ...]]] = [[]]
    for i in range(1, instance.size + 1):
        options = []
        for code in instance.combinations[i]:
            days = tuple(d - 1 for d in combination_days(code, instance.days))
            if all(
                instance.demand[i] <= instance.capacity[d] + EPSILON
                and 2 * dist0[i] + instance.service[i] <= instance.max_duration[d] + EPSILON
                for d in days
            ):
                options.append(days)
        if not options:
            d = min(range(instance.days), key=lambda k: -instance.capacity[k])
            raise InfeasibleError(
                f"customer {i} fits on no allowed day: demand {instance.demand[i]:g} vs "
                f"capacity {instance.capacity[d]:g}, out-and-back duration "
                f"2 x {dist0[i]:.3f} + {instance.service[i]:g} vs limit "
                f"{instance.max_duration[d]:g}"
            )
        usable.append(options)
    return usable


class _DayCache:
    """Arcs and route totals of one day, rebuilt after each change of that day."""

    __slots__ = ("duration", "excess", "load", "position", "prev", "route", "succ", "where")

    def __init__(self, plan: DayPlan, day: int) -> None:
        inst, routes = plan.instance, plan.routes[day]
        prev: list[int] = []
        succ: list[int] = []
        route_of: list[int] = []
        position: list[int] = []
        self.where: dict[int, tuple[int, int]] = {}
        for r, route in enumerate(routes):
            prev.append(0)
            prev.extend(route)
            succ.extend(route)
            succ.append(0)
            route_of.extend([r] * (len(route) + 1))
            position.extend(range(len(route) + 1))
            for k, c in enumerate(route):
                self.where[c] = (r, k)
        self.prev = np.array(prev, dtype=np.int64)
        self.succ = np.array(succ, dtype=np.int64)
        self.route = np.array(route_of, dtype=np.int64)
        self.position = np.array(position, dtype=np.int64)
        count = len(routes)
        arc = plan.dist[self.prev, self.succ] + inst.service[self.succ]
        self.duration: FloatArray = np.bincount(self.route, weights=arc, minlength=count).astype(
            float
        )
        self.load: FloatArray = np.bincount(
            self.route, weights=inst.demand[self.succ], minlength=count
        ).astype(float)
        self.excess = plan.excess(day, self.load, self.duration)


class DayPlan:
    """The routes of every day plus the chosen combination of every customer.

    Parameters
    ----------
    instance
        The periodic instance.
    combinations
        Usable combinations per customer (see :func:`feasible_combinations`).
    """

    def __init__(
        self, instance: PeriodicInstance, combinations: list[list[tuple[int, ...]]]
    ) -> None:
        self.instance = instance
        self.options = combinations
        self.dist: FloatArray = np.array(instance.distance)
        self.routes: list[list[list[int]]] = [[] for _ in range(instance.days)]
        self.chosen: list[tuple[int, ...] | None] = [None] * (instance.size + 1)
        # One unit of excess load or duration costs more than any route can.
        self.penalty = 10.0 * (float(self.dist.max()) * (instance.size + 2) + 1.0)
        self._cache: list[_DayCache | None] = [None] * instance.days

    # -- bookkeeping -------------------------------------------------------------------

    def copy(self) -> DayPlan:
        """An independent copy (routes and choices)."""
        other = copy.copy(self)
        other.routes = [[list(r) for r in day] for day in self.routes]
        other.chosen = list(self.chosen)
        other._cache = list(self._cache)
        return other

    def excess(self, day: int, load: FloatArray, duration: FloatArray) -> FloatArray:
        """Capacity plus duration excess of routes with these totals on ``day``."""
        inst = self.instance
        over_load = np.maximum(load - inst.capacity[day], 0.0)
        over_time = np.maximum(duration - inst.max_duration[day], 0.0)
        return np.asarray(over_load + over_time, dtype=float)

    def cache(self, day: int) -> _DayCache:
        """Arcs and totals of ``day``, rebuilt when stale."""
        cached = self._cache[day]
        if cached is None:
            cached = _DayCache(self, day)
            self._cache[day] = cached
        return cached

    def set_day(self, day: int, routes: list[list[int]]) -> None:
        """Replace the routes of ``day`` (same customers, for example from an engine)."""
        self.routes[day] = [list(r) for r in routes if r]
        self._cache[day] = None

    def day_distance(self, day: int) -> float:
        """Total distance of the routes of ``day``."""
        c = self.cache(day)
        return float(self.dist[c.prev, c.succ].sum())

    def day_cost(self, day: int) -> float:
        """Distance plus penalised excess of ``day``."""
        return self.day_distance(day) + self.penalty * float(self.cache(day).excess.sum())

    def cost(self) -> float:
        """Penalised cost of the whole plan."""
        return sum(self.day_cost(d) for d in range(self.instance.days))

    def distance(self) -> float:
        """Total distance of the whole plan."""
        return sum(self.day_distance(d) for d in range(self.instance.days))

    def violation(self) -> float:
        """Total capacity and duration excess (0 for a feasible plan)."""
        return sum(float(self.cache(d).excess.sum()) for d in range(self.instance.days))

    def complete(self) -> bool:
        """Whether every customer is on one of its allowed combinations, on each of its days.

        A search that could not place every visit leaves a customer on part of a
        combination; such a plan is not a solution, however cheap.
        """
        visited: list[list[int]] = [[] for _ in range(self.instance.size + 1)]
        for day, routes in enumerate(self.routes):
            for route in routes:
                for c in route:
                    visited[c].append(day)
        return all(
            self.chosen[c] in self.options[c] and tuple(sorted(visited[c])) == self.chosen[c]
            for c in range(1, self.instance.size + 1)
        )

    def customers_on(self, day: int) -> frozenset[int]:
        """Customers visited on ``day``."""
        return frozenset(c for r in self.routes[day] for c in r)

    # -- moves -----------------------------------------------------------------------

    def insertion(self, customer: int, day: int) -> tuple[float, int, int]:
        """Cheapest penalised insertion of ``customer`` into ``day``: (cost, route, position).

        ``route == len(routes)`` opens a new route (only while fewer than ``m`` are used).
        """
        inst, c = self.instance, self.cache(day)
        q, s = inst.demand[customer], inst.service[customer]
        best = (np.inf, -1, -1)
        if len(c.prev):
            dd = (
                self.dist[c.prev, customer]
                + self.dist[customer, c.succ]
                - self.dist[c.prev, c.succ]
            )
            new_excess = self.excess(day, c.load[c.route] + q, c.duration[c.route] + dd + s)
            total = dd + self.penalty * (new_excess - c.excess[c.route])
            k = int(np.argmin(total))
            best = (float(total[k]), int(c.route[k]), int(c.position[k]))
        if len(self.routes[day]) < inst.vehicles:
            out_back = 2.0 * self.dist[0, customer]
            new_excess = self.excess(day, np.array([q]), np.array([out_back + s]))
            alone = out_back + self.penalty * float(new_excess[0])
            if alone < best[0] - EPSILON:
                best = (alone, len(self.routes[day]), 0)
        return best

    def removal(self, customer: int, day: int) -> float:
        """Penalised cost saved by removing ``customer`` from ``day``."""
        inst, c = self.instance, self.cache(day)
        r, k = c.where[customer]
        route = self.routes[day][r]
        a = route[k - 1] if k > 0 else 0
        b = route[k + 1] if k + 1 < len(route) else 0
        dd = self.dist[a, customer] + self.dist[customer, b] - self.dist[a, b]
        load = np.array([c.load[r] - inst.demand[customer]])
        duration = np.array([c.duration[r] - dd - inst.service[customer]])
        return float(dd + self.penalty * (c.excess[r] - self.excess(day, load, duration)[0]))

    def insert(self, customer: int, day: int, route: int, position: int) -> None:
        """Insert ``customer`` into ``day`` (``route == len(routes)`` opens a route)."""
        if route == len(self.routes[day]):
            self.routes[day].append([customer])
        else:
            self.routes[day][route].insert(position, customer)
        self._cache[day] = None

    def remove(self, customer: int) -> None:
        """Remove ``customer`` from all its days."""
        days = self.chosen[customer]
        for day in days or ():
            r, k = self.cache(day).where[customer]
            del self.routes[day][r][k]
            if not self.routes[day][r]:
                del self.routes[day][r]
            self._cache[day] = None
        self.chosen[customer] = None

    def best_combination(
        self, customer: int, noise: float = 0.0, rng: np.random.Generator | None = None
    ) -> tuple[float, tuple[int, ...]]:
        """Cheapest usable combination of an unplaced ``customer``: (cost, days)."""
        needed = {d for days in self.options[customer] for d in days}
        price = {d: self.insertion(customer, d)[0] for d in needed}
        best: tuple[float, tuple[int, ...]] = (np.inf, ())
        for days in self.options[customer]:
            total = sum(price[d] for d in days)
            if noise and rng is not None:
                total *= 1.0 + noise * rng.random()
            if total < best[0]:
                best = (total, days)
        return best

    def place(self, customer: int, days: tuple[int, ...]) -> None:
        """Insert an unplaced ``customer`` at its cheapest position on each of ``days``."""
        for day in days:
            _, route, position = self.insertion(customer, day)
            self.insert(customer, day, route, position)
        self.chosen[customer] = days

    # -- heuristics ------------------------------------------------------------------

    def construct(self, rng: np.random.Generator) -> None:
        """Greedy insertion in sweep order, each customer on its cheapest combination.

        Customers with more visits go first; customers with the same frequency follow
        their angle around the depot from a random start, which fills the routes
        sector by sector.
        """
        inst = self.instance
        customers = np.arange(1, inst.size + 1)
        angle = np.arctan2(inst.y[customers] - inst.y[0], inst.x[customers] - inst.x[0])
        angle = np.mod(angle - rng.uniform(-np.pi, np.pi), 2 * np.pi)
        order = np.lexsort((angle, -inst.frequency[customers]))
        for k in order:
            _, days = self.best_combination(int(customers[k]))
            self.place(int(customers[k]), days)

    def local_search(
        self,
        rng: np.random.Generator,
        deadline: float,
        customers: list[int] | None = None,
    ) -> bool:
        """Move customers to cheaper combinations until none improves.

        Each customer in random order is priced on every usable combination without
        being taken out: a day it already visits costs its removal saving, another
        day its cheapest insertion on the current routes. The customer moves when a
        combination is cheaper than its own; only the days it leaves or joins change.
        Returns whether anything improved.

        Parameters
        ----------
        rng
            Order of the customers.
        deadline
            ``time.perf_counter()`` value to stop at.
        customers
            Customers to try (default all); after a move, all are tried again.
        """
        pool = np.arange(1, self.instance.size + 1) if customers is None else np.array(customers)
        improved_any, improved = False, True
        while improved and time.perf_counter() < deadline:
            improved = False
            for i in rng.permutation(pool):
                if self._move_combination(int(i)):
                    improved = improved_any = True
                if time.perf_counter() >= deadline:
                    break
        return improved_any

    def _move_combination(self, customer: int) -> bool:
        """Put ``customer`` on a cheaper combination if there is one; return whether moved."""
        options = self.options[customer]
        current = self.chosen[customer]
        assert current is not None
        if len(options) < 2:
            return False
        price = {d: self.removal(customer, d) for d in current}
        now = sum(price.values())
        for days in options:
            for d in days:
                if d not in price:
                    price[d] = self.insertion(customer, d)[0]
        cost, best = min((sum(price[d] for d in days), days) for days in options)
        if not cost < now - 1e-7 * max(1.0, abs(now)):
            return False
        for day in current:
            if day not in best:
                r, k = self.cache(day).where[customer]
                del self.routes[day][r][k]
                if not self.routes[day][r]:
                    del self.routes[day][r]
                self._cache[day] = None
        for day in best:
            if day not in current:
                _, route, position = self.insertion(customer, day)
                self.insert(customer, day, route, position)
        self.chosen[customer] = best
        return True

    def perturb(self, rng: np.random.Generator, count: int) -> list[int]:
        """Ruin and recreate: take ``count`` customers near a random one out and reinsert.

        The removed customers go back in random order, each on a combination chosen with
        up to 20 % random noise on its insertion cost. Returns the moved customers.
        """
        n = self.instance.size
        seed = int(rng.integers(1, n + 1))
        near = np.argsort(self.dist[seed, 1:], kind="stable")[: max(1, min(count, n))] + 1
        for i in near:
            self.remove(int(i))
        for i in rng.permutation(near):
            _, days = self.best_combination(int(i), noise=0.2, rng=rng)
            self.place(int(i), days)
        return [int(i) for i in near]
