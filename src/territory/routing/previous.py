"""Last cycle's plan, as re-planning reads it.

``plan_routes(previous=...)`` and :meth:`RoutePlan.changes` take a :class:`RoutePlan` or
a visits table with at least ``rep_id, day, seq, customer_id`` (``day`` is the 1-based
cycle day, as in :attr:`RoutePlan.visits`, for example read back from last cycle's
``visits.csv``) and an optional boolean ``locked`` column. :func:`read_previous` checks
it and turns it into a :class:`PreviousPlan`: each customer's rep, days and place in
each day's order, and which customers are locked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from territory.errors import ProblemCollector, ValidationError
from territory.routing.cycle import Cycle
from territory.tables import check_unique_columns, numeric_column
from territory.tables.columns import ids_where

__all__ = ["PREVIOUS_COLUMNS", "PreviousPlan", "read_previous"]

#: Columns a previous visits table needs.
PREVIOUS_COLUMNS = ("rep_id", "day", "seq", "customer_id")
_TABLE = "previous"


@dataclass(frozen=True)
class PreviousPlan:
    """Last cycle's plan, by customer.

    Attributes
    ----------
    rep
        Customer id -> the rep that visited it (the rep of most of its visits).
    days
        Customer id -> its 0-based cycle days.
    routes
        ``(rep_id, day)`` -> customer ids in visiting order (0-based day).
    locked
        Ids of customers with at least one locked visit.
    """

    rep: dict[str, str]
    days: dict[str, frozenset[int]]
    routes: dict[tuple[str, int], list[str]]
    locked: frozenset[str]

    @property
    def customers(self) -> frozenset[str]:
        """Every customer of the previous plan."""
        return frozenset(self.days)


def _locked_column(frame: pd.DataFrame, problems: ProblemCollector) -> NDArray[np.bool_]:
    if "locked" not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    values = frame["locked"]
    text = values.astype(str).str.strip().str.lower()
    known = text.isin(["true", "false", "1", "0", "1.0", "0.0", "yes", "no", "nan", "none", ""])
    known |= values.isna()  # a blank cell (or a record without the key) is not locked
    if not known.all():
        problems.add(
            _TABLE,
            "locked",
            f"has {int((~known).sum())} values that are not true/false",
            list(frame.loc[~known, "customer_id"]),
            id_column="customer_id",
        )
    return np.asarray(text.isin(["true", "1", "1.0", "yes"]), dtype=bool)


def read_previous(previous: Any, cycle: Cycle) -> PreviousPlan:
    """Check last cycle's plan and index it by customer.

    Parameters
    ----------
    previous
        A :class:`~territory.routing.RoutePlan` or a visits table (see the module).
    cycle
        The cycle being planned; the previous plan's days must lie in it.

    Returns
    -------
    PreviousPlan

    Raises
    ------
    ValidationError
        Naming the column and the customers of every problem: missing columns,
        days outside the cycle, non-numeric order, a customer twice on one day.

    Examples
    --------
    >>> visits = pd.DataFrame({"rep_id": ["r1", "r1"], "day": [1, 6], "seq": [1, 1],
    ...                        "customer_id": ["a", "a"]})
    >>> sorted(read_previous(visits, Cycle()).days["a"])
    [0, 5]
    """
    frame = getattr(previous, "visits", previous)
    if not isinstance(frame, pd.DataFrame):
        raise ValidationError(
            f"previous: expected a RoutePlan or a visits DataFrame, got {type(previous).__name__}"
        )
    check_unique_columns(frame, _TABLE)
    problems = ProblemCollector()
    missing = [c for c in PREVIOUS_COLUMNS if c not in frame.columns]
    if missing:
        raise ValidationError(
            f"previous: missing columns {', '.join(repr(c) for c in missing)} "
            f"(needs {', '.join(PREVIOUS_COLUMNS)})"
        )
    for column in ("customer_id", "rep_id"):
        raw = frame[column]
        empty = (raw.isna() | (raw.astype(object).astype(str).str.strip() == "")).to_numpy()
        if empty.any():
            problems.add(
                _TABLE,
                column,
                f"has {int(empty.sum())} empty ids",
                [f"row {i}" for i in np.flatnonzero(empty)],
                id_column="row",
            )
    problems.raise_if_any()
    frame = frame.assign(
        customer_id=frame["customer_id"].astype(str), rep_id=frame["rep_id"].astype(str)
    )
    numbers = {
        column: numeric_column(
            frame, column, table=_TABLE, problems=problems, allow_negative=True, integer=True
        )
        for column in ("day", "seq")
    }
    days_given = numbers["day"]
    with np.errstate(invalid="ignore"):
        outside = np.isfinite(days_given) & ((days_given < 1) | (days_given > cycle.n_days))
    if outside.any():
        problems.add(
            _TABLE,
            "day",
            f"has {int(outside.sum())} values that are not cycle days 1..{cycle.n_days}",
            ids_where(frame["customer_id"], outside),
            id_column="customer_id",
        )
    locked = _locked_column(frame, problems)
    problems.raise_if_any()
    frame = frame.assign(day=days_given.astype(np.int64) - 1, seq=numbers["seq"])
    twice = frame.duplicated(["customer_id", "day"], keep=False)
    if twice.any():
        problems.add(
            _TABLE,
            "day",
            f"has {int(twice.sum())} rows visiting a customer twice on one day",
            list(frame.loc[twice, "customer_id"]),
            id_column="customer_id",
        )
    problems.raise_if_any()
    rep = frame.groupby("customer_id")["rep_id"].agg(lambda s: s.value_counts().index[0])
    days: dict[str, frozenset[int]] = {}
    for customer, day in zip(frame["customer_id"], frame["day"], strict=True):
        days[customer] = days.get(customer, frozenset()) | {int(day)}
    routes: dict[tuple[str, int], list[str]] = {}
    for key, group in frame.sort_values(["rep_id", "day", "seq"]).groupby(
        ["rep_id", "day"], sort=False
    ):
        rep_id, day = cast(tuple[str, int], key)
        routes[(str(rep_id), int(day))] = [str(c) for c in group["customer_id"]]
    return PreviousPlan(
        rep={str(k): str(v) for k, v in rep.items()},
        days=days,
        routes=routes,
        locked=frozenset(str(c) for c in frame.loc[locked, "customer_id"]),
    )
