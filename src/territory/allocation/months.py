"""Step 5 of :func:`~territory.allocation.allocate`: split the year across the plan months.

Months are split at the bottom level, by each unit's own seasonality (calendar-month
averages of its history), falling back to the nearest ancestor with history, then to the
whole total, then flat. Upper levels' months are the sums of their children's. Months
always use largest-remainder rounding: each month stays within one month step of its
seasonal share.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from territory.allocation._hierarchy import History, Tree, group_sum_rows
from territory.allocation._rounding import largest_remainder_rows

__all__ = ["MonthSplit", "months_up", "seasonal_profile", "split_all_months", "split_months"]

logger = logging.getLogger("territory")

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
ObjectArray = NDArray[np.object_]


@dataclass(frozen=True)
class MonthSplit:
    """Monthly figures of every level, in month steps, top first.

    Attributes
    ----------
    fair
        Unrounded monthly shares, one row per unit and one column per plan month.
    final
        Rounded monthly figures; each row adds up to the unit's yearly figure.
    seasonality
        Bottom level: where each unit's seasonality comes from (``"own"``, an ancestor
        level's name, ``"total"`` or ``"flat"``); upper levels: ``"children"``.
    """

    fair: tuple[FloatArray, ...]
    final: tuple[IntArray, ...]
    seasonality: tuple[ObjectArray, ...]


def seasonal_profile(
    tree: Tree, hist: History | None, plan: Sequence[int]
) -> tuple[FloatArray, ObjectArray]:
    """The share of each plan month in every bottom unit's year, and where it comes from.

    Parameters
    ----------
    tree
        The hierarchy as integer codes.
    hist
        The sales history (``None``: flat months).
    plan
        The plan months (month indices).

    Returns
    -------
    tuple
        Shares (one row per bottom unit, summing to 1) and their source: ``"own"``, the
        name of the nearest ancestor level with history, ``"total"`` or ``"flat"``.
    """
    n_levels = len(tree.levels)
    n = tree.ids[-1].shape[0]
    n_plan = len(plan)
    flat = np.full((n, n_plan), 1.0 / n_plan), np.full(n, "flat", dtype=object)
    if hist is None:
        return flat
    calendar = np.asarray(plan, dtype=np.int64) % 12
    hist_cal = hist.months % 12
    counts = np.bincount(hist_cal, minlength=12)
    if (counts[calendar] == 0).any():
        logger.warning("history does not cover every plan calendar month: flat months")
        return flat
    onehot = (hist_cal[:, None] == calendar[None, :]) / counts[calendar][None, :]
    rows = hist.matrix @ onehot  # (n_rows, n_plan) average sales per plan month
    # per level averages, aggregated upward
    level_avg: list[FloatArray] = [np.zeros(0)] * n_levels
    level_avg[-1] = group_sum_rows(tree.row_unit[-1], rows, n)
    for lv in range(n_levels - 2, -1, -1):
        level_avg[lv] = group_sum_rows(
            tree.parent[lv + 1], level_avg[lv + 1], tree.ids[lv].shape[0]
        )
    root = level_avg[0].sum(axis=0, keepdims=True)
    if root.sum() > 0:
        resolved = root / root.sum()
        source = np.array(["total"], dtype=object)
    else:
        resolved = np.full((1, n_plan), 1.0 / n_plan)
        source = np.array(["flat"], dtype=object)
    for lv in range(n_levels):
        own = level_avg[lv]
        sums = own.sum(axis=1)
        has = sums > 0
        inherited = resolved[tree.parent[lv]]
        with np.errstate(divide="ignore", invalid="ignore"):
            mine = own / np.where(has, sums, 1.0)[:, None]
        resolved = np.where(has[:, None], mine, inherited)
        label = "own" if lv == n_levels - 1 else tree.levels[lv]
        source = np.where(has, label, source[tree.parent[lv]])
    return resolved, source


def split_months(totals: IntArray, profile: FloatArray) -> tuple[FloatArray, IntArray]:
    """Split yearly figures (in month steps) over the months by largest remainder.

    Parameters
    ----------
    totals
        Every unit's yearly figure, in month steps.
    profile
        Every unit's month shares (rows summing to 1).

    Returns
    -------
    tuple
        The fair shares and the rounded figures; each row of the latter adds up to
        its total and stays within one step of its share (ties go to the earlier month).
    """
    fair = totals[:, None] * profile
    return fair, largest_remainder_rows(totals, fair)


def months_up(
    parents: Sequence[IntArray],
    sizes: Sequence[int],
    fair: FloatArray,
    final: IntArray,
) -> tuple[list[FloatArray], list[IntArray]]:
    """Monthly figures of every level as sums of the bottom level's.

    Parameters
    ----------
    parents
        Parent index of every unit, per level.
    sizes
        Number of units per level.
    fair, final
        The bottom level's unrounded and rounded months.

    Returns
    -------
    tuple of lists
        Unrounded and rounded months of every level, top first.
    """
    n_levels = len(sizes)
    fair_m: list[FloatArray] = [np.zeros(0)] * n_levels
    final_m: list[IntArray] = [np.zeros(0, dtype=np.int64)] * n_levels
    fair_m[-1], final_m[-1] = fair, final
    for lv in range(n_levels - 2, -1, -1):
        fair_m[lv] = group_sum_rows(parents[lv + 1], fair_m[lv + 1], sizes[lv])
        final_m[lv] = np.rint(
            group_sum_rows(parents[lv + 1], final_m[lv + 1].astype(np.float64), sizes[lv])
        ).astype(np.int64)
    return fair_m, final_m


def split_all_months(
    tree: Tree, hist: History | None, plan: Sequence[int], totals: IntArray
) -> MonthSplit:
    """Months of every level (step 5): bottom units by seasonality, others by sum.

    Parameters
    ----------
    tree
        The hierarchy as integer codes.
    hist
        The sales history, if any.
    plan
        The plan months.
    totals
        The bottom level's yearly figures, in month steps.

    Returns
    -------
    MonthSplit
        Monthly figures and seasonality sources of every level.
    """
    profile, source = seasonal_profile(tree, hist, plan)
    fair, final = split_months(totals, profile)
    sizes = [ids.shape[0] for ids in tree.ids]
    fair_m, final_m = months_up(tree.parent, sizes, fair, final)
    seasonality = [np.full(n, "children", dtype=object) for n in sizes[:-1]] + [source]
    return MonthSplit(fair=tuple(fair_m), final=tuple(final_m), seasonality=tuple(seasonality))
