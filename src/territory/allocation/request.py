"""The scalar arguments of :func:`~territory.allocation.allocate`, checked.

The rounding steps, the plan months and the target are read here, before any step
runs; every problem is collected and named (table, column, offending ids).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from territory.allocation._hierarchy import History, parse_months
from territory.allocation._rounding import MIN_STEP
from territory.allocation.apportionment import NO_MAX
from territory.errors import ProblemCollector

__all__ = ["month_step_ratio", "plan_months", "read_target"]

Target = float | Mapping[Hashable, float]
Locks = Mapping[str, Mapping[Hashable, float]]


def _is_number(value: object) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)


def month_step_ratio(step: float, month_step: float, problems: ProblemCollector) -> int:
    """How many month steps make one yearly step (0 after a problem).

    Parameters
    ----------
    step, month_step
        Rounding steps of yearly and monthly figures.
    problems
        Collects steps that are not numbers of at least ``MIN_STEP`` and a ``step`` that
        is not a multiple of ``month_step``.

    Returns
    -------
    int
        ``step / month_step``.
    """
    if not (
        _is_number(step)
        and _is_number(month_step)
        and math.isfinite(step)
        and step >= MIN_STEP
        and math.isfinite(month_step)
        and month_step >= MIN_STEP
    ):
        problems.add(
            "allocate", "step", f"step and month_step must be numbers of at least {MIN_STEP:g}"
        )
        return 0
    ratio = round(step / month_step)
    if ratio < 1 or abs(step / month_step - ratio) > 1e-9:
        problems.add("allocate", "month_step", f"step {step} is not a multiple of {month_step}")
    return ratio


def plan_months(
    months: int | Sequence[object] | None, hist: History | None, problems: ProblemCollector
) -> list[int]:
    """The plan months as month indices; raises on a bad ``months`` argument.

    Parameters
    ----------
    months
        A plan year, a list of ``"YYYY-MM"`` months or Periods, or ``None`` for the 12
        months after the last month of history.
    hist
        The sales history, if any.
    problems
        Collects the problem (raised at once).

    Returns
    -------
    list of int
        The plan months.
    """
    if isinstance(months, int | np.integer) and not isinstance(months, bool) and 1 <= months < 1900:
        problems.add(  # most likely a count of months, which would plan the year 0012
            "allocate",
            "months",
            f"{int(months)} would plan the year {int(months):04d}; give a plan year from 1900 "
            "(e.g. 2027) or a list of 'YYYY-MM' months",
        )
        problems.raise_if_any()
    if months is not None:
        plan = parse_months(months)
        if plan is None or not plan or len(set(plan)) != len(plan):
            shown = repr(months) if len(repr(months)) <= 60 else repr(months)[:57] + "..."
            problems.add(
                "allocate",
                "months",
                f"must be a year from 1 to 9999 or distinct 'YYYY-MM' months, got {shown}",
            )
            problems.raise_if_any()
            return []
        return plan
    if hist is not None:
        return list(range(int(hist.months[-1]) + 1, int(hist.months[-1]) + 13))
    problems.add("allocate", "months", "give the plan months (e.g. 2027) without history")
    problems.raise_if_any()
    return []


def read_target(
    target: Target,
    *,
    top_ids: NDArray[np.object_],
    top_level: str,
    locks: Locks | None,
    step: float,
    problems: ProblemCollector,
) -> tuple[float, dict[str, Mapping[Hashable, float]]]:
    """The requested total, and the locks with a per-unit target added as top locks.

    Parameters
    ----------
    target
        A non-negative number, or a mapping top unit -> figure.
    top_ids
        The units of the top level.
    top_level
        The top level's column.
    locks
        Level -> {unit: figure}, if any.
    step
        The rounding step.
    problems
        Collects every problem; raised before returning.

    Returns
    -------
    tuple
        The requested total and the locks (a copy).
    """
    all_locks: dict[str, Mapping[Hashable, float]] = dict(locks or {})
    requested = math.nan
    if isinstance(target, Mapping):
        index = pd.Index(pd.Series(top_ids, dtype=object))
        unknown = [k for k in target if index.get_indexer(pd.Series([k], dtype=object))[0] < 0]
        missing = [u for u in top_ids if u not in target]
        if unknown:
            problems.add("target", top_level, "names unknown units", unknown, id_column=top_level)
        if missing:
            problems.add(
                "target",
                top_level,
                f"has no figure for {len(missing)} units",
                missing,
                id_column=top_level,
            )
        if top_level in all_locks:
            problems.add("locks", top_level, "cannot be used with a per-unit target mapping")
        problems.raise_if_any()
        all_locks[top_level] = dict(target)
        try:
            requested = float(sum(float(v) for v in target.values()))
        except (TypeError, ValueError):
            problems.add("target", top_level, "must map every unit to a number")
            problems.raise_if_any()
    else:
        try:
            requested = float(target)
        except (TypeError, ValueError):
            problems.add("allocate", "target", f"must be a non-negative number, got {target!r}")
            problems.raise_if_any()
    if not (math.isfinite(requested) and requested >= 0):
        problems.add("allocate", "target", f"must be a non-negative number, got {requested}")
        problems.raise_if_any()
    if requested / step > NO_MAX:
        problems.add(
            "allocate",
            "target",
            f"{requested:g} is {requested / step:.3g} steps of {step:g}, more than the "
            f"{NO_MAX:.3g} steps that can be counted exactly; use a larger step",
        )
        problems.raise_if_any()
    return requested, all_locks
