"""Day engines: the solvers of one small vehicle-routing problem with time windows.

The planner and the periodic search cut their work into :class:`DayProblem` s (one
rep-day, or one day of a benchmark) and hand each to an :class:`Engine` found by name
with :func:`get_engine`: ``"ortools"`` (OR-Tools routing), ``"pyvrp"`` (PyVRP, the
optional extra ``territory[pyvrp]``) or ``"local"`` (:class:`LocalEngine`, exact or local
search for one rep-day with its lunch break; other problems go to OR-Tools).
:func:`check_solution` re-walks a solution on the unrounded data, independently of the
engine; :func:`read_solomon` reads the Solomon VRPTW benchmark on which the engines are
measured.
"""

from territory.routing.engines.check import check_solution, route_cost
from territory.routing.engines.local import (
    LocalEngine,
    day_shape,
    insertion_route,
    route_fits,
)
from territory.routing.engines.problem import (
    COST_SCALE,
    DEMAND_SCALE,
    TIME_SCALE,
    DayProblem,
    DaySolution,
    IntegerProblem,
    to_integers,
)
from territory.routing.engines.registry import ENGINE_NAMES, Engine, get_engine
from territory.routing.engines.solomon import read_solomon, read_solomon_bks

__all__ = [
    "COST_SCALE",
    "DEMAND_SCALE",
    "ENGINE_NAMES",
    "TIME_SCALE",
    "DayProblem",
    "DaySolution",
    "Engine",
    "IntegerProblem",
    "LocalEngine",
    "check_solution",
    "day_shape",
    "get_engine",
    "insertion_route",
    "read_solomon",
    "read_solomon_bks",
    "route_cost",
    "route_fits",
    "to_integers",
]
