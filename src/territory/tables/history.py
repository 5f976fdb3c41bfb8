"""Sales histories: long ``id, month|date, amount`` tables.

:func:`read_history` is the one reader of a sales history: grading (Pareto, RFM, the
relationship x potential matrix) and target allocation both read theirs through it. It
checks the table against the ids of the table it belongs to (the customers, or the
hierarchy's key), parses the time column with :mod:`territory.tables.months`, reads the
amounts with :func:`~territory.tables.columns.numeric_column`, cuts the rows to a
window of whole months, refuses a window with a month without rows, and returns plain
arrays (:class:`History`) -- fast on millions of rows.

:func:`validate_sales` checks the review's monthly sales table, which keeps its rows as
a table (returns, so negative amounts, are allowed there).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from territory.errors import ProblemCollector, ValidationError
from territory.tables.columns import (
    check_ids_present,
    check_required,
    check_total_finite,
    id_strings,
    ids_where,
    numeric_column,
    positions_of,
    require_columns,
    require_frame,
)
from territory.tables.months import (
    BAD_MONTH,
    month_label,
    month_labels,
    month_numbers,
    parse_distinct,
    parse_month,
)

__all__ = [
    "MAX_WINDOW_MONTHS",
    "SALES_COLUMNS",
    "History",
    "collect_history",
    "read_history",
    "validate_sales",
]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
_EPOCH = pd.Timestamp("1970-01-01")
_BAD_DAY = BAD_MONTH  # marks dates that could not be read

#: Longest history window in months (a century).
MAX_WINDOW_MONTHS = 1200
#: Columns of the review's sales table.
SALES_COLUMNS = ("customer_id", "month", "sales")


@dataclass(frozen=True)
class History:
    """A long table restricted to a window of whole months, as arrays.

    Attributes
    ----------
    customer
        Position of each row's id among the ids the table was read against.
    month
        Month number of each row (year * 12 + month - 1).
    day
        Day number of each row (days since 1970-01-01); the first of the month for
        monthly tables.
    value
        Amount of each row.
    first_month, last_month
        The window, inclusive.
    daily
        Whether the time column had dates (True) or months (False).
    """

    customer: IntArray
    month: IntArray
    day: IntArray
    value: FloatArray
    first_month: int
    last_month: int
    daily: bool

    @property
    def months(self) -> IntArray:
        """Month numbers of the window, ascending."""
        return np.arange(self.first_month, self.last_month + 1, dtype=np.int64)

    def monthly_matrix(self, n_ids: int) -> FloatArray:
        """Amounts summed per id and month: shape ``(n_ids, months in the window)``.

        Examples
        --------
        >>> history = History(np.array([0, 1, 1]), np.array([5, 5, 6]), np.zeros(3, int),
        ...                   np.array([1.0, 2.0, 3.0]), 5, 6, False)
        >>> history.monthly_matrix(2).tolist()
        [[1.0, 0.0], [2.0, 3.0]]
        """
        n_months = self.last_month - self.first_month + 1
        flat = self.customer * n_months + (self.month - self.first_month)
        sums = np.bincount(flat, weights=self.value, minlength=n_ids * n_months)
        return sums.reshape(n_ids, n_months).astype(np.float64)


def _day_number(value: object) -> int:
    """Day number (days since 1970-01-01) of one date value."""
    if isinstance(value, pd.Period):
        stamp = value.to_timestamp()
    else:
        if isinstance(value, bool | int | float | np.number):
            raise ValueError("a number is not a date")
        stamp = pd.Timestamp(value)  # type: ignore[arg-type]
        if pd.isna(stamp):
            raise ValueError("missing")
    return int((stamp.normalize().tz_localize(None) - _EPOCH).days)


def _day_numbers(
    values: pd.Series,
    *,
    table: str,
    column: str,
    ids: pd.Series,
    id_column: str,
    problems: ProblemCollector,
) -> IntArray:
    """Day numbers of a date column, parsing each distinct value once."""
    return parse_distinct(
        values,
        _day_number,
        table=table,
        column=column,
        ids=ids,
        id_column=id_column,
        problems=problems,
        expected="dates",
    )


def _check_window_months(window_months: int | None, table: str) -> None:
    if window_months is not None and (
        isinstance(window_months, bool)
        or not isinstance(window_months, int | np.integer)
        or not 1 <= window_months <= MAX_WINDOW_MONTHS
    ):
        raise ValidationError(
            f"{table}: window_months must be a whole number from 1 to {MAX_WINDOW_MONTHS} "
            f"(or None), got {window_months!r}"
        )


def _row_positions(
    row_ids: pd.Series,
    ids: pd.Index,
    *,
    table: str,
    id_column: str,
    known_as: str,
    what: str,
    problems: ProblemCollector,
) -> IntArray:
    """Position of each row's id in ``ids``; records empty ids and ids not in ``ids``."""
    position = positions_of(ids, row_ids)
    unknown = position < 0
    if unknown.any():
        missing_id = row_ids.isna().to_numpy()
        if missing_id.any():
            problems.add(
                table,
                id_column,
                f"has {int(missing_id.sum())} empty ids",
                [f"row {i}" for i in np.flatnonzero(missing_id)],
                id_column="row",
            )
        unknown &= ~missing_id
        if unknown.any():
            names = pd.unique(row_ids[unknown].astype(str))
            problems.add(
                table,
                id_column,
                f"has rows for {len(names)} {what} that are not in the {known_as}",
                list(names),
                id_column=id_column,
            )
    return position


def collect_history(
    frame: pd.DataFrame,
    ids: pd.Index,
    *,
    problems: ProblemCollector,
    table: str = "sales",
    id_column: str = "customer_id",
    time_column: str | None = None,
    value_column: str = "sales",
    window_months: int | None = None,
    end_month: object | None = None,
    one_row_per_month: bool = False,
    known_as: str = "customers table",
    what: str = "customers",
) -> History | None:
    """:func:`read_history` that records its problems instead of raising them.

    Returns None when it recorded a problem.
    """
    frame = require_frame(frame, table)
    if time_column is None:
        time_column = "date" if "date" in frame.columns else "month"
    if not check_required(frame, table, [id_column, time_column, value_column], problems):
        return None
    _check_window_months(window_months, table)
    if len(frame) == 0 and end_month is None:
        problems.add(table, None, "is empty")
        return None
    before = len(problems.problems)
    row_ids = frame[id_column]
    customer = _row_positions(
        row_ids,
        ids,
        table=table,
        id_column=id_column,
        known_as=known_as,
        what=what,
        problems=problems,
    )
    raw_time = frame[time_column]
    daily = time_column != "month" or pd.api.types.is_datetime64_any_dtype(raw_time.dtype)
    value = numeric_column(
        frame, value_column, table=table, problems=problems, id_column=id_column, ids=row_ids
    )
    if daily:
        day = _day_numbers(
            raw_time,
            table=table,
            column=time_column,
            ids=row_ids,
            id_column=id_column,
            problems=problems,
        )
        stamps = _EPOCH + pd.to_timedelta(np.where(day == _BAD_DAY, 0, day), unit="D")
        month = (stamps.year.to_numpy() * 12 + stamps.month.to_numpy() - 1).astype(np.int64)
        month[day == _BAD_DAY] = BAD_MONTH
    else:
        month = month_numbers(
            raw_time,
            table=table,
            column=time_column,
            ids=row_ids,
            id_column=id_column,
            problems=problems,
        )
        day = np.zeros(0, dtype=np.int64)
    valid = month != BAD_MONTH
    if not valid.any() and end_month is None:
        problems.add(table, time_column, "has no valid rows, so the window has no end")
        return None
    last = (
        int(month[valid].max())
        if end_month is None
        else parse_month(end_month, what=f"{table} end")
    )
    first = int(month[valid].min()) if window_months is None else last - window_months + 1
    inside = (month >= first) & (month <= last)
    gaps = np.setdiff1d(np.arange(first, last + 1), np.unique(month[inside]))
    if len(gaps):
        problems.add(
            table,
            time_column,
            f"has no rows for {len(gaps)} of the {last - first + 1} months in the window "
            f"{month_label(first)} to {month_label(last)}",
            [month_label(int(g)) for g in gaps],
            id_column="month",
        )
    check_total_finite(value[inside], table=table, column=value_column, problems=problems)
    if one_row_per_month and len(problems.problems) == before:
        pairs = pd.DataFrame({"id": customer[inside], "month": month[inside]})
        repeated = pairs.duplicated(keep=False).to_numpy()
        if repeated.any():
            problems.add(
                table,
                id_column,
                f"has {int(pairs[repeated].drop_duplicates().shape[0])} duplicate "
                f"({id_column}, month) pairs",
                ids_where(row_ids[inside], repeated),
                id_column=id_column,
            )
    if len(problems.problems) > before:
        return None
    if daily:
        day = day[inside]
    else:
        first_days = (
            pd.to_datetime([month_label(m) for m in range(first, last + 1)]) - _EPOCH
        ).days
        day = np.asarray(first_days, dtype=np.int64)[month[inside] - first]
    return History(
        customer=customer[inside],
        month=month[inside],
        day=day,
        value=value[inside],
        first_month=first,
        last_month=last,
        daily=daily,
    )


def read_history(
    frame: pd.DataFrame,
    ids: pd.Index,
    *,
    table: str = "sales",
    id_column: str = "customer_id",
    time_column: str | None = None,
    value_column: str = "sales",
    window_months: int | None = None,
    end_month: object | None = None,
    one_row_per_month: bool = False,
    known_as: str = "customers table",
    what: str = "customers",
) -> History:
    """Check a long ``id, month|date, amount`` table and cut it to a window of months.

    Every problem is collected into one :class:`~territory.errors.ValidationError`:
    missing columns, rows for ids that are not among ``ids``, empty ids, amounts that
    are missing, not numbers, infinite or negative, time values that are not months or
    dates, months of the window without any row (a gap in the data), amounts whose sum
    overflows and, with ``one_row_per_month``, two rows for one id and month.

    Parameters
    ----------
    frame
        The long table.
    ids
        The known ids as a string index (for example from
        :func:`territory.tables.customers.customer_index`).
    table
        Table name for messages.
    id_column
        Column of the ids.
    time_column
        ``"month"`` (``"YYYY-MM"``, Period or date: see :mod:`territory.tables.months`)
        or ``"date"``; None picks ``"date"`` when the table has it, else ``"month"``.
    value_column
        The amount column.
    window_months
        Length of the window in months ending at ``end_month``; None keeps every row up
        to ``end_month``.
    end_month
        Last month of the window; None takes the latest month in the table.
    one_row_per_month
        Whether an id may have only one row per month.
    known_as, what
        How messages name the table of the ids and the ids themselves (``"has rows for
        2 customers that are not in the customers table"``).

    Returns
    -------
    History

    Raises
    ------
    ValidationError
        Listing every problem found.

    Examples
    --------
    >>> sales = pd.DataFrame({"customer_id": ["a", "b", "a"],
    ...                       "month": ["2026-01", "2026-01", "2026-2"],
    ...                       "sales": [1.0, 2.0, 3.0]})
    >>> history = read_history(sales, pd.Index(["a", "b"]))
    >>> [month_label(m) for m in history.months], history.monthly_matrix(2).tolist()
    (['2026-01', '2026-02'], [[1.0, 3.0], [2.0, 0.0]])
    """
    problems = ProblemCollector()
    history = collect_history(
        frame,
        ids,
        problems=problems,
        table=table,
        id_column=id_column,
        time_column=time_column,
        value_column=value_column,
        window_months=window_months,
        end_month=end_month,
        one_row_per_month=one_row_per_month,
        known_as=known_as,
        what=what,
    )
    problems.raise_if_any()
    assert history is not None  # no problem recorded, so the reader returned a history
    return history


def validate_sales(sales: pd.DataFrame, *, table: str = "sales") -> pd.DataFrame:
    """Check and normalise a long sales table ``customer_id, month, sales`` (the review's).

    Months may be written in any form :mod:`territory.tables.months` reads and come out
    as ``"YYYY-MM"``. Negative sales (returns) are allowed; two rows for one
    ``(customer_id, month)`` are not.

    Returns
    -------
    pandas.DataFrame
        ``customer_id, month, sales`` with string ids, month labels and float sales.

    Raises
    ------
    ValidationError
        Listing every problem found.
    """
    frame = require_frame(sales, table).copy()
    require_columns(frame, table, SALES_COLUMNS)
    problems = ProblemCollector()
    frame["customer_id"] = id_strings(frame["customer_id"])
    check_ids_present(frame, table, "customer_id", problems)
    frame["month"] = month_labels(
        frame["month"],
        table=table,
        column="month",
        ids=frame["customer_id"],
        id_column="customer_id",
        problems=problems,
    )
    frame["sales"] = numeric_column(
        frame, "sales", table=table, problems=problems, allow_negative=True
    )
    check_total_finite(frame["sales"], table=table, column="sales", problems=problems)
    dup = frame.duplicated(["customer_id", "month"], keep=False) & frame["month"].notna()
    if dup.any():
        labels = [
            f"{c}/{m}"
            for c, m in frame.loc[dup, ["customer_id", "month"]].drop_duplicates().to_numpy()
        ]
        problems.add(
            table,
            "month",
            f"has {len(labels)} duplicate (customer_id, month) rows",
            labels,
            id_column="customer_id/month",
        )
    problems.raise_if_any()
    return frame[list(SALES_COLUMNS)].reset_index(drop=True)
