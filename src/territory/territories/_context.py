"""What every subproblem and the final assembly of ``design_territories`` share.

:class:`DesignContext` holds the validated region once (customers, reps, the measures
and their tolerances, projected coordinates, rules, the realignment state) with the
settings of the run; :class:`GroupJob` is one group's subproblem with its graph.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from territory.territories._options import SearchOptions
from territory.territories._rules import Group
from territory.territories.graph import NeighbourGraph
from territory.territories.solve import Subproblem

__all__ = ["DesignContext", "GroupJob"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class DesignContext:
    """The validated region and the settings of one ``design_territories`` run.

    Attributes
    ----------
    customers, reps
        The validated tables.
    names
        The balance measures.
    values
        Every customer's value of every measure (customers x measures).
    tolerance
        Relative tolerance of every measure.
    capacity
        Every rep's capacity.
    xy, homes
        Customers' and reps' homes' coordinates, in km around the region's centre.
    locks
        Every customer's locked rep (position; -1 for none).
    conflicts
        Per customer, the customers it must not share a territory with.
    current
        Every customer's current rep (position; -1 for none), or ``None`` outside a
        realignment.
    forced
        Per customer, why it must leave its current rep regardless ("" if it need not).
    rep_groups
        Every rep's group: ``"company"`` or its dealer id.
    area_edges
        Pairs of areas that touch (polygon units), or ``None`` for points.
    areas
        The polygons (EPSG:4326) of area units, or ``None``.
    centre
        ``"centroid"`` or ``"home"``.
    max_moves, max_moved_share
        The realignment budgets.
    max_edge_factor
        Pruning of long Delaunay edges.
    seed
        The run's seed.
    search
        The search settings.
    started
        ``time.perf_counter()`` at the start of the run.
    """

    customers: pd.DataFrame
    reps: pd.DataFrame
    names: tuple[str, ...]
    values: FloatArray
    tolerance: FloatArray
    capacity: FloatArray
    xy: FloatArray
    homes: FloatArray
    locks: IntArray
    conflicts: list[list[int]]
    current: IntArray | None
    forced: list[str]
    rep_groups: NDArray[np.object_]
    area_edges: IntArray | None
    areas: Any
    centre: str
    max_moves: int | None
    max_moved_share: Mapping[str, float] | None
    max_edge_factor: float | None
    seed: int
    search: SearchOptions
    started: float

    @property
    def free_current(self) -> IntArray | None:
        """The current rep of customers the rules let stay (-1 for those forced to move)."""
        if self.current is None:
            return None
        stays = np.array([reason == "" for reason in self.forced])
        out: IntArray = np.where(stays, self.current, -1)
        return out


@dataclass(frozen=True, eq=False)
class GroupJob:
    """One group's subproblem, on local indices, and its neighbourhood graph.

    Attributes
    ----------
    group
        The group (its customers and reps, as positions in the whole tables).
    problem
        The subproblem handed to the solver.
    graph
        The group's neighbourhood graph.
    """

    group: Group
    problem: Subproblem
    graph: NeighbourGraph
