"""The reps table: ids, kind, dealer, home, working day, lunch, supervisors, daily limits.

See :mod:`territory.tables` for the columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from territory.errors import ProblemCollector, ValidationError
from territory.tables.columns import (
    check_choice,
    check_id_column,
    check_known_ids,
    check_required,
    check_unique_columns,
    ids_of,
    ids_where,
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

__all__ = ["MAX_VISITS_PER_DAY", "REP_KINDS", "supervisor_cycles", "validate_reps"]

#: Largest ``min_visits_per_day``/``max_visits_per_day`` accepted (a visit a minute).
MAX_VISITS_PER_DAY = MINUTES_PER_DAY
REP_KINDS = ("company", "dealer")


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
    frame = to_plain_frame(
        reps, table=table, lon="home_lon", lat="home_lat", problems=problems, id_column=id_column
    )
    for column in (id_column, "dealer_id", "supervisor_id"):
        normalise_ids(frame, column)
    if not check_required(frame, table, [id_column, "home_lon", "home_lat", *require], problems):
        problems.raise_if_any()
    check_id_column(frame, table, id_column, problems)
    check_coordinates(frame, table, "home_lon", "home_lat", id_column, problems)
    if "kind" not in frame.columns:  # a rep with a dealer works for that dealer
        employed = frame["dealer_id"].notna() if "dealer_id" in frame.columns else False
        frame["kind"] = np.where(employed, "dealer", "company")
    check_choice(frame, table, "kind", REP_KINDS, id_column, problems)
    if "dealer_id" not in frame.columns:
        frame["dealer_id"] = pd.Series([None] * len(frame), index=frame.index, dtype=object)
    needs_dealer = (frame["kind"] == "dealer") & frame["dealer_id"].isna()
    if needs_dealer.any():
        problems.add(
            table,
            "dealer_id",
            f"is empty for {int(needs_dealer.sum())} dealer reps",
            ids_where(frame[id_column], needs_dealer),
            id_column=id_column,
        )
    for column, default in (("day_start", 8 * 60.0), ("day_end", 17 * 60.0)):
        if column not in frame.columns:
            frame[column] = default
        parse_times(frame, table, column, id_column, problems)
        frame[column] = frame[column].fillna(default)
    check_window(frame, table, "day_start", "day_end", id_column, problems)
    parse_column(
        frame,
        table,
        "weekdays",
        id_column,
        problems,
        parse_weekdays,
        "weekdays",
        default=DEFAULT_WEEKDAYS,
    )
    parse_times(frame, table, "lunch_start", id_column, problems)
    normalise_numbers(
        frame,
        "lunch_minutes",
        table=table,
        id_column=id_column,
        problems=problems,
        maximum=MINUTES_PER_DAY,
        unit=" min",
    )
    _check_lunch(frame, table, id_column, problems)
    _check_daily_limits(frame, table, id_column, problems)
    _check_supervisors(frame, table, id_column, problems)
    if dealers is not None:
        check_known_ids(
            frame, table, "dealer_id", ids_of(dealers, "dealer_id"), id_column, problems, "dealer"
        )
    problems.raise_if_any()
    return frame.reset_index(drop=True)


def _check_daily_limits(
    frame: pd.DataFrame, table: str, id_column: str, problems: ProblemCollector
) -> None:
    """``min_visits_per_day`` and ``max_visits_per_day``: whole numbers, minimum <= maximum."""
    low, high = "min_visits_per_day", "max_visits_per_day"
    for column in (low, high):
        normalise_numbers(
            frame,
            column,
            table=table,
            id_column=id_column,
            problems=problems,
            integer=True,
            maximum=MAX_VISITS_PER_DAY,
        )
    if high in frame.columns:
        zero = frame[high] == 0
        if zero.any():
            problems.add(
                table,
                high,
                f"is 0 for {int(zero.sum())} reps, who could then visit no one; leave it empty "
                "for no limit, or remove the rep",
                ids_where(frame[id_column], zero),
                id_column=id_column,
            )
    if low in frame.columns and high in frame.columns:
        above = frame[low] > frame[high]
        if above.any():
            problems.add(
                table,
                low,
                f"is above '{high}' for {int(above.sum())} reps",
                ids_where(frame[id_column], above),
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
            ids_where(frame[id_column], late),
            id_column=id_column,
        )
