"""Who may visit whom, and who answers for whom: one rule set for every stage.

The manuals split the field work between the company's own reps and the dealers' reps.
This module writes that split down once; territory design
(:func:`~territory.territories.design_territories`), route planning
(:func:`~territory.routing.plan_routes`, also when it re-plans from a previous plan) and
the service all ask it.

**Who may serve a customer** (:func:`eligibility`):

* a direct-supplied store (empty ``dealer_id``) and a dealer itself (``kind`` ``"dealer"``)
  go to company reps (rule ``direct``);
* a store supplied by a dealer goes to that dealer's reps, or to a company rep when the
  store is a key account (``key_account``) -- the main dealer-supplied stores that company
  reps visit themselves (rule ``dealer``);
* a customer locked to a rep (``locked_rep_id``) goes to that rep only, and the lock must
  itself follow the two rules above, where locking is what admits a company rep to a
  dealer's store (rule ``locked``).

Territory design needs one side per customer (the company, or one dealer), because each
side is designed on its own: a customer's :attr:`Eligibility.side` is its lock's side,
else the company for direct stores, dealers and key accounts, else its dealer. Route
planning uses the full set (:meth:`Eligibility.may_serve`), so a key account may go to
its dealer's rep or to a company rep, whichever has the time and the shorter trip.

**Who answers for whom** (:func:`supervision`): a dealer rep's ``supervisor_id`` is the
company rep who manages it; a company rep's ``supervisor_id`` is its area manager, who is
either another company rep of the reps table or a person outside it (a name only). The
company rep answering for a rep is the rep itself for a company rep and its supervisor
for a dealer rep; review roll-ups (audits, scorecards) group by it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from territory.errors import ProblemCollector
from territory.tables import validate_customers, validate_reps

__all__ = [
    "COMPANY",
    "RULES",
    "Eligibility",
    "eligibility",
    "eligibility_from_tables",
    "supervision",
]

#: Side of the company reps (every other side is a dealer id).
COMPANY = "company"

#: The rules, by name, as the error messages quote them.
RULES: dict[str, str] = {
    "direct": "direct-supplied stores and dealers are served by company reps",
    "dealer": (
        "a dealer's stores are served by that dealer's reps, or by a company rep when the "
        "store is a key account or locked to one"
    ),
    "locked": "a customer locked to a rep (locked_rep_id) is served by that rep only",
}

IntArray = NDArray[np.int64]
ObjectArray = NDArray[np.object_]
BoolArray = NDArray[np.bool_]


def _text(value: object) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


@dataclass(frozen=True)
class Eligibility:
    """Which reps may serve which customers (positions in the two tables).

    Attributes
    ----------
    customer_ids, rep_ids
        Ids in table order.
    rep_side
        Per rep: :data:`COMPANY` or the id of the dealer it works for.
    supplier
        Per customer: the dealer that supplies it, or ``None`` for a direct-supplied
        store and for a dealer itself.
    key_account
        Per customer: whether it is a key account.
    lock
        Per customer: the position of the rep it is locked to, or -1.
    """

    customer_ids: ObjectArray
    rep_ids: ObjectArray
    rep_side: ObjectArray
    supplier: ObjectArray
    key_account: BoolArray
    lock: IntArray

    def rule(self, i: int) -> str:
        """Name of the rule (a key of :data:`RULES`) that decides customer ``i``."""
        if self.lock[i] >= 0:
            return "locked"
        return "direct" if self.supplier[i] is None else "dealer"

    def sides(self, i: int) -> tuple[str, ...]:
        """The sides whose reps may serve customer ``i`` when it is not locked."""
        dealer = self.supplier[i]
        if dealer is None:
            return (COMPANY,)
        return (str(dealer), COMPANY) if self.key_account[i] else (str(dealer),)

    def side(self, i: int) -> str:
        """The one side customer ``i`` belongs to when territories are designed."""
        if self.lock[i] >= 0:
            return str(self.rep_side[self.lock[i]])
        dealer = self.supplier[i]
        return COMPANY if dealer is None or self.key_account[i] else str(dealer)

    def may_serve(self, i: int, r: int) -> bool:
        """Whether rep ``r`` may serve customer ``i``."""
        if self.lock[i] >= 0:
            return bool(self.lock[i] == r)
        return str(self.rep_side[r]) in self.sides(i)

    def reps_for(self, i: int) -> IntArray:
        """Positions of the reps that may serve customer ``i``, in table order."""
        if self.lock[i] >= 0:
            return np.array([self.lock[i]], dtype=np.int64)
        return np.flatnonzero(np.isin(self.rep_side, list(self.sides(i)))).astype(np.int64)

    def why_not(self, i: int, r: int) -> str:
        """Why rep ``r`` may not serve customer ``i``: ``"C1 -> R2: <rule>"`` ("" if it may)."""
        if self.may_serve(i, r):
            return ""
        customer, rep = self.customer_ids[i], self.rep_ids[r]
        side = self.rep_side[r]
        who = "a company rep" if side == COMPANY else f"a rep of dealer {side}"
        if self.lock[i] >= 0:
            because = f"locked to {self.rep_ids[self.lock[i]]} ({RULES['locked']})"
        elif self.supplier[i] is None:
            because = f"a direct-supplied store or a dealer ({RULES['direct']})"
        else:
            because = f"a store of dealer {self.supplier[i]} ({RULES['dealer']})"
        return f"{customer} -> {rep}: {customer} is {because}, and {rep} is {who}"

    def check_assigned(
        self,
        reps: IntArray,
        problems: ProblemCollector,
        *,
        column: str = "rep_id",
    ) -> None:
        """Record one problem for the customers whose given rep may not serve them.

        Parameters
        ----------
        reps
            Per customer, the position of the rep given in ``column`` (-1 for none).
        problems
            Where the problem is recorded.
        column
            The customers' column the reps come from, for the message.
        """
        wrong = [i for i, r in enumerate(reps.tolist()) if r >= 0 and not self.may_serve(i, r)]
        if wrong:
            reasons = "; ".join(self.why_not(i, int(reps[i])) for i in wrong[:3])
            problems.add(
                "customers",
                column,
                f"gives {len(wrong)} customers a rep who may not serve them ({reasons})",
                self.customer_ids[wrong],
                id_column="customer_id",
            )

    def unserved(self) -> dict[str, list[int]]:
        """Customers no rep may serve, by the side that lacks reps (a dealer id or company)."""
        present = set(self.rep_side.tolist())
        out: dict[str, list[int]] = {}
        for i in range(len(self.customer_ids)):
            if self.lock[i] < 0 and not present.intersection(self.sides(i)):
                out.setdefault(self.side(i), []).append(i)
        return out

    def to_frame(self) -> pd.DataFrame:
        """One row per customer: ``customer_id, rule, side, locked_rep_id, eligible_sides``."""
        n = len(self.customer_ids)
        return pd.DataFrame(
            {
                "customer_id": self.customer_ids,
                "rule": [self.rule(i) for i in range(n)],
                "side": [self.side(i) for i in range(n)],
                "locked_rep_id": [
                    None if self.lock[i] < 0 else self.rep_ids[self.lock[i]] for i in range(n)
                ],
                "eligible_sides": [
                    ",".join(self.sides(i))
                    if self.lock[i] < 0
                    else str(self.rep_side[self.lock[i]])
                    for i in range(n)
                ],
            }
        )


def rep_sides(reps: pd.DataFrame) -> ObjectArray:
    """Per rep of a validated reps table: :data:`COMPANY`, or the dealer it works for."""
    return np.array(
        [
            COMPANY if kind != "dealer" else str(_text(dealer))
            for kind, dealer in zip(reps["kind"], reps["dealer_id"], strict=True)
        ],
        dtype=object,
    )


def eligibility_from_tables(
    customers: pd.DataFrame,
    reps: pd.DataFrame,
    problems: ProblemCollector,
    *,
    lock_column: str = "locked_rep_id",
) -> Eligibility:
    """Build :class:`Eligibility` from validated tables, recording bad locks.

    Parameters
    ----------
    customers, reps
        Tables normalised by :func:`~territory.tables.validate_customers` and
        :func:`~territory.tables.validate_reps`.
    problems
        Receives a problem for locks naming unknown reps and for locks that break the
        rules (a direct store locked to a dealer rep, a store locked to another dealer's
        rep); such locks are then ignored.
    lock_column
        The customers' column naming the rep each customer is locked to.

    Returns
    -------
    Eligibility
    """
    n = len(customers)
    kinds = customers["kind"].tolist() if "kind" in customers.columns else ["store"] * n
    dealers = customers["dealer_id"].tolist() if "dealer_id" in customers.columns else [None] * n
    supplier = np.array(
        [
            _text(d) if (_text(k) or "store") == "store" else None
            for k, d in zip(kinds, dealers, strict=True)
        ],
        dtype=object,
    )
    key = (
        customers["key_account"].fillna(False).to_numpy(dtype=bool)
        if "key_account" in customers.columns
        else np.zeros(n, dtype=bool)
    )
    sides = rep_sides(reps)
    base = Eligibility(
        customer_ids=customers["customer_id"].astype(str).to_numpy(dtype=object),
        rep_ids=reps["rep_id"].astype(str).to_numpy(dtype=object),
        rep_side=sides,
        supplier=supplier,
        key_account=key,
        lock=np.full(n, -1, dtype=np.int64),
    )
    if lock_column not in customers.columns:
        return base
    position = {str(r): k for k, r in enumerate(base.rep_ids)}
    lock = np.full(n, -1, dtype=np.int64)
    unknown: list[object] = []
    wrong: list[int] = []
    for i, value in enumerate(customers[lock_column].tolist()):
        rep = _text(value)
        if rep is None:
            continue
        if rep not in position:
            unknown.append(base.customer_ids[i])
            continue
        r = position[rep]
        # a lock admits a company rep to a dealer's store, nothing else
        if sides[r] in base.sides(i) or (sides[r] == COMPANY and supplier[i] is not None):
            lock[i] = r
        else:
            wrong.append(i)
    if unknown:
        problems.add(
            "customers",
            lock_column,
            f"names {len(unknown)} reps that are not in the reps table",
            unknown,
            id_column="customer_id",
        )
    if wrong:
        detail = "; ".join(
            base.why_not(i, position[str(_text(customers[lock_column].iloc[i]))]) for i in wrong[:3]
        )
        problems.add(
            "customers",
            lock_column,
            f"locks {len(wrong)} customers to reps who may not serve them ({detail})",
            base.customer_ids[wrong],
            id_column="customer_id",
        )
    return Eligibility(
        customer_ids=base.customer_ids,
        rep_ids=base.rep_ids,
        rep_side=sides,
        supplier=supplier,
        key_account=key,
        lock=lock,
    )


def eligibility(customers: Any, reps: Any) -> Eligibility:
    """Which reps may serve which customers, checked.

    Parameters
    ----------
    customers
        ``customer_id``, a location and optionally ``kind``, ``dealer_id``,
        ``key_account`` and ``locked_rep_id`` (see :mod:`territory.tables`).
    reps
        ``rep_id``, a home location, ``kind`` and ``dealer_id``.

    Returns
    -------
    Eligibility

    Raises
    ------
    ValidationError
        For invalid tables and for locks that break the rules.

    Examples
    --------
    >>> import pandas as pd
    >>> customers = pd.DataFrame({
    ...     "customer_id": ["direct", "store", "key"], "lon": [9.0, 9.1, 9.2],
    ...     "lat": [48.0] * 3, "dealer_id": [None, "D1", "D1"],
    ...     "key_account": [False, False, True]})
    >>> reps = pd.DataFrame({
    ...     "rep_id": ["C1", "DR1"], "kind": ["company", "dealer"],
    ...     "dealer_id": [None, "D1"], "home_lon": [9.0, 9.1], "home_lat": [48.0, 48.0]})
    >>> rules = eligibility(customers, reps)
    >>> [rules.rep_ids[rules.reps_for(i)].tolist() for i in range(3)]
    [['C1'], ['DR1'], ['C1', 'DR1']]
    """
    rep_frame = validate_reps(reps)
    frame = validate_customers(customers, reps=rep_frame)
    problems = ProblemCollector()
    rules = eligibility_from_tables(frame, rep_frame, problems)
    problems.raise_if_any()
    return rules


def supervision(reps: Any) -> pd.DataFrame:
    """Each rep's supervisor, the company rep answering for it, and its chain upwards.

    Parameters
    ----------
    reps
        The reps table, with an optional ``supervisor_id`` (see
        :func:`~territory.tables.validate_reps`, which refuses unknown supervisors of
        dealer reps and cycles).

    Returns
    -------
    pandas.DataFrame
        One row per rep, in table order: ``rep_id, kind, dealer_id, supervisor_id,
        company_rep_id`` (the rep itself for a company rep, the supervisor for a dealer
        rep; empty for a dealer rep without one), ``area_manager_id`` (the supervisor of
        the company rep answering for it, which may be a person outside the table),
        ``level`` (how many reps of the table stand above it; 0 at the top) and
        ``chain`` (the ids from the rep up to the top, the outside manager included).

    Raises
    ------
    ValidationError
        For an invalid reps table.

    Examples
    --------
    >>> import pandas as pd
    >>> reps = pd.DataFrame({
    ...     "rep_id": ["C1", "DR1"], "kind": ["company", "dealer"], "dealer_id": [None, "D1"],
    ...     "supervisor_id": ["Area North", "C1"], "home_lon": [9.0, 9.1],
    ...     "home_lat": [48.0, 48.0]})
    >>> supervision(reps)[["rep_id", "company_rep_id", "area_manager_id", "chain"]]
      rep_id company_rep_id area_manager_id                  chain
    0     C1             C1      Area North       (C1, Area North)
    1    DR1             C1      Area North  (DR1, C1, Area North)
    """
    frame = validate_reps(reps)
    ids = frame["rep_id"].astype(str).tolist()
    kinds = dict(zip(ids, frame["kind"], strict=True))
    boss: dict[str, str | None] = {
        r: _text(s)
        for r, s in zip(
            ids,
            frame["supervisor_id"] if "supervisor_id" in frame.columns else [None] * len(ids),
            strict=True,
        )
    }
    rows = []
    for rep, dealer in zip(ids, frame["dealer_id"], strict=True):
        chain = [rep]
        while chain[-1] in boss and boss[chain[-1]] is not None:
            chain.append(str(boss[chain[-1]]))
        company = rep if kinds[rep] != "dealer" else boss[rep]
        manager = boss.get(company) if company is not None else None
        rows.append(
            {
                "rep_id": rep,
                "kind": kinds[rep],
                "dealer_id": _text(dealer),
                "supervisor_id": boss[rep],
                "company_rep_id": company,
                "area_manager_id": manager,
                "level": sum(1 for r in chain[1:] if r in boss),
                "chain": tuple(chain),
            }
        )
    columns = [
        "rep_id",
        "kind",
        "dealer_id",
        "supervisor_id",
        "company_rep_id",
        "area_manager_id",
        "level",
        "chain",
    ]
    return pd.DataFrame(
        {
            c: pd.Series([row[c] for row in rows], dtype="int64" if c == "level" else object)
            for c in columns
        }
    )
