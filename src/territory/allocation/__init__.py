"""Top-down target allocation: region -> dealers or teams -> reps -> customers -> months.

:func:`allocate` splits a target level by level along a hierarchy table (by history,
potential, a weighted index, equal growth or untapped potential), within minima,
maxima, growth bands and hand-fixed locks, in whole steps that add up exactly at every
level and month; ``crossing`` allocates a level whose units sit under several parents
(a company rep serving two dealers) on (parent, unit) pairs. :func:`allocate_plan` runs
it for several measures (value, quantity, market share) and product lines, with new
products and promotions. :func:`apportion` is the core routine on numpy arrays
(:mod:`~territory.allocation.apportionment`, on top of the bounded proportional spreading
of :mod:`~territory.allocation.spread`).
:func:`activity_targets`, :func:`prospect_check` and :func:`reconcile` turn targets into
visits, check prospect lists and compare bottom-up commitments.

:func:`allocate` is a chain of steps, each a module that can be used and tested alone:
:mod:`~territory.allocation.weights` (the weights of every level),
:mod:`~territory.allocation.bounds` (every unit's range, in steps),
:mod:`~territory.allocation.push_up` (ranges narrowed to what the children can take),
:mod:`~territory.allocation.top_down` (the total apportioned level by level),
:mod:`~territory.allocation.months` (the year over the months) and
:mod:`~territory.allocation.assemble` (the :class:`Allocation`).

Examples
--------
>>> import pandas as pd
>>> hierarchy = pd.DataFrame({"team": ["T1", "T1", "T2"], "rep_id": ["R1", "R2", "R3"],
...                           "potential": [300.0, 100.0, 600.0]})
>>> result = allocate(1000, hierarchy, levels=["team", "rep_id"], potential="potential",
...                   methods="potential", months=2027)
>>> result.at_level("rep_id")["value"].tolist()
[300.0, 100.0, 600.0]
"""

from territory.allocation._activity import activity_targets, prospect_check, reconcile
from territory.allocation._allocate import allocate
from territory.allocation._methods import METHODS, Bounds, LevelRule
from territory.allocation._options import Measure, NewProduct, Promotion
from territory.allocation._plan import TargetPlan, allocate_plan
from territory.allocation._result import Allocation, LevelResult
from territory.allocation._rounding import ROUNDING_METHODS
from territory.allocation.apportionment import apportion

__all__ = [
    "METHODS",
    "ROUNDING_METHODS",
    "Allocation",
    "Bounds",
    "LevelResult",
    "LevelRule",
    "Measure",
    "NewProduct",
    "Promotion",
    "TargetPlan",
    "activity_targets",
    "allocate",
    "allocate_plan",
    "apportion",
    "prospect_check",
    "reconcile",
]
