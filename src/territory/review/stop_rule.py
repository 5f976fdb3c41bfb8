"""The stop rule: no further trip after three visits without progress.

The manuals refuse a further trip to a customer visited three times without a
breakthrough (同一客户三次拜访未取得突破…不予批准). :func:`stop_rule` reads the visit
log (and, when given, orders placed outside visits) and flags every customer whose
logged visits since its last order -- or since its first visit, when it never ordered --
number at least ``visits``, with the numbers: how many visits, the first and the last,
the days in between and the last order.

A *visit* is a rep at a customer on a day (log rows of the same customer and day are
one visit). A visit whose ``order`` is true, or an order dated that day, is progress:
only later visits count towards the rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from territory._json import json_safe
from territory.errors import ProblemCollector, ValidationError
from territory.tables.columns import (
    check_ids_present,
    id_strings,
    numeric_column,
    require_columns,
    require_frame,
)
from territory.tables.times import timestamps, to_timestamp
from territory.tables.visit_log import LOG_COLUMNS, bool_column

__all__ = ["StopRuleReview", "stop_rule"]

_COLUMNS = [
    "customer_id",
    "rep_id",
    "visits_without_order",
    "first_visit",
    "last_visit",
    "days",
    "last_order",
    "flagged",
]


@dataclass(frozen=True, eq=False)
class StopRuleReview:
    """Visits without an order per customer, and the customers the stop rule flags.

    Attributes
    ----------
    table
        One row per visited customer: ``customer_id, rep_id`` (the reps who made the
        visits counted, comma-separated), ``visits_without_order`` (visits since the
        last order, or all visits without one), ``first_visit`` and ``last_visit`` of
        those visits, ``days`` between them, ``last_order`` (missing when none) and
        ``flagged`` (at least ``visits`` visits).
    visits
        The threshold (3 in the manuals).
    as_of
        Log rows and orders after this day were ignored.
    """

    table: pd.DataFrame
    visits: int
    as_of: pd.Timestamp

    def flagged(self) -> pd.DataFrame:
        """The flagged customers, most visits first."""
        rows = self.table[self.table["flagged"]]
        return rows.sort_values(
            ["visits_without_order", "customer_id"], ascending=[False, True]
        ).reset_index(drop=True)

    def to_frame(self) -> pd.DataFrame:
        """The whole table (a copy)."""
        return self.table.copy()

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dictionary with the flagged customers."""
        return {
            "visits": self.visits,
            "as_of": self.as_of.date().isoformat(),
            "flagged": json_safe(self.flagged()),
        }

    def summary(self) -> str:
        """How many customers the rule flags, and the first few with their numbers."""
        flagged = self.flagged()
        lines = [
            f"stop rule ({self.visits} visits without an order, as of {self.as_of.date()}): "
            f"{len(flagged)} of {len(self.table)} visited customers flagged"
        ]
        for row in flagged.head(5).to_dict("records"):
            last_order = pd.Timestamp(row["last_order"])
            since = (
                f"last order {last_order.date()}" if not pd.isna(last_order) else "never ordered"
            )
            lines.append(
                f"  {row['customer_id']}: {row['visits_without_order']} visits "
                f"{pd.Timestamp(row['first_visit']).date()} .. "
                f"{pd.Timestamp(row['last_visit']).date()} ({row['days']} days) by "
                f"{row['rep_id']}, {since}"
            )
        return "\n".join(lines)


def _visits(visit_log: pd.DataFrame) -> pd.DataFrame:
    table = "visit_log"
    frame = require_frame(visit_log, table).copy()
    require_columns(frame, table, LOG_COLUMNS)
    problems = ProblemCollector()
    for column in ("customer_id", "rep_id"):
        frame[column] = id_strings(frame[column])
        check_ids_present(frame, table, column, problems)
    frame["timestamp"] = timestamps(frame, table, "timestamp", "customer_id", problems)
    if "order" in frame.columns:
        frame["order"] = bool_column(frame, table, "order", problems)
    elif "order_value" in frame.columns:
        values = numeric_column(
            frame, "order_value", table=table, problems=problems, allow_missing=True
        )
        with np.errstate(invalid="ignore"):
            frame["order"] = pd.Series(values > 0, index=frame.index).astype(object)
    else:
        frame["order"] = False
    problems.raise_if_any()
    frame["date"] = frame["timestamp"].dt.normalize()
    frame["order"] = frame["order"].map(lambda v: bool(v) if v is not None else False)
    return frame[["customer_id", "rep_id", "date", "order"]]


def _order_dates(orders: pd.DataFrame) -> pd.DataFrame:
    table = "orders"
    frame = require_frame(orders, table).copy()
    stamp = "timestamp" if "timestamp" in frame.columns else "date"
    require_columns(frame, table, ["customer_id", stamp])
    problems = ProblemCollector()
    frame["customer_id"] = id_strings(frame["customer_id"])
    check_ids_present(frame, table, "customer_id", problems)
    frame["date"] = timestamps(frame, table, stamp, "customer_id", problems).dt.normalize()
    problems.raise_if_any()
    return frame[["customer_id", "date"]]


def stop_rule(
    visit_log: pd.DataFrame,
    *,
    orders: pd.DataFrame | None = None,
    visits: int = 3,
    as_of: object = None,
) -> StopRuleReview:
    """Flag customers with ``visits`` logged visits and no order since the first of them.

    Parameters
    ----------
    visit_log
        ``customer_id, rep_id, timestamp`` and optionally ``order`` (true when the
        visit took an order) or ``order_value`` (an order when above 0).
    orders
        Orders placed outside visits: ``customer_id`` and ``timestamp`` (or ``date``).
    visits
        The threshold, a whole number ≥ 1 (the manuals: 3).
    as_of
        Ignore log rows and orders after this day (default: the last logged day).

    Returns
    -------
    StopRuleReview

    Raises
    ------
    ValidationError
        Bad tables or parameters.

    Examples
    --------
    >>> log = pd.DataFrame({"customer_id": ["C1"] * 4 + ["C2"] * 3,
    ...                     "rep_id": "R1",
    ...                     "timestamp": pd.to_datetime(["2026-10-01", "2026-10-08",
    ...                         "2026-10-15", "2026-10-22", "2026-10-01", "2026-10-08",
    ...                         "2026-10-15"]),
    ...                     "order": [True, False, False, False, False, True, False]})
    >>> review = stop_rule(log)
    >>> review.flagged()[["customer_id", "visits_without_order", "days"]].values.tolist()
    [['C1', 3, 14]]
    """
    if isinstance(visits, bool) or not isinstance(visits, int | np.integer) or visits < 1:
        raise ValidationError(f"visits: expected a whole number ≥ 1, got {visits!r}")
    log = _visits(visit_log)
    extra = _order_dates(orders) if orders is not None else None
    if as_of is not None:
        cutoff = to_timestamp(as_of, "as_of").normalize()
    elif len(log):
        cutoff = log["date"].max()
    else:
        raise ValidationError("visit_log: is empty; give as_of or some visits")
    log = log[log["date"] <= cutoff]
    order_days = log.loc[log["order"], ["customer_id", "date"]]
    if extra is not None:
        order_days = pd.concat([order_days, extra[extra["date"] <= cutoff]], ignore_index=True)
    last_order = order_days.groupby("customer_id")["date"].max().to_dict()
    days = log.groupby(["customer_id", "date"], sort=True).agg(
        rep_id=("rep_id", lambda r: ", ".join(sorted(set(r)))), order=("order", "any")
    )
    days = days.reset_index()
    days["last_order"] = pd.to_datetime(days["customer_id"].map(last_order))
    counted = days[days["last_order"].isna() | (days["date"] > days["last_order"])]
    customers = sorted(set(days["customer_id"]))
    grouped = counted.groupby("customer_id", sort=True)
    table = pd.DataFrame({"customer_id": pd.Series(customers, dtype=object)})
    table["rep_id"] = table["customer_id"].map(
        grouped["rep_id"].agg(lambda r: ", ".join(sorted({p for v in r for p in v.split(", ")})))
    )
    table["visits_without_order"] = table["customer_id"].map(grouped.size()).fillna(0).astype(int)
    table["first_visit"] = pd.to_datetime(table["customer_id"].map(grouped["date"].min().to_dict()))
    table["last_visit"] = pd.to_datetime(table["customer_id"].map(grouped["date"].max().to_dict()))
    table["days"] = (table["last_visit"] - table["first_visit"]).dt.days.astype("Int64")
    table["last_order"] = pd.to_datetime(table["customer_id"].map(last_order))
    table["flagged"] = table["visits_without_order"] >= int(visits)
    return StopRuleReview(table[_COLUMNS], int(visits), cutoff)
