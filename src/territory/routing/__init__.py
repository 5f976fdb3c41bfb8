"""Route planning: each rep's repeating visit cycle.

:func:`plan_routes` takes customers (with visit requirements) and reps and returns a
:class:`RoutePlan`: who is visited on which day of the :class:`Cycle`, in which order
and at what time, what could not be planned and why (:data:`REASONS`), and how regular
the plan is. :meth:`RoutePlan.on_calendar` lays the cycle on real dates in a time
zone, around holidays (:mod:`territory.routing.calendar`).

Rules every plan keeps (re-checked by :meth:`RoutePlan.violations`): each customer gets
``visits_per_cycle`` visits on its allowed weekdays, with cyclic gaps of at least
``max(1, ceil(N / f) - 1)`` working days (or its own ``min_gap_days``); each rep-day
starts and ends at the rep's home inside ``day_start``-``day_end`` on a weekday the rep
works; service starts between ``opens`` and ``closes``; the lunch break starts within
:data:`LUNCH_WINDOW` minutes of ``lunch_start``. Visits that do not fit are listed in
:attr:`RoutePlan.unplanned`, lowest priority (grade D, then C, B, A) first.

How: customers -> rep (fixed, or a capacity-aware assignment) -> a first plan per rep
(visit patterns around day centres, cheapest feasible insertion, repair) -> the
periodic search (:mod:`territory.routing.periodic.cycle_search`) moves customers
between patterns and days, priced by insertion into the actual day routes, for the
rest of the time budget -> customers still without a visit are offered to nearby reps
with time left, and every rep's search continues. What the search optimises is set by
:class:`PlanOptions`.

The package holds three systems: :mod:`territory.routing.planner` (``plan_routes``
and its steps), :mod:`territory.routing.engines` (the day solvers behind one
interface) and :mod:`territory.routing.periodic` (periodic routing: the cycle search
and ``solve_pvrp``).
"""

from territory.routing.calendar import CalendarPlan, lay_on_calendar, read_calendar_visits
from territory.routing.cycle import Cycle
from territory.routing.options import PlanOptions
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
    "CalendarPlan",
    "Cycle",
    "PeriodicInstance",
    "PeriodicRoute",
    "PeriodicSolution",
    "PlanOptions",
    "RoutePlan",
    "lay_on_calendar",
    "plan_routes",
    "read_calendar_visits",
    "read_cordeau",
    "regularity_metrics",
    "solve_pvrp",
]
