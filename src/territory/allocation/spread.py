"""Bounded proportional spreading (water-filling), vectorised over many parents at once.

Each unit ``i`` in group ``g`` receives ``x_i = clip(base_i + lam_g * w_i, lo_i, hi_i)`` with
one multiplier ``lam_g`` per group chosen so that the group sums to its total. The
multiplier is found by the classic fixing iteration: spread the rest over the free units;
if the clipped sum falls short, every unit above its maximum stays at its maximum in the
final answer (the multiplier can only rise), so fix those; if it overshoots, fix the units
below their minimum. Each round fixes at least one unit or finishes the group, and all
groups are processed together on numpy arrays.

Units with zero weight keep ``clip(base, lo, hi)``; only when the weighted units cannot
absorb the total (all at a bound) is the rest shared equally among the zero-weight units.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["group_sum", "spread"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def group_sum(group: IntArray, values: FloatArray, n_groups: int) -> FloatArray:
    """Sum ``values`` per group (``numpy.bincount`` with float weights).

    Parameters
    ----------
    group
        Group index of every element.
    values
        Values to add up.
    n_groups
        Number of groups.

    Returns
    -------
    numpy.ndarray
        One sum per group.
    """
    return np.bincount(group, weights=values, minlength=n_groups).astype(np.float64)


def _tolerance(totals: FloatArray) -> FloatArray:
    return 1e-9 * np.maximum(1.0, np.abs(totals))


def _spread_main(
    totals: FloatArray,
    group: IntArray,
    weights: FloatArray,
    lo: FloatArray,
    hi: FloatArray,
    base: FloatArray,
) -> FloatArray:
    """Water-filling where every group can be met by its positive-weight units."""
    n_groups = totals.shape[0]
    x = np.clip(base, lo, hi)
    free = weights > 0
    active_groups = np.zeros(n_groups, dtype=bool)
    active_groups[group[free]] = True
    tol = _tolerance(totals)
    fixed_sum = group_sum(group, np.where(free, 0.0, x), n_groups)
    idx = np.flatnonzero(free)
    for _ in range(weights.shape[0] + 2):
        if idx.size == 0:
            break
        g = group[idx]
        w = weights[idx]
        b = base[idx]
        w_sum = group_sum(g, w, n_groups)
        b_sum = group_sum(g, b, n_groups)
        with np.errstate(divide="ignore", invalid="ignore"):
            lam = np.where(w_sum > 0, (totals - fixed_sum - b_sum) / w_sum, 0.0)
        y = b + lam[g] * w
        clipped = np.clip(y, lo[idx], hi[idx])
        reached = fixed_sum + group_sum(g, clipped, n_groups)
        short = reached < totals - tol
        over = reached > totals + tol
        done = ~(short | over)
        fix_hi = short[g] & (y > hi[idx])
        fix_lo = over[g] & (y < lo[idx])
        finish = done[g]
        x[idx[finish]] = clipped[finish]
        x[idx[fix_hi]] = hi[idx[fix_hi]]
        x[idx[fix_lo]] = lo[idx[fix_lo]]
        newly = fix_hi | fix_lo
        fixed_sum = fixed_sum + group_sum(g[newly], x[idx[newly]], n_groups)
        idx = idx[~(finish | newly)]
    else:  # pragma: no cover - each round fixes a unit, so this cannot happen
        raise RuntimeError("bounded spreading did not converge")
    return x


def spread(
    totals: FloatArray,
    group: IntArray,
    weights: FloatArray,
    lo: FloatArray,
    hi: FloatArray,
    base: FloatArray | None = None,
) -> FloatArray:
    """Split each group's total over its units, proportionally within bounds.

    The caller guarantees feasibility: ``sum(lo) <= total <= sum(hi)`` in every group.

    Parameters
    ----------
    totals
        Total of every group, shape ``(n_groups,)``.
    group
        Group of every unit, shape ``(n,)``.
    weights
        Non-negative weight of every unit.
    lo, hi
        Bounds of every unit (``hi`` may be ``inf``).
    base
        Starting value of every unit (growth methods); zero by default.

    Returns
    -------
    numpy.ndarray
        The unrounded share of every unit.
    """
    n_groups = totals.shape[0]
    if base is None:
        base = np.zeros_like(weights)
    # Shares do not depend on the scale of a group's weights: dividing by the group's
    # largest weight keeps weights of 1e308 from overflowing their sum, and subnormal
    # weights (5e-324) from dividing the total into infinity.
    largest = np.zeros(n_groups)
    np.maximum.at(largest, group, np.where(weights > 0, weights, 0.0))
    scale = largest[group]
    weights = np.where(scale > 0, weights / np.where(scale > 0, scale, 1.0), weights)
    pos = weights > 0
    rest = np.clip(base, lo, hi)
    cap_hi = group_sum(group, np.where(pos, hi, rest), n_groups)
    cap_lo = group_sum(group, np.where(pos, lo, rest), n_groups)
    tol = _tolerance(totals)
    up = totals > cap_hi + tol
    down = totals < cap_lo - tol
    fallback = up | down
    if not fallback.any():
        return _spread_main(totals, group, weights, lo, hi, base)
    # Groups the weighted units cannot serve: weighted units sit at their bound and the
    # zero-weight units share what is left equally.
    in_fb = fallback[group]
    x = np.empty_like(weights)
    normal = ~in_fb
    if normal.any():
        x[normal] = _spread_main(
            np.where(fallback, 0.0, totals),
            group[normal],
            weights[normal],
            lo[normal],
            hi[normal],
            base[normal],
        )
    fb_pos = in_fb & pos
    x[fb_pos] = np.where(up[group[fb_pos]], hi[fb_pos], lo[fb_pos])
    fb_zero = in_fb & ~pos
    rest_total = totals - group_sum(group[fb_pos], x[fb_pos], n_groups)
    x[fb_zero] = _spread_main(
        np.where(fallback, rest_total, 0.0),
        group[fb_zero],
        np.ones(int(fb_zero.sum())),
        lo[fb_zero],
        hi[fb_zero],
        np.zeros(int(fb_zero.sum())),
    )
    return x
