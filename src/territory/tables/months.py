"""Months: the one parser every stage uses for month columns and month parameters.

A month is held as a *month number*, ``year * 12 + month - 1`` (so consecutive months
are consecutive integers and ``number // 12`` is the year), and written as a
``"YYYY-MM"`` label. :func:`month_number` reads one value; it accepts every form the
stages used to read on their own:

* a ``"YYYY-MM"`` or ``"YYYY-M"`` string, with surrounding spaces (any year from 1 to
  9999, so plan years far from today are fine);
* a :class:`pandas.Period` (any frequency: the month it starts in);
* a date or time: ``datetime.date``, ``datetime.datetime``, :class:`pandas.Timestamp`,
  ``numpy.datetime64`` or an ISO date string (``"2026-03-15"``, ``"2026-03-15 10:00"``,
  ``"2026-03-15T10:00:00Z"``): the month it falls in.

Numbers, booleans and other strings are refused: ``202603``, ``"2026"`` (a year, or
January?) and ``"03/04/2026"`` (March or April?) do not say which month they mean.

:func:`month_numbers` reads a whole column (each distinct value once, so it is fast on
long tables) and records the values it cannot read as one problem naming the table,
the column, some of the unreadable values and the ids of their rows.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from territory.errors import ProblemCollector, ValidationError

__all__ = [
    "BAD_MONTH",
    "FIRST_YEAR",
    "LAST_YEAR",
    "is_month_label",
    "month_label",
    "month_labels",
    "month_number",
    "month_numbers",
    "parse_distinct",
    "parse_month",
    "parse_months",
    "require_month",
    "shift_month",
]

IntArray = NDArray[np.int64]

#: Years a month may lie in (four-digit calendar years).
FIRST_YEAR, LAST_YEAR = 1, 9999
#: Month number that :func:`month_numbers` gives values it cannot read.
BAD_MONTH = int(np.iinfo(np.int64).min)
_MONTH_RE = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")
_DATE_RE = re.compile(r"^\s*\d{4}-\d{1,2}-\d{1,2}([ T].*)?\s*$")
_EXPECTED = "months ('YYYY-MM', a date or a Period)"
_LABEL_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def month_number(value: object) -> int:
    """Month number (``year * 12 + month - 1``) of one month or date.

    Parameters
    ----------
    value
        ``"YYYY-MM"`` (or ``"YYYY-M"``), a Period, a date, a Timestamp, a datetime64 or
        a date string.

    Returns
    -------
    int
        The month number.

    Raises
    ------
    ValueError
        When the value is missing, a number, or not a month or date.

    Examples
    --------
    >>> month_number("2026-03"), month_number(" 2026-3 "), month_number("2026-03-31")
    (24314, 24314, 24314)
    >>> month_number(pd.Period("2026-03", freq="M"))
    24314
    """
    if isinstance(value, bool | np.bool_):
        raise ValueError("a yes/no value is not a month")
    if isinstance(value, int | float | np.number):
        if isinstance(value, float | np.floating) and np.isnan(value):
            raise ValueError("missing")
        raise ValueError("a number is not a month; write 'YYYY-MM'")
    if value is None or value is pd.NA or value is pd.NaT:
        raise ValueError("missing")
    if isinstance(value, pd.Period):
        year, month = int(value.year), int(value.month)
    elif isinstance(value, str) and (match := _MONTH_RE.match(value)):
        year, month = int(match.group(1)), int(match.group(2))
    elif isinstance(value, str) and not _DATE_RE.match(value):
        raise ValueError("write months as 'YYYY-MM' and dates as 'YYYY-MM-DD'")
    elif isinstance(value, str | date | np.datetime64):
        stamp = pd.Timestamp(value.strip() if isinstance(value, str) else value)
        if pd.isna(stamp):
            raise ValueError("missing")
        year, month = int(stamp.year), int(stamp.month)
    else:
        raise ValueError(f"not a month or date: {type(value).__name__}")
    if not 1 <= month <= 12:
        raise ValueError(f"month {month} is not 1-12")
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(f"year {year} is not {FIRST_YEAR}-{LAST_YEAR}")
    return year * 12 + month - 1


def month_label(number: int) -> str:
    """``"YYYY-MM"`` of a month number.

    Examples
    --------
    >>> month_label(2026 * 12 + 9)
    '2026-10'
    """
    return f"{number // 12:04d}-{number % 12 + 1:02d}"


def is_month_label(value: object) -> bool:
    """Whether ``value`` is a month label exactly as written by :func:`month_label`.

    Examples
    --------
    >>> is_month_label("2026-03"), is_month_label("2026-3")
    (True, False)
    """
    return isinstance(value, str) and bool(_LABEL_RE.match(value))


def shift_month(month: str, months: int) -> str:
    """The label ``month`` (``"YYYY-MM"``) moved by ``months`` months.

    Examples
    --------
    >>> shift_month("2026-01", -1)
    '2025-12'
    """
    return month_label(month_number(month) + months)


def parse_month(value: object, *, what: str) -> int:
    """Month number of a month parameter; a ValidationError naming ``what`` otherwise.

    Examples
    --------
    >>> parse_month("2026-13", what="end_month")
    Traceback (most recent call last):
    ...
    territory.errors.ValidationError: end_month: '2026-13' is not a month (month 13 is not 1-12)
    """
    try:
        return month_number(value)
    except (TypeError, ValueError, OverflowError) as error:
        raise ValidationError(f"{what}: {value!r} is not a month ({error})") from None


def parse_months(values: Sequence[object] | int) -> list[int] | None:
    """Month numbers of a year (its 12 months) or of a sequence of months.

    Returns ``None`` when any item cannot be read, or the year is not a four-digit
    calendar year (1 to 9999): ``0``, ``-5`` or ``10**9`` are not years.

    Examples
    --------
    >>> parse_months(["2026-01", "2026-2"])
    [24312, 24313]
    >>> len(parse_months(2026))
    12
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
        try:
            out.append(month_number(value))
        except (TypeError, ValueError, OverflowError):
            return None
    return out


def month_numbers(
    values: pd.Series,
    *,
    table: str,
    column: str,
    ids: pd.Series,
    id_column: str,
    problems: ProblemCollector,
    expected: str = _EXPECTED,
) -> IntArray:
    """Month numbers of a column; :data:`BAD_MONTH` where a value cannot be read.

    Each distinct value is parsed once. Unreadable and missing values are recorded as
    one problem that shows up to three of them and names the ids of their rows.

    Parameters
    ----------
    values
        The column.
    table, column
        Names for the message.
    ids
        Row ids, aligned with ``values``.
    id_column
        Name of the ids, for the message.
    problems
        Where the problem is recorded.
    expected
        What the column should hold, for the message.

    Returns
    -------
    numpy.ndarray
        int64 month numbers.
    """
    return parse_distinct(
        values,
        month_number,
        table=table,
        column=column,
        ids=ids,
        id_column=id_column,
        problems=problems,
        expected=expected,
    )


def parse_distinct(
    values: pd.Series,
    parse: Callable[[object], int],
    *,
    table: str,
    column: str,
    ids: pd.Series,
    id_column: str,
    problems: ProblemCollector,
    expected: str,
) -> IntArray:
    """``parse`` of every value of a column, each distinct value parsed once.

    A value ``parse`` refuses (``TypeError``, ``ValueError``, ``OverflowError``) and a
    missing value become :data:`BAD_MONTH`, and are recorded as one problem that shows
    up to three of them and names the ids of their rows (``expected`` says what the
    column should hold). Months (:func:`month_numbers`) and dates
    (:func:`territory.tables.history.read_history`) are read through it.
    """
    codes_, uniques = pd.factorize(values)
    codes = np.asarray(codes_, dtype=np.int64)
    parsed = np.full(len(uniques) + 1, BAD_MONTH, dtype=np.int64)  # the last: missing
    unreadable: list[str] = []
    for i, value in enumerate(uniques):
        try:
            parsed[i] = parse(value)
        except (TypeError, ValueError, OverflowError):
            unreadable.append(repr(value))
    numbers = parsed[codes]
    bad = numbers == BAD_MONTH
    if bad.any():
        shown = [*unreadable[:3], *(["missing"] if (codes < 0).any() else [])]
        problems.add(
            table,
            column,
            f"has {int(bad.sum())} values that are not {expected}: {', '.join(shown)}",
            list(pd.unique(ids.to_numpy(dtype=object)[bad])),
            id_column=id_column,
        )
    return numbers


def month_labels(
    values: pd.Series,
    *,
    table: str,
    column: str,
    ids: pd.Series,
    id_column: str,
    problems: ProblemCollector,
) -> pd.Series:
    """A month column as ``"YYYY-MM"`` labels (None where unreadable, which is recorded).

    See :func:`month_numbers` for the values accepted and the problem recorded.

    Examples
    --------
    >>> problems = ProblemCollector()
    >>> month_labels(pd.Series(["2026-1", "2026-02-14"]), table="sales", column="month",
    ...              ids=pd.Series(["C1", "C2"]), id_column="customer_id",
    ...              problems=problems).tolist()
    ['2026-01', '2026-02']
    """
    numbers = month_numbers(
        values, table=table, column=column, ids=ids, id_column=id_column, problems=problems
    )
    labels = [None if n == BAD_MONTH else month_label(int(n)) for n in numbers]
    return pd.Series(labels, index=values.index, dtype=object)


def require_month(value: object, name: str) -> str:
    """A month parameter as its ``"YYYY-MM"`` label; a ValidationError naming ``name``.

    Examples
    --------
    >>> require_month("2026-3", "through")
    '2026-03'
    """
    return month_label(parse_month(value, what=name))
