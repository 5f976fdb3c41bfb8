"""Hierarchy and history tables: validation and conversion to numpy codes.

The sales history is read by :func:`territory.tables.read_history` (the reader grading
uses too) and pivoted here to rows x months; months are parsed by
:mod:`territory.tables.months`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from territory.errors import ProblemCollector
from territory.tables.columns import check_total_finite, numeric_column
from territory.tables.history import collect_history
from territory.tables.months import FIRST_YEAR, LAST_YEAR, month_label, parse_months

__all__ = [
    "FIRST_YEAR",
    "LAST_YEAR",
    "History",
    "Tree",
    "build_tree",
    "group_sum_rows",
    "month_label",
    "parse_months",
    "read_history",
    "row_values",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class Tree:
    """A validated hierarchy as integer codes.

    Attributes
    ----------
    levels
        Level column names, top first.
    ids
        Unit ids of every level (object arrays, order of first appearance).
    parent
        For every level, the index of each unit's parent in the level above (zeros for
        the top level: the root).
    row_unit
        For every level, the unit index of every hierarchy row.
    keys
        Key id of every row (the id that history and potential are given for).
    key_column
        Name of the key column.
    """

    levels: tuple[str, ...]
    ids: tuple[NDArray[np.object_], ...]
    parent: tuple[IntArray, ...]
    row_unit: tuple[IntArray, ...]
    keys: NDArray[np.object_]
    key_column: str


def build_tree(
    hierarchy: pd.DataFrame, levels: Sequence[str], key: str, problems: ProblemCollector
) -> Tree | None:
    """Validate ``hierarchy`` and convert it to codes (``None`` after recording problems)."""
    table = "hierarchy"
    missing = [c for c in [*levels, key] if c not in hierarchy.columns]
    if missing:
        for column in dict.fromkeys(missing):
            problems.add(table, column, "is missing")
        return None
    if len(hierarchy) == 0:
        problems.add(table, None, "is empty")
        return None
    chain = list(levels) if key in levels else [*levels, key]
    if chain[-1] != key:
        problems.add(table, key, f"must be the last level or a column below '{levels[-1]}'")
        return None
    keys = hierarchy[key].to_numpy(dtype=object)
    codes: list[IntArray] = []
    uniques: list[NDArray[np.object_]] = []
    ok = True
    for column in chain:
        c, u = pd.factorize(hierarchy[column], sort=False)
        if (c < 0).any():
            problems.add(
                table,
                column,
                f"has {int((c < 0).sum())} missing values",
                keys[c < 0],
                id_column=key,
            )
            ok = False
        codes.append(c.astype(np.int64))
        uniques.append(np.asarray(u, dtype=object))
    if not ok:
        return None
    last = codes[-1]
    repeated = np.bincount(last, minlength=uniques[-1].shape[0])[last] > 1
    dup = np.zeros(keys.shape[0], dtype=bool)
    if repeated.any():
        dup[repeated] = hierarchy.loc[repeated, chain].duplicated(keep="first").to_numpy()
    if dup.any():
        problems.add(
            table,
            key,
            f"has {int(dup.sum())} duplicate rows",
            pd.unique(keys[dup]),
            id_column=key,
        )
        ok = False
    parents: list[IntArray] = [np.zeros(uniques[0].shape[0], dtype=np.int64)]
    for depth in range(1, len(chain)):
        child, par = codes[depth], codes[depth - 1]
        parent_of = np.full(uniques[depth].shape[0], -1, dtype=np.int64)
        parent_of[child] = par
        clash = parent_of[child] != par
        if clash.any():
            bad = pd.unique(uniques[depth][child[clash]])
            problems.add(
                table,
                chain[depth],
                f"has {len(bad)} ids under two different '{chain[depth - 1]}' (to allocate "
                f"on ({chain[depth - 1]}, {chain[depth]}) pairs, pass "
                f"crossing=['{chain[depth]}'])",
                bad,
                id_column=chain[depth],
            )
            ok = False
        parents.append(parent_of)
    if not ok:
        return None
    n_levels = len(levels)
    return Tree(
        levels=tuple(levels),
        ids=tuple(uniques[:n_levels]),
        parent=tuple(parents[:n_levels]),
        row_unit=tuple(codes[:n_levels]),
        keys=keys,
        key_column=key,
    )


def group_sum_rows(codes: IntArray, values: FloatArray, n_groups: int) -> FloatArray:
    """Sum the rows of a 2-d array per group."""
    if values.ndim == 1:
        return np.bincount(codes, weights=values, minlength=n_groups).astype(np.float64)
    if codes.shape[0] == n_groups and np.array_equal(codes, np.arange(n_groups)):
        return values.astype(np.float64, copy=True)
    out = np.empty((n_groups, values.shape[1]))
    for j in range(values.shape[1]):
        out[:, j] = np.bincount(codes, weights=values[:, j], minlength=n_groups)
    return out


@dataclass(frozen=True, eq=False)
class History:
    """Monthly sales per hierarchy row.

    Attributes
    ----------
    matrix
        Sales, shape ``(n_rows, n_months)``.
    months
        Month index of every column (contiguous, ascending).
    """

    matrix: FloatArray
    months: IntArray


def read_history(history: pd.DataFrame, tree: Tree, problems: ProblemCollector) -> History | None:
    """Read the long history table (:func:`territory.tables.read_history`); pivot it.

    One row per (key, month), ids from the hierarchy's key column, no month missing
    between the first and the last. Returns None after recording problems.
    """
    key = tree.key_column
    keys = pd.Index(pd.Series(tree.keys, dtype=object).astype(str).str.strip(), dtype="str")
    long = collect_history(
        history,
        keys,
        problems=problems,
        table="sales",
        id_column=key,
        time_column="month",
        value_column="sales",
        one_row_per_month=True,
        known_as="hierarchy",
        what="ids",
    )
    if long is None:
        return None
    return History(matrix=long.monthly_matrix(tree.keys.shape[0]), months=long.months)


def row_values(
    values: str | pd.Series,
    hierarchy: pd.DataFrame,
    tree: Tree,
    table: str,
    problems: ProblemCollector,
) -> FloatArray | None:
    """Per-row values from a hierarchy column name or a Series indexed by key."""
    key = tree.key_column
    if isinstance(values, str):
        if values not in hierarchy.columns:
            problems.add("hierarchy", values, "is missing")
            return None
        raw = hierarchy[values].to_numpy()
        column = values
        table = "hierarchy"
    else:
        series = pd.Series(values)
        column = str(series.name) if series.name is not None else table
        unknown = ~series.index.isin(pd.Index(pd.Series(tree.keys, dtype=object)))
        if unknown.any():
            problems.add(
                table,
                column,
                f"has {int(unknown.sum())} ids that are not in the hierarchy",
                series.index[unknown],
                id_column=key,
            )
            return None
        raw = series.reindex(pd.Index(pd.Series(tree.keys, dtype=object))).to_numpy()
    before = len(problems.problems)
    checked = numeric_column(
        pd.DataFrame({key: tree.keys, column: raw}),
        column,
        table=table,
        problems=problems,
        id_column=key,
    )
    if len(problems.problems) > before:
        return None
    if not check_total_finite(
        checked, table=table, column=column, problems=problems, what="values"
    ):
        return None  # the levels above would add up to infinity
    return checked
