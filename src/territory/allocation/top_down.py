"""Step 4 of :func:`~territory.allocation.allocate`: apportion the total top-down.

The total (in steps) must lie between the sums of the top level's minima and maxima,
once the bounds have been pushed up (:mod:`territory.allocation.push_up`). Each level is
then split from its parents' *final* figures, by the level's weights, within its units'
ranges, with the chosen rounding (:func:`~territory.allocation.apportion`'s core).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from territory.allocation.apportionment import NO_MAX, apportion_groups, tiebreak_keys
from territory.allocation.bounds import LevelBounds
from territory.allocation.push_up import format_units
from territory.errors import InfeasibleError

__all__ = ["LevelSplit", "apportion_top_down", "total_in_steps", "untapped_weights"]

logger = logging.getLogger("territory")

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class LevelSplit:
    """Figures of every level, in steps, top first.

    Attributes
    ----------
    fair
        The unrounded shares.
    final
        The rounded figures; children add up to their parent exactly.
    """

    fair: tuple[FloatArray, ...]
    final: tuple[IntArray, ...]


def total_in_steps(
    requested: float,
    *,
    per_unit: bool,
    top: LevelBounds,
    top_locked: FloatArray,
    top_level: str,
    step: float,
) -> int:
    """The target in whole steps, checked against the top level's ranges.

    Parameters
    ----------
    requested
        The target asked for.
    per_unit
        Whether the target was a mapping top unit -> figure (then the top units are
        locked and the total is their sum).
    top
        The top level's ranges, pushed up.
    top_locked
        The locked amount under every top unit.
    top_level
        The top level's column, named in the message.
    step
        The rounding step.

    Returns
    -------
    int
        The total, in steps.

    Raises
    ------
    InfeasibleError
        The total is outside the sums of the top level's minima and maxima.
    """
    total_units = round(requested / step)
    sum_lo = int(top.low.sum())
    sum_hi_f = float(np.minimum(top.high, NO_MAX).astype(np.float64).sum())
    if per_unit:
        sum_lo = total_units = int(top.low.sum())
    if not sum_lo <= total_units <= sum_hi_f:
        locked_sum = float(top_locked.sum())
        raise InfeasibleError(
            f"cannot split target {total_units * step:,.10g} over {top.low.shape[0]} "
            f"'{top_level}' units (parent: total): sum of minima "
            f"{format_units(sum_lo, step)} (locked sum {format_units(locked_sum, step)}), "
            f"sum of maxima {format_units(sum_hi_f if sum_hi_f < NO_MAX else NO_MAX, step)}; "
            "the target must lie between them"
        )
    if total_units * step != requested:
        logger.info("target %s rounded to %s (step %s)", requested, total_units * step, step)
    return total_units


def untapped_weights(
    parent_final: IntArray,
    parent: IntArray,
    weights: FloatArray,
    base: FloatArray,
    step: float,
) -> tuple[FloatArray, FloatArray]:
    """Weights and base of an ``"untapped"`` level, given its parents' final figures.

    Growth over the baseline goes by untapped potential; a shrinking parent (or one
    without headroom) is cut in proportion to the baseline instead.

    Parameters
    ----------
    parent_final
        The parents' final figures, in steps.
    parent
        Parent index of every unit.
    weights
        Untapped potential of every unit.
    base
        Baseline of every unit (in the target's units).
    step
        The rounding step.

    Returns
    -------
    tuple of numpy.ndarray
        The weights and the base to apportion with (base 0 for the cut parents).
    """
    n_par = parent_final.shape[0]
    base_sum = np.bincount(parent, weights=base / step, minlength=n_par)
    head_sum = np.bincount(parent, weights=weights, minlength=n_par)
    plain = ((parent_final < base_sum - 1e-9) | (head_sum <= 0))[parent]
    return np.where(plain, base, weights), np.where(plain, 0.0, base)


def apportion_top_down(
    total_units: int,
    *,
    parents: Sequence[IntArray],
    weights: Sequence[FloatArray],
    untapped_base: Sequence[FloatArray | None],
    bounds: Sequence[LevelBounds],
    step: float,
    rounding: str,
    seed: int | None,
    on_level: Callable[[int], object] | None = None,
) -> LevelSplit:
    """Split the total level by level, each from its parents' final figures (step 4).

    Parameters
    ----------
    total_units
        The total, in steps.
    parents
        Parent index of every unit, per level (zeros for the top level).
    weights
        The weights of every level.
    untapped_base
        Per level, the baseline an ``"untapped"`` rule grows (else ``None``).
    bounds
        The ranges of every level, pushed up.
    step
        The rounding step.
    rounding
        A rounding method of :data:`~territory.allocation.ROUNDING_METHODS`.
    seed
        Breaks rounding ties at random (level ``i`` uses ``seed + i``); ``None`` breaks
        them by unit order.
    on_level
        Called with the number of levels done after each level.

    Returns
    -------
    LevelSplit
        The unrounded and final figures of every level.
    """
    fair_levels: list[FloatArray] = []
    final_levels: list[IntArray] = []
    parent_final = np.array([total_units], dtype=np.int64)
    for lv, level_weights in enumerate(weights):
        base = untapped_base[lv]
        if base is not None:
            level_weights, base = untapped_weights(
                parent_final, parents[lv], level_weights, base, step
            )
        n_units = level_weights.shape[0]
        fair, final = apportion_groups(
            parent_final,
            parents[lv],
            level_weights,
            bounds[lv].low,
            bounds[lv].high,
            base=None if base is None else base / step,
            method=rounding,
            tiebreak=tiebreak_keys(n_units, None if seed is None else seed + lv),
        )
        fair_levels.append(fair)
        final_levels.append(final)
        parent_final = final
        if on_level is not None:
            on_level(lv + 1)
    return LevelSplit(fair=tuple(fair_levels), final=tuple(final_levels))
