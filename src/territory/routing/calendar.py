"""Lay a repeating route plan on real dates, in a time zone, around holidays.

A :class:`~territory.routing.RoutePlan` is a cycle: week 1..W, cycle day 1..N, and times
as minutes after midnight. :func:`lay_on_calendar` (or :meth:`RoutePlan.on_calendar
<territory.routing.RoutePlan.on_calendar>`) repeats it from a start date for a number of
cycles and gives every visit a date and time-zone-aware ``arrival``/``departure``
timestamps, rounded to the second.

**Holidays.** The cycle's working days are the first ``cycle.days`` weekdays of each
week (Monday first). A holiday is a date on which nobody works. What happens to the
cycle day that falls on it is a choice, ``on_holiday``:

``"shift"`` (default): the cycle pauses
    Cycle days are laid on working dates in order, so the cycle day that falls on a
    holiday runs on the next working date and every later day moves one working date
    along (the rest of the cycle, and the cycles after it, end one day later per
    holiday). **No visit is lost**, every day keeps its route, order and times, and the
    spacing of each customer's visits in working days is unchanged. The price: after a
    holiday, a route runs on another weekday than planned (Tuesday's route on
    Wednesday). Such visits are flagged in the column ``shifted``; check them against
    weekday-bound opening hours (``allowed_days``) and reps who work fewer days.

``"skip"``: weekdays are kept
    Every cycle day keeps its planned date; the visits of a day that falls on a holiday
    are not made. They are not dropped silently: they are listed in
    :attr:`CalendarPlan.skipped` with the holiday's name, and the summary counts them.

Wall-clock times are localised in ``tz``: on the night clocks go forward a time that
does not exist moves forward, and a time that occurs twice when clocks go back is taken
as standard time (planned days are daytime, so neither normally happens).

Files: CSV holds each timestamp with its UTC offset (``2027-01-04 08:02:37+02:00``) and
the zone's name in the column ``time_zone``; :func:`read_calendar_visits` turns such a
table (read from CSV or Parquet) back into time-zone-aware columns in that zone.
Parquet keeps the zone in the column type itself.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np
import pandas as pd

from territory._json import json_safe
from territory.errors import ProblemCollector, ValidationError
from territory.routing.cycle import Cycle

__all__ = ["HOLIDAY_POLICIES", "CalendarPlan", "lay_on_calendar", "read_calendar_visits"]


class CyclePlan(Protocol):
    """What :func:`lay_on_calendar` reads of a plan (a :class:`~territory.routing.RoutePlan`)."""

    @property
    def visits(self) -> pd.DataFrame:
        """One row per visit (``week``, ``day``, ``arrival``, ``departure``, ...)."""

    @property
    def days(self) -> pd.DataFrame:
        """One row per rep-day (``week``, ``day``, ``start``, ``end``, ...)."""

    @property
    def cycle(self) -> Cycle:
        """The plan's cycle."""


#: The choices of ``on_holiday``.
HOLIDAY_POLICIES: tuple[str, ...] = ("shift", "skip")
#: Timestamp columns of the calendar's visits and days tables.
VISIT_TIMES: tuple[str, ...] = ("arrival", "departure")
DAY_TIMES: tuple[str, ...] = ("start", "end", "lunch_start")
#: Most cycles laid at once (about 20 years of 4-week cycles).
MAX_CYCLES = 260

OnHoliday = Literal["shift", "skip"]


@dataclass(frozen=True)
class CalendarPlan:
    """A route plan laid on dates in a time zone.

    Attributes
    ----------
    visits
        The plan's visits, repeated per cycle, with ``cycle`` (1-based repetition),
        ``date`` (local date, midnight, no zone), ``arrival``/``departure`` (time-zone
        aware, to the second), ``shifted`` (the date differs from the planned weekday's
        date because of a holiday before it) and ``time_zone``; ``week``, ``day`` and
        ``weekday`` stay the plan's.
    days
        The plan's rep-days in the same way, with ``start``/``end``/``lunch_start`` as
        timestamps.
    skipped
        Visits not made because their day fell on a holiday (``on_holiday="skip"``),
        with ``date`` and ``holiday`` (its name, or the date when none was given).
    start
        The Monday on which week 1 of the first cycle starts.
    end
        The date of the last cycle day laid (holidays pushed it later with ``"shift"``).
    tz
        Time-zone name, for example ``"Europe/Helsinki"``.
    cycles
        Cycles laid.
    on_holiday
        ``"shift"`` or ``"skip"``.
    holidays
        The holidays (date to name) that fell in the span laid.
    """

    visits: pd.DataFrame
    days: pd.DataFrame
    skipped: pd.DataFrame
    start: dt.date
    end: dt.date
    tz: str
    cycles: int
    on_holiday: str
    holidays: dict[dt.date, str]

    def to_frame(self) -> pd.DataFrame:
        """The visits (a copy), ready for :func:`territory.io.write_table`."""
        return self.visits.copy()

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dictionary: settings, visits, days and skipped visits."""
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "tz": self.tz,
            "cycles": self.cycles,
            "on_holiday": self.on_holiday,
            "holidays": {d.isoformat(): name for d, name in sorted(self.holidays.items())},
            "visits": json_safe(self.visits),
            "days": json_safe(self.days),
            "skipped": json_safe(self.skipped),
        }

    def summary(self) -> str:
        """A few lines: span, visits laid, holidays and what they did."""
        lines = [
            f"calendar: {self.cycles} cycle(s) from {self.start} to {self.end} "
            f"({self.tz}), {len(self.visits)} visits on {len(self.days)} rep-days",
        ]
        if not self.holidays:
            lines.append("  no holidays in the span")
        elif self.on_holiday == "shift":
            shifted = int(self.visits["shifted"].sum()) if len(self.visits) else 0
            lines.append(
                f"  {len(self.holidays)} holiday(s): the cycle pauses on each, "
                f"{shifted} visits run on a later weekday than planned, none is lost"
            )
        else:
            lines.append(
                f"  {len(self.holidays)} holiday(s): {len(self.skipped)} visits fall on them "
                "and are not made (see skipped)"
            )
        return "\n".join(lines)


def _zone(tz: object, problems: ProblemCollector) -> str:
    if isinstance(tz, dt.tzinfo):
        key = getattr(tz, "key", None) or getattr(tz, "zone", None) or str(tz)
        tz = key
    if not isinstance(tz, str):
        problems.add("calendar", "tz", f"must be a time-zone name, got {type(tz).__name__}")
        return "UTC"
    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        problems.add(
            "calendar", "tz", f"unknown time zone {tz!r} (use a name like 'Europe/Helsinki')"
        )
        return "UTC"
    return tz


def _date(value: object) -> dt.date | None:
    if isinstance(value, bool | int | float | np.number):
        return None  # pandas would read a number as nanoseconds after 1970
    try:
        day = pd.Timestamp(value).date()  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return day if isinstance(day, dt.date) else None  # NaT has no date


def _holidays(
    holidays: Mapping[Any, object] | Iterable[object] | None,
    problems: ProblemCollector,
    years: tuple[int, int],
) -> dict[dt.date, str]:
    """Holidays as date -> name; a mapping (such as ``holidays.Finland()``) gives names."""
    if holidays is None:
        return {}
    if isinstance(holidays, str | bytes):
        holidays = [holidays]
    pairs: list[tuple[object, str | None]]
    if isinstance(holidays, Mapping) and type(holidays) is not dict:
        # a holiday calendar such as ``holidays.country_holidays("FI")`` fills in a year
        # when it is first asked about a date of it: ask about every year of the span
        for year in range(years[0], years[1] + 1):
            _ = dt.date(year, 1, 1) in holidays
    if isinstance(holidays, Mapping):
        pairs = [(k, None if v is None else str(v)) for k, v in holidays.items()]
    else:
        pairs = [(k, None) for k in holidays]
    out: dict[dt.date, str] = {}
    bad: list[str] = []
    for raw, name in pairs:
        day = _date(raw)
        if day is None:
            bad.append(str(raw))
            continue
        out[day] = name or day.isoformat()
    if bad:
        problems.add(
            "holidays",
            None,
            f"has {len(bad)} values that are not dates",
            bad,
            id_column="value",
        )
    return out


def _check(
    start: object, cycles: object, on_holiday: object, problems: ProblemCollector
) -> dt.date:
    first = _date(start)
    if first is None:
        problems.add("calendar", "start", f"must be a date such as '2027-01-04', got {start!r}")
        first = dt.date(2000, 1, 3)
    elif first.weekday() != 0:
        problems.add(
            "calendar",
            "start",
            f"{first} is a {first.strftime('%A')}; a cycle's week 1 starts on a Monday "
            f"(the Monday before is {first - dt.timedelta(days=first.weekday())})",
        )
    if (
        isinstance(cycles, bool)
        or not isinstance(cycles, int | np.integer)
        or not 1 <= cycles <= MAX_CYCLES
    ):
        problems.add(
            "calendar", "cycles", f"must be a whole number from 1 to {MAX_CYCLES}, got {cycles!r}"
        )
    if on_holiday not in HOLIDAY_POLICIES:
        problems.add(
            "calendar",
            "on_holiday",
            f"must be one of {', '.join(map(repr, HOLIDAY_POLICIES))}, got {on_holiday!r}",
        )
    return first


def _regular_dates(start: dt.date, cycle: Cycle, cycles: int) -> list[dt.date]:
    """The planned date of every cycle day of every cycle, in order, holidays ignored."""
    return [
        start + dt.timedelta(days=7 * (c * cycle.weeks + k // cycle.days) + k % cycle.days)
        for c in range(cycles)
        for k in range(cycle.n_days)
    ]


def _shifted_dates(
    start: dt.date, cycle: Cycle, count: int, holidays: Mapping[dt.date, str]
) -> list[dt.date]:
    """The first ``count`` working dates from ``start``: weekdays of the cycle, no holiday."""
    out: list[dt.date] = []
    day = start
    while len(out) < count:
        if day.weekday() < cycle.days and day not in holidays:
            out.append(day)
        day += dt.timedelta(days=1)
    return out


def _timestamps(dates: pd.Series, minutes: pd.Series, tz: str) -> pd.Series:
    """Local wall-clock ``dates + minutes``, to the second, made aware in ``tz``."""
    local = pd.to_datetime(dates) + pd.to_timedelta(minutes.astype(float), unit="min")
    local = local.dt.round("s")
    return local.dt.tz_localize(
        tz, ambiguous=np.zeros(len(local), dtype=bool), nonexistent="shift_forward"
    )


def _lay(
    frame: pd.DataFrame,
    times: tuple[str, ...],
    slot_date: Mapping[tuple[int, int], dt.date | None],
    regular: Mapping[tuple[int, int], dt.date],
    cycles: int,
    tz: str,
) -> pd.DataFrame:
    """Repeat ``frame`` (rows with a 1-based ``day``) per cycle and give it dates."""
    parts = []
    for c in range(cycles):
        part = frame.copy()
        keys = [(c, int(d) - 1) for d in part["day"]]
        part.insert(0, "cycle", c + 1)
        part["date"] = pd.to_datetime(pd.Series([slot_date[k] for k in keys], index=part.index))
        part["shifted"] = [slot_date[k] != regular[k] for k in keys]
        parts.append(part)
    out = pd.concat(parts, ignore_index=True) if parts else frame.iloc[0:0].copy()
    out = out[out["date"].notna()].reset_index(drop=True)
    for column in times:
        if column in out:
            out[column] = _timestamps(out["date"], out[column], tz)
    floats = [c for c in out.columns if pd.api.types.is_float_dtype(out[c].dtype)]
    out = out.round({c: 3 if c.endswith("_km") else 2 for c in floats})  # no float noise
    out["time_zone"] = tz
    return out


def lay_on_calendar(
    plan: CyclePlan,
    start: object,
    *,
    tz: str | dt.tzinfo = "UTC",
    holidays: Mapping[Any, object] | Iterable[object] | None = None,
    cycles: int = 1,
    on_holiday: OnHoliday = "shift",
) -> CalendarPlan:
    """Lay a route plan on real dates: time-zone-aware visits for ``cycles`` cycles.

    Parameters
    ----------
    plan
        The plan (its ``visits``, ``days`` and ``cycle``).
    start
        The Monday on which week 1 of the first cycle starts (``"2027-01-04"``, a
        ``datetime.date`` or a Timestamp).
    tz
        Time zone of the plan's wall-clock minutes, an IANA name such as
        ``"Europe/Helsinki"`` (or a ``zoneinfo.ZoneInfo``).
    holidays
        Dates on which nobody works: an iterable of dates (strings, dates, Timestamps)
        or a mapping date -> name, such as ``holidays.country_holidays("FI")`` from the
        `holidays <https://pypi.org/project/holidays/>`_ package.
    cycles
        How many times to repeat the cycle (1 to 260).
    on_holiday
        ``"shift"`` (the cycle pauses: no visit is lost, later days run one working
        date later) or ``"skip"`` (weekdays are kept, the holiday's visits are listed
        in ``skipped``); see :mod:`territory.routing.calendar`.

    Returns
    -------
    CalendarPlan

    Raises
    ------
    ValidationError
        For a start that is not a Monday or not a date, an unknown time zone, holidays
        that are not dates, or bad ``cycles``/``on_holiday``; every problem at once.

    Examples
    --------
    >>> import pandas as pd
    >>> from territory.routing import Cycle, plan_routes
    >>> customers = pd.DataFrame({"customer_id": ["a"], "lon": [24.95], "lat": [60.17],
    ...                           "visits_per_cycle": [1], "service_minutes": [30]})
    >>> reps = pd.DataFrame({"rep_id": ["r1"], "home_lon": [24.94], "home_lat": [60.16]})
    >>> plan = plan_routes(customers, reps, cycle=Cycle(weeks=1, days=1), time_limit=5)
    >>> laid = lay_on_calendar(plan, "2027-01-04", tz="Europe/Helsinki")
    >>> str(laid.visits.loc[0, "arrival"].tz), str(laid.visits.loc[0, "date"].date())
    ('Europe/Helsinki', '2027-01-04')
    """
    problems = ProblemCollector()
    first = _check(start, cycles, on_holiday, problems)
    zone = _zone(tz, problems)
    cycle = plan.cycle
    # a generous bound on the last date ("shift" pushes days past holidays)
    counted = (
        int(cycles) if isinstance(cycles, int | np.integer) and 0 < cycles <= MAX_CYCLES else 1
    )
    horizon = first + dt.timedelta(days=14 * cycle.n_days * counted + 14)
    if horizon >= pd.Timestamp.max.date():
        problems.add(
            "calendar", "start", f"{first} with {cycles} cycles runs past the last date (2262)"
        )
    days_off = _holidays(holidays, problems, (first.year, min(horizon.year, 2262)))
    problems.raise_if_any()
    count = int(cycles) * cycle.n_days
    keys = [(c, k) for c in range(int(cycles)) for k in range(cycle.n_days)]
    regular = dict(zip(keys, _regular_dates(first, cycle, int(cycles)), strict=True))
    if on_holiday == "shift":
        working = _shifted_dates(first, cycle, count, days_off)
        slot: dict[tuple[int, int], dt.date | None] = dict(zip(keys, working, strict=True))
        last = max(working, default=first)
    else:
        slot = {k: (None if d in days_off else d) for k, d in regular.items()}
        last = max(regular.values(), default=first)
    span = {d: n for d, n in days_off.items() if first <= d <= last}
    visits = _lay(plan.visits, VISIT_TIMES, slot, regular, int(cycles), zone)
    days = _lay(plan.days, DAY_TIMES, slot, regular, int(cycles), zone)
    skipped = _skipped(plan.visits, regular, slot, span, int(cycles))
    return CalendarPlan(
        visits=visits,
        days=days,
        skipped=skipped,
        start=first,
        end=last,
        tz=zone,
        cycles=int(cycles),
        on_holiday=str(on_holiday),
        holidays=dict(sorted(span.items())),
    )


def _skipped(
    visits: pd.DataFrame,
    regular: Mapping[tuple[int, int], dt.date],
    slot: Mapping[tuple[int, int], dt.date | None],
    holidays: Mapping[dt.date, str],
    cycles: int,
) -> pd.DataFrame:
    """Visits whose day fell on a holiday and was not laid (``on_holiday="skip"``)."""
    columns = ["cycle", "rep_id", "week", "day", "weekday", "customer_id", "date", "holiday"]
    rows = []
    base = visits[["rep_id", "week", "day", "weekday", "customer_id"]]
    for c in range(cycles):
        keys = [(c, int(d) - 1) for d in base["day"]]
        lost = np.array([slot[k] is None for k in keys], dtype=bool)
        if not lost.any():
            continue
        part = base[lost].copy()
        dates = [regular[k] for k, gone in zip(keys, lost, strict=True) if gone]
        part.insert(0, "cycle", c + 1)
        part["date"] = pd.to_datetime(pd.Series(dates, index=part.index))
        part["holiday"] = [holidays.get(d, d.isoformat()) for d in dates]
        rows.append(part)
    if not rows:
        return pd.DataFrame(
            {
                "cycle": pd.Series(dtype="int64"),
                "rep_id": pd.Series(dtype=object),
                "week": pd.Series(dtype="int64"),
                "day": pd.Series(dtype="int64"),
                "weekday": pd.Series(dtype=object),
                "customer_id": pd.Series(dtype=object),
                "date": pd.Series(dtype="datetime64[ns]"),
                "holiday": pd.Series(dtype=object),
            }
        )
    return pd.concat(rows, ignore_index=True)[columns]


def read_calendar_visits(frame: pd.DataFrame) -> pd.DataFrame:
    """Restore the types of a calendar table read back from CSV or Parquet.

    ``arrival``, ``departure``, ``start``, ``end`` and ``lunch_start`` become
    time-zone-aware timestamps in the zone named by the column ``time_zone`` (CSV
    keeps each time's UTC offset, so the instant is exact; the zone restores local
    wall-clock rules); ``date`` becomes a midnight Timestamp. Columns already of the
    right type (Parquet) are converted to the named zone, never re-read as local.

    Parameters
    ----------
    frame
        A table written from :attr:`CalendarPlan.visits` or :attr:`CalendarPlan.days`,
        for example by :func:`territory.io.read_table`.

    Returns
    -------
    pandas.DataFrame
        A copy with restored types.

    Raises
    ------
    ValidationError
        When ``time_zone`` is missing or names more than one zone, or a time has no
        UTC offset.

    Examples
    --------
    >>> table = pd.DataFrame({"date": ["2027-01-04"], "time_zone": ["Europe/Helsinki"],
    ...                       "arrival": ["2027-01-04 08:30:00+02:00"]})
    >>> str(read_calendar_visits(table).loc[0, "arrival"])
    '2027-01-04 08:30:00+02:00'
    """
    if "time_zone" not in frame.columns:
        raise ValidationError(
            "calendar: column 'time_zone' is missing; it names the zone of the timestamps"
        )
    zones = frame["time_zone"].dropna().astype(str).unique().tolist()
    if len(zones) > 1:
        raise ValidationError(
            f"calendar: column 'time_zone' names {len(zones)} zones ({', '.join(zones[:5])}); "
            "one table holds one zone"
        )
    out = frame.copy()
    zone = zones[0] if zones else "UTC"
    problems = ProblemCollector()
    zone = _zone(zone, problems)
    for column in (*VISIT_TIMES, *DAY_TIMES):
        if column not in out.columns:
            continue
        values = out[column]
        if isinstance(values.dtype, pd.DatetimeTZDtype):
            out[column] = values.dt.tz_convert(zone)
            continue
        if pd.api.types.is_datetime64_dtype(values.dtype):
            problems.add("calendar", column, "has times without a UTC offset")
            continue
        text = values.astype("string")
        naive = text.notna() & ~text.str.contains(r"(?:[+-]\d\d:?\d\d|Z)$", regex=True, na=False)
        if naive.any():
            problems.add(
                "calendar",
                column,
                f"has {int(naive.sum())} times without a UTC offset",
                list(text[naive].astype(str)),
                id_column="value",
            )
            continue
        out[column] = pd.to_datetime(text, utc=True, format="ISO8601").dt.tz_convert(zone)
    problems.raise_if_any()
    if "date" in out.columns:
        out["date"] = pd.to_datetime(out["date"])
    if "shifted" in out.columns and out["shifted"].dtype == object:
        out["shifted"] = out["shifted"].map(
            {"True": True, "False": False, True: True, False: False}
        )
    return out
