"""The customers table: ids, location, kind, dealer, visit standard and opening hours.

See :mod:`territory.tables` for the columns.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from territory.errors import ProblemCollector, ValidationError
from territory.tables.columns import (
    check_choice,
    check_flag,
    check_id_column,
    check_known_ids,
    check_required,
    check_unique_columns,
    ids_of,
    normalise_ids,
    normalise_numbers,
)
from territory.tables.locations import check_coordinates, to_plain_frame
from territory.tables.times import (
    DEFAULT_WEEKDAYS,
    MINUTES_PER_DAY,
    check_window,
    parse_column,
    parse_times,
    parse_weekdays,
)

__all__ = [
    "CUSTOMER_KINDS",
    "MAX_MIN_GAP_DAYS",
    "MAX_VISITS_PER_CYCLE",
    "customer_index",
    "validate_customers",
]

#: Largest ``visits_per_cycle`` accepted (a visit a day for almost three years).
MAX_VISITS_PER_CYCLE = 1000
#: Largest ``min_gap_days`` accepted (a year; any gap longer than the cycle is infeasible).
MAX_MIN_GAP_DAYS = 366
CUSTOMER_KINDS = ("dealer", "store")


def validate_customers(
    customers: pd.DataFrame,
    *,
    dealers: pd.DataFrame | None = None,
    reps: pd.DataFrame | None = None,
    require: Sequence[str] = (),
) -> pd.DataFrame:
    """Validate and normalise the customers table.

    Parameters
    ----------
    customers
        The customers; see the module docstring for the columns.
    dealers
        When given, every non-empty ``dealer_id`` must name one of its dealers.
    reps
        When given, every non-empty ``rep_id`` must name one of its reps.
    require
        Extra columns this caller needs (for example ``("visits_per_cycle",)``).

    Returns
    -------
    pandas.DataFrame
        A normalised copy: float ``lon``/``lat``; ``opens``/``closes`` in minutes;
        ``allowed_days`` as tuples of weekday numbers; ids as strings.

    Raises
    ------
    ValidationError
        Listing every problem found, each naming table, column and ids.
    """
    table, id_column = "customers", "customer_id"
    problems = ProblemCollector()
    if not isinstance(customers, pd.DataFrame):
        raise ValidationError(
            f"{table}: expected a pandas DataFrame, got {type(customers).__name__}"
        )
    check_unique_columns(customers, table)
    if id_column not in customers.columns:
        problems.add(table, id_column, "is missing")
        problems.raise_if_any()
    frame = to_plain_frame(
        customers, table=table, lon="lon", lat="lat", problems=problems, id_column=id_column
    )
    for column in (id_column, "dealer_id", "rep_id", "locked_rep_id"):
        normalise_ids(frame, column)
    if not check_required(frame, table, [id_column, "lon", "lat", *require], problems):
        problems.raise_if_any()
    check_id_column(frame, table, id_column, problems)
    check_coordinates(frame, table, "lon", "lat", id_column, problems)
    check_choice(frame, table, "kind", CUSTOMER_KINDS, id_column, problems)
    check_flag(frame, table, "key_account", id_column, problems)
    for column, maximum, unit in (
        ("service_minutes", MINUTES_PER_DAY, " min"),
        ("min_gap_days", MAX_MIN_GAP_DAYS, " days"),
    ):
        normalise_numbers(
            frame,
            column,
            table=table,
            id_column=id_column,
            problems=problems,
            maximum=maximum,
            unit=unit,
        )
    normalise_numbers(
        frame,
        "visits_per_cycle",
        table=table,
        id_column=id_column,
        problems=problems,
        integer=True,
        required_value=True,
        maximum=MAX_VISITS_PER_CYCLE,
    )
    for column in ("opens", "closes"):
        parse_times(frame, table, column, id_column, problems)
    check_window(frame, table, "opens", "closes", id_column, problems)
    if "allowed_days" in frame.columns:
        parse_column(
            frame,
            table,
            "allowed_days",
            id_column,
            problems,
            parse_weekdays,
            "weekdays",
            default=DEFAULT_WEEKDAYS,
        )
    if dealers is not None:
        check_known_ids(
            frame, table, "dealer_id", ids_of(dealers, "dealer_id"), id_column, problems, "dealer"
        )
    if reps is not None:
        known_reps = ids_of(reps, "rep_id")
        for column in ("rep_id", "locked_rep_id"):
            check_known_ids(frame, table, column, known_reps, id_column, problems, "rep")
    problems.raise_if_any()
    return frame.reset_index(drop=True)


def customer_index(customers: pd.DataFrame, *, table: str = "customers") -> pd.Index:
    """Check the ``customer_id`` column and return the ids as a string index.

    Raises
    ------
    ValidationError
        When the table has no ``customer_id`` column, or empty or duplicate ids.
    """
    if not isinstance(customers, pd.DataFrame):
        raise ValidationError(
            f"{table}: expected a pandas DataFrame, got {type(customers).__name__}"
        )
    check_unique_columns(customers, table)
    if "customer_id" not in customers.columns:
        raise ValidationError(f"{table}: column 'customer_id' is missing")
    raw = customers["customer_id"]
    problems = ProblemCollector()
    missing = raw.isna().to_numpy()
    ids: pd.Index = pd.Index(raw.astype(str).str.strip().to_numpy(dtype=object), dtype="str")
    empty = missing | (ids == "")
    if empty.any():
        rows = [f"row {i}" for i in np.flatnonzero(empty)]
        problems.add(
            table, "customer_id", f"has {int(empty.sum())} empty ids", rows, id_column="row"
        )
    duplicated = ids.duplicated(keep=False) & ~empty
    if duplicated.any():
        dupes = list(dict.fromkeys(ids[duplicated]))
        problems.add(
            table, "customer_id", f"has {len(dupes)} duplicate ids", dupes, id_column="customer_id"
        )
    problems.raise_if_any()
    return ids
