"""Business rules: who may serve whom.

* **Nesting.** A store with a non-empty ``dealer_id`` (``kind`` ``"store"``, the
  default) is supplied by that dealer and may only go to that dealer's reps (reps of
  kind ``"dealer"`` with the same ``dealer_id``). Direct-supplied stores and the
  dealers themselves (customers of kind ``"dealer"``) go to company reps. Each dealer's
  area and the company part are independent subproblems.
* **Locks.** ``locked_rep_id`` pins a customer (a key account, say) to a named rep,
  who must be allowed to serve it.
* **Pairs.** Customers that must not share a territory.
* **Capacity.** ``capacity`` on reps (default 1) scales a rep's share of every measure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from territory.errors import ProblemCollector

__all__ = [
    "COMPANY",
    "Group",
    "capacities",
    "conflict_lists",
    "customer_groups",
    "lock_targets",
    "split_groups",
]

#: Name of the company subproblem.
COMPANY = "company"

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


def customer_groups(customers: pd.DataFrame) -> list[str]:
    """The subproblem of every customer: its dealer for dealer-supplied stores, else company."""
    kinds = (
        customers["kind"].tolist() if "kind" in customers.columns else ["store"] * len(customers)
    )
    dealers = (
        customers["dealer_id"].tolist()
        if "dealer_id" in customers.columns
        else [None] * len(customers)
    )
    out = []
    for kind, dealer in zip(kinds, dealers, strict=True):
        d = _text(dealer)
        out.append(d if d is not None and (_text(kind) or "store") == "store" else COMPANY)
    return out


def rep_groups(reps: pd.DataFrame) -> list[str]:
    """The subproblem of every rep: company, or the dealer it works for."""
    return [
        COMPANY if kind != "dealer" else str(_text(dealer))
        for kind, dealer in zip(reps["kind"], reps["dealer_id"], strict=True)
    ]


def split_groups(
    customers: pd.DataFrame, reps: pd.DataFrame, problems: ProblemCollector
) -> list[Group]:
    """Split customers and reps into the independent subproblems.

    Records a problem for every dealer whose stores have no rep, and for company
    customers without company reps.
    """
    c_group = np.array(customer_groups(customers), dtype=object)
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
    values = pd.to_numeric(reps["capacity"], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values) | (values <= 0)
    if bad.any():
        problems.add(
            "reps",
            "capacity",
            f"has {int(bad.sum())} values that are not positive numbers",
            reps["rep_id"].to_numpy(dtype=object)[bad],
            id_column="rep_id",
        )
        values = np.where(bad, 1.0, values)
    return values


def lock_targets(
    customers: pd.DataFrame,
    reps: pd.DataFrame,
    problems: ProblemCollector,
    *,
    column: str = "locked_rep_id",
) -> IntArray:
    """Rep position each customer is locked to (-1 for none), checking the rules."""
    n = len(customers)
    out = np.full(n, -1, dtype=np.int64)
    if column not in customers.columns:
        return out
    position = {str(r): i for i, r in enumerate(reps["rep_id"])}
    c_group = customer_groups(customers)
    r_group = rep_groups(reps)
    ids = customers["customer_id"].tolist()
    unknown: list[object] = []
    wrong: list[object] = []
    wrong_detail: list[str] = []
    for i, value in enumerate(customers[column].tolist()):
        rep = _text(value)
        if rep is None:
            continue
        if rep not in position:
            unknown.append(ids[i])
            continue
        r = position[rep]
        if r_group[r] != c_group[i]:
            wrong.append(ids[i])
            wrong_detail.append(f"{ids[i]} -> {rep}")
            continue
        out[i] = r
    if unknown:
        problems.add(
            "customers",
            column,
            f"names {len(unknown)} reps that are not in the reps table",
            unknown,
            id_column="customer_id",
        )
    if wrong:
        problems.add(
            "customers",
            column,
            f"locks {len(wrong)} customers to reps who may not serve them (dealer-supplied "
            "stores go to their dealer's reps, other customers to company reps; "
            f"{', '.join(wrong_detail[:5])})",
            wrong,
            id_column="customer_id",
        )
    return out


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
