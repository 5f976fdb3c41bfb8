"""Periodic vehicle routing: which days each customer is visited on, and the routes.

:mod:`~territory.routing.periodic.cycle_search` is the search behind
:func:`~territory.routing.plan_routes`: ruin and recreate over visit patterns and the
actual routes of every day, with time windows, lunch, capacity and stability checked on
every move. :class:`PeriodicInstance` is the classic periodic VRP (Cordeau, Gendreau &
Laporte), read with :func:`read_cordeau`; :func:`solve_pvrp` solves it, either with
that same search (``method="cycle"``) or with a combination search between whole-period
PyVRP runs, and returns a :class:`PeriodicSolution` whose
:meth:`~PeriodicSolution.check` is independent of the search.
"""

from territory.routing.periodic.instance import (
    PeriodicInstance,
    combination_days,
    days_combination,
    read_cordeau,
)
from territory.routing.periodic.solution import PeriodicRoute, PeriodicSolution, check_routes
from territory.routing.periodic.solve import solve_pvrp

__all__ = [
    "PeriodicInstance",
    "PeriodicRoute",
    "PeriodicSolution",
    "check_routes",
    "combination_days",
    "days_combination",
    "read_cordeau",
    "solve_pvrp",
]
