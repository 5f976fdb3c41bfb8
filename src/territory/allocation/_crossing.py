"""Cross-cutting levels: a unit under several parents, allocated on (parent, unit) pairs.

A company rep who serves the stores of two dealers does not fit a strict tree: the rep
level *crosses* the dealer level. The allocation then runs on the (dealer, rep) *pairs*:
every pair is one unit of the rep level, under its dealer, with the pair's stores below
it. Each pair's figure is a whole number of steps, so both marginals are exact sums of
whole steps:

* the dealer marginal is the dealer level itself (its pairs add up to it);
* the rep marginal is the sum of each rep's pairs (:meth:`Allocation.marginal`).

Pairs are given internal labels while the tree is built; :func:`from_pairs` puts the
plain unit and parent ids back, so the result's crossing level has one row per pair
(a rep under two dealers has two rows, with its two parents).

Bounds and locks of a crossing level name either a ``(parent, unit)`` pair (or its text
``"parent/unit"``, for JSON) or a unit under only one parent; a number (not a mapping)
applies to every pair.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from territory.allocation._methods import Bounds
from territory.allocation._result import Allocation, LevelResult
from territory.errors import ProblemCollector

__all__ = ["PairPlan", "from_pairs", "to_pairs"]


@dataclass(frozen=True, eq=False)
class PairPlan:
    """The hierarchy with crossing levels replaced by pair labels, and how to undo it.

    Attributes
    ----------
    hierarchy
        A copy of the hierarchy whose crossing columns hold pair labels.
    bounds, locks
        The bounds and locks with crossing-level keys turned into pair labels.
    crossing
        The crossing level names.
    unit_of, parent_of
        Pair label -> the plain unit id and the plain parent id.
    """

    hierarchy: pd.DataFrame
    bounds: dict[str, Bounds]
    locks: dict[str, dict[Hashable, float]]
    crossing: tuple[str, ...]
    unit_of: dict[str, object]
    parent_of: dict[str, object]


def _labels(parent: pd.Series, unit: pd.Series) -> tuple[pd.Series, dict[str, object]]:
    """Readable pair labels ``"parent/unit"``; numbered when ids contain the separator."""
    pairs = pd.DataFrame({"p": parent.to_numpy(dtype=object), "u": unit.to_numpy(dtype=object)})
    text = pairs["p"].astype(str) + "/" + pairs["u"].astype(str)
    distinct = pairs.drop_duplicates()
    if text.nunique() != len(distinct):  # ids with "/" collide: number the pairs instead
        codes, _ = pd.factorize(pd.MultiIndex.from_frame(pairs))
        text = pd.Series([f"pair#{c}" for c in codes], dtype=object)
    label = pd.Series(text.to_numpy(dtype=object), index=parent.index, dtype=object)
    units = dict(zip(label, unit.to_numpy(dtype=object), strict=True))
    return label, units


def _pair_keys(
    limit: Mapping[Hashable, float],
    level: str,
    parent_level: str,
    label_of: dict[tuple[object, object], str],
    pairs_of: dict[object, list[str]],
    table: str,
    problems: ProblemCollector,
) -> dict[Hashable, float]:
    """Turn the keys of a bounds/locks mapping into pair labels."""
    out: dict[Hashable, float] = {}
    ambiguous: list[object] = []
    unknown: list[object] = []
    labels = set(label_of.values())
    for key, value in limit.items():
        if isinstance(key, tuple) and len(key) == 2 and key in label_of:
            out[label_of[key]] = value
        elif not isinstance(key, tuple) and key in pairs_of:
            if len(pairs_of[key]) > 1:
                ambiguous.append(key)
            else:
                out[pairs_of[key][0]] = value
        elif isinstance(key, str) and key in labels:  # "parent/unit", e.g. from JSON
            out[key] = value
        else:
            unknown.append(key)
    if ambiguous:
        problems.add(
            table,
            level,
            f"names units under several '{parent_level}' units; name the "
            f"({parent_level}, {level}) pair instead",
            ambiguous,
            id_column=level,
        )
    if unknown:
        problems.add(
            table,
            level,
            f"names units or ({parent_level}, {level}) pairs that are not in level '{level}'",
            unknown,
            id_column=level,
        )
    return out


def to_pairs(
    hierarchy: pd.DataFrame,
    *,
    levels: Sequence[str],
    key: str,
    crossing: Sequence[str],
    bounds: Mapping[str, Bounds] | None,
    locks: Mapping[str, Mapping[Hashable, float]] | None,
    problems: ProblemCollector,
) -> PairPlan | None:
    """Replace every crossing level by (parent, unit) pair labels.

    Returns ``None`` after recording problems (a crossing level that is not a level, is
    the top level or the key, or has missing values).
    """
    names = list(dict.fromkeys(crossing))
    for name in names:
        if name not in levels:
            problems.add("allocate", "crossing", f"names '{name}', which is not a level")
        elif levels.index(name) == 0:
            problems.add("allocate", "crossing", f"'{name}' is the top level and has no parent")
        elif name == key:
            problems.add(
                "allocate",
                "crossing",
                f"'{name}' is the key that history and potential are given for; add a "
                "column below it (e.g. customer_id) as the key",
            )
    missing = [c for c in levels if c not in hierarchy.columns]
    if missing or problems:
        return None  # build_tree reports the missing columns
    frame = hierarchy.copy()
    bounds_out = dict(bounds or {})
    locks_out = {k: dict(v) for k, v in (locks or {}).items()}
    unit_of: dict[str, object] = {}
    parent_of: dict[str, object] = {}
    for name in sorted(names, key=levels.index):
        i = levels.index(name)
        parent_col = levels[i - 1]
        if frame[name].isna().any() or frame[parent_col].isna().any():
            return None  # build_tree reports the missing values
        label, units = _labels(frame[parent_col], frame[name])
        plain_parent = frame[parent_col].map(lambda p: unit_of.get(p, p))
        parents = dict(zip(label, plain_parent.to_numpy(dtype=object), strict=True))
        label_of = {
            (parents[lab], units[lab]): lab for lab in dict.fromkeys(label.to_numpy(dtype=object))
        }
        pairs_of: dict[object, list[str]] = {}
        for (_, unit), lab in label_of.items():
            pairs_of.setdefault(unit, []).append(lab)
        if name in bounds_out:
            bound = bounds_out[name]
            changes: dict[str, object] = {}
            for field_name in ("minimum", "maximum"):
                value = getattr(bound, field_name)
                if isinstance(value, Mapping):
                    changes[field_name] = _pair_keys(
                        value, name, parent_col, label_of, pairs_of, "bounds", problems
                    )
            bounds_out[name] = replace(bound, **changes)  # type: ignore[arg-type]
        if name in locks_out:
            locks_out[name] = _pair_keys(
                locks_out[name], name, parent_col, label_of, pairs_of, "locks", problems
            )
        unit_of.update(units)
        parent_of.update(parents)
        frame[name] = label.to_numpy(dtype=object)
    if problems:
        return None
    return PairPlan(frame, bounds_out, locks_out, tuple(names), unit_of, parent_of)


def from_pairs(result: Allocation, plan: PairPlan) -> Allocation:
    """Put the plain unit and parent ids back into an allocation made on pairs."""

    def plain(ids: np.ndarray) -> np.ndarray:
        return np.array([plan.unit_of.get(i, i) for i in ids], dtype=object)

    levels: list[LevelResult] = []
    for lv in result.levels:
        if lv.name in plan.crossing:
            levels.append(
                replace(
                    lv,
                    ids=plain(lv.ids),
                    parent_ids=np.array([plan.parent_of[i] for i in lv.ids], dtype=object),
                )
            )
        else:
            levels.append(replace(lv, parent_ids=plain(lv.parent_ids)))
    return replace(result, levels=tuple(levels), crossing=plan.crossing)
