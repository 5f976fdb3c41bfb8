"""Business rules: who may serve whom, as territory design applies them.

* **Sides.** Who may serve a customer is decided by :mod:`territory.eligibility`, the
  one rule set of every stage. Territory design puts every customer on one side --
  the company, or the dealer that supplies it (:meth:`Eligibility.side`): direct
  stores, dealers and key accounts on the company side, a locked customer on its
  rep's side, the other dealer-supplied stores on their dealer's. Each side is an
  independent subproblem.
* **Locks.** ``locked_rep_id`` pins a customer (a key account, say) to a named rep,
  who must be allowed to serve it; locking a dealer's store to a company rep is how a
  main dealer store is given to the company.
* **Pairs.** Customers that must not share a territory.
* **Capacity.** ``capacity`` on reps (default 1) scales a rep's share of every measure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from territory.eligibility import COMPANY, Eligibility, eligibility_from_tables, rep_sides
from territory.errors import ProblemCollector
from territory.tables import numeric_column
from territory.tables.columns import ids_where

__all__ = [
    "COMPANY",
    "Group",
    "capacities",
    "conflict_lists",
    "customer_groups",
    "lock_targets",
    "split_groups",
]

IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class Group:
    """One independent subproblem: some customers and the reps who may serve them.

    Attributes
    ----------
    name
        ``"company"`` or a dealer id.
    customers
        Row positions in the customers table.
    reps
        Row positions in the reps table.
    """

    name: str
    customers: IntArray
    reps: IntArray


def _text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    text = str(value).strip()
    return text or None


def customer_groups(rules: Eligibility) -> list[str]:
    """The subproblem of every customer: its side (see :meth:`Eligibility.side`)."""
    return [rules.side(i) for i in range(len(rules.customer_ids))]


def rep_groups(reps: pd.DataFrame) -> list[str]:
    """The subproblem of every rep: company, or the dealer it works for."""
    return [str(side) for side in rep_sides(reps)]


def split_groups(
    customers: pd.DataFrame, reps: pd.DataFrame, rules: Eligibility, problems: ProblemCollector
) -> list[Group]:
    """Split customers and reps into the independent subproblems.

    Records a problem for every dealer whose stores have no rep, and for company
    customers without company reps.
    """
    c_group = np.array(customer_groups(rules), dtype=object)
    r_group = np.array(rep_groups(reps), dtype=object)
    names = list(dict.fromkeys([*c_group.tolist(), *r_group.tolist()]))
    groups = []
    for name in sorted(names, key=lambda g: (g != COMPANY, g)):
        cust = np.flatnonzero(c_group == name).astype(np.int64)
        rep = np.flatnonzero(r_group == name).astype(np.int64)
        if len(cust) and not len(rep):
            ids = customers["customer_id"].to_numpy(dtype=object)[cust]
            if name == COMPANY:
                problems.add(
                    "reps",
                    "kind",
                    f"has no company rep, but {len(cust)} direct-supplied stores and dealers "
                    "need one",
                    ids,
                    id_column="customer_id",
                )
            else:
                problems.add(
                    "reps",
                    "dealer_id",
                    f"has no rep for dealer '{name}', which supplies {len(cust)} stores",
                    ids,
                    id_column="customer_id",
                )
        groups.append(Group(name, cust, rep))
    return groups


def capacities(reps: pd.DataFrame, problems: ProblemCollector) -> NDArray[np.float64]:
    """Capacity of every rep (share of a full-time territory; default 1)."""
    if "capacity" not in reps.columns:
        return np.ones(len(reps))
    values = numeric_column(
        reps, "capacity", table="reps", problems=problems, id_column="rep_id", allow_negative=True
    )
    not_positive = np.isfinite(values) & (values <= 0)
    if not_positive.any():
        problems.add(
            "reps",
            "capacity",
            f"has {int(not_positive.sum())} values that are not positive numbers",
            ids_where(reps["rep_id"], not_positive),
            id_column="rep_id",
        )
    return np.where(np.isfinite(values) & ~not_positive, values, 1.0)


def lock_targets(
    customers: pd.DataFrame,
    reps: pd.DataFrame,
    problems: ProblemCollector,
    *,
    column: str = "locked_rep_id",
) -> tuple[IntArray, Eligibility]:
    """Rep position each customer is locked to (-1 for none), and the rules checked."""
    rules = eligibility_from_tables(customers, reps, problems, lock_column=column)
    return rules.lock.copy(), rules


def conflict_lists(
    customers: pd.DataFrame,
    pairs: pd.DataFrame | None,
    locks: IntArray,
    problems: ProblemCollector,
) -> list[list[int]]:
    """Per customer, the customers it must not share a territory with.

    ``pairs`` has columns ``customer_id_a`` and ``customer_id_b``.
    """
    n = len(customers)
    out: list[list[int]] = [[] for _ in range(n)]
    if pairs is None:
        return out
    if not isinstance(pairs, pd.DataFrame):  # type: ignore[redundant-expr, unused-ignore]
        problems.add(  # type: ignore[unreachable, unused-ignore]
            "pairs", None, f"expected a pandas DataFrame, got {type(pairs).__name__}"
        )
        return out
    missing = [c for c in ("customer_id_a", "customer_id_b") if c not in pairs.columns]
    for column in missing:
        problems.add("pairs", column, "is missing")
    if missing:
        return out
    position = {str(c): i for i, c in enumerate(customers["customer_id"])}
    unknown: list[object] = []
    same: list[object] = []
    locked_together: list[object] = []
    for a, b in zip(pairs["customer_id_a"].tolist(), pairs["customer_id_b"].tolist(), strict=True):
        ta, tb = _text(a), _text(b)
        if ta not in position or tb not in position:
            unknown.extend(x for x in (a, b) if _text(x) not in position)
            continue
        i, k = position[str(ta)], position[str(tb)]
        if i == k:
            same.append(a)
            continue
        if locks[i] >= 0 and locks[i] == locks[k]:
            locked_together.append(f"{ta}/{tb}")
            continue
        out[i].append(k)
        out[k].append(i)
    if unknown:
        problems.add(
            "pairs",
            "customer_id_a",
            f"or 'customer_id_b' names {len(unknown)} unknown customers",
            unknown,
            id_column="customer_id",
        )
    if same:
        problems.add(
            "pairs", "customer_id_b", "equals 'customer_id_a'", same, id_column="customer_id"
        )
    if locked_together:
        problems.add(
            "pairs",
            None,
            f"has {len(locked_together)} pairs locked to the same rep, so they cannot be kept "
            "apart",
            locked_together,
            id_column="pair",
        )
    return [sorted(set(x)) for x in out]
