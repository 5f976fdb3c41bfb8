"""Hierarchy and history tables: validation and conversion to numpy codes."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from territory.errors import ProblemCollector

__all__ = [
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
_MONTH_RE = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")


def month_label(index: int) -> str:
    """``"YYYY-MM"`` for a month index ``year * 12 + month - 1``."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


#: Plan years accepted (four-digit calendar years).
FIRST_YEAR, LAST_YEAR = 1, 9999


def _month_index(value: object) -> int | None:
    if isinstance(value, pd.Period):
        if not FIRST_YEAR <= int(value.year) <= LAST_YEAR:
            return None
        return int(value.year) * 12 + int(value.month) - 1
    if isinstance(value, str):
        match = _MONTH_RE.match(value)
        if match and 1 <= int(match.group(2)) <= 12 and int(match.group(1)) >= FIRST_YEAR:
            return int(match.group(1)) * 12 + int(match.group(2)) - 1
    return None


def parse_months(values: Sequence[object] | int) -> list[int] | None:
    """Month indices of plan months: a year (12 months) or ``"YYYY-MM"`` / Period items.

    Returns ``None`` when any item cannot be read, or the year is not a four-digit
    calendar year (1 to 9999): ``0``, ``-5`` or ``10**9`` are not plan years.
    """
    if isinstance(values, bool):
        return None
    if isinstance(values, int | np.integer):
        if not FIRST_YEAR <= int(values) <= LAST_YEAR:
            return None
        return [int(values) * 12 + m for m in range(12)]
    if isinstance(values, str) or not isinstance(values, Sequence | np.ndarray | pd.Index):
        return None
    out: list[int] = []
    for value in values:
        index = _month_index(value)
        if index is None:
            return None
        out.append(index)
    return out


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
    """Validate the long history table and pivot it to rows x months."""
    table, key = "sales", tree.key_column
    missing = [c for c in (key, "month", "sales") if c not in history.columns]
    for column in missing:
        problems.add(table, column, "is missing")
    if missing:
        return None
    if len(history) == 0:
        problems.add(table, None, "is empty")
        return None
    month_codes, month_uniques = pd.factorize(history["month"], sort=False)
    parsed = [_month_index(m) for m in month_uniques]
    bad_months = [m for m, p in zip(month_uniques, parsed, strict=True) if p is None]
    ok = True
    if bad_months or (month_codes < 0).any():
        problems.add(
            table,
            "month",
            "has values that are not 'YYYY-MM' months or monthly Periods",
            bad_months or ["<missing>"],
        )
        ok = False
    sales = pd.to_numeric(history["sales"], errors="coerce").to_numpy(dtype=np.float64)
    key_codes, key_uniques = pd.factorize(history[key], sort=False)
    key_ids = np.asarray(key_uniques, dtype=object)
    bad = ~np.isfinite(sales)
    if bad.any():
        ids = pd.unique(key_ids[key_codes[bad & (key_codes >= 0)]])
        problems.add(
            table, "sales", f"has {int(bad.sum())} missing or infinite values", ids, id_column=key
        )
        ok = False
    with np.errstate(over="ignore", invalid="ignore"):
        overflow = not bad.all() and not np.isfinite(np.abs(sales[~bad]).sum())
    if overflow:
        problems.add(
            table,
            "sales",
            "adds up to more than the largest float (about 1.8e308); give the amounts in a "
            "larger unit (e.g. thousands)",
        )
        ok = False
    neg = sales < 0
    if neg.any():
        ids = pd.unique(key_ids[key_codes[neg & (key_codes >= 0)]])
        problems.add(table, "sales", f"has {int(neg.sum())} negative values", ids, id_column=key)
        ok = False
    row_of_key = pd.Index(pd.Series(tree.keys, dtype=object)).get_indexer(
        pd.Series(key_ids, dtype=object)
    )
    unknown = row_of_key < 0
    if unknown.any() or (key_codes < 0).any():
        problems.add(
            table,
            key,
            f"has {int(unknown.sum())} ids that are not in the hierarchy",
            key_ids[unknown],
            id_column=key,
        )
        ok = False
    if not ok:
        return None
    month_index = np.asarray(parsed, dtype=np.int64)
    first, last = int(month_index.min()), int(month_index.max())
    span = np.arange(first, last + 1)
    gaps = np.setdiff1d(span, month_index)
    if gaps.size:
        problems.add(
            table,
            "month",
            f"has {gaps.size} missing months between {month_label(first)} and {month_label(last)}",
            [month_label(int(g)) for g in gaps],
            id_column="month",
        )
        return None
    n_rows, n_months = tree.keys.shape[0], span.shape[0]
    rows = row_of_key[key_codes]
    cols = month_index[month_codes] - first
    flat = rows * n_months + cols
    counts = np.bincount(flat, minlength=n_rows * n_months)
    if (counts > 1).any():
        dup_rows = np.flatnonzero(counts > 1) // n_months
        problems.add(
            table,
            key,
            f"has {int((counts > 1).sum())} duplicate ({key}, month) pairs",
            pd.unique(tree.keys[dup_rows]),
            id_column=key,
        )
        return None
    matrix = np.bincount(flat, weights=sales, minlength=n_rows * n_months).reshape(n_rows, n_months)
    return History(matrix=matrix.astype(np.float64), months=span.astype(np.int64))


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
        raw = pd.to_numeric(hierarchy[values], errors="coerce").to_numpy(dtype=np.float64)
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
        raw = pd.to_numeric(
            series.reindex(pd.Index(pd.Series(tree.keys, dtype=object))), errors="coerce"
        ).to_numpy(dtype=np.float64)
    bad = ~np.isfinite(raw)
    if bad.any():
        problems.add(
            table, column, f"has {int(bad.sum())} missing values", tree.keys[bad], id_column=key
        )
    neg = raw < 0
    if neg.any():
        problems.add(
            table, column, f"has {int(neg.sum())} negative values", tree.keys[neg], id_column=key
        )
    if bad.any() or neg.any():
        return None
    with np.errstate(over="ignore"):
        overflow = not np.isfinite(raw.sum())
    if overflow:  # the levels above would add up to infinity
        problems.add(
            table,
            column,
            "adds up to more than the largest float (about 1.8e308); give the values in a "
            "larger unit (e.g. thousands)",
        )
        return None
    return raw
