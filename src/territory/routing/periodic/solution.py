"""The result of the periodic VRP solver and its independent checker."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from territory.routing.periodic.instance import PeriodicInstance, combination_days

__all__ = ["PeriodicRoute", "PeriodicSolution", "check_routes", "route_cost"]

#: Slack allowed on capacity and duration when checking (floating-point noise).
TOLERANCE = 1e-6


class PeriodicRoute(NamedTuple):
    """One vehicle's route on one day: ``day`` and ``vehicle`` are 1-based."""

    day: int
    vehicle: int
    customers: tuple[int, ...]


def route_cost(instance: PeriodicInstance, customers: Sequence[int]) -> float:
    """Distance of the route depot -> ``customers`` -> depot."""
    if not len(customers):
        return 0.0
    path = np.concatenate(([0], np.asarray(customers, dtype=np.int64), [0]))
    return float(instance.distance[path[:-1], path[1:]].sum())


def check_routes(
    instance: PeriodicInstance, routes: Sequence[PeriodicRoute], *, tolerance: float = TOLERANCE
) -> list[str]:
    """Every violated rule of a set of routes, as readable lines (empty when feasible).

    The rules: days in ``1..t`` and vehicles in ``1..m`` with one route per
    (day, vehicle); customers ``1..n`` at most once a day; each customer visited on
    exactly one of its allowed combinations; load within the day's capacity; route
    duration (distance plus service) within the day's limit.
    """
    n, t, m = instance.size, instance.days, instance.vehicles
    violations: list[str] = []
    visit_days: dict[int, list[int]] = {i: [] for i in range(1, n + 1)}
    seen_slots: set[tuple[int, int]] = set()
    for route in routes:
        label = f"day {route.day} vehicle {route.vehicle}"
        if not 1 <= route.day <= t or not 1 <= route.vehicle <= m:
            violations.append(f"{label}: outside days 1..{t} / vehicles 1..{m}")
            continue
        if (route.day, route.vehicle) in seen_slots:
            violations.append(f"{label}: more than one route for this vehicle")
        seen_slots.add((route.day, route.vehicle))
        unknown = [c for c in route.customers if not 1 <= c <= n]
        if unknown:
            violations.append(f"{label}: unknown customers {unknown[:5]}")
            continue
        for c in route.customers:
            visit_days[c].append(route.day)
        load = float(instance.demand[list(route.customers)].sum())
        capacity = float(instance.capacity[route.day - 1])
        if load > capacity + tolerance:
            violations.append(f"{label}: load {load:g} exceeds capacity {capacity:g}")
        duration = route_cost(instance, route.customers) + float(
            instance.service[list(route.customers)].sum()
        )
        limit = float(instance.max_duration[route.day - 1])
        if duration > limit + tolerance:
            violations.append(f"{label}: duration {duration:.3f} exceeds limit {limit:g}")
    for c, visited in visit_days.items():
        if len(set(visited)) != len(visited):
            violations.append(f"customer {c}: visited more than once on a day ({sorted(visited)})")
            continue
        allowed = [combination_days(code, t) for code in instance.combinations[c]]
        if tuple(sorted(visited)) not in allowed:
            violations.append(
                f"customer {c}: visited on days {sorted(visited)}, allowed {allowed[:5]}"
                + (" ..." if len(allowed) > 5 else "")
            )
    return violations


@dataclass(frozen=True, eq=False)
class PeriodicSolution:
    """Routes of a periodic VRP solution.

    Attributes
    ----------
    instance
        The solved instance.
    routes
        ``(day, vehicle, customers)`` per used vehicle, days and vehicles 1-based,
        customers in visiting order (the depot implied at both ends).
    cost
        Total Euclidean distance of the routes.
    engine
        Name of the daily routing engine.
    seconds
        Wall-clock seconds spent.
    seed
        The seed used.
    """

    instance: PeriodicInstance
    routes: tuple[PeriodicRoute, ...]
    cost: float
    engine: str = ""
    seconds: float = 0.0
    seed: int = 0

    def check(self, *, tolerance: float = TOLERANCE) -> list[str]:
        """Violated rules (see :func:`check_routes`) plus a mismatch of the stated cost."""
        violations = check_routes(self.instance, self.routes, tolerance=tolerance)
        actual = sum(route_cost(self.instance, r.customers) for r in self.routes)
        if abs(actual - self.cost) > 1e-6 * max(1.0, actual):
            violations.append(f"cost: stated {self.cost:.4f}, routes add up to {actual:.4f}")
        return violations

    @property
    def feasible(self) -> bool:
        """Whether :meth:`check` finds nothing."""
        return not self.check()

    def combination_of(self) -> dict[int, tuple[int, ...]]:
        """Days (1-based) on which each customer is visited."""
        days: dict[int, list[int]] = {i: [] for i in range(1, self.instance.size + 1)}
        for route in self.routes:
            for c in route.customers:
                days[c].append(route.day)
        return {c: tuple(sorted(d)) for c, d in days.items()}

    def to_frame(self) -> pd.DataFrame:
        """One row per visit: ``day, vehicle, seq, customer`` (seq starts at 1)."""
        rows = [
            (r.day, r.vehicle, seq, c)
            for r in self.routes
            for seq, c in enumerate(r.customers, start=1)
        ]
        return pd.DataFrame(rows, columns=["day", "vehicle", "seq", "customer"]).astype("int64")

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dictionary: instance, engine, seconds, cost, routes."""
        return {
            "instance": self.instance.name,
            "engine": self.engine,
            "seed": int(self.seed),
            "seconds": float(self.seconds),
            "cost": float(self.cost),
            "routes": [
                {
                    "day": int(r.day),
                    "vehicle": int(r.vehicle),
                    "customers": [int(c) for c in r.customers],
                }
                for r in self.routes
            ],
        }

    def summary(self) -> str:
        """A few lines: cost, routes per day, feasibility."""
        per_day = [sum(r.day == d for r in self.routes) for d in range(1, self.instance.days + 1)]
        violations = self.check()
        state = "feasible" if not violations else f"{len(violations)} violations"
        return (
            f"{self.instance.name}: cost {self.cost:.2f} with engine {self.engine!r} in "
            f"{self.seconds:.1f} s, {state}\nroutes per day: {per_day}"
        )
