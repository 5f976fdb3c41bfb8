"""Step 6 of :func:`~territory.allocation.allocate`: the figures as an ``Allocation``.

Figures are counted in steps up to here; this step turns them back into amounts, labels
the bound each unit sits on, and packs every level into a
:class:`~territory.allocation.LevelResult`. The result classes themselves are pure data
(:mod:`territory.allocation._result`); building them lives here, with the code that
computes the figures.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from territory.allocation._hierarchy import Tree, month_label
from territory.allocation._methods import LevelRule
from territory.allocation._result import Allocation, LevelResult
from territory.allocation.bounds import HIGH_LABELS, LOW_LABELS, UNBOUNDED, LevelBounds
from territory.allocation.months import MonthSplit
from territory.allocation.top_down import LevelSplit

__all__ = ["AllocationSteps", "bound_labels", "build_allocation"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class AllocationSteps:
    """What the steps of ``allocate`` computed, in steps, ready to be reported.

    Attributes
    ----------
    tree
        The hierarchy as integer codes.
    rules
        The rule of every level.
    bounds
        The pushed-up ranges of every level.
    split
        Yearly figures of every level.
    months
        Monthly figures of every level.
    baseline
        Baseline sales of every level, if known.
    plan
        The plan months (month indices).
    """

    tree: Tree
    rules: tuple[LevelRule, ...]
    bounds: tuple[LevelBounds, ...]
    split: LevelSplit
    months: MonthSplit
    baseline: tuple[FloatArray, ...] | None
    plan: tuple[int, ...]


def bound_labels(final: IntArray, bounds: LevelBounds) -> NDArray[np.object_]:
    """The bound each unit sits on (``None`` if it is strictly inside its range).

    Parameters
    ----------
    final
        The units' final figures, in steps.
    bounds
        Their ranges.

    Returns
    -------
    numpy.ndarray
        ``"min"``, ``"max"``, ``"growth_min"``, ``"growth_max"``, ``"children_min"``,
        ``"children_max"``, ``"locked"`` or ``None``; a unit on both ends is labelled
        by its lower one.
    """
    labels = np.full(final.shape[0], None, dtype=object)
    at_lo = (final == bounds.low) & (bounds.low_source != UNBOUNDED)
    at_hi = (final == bounds.high) & (bounds.high_source != UNBOUNDED)
    for src, label in HIGH_LABELS.items():
        labels[at_hi & (bounds.high_source == src)] = label
    for src, label in LOW_LABELS.items():
        labels[at_lo & (bounds.low_source == src)] = label
    return labels


def build_allocation(
    steps: AllocationSteps,
    *,
    requested: float,
    total_units: int,
    step: float,
    month_step: float,
    rounding: str,
) -> Allocation:
    """The :class:`Allocation` of the figures the steps computed (step 6).

    Parameters
    ----------
    steps
        The outcome of the earlier steps.
    requested
        The target asked for.
    total_units
        The target split, in steps.
    step, month_step
        Rounding steps of yearly and monthly figures.
    rounding
        The rounding method used.

    Returns
    -------
    Allocation
        One :class:`LevelResult` per level, top first.
    """
    tree = steps.tree
    levels: list[LevelResult] = []
    for lv, name in enumerate(tree.levels):
        n_units = tree.ids[lv].shape[0]
        final = steps.split.final[lv]
        parent_ids = (
            np.full(n_units, None, dtype=object) if lv == 0 else tree.ids[lv - 1][tree.parent[lv]]
        )
        levels.append(
            LevelResult(
                name=name,
                ids=tree.ids[lv],
                parent_ids=parent_ids,
                method=steps.rules[lv].describe(),
                unrounded=steps.split.fair[lv] * step,
                value=final.astype(np.float64) * step,
                bound=bound_labels(final, steps.bounds[lv]),
                baseline=(
                    steps.baseline[lv] if steps.baseline is not None else np.full(n_units, np.nan)
                ),
                month_unrounded=steps.months.fair[lv] * month_step,
                month_value=steps.months.final[lv].astype(np.float64) * month_step,
                seasonality=steps.months.seasonality[lv],
                parent_index=tree.parent[lv],
            )
        )
    return Allocation(
        target=total_units * step,
        requested_target=requested,
        step=float(step),
        month_step=float(month_step),
        rounding=rounding,
        months=tuple(month_label(m) for m in steps.plan),
        levels=tuple(levels),
    )
