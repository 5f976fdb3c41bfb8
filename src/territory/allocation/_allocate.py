"""``allocate``: split a target down a hierarchy and across months.

The work is a chain of named steps, each in its own module and testable alone:

1. :mod:`~territory.allocation.weights` -- the weights each level is split by;
2. :mod:`~territory.allocation.bounds` -- every unit's range, in steps;
3. :mod:`~territory.allocation.push_up` -- ranges narrowed to what the children can take;
4. :mod:`~territory.allocation.top_down` -- the total apportioned level by level;
5. :mod:`~territory.allocation.months` -- the bottom level's year split over the months;
6. :mod:`~territory.allocation.assemble` -- the figures as an :class:`Allocation`.

The scalar arguments are checked first (:mod:`~territory.allocation.request`).
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from territory.allocation._crossing import PairPlan, from_pairs, to_pairs
from territory.allocation._hierarchy import History, Tree, build_tree, read_history, row_values
from territory.allocation._methods import Bounds, LevelRule
from territory.allocation._result import Allocation
from territory.allocation._rounding import ROUNDING_METHODS
from territory.allocation.assemble import AllocationSteps, build_allocation
from territory.allocation.bounds import read_bounds
from territory.allocation.months import split_all_months
from territory.allocation.push_up import push_bounds_up
from territory.allocation.request import month_step_ratio, plan_months, read_target
from territory.allocation.top_down import apportion_top_down, total_in_steps
from territory.allocation.weights import Methods, level_rules, resolve_weights
from territory.errors import ProblemCollector, ValidationError
from territory.progress import Progress, resolve_progress
from territory.tables import check_unique_columns

__all__ = ["Methods", "allocate", "sales_argument"]

FloatArray = NDArray[np.float64]


def sales_argument(
    sales: pd.DataFrame | None, history: pd.DataFrame | None, where: str
) -> pd.DataFrame | None:
    """The sales table, given as ``sales=`` or by its deprecated name ``history=``."""
    if history is None:
        return sales
    warnings.warn(
        f"{where}(history=...) is deprecated; use sales=...", DeprecationWarning, stacklevel=3
    )
    if sales is not None:
        raise ValidationError(f"{where}: give the sales table once, as sales= (not history=)")
    return history


def allocate(
    target: float | Mapping[Hashable, float],
    hierarchy: pd.DataFrame,
    *,
    levels: Sequence[str],
    key: str | None = None,
    sales: pd.DataFrame | None = None,
    potential: str | pd.Series | None = None,
    methods: Methods = "history",
    baseline: str | tuple[str, str] = "trailing_12",
    bounds: Mapping[str, Bounds] | None = None,
    locks: Mapping[str, Mapping[Hashable, float]] | None = None,
    months: int | Sequence[object] | None = None,
    step: float = 1,
    month_step: float | None = None,
    rounding: str = "largest_remainder",
    seed: int | None = None,
    crossing: Sequence[str] = (),
    progress: Progress = None,
    history: pd.DataFrame | None = None,
) -> Allocation:
    """Break a target down a hierarchy, level by level, then across months.

    Parameters
    ----------
    target
        The total to split over the units of the top level, or a mapping top unit ->
        target (every top unit then gets exactly its figure). Rounded to ``step``.
    hierarchy
        One row per key (for example per customer) with the level columns.
    levels
        Level columns, top first, e.g. ``["region", "team", "rep_id", "customer_id"]``.
    key
        Column that history and potential are given for; the bottom level by default.
        It may be a column below the bottom level (e.g. ``customer_id`` when allocating
        down to reps).
    sales
        The sales table, long: ``<key>, month, sales`` (month ``"YYYY-MM"`` or monthly
        Period) with no gaps in the month range. Aggregated up the hierarchy. The
        ``"history"`` method and growth bounds read it.
    potential
        Potential per key: a hierarchy column name or a Series indexed by key.
    methods
        A rule for every level (a method name or :class:`LevelRule`), a list with one per
        level, or a mapping level -> rule (others use ``"history"``).
    baseline
        Window that counts as "last year" for growth bounds, ``"equal_growth"`` and
        ``"untapped"``: ``"trailing_12"`` (default), ``"last_year"`` or a pair.
    bounds
        Level -> :class:`Bounds` (minimum, maximum, growth band).
    locks
        Level -> {unit: value}: figures fixed by hand. The rest of the parent is
        re-spread over the free siblings. A lock overrides the unit's bounds.
    months
        Plan months: a year (``2027``), or a list of ``"YYYY-MM"`` / Periods. Default: the
        12 months after the last history month.
    step
        Rounding step of yearly figures (1 = whole units, 100, ...).
    month_step
        Rounding step of monthly figures (default ``step``); ``step`` must be a
        multiple of it.
    rounding
        ``"largest_remainder"`` (default; every unit within one step of its fair share
        when bounds allow) or a divisor method ``"jefferson"``/``"dhondt"``,
        ``"webster"``/``"sainte_lague"`` (a higher total never lowers a unit). Applies to
        the splits between levels; months always use largest remainder.
    seed
        Break rounding ties at random with this seed (``None``: by unit order).
    crossing
        Levels whose units may sit under several parents (a company rep serving the
        stores of two dealers). They are allocated on (parent, unit) pairs, one row per
        pair; :meth:`Allocation.marginal` sums each unit's pairs. Bounds and locks of
        such a level name a ``(parent, unit)`` pair, or a unit with a single parent.
    progress
        Called as ``progress(done, total)`` after each level and after the months
        (``total`` is the number of levels plus one); ``True`` shows a tqdm bar (see
        :mod:`territory.progress`). Allocation is vectorised: 200,000 customers with
        12 months of history take about 2 s.

    history
        Deprecated name of ``sales``.

    Returns
    -------
    Allocation
        Children sum exactly to their parent and months to the year, at every level.

    Raises
    ------
    ValidationError
        Bad tables or parameters; every problem is listed.
    InfeasibleError
        Bounds and locks cannot meet the target; the message shows the sums.

    Notes
    -----
    Each split takes the parent's *final* figure. Months are split at the bottom level,
    by each unit's own seasonality (calendar-month averages of its history), falling
    back to the nearest ancestor with history, then flat; upper levels' months are the
    sums of their children's.

    Bounds are checked bottom-up before splitting: a unit's effective range is narrowed to
    what its children can take (sum of their minima / maxima, locks included; reported as
    ``"children_min"`` / ``"children_max"``), so a feasible target never fails halfway
    down. Minima are rounded up and maxima down to the step; a band narrower than one
    step that holds no multiple of it is widened to the neighbouring steps.

    Examples
    --------
    >>> import pandas as pd
    >>> h = pd.DataFrame({"rep_id": ["R1", "R1", "R2"], "customer_id": ["C1", "C2", "C3"]})
    >>> sales = pd.DataFrame({"customer_id": ["C1", "C2", "C3"], "month": "2026-12",
    ...                       "sales": [100.0, 300.0, 600.0]})
    >>> result = allocate(2000, h, levels=["rep_id", "customer_id"], sales=sales,
    ...                   baseline=("2026-12", "2026-12"),
    ...                   methods=LevelRule("history", window=("2026-12", "2026-12")),
    ...                   locks={"customer_id": {"C3": 1000}}, months=2027, step=10)
    >>> result.at_level("customer_id")["value"].tolist()
    [250.0, 750.0, 1000.0]
    """
    history = sales_argument(sales, history, "allocate")
    report = resolve_progress(progress, desc="allocating", unit="level")
    problems = ProblemCollector()
    levels, pairs = _levels_and_pairs(
        hierarchy, history, levels, key, crossing, bounds, locks, problems
    )
    if pairs is not None:  # allocate on (parent, unit) pairs, then report per unit
        hierarchy, bounds, locks = pairs.hierarchy, pairs.bounds, pairs.locks
        check_unique_columns(hierarchy, "hierarchy")
    given = _check_arguments(
        hierarchy,
        history,
        levels=levels,
        key=key,
        methods=methods,
        rounding=rounding,
        step=step,
        month_step=month_step,
        potential=potential,
        months=months,
        problems=problems,
    )
    tree, hist, plan = given.tree, given.hist, given.plan
    weights = resolve_weights(  # 1. the weights of every level
        given.rules,
        tree=tree,
        hierarchy=hierarchy,
        hist=hist,
        potential=given.potential,
        baseline=baseline,
        plan=plan,
        problems=problems,
    )
    requested, all_locks = read_target(
        target, top_ids=tree.ids[0], top_level=levels[0], locks=locks, step=step, problems=problems
    )
    own_bounds = read_bounds(  # 2. every unit's range, in steps
        levels,
        tree.ids,
        bounds=dict(bounds or {}),
        locks=all_locks,
        baseline=weights.baseline,
        step=step,
        problems=problems,
    )
    # 3. ranges narrowed to what the children can take; the total checked against them
    pushed = push_bounds_up(own_bounds, levels=levels, ids=tree.ids, parents=tree.parent, step=step)
    total_units = total_in_steps(
        requested,
        per_unit=isinstance(target, Mapping),
        top=pushed.levels[0],
        top_locked=pushed.locked_sum[0],
        top_level=levels[0],
        step=step,
    )
    n_done = len(levels) + 1
    split = apportion_top_down(  # 4. level by level, from the parents' final figures
        total_units,
        parents=tree.parent,
        weights=weights.weights,
        untapped_base=weights.untapped_base,
        bounds=pushed.levels,
        step=step,
        rounding=rounding,
        seed=seed,
        on_level=None if report is None else (lambda done: report(done, n_done)),
    )
    # 5. the bottom level's year over the months; upper levels sum them
    month_split = split_all_months(tree, hist, plan, split.final[-1] * given.month_ratio)
    if report is not None:
        report(n_done, n_done)
    steps = AllocationSteps(  # 6. the figures as an Allocation
        tree=tree,
        rules=given.rules,
        bounds=pushed.levels,
        split=split,
        months=month_split,
        baseline=weights.baseline,
        plan=tuple(plan),
    )
    result = build_allocation(
        steps,
        requested=requested,
        total_units=total_units,
        step=step,
        month_step=given.month_step,
        rounding=rounding,
    )
    return result if pairs is None else from_pairs(result, pairs)


def _levels_and_pairs(
    hierarchy: pd.DataFrame,
    history: pd.DataFrame | None,
    levels: Sequence[str],
    key: str | None,
    crossing: Sequence[str],
    bounds: Mapping[str, Bounds] | None,
    locks: Mapping[str, Mapping[Hashable, float]] | None,
    problems: ProblemCollector,
) -> tuple[list[str], PairPlan | None]:
    """The levels as a list and, for ``crossing`` levels, the hierarchy as (parent, unit) pairs.

    Checks that the tables' column names are unique first.
    """
    check_unique_columns(hierarchy, "hierarchy")
    if history is not None:
        check_unique_columns(history, "sales")
    names = [levels] if isinstance(levels, str) else list(levels)
    crossing = [crossing] if isinstance(crossing, str) else list(crossing)
    if not (crossing and names):
        return names, None
    pairs = to_pairs(
        hierarchy,
        levels=names,
        key=key or names[-1],
        crossing=crossing,
        bounds=bounds,
        locks=locks,
        problems=problems,
    )
    problems.raise_if_any()
    return names, pairs


@dataclass(frozen=True)
class _CheckedArguments:
    """The arguments of ``allocate`` read into the shapes the steps work on."""

    rules: tuple[LevelRule, ...]
    tree: Tree
    hist: History | None
    potential: FloatArray | None
    plan: list[int]
    month_step: float
    month_ratio: int


def _check_arguments(
    hierarchy: pd.DataFrame,
    history: pd.DataFrame | None,
    *,
    levels: list[str],
    key: str | None,
    methods: Methods,
    rounding: str,
    step: float,
    month_step: float | None,
    potential: str | pd.Series | None,
    months: int | Sequence[object] | None,
    problems: ProblemCollector,
) -> _CheckedArguments:
    """Check the tables and scalar arguments; raise one error naming every problem."""
    if not levels or len(set(levels)) != len(levels):
        problems.add("allocate", "levels", "must be distinct column names, top first")
        problems.raise_if_any()
    key = key or levels[-1]
    rules = level_rules(methods, levels, problems)
    if rounding not in ROUNDING_METHODS:
        problems.add("allocate", "rounding", f"must be one of {', '.join(ROUNDING_METHODS)}")
    m_step = step if month_step is None else month_step
    ratio = month_step_ratio(step, m_step, problems)
    tree = build_tree(hierarchy, levels, key, problems)
    problems.raise_if_any()
    assert tree is not None
    hist = read_history(history, tree, problems) if history is not None else None
    pot = (
        row_values(potential, hierarchy, tree, "potential", problems)
        if potential is not None
        else None
    )
    problems.raise_if_any()
    return _CheckedArguments(
        rules=tuple(rules),
        tree=tree,
        hist=hist,
        potential=pot,
        plan=plan_months(months, hist, problems),
        month_step=m_step,
        month_ratio=ratio,
    )
