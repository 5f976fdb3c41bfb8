"""Integer apportionment with exact totals, vectorised over many groups.

Values are in *steps* (whole multiples of the rounding step). Two families:

* **Largest remainder** (Hamilton): floor every fair share, then give one more step to the
  units with the largest remainders. Every unit ends within one step of its fair share.
* **Divisor methods** (Jefferson / D'Hondt and Webster / Sainte-Laguë): a unit holding
  ``a`` steps claims its next step with priority ``w / (a + delta)`` (``delta`` = 1 or
  0.5); steps go out in priority order. That order does not depend on the total, so a
  higher total never lowers any unit (house monotonicity). Implemented by bisection on
  the divisor per group, then the few tied steps by priority.

Bounds are honoured by both: units start at their minimum and never pass their maximum.
Ties are broken by unit order, or at random when a seed is given.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from territory.allocation.spread import group_sum

__all__ = [
    "DIVISOR_DELTAS",
    "MIN_STEP",
    "ROUNDING_METHODS",
    "divisor_round",
    "largest_remainder",
    "largest_remainder_rows",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Signpost offset of each divisor method.
DIVISOR_DELTAS: dict[str, float] = {
    "jefferson": 1.0,
    "dhondt": 1.0,
    "webster": 0.5,
    "sainte_lague": 0.5,
}
#: Every accepted value of ``rounding``.
ROUNDING_METHODS: tuple[str, ...] = ("largest_remainder", "hamilton", *DIVISOR_DELTAS)


#: Smallest rounding step (finer steps cannot be counted exactly in float64 sums).
MIN_STEP = 1e-6


def _rank_within_group(group: IntArray, keys: list[FloatArray]) -> IntArray:
    """Rank of each element inside its group after sorting by ``keys`` (ascending)."""
    order = np.lexsort((*keys[::-1], group))
    sorted_group = group[order]
    n = group.shape[0]
    starts = np.ones(n, dtype=bool)
    starts[1:] = sorted_group[1:] != sorted_group[:-1]
    start_pos = np.maximum.accumulate(np.where(starts, np.arange(n), 0))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n) - start_pos
    return rank


def _give_extra(
    group: IntArray,
    extra: IntArray,
    priority: FloatArray,
    eligible: NDArray[np.bool_],
    tiebreak: FloatArray,
) -> NDArray[np.bool_]:
    """Mark the ``extra[g]`` eligible units with the highest priority in each group."""
    key = np.where(eligible, -priority, np.inf)
    rank = _rank_within_group(group, [key, tiebreak])
    chosen: NDArray[np.bool_] = (rank < extra[group]) & eligible
    if int(chosen.sum()) != int(extra.sum()):  # pragma: no cover - guarded by feasibility
        raise RuntimeError("rounding could not place every step; bounds are inconsistent")
    return chosen


def largest_remainder(
    totals: IntArray,
    group: IntArray,
    fair: FloatArray,
    lo: IntArray,
    hi: IntArray,
    tiebreak: FloatArray,
) -> IntArray:
    """Round fair shares to integers that sum to each group's total (Hamilton).

    Parameters
    ----------
    totals
        Integer total of every group.
    group
        Group of every unit.
    fair
        Unrounded shares, within ``[lo, hi]`` and summing to the totals.
    lo, hi
        Integer bounds (``hi`` may be a huge sentinel for "no maximum").
    tiebreak
        Secondary sort key for equal remainders (smaller first).

    Returns
    -------
    numpy.ndarray
        Integer shares.
    """
    n_groups = totals.shape[0]
    q = np.clip(fair, lo, hi)
    eps = 1e-9 * np.maximum(1.0, np.abs(q))
    floor = np.clip(np.floor(q + eps), lo, hi)
    frac = np.round(q - floor, 9)
    extra = totals - np.rint(group_sum(group, floor, n_groups)).astype(np.int64)
    extra = np.maximum(extra, 0)
    chosen = _give_extra(group, extra, frac, floor < hi, tiebreak)
    return (floor + chosen).astype(np.int64)


def _divisor_counts(
    weights: FloatArray, divisor: FloatArray, delta: float, lo: FloatArray, hi: FloatArray
) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        raw = np.floor(weights / divisor + (1.0 - delta))
    raw = np.where(weights > 0, np.maximum(raw, 0.0), 0.0)
    return np.clip(raw, lo, hi)


def divisor_round(
    totals: IntArray,
    group: IntArray,
    weights: FloatArray,
    lo: IntArray,
    hi: IntArray,
    tiebreak: FloatArray,
    *,
    delta: float,
) -> IntArray:
    """Apportion integer totals by a divisor method within bounds.

    Parameters
    ----------
    totals
        Integer total of every group (``sum(lo) <= total <= sum(hi)``).
    group
        Group of every unit.
    weights
        Non-negative weights (already including any growth base, see caller).
    lo, hi
        Integer bounds.
    tiebreak
        Secondary key among equal priorities (smaller first).
    delta
        Signpost offset: 1 for Jefferson / D'Hondt, 0.5 for Webster / Sainte-Laguë.

    Returns
    -------
    numpy.ndarray
        Integer shares.
    """
    n_groups = totals.shape[0]
    lo_f = lo.astype(np.float64)
    hi_f = hi.astype(np.float64)
    pos = weights > 0
    tot_f = totals.astype(np.float64)
    cap_pos = group_sum(group, np.where(pos, hi_f, lo_f), n_groups)
    need_zero = tot_f > cap_pos
    if need_zero.any():
        # Weighted units are all full: they keep their maximum, zero-weight units share
        # the rest with equal weights.
        in_nz = need_zero[group]
        out = np.empty(weights.shape[0], dtype=np.int64)
        keep = ~in_nz
        if keep.any():
            out[keep] = divisor_round(
                np.where(need_zero, 0, totals),
                group[keep],
                weights[keep],
                lo[keep],
                hi[keep],
                tiebreak[keep],
                delta=delta,
            )
        nz_pos = in_nz & pos
        out[nz_pos] = hi[nz_pos]
        nz_zero = in_nz & ~pos
        rest = totals - np.rint(group_sum(group[nz_pos], hi_f[nz_pos], n_groups)).astype(np.int64)
        out[nz_zero] = divisor_round(
            np.where(need_zero, rest, 0),
            group[nz_zero],
            np.ones(int(nz_zero.sum())),
            lo[nz_zero],
            hi[nz_zero],
            tiebreak[nz_zero],
            delta=delta,
        )
        return out

    w_sum = group_sum(group, weights, n_groups)
    start = np.where(w_sum > 0, w_sum / np.maximum(tot_f, 1.0), 1.0)
    d_hi = start.copy()  # count(d_hi) <= total
    d_lo = start.copy()  # count(d_lo) >= total

    def count(d: FloatArray, groups: NDArray[np.bool_]) -> FloatArray:
        """Steps handed out at divisor ``d`` in the selected groups (others: 0)."""
        e = np.flatnonzero(groups[group])
        c = _divisor_counts(weights[e], d[group[e]], delta, lo_f[e], hi_f[e])
        return group_sum(group[e], c, n_groups)

    everywhere = np.ones(n_groups, dtype=bool)
    too_many = count(d_hi, everywhere) > tot_f
    for _ in range(600):
        if not too_many.any():
            break
        d_hi = np.where(too_many, d_hi * 4.0, d_hi)
        too_many &= count(d_hi, too_many) > tot_f
    too_few = count(d_lo, everywhere) < tot_f
    for _ in range(600):
        if not too_few.any():
            break
        d_lo = np.where(too_few, d_lo / 4.0, d_lo)
        too_few &= count(d_lo, too_few) < tot_f
    open_ = (count(d_hi, everywhere) != tot_f) & (d_lo < d_hi)
    for _ in range(200):
        if not open_.any():
            break
        mid = np.sqrt(d_lo * d_hi)
        mid = np.where((mid <= d_lo) | (mid >= d_hi), 0.5 * (d_lo + d_hi), mid)
        stuck = (mid <= d_lo) | (mid >= d_hi)
        c_mid = count(mid, open_)
        move_hi = open_ & (c_mid <= tot_f)
        move_lo = open_ & (c_mid > tot_f)
        d_hi = np.where(move_hi, mid, d_hi)
        d_lo = np.where(move_lo, mid, d_lo)
        open_ &= ~(move_hi & (c_mid == tot_f)) & ~stuck
    # Step just above the bisection point so that floating-point noise cannot split a
    # cluster of tied signposts, then hand out the remaining steps by priority, with
    # priorities equal to 11 digits treated as ties (broken by unit order).
    seats = _divisor_counts(weights, d_hi[group] * (1.0 + 1e-9), delta, lo_f, hi_f)
    extra = totals - np.rint(group_sum(group, seats, n_groups)).astype(np.int64)
    with np.errstate(divide="ignore"):
        mantissa, exponent = np.frexp(np.where(pos, weights / (seats + delta), 0.0))
    priority = np.ldexp(np.round(mantissa, 11), exponent)
    chosen = _give_extra(group, extra, priority, seats < hi_f, tiebreak)
    return (seats + chosen).astype(np.int64)


def largest_remainder_rows(totals: IntArray, fair: FloatArray) -> IntArray:
    """Hamilton rounding of every row of a 2-d array to its integer row total.

    Parameters
    ----------
    totals
        Integer total of every row.
    fair
        Non-negative fair shares, rows summing to ``totals``.

    Returns
    -------
    numpy.ndarray
        Integer array of the same shape; ties go to the earlier column.
    """
    eps = 1e-9 * np.maximum(1.0, fair)
    floor = np.floor(fair + eps)
    frac = np.round(fair - floor, 9)
    extra = totals - np.rint(floor.sum(axis=1)).astype(np.int64)
    order = np.argsort(-frac, axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(fair.shape[1])[None, :], axis=1)
    out: IntArray = (floor + (rank < extra[:, None])).astype(np.int64)
    return out
