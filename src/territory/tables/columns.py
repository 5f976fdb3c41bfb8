"""Column checks shared by every table: frames, ids, numbers, choices, flags.

Each check records what it finds in a :class:`~territory.errors.ProblemCollector` (one
problem per kind of fault, naming the table, the column and the offending ids), so that
a validator reports every problem of a table at once. :func:`numeric_column` is *the*
check of a numeric column: every stage reads its numbers through it, so "has 3 negative
values (customer_id: 'C17', 'C22', 'C40')" reads the same everywhere.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from territory.errors import ProblemCollector, ValidationError

__all__ = [
    "check_choice",
    "check_flag",
    "check_id_column",
    "check_ids_present",
    "check_known",
    "check_known_ids",
    "check_required",
    "check_total_finite",
    "check_unique_columns",
    "id_strings",
    "ids_of",
    "ids_where",
    "is_missing",
    "normalise_ids",
    "normalise_numbers",
    "numeric_column",
    "positions_of",
    "require_columns",
    "require_frame",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def is_missing(value: object) -> bool:
    """Whether one value is missing (None, NA, NaT or NaN).

    Examples
    --------
    >>> is_missing(float("nan")), is_missing(0)
    (True, False)
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def ids_where(ids: pd.Series, mask: NDArray[np.bool_] | pd.Series) -> list[object]:
    """The distinct ids of the rows where ``mask`` holds, in row order."""
    where = np.asarray(mask, dtype=bool)
    return list(pd.unique(ids.to_numpy(dtype=object)[where]))


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


def require_frame(frame: object, table: str) -> pd.DataFrame:
    """``frame`` as a DataFrame with unique column names, or a ValidationError naming ``table``."""
    if not isinstance(frame, pd.DataFrame):
        raise ValidationError(f"{table}: expected a pandas DataFrame, got {type(frame).__name__}")
    check_unique_columns(frame, table)
    return frame


def check_required(
    frame: pd.DataFrame, table: str, columns: Sequence[str], problems: ProblemCollector
) -> bool:
    """Record every column of ``columns`` that ``frame`` lacks; True when none is missing."""
    missing = [c for c in dict.fromkeys(columns) if c not in frame.columns]
    for column in missing:
        problems.add(table, column, "is missing")
    return not missing


def require_columns(frame: pd.DataFrame, table: str, columns: Sequence[str]) -> None:
    """Raise one ValidationError listing every required column that is missing."""
    problems = ProblemCollector()
    check_required(frame, table, columns, problems)
    problems.raise_if_any()


def normalise_ids(frame: pd.DataFrame, column: str) -> None:
    """Turn an id column into stripped strings in place, keeping missing values missing."""
    if column in frame.columns:
        values = frame[column]
        text = values.astype(object).where(values.isna(), values.astype(str).str.strip())
        text = text.where(text != "", None)
        frame[column] = pd.Series(
            [None if is_missing(v) else v for v in text], index=frame.index, dtype=object
        )


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


def check_id_column(
    frame: pd.DataFrame, table: str, id_column: str, problems: ProblemCollector
) -> None:
    """Record empty ids (by row number) and duplicate ids of a table's own id column."""
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


def check_ids_present(
    frame: pd.DataFrame, table: str, column: str, problems: ProblemCollector
) -> None:
    """Record rows whose id in ``column`` is empty (by row number)."""
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
    """Record the values of ``column`` that are not among ``known``, naming those values."""
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


def check_known_ids(
    frame: pd.DataFrame,
    table: str,
    column: str,
    known: Iterable[object],
    id_column: str,
    problems: ProblemCollector,
    what: str,
) -> None:
    """Record rows whose ``column`` names no known ``what``: the values and the row ids."""
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
            ids_where(frame[id_column], unknown),
            id_column=id_column,
        )


def numeric_column(
    frame: pd.DataFrame,
    column: str,
    *,
    table: str,
    problems: ProblemCollector,
    id_column: str = "customer_id",
    ids: pd.Series | None = None,
    allow_missing: bool = False,
    allow_negative: bool = False,
    integer: bool = False,
    maximum: float | None = None,
    unit: str = "",
) -> FloatArray:
    """A column as floats; records every kind of bad value, each as one problem.

    Non-numeric values, missing values (unless ``allow_missing``), infinite values,
    negative values (unless ``allow_negative``; ``-inf`` counts as infinite only),
    values above ``maximum`` and, with ``integer``, fractional values are each recorded
    as one problem naming the table, the column and the ids of the rows.

    Parameters
    ----------
    frame
        The table.
    column
        The column to read (it must exist).
    table
        Table name, for messages.
    problems
        Where problems are recorded.
    id_column
        Name of the row ids, for messages.
    ids
        Row ids aligned with ``frame``; default ``frame[id_column]`` (the row index,
        named ``row``, when the table has no such column).
    allow_missing
        Whether missing values are fine (they stay NaN).
    allow_negative
        Whether negative values are fine (returns, deltas...).
    integer
        Whether values must be whole numbers.
    maximum
        Largest finite value accepted.
    unit
        Unit shown after ``maximum`` in the message (``" min"``).

    Returns
    -------
    numpy.ndarray
        float64 values (NaN where missing or non-numeric).

    Examples
    --------
    >>> problems = ProblemCollector()
    >>> frame = pd.DataFrame({"customer_id": ["C1", "C2"], "sales": [-1.0, "x"]})
    >>> numeric_column(frame, "sales", table="sales", problems=problems).tolist()
    [-1.0, nan]
    >>> problems.raise_if_any()
    Traceback (most recent call last):
    ...
    territory.errors.ValidationError: 2 problems in the input:
    - sales: column 'sales' has 1 non-numeric values (customer_id: 'C2')
    - sales: column 'sales' has 1 negative values (customer_id: 'C1')
    """
    raw = frame[column]
    if ids is None and id_column in frame.columns:
        ids = frame[id_column]
    elif ids is None:  # no id column: name the rows by their index
        ids, id_column = pd.Series(frame.index), "row"
    if pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype):
        values = raw.to_numpy(dtype=float, na_value=np.nan)
        non_numeric = np.zeros(len(values), dtype=bool)
    else:
        converted = pd.to_numeric(raw, errors="coerce")
        values = np.asarray(converted.to_numpy(dtype=float, na_value=np.nan), dtype=float)
        non_numeric = np.isnan(values) & raw.notna().to_numpy()
    infinite = np.isinf(values)
    with np.errstate(invalid="ignore"):
        faults = [
            (non_numeric, "non-numeric values"),
            (np.isnan(values) & ~non_numeric & (not allow_missing), "missing values"),
            (infinite, "infinite values"),
            (~infinite & (values < 0) & (not allow_negative), "negative values"),
        ]
        if maximum is not None:
            faults.append(
                (~infinite & (values > maximum), f"values above the limit of {maximum:g}{unit}")
            )
        if integer:
            faults.append(
                (np.isfinite(values) & (values != np.round(values)), "non-integer values")
            )
    for mask, what in faults:
        if mask.any():
            problems.add(
                table,
                column,
                f"has {int(mask.sum())} {what}",
                ids_where(ids, mask),
                id_column=id_column,
            )
    return values


def check_total_finite(
    values: NDArray[np.float64] | pd.Series,
    *,
    table: str,
    column: str,
    problems: ProblemCollector,
    what: str = "amounts",
) -> bool:
    """Record amounts whose sum overflows float64 (every total would be infinite).

    Returns True when the finite values add up to a finite total.
    """
    array = np.asarray(values, dtype=float)
    array = array[np.isfinite(array)]
    with np.errstate(over="ignore"):
        total = float(np.abs(array).sum())
    if np.isfinite(total):
        return True
    problems.add(
        table,
        column,
        "adds up to more than the largest float (about 1.8e308), so totals would be "
        f"infinite; give the {what} in a larger unit (e.g. thousands)",
    )
    return False


def check_choice(
    frame: pd.DataFrame,
    table: str,
    column: str,
    choices: Sequence[str],
    id_column: str,
    problems: ProblemCollector,
) -> None:
    """Lower-case a text column in place and record values outside ``choices``."""
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
            ids_where(frame[id_column], bad),
            id_column=id_column,
        )
    frame[column] = lowered


def check_flag(
    frame: pd.DataFrame, table: str, column: str, id_column: str, problems: ProblemCollector
) -> None:
    """Parse a yes/no column in place (bools, 0/1, ``"true"``/``"no"``...); missing means no."""
    if column not in frame.columns:
        return
    truthy = {"true", "t", "yes", "y", "1", "1.0"}
    falsy = {"false", "f", "no", "n", "0", "0.0", ""}
    parsed: list[bool] = []
    bad: list[object] = []
    for rid, value in zip(frame[id_column], frame[column], strict=True):
        if is_missing(value):
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


def ids_of(frame: pd.DataFrame, column: str) -> set[object]:
    """The stripped string ids of ``frame[column]`` (a ValidationError when it is missing)."""
    if column not in frame.columns:
        raise ValidationError(f"{column.split('_')[0]}s: column '{column}' is missing")
    return {str(v).strip() for v in frame[column] if not is_missing(v)}


def normalise_numbers(
    frame: pd.DataFrame,
    column: str,
    *,
    table: str,
    id_column: str,
    problems: ProblemCollector,
    required_value: bool = False,
    integer: bool = False,
    maximum: float | None = None,
    unit: str = "",
) -> None:
    """Replace an optional numeric column by its floats (see :func:`numeric_column`).

    Missing values are fine unless ``required_value``; negative values never are. A
    table without the column is left as it is.
    """
    if column not in frame.columns:
        return
    values = numeric_column(
        frame,
        column,
        table=table,
        problems=problems,
        id_column=id_column,
        allow_missing=not required_value,
        integer=integer,
        maximum=maximum,
        unit=unit,
    )
    frame[column] = pd.Series(values, index=frame.index, dtype=float)


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
