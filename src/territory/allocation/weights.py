"""Step 1 of :func:`~territory.allocation.allocate`: the weights each level is split by.

Every level has a :class:`~territory.allocation.LevelRule`. The rule names the columns it
reads (sales history over a window, potential, the baseline, or any hierarchy column for
a weighted index); each column is summed up the hierarchy once, from its rows to every
level, and the rule turns the level's sums into one weight per unit. ``"untapped"`` also
keeps the unit's baseline: the apportioning step grows the baseline by the weights.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from territory.allocation._hierarchy import History, Tree, month_label, parse_months, row_values
from territory.allocation._methods import LevelRule
from territory.errors import ProblemCollector

__all__ = [
    "ColumnLevels",
    "LevelWeights",
    "Methods",
    "level_rules",
    "resolve_weights",
    "rule_weights",
    "share_within",
    "window_columns",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

Methods = str | LevelRule | Sequence[str | LevelRule] | Mapping[str, str | LevelRule]

ColumnLevels = Callable[[str, LevelRule], list[FloatArray] | None]
"""``columns(name, rule)``: the column ``name`` summed to every level, or ``None``."""


@dataclass(frozen=True)
class LevelWeights:
    """The weights of every level, top first.

    Attributes
    ----------
    weights
        One weight per unit of each level (zeros where a needed column is missing).
    untapped_base
        Per level, the baseline that ``"untapped"`` grows (``None`` for other rules).
    baseline
        The baseline sales (window ``baseline``) summed to every level; ``None`` without
        sales history.
    """

    weights: tuple[FloatArray, ...]
    untapped_base: tuple[FloatArray | None, ...]
    baseline: tuple[FloatArray, ...] | None


def level_rules(
    methods: Methods, levels: Sequence[str], problems: ProblemCollector
) -> list[LevelRule]:
    """One :class:`LevelRule` per level from the ``methods`` argument of ``allocate``.

    Parameters
    ----------
    methods
        A rule for every level, a list with one per level, or a mapping level -> rule
        (other levels use ``"history"``).
    levels
        Level columns, top first.
    problems
        Collects unknown levels and a list of the wrong length.

    Returns
    -------
    list of LevelRule
        One rule per level.
    """

    def one(rule: str | LevelRule) -> LevelRule:
        return rule if isinstance(rule, LevelRule) else LevelRule(rule)

    if isinstance(methods, str | LevelRule):
        return [one(methods)] * len(levels)
    if isinstance(methods, Mapping):
        unknown = [k for k in methods if k not in levels]
        if unknown:
            problems.add("methods", None, "names unknown levels", unknown, id_column="level")
        return [one(methods.get(level, "history")) for level in levels]
    rules = [one(m) for m in methods]
    if len(rules) != len(levels):
        problems.add("methods", None, f"has {len(rules)} rules for {len(levels)} levels")
        return [LevelRule()] * len(levels)
    return rules


def window_columns(
    window: str | tuple[str, str],
    hist: History,
    plan: list[int],
    problems: ProblemCollector,
    what: str,
) -> NDArray[np.bool_] | None:
    """Which history months a window covers; ``None`` (and a problem) if it is unusable.

    Parameters
    ----------
    window
        ``"trailing_12"``, ``"last_year"`` (the plan months a year earlier) or a
        ``(first, last)`` pair of months.
    hist
        The sales history.
    plan
        The plan months (month indices).
    problems
        Collects a malformed window or months the sales do not cover.
    what
        What the window is for, named in the messages.

    Returns
    -------
    numpy.ndarray of bool or None
        A mask over ``hist.months``.
    """
    months = hist.months
    if window == "trailing_12":
        wanted = np.arange(months[-1] - 11, months[-1] + 1)
    elif window == "last_year":
        wanted = np.asarray(plan, dtype=np.int64) - 12
    else:
        parsed = parse_months(list(window))
        if parsed is None or parsed[0] > parsed[1]:
            problems.add(what, "window", f"{window!r} is not a (first, last) pair of months")
            return None
        wanted = np.arange(parsed[0], parsed[1] + 1)
    outside = np.setdiff1d(wanted, months)
    if outside.size:
        problems.add(
            "sales",
            "month",
            f"lacks {outside.size} months of window {window!r} ({what}); the sales cover "
            f"{month_label(int(months[0]))} .. {month_label(int(months[-1]))}",
            [month_label(int(m)) for m in outside],
            id_column="month",
        )
        return None
    return np.isin(months, wanted)


def share_within(values: FloatArray, parent: IntArray, n_parents: int) -> FloatArray:
    """Each value as a share of its parent's sum (0 where the sum is not positive).

    Parameters
    ----------
    values
        One value per unit.
    parent
        Parent index of every unit.
    n_parents
        Number of parents.

    Returns
    -------
    numpy.ndarray
        Shares that add up to 1 within every parent with a positive sum.
    """
    sums = np.bincount(parent, weights=values, minlength=n_parents)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(sums[parent] > 0, values / sums[parent], 0.0)


def rule_weights(
    rule: LevelRule,
    level: int,
    parent: IntArray,
    n_parents: int,
    columns: ColumnLevels,
) -> tuple[FloatArray | None, FloatArray | None]:
    """The weights one rule gives the units of one level.

    Parameters
    ----------
    rule
        The level's rule.
    level
        Position of the level, top first.
    parent
        Parent index of every unit of the level.
    n_parents
        Number of units in the level above (1 for the top level).
    columns
        ``columns(name, rule)`` gives the column ``name`` (``"history"``,
        ``"potential"``, ``"baseline"`` or a hierarchy column) summed to every level,
        or ``None`` when it is missing (after recording a problem).

    Returns
    -------
    tuple
        The weights (``None`` when a column is missing) and, for ``"untapped"``, the
        baseline it grows (else ``None``). A weighted index mixes each column's share
        within the parent, by the rule's weights.
    """
    if rule.method in ("history", "potential", "equal_growth"):
        name = "baseline" if rule.method == "equal_growth" else rule.method
        got = columns(name, rule)
        return (got[level] if got else None), None
    if rule.method == "untapped":
        got_p = columns("potential", rule)
        got_b = columns("baseline", rule)
        if got_p and got_b:
            base = got_b[level]
            return np.maximum(got_p[level] - base, 0.0), base
        return None, None
    assert rule.weights is not None
    total_weight = float(sum(rule.weights.values()))
    mix = np.zeros(parent.shape[0])
    for name, alpha in rule.weights.items():
        got = columns(name, rule)
        if got:
            mix += alpha / total_weight * share_within(got[level], parent, n_parents)
    return mix, None


def resolve_weights(
    rules: Sequence[LevelRule],
    *,
    tree: Tree,
    hierarchy: pd.DataFrame,
    hist: History | None,
    potential: FloatArray | None,
    baseline: str | tuple[str, str],
    plan: list[int],
    problems: ProblemCollector,
) -> LevelWeights:
    """The weights of every level (step 1 of ``allocate``); raises on any problem.

    Parameters
    ----------
    rules
        One rule per level, top first.
    tree
        The hierarchy as integer codes.
    hierarchy
        The hierarchy table (for weighted-index columns).
    hist
        The sales history, if given.
    potential
        Potential per hierarchy row, if given.
    baseline
        The window that counts as last year.
    plan
        The plan months.
    problems
        Collects every problem; raised at the end.

    Returns
    -------
    LevelWeights
        The weights, untapped baselines and baseline sales of every level.
    """
    sizes = [ids.shape[0] for ids in tree.ids]

    def per_level(row_vec: FloatArray) -> list[FloatArray]:
        return [
            np.bincount(tree.row_unit[lv], weights=row_vec, minlength=n).astype(np.float64)
            for lv, n in enumerate(sizes)
        ]

    base_levels: list[FloatArray] | None = None
    if hist is not None:
        cols = window_columns(baseline, hist, plan, problems, "baseline")
        if cols is not None:
            base_levels = per_level(hist.matrix[:, cols].sum(axis=1))
    pot_levels = per_level(potential) if potential is not None else None
    history_cache: dict[str, list[FloatArray]] = {}

    def column_levels(name: str, rule: LevelRule) -> list[FloatArray] | None:
        if name == "potential":
            if pot_levels is None:
                problems.add("allocate", "potential", f"is needed by {rule.describe()}")
            return pot_levels
        if name == "baseline":
            if hist is None:
                problems.add("allocate", "sales", f"is needed by {rule.describe()}")
            return base_levels
        if name == "history":
            if hist is None:
                problems.add("allocate", "sales", f"is needed by {rule.describe()}")
                return None
            label = f"history:{rule.window}"
            if label not in history_cache:
                cols = window_columns(rule.window, hist, plan, problems, rule.describe())
                if cols is None:
                    return None
                history_cache[label] = per_level(hist.matrix[:, cols].sum(axis=1))
            return history_cache[label]
        values = row_values(name, hierarchy, tree, "hierarchy", problems)
        return per_level(values) if values is not None else None

    weights: list[FloatArray] = []
    untapped: list[FloatArray | None] = []
    for lv, rule in enumerate(rules):
        n_par = 1 if lv == 0 else sizes[lv - 1]
        w, b = rule_weights(rule, lv, tree.parent[lv], n_par, column_levels)
        weights.append(w if w is not None else np.zeros(sizes[lv]))
        untapped.append(b)
    problems.raise_if_any()
    return LevelWeights(
        weights=tuple(weights),
        untapped_base=tuple(untapped),
        baseline=None if base_levels is None else tuple(base_levels),
    )
