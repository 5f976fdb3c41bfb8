"""Balanced, compact, contiguous sales territories for company and dealer reps.

:func:`design_territories` assigns every customer to exactly one rep so that each
territory carries its (capacity-weighted) share of several measures within a tolerance
-- workload, potential, customer count or any numeric column -- while staying compact
and contiguous on a neighbourhood graph (Delaunay of the points, or polygon adjacency
when the units are areas). Who may serve whom is :mod:`territory.eligibility`: a
dealer's plain stores go to its reps, everything else (direct stores, dealers, key
accounts, customers locked to company reps) to company reps; locks, pairs that must be
kept apart and realignment budgets are respected. The result is a :class:`TerritoryPlan`;
:class:`SearchOptions` holds the search settings (constructions, kicks, time limit).

Method: balanced seeds (weighted k-means++), region growing from the seeds, then
local search by boundary moves that keep territories contiguous; while a tolerance is
missed, kicks: random boundary moves, regrowing a stuck group of neighbouring
territories, or relocating a territory trapped in a pocket. Several seeded starts, the
best plan is kept. Groups of many reps start from a recursive bisection instead (see
``region_size``), which designs 100,000 customers into 500 territories in minutes.
"""

from territory.territories._design import design_territories
from territory.territories._options import SearchOptions
from territory.territories._result import TerritoryPlan
from territory.territories.graph import NeighbourGraph, neighbourhood_graph

__all__ = [
    "NeighbourGraph",
    "SearchOptions",
    "TerritoryPlan",
    "design_territories",
    "neighbourhood_graph",
]
