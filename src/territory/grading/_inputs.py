"""Reading and checking the tables grading takes (vectorised, for millions of rows)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from territory.errors import ProblemCollector, ValidationError
from territory.tables import check_unique_columns

__all__ = [
    "History",
    "customer_index",
    "grade_from_thresholds",
    "numeric_column",
    "positions_of",
    "read_history",
]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
_EPOCH = pd.Timestamp("1970-01-01")
_BAD = np.iinfo(np.int64).min  # marks time values that could not be parsed


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


def positions_of(ids: pd.Index, values: pd.Series) -> IntArray:
    """Position of each value in ``ids`` (-1 when unknown), via factorize (fast for strings)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy(dtype=np.int64)
        uniques = pd.Index(values.cat.categories.astype(str).str.strip(), dtype="str")
    else:
        codes_, uniques_ = pd.factorize(values)
        codes = np.asarray(codes_, dtype=np.int64)
        uniques = pd.Index(pd.Series(uniques_).astype(str).str.strip().to_numpy(), dtype="str")
    lookup = np.append(ids.get_indexer(uniques).astype(np.int64), -1)
    return lookup[codes]  # code -1 (missing) picks the appended -1


def numeric_column(
    frame: pd.DataFrame,
    column: str,
    *,
    table: str,
    ids: pd.Series,
    problems: ProblemCollector,
    allow_missing: bool = False,
    allow_negative: bool = False,
    maximum: float | None = None,
) -> FloatArray:
    """A column as floats; records non-numeric, missing, infinite, negative and too large values.

    Infinite values are always a problem; ``maximum`` (when given) bounds the finite ones.
    """
    raw = frame[column]
    if pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype):
        values = raw.to_numpy(dtype=float, na_value=np.nan)
        non_numeric = np.zeros(len(values), dtype=bool)
    else:
        converted = pd.to_numeric(raw, errors="coerce")
        values = converted.to_numpy(dtype=float, na_value=np.nan)
        non_numeric = np.isnan(values) & raw.notna().to_numpy()
    if non_numeric.any():
        problems.add(
            table,
            column,
            f"has {int(non_numeric.sum())} non-numeric values",
            _first_ids(ids, non_numeric),
            id_column="customer_id",
        )
    missing = np.isnan(values) & ~non_numeric
    if missing.any() and not allow_missing:
        problems.add(
            table,
            column,
            f"has {int(missing.sum())} missing values",
            _first_ids(ids, missing),
            id_column="customer_id",
        )
    infinite = np.isinf(values)
    if infinite.any():
        problems.add(
            table,
            column,
            f"has {int(infinite.sum())} infinite values",
            _first_ids(ids, infinite),
            id_column="customer_id",
        )
    if not allow_negative:
        with np.errstate(invalid="ignore"):
            negative = values < 0
        if negative.any():
            problems.add(
                table,
                column,
                f"has {int(negative.sum())} negative values",
                _first_ids(ids, negative),
                id_column="customer_id",
            )
    if maximum is not None:
        with np.errstate(invalid="ignore"):
            too_large = ~infinite & (values > maximum)
        if too_large.any():
            problems.add(
                table,
                column,
                f"has {int(too_large.sum())} values above the limit of {maximum:g}",
                _first_ids(ids, too_large),
                id_column="customer_id",
            )
    return values


def _first_ids(ids: pd.Series, mask: NDArray[np.bool_], limit: int = 50) -> list[object]:
    where = np.flatnonzero(mask)[:limit]
    return list(dict.fromkeys(ids.iloc[where].astype(str)))


def _parse_time_value(value: object, daily: bool) -> int:
    """Month number (year * 12 + month - 1) or day number of one time value."""
    if isinstance(value, pd.Period):
        stamp = value.to_timestamp()
    else:
        if value is None or (isinstance(value, float) and np.isnan(value)):
            raise ValueError("missing")
        stamp = pd.Timestamp(value)  # type: ignore[arg-type]
        if pd.isna(stamp):
            raise ValueError("missing")
    if daily:
        return int((stamp.normalize().tz_localize(None) - _EPOCH).days)
    return int(stamp.year * 12 + stamp.month - 1)


def _time_numbers(
    values: pd.Series,
    *,
    daily: bool,
    table: str,
    column: str,
    ids: pd.Series,
    problems: ProblemCollector,
) -> IntArray:
    """Month (or day) numbers of a time column, parsing each distinct value once."""
    codes_, uniques = pd.factorize(values)
    codes = np.asarray(codes_, dtype=np.int64)
    parsed = np.empty(len(uniques) + 1, dtype=np.int64)
    parsed[-1] = _BAD
    bad_unique = np.zeros(len(uniques) + 1, dtype=bool)
    bad_unique[-1] = True
    for i, value in enumerate(uniques):
        try:
            parsed[i] = _parse_time_value(value, daily)
        except (TypeError, ValueError, OverflowError):
            bad_unique[i] = True
            parsed[i] = _BAD
    bad = bad_unique[codes]
    if bad.any():
        problems.add(
            table,
            column,
            f"has {int(bad.sum())} values that are not dates or months",
            _first_ids(ids, bad),
            id_column="customer_id",
        )
    return parsed[codes]


def month_label(number: int) -> str:
    """``"YYYY-MM"`` of a month number.

    Examples
    --------
    >>> month_label(2026 * 12 + 9)
    '2026-10'
    """
    return f"{number // 12:04d}-{number % 12 + 1:02d}"


def parse_month(value: object, *, what: str) -> int:
    """Month number of a ``"YYYY-MM"`` string, date or Period; ValidationError otherwise."""
    try:
        return _parse_time_value(value, daily=False)
    except (TypeError, ValueError, OverflowError) as error:
        raise ValidationError(f"{what}: {value!r} is not a month ({error})") from None


@dataclass(frozen=True)
class History:
    """A long table restricted to a window of whole months, as arrays.

    Attributes
    ----------
    customer
        Position of each row's customer in the customers table.
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


#: Longest history window in months (a century).
MAX_WINDOW_MONTHS = 1200


def read_history(
    frame: pd.DataFrame,
    ids: pd.Index,
    *,
    table: str,
    time_column: str | None,
    value_column: str,
    window_months: int | None,
    end_month: object | None,
) -> History:
    """Check a long ``customer_id, month|date, amount`` table and cut it to the window.

    Every problem is collected into one :class:`ValidationError`: rows for customers
    that are not in the customers table, missing or negative amounts, time values that
    are not dates, and months of the window without any row (a gap in the data).

    Parameters
    ----------
    frame
        The long table.
    ids
        Customer ids (from :func:`customer_index`).
    table
        Table name for messages.
    time_column
        ``"month"`` (``"YYYY-MM"``, Period or date) or ``"date"``; None picks ``"date"``
        when the table has it, else ``"month"``.
    value_column
        The amount column.
    window_months
        Length of the window in months ending at ``end_month``; None keeps every row up
        to ``end_month``.
    end_month
        Last month of the window; None takes the latest month in the table.
    """
    if not isinstance(frame, pd.DataFrame):
        raise ValidationError(f"{table}: expected a pandas DataFrame, got {type(frame).__name__}")
    check_unique_columns(frame, table)
    if time_column is None:
        time_column = "date" if "date" in frame.columns else "month"
    problems = ProblemCollector()
    for column in ("customer_id", time_column, value_column):
        if column not in frame.columns:
            problems.add(table, column, "is missing")
    problems.raise_if_any()
    if window_months is not None and (
        isinstance(window_months, bool)
        or not isinstance(window_months, int | np.integer)
        or not 1 <= window_months <= MAX_WINDOW_MONTHS
    ):
        raise ValidationError(
            f"{table}: window_months must be a whole number from 1 to {MAX_WINDOW_MONTHS} "
            f"(or None), got {window_months!r}"
        )
    row_ids = frame["customer_id"]
    customer = positions_of(ids, row_ids)
    unknown = customer < 0
    if unknown.any():
        missing_id = row_ids.isna().to_numpy()
        if missing_id.any():
            rows = [f"row {i}" for i in np.flatnonzero(missing_id)]
            problems.add(
                table,
                "customer_id",
                f"has {int(missing_id.sum())} empty ids",
                rows,
                id_column="row",
            )
        unknown &= ~missing_id
        if unknown.any():
            names = pd.unique(row_ids[unknown].astype(str))
            problems.add(
                table,
                "customer_id",
                f"has rows for {len(names)} customers that are not in the customers table",
                list(names),
                id_column="customer_id",
            )
    raw_time = frame[time_column]
    daily = time_column != "month" or pd.api.types.is_datetime64_any_dtype(raw_time.dtype)
    value = numeric_column(frame, value_column, table=table, ids=row_ids, problems=problems)
    if daily:
        day = _time_numbers(
            raw_time, daily=True, table=table, column=time_column, ids=row_ids, problems=problems
        )
        stamps = _EPOCH + pd.to_timedelta(np.where(day == _BAD, 0, day), unit="D")
        month = (stamps.year.to_numpy() * 12 + stamps.month.to_numpy() - 1).astype(np.int64)
        month[day == _BAD] = _BAD
    else:
        month = _time_numbers(
            raw_time, daily=False, table=table, column=time_column, ids=row_ids, problems=problems
        )
        day = np.zeros(0, dtype=np.int64)
    valid = month != _BAD
    if not valid.any() and end_month is None:
        problems.add(table, time_column, "has no valid rows, so the window has no end")
        problems.raise_if_any()
    last = (
        int(month[valid].max())
        if end_month is None
        else parse_month(end_month, what=f"{table} end")
    )
    first = int(month[valid].min()) if window_months is None else last - window_months + 1
    inside = (month >= first) & (month <= last)
    present = np.unique(month[inside])
    gaps = np.setdiff1d(np.arange(first, last + 1), present)
    if len(gaps):
        problems.add(
            table,
            time_column,
            f"has no rows for {len(gaps)} of the {last - first + 1} months in the window "
            f"{month_label(first)} to {month_label(last)}",
            [month_label(int(g)) for g in gaps],
            id_column="month",
        )
    with np.errstate(over="ignore", invalid="ignore"):
        magnitude = float(np.abs(value[inside]).sum())
    if not np.isfinite(magnitude):
        problems.add(
            table,
            value_column,
            "adds up to more than the largest float (about 1.8e308) in the window, so sums "
            "and shares would be infinite; give the amounts in a larger unit (e.g. thousands)",
        )
    problems.raise_if_any()
    if not daily:
        day = np.asarray(
            (pd.to_datetime([month_label(m) for m in range(first, last + 1)]) - _EPOCH).days,
            dtype=np.int64,
        )[month[inside] - first]
    else:
        day = day[inside]
    return History(
        customer=customer[inside],
        month=month[inside],
        day=day,
        value=value[inside],
        first_month=first,
        last_month=last,
        daily=daily,
    )


def grade_from_thresholds(score: FloatArray, thresholds: tuple[float, ...]) -> IntArray:
    """Grade index (0 = best) of each score: the number of thresholds the score is below.

    Examples
    --------
    >>> grade_from_thresholds(np.array([0.9, 0.75, 0.3, 0.0]), (0.75, 0.5, 0.25)).tolist()
    [0, 0, 2, 3]
    """
    index = np.zeros(len(score), dtype=np.int64)
    for t in thresholds:
        index += score < t
    return index


def as_str_array(values: Any) -> NDArray[np.object_]:
    """Values as a numpy object array of str."""
    return np.asarray(pd.Series(values).astype(str).to_numpy(dtype=object), dtype=object)
