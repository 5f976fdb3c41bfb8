"""The core routine: split totals into whole steps within bounds, exactly."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from territory.allocation._rounding import (
    DIVISOR_DELTAS,
    ROUNDING_METHODS,
    divisor_round,
    largest_remainder,
)
from territory.allocation.spread import spread
from territory.errors import InfeasibleError, ProblemCollector

__all__ = ["NO_MAX", "apportion", "apportion_groups", "tiebreak_keys"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Integer stand-in for "no maximum" (in steps); exact in float64.
NO_MAX = 2**52


def tiebreak_keys(n: int, seed: int | None) -> FloatArray:
    """Tie-break keys: unit order, or a random order when ``seed`` is given."""
    if seed is None:
        return np.arange(n, dtype=np.float64)
    return np.random.default_rng(seed).permutation(n).astype(np.float64)


def apportion_groups(
    totals: IntArray,
    group: IntArray,
    weights: FloatArray,
    lo: IntArray,
    hi: IntArray,
    *,
    base: FloatArray | None = None,
    method: str = "largest_remainder",
    tiebreak: FloatArray | None = None,
) -> tuple[FloatArray, IntArray]:
    """Split integer group totals into integer unit shares within integer bounds.

    Parameters
    ----------
    totals
        Total of every group in steps; the caller has checked
        ``sum(lo) <= total <= sum(hi)``.
    group
        Group of every unit.
    weights
        Non-negative weight of every unit.
    lo, hi
        Integer bounds in steps (``NO_MAX`` for none).
    base
        Growth base (units get ``base + lam * weight``), or ``None``.
    method
        One of :data:`ROUNDING_METHODS`.
    tiebreak
        Secondary key for ties (unit order by default).

    Returns
    -------
    tuple of numpy.ndarray
        The unrounded fair shares and the integer shares.
    """
    if tiebreak is None:
        tiebreak = np.arange(weights.shape[0], dtype=np.float64)
    lo_f = lo.astype(np.float64)
    hi_f = np.where(hi >= NO_MAX, np.inf, hi.astype(np.float64))
    fair = spread(totals.astype(np.float64), group, weights, lo_f, hi_f, base)
    if method in ("largest_remainder", "hamilton"):
        final = largest_remainder(totals, group, fair, lo, hi, tiebreak)
    else:
        divisor_weights = weights if base is None else fair
        final = divisor_round(
            totals, group, divisor_weights, lo, hi, tiebreak, delta=DIVISOR_DELTAS[method]
        )
    return fair, final


def _as_array(values: ArrayLike | None, n: int, default: float, name: str) -> FloatArray:
    if values is None:
        return np.full(n, default)
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim == 0:
        return np.full(n, float(arr))
    if arr.shape != (n,):
        raise ValueError(f"{name} has shape {arr.shape}, expected ({n},)")
    return arr


def apportion(
    total: float,
    weights: ArrayLike,
    *,
    step: float = 1,
    lower: ArrayLike | None = None,
    upper: ArrayLike | None = None,
    method: str = "largest_remainder",
    seed: int | None = None,
) -> NDArray[np.float64]:
    """Split a total over units in proportion to weights, in whole steps, within bounds.

    Parameters
    ----------
    total
        The amount to split; must be a whole number of steps.
    weights
        Non-negative weights, one per unit. All zero means equal shares.
    step
        Rounding step (1 for whole units, 100 for hundreds, ...).
    lower, upper
        Per-unit (or scalar) minimum and maximum; ``None`` (or NaN / ``None``
        entries) for 0 and no maximum.
        Bounds that are not multiples of ``step`` are tightened to the nearest step inside.
    method
        ``"largest_remainder"`` (Hamilton, default: every unit within one step of its
        fair share) or a divisor method: ``"jefferson"``/``"dhondt"`` or
        ``"webster"``/``"sainte_lague"`` (house-monotone: a larger total never lowers a
        unit).
    seed
        Break ties at random with this seed; ``None`` breaks them by unit order.

    Returns
    -------
    numpy.ndarray
        The shares (multiples of ``step``) summing exactly to ``total``.

    Raises
    ------
    ValidationError
        Negative or non-finite weights, bad step or method, total not a multiple of step,
        minimum above maximum.
    InfeasibleError
        The bounds cannot reach the total; the message shows the sums.

    Examples
    --------
    >>> apportion(10, [1, 1, 1]).tolist()
    [4.0, 3.0, 3.0]
    >>> apportion(1000, [5, 3, 2], step=100, upper=[400, None, None]).tolist()
    [400.0, 400.0, 200.0]
    """
    problems = ProblemCollector()
    w = np.asarray(weights, dtype=np.float64).ravel()
    n = w.shape[0]
    if method not in ROUNDING_METHODS:
        problems.add("apportion", "method", f"must be one of {', '.join(ROUNDING_METHODS)}")
    if not (np.isfinite(step) and step > 0):
        problems.add("apportion", "step", f"must be a positive number, got {step}")
        problems.raise_if_any()
    bad = np.flatnonzero(~np.isfinite(w) | (w < 0))
    if bad.size:
        problems.add(
            "apportion",
            "weights",
            f"has {bad.size} negative or missing values",
            bad.tolist(),
            id_column="position",
        )
    if n == 0:
        problems.add("apportion", "weights", "is empty")
    units = total / step
    if not np.isfinite(units) or abs(units - round(units)) > 1e-9 * max(1.0, abs(units)):
        problems.add("apportion", "total", f"{total} is not a whole number of steps of {step}")
    lo = np.nan_to_num(_as_array(lower, n, 0.0, "lower"), nan=0.0)
    hi = _as_array(upper, n, np.inf, "upper")
    hi = np.where(np.isnan(hi), np.inf, hi)
    bad = np.flatnonzero(lo > hi)
    if bad.size:
        problems.add("apportion", "lower", "is above upper", bad.tolist(), id_column="position")
    problems.raise_if_any()
    t = round(units)
    if not w.any():
        w = np.ones(n)
    lo_i = np.ceil(lo / step - 1e-9).astype(np.int64)
    hi_i = np.where(np.isinf(hi), NO_MAX, np.floor(np.minimum(hi, 1e15) / step + 1e-9)).astype(
        np.int64
    )
    sum_lo = int(lo_i.sum())
    sum_hi = float(np.where(hi_i >= NO_MAX, np.inf, hi_i).sum())
    if not sum_lo <= t <= sum_hi:
        raise InfeasibleError(
            f"cannot split {t * step:g} over {n} units: sum of minima {sum_lo * step:g}, "
            f"sum of maxima {sum_hi * step:g}; the total must lie between them"
        )
    tiebreak = tiebreak_keys(n, seed)
    _, final = apportion_groups(
        np.array([t], dtype=np.int64),
        np.zeros(n, dtype=np.int64),
        w,
        lo_i,
        hi_i,
        method=method,
        tiebreak=tiebreak,
    )
    return final.astype(np.float64) * step
