"""Step 3 of :func:`~territory.allocation.allocate`: push the bounds up the hierarchy.

Before anything is split, every unit's range is narrowed to what its children can take:
no less than the sum of their minima, no more than the sum of their maxima (locks
included). Done bottom-up, the top level's ranges then say exactly which totals can be
split all the way down, so a feasible target never fails halfway. A unit whose own bounds
conflict, or whose children cannot fit its range, raises an
:class:`~territory.errors.InfeasibleError` that shows the sums.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from territory.allocation.apportionment import NO_MAX
from territory.allocation.bounds import FROM_CHILDREN, LevelBounds
from territory.errors import InfeasibleError

__all__ = ["PushedBounds", "check_own_room", "format_units", "locked_sums", "push_bounds_up"]

logger = logging.getLogger("territory")

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclasses.dataclass(frozen=True)
class PushedBounds:
    """Ranges narrowed to what the children can take, and the locked amounts.

    Attributes
    ----------
    levels
        One :class:`~territory.allocation.bounds.LevelBounds` per level, top first.
    locked_sum
        Per level, the locked amount (in steps) in each unit's subtree: its own lock,
        else the sum of its children's.
    """

    levels: tuple[LevelBounds, ...]
    locked_sum: tuple[FloatArray, ...]


def format_units(units: float, step: float) -> str:
    """A figure in steps as the amount it stands for (``"no maximum"`` at ``NO_MAX``).

    Parameters
    ----------
    units
        The figure, in steps.
    step
        The rounding step.

    Returns
    -------
    str
        E.g. ``"1,500"`` for 15 steps of 100.
    """
    return "no maximum" if units >= NO_MAX else f"{units * step:,.10g}"


def check_own_room(
    levels: Sequence[str],
    ids: Sequence[NDArray[np.object_]],
    bounds: Sequence[LevelBounds],
    step: float,
) -> None:
    """Raise if a free unit's own minimum is above its own maximum.

    Parameters
    ----------
    levels
        Level columns, top first.
    ids
        The units of every level.
    bounds
        The ranges of every level.
    step
        The rounding step.

    Raises
    ------
    InfeasibleError
        Names the first level with such units and up to five of them.
    """
    for lv, name in enumerate(levels):
        level = bounds[lv]
        bad = (level.low > level.high) & ~level.locked
        if bad.any():
            i = np.flatnonzero(bad)
            detail = "; ".join(
                f"'{ids[lv][j]}' minimum {format_units(level.low[j], step)} > maximum "
                f"{format_units(level.high[j], step)}"
                for j in i[:5]
            )
            raise InfeasibleError(f"{name}: {i.size} units have no room: {detail}")


def locked_sums(bounds: Sequence[LevelBounds], parents: Sequence[IntArray]) -> list[FloatArray]:
    """The locked amount in each unit's subtree: its own lock, else its children's sum.

    Parameters
    ----------
    bounds
        The ranges of every level, top first.
    parents
        Parent index of every unit, per level.

    Returns
    -------
    list of numpy.ndarray
        Per level, the locked amount in steps.
    """
    lock_sum = [np.where(b.locked, b.low, 0).astype(np.float64) for b in bounds]
    for lv in range(len(bounds) - 1, 0, -1):
        n_par = bounds[lv - 1].low.shape[0]
        below = np.bincount(parents[lv], weights=lock_sum[lv], minlength=n_par)
        lock_sum[lv - 1] = np.where(bounds[lv - 1].locked, lock_sum[lv - 1], below)
    return lock_sum


def _unsplittable(
    levels: Sequence[str],
    ids: Sequence[NDArray[np.object_]],
    lv: int,
    parent: LevelBounds,
    children: tuple[IntArray, IntArray, FloatArray],
    bad: NDArray[np.bool_],
    step: float,
) -> InfeasibleError:
    """The error for parents whose children cannot fit their range."""
    c_lo, c_hi, c_locked = children
    lines = []
    for j in np.flatnonzero(bad)[:5]:
        own = (
            f"locked at {format_units(parent.low[j], step)}"
            if parent.locked[j]
            else f"bounded to {format_units(parent.low[j], step)} .. "
            f"{format_units(parent.high[j], step)}"
        )
        lo_text, hi_text = format_units(c_lo[j], step), format_units(c_hi[j], step)
        lines.append(
            f"{levels[lv - 1]} '{ids[lv - 1][j]}' is {own}, but its "
            f"{levels[lv]} units need {lo_text} .. {hi_text} (sum of "
            f"minima {lo_text}, sum of maxima {hi_text}, locked sum "
            f"{format_units(c_locked[j], step)})"
        )
    return InfeasibleError(
        f"{int(bad.sum())} units cannot be split within the bounds of the level "
        "below:\n" + "\n".join(lines)
    )


def push_bounds_up(
    bounds: Sequence[LevelBounds],
    *,
    levels: Sequence[str],
    ids: Sequence[NDArray[np.object_]],
    parents: Sequence[IntArray],
    step: float,
) -> PushedBounds:
    """Narrow every free unit's range to its children's sums, bottom-up (step 3).

    Parameters
    ----------
    bounds
        The ranges of every level, top first (see :func:`~territory.allocation.bounds.read_bounds`).
    levels
        Level columns, top first.
    ids
        The units of every level.
    parents
        Parent index of every unit, per level.
    step
        The rounding step (for messages).

    Returns
    -------
    PushedBounds
        The narrowed ranges (an end set by the children is marked ``FROM_CHILDREN``) and
        the locked amounts.

    Raises
    ------
    InfeasibleError
        A unit's own minimum is above its maximum, or its children's sums do not meet
        its range.
    """
    check_own_room(levels, ids, bounds, step)
    lock_sum = locked_sums(bounds, parents)
    out = list(bounds)
    for lv in range(len(out) - 1, 0, -1):
        par, n_par = parents[lv], out[lv - 1].low.shape[0]
        child, parent = out[lv], out[lv - 1]
        capped_hi = np.minimum(child.high, NO_MAX).astype(np.float64)
        c_lo = np.rint(np.bincount(par, weights=child.low, minlength=n_par)).astype(np.int64)
        c_hi_f = np.bincount(par, weights=capped_hi, minlength=n_par)
        c_hi = np.where(c_hi_f >= NO_MAX, NO_MAX, np.rint(c_hi_f)).astype(np.int64)
        bad = (c_lo > parent.high) | (c_hi < parent.low)
        if bad.any():
            c_locked = np.bincount(par, weights=lock_sum[lv], minlength=n_par).astype(np.float64)
            raise _unsplittable(levels, ids, lv, parent, (c_lo, c_hi, c_locked), bad, step)
        free = ~parent.locked
        out[lv - 1] = dataclasses.replace(
            parent,
            low=np.where(free, np.maximum(parent.low, c_lo), parent.low),
            high=np.where(free, np.minimum(parent.high, c_hi), parent.high),
            low_source=np.where(free & (c_lo > parent.low), FROM_CHILDREN, parent.low_source),
            high_source=np.where(free & (c_hi < parent.high), FROM_CHILDREN, parent.high_source),
        )
    return PushedBounds(levels=tuple(out), locked_sum=tuple(lock_sum))
