"""Shared helpers of the review: input checks, month arithmetic and JSON-safe output."""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Iterable, Sequence
from datetime import date

import numpy as np
import pandas as pd

from territory.errors import ProblemCollector, ValidationError
from territory.tables import check_unique_columns

_MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def is_month(value: object) -> bool:
    """Whether ``value`` is a month written ``"YYYY-MM"``."""
    return isinstance(value, str) and bool(_MONTH_RE.match(value))


def shift_month(month: str, months: int) -> str:
    """``month`` (``"YYYY-MM"``) moved by ``months`` months.

    Examples
    --------
    >>> shift_month("2026-01", -1)
    '2025-12'
    """
    year, mon = int(month[:4]), int(month[5:7])
    index = year * 12 + (mon - 1) + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def quarter_of(month: str) -> str:
    """The quarter (``"YYYYQn"``) of a month.

    Examples
    --------
    >>> quarter_of("2026-08")
    '2026Q3'
    """
    return f"{month[:4]}Q{(int(month[5:7]) - 1) // 3 + 1}"


def require_frame(frame: object, table: str) -> pd.DataFrame:
    """``frame`` as a DataFrame, or a ValidationError naming ``table``."""
    if not isinstance(frame, pd.DataFrame):
        raise ValidationError(f"{table}: expected a pandas DataFrame, got {type(frame).__name__}")
    check_unique_columns(frame, table)
    return frame


def require_columns(frame: pd.DataFrame, table: str, columns: Sequence[str]) -> None:
    """Raise one ValidationError listing every required column that is missing."""
    problems = ProblemCollector()
    for column in columns:
        if column not in frame.columns:
            problems.add(table, column, "is missing")
    problems.raise_if_any()


def id_strings(values: pd.Series) -> pd.Series:
    """Ids as stripped strings (object dtype); missing and empty values become ``None``.

    Examples
    --------
    >>> id_strings(pd.Series([" C1", None, 7, ""])).tolist()
    ['C1', None, '7', None]
    """
    if values.dtype.kind in "iu":
        text = values.astype(str)
    else:
        text = values.astype("string").str.strip()
        text = text.where(text != "")
    out = text.astype(object)
    return out.where(text.notna(), None).astype(object)


def month_mask(values: pd.Series) -> pd.Series:
    """Whether each value is a month written ``"YYYY-MM"`` (vectorised :func:`is_month`)."""
    text = values.astype("string")
    return text.str.fullmatch(_MONTH_RE.pattern.strip("^$")).fillna(False).astype(bool)


def check_ids_present(
    frame: pd.DataFrame, table: str, column: str, problems: ProblemCollector
) -> None:
    """Record rows whose id in ``column`` is empty."""
    empty = frame[column].isna().to_numpy()
    if empty.any():
        problems.add(
            table,
            column,
            f"has {int(empty.sum())} empty values",
            [f"row {i}" for i in np.flatnonzero(empty)],
            id_column="row",
        )


def check_known(
    values: pd.Series,
    known: Iterable[object],
    table: str,
    column: str,
    what: str,
    problems: ProblemCollector,
) -> None:
    """Record values of ``column`` that are not among ``known``."""
    known_set = set(known)
    unknown = values.notna() & ~values.isin(known_set)
    if unknown.any():
        ids = list(dict.fromkeys(values[unknown]))
        problems.add(
            table,
            column,
            f"names {len(ids)} unknown {what}",
            sorted(map(str, ids)),
            id_column=column,
        )


def numeric_column(
    frame: pd.DataFrame,
    table: str,
    column: str,
    id_column: str,
    problems: ProblemCollector,
    *,
    nonnegative: bool = False,
) -> pd.Series:
    """``column`` as floats; records non-numeric, missing, infinite and negative values."""
    raw = frame[column]
    values = pd.to_numeric(raw, errors="coerce").astype(float)
    ids = frame[id_column] if id_column in frame.columns else pd.Series(frame.index)
    bad = values.isna() & raw.notna()
    if bad.any():
        problems.add(
            table,
            column,
            f"has {int(bad.sum())} non-numeric values",
            list(ids[bad.to_numpy()]),
            id_column=id_column,
        )
    missing = raw.isna()
    if missing.any():
        problems.add(
            table,
            column,
            f"has {int(missing.sum())} missing values",
            list(ids[missing.to_numpy()]),
            id_column=id_column,
        )
    infinite = np.isinf(values.to_numpy())
    if infinite.any():
        problems.add(
            table,
            column,
            f"has {int(infinite.sum())} infinite values",
            list(ids[infinite]),
            id_column=id_column,
        )
    if nonnegative:  # negative values are a problem only when asked
        negative = values < 0
        if negative.any():
            problems.add(
                table,
                column,
                f"has {int(negative.sum())} negative values",
                list(ids[negative.to_numpy()]),
                id_column=id_column,
            )
    return values


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
        with warnings.catch_warnings():  # odd values: pandas parses them one by one, fine
            warnings.filterwarnings("ignore", "Could not infer format", UserWarning)
            values = pd.to_datetime(raw, errors="coerce")
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


def ratio(numerator: pd.Series | np.ndarray, denominator: pd.Series | np.ndarray) -> np.ndarray:
    """Element-wise ``numerator / denominator``; NaN where the denominator is 0 or missing."""
    num = np.asarray(numerator, dtype=float)
    den = np.asarray(denominator, dtype=float)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    ok = np.isfinite(den) & (den != 0)
    np.divide(num, den, out=out, where=ok)
    return out


def percent(value: object) -> str:
    """``0.8`` as ``"80.0 %"``; missing as ``"n/a"``."""
    if value is None or not isinstance(value, int | float | np.number) or math.isnan(float(value)):
        return "n/a"
    return f"{100 * float(value):.1f} %"
