"""Step 2 of :func:`~territory.allocation.allocate`: every unit's range, in steps.

A unit's range comes from its level's :class:`~territory.allocation.Bounds` (minimum,
maximum, a growth band over the baseline) and from locks, which fix a figure and override
the bounds. Figures are counted in whole steps: minima are rounded up and maxima down; a
band narrower than one step that holds no multiple of it is widened to the neighbouring
steps. Every range remembers where its ends come from (:data:`LOW_LABELS`,
:data:`HIGH_LABELS`), so the result can say which bound a unit sits on.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from territory.allocation._methods import Bounds
from territory.allocation.apportionment import NO_MAX
from territory.errors import ProblemCollector

__all__ = [
    "FROM_CHILDREN",
    "FROM_GROWTH",
    "FROM_LIMIT",
    "FROM_LOCK",
    "HIGH_LABELS",
    "LOW_LABELS",
    "UNBOUNDED",
    "LevelBounds",
    "level_bounds",
    "limit_number",
    "read_bounds",
    "unit_limits",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

# where an end of a range comes from
UNBOUNDED, FROM_LIMIT, FROM_GROWTH, FROM_CHILDREN, FROM_LOCK = 0, 1, 2, 3, 4
LOW_LABELS = {
    FROM_LIMIT: "min",
    FROM_GROWTH: "growth_min",
    FROM_CHILDREN: "children_min",
    FROM_LOCK: "locked",
}
HIGH_LABELS = {
    FROM_LIMIT: "max",
    FROM_GROWTH: "growth_max",
    FROM_CHILDREN: "children_max",
    FROM_LOCK: "locked",
}


@dataclass(frozen=True)
class LevelBounds:
    """The ranges of the units of one level, in whole steps.

    Attributes
    ----------
    low, high
        Lowest and highest figure of every unit, in steps (``high`` is at most
        ``NO_MAX``, which stands for no maximum).
    low_source, high_source
        Where each end comes from: :data:`UNBOUNDED`, :data:`FROM_LIMIT`,
        :data:`FROM_GROWTH`, :data:`FROM_CHILDREN` or :data:`FROM_LOCK`.
    locked
        Whether the unit's figure is fixed by a lock (then ``low == high``).
    """

    low: IntArray
    high: IntArray
    low_source: IntArray
    high_source: IntArray
    locked: BoolArray


def limit_number(value: object, level: str, column: str, problems: ProblemCollector) -> float:
    """A bound or lock as a finite number (``inf`` only as a maximum); NaN after a problem.

    Parameters
    ----------
    value
        The figure given.
    level
        The level it belongs to, named in the message.
    column
        ``"minimum"``, ``"maximum"`` or ``"lock"``.
    problems
        Collects a figure that is not a number.

    Returns
    -------
    float
        The figure, or NaN.
    """
    number = (
        float(value)
        if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)
        else math.nan
    )
    if math.isnan(number) or (math.isinf(number) and column != "maximum"):
        table = "locks" if column == "lock" else "bounds"
        problems.add(table, level, f"{column} must be a finite number, got {value!r}")
        return math.nan
    return number


def unit_limits(
    limit: float | Mapping[Hashable, float] | None,
    ids: NDArray[np.object_],
    default: float,
    level: str,
    column: str,
    problems: ProblemCollector,
) -> FloatArray:
    """One figure per unit from a single number or a mapping unit -> figure.

    Parameters
    ----------
    limit
        ``None`` (every unit gets ``default``), one number for every unit, or a mapping.
    ids
        The units of the level.
    default
        The figure of units the mapping leaves out.
    level
        The level, named in messages.
    column
        ``"minimum"``, ``"maximum"`` or ``"lock"``.
    problems
        Collects unknown units and figures that are not numbers.

    Returns
    -------
    numpy.ndarray
        One figure per unit (NaN where a figure was bad).
    """
    out = np.full(ids.shape[0], default)
    if limit is None:
        return out
    if not isinstance(limit, Mapping):
        out[:] = limit_number(limit, level, column, problems)
        return out
    index = pd.Index(pd.Series(ids, dtype=object))
    keys = list(limit)
    pos = index.get_indexer(pd.Series(keys, dtype=object))
    unknown = [k for k, p in zip(keys, pos, strict=True) if p < 0]
    if unknown:
        problems.add(
            "bounds",
            column,
            f"names units that are not in level '{level}'",
            unknown,
            id_column=level,
        )
    for k, p in zip(keys, pos, strict=True):
        if p >= 0:
            out[p] = limit_number(limit[k], level, column, problems)
    return out


def _growth_band(
    bound: Bounds, baseline: FloatArray | None, name: str, problems: ProblemCollector
) -> tuple[FloatArray, FloatArray] | None:
    """The growth band over each unit's baseline (none for units without sales)."""
    if bound.growth is None:
        return None
    if baseline is None:
        problems.add("bounds", name, "growth bounds need history")
        return None
    has = baseline > 0
    with np.errstate(over="ignore"):  # inf is caught by the caller
        g_lo = np.where(has, baseline * (1.0 + bound.growth[0]), 0.0)
        g_hi = np.where(has, baseline * (1.0 + bound.growth[1]), np.inf)
    return g_lo, g_hi


def _in_steps(lo: FloatArray, hi: FloatArray, step: float) -> tuple[IntArray, IntArray]:
    """Minima rounded up and maxima down to whole steps; too-narrow bands widened."""
    li = np.ceil(lo / step - 1e-9).astype(np.int64)
    hi_f = np.minimum(np.floor(np.minimum(hi, 1e15) / step + 1e-9), NO_MAX)
    hv = np.where(np.isfinite(hi), hi_f, NO_MAX).astype(np.int64)
    # A band narrower than one step that holds no multiple of the step: widen it to
    # the steps on either side (the closest figures the step allows).
    narrow = (li > hv) & (lo <= hi + 1e-9 * np.maximum(1.0, np.abs(hi)))
    if narrow.any():
        li = np.where(narrow, np.floor(lo / step + 1e-9), li).astype(np.int64)
        hv = np.where(narrow, np.ceil(np.minimum(hi, 1e15) / step - 1e-9), hv).astype(np.int64)
    return li, hv


def _lock_values(
    lock: Mapping[Hashable, float],
    ids: NDArray[np.object_],
    name: str,
    step: float,
    problems: ProblemCollector,
) -> tuple[BoolArray, IntArray]:
    """Which units are locked and their locked figure in steps."""
    values = unit_limits(lock, ids, np.nan, name, "lock", problems)
    locked = ~np.isnan(values)
    huge = locked & ~(values / step <= NO_MAX)
    if huge.any():
        problems.add(
            "locks",
            name,
            f"has values above {NO_MAX:.3g} steps of {step:g}",
            ids[huge],
            id_column=name,
        )
        values = np.where(huge, 0.0, values)
    units = values[locked] / step
    bad = (np.abs(units - np.rint(units)) > 1e-9 * np.maximum(1, units)) | (units < 0)
    if bad.any():
        problems.add(
            "locks",
            name,
            f"has values that are not non-negative multiples of step {step:g}",
            ids[locked][bad],
            id_column=name,
        )
    return locked, np.rint(np.nan_to_num(values / step)).astype(np.int64)


def level_bounds(
    name: str,
    ids: NDArray[np.object_],
    bound: Bounds,
    lock: Mapping[Hashable, float] | None,
    baseline: FloatArray | None,
    step: float,
    problems: ProblemCollector,
) -> LevelBounds:
    """The ranges of one level's units, in steps, before its children are considered.

    Parameters
    ----------
    name
        The level's column.
    ids
        Its units.
    bound
        Its :class:`Bounds`.
    lock
        Its locks (unit -> figure), if any.
    baseline
        Each unit's baseline sales (for a growth band), if known.
    step
        The rounding step.
    problems
        Collects every problem (the caller raises).

    Returns
    -------
    LevelBounds
        The ranges; a locked unit's range is its lock.
    """
    lo = unit_limits(bound.minimum, ids, 0.0, name, "minimum", problems)
    hi = unit_limits(bound.maximum, ids, np.inf, name, "maximum", problems)
    ls = np.where(lo > 0, FROM_LIMIT, UNBOUNDED).astype(np.int64)
    hs = np.where(np.isfinite(hi), FROM_LIMIT, UNBOUNDED).astype(np.int64)
    band = _growth_band(bound, baseline, name, problems)
    if band is not None:
        g_lo, g_hi = band
        ls = np.where(g_lo > lo, FROM_GROWTH, ls)
        hs = np.where(g_hi < hi, FROM_GROWTH, hs)
        lo, hi = np.maximum(lo, g_lo), np.minimum(hi, g_hi)
    with np.errstate(invalid="ignore", over="ignore"):
        unplannable = ~np.isfinite(lo) | ~(lo / step <= NO_MAX) | np.isnan(hi)
    if unplannable.any():  # e.g. a growth bound of 1e308 on last year's sales
        problems.add(
            "bounds",
            name,
            f"has minimums (with growth) that are not finite or above {NO_MAX:.3g} steps "
            f"of {step:g}",
            ids[unplannable],
            id_column=name,
        )
        lo = np.where(unplannable, 0.0, lo)
        hi = np.where(np.isnan(hi), np.inf, hi)
    li, hv = _in_steps(lo, hi, step)
    locked = np.zeros(ids.shape[0], dtype=bool)
    if lock is not None:
        locked, values = _lock_values(lock, ids, name, step, problems)
        li = np.where(locked, values, li).astype(np.int64)
        hv = np.where(locked, li, hv)
        ls = np.where(locked, FROM_LOCK, ls)
        hs = np.where(locked, FROM_LOCK, hs)
    return LevelBounds(low=li, high=hv, low_source=ls, high_source=hs, locked=locked)


def read_bounds(
    levels: Sequence[str],
    ids: Sequence[NDArray[np.object_]],
    *,
    bounds: Mapping[str, Bounds],
    locks: Mapping[str, Mapping[Hashable, float]],
    baseline: Sequence[FloatArray] | None,
    step: float,
    problems: ProblemCollector,
) -> list[LevelBounds]:
    """The ranges of every level (step 2 of ``allocate``); raises on any problem.

    Parameters
    ----------
    levels
        Level columns, top first.
    ids
        The units of every level.
    bounds
        Level -> :class:`Bounds`.
    locks
        Level -> {unit: figure}.
    baseline
        Baseline sales of every level, if known (growth bands need it).
    step
        The rounding step.
    problems
        Collects every problem; raised at the end.

    Returns
    -------
    list of LevelBounds
        One per level, top first.
    """
    for name in [*bounds, *locks]:
        if name not in levels:
            problems.add(
                "bounds" if name in bounds else "locks", None, f"names unknown level '{name}'"
            )
    out = [
        level_bounds(
            name,
            ids[lv],
            bounds.get(name, Bounds()),
            locks.get(name),
            None if baseline is None else baseline[lv],
            step,
            problems,
        )
        for lv, name in enumerate(levels)
    ]
    problems.raise_if_any()
    return out
