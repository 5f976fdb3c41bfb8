"""Input tables: schemas, validation and normalisation.

territory takes three tables, as pandas or GeoPandas frames:

``customers``
    ``customer_id`` (unique), a location -- ``lon``/``lat`` in WGS84 degrees, or point
    geometry in a GeoDataFrame with a CRS (reprojected to WGS84) -- and optionally
    ``kind`` (``"dealer"`` or ``"store"``), ``dealer_id`` (the dealer that supplies the
    store, empty when supplied directly), ``key_account`` (bool: a main store that a
    company rep may serve even when a dealer supplies it), ``locked_rep_id`` (the rep who
    must serve it), ``opens``/``closes`` (``"HH:MM"`` or minutes after midnight),
    ``service_minutes``, ``visits_per_cycle``, ``min_gap_days``, ``allowed_days``
    (weekdays, e.g. ``"Mon,Wed"``), ``rep_id``, ``grade`` and any attribute grading needs
    (``potential``, ``relationship``, ...). Who may serve which customer is decided by
    :mod:`territory.eligibility`.
``reps``
    ``rep_id`` (unique), ``kind`` (``"company"`` or ``"dealer"``), ``dealer_id`` for a
    dealer's reps, home location ``home_lon``/``home_lat`` (or point geometry),
    ``day_start``/``day_end``, ``weekdays`` (default Monday to Friday), optional
    ``lunch_start``/``lunch_minutes``, ``supervisor_id`` (a dealer rep: the company rep
    who manages it, which must be in the table; a company rep: its area manager, who may
    be a company rep of the table or someone outside it) and
    ``min_visits_per_day``/``max_visits_per_day`` (whole numbers; a planned day with
    visits has at least the minimum and at most the maximum).
``dealers``
    ``dealer_id`` (unique), ``name``, ``lon``/``lat`` (or point geometry).

Each ``validate_*`` function collects every problem and raises one
:class:`~territory.errors.ValidationError` naming the table, the column and up to five
offending ids. It never modifies its input: it returns a normalised copy (a plain
pandas DataFrame, times as float minutes after midnight, weekdays as tuples of ints
with Monday = 0).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from territory.errors import ProblemCollector, ValidationError

__all__ = [
    "MAX_MIN_GAP_DAYS",
    "MAX_VISITS_PER_CYCLE",
    "MAX_VISITS_PER_DAY",
    "MINUTES_PER_DAY",
    "WEEKDAY_NAMES",
    "check_unique_columns",
    "format_time",
    "parse_time",
    "parse_weekdays",
    "supervisor_cycles",
    "validate_customers",
    "validate_dealers",
    "validate_reps",
]

WEEKDAY_NAMES: tuple[str, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_WEEKDAY_INDEX = {name.lower(): i for i, name in enumerate(WEEKDAY_NAMES)}
_WEEKDAY_FULL = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

#: Minutes in a day: times of day lie in ``[0, MINUTES_PER_DAY]``, and so does any duration
#: of a single visit or lunch break.
MINUTES_PER_DAY = 24 * 60
#: Largest ``visits_per_cycle`` accepted (a visit a day for almost three years).
MAX_VISITS_PER_CYCLE = 1000
#: Largest ``min_gap_days`` accepted (a year; any gap longer than the cycle is infeasible).
MAX_MIN_GAP_DAYS = 366
#: Largest ``min_visits_per_day``/``max_visits_per_day`` accepted (a visit a minute).
MAX_VISITS_PER_DAY = MINUTES_PER_DAY
_TIME_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*$")

CUSTOMER_KINDS = ("dealer", "store")
REP_KINDS = ("company", "dealer")
DEFAULT_WEEKDAYS: tuple[int, ...] = (0, 1, 2, 3, 4)


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


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
    if _is_missing(value):
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
    if _is_missing(minutes):
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
    if _is_missing(value):
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


# --------------------------------------------------------------------------- helpers


def _ids_where(ids: pd.Series, mask: np.ndarray | pd.Series) -> list[object]:
    return list(ids[np.asarray(mask, dtype=bool)])


def _to_plain_frame(
    frame: pd.DataFrame,
    *,
    table: str,
    lon: str,
    lat: str,
    problems: ProblemCollector,
    id_column: str,
) -> pd.DataFrame:
    """Copy ``frame`` into a plain DataFrame with float ``lon``/``lat`` columns."""
    if not isinstance(frame, pd.DataFrame):
        raise ValidationError(f"{table}: expected a pandas DataFrame, got {type(frame).__name__}")
    geometry_name = getattr(frame, "_geometry_column_name", None)
    has_geometry = geometry_name is not None and geometry_name in frame.columns
    ids = frame[id_column] if id_column in frame.columns else pd.Series(frame.index)
    if has_geometry and (lon not in frame.columns or lat not in frame.columns):
        geometry = frame.geometry
        out = pd.DataFrame(frame.drop(columns=[geometry_name]))
        if geometry.crs is None:
            problems.add(
                table,
                str(geometry_name),
                "has no CRS; set one (for example EPSG:4326) so that points can be located",
            )
            out[lon] = np.nan
            out[lat] = np.nan
            return out
        missing = geometry.isna() | geometry.is_empty
        not_point = ~missing & (geometry.geom_type != "Point")
        if not_point.any():
            problems.add(
                table,
                str(geometry_name),
                f"has {int(not_point.sum())} non-point geometries",
                _ids_where(ids, not_point),
                id_column=id_column,
            )
        if geometry.crs.to_epsg() != 4326:
            geometry = geometry.to_crs(4326)
        good = ~missing & ~not_point
        xs = np.full(len(frame), np.nan)
        ys = np.full(len(frame), np.nan)
        xs[good.to_numpy()] = geometry[good].x.to_numpy()
        ys[good.to_numpy()] = geometry[good].y.to_numpy()
        out[lon] = xs
        out[lat] = ys
        return out
    out = pd.DataFrame(frame.drop(columns=[geometry_name])) if has_geometry else frame.copy()
    return pd.DataFrame(out)


def _check_required(
    frame: pd.DataFrame, table: str, columns: Sequence[str], problems: ProblemCollector
) -> bool:
    missing = [c for c in columns if c not in frame.columns]
    for column in missing:
        problems.add(table, column, "is missing")
    return not missing


def _check_ids(frame: pd.DataFrame, table: str, id_column: str, problems: ProblemCollector) -> None:
    ids = frame[id_column]
    empty = ids.isna() | (ids.astype(str).str.strip() == "")
    if empty.any():
        problems.add(
            table,
            id_column,
            f"has {int(empty.sum())} empty ids",
            [f"row {i}" for i in np.flatnonzero(empty.to_numpy())],
            id_column="row",
        )
    duplicated = ids.duplicated(keep=False) & ~empty
    if duplicated.any():
        dupes = list(dict.fromkeys(ids[duplicated]))
        problems.add(
            table, id_column, f"has {len(dupes)} duplicate ids", dupes, id_column=id_column
        )


def _check_coordinates(
    frame: pd.DataFrame,
    table: str,
    lon: str,
    lat: str,
    id_column: str,
    problems: ProblemCollector,
) -> None:
    ids = frame[id_column]
    for column, limit in ((lon, 180.0), (lat, 90.0)):
        values = pd.to_numeric(frame[column], errors="coerce")
        non_numeric = values.isna() & frame[column].notna()
        if non_numeric.any():
            problems.add(
                table,
                column,
                f"has {int(non_numeric.sum())} non-numeric values",
                _ids_where(ids, non_numeric),
                id_column=id_column,
            )
        missing = frame[column].isna()
        if missing.any():
            problems.add(
                table,
                column,
                f"has {int(missing.sum())} missing values",
                _ids_where(ids, missing),
                id_column=id_column,
            )
        out_of_range = values.abs() > limit
        if out_of_range.any():
            problems.add(
                table,
                column,
                f"has {int(out_of_range.sum())} values outside [-{limit:g}, {limit:g}]",
                _ids_where(ids, out_of_range),
                id_column=id_column,
            )
        frame[column] = values.astype(float)


def _check_number(
    frame: pd.DataFrame,
    table: str,
    column: str,
    id_column: str,
    problems: ProblemCollector,
    *,
    integer: bool = False,
    required_value: bool = False,
    maximum: float | None = None,
    unit: str = "",
) -> None:
    """Check that ``column`` holds finite numbers in ``[0, maximum]``; store them as floats.

    Non-numeric, missing (when ``required_value``), infinite, negative, too large and (when
    ``integer``) fractional values are each recorded as one problem naming the ids.
    """
    if column not in frame.columns:
        return
    ids = frame[id_column]
    raw = frame[column]
    values = pd.to_numeric(raw, errors="coerce").astype(float)
    non_numeric = values.isna() & raw.notna()
    if non_numeric.any():
        problems.add(
            table,
            column,
            f"has {int(non_numeric.sum())} non-numeric values",
            _ids_where(ids, non_numeric),
            id_column=id_column,
        )
    if required_value:
        missing = raw.isna()
        if missing.any():
            problems.add(
                table,
                column,
                f"has {int(missing.sum())} missing values",
                _ids_where(ids, missing),
                id_column=id_column,
            )
    infinite = np.isinf(values.to_numpy())
    if infinite.any():
        problems.add(
            table,
            column,
            f"has {int(infinite.sum())} infinite values",
            _ids_where(ids, infinite),
            id_column=id_column,
        )
    finite = values.where(~infinite)
    negative = finite < 0
    if negative.any():
        problems.add(
            table,
            column,
            f"has {int(negative.sum())} negative values",
            _ids_where(ids, negative),
            id_column=id_column,
        )
    if maximum is not None:
        too_large = finite > maximum
        if too_large.any():
            problems.add(
                table,
                column,
                f"has {int(too_large.sum())} values above the limit of {maximum:g}{unit}",
                _ids_where(ids, too_large),
                id_column=id_column,
            )
    if integer:
        fractional = finite.notna() & (finite != finite.round())
        if fractional.any():
            problems.add(
                table,
                column,
                f"has {int(fractional.sum())} non-integer values",
                _ids_where(ids, fractional),
                id_column=id_column,
            )
    frame[column] = values


def _parse_times(
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
            _ids_where(frame[id_column], outside),
            id_column=id_column,
        )
    frame[column] = pd.Series(values, index=frame.index, dtype=float)


def _parse_column(
    frame: pd.DataFrame,
    table: str,
    column: str,
    id_column: str,
    problems: ProblemCollector,
    parser: Any,
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


def _check_window(
    frame: pd.DataFrame,
    table: str,
    start: str,
    end: str,
    id_column: str,
    problems: ProblemCollector,
) -> None:
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
            _ids_where(frame[id_column], wrong),
            id_column=id_column,
        )


def check_unique_columns(frame: object, table: str) -> None:
    """Refuse a table whose column names repeat (pandas would pick one of them silently).

    Parameters
    ----------
    frame
        The table (anything else is left to the caller's own checks).
    table
        Its name, for the message.

    Raises
    ------
    ValidationError
        Naming the repeated columns.

    Examples
    --------
    >>> check_unique_columns(pd.DataFrame([[1, 2]], columns=["a", "a"]), "reps")
    Traceback (most recent call last):
    ...
    territory.errors.ValidationError: reps: column 'a' appears 2 times; column names must be unique
    """
    if not isinstance(frame, pd.DataFrame):
        return
    counts = pd.Series(frame.columns.map(str)).value_counts(sort=False)
    repeated = counts[counts > 1]
    if len(repeated):
        raise ValidationError(
            [
                f"{table}: column '{name}' appears {int(n)} times; column names must be unique"
                for name, n in repeated.items()
            ]
        )


def _normalise_ids(frame: pd.DataFrame, column: str) -> None:
    """Turn an id column into strings, keeping missing values missing."""
    if column in frame.columns:
        values = frame[column]
        text = values.astype(object).where(values.isna(), values.astype(str).str.strip())
        text = text.where(text != "", None)
        frame[column] = pd.Series(
            [None if _is_missing(v) else v for v in text], index=frame.index, dtype=object
        )


def _check_known(
    frame: pd.DataFrame,
    table: str,
    column: str,
    known: Iterable[object],
    id_column: str,
    problems: ProblemCollector,
    what: str,
) -> None:
    if column not in frame.columns:
        return
    known_set = set(known)
    values = frame[column]
    unknown = values.notna() & ~values.isin(known_set)
    if unknown.any():
        problems.add(
            table,
            column,
            f"has {int(unknown.sum())} values that no {what} has "
            f"(values: {', '.join(sorted(map(str, set(values[unknown]))))[:200]})",
            _ids_where(frame[id_column], unknown),
            id_column=id_column,
        )


def _check_choice(
    frame: pd.DataFrame,
    table: str,
    column: str,
    choices: Sequence[str],
    id_column: str,
    problems: ProblemCollector,
) -> None:
    if column not in frame.columns:
        return
    values = frame[column].astype(object).where(frame[column].notna(), None)
    lowered = pd.Series(
        [v.strip().lower() if isinstance(v, str) else v for v in values],
        index=frame.index,
        dtype=object,
    )
    bad = ~lowered.isin(choices)
    if bad.any():
        problems.add(
            table,
            column,
            f"has {int(bad.sum())} values not in {{{', '.join(choices)}}}",
            _ids_where(frame[id_column], bad),
            id_column=id_column,
        )
    frame[column] = lowered


# --------------------------------------------------------------------------- public API


def validate_dealers(dealers: pd.DataFrame) -> pd.DataFrame:
    """Validate and normalise the dealers table.

    Parameters
    ----------
    dealers
        ``dealer_id``, optional ``name``, and ``lon``/``lat`` or point geometry.

    Returns
    -------
    pandas.DataFrame
        A normalised copy.

    Raises
    ------
    ValidationError
        Listing every problem found.
    """
    table, id_column = "dealers", "dealer_id"
    problems = ProblemCollector()
    check_unique_columns(dealers, table)
    if not isinstance(dealers, pd.DataFrame) or id_column not in dealers.columns:
        _check_required(
            pd.DataFrame(dealers) if isinstance(dealers, pd.DataFrame) else pd.DataFrame(),
            table,
            [id_column],
            problems,
        )
        problems.raise_if_any()
    frame = _to_plain_frame(
        dealers, table=table, lon="lon", lat="lat", problems=problems, id_column=id_column
    )
    _normalise_ids(frame, id_column)
    if _check_required(frame, table, [id_column, "lon", "lat"], problems):
        _check_ids(frame, table, id_column, problems)
        _check_coordinates(frame, table, "lon", "lat", id_column, problems)
    problems.raise_if_any()
    return frame.reset_index(drop=True)


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
    frame = _to_plain_frame(
        customers, table=table, lon="lon", lat="lat", problems=problems, id_column=id_column
    )
    for column in (id_column, "dealer_id", "rep_id", "locked_rep_id"):
        _normalise_ids(frame, column)
    if not _check_required(frame, table, [id_column, "lon", "lat", *require], problems):
        problems.raise_if_any()
    _check_ids(frame, table, id_column, problems)
    _check_coordinates(frame, table, "lon", "lat", id_column, problems)
    _check_choice(frame, table, "kind", CUSTOMER_KINDS, id_column, problems)
    _check_flag(frame, table, "key_account", id_column, problems)
    _check_number(
        frame, table, "service_minutes", id_column, problems, maximum=MINUTES_PER_DAY, unit=" min"
    )
    _check_number(
        frame, table, "min_gap_days", id_column, problems, maximum=MAX_MIN_GAP_DAYS, unit=" days"
    )
    _check_number(
        frame,
        table,
        "visits_per_cycle",
        id_column,
        problems,
        integer=True,
        required_value=True,
        maximum=MAX_VISITS_PER_CYCLE,
    )
    for column in ("opens", "closes"):
        _parse_times(frame, table, column, id_column, problems)
    _check_window(frame, table, "opens", "closes", id_column, problems)
    if "allowed_days" in frame.columns:
        _parse_column(
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
        _check_known(
            frame, table, "dealer_id", _ids_of(dealers, "dealer_id"), id_column, problems, "dealer"
        )
    if reps is not None:
        known_reps = _ids_of(reps, "rep_id")
        for column in ("rep_id", "locked_rep_id"):
            _check_known(frame, table, column, known_reps, id_column, problems, "rep")
    problems.raise_if_any()
    return frame.reset_index(drop=True)


def validate_reps(
    reps: pd.DataFrame,
    *,
    dealers: pd.DataFrame | None = None,
    require: Sequence[str] = (),
) -> pd.DataFrame:
    """Validate and normalise the reps table.

    Parameters
    ----------
    reps
        The reps; see the module docstring for the columns. Without a ``kind`` column,
        reps with a ``dealer_id`` are ``"dealer"`` reps and the others ``"company"``;
        ``weekdays`` defaults to Monday-Friday, ``day_start``/``day_end`` to 08:00-17:00.
    dealers
        When given, every dealer rep's ``dealer_id`` must name one of its dealers.
    require
        Extra columns this caller needs.

    Returns
    -------
    pandas.DataFrame
        A normalised copy with float ``home_lon``/``home_lat``, times in minutes and
        ``weekdays`` as tuples of weekday numbers.

    Raises
    ------
    ValidationError
        Listing every problem found.
    """
    table, id_column = "reps", "rep_id"
    problems = ProblemCollector()
    if not isinstance(reps, pd.DataFrame):
        raise ValidationError(f"{table}: expected a pandas DataFrame, got {type(reps).__name__}")
    check_unique_columns(reps, table)
    if id_column not in reps.columns:
        problems.add(table, id_column, "is missing")
        problems.raise_if_any()
    frame = _to_plain_frame(
        reps, table=table, lon="home_lon", lat="home_lat", problems=problems, id_column=id_column
    )
    for column in (id_column, "dealer_id", "supervisor_id"):
        _normalise_ids(frame, column)
    if not _check_required(frame, table, [id_column, "home_lon", "home_lat", *require], problems):
        problems.raise_if_any()
    _check_ids(frame, table, id_column, problems)
    _check_coordinates(frame, table, "home_lon", "home_lat", id_column, problems)
    if "kind" not in frame.columns:  # a rep with a dealer works for that dealer
        employed = frame["dealer_id"].notna() if "dealer_id" in frame.columns else False
        frame["kind"] = np.where(employed, "dealer", "company")
    _check_choice(frame, table, "kind", REP_KINDS, id_column, problems)
    if "dealer_id" not in frame.columns:
        frame["dealer_id"] = pd.Series([None] * len(frame), index=frame.index, dtype=object)
    needs_dealer = (frame["kind"] == "dealer") & frame["dealer_id"].isna()
    if needs_dealer.any():
        problems.add(
            table,
            "dealer_id",
            f"is empty for {int(needs_dealer.sum())} dealer reps",
            _ids_where(frame[id_column], needs_dealer),
            id_column=id_column,
        )
    for column, default in (("day_start", 8 * 60.0), ("day_end", 17 * 60.0)):
        if column not in frame.columns:
            frame[column] = default
        _parse_times(frame, table, column, id_column, problems)
        frame[column] = frame[column].fillna(default)
    _check_window(frame, table, "day_start", "day_end", id_column, problems)
    _parse_column(
        frame,
        table,
        "weekdays",
        id_column,
        problems,
        parse_weekdays,
        "weekdays",
        default=DEFAULT_WEEKDAYS,
    )
    _parse_times(frame, table, "lunch_start", id_column, problems)
    _check_number(
        frame, table, "lunch_minutes", id_column, problems, maximum=MINUTES_PER_DAY, unit=" min"
    )
    _check_lunch(frame, table, id_column, problems)
    _check_daily_limits(frame, table, id_column, problems)
    _check_supervisors(frame, table, id_column, problems)
    if dealers is not None:
        _check_known(
            frame, table, "dealer_id", _ids_of(dealers, "dealer_id"), id_column, problems, "dealer"
        )
    problems.raise_if_any()
    return frame.reset_index(drop=True)


def _check_flag(
    frame: pd.DataFrame, table: str, column: str, id_column: str, problems: ProblemCollector
) -> None:
    """Parse a yes/no column (bools, 0/1, ``"true"``/``"no"``...); missing means no."""
    if column not in frame.columns:
        return
    truthy = {"true", "t", "yes", "y", "1", "1.0"}
    falsy = {"false", "f", "no", "n", "0", "0.0", ""}
    parsed: list[bool] = []
    bad: list[object] = []
    for rid, value in zip(frame[id_column], frame[column], strict=True):
        if _is_missing(value):
            parsed.append(False)
        elif isinstance(value, bool | np.bool_ | int | float | np.integer | np.floating) and (
            value in (0, 1)
        ):
            parsed.append(bool(value))
        elif isinstance(value, str) and value.strip().lower() in truthy | falsy:
            parsed.append(value.strip().lower() in truthy)
        else:
            bad.append(rid)
            parsed.append(False)
    if bad:
        problems.add(
            table,
            column,
            f"has {len(bad)} values that are not yes/no (true/false, 1/0)",
            bad,
            id_column=id_column,
        )
    frame[column] = pd.Series(parsed, index=frame.index, dtype=bool)


def _check_daily_limits(
    frame: pd.DataFrame, table: str, id_column: str, problems: ProblemCollector
) -> None:
    """``min_visits_per_day`` and ``max_visits_per_day``: whole numbers, minimum <= maximum."""
    low, high = "min_visits_per_day", "max_visits_per_day"
    for column in (low, high):
        _check_number(
            frame, table, column, id_column, problems, integer=True, maximum=MAX_VISITS_PER_DAY
        )
    if high in frame.columns:
        zero = frame[high] == 0
        if zero.any():
            problems.add(
                table,
                high,
                f"is 0 for {int(zero.sum())} reps, who could then visit no one; leave it empty "
                "for no limit, or remove the rep",
                _ids_where(frame[id_column], zero),
                id_column=id_column,
            )
    if low in frame.columns and high in frame.columns:
        above = frame[low] > frame[high]
        if above.any():
            problems.add(
                table,
                low,
                f"is above '{high}' for {int(above.sum())} reps",
                _ids_where(frame[id_column], above),
                id_column=id_column,
            )


def _check_supervisors(
    frame: pd.DataFrame, table: str, id_column: str, problems: ProblemCollector
) -> None:
    """A dealer rep's supervisor is a company rep of the table; no chain of supervisors loops.

    A company rep's supervisor is its area manager: a company rep of the table, or a
    person outside it (then it is only a name). A dealer rep never supervises anyone.
    """
    column = "supervisor_id"
    if column not in frame.columns:
        return
    ids = [r for r in frame[id_column] if r is not None]  # empty ids are reported already
    kind = {r: k for r, k in zip(frame[id_column], frame["kind"], strict=True) if r is not None}
    boss = {r: b for r, b in zip(frame[id_column], frame[column], strict=True) if r is not None}
    missing = [
        r for r in ids if kind[r] == "dealer" and boss[r] is not None and boss[r] not in kind
    ]
    if missing:
        problems.add(
            table,
            column,
            f"names, for {len(missing)} dealer reps, supervisors that are not in the reps table "
            "(a dealer rep is managed by a company rep of the table)",
            missing,
            id_column=id_column,
        )
    by_dealer = [r for r in ids if boss[r] in kind and kind[boss[r]] == "dealer"]
    if by_dealer:
        problems.add(
            table,
            column,
            f"names a dealer rep as the supervisor of {len(by_dealer)} reps (supervisors are "
            "company reps or, for company reps, area managers)",
            by_dealer,
            id_column=id_column,
        )
    looped = supervisor_cycles(boss)
    if looped:
        problems.add(
            table,
            column,
            f"forms {len(looped)} cycles of supervisors "
            f"({'; '.join(' -> '.join([*c, c[0]]) for c in looped[:3])})",
            [r for c in looped for r in c],
            id_column=id_column,
        )


def supervisor_cycles(boss: dict[Any, Any]) -> list[list[Any]]:
    """The cycles in a rep -> supervisor mapping (each listed once, from its first rep).

    Parameters
    ----------
    boss
        Supervisor of every rep (``None``, or a name outside the mapping, ends a chain).

    Returns
    -------
    list of list
        Each cycle as the reps on it, in supervision order.

    Examples
    --------
    >>> supervisor_cycles({"a": "b", "b": "a", "c": "a", "d": None})
    [['a', 'b']]
    """
    state: dict[Any, int] = {}  # 1 on the current path, 2 done
    cycles: list[list[Any]] = []
    for start in boss:
        path: list[Any] = []
        node = start
        while node in boss and node not in state:
            state[node] = 1
            path.append(node)
            node = boss[node]
        if node in state and state[node] == 1:
            cycles.append(path[path.index(node) :])
        for visited in path:
            state[visited] = 2
    return cycles


def _check_lunch(
    frame: pd.DataFrame, table: str, id_column: str, problems: ProblemCollector
) -> None:
    """A lunch break ends by midnight."""
    if "lunch_start" not in frame.columns or "lunch_minutes" not in frame.columns:
        return
    start = frame["lunch_start"].to_numpy(dtype=float)
    length = frame["lunch_minutes"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        late = np.isfinite(start) & np.isfinite(length) & (start + length > MINUTES_PER_DAY)
    if late.any():
        problems.add(
            table,
            "lunch_minutes",
            f"runs past midnight (lunch_start + lunch_minutes > 24:00) in {int(late.sum())} rows",
            _ids_where(frame[id_column], late),
            id_column=id_column,
        )


def _ids_of(frame: pd.DataFrame, column: str) -> set[object]:
    if column not in frame.columns:
        raise ValidationError(f"{column.split('_')[0]}s: column '{column}' is missing")
    return {str(v).strip() for v in frame[column] if not _is_missing(v)}
