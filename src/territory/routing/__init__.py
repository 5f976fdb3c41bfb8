"""Route planning: each rep's repeating visit cycle.

:func:`plan_routes` takes customers (with visit requirements) and reps and returns a
:class:`RoutePlan`: who is visited on which day of the :class:`Cycle`, in which order
and at what time, what could not be planned and why (:data:`REASONS`), and how regular
the plan is.

Rules every plan keeps (re-checked by :meth:`RoutePlan.violations`): each customer gets
``visits_per_cycle`` visits on its allowed weekdays, with cyclic gaps of at least
``max(1, ceil(N / f) - 1)`` working days (or its own ``min_gap_days``); each rep-day
starts and ends at the rep's home inside ``day_start``-``day_end`` on a weekday the rep
works; service starts between ``opens`` and ``closes``; the lunch break starts within
:data:`LUNCH_WINDOW` minutes of ``lunch_start``. Visits that do not fit are listed in
:attr:`RoutePlan.unplanned`, lowest priority (grade D, then C, B, A) first.

How: customers -> rep (fixed, or a capacity-aware regret assignment) -> visit pattern
per customer (most regular valid patterns, days balanced and geographically tight) ->
each rep-day built by feasible insertion and re-solved by the routing engine as time
allows -> repair (other patterns, pushing out lower-priority visits) -> customers still
without a visit are offered to nearby reps with time left.
"""

from territory.routing.cycle import Cycle
from territory.routing.periodic import (
    PeriodicInstance,
    PeriodicRoute,
    PeriodicSolution,
    read_cordeau,
    solve_pvrp,
)
from territory.routing.planner.plan import plan_routes
from territory.routing.planner.unplanned import REASONS
from territory.routing.result import RoutePlan, regularity_metrics
from territory.routing.timing import LUNCH_WINDOW

__all__ = [
    "LUNCH_WINDOW",
    "REASONS",
    "Cycle",
    "PeriodicInstance",
    "PeriodicRoute",
    "PeriodicSolution",
    "RoutePlan",
    "plan_routes",
    "read_cordeau",
    "regularity_metrics",
    "solve_pvrp",
]
