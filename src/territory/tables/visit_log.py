"""Route-plan visits, visit requirements and executed-visit logs.

:func:`plan_calendar` lays a plan's ``week, weekday`` visits on dates,
:func:`validate_requirements` checks a grades/requirements table and
:func:`validate_visit_log` checks what the reps did (converting timestamps with a UTC
offset to the plan's local time).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from territory.errors import ProblemCollector, ValidationError
from territory.tables.columns import (
    check_ids_present,
    check_known,
    id_strings,
    numeric_column,
    require_columns,
    require_frame,
)
from territory.tables.times import WEEKDAY_NAMES, timestamps, to_timestamp

__all__ = [
    "LOG_COLUMNS",
    "MAX_WEEKS",
    "PLAN_COLUMNS",
    "bool_column",
    "cycle_start_date",
    "known_ids",
    "plan_calendar",
    "validate_requirements",
    "validate_visit_log",
    "weekday_numbers",
]

PLAN_COLUMNS = ("rep_id", "week", "weekday", "customer_id")

#: Latest week of a plan laid on the calendar (a century of weeks).
MAX_WEEKS = 5200
LOG_COLUMNS = ("customer_id", "rep_id", "timestamp")


def cycle_start_date(cycle_start: object) -> pd.Timestamp:
    """``cycle_start`` as a midnight Timestamp; it must be a Monday."""
    start = to_timestamp(cycle_start, "cycle_start").normalize()
    if start.weekday() != 0:
        raise ValidationError(
            f"cycle_start: {start.date()} is a {WEEKDAY_NAMES[start.weekday()]}, "
            "a cycle starts on a Monday"
        )
    return start


def plan_calendar(visits: pd.DataFrame, *, cycle_start: object) -> pd.DataFrame:
    """Map a route plan's visits onto calendar dates.

    Parameters
    ----------
    visits
        Route-plan visits with at least ``rep_id, week, weekday, customer_id`` (week
        1..W; weekday a number, Monday = 0, or a name such as ``"Mon"`` as in
        :class:`territory.routing.RoutePlan`; ``day`` is not used).
    cycle_start
        The Monday on which week 1 starts.

    Returns
    -------
    pandas.DataFrame
        A copy with string ids and a ``date`` column (midnight Timestamps).

    Raises
    ------
    ValidationError
        Missing columns, empty ids, weeks below 1, weekdays outside 0-6, or a
        ``cycle_start`` that is not a Monday.

    Examples
    --------
    >>> visits = pd.DataFrame({"rep_id": ["R1"], "week": [2], "weekday": [4],
    ...                        "customer_id": ["C1"]})
    >>> str(plan_calendar(visits, cycle_start="2026-11-02").loc[0, "date"].date())
    '2026-11-13'
    """
    start = cycle_start_date(cycle_start)
    table = "visits"
    frame = require_frame(visits, table).copy()
    require_columns(frame, table, PLAN_COLUMNS)
    problems = ProblemCollector()
    for column in ("rep_id", "customer_id"):
        frame[column] = id_strings(frame[column])
        check_ids_present(frame, table, column, problems)
    week = pd.Series(
        numeric_column(frame, "week", table=table, problems=problems, allow_negative=True),
        index=frame.index,
    )
    weekday = weekday_numbers(frame["weekday"])
    unreadable = weekday.isna()
    if unreadable.any():
        problems.add(
            table,
            "weekday",
            f"has {int(unreadable.sum())} values that are not weekdays (0-6 or 'Mon'..'Sun')",
            list(frame.loc[unreadable, "customer_id"]),
            id_column="customer_id",
        )
    bad_week = (week < 1) | (week != week.round()) | (week > MAX_WEEKS)
    if bad_week.any():
        problems.add(
            table,
            "week",
            f"has {int(bad_week.sum())} values that are not whole numbers from 1 to {MAX_WEEKS}",
            list(frame.loc[bad_week, "customer_id"]),
            id_column="customer_id",
        )
    bad_day = ~weekday.isin(range(7)) & weekday.notna()  # numbers outside 0-6
    if bad_day.any():
        problems.add(
            table,
            "weekday",
            f"has {int(bad_day.sum())} values outside 0-6 (Monday = 0)",
            list(frame.loc[bad_day, "customer_id"]),
            id_column="customer_id",
        )
    problems.raise_if_any()
    frame["week"] = week.astype(int)
    frame["weekday"] = weekday.astype(int)
    offset = (frame["week"].to_numpy() - 1) * 7 + frame["weekday"].to_numpy()
    frame["date"] = start + pd.to_timedelta(offset, unit="D")
    return frame.reset_index(drop=True)


def weekday_numbers(values: pd.Series) -> pd.Series:
    """Weekdays as floats (Monday = 0) from numbers or names (``"Mon"``, ``"monday"``).

    Values that are neither become NaN.

    Examples
    --------
    >>> weekday_numbers(pd.Series(["Mon", "fri", 2, "x"])).tolist()
    [0.0, 4.0, 2.0, nan]
    """
    names = {name.lower(): float(i) for i, name in enumerate(WEEKDAY_NAMES)}
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    text = values.astype("string").str.strip().str.lower().str[:3]
    by_name = text.map(names).astype(float)
    return numbers.fillna(by_name)


def validate_requirements(requirements: pd.DataFrame) -> pd.DataFrame:
    """Check a grades/requirements table: unique ``customer_id``, ``visits_per_cycle`` ≥ 0.

    ``grade`` is optional (missing grades become ``"(none)"``).
    """
    table = "requirements"
    frame = require_frame(requirements, table).copy()
    require_columns(frame, table, ["customer_id", "visits_per_cycle"])
    problems = ProblemCollector()
    frame["customer_id"] = id_strings(frame["customer_id"])
    check_ids_present(frame, table, "customer_id", problems)
    dup = frame["customer_id"].duplicated(keep=False) & frame["customer_id"].notna()
    if dup.any():
        ids = sorted(set(frame.loc[dup, "customer_id"]))
        problems.add(
            table, "customer_id", f"has {len(ids)} duplicate ids", ids, id_column="customer_id"
        )
    frame["visits_per_cycle"] = numeric_column(
        frame, "visits_per_cycle", table=table, problems=problems
    )
    problems.raise_if_any()
    grade = id_strings(frame["grade"]) if "grade" in frame.columns else None
    frame["grade"] = "(none)" if grade is None else grade.fillna("(none)")
    return frame.reset_index(drop=True)


def known_ids(frame: pd.DataFrame | None, column: str, table: str) -> set[str] | None:
    """The ids in ``frame[column]``, or None when no frame is given."""
    if frame is None:
        return None
    frame = require_frame(frame, table)
    require_columns(frame, table, [column])
    return {v for v in id_strings(frame[column]) if v is not None}


def validate_visit_log(
    log: pd.DataFrame,
    *,
    known_customers: Iterable[str],
    known_reps: Iterable[str],
    start: pd.Timestamp,
    end: pd.Timestamp,
    tz: str | None = None,
) -> pd.DataFrame:
    """Check an executed-visit log against the known ids and the cycle ``[start, end)``.

    Timestamps with a UTC offset (``...Z``, ``...+02:00``, time-zone-aware values) are
    converted to local wall-clock time in ``tz``, or in the zone named by the log's
    ``time_zone`` column, never re-read as local; without either zone they are an
    error. Timestamps without an offset are local already.

    Returns
    -------
    pandas.DataFrame
        A copy with string ids, naive ``timestamp``, a ``date`` column, and ``order``
        (bool or missing) / ``order_value`` (float or missing) columns.

    Raises
    ------
    ValidationError
        Missing columns, empty or unknown ids, unreadable timestamps, timestamps outside
        the cycle, non-boolean orders or negative order values.
    """
    table = "visit_log"
    frame = require_frame(log, table).copy()
    require_columns(frame, table, LOG_COLUMNS)
    problems = ProblemCollector()
    for column in ("customer_id", "rep_id"):
        frame[column] = id_strings(frame[column])
        check_ids_present(frame, table, column, problems)
    check_known(frame["customer_id"], known_customers, table, "customer_id", "customers", problems)
    check_known(frame["rep_id"], known_reps, table, "rep_id", "reps", problems)
    stamps = _local_stamps(frame, table, tz, problems)
    if stamps is None:
        stamps = timestamps(frame, table, "timestamp", "customer_id", problems)
    outside = stamps.notna() & ((stamps < start) | (stamps >= end))
    if outside.any():
        problems.add(
            table,
            "timestamp",
            f"has {int(outside.sum())} visits outside the cycle {start.date()} to "
            f"{(end - pd.Timedelta(days=1)).date()}",
            list(frame.loc[outside, "customer_id"]),
            id_column="customer_id",
        )
    frame["timestamp"] = stamps
    has_order = "order" in frame.columns
    if has_order:
        frame["order"] = bool_column(frame, table, "order", problems)
    if "order_value" in frame.columns:
        values = pd.Series(
            numeric_column(
                frame, "order_value", table=table, problems=problems, allow_missing=True
            ),
            index=frame.index,
        )
        frame["order_value"] = values
        if not has_order:
            frame["order"] = (values.fillna(0.0) > 0).astype(object)
    problems.raise_if_any()
    frame["date"] = frame["timestamp"].dt.normalize()
    return frame.reset_index(drop=True)


#: A UTC offset after a time of day ("10:00+02:00", "10:00:00Z"); a date alone
#: ("2026-11-04") ends in "-04" but has no offset.
_OFFSET = r"\d\d:\d\d(?::\d\d(?:\.\d+)?)?\s*(?:Z|[+-]\d\d(?::?\d\d)?)$"


def _local_stamps(
    frame: pd.DataFrame, table: str, tz: str | None, problems: ProblemCollector
) -> pd.Series | None:
    """Aware log timestamps as naive local times in the plan's zone; None for naive logs."""
    import zoneinfo

    raw = frame["timestamp"]
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        aware = pd.Series(True, index=raw.index)
    elif raw.dtype == object or pd.api.types.is_string_dtype(raw.dtype):
        text = raw.map(lambda v: v.strip() if isinstance(v, str) else None).astype("string")
        aware = text.str.contains(_OFFSET, regex=True, na=False) | raw.map(
            lambda v: getattr(v, "tzinfo", None) is not None
        )
    else:
        return None
    if not aware.any():
        return None
    ids = list(frame["customer_id"])
    if not aware[raw.notna()].all():
        mixed = (~aware & raw.notna()).to_numpy()
        problems.add(
            table,
            "timestamp",
            f"mixes times with and without a UTC offset ({int(mixed.sum())} without)",
            [i for i, m in zip(ids, mixed, strict=True) if m],
            id_column="customer_id",
        )
        return pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
    zone = tz
    if zone is None and "time_zone" in frame.columns:
        zones = frame["time_zone"].dropna().astype(str).unique().tolist()
        if len(zones) == 1:
            zone = zones[0]
        elif len(zones) > 1:
            problems.add(table, "time_zone", f"names {len(zones)} zones; use one per log")
    if zone is None:
        problems.add(
            table,
            "timestamp",
            "has times with a UTC offset but the plan's local zone is unknown: add a "
            "'time_zone' column (for example 'Europe/Helsinki'); plan times are local",
        )
        return pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
    try:
        zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        problems.add(table, "time_zone", f"unknown time zone {zone!r}")
        return pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
    values = pd.to_datetime(raw, utc=True, errors="coerce", format="mixed")
    bad = (values.isna() & raw.notna()).to_numpy()
    if bad.any():
        problems.add(
            table,
            "timestamp",
            f"has {int(bad.sum())} missing or unreadable timestamps",
            [i for i, b in zip(ids, bad, strict=True) if b],
            id_column="customer_id",
        )
    return values.dt.tz_convert(zone).dt.tz_localize(None)


def bool_column(
    frame: pd.DataFrame, table: str, column: str, problems: ProblemCollector
) -> pd.Series:
    """A true/false column (bools, 0/1, ``"yes"``/``"no"``...) as objects, None if missing."""
    truth = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
    out: list[object] = []
    bad: list[object] = []
    for cid, value in zip(frame["customer_id"], frame[column], strict=True):
        if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
            out.append(None)
        elif isinstance(value, bool | np.bool_) or (
            isinstance(value, int | np.integer) and int(value) in (0, 1)
        ):
            out.append(bool(value))
        elif isinstance(value, str) and value.strip().lower() in truth:
            out.append(truth[value.strip().lower()])
        else:
            out.append(None)
            bad.append(cid)
    if bad:
        problems.add(
            table,
            column,
            f"has {len(bad)} values that are not true/false",
            bad,
            id_column="customer_id",
        )
    return pd.Series(out, index=frame.index, dtype=object)
