"""Times of day and weekdays: parsing values and whole columns.

Times are held as float minutes after midnight (``"08:30"`` is 510.0), weekdays as
sorted tuples of day numbers with Monday = 0. Timestamps (visit logs) are read as naive
local datetimes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import date

import numpy as np
import pandas as pd
from pandas.tseries.api import guess_datetime_format

from territory.errors import ProblemCollector, ValidationError
from territory.tables.columns import ids_where, is_missing

__all__ = [
    "DEFAULT_WEEKDAYS",
    "MINUTES_PER_DAY",
    "WEEKDAY_NAMES",
    "check_window",
    "format_time",
    "parse_column",
    "parse_time",
    "parse_times",
    "parse_weekdays",
    "timestamps",
    "to_timestamp",
    "working_days",
]

WEEKDAY_NAMES: tuple[str, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_WEEKDAY_FULL = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

#: Minutes in a day: times of day lie in ``[0, MINUTES_PER_DAY]``, and so does any duration
#: of a single visit or lunch break.
MINUTES_PER_DAY = 24 * 60
_TIME_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*$")
DEFAULT_WEEKDAYS: tuple[int, ...] = (0, 1, 2, 3, 4)


def parse_time(value: object) -> float:
    """Parse a clock time into minutes after midnight.

    Parameters
    ----------
    value
        ``"HH:MM"``, ``"HH:MM:SS"``, a number of minutes after midnight, or a
        ``datetime.time``. Missing values give NaN. A bare number greater than 0 and at
        most 24 (``12``, ``"8.5"``) is refused: it reads like hours but would mean
        minutes after midnight (00:12), so write ``"12:00"`` or ``720`` instead.

    Returns
    -------
    float
        Minutes after midnight (NaN when missing).

    Raises
    ------
    ValueError
        When the value is not a time, not finite, or a number that reads like hours.

    Examples
    --------
    >>> parse_time("08:30")
    510.0
    >>> parse_time(600)
    600.0
    """
    if is_missing(value):
        return math.nan
    if isinstance(value, bool):
        raise ValueError(f"not a time: {value!r}")
    if isinstance(value, int | float | np.integer | np.floating):
        return _minutes_number(float(value), value)
    if hasattr(value, "hour") and hasattr(value, "minute"):
        return float(value.hour * 60 + value.minute + getattr(value, "second", 0) / 60)
    if isinstance(value, str):
        match = _TIME_RE.match(value)
        if match:
            hours, minutes = int(match.group(1)), int(match.group(2))
            seconds = int(match.group(3) or 0)
            if hours <= 24 and minutes < 60 and seconds < 60:
                return hours * 60.0 + minutes + seconds / 60.0
        else:
            try:
                number = float(value)
            except ValueError:
                pass
            else:
                return _minutes_number(number, value)
    raise ValueError(f"not a time: {value!r}")


class _AmbiguousTimeError(ValueError):
    """A bare number of at most 24 given as a time (hours, or minutes after midnight?)."""


def _minutes_number(number: float, value: object) -> float:
    """A number given as a time: finite minutes after midnight, never hour-like."""
    if math.isnan(number):
        return math.nan
    if not math.isfinite(number):
        raise ValueError(f"not a time: {value!r}")
    if 0 < number <= 24:
        raise _AmbiguousTimeError(
            f"ambiguous time {value!r}: numbers are minutes after midnight; "
            f"write '{int(number):02d}:00' for hours"
        )
    return number


def format_time(minutes: float) -> str:
    """Format minutes after midnight as ``"HH:MM"``.

    Examples
    --------
    >>> format_time(510)
    '08:30'
    """
    if is_missing(minutes):
        return ""
    total = round(float(minutes))
    return f"{total // 60:02d}:{total % 60:02d}"


def parse_weekdays(value: object) -> tuple[int, ...]:
    """Parse a set of weekdays into sorted day numbers (Monday = 0).

    Parameters
    ----------
    value
        ``"Mon,Wed,Fri"``, ``"Mon-Fri"``, ``"Mon Tue"``, a sequence of names or of ints
        0-6. Missing values give Monday to Friday.

    Returns
    -------
    tuple of int
        Sorted distinct day numbers.

    Raises
    ------
    ValueError
        When a part is not a weekday.

    Examples
    --------
    >>> parse_weekdays("Mon-Wed,Fri")
    (0, 1, 2, 4)
    >>> parse_weekdays([4, 0])
    (0, 4)
    """
    if is_missing(value):
        return DEFAULT_WEEKDAYS
    parts: list[object]
    if isinstance(value, str):
        parts = [p for p in re.split(r"[,;\s]+", value.strip()) if p]
    elif isinstance(value, Iterable):
        parts = list(value)
    else:
        parts = [value]
    days: set[int] = set()
    for part in parts:
        if isinstance(part, int | np.integer) and not isinstance(part, bool):
            if not 0 <= int(part) <= 6:
                raise ValueError(f"not a weekday: {part!r}")
            days.add(int(part))
            continue
        text = str(part).strip().lower()
        if "-" in text:
            start, _, end = text.partition("-")
            a, b = _weekday_number(start), _weekday_number(end)
            if a is None or b is None:
                raise ValueError(f"not a weekday range: {part!r}")
            if a > b:
                raise ValueError(f"weekday range runs backwards: {part!r}")
            days.update(range(a, b + 1))
        elif text.isdigit() and 0 <= int(text) <= 6:
            days.add(int(text))
        elif (number := _weekday_number(text)) is not None:
            days.add(number)
        else:
            raise ValueError(f"not a weekday: {part!r}")
    if not days:
        raise ValueError(f"no weekdays in {value!r}")
    return tuple(sorted(days))


def _weekday_number(text: str) -> int | None:
    """Monday = 0 for ``"mon"``, ``"monday"``, ``"tues"``...; None for anything else.

    A name is accepted when it is the start of a full English weekday name and at least
    three letters long, so ``"Monkey"`` or ``"Sunshine"`` are not weekdays.
    """
    text = text.strip().lower()
    if len(text) < 3:
        return None
    for number, full in enumerate(_WEEKDAY_FULL):
        if full.startswith(text):
            return number
    return None


def parse_times(
    frame: pd.DataFrame, table: str, column: str, id_column: str, problems: ProblemCollector
) -> None:
    """Parse a time-of-day column into minutes after midnight, within 00:00-24:00."""
    if column not in frame.columns:
        return
    parsed: list[float] = []
    bad: list[object] = []
    hour_like: list[object] = []
    for rid, value in zip(frame[id_column], frame[column], strict=True):
        try:
            parsed.append(parse_time(value))
        except _AmbiguousTimeError:
            hour_like.append(rid)
            parsed.append(math.nan)
        except (TypeError, ValueError):
            bad.append(rid)
            parsed.append(math.nan)
    if bad:
        problems.add(
            table,
            column,
            f"has {len(bad)} values that are not times",
            bad,
            id_column=id_column,
        )
    if hour_like:
        problems.add(
            table,
            column,
            f"has {len(hour_like)} numbers between 0 and 24, which read like hours but would "
            "mean minutes after midnight; write 'HH:MM' (e.g. '12:00') or minutes (720)",
            hour_like,
            id_column=id_column,
        )
    values = np.array(parsed, dtype=float)
    with np.errstate(invalid="ignore"):
        outside = (values < 0) | (values > MINUTES_PER_DAY)
    if outside.any():
        problems.add(
            table,
            column,
            f"has {int(outside.sum())} values outside 00:00-24:00",
            ids_where(frame[id_column], outside),
            id_column=id_column,
        )
    frame[column] = pd.Series(values, index=frame.index, dtype=float)


def parse_column(
    frame: pd.DataFrame,
    table: str,
    column: str,
    id_column: str,
    problems: ProblemCollector,
    parser: Callable[[object], object],
    what: str,
    default: object = None,
) -> None:
    """Apply ``parser`` to every value of ``column`` and record values it rejects."""
    if column not in frame.columns:
        if default is not None:
            frame[column] = pd.Series([default] * len(frame), index=frame.index, dtype=object)
        return
    parsed: list[object] = []
    bad: list[object] = []
    for rid, value in zip(frame[id_column], frame[column], strict=True):
        try:
            parsed.append(parser(value))
        except (TypeError, ValueError):
            bad.append(rid)
            parsed.append(default if default is not None else math.nan)
    if bad:
        problems.add(
            table, column, f"has {len(bad)} values that are not {what}", bad, id_column=id_column
        )
    frame[column] = pd.Series(
        parsed, index=frame.index, dtype=object if default is not None else float
    )


def check_window(
    frame: pd.DataFrame,
    table: str,
    start: str,
    end: str,
    id_column: str,
    problems: ProblemCollector,
) -> None:
    """Record rows where ``start`` is not before ``end`` (both in minutes)."""
    if start not in frame.columns or end not in frame.columns:
        return
    a = frame[start].to_numpy(dtype=float)
    b = frame[end].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        wrong = ~np.isnan(a) & ~np.isnan(b) & (a >= b)
    if wrong.any():
        problems.add(
            table,
            start,
            f"is not before '{end}' in {int(wrong.sum())} rows",
            ids_where(frame[id_column], wrong),
            id_column=id_column,
        )


def _format_of(raw: pd.Series) -> str | None:
    """``"mixed"`` when pandas cannot guess a format from the first value, else ``None``.

    pandas guesses the same way, but warns before reading every value on its own; deciding
    here spares the warning without touching the process's warning filters (which is not
    thread-safe, and the service reads tables in threads).
    """
    present = raw[raw.notna()]
    first = present.iloc[0] if len(present) else None
    if not isinstance(first, str) or guess_datetime_format(first) is not None:
        return None
    return "mixed"


def timestamps(
    frame: pd.DataFrame, table: str, column: str, id_column: str, problems: ProblemCollector
) -> pd.Series:
    """``column`` as naive datetimes (timezone-aware values keep their wall-clock time)."""
    raw = frame[column]
    if raw.dtype == object:  # a number among text is no timestamp (pandas would guess)
        raw = raw.map(
            lambda v: (
                None if isinstance(v, int | float | np.number) and not isinstance(v, bool) else v
            )
        )
    try:
        values = pd.to_datetime(raw, errors="coerce", format=_format_of(raw))
        # pandas reads every value in the format of the first one: "2026-11-04" after
        # "2026-11-02 10:00" would be unreadable. Read those misfits one by one.
        retry = (values.isna() & raw.notna()).to_numpy()
        if retry.any() and not isinstance(values.dtype, pd.DatetimeTZDtype):
            again = pd.to_datetime(raw[retry], errors="coerce", format="mixed")
            if not isinstance(again.dtype, pd.DatetimeTZDtype):
                values = values.copy()
                values[retry] = again
    except (TypeError, ValueError):  # mixed time zones and similar
        values = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_localize(None)
    bad = values.isna()
    if bad.any():
        ids = frame[id_column] if id_column in frame.columns else pd.Series(frame.index)
        problems.add(
            table,
            column,
            f"has {int(bad.sum())} missing or unreadable timestamps",
            list(ids[bad.to_numpy()]),
            id_column=id_column,
        )
    return values


def to_timestamp(value: object, name: str) -> pd.Timestamp:
    """A date-like parameter as a midnight ``Timestamp``, or a ValidationError."""
    try:
        stamp = pd.Timestamp(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"{name}: not a date: {value!r}") from exc
    if pd.isna(stamp):
        raise ValidationError(f"{name}: not a date: {value!r}")
    if stamp.tzinfo is not None:
        stamp = stamp.tz_localize(None)
    return stamp


def working_days(
    month: str, holidays: Iterable[object] = (), weekdays: Sequence[int] = ()
) -> list[date]:
    """Working days of ``month``: its ``weekdays`` (default Monday-Friday) minus ``holidays``."""
    days = weekdays or (0, 1, 2, 3, 4)
    off = {to_timestamp(h, "holidays").date() for h in holidays}
    start = pd.Timestamp(f"{month}-01")
    all_days = pd.date_range(start, start + pd.offsets.MonthEnd(0), freq="D")
    return [d.date() for d in all_days if d.weekday() in days and d.date() not in off]
