"""``plan_routes``: inputs, assignment of customers to reps, each rep's cycle, result.

Modules, in the order a plan is made: :mod:`.inputs` (validation into arrays),
:mod:`.assign` (customers to reps), :mod:`.day_patterns` (a first choice of visit days),
:mod:`.rep_plan` (one rep's cycle), :mod:`.plan` (the driver) and :mod:`.assemble`
(the :class:`~territory.routing.RoutePlan`).
"""

from territory.routing.planner.plan import plan_routes

__all__ = ["plan_routes"]
