"""Audit sampling: a seeded, stratified sample of the stores each rep (or area) visited.

The monthly audit has two levels (月度绩效考核). The company rep answers for its whole
*area* -- its own stores and those its dealer reps visit -- and its area manager audits
a sample of that area (``level="supervisor"``, stratified by who visited and by grade,
so dealer reps' stores are in it); the company rep in turn audits each of its dealer
reps (``level="dealer_rep"``). Who supervises whom comes from the reps' ``supervisor_id``
(:func:`territory.eligibility.supervision`). The scores go back in through
:func:`territory.review.audit_results`.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

import numpy as np
import pandas as pd

from territory._json import json_safe
from territory.errors import ProblemCollector, ValidationError
from territory.review._inputs import require_month
from territory.review._supervision import (
    Supervision,
    area_column,
    read_supervision,
    require_reps,
)
from territory.tables.columns import (
    check_ids_present,
    check_known,
    id_strings,
    require_columns,
    require_frame,
)
from territory.tables.times import timestamps

__all__ = ["AuditSample", "allocate_proportional", "audit_sample"]

UNGRADED = "(ungraded)"
#: Audit levels: every rep, a company rep's whole area, each dealer rep for its company rep.
LEVELS: tuple[str, ...] = ("rep", "supervisor", "dealer_rep")
Level = Literal["rep", "supervisor", "dealer_rep"]
#: Sample sizes per stratum: one number, or grade / (visited_by, grade) -> number.
Sizes: TypeAlias = int | Mapping[str, int] | Mapping[tuple[str, str], int]


@dataclass(frozen=True, eq=False)
class AuditSample:
    """The stores to audit this month.

    Attributes
    ----------
    sample
        ``rep_id, grade, customer_id, visits`` (the rep's visits there this month) and
        ``last_visit``, ordered by rep, grade and customer. At the supervisor level it
        starts with ``area_rep_id`` (the company rep answering for the area) and has
        ``visited_by`` (``"company"`` or ``"dealer"``); ``rep_id`` is then the rep with
        most visits to the store. With a reps table, ``auditor`` names who audits.
    allocation
        ``<unit>, [visited_by,] grade, visited, [asked,] sampled``: the stratum sizes,
        the sizes asked for (with ``sizes``) and the allocation.
    month, seed
        The parameters.
    issues
        Reported handling (visits of other months ignored, ungraded stores, units with
        fewer stores than the minimum or the sizes asked for).
    level
        ``"rep"``, ``"supervisor"`` or ``"dealer_rep"``.
    unit_column
        ``"rep_id"`` or, at the supervisor level, ``"area_rep_id"``.
    """

    sample: pd.DataFrame
    allocation: pd.DataFrame
    month: str
    seed: int
    issues: tuple[str, ...] = ()
    level: str = "rep"
    unit_column: str = "rep_id"

    def to_frame(self) -> pd.DataFrame:
        """The sample (a copy)."""
        return self.sample.copy()

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dictionary of the sample and the allocation."""
        return {
            "month": self.month,
            "seed": self.seed,
            "level": self.level,
            "unit_column": self.unit_column,
            "sample": json_safe(self.sample),
            "allocation": json_safe(self.allocation),
            "issues": list(self.issues),
        }

    def _repr_html_(self) -> str:
        """The summary over the first rows of :meth:`to_frame`, for notebooks."""
        from territory._html import result_html

        return result_html(self)

    def summary(self) -> str:
        """Sample size per unit, in a line."""
        per_unit = self.allocation.groupby(self.unit_column)[["visited", "sampled"]].sum()
        lines = [
            f"audit sample {self.month} (seed {self.seed}, level {self.level}): "
            f"{len(self.sample)} stores of {int(per_unit['visited'].sum())} visited, "
            f"{len(per_unit)} {unit_label(self.unit_column)}"
        ]
        lines.extend(f"  note: {issue}" for issue in self.issues)
        return "\n".join(lines)


def allocate_proportional(sizes: Mapping[str, int], n: int) -> dict[str, int]:
    """Split ``n`` draws over strata proportionally, at least one per stratum where possible.

    Largest-remainder rounding of ``n × size ÷ total``; every non-empty stratum gets at
    least one draw when ``n`` allows it (otherwise the largest strata get one each, ties
    by name); no stratum gets more than its size. Deterministic.

    Examples
    --------
    >>> allocate_proportional({"A": 10, "B": 30, "C": 60}, 10)
    {'A': 1, 'B': 3, 'C': 6}
    >>> allocate_proportional({"A": 1, "B": 99}, 5)
    {'A': 1, 'B': 4}
    >>> allocate_proportional({"A": 5, "B": 9, "C": 2}, 2)
    {'A': 1, 'B': 1, 'C': 0}
    """
    strata = sorted(k for k, v in sizes.items() if v > 0)
    alloc = dict.fromkeys(sorted(sizes), 0)
    total = sum(sizes[k] for k in strata)
    n = min(int(n), total)
    if n <= 0:
        return alloc
    if n < len(strata):
        for key in sorted(strata, key=lambda k: (-sizes[k], k))[:n]:
            alloc[key] = 1
        return alloc
    quota = {k: n * sizes[k] / total for k in strata}
    for k in strata:
        alloc[k] = min(sizes[k], max(1, math.floor(quota[k])))
    while sum(alloc.values()) > n:
        key = max((k for k in strata if alloc[k] > 1), key=lambda k: (alloc[k] - quota[k], k))
        alloc[key] -= 1
    while sum(alloc.values()) < n:
        key = min(
            (k for k in strata if alloc[k] < sizes[k]), key=lambda k: (alloc[k] - quota[k], k)
        )
        alloc[key] += 1
    return alloc


def _rep_rng(seed: int, rep_id: str, month: str) -> np.random.Generator:
    """A generator per (seed, unit, month): samples of one unit do not depend on the others."""
    return np.random.default_rng([seed, zlib.crc32(f"{rep_id}|{month}".encode())])


def _check_sizes(sizes: Sizes | None) -> None:
    if sizes is None:
        return
    values = sizes.values() if isinstance(sizes, Mapping) else [sizes]
    bad = [v for v in values if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < 0]
    if bad or (isinstance(sizes, Mapping) and not sizes):
        raise ValidationError(
            "sizes: expected a whole number ≥ 0 per stratum, or a mapping grade (or "
            f"(visited_by, grade) pair) → whole number ≥ 0, got {sizes!r}"
        )


def _asked(sizes: Sizes, visited_by: str | None, grade: str) -> int:
    """The sample size asked for one stratum (0 when the mapping does not name it)."""
    if not isinstance(sizes, Mapping):
        return int(sizes)
    asked: Mapping[Any, int] = sizes
    if visited_by is not None and (visited_by, grade) in asked:
        return int(asked[(visited_by, grade)])
    return int(asked.get(grade, 0))


def _unit_stores(
    visits: pd.DataFrame, level: Level, supervision: Supervision | None
) -> tuple[pd.DataFrame, str]:
    """One row per (unit, store) with ``visits``, ``last_visit`` and the visiting rep.

    Units are reps (``"rep"``, ``"dealer_rep"``) or company reps' areas
    (``"supervisor"``: a store visited by several reps of the area is one store, shown
    under the rep with most visits there).
    """
    if level == "rep" or supervision is None:
        unit = "rep_id"
        frame = visits
    elif level == "dealer_rep":
        unit = "rep_id"
        frame = visits[visits["rep_id"].map(supervision.kind).eq("dealer")]
    else:
        unit = "area_rep_id"
        frame = visits.assign(area_rep_id=area_column(visits["rep_id"], supervision))
    per_rep = (
        frame.groupby([*dict.fromkeys([unit, "rep_id"]), "customer_id"], sort=True)["timestamp"]
        .agg(["size", "max"])
        .rename(columns={"size": "visits", "max": "last_visit"})
        .reset_index()
    )
    if unit == "rep_id":
        return per_rep, unit
    per_rep = per_rep.sort_values(
        [unit, "customer_id", "visits", "rep_id"], ascending=[True, True, False, True]
    )
    totals = per_rep.groupby([unit, "customer_id"])[["visits"]].sum()
    last = per_rep.groupby([unit, "customer_id"])["last_visit"].max()
    main = per_rep.drop_duplicates([unit, "customer_id"]).set_index([unit, "customer_id"])
    main["visits"] = totals["visits"]
    main["last_visit"] = last
    return main.reset_index(), unit


def _check_draw(*, seed: int, rate: float, min_per_rep: int, max_per_rep: int | None) -> None:
    """Check the seed and the per-rep sample size settings of ``audit_sample``."""
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise ValidationError(f"seed: expected an integer, got {seed!r}")
    if not isinstance(rate, int | float) or not 0 < rate <= 1:
        raise ValidationError(f"rate: expected a share in (0, 1], got {rate!r}")
    if isinstance(min_per_rep, bool) or not isinstance(min_per_rep, int) or min_per_rep < 0:
        raise ValidationError(f"min_per_rep: expected a whole number ≥ 0, got {min_per_rep!r}")
    if max_per_rep is not None and (
        not isinstance(max_per_rep, int) or max_per_rep < max(1, min_per_rep)
    ):
        raise ValidationError(
            f"max_per_rep: expected a whole number ≥ min_per_rep ({min_per_rep}), "
            f"got {max_per_rep!r}"
        )


def _unit_size(visited: int, rate: float, min_per_rep: int, max_per_rep: int | None) -> int:
    """Stores to audit of a unit that visited ``visited`` stores (before the cap at it)."""
    size = max(min_per_rep, math.ceil(rate * visited))
    return size if max_per_rep is None else min(size, max_per_rep)


def _asked_of(sizes: Sizes, stratum: str, *, by_kind: bool) -> int:
    """The size asked for one stratum key (kind and grade joined by a separator, or grade)."""
    parts = stratum.split("\x1f")
    return _asked(sizes, parts[0] if by_kind else None, parts[-1])


def audit_sample(
    visit_log: pd.DataFrame,
    grades: pd.DataFrame,
    *,
    month: str,
    seed: int,
    rate: float = 0.1,
    min_per_rep: int = 3,
    max_per_rep: int | None = None,
    level: Level = "rep",
    reps: pd.DataFrame | None = None,
    sizes: Sizes | None = None,
) -> AuditSample:
    """Draw the monthly audit sample: stores each rep (or area) visited, stratified by grade.

    Each unit's sample size is ``ceil(rate × stores visited)``, at least
    ``min_per_rep`` and at most ``max_per_rep`` (never more than the stores
    visited). It is allocated over the strata with :func:`allocate_proportional`, and
    stores are drawn without replacement within each stratum. With ``sizes`` every
    stratum gets the size asked for instead (all its stores when it has fewer; reported).
    The result depends only on the set of visits, the grades, ``month`` and ``seed`` --
    not on row order -- and each unit's draw uses its own generator derived from (seed,
    unit, month).

    The two levels of the monthly audit (月度绩效考核):

    ``level="supervisor"``
        The unit is a company rep's whole *area*: the stores it visited and those its
        dealer reps (``supervisor_id``) visited. The strata are (``visited_by``, grade),
        ``visited_by`` being ``"company"`` or ``"dealer"``, so the sample covers the
        dealer reps' stores; the ``auditor`` is the company rep's supervisor (its area
        manager).
    ``level="dealer_rep"``
        Each dealer rep's stores, audited by its company rep.
    ``level="rep"`` (default)
        Every rep's stores; with ``reps`` the ``auditor`` is the rep's supervisor.

    Parameters
    ----------
    visit_log
        ``customer_id, rep_id, timestamp``; visits of other months are ignored (and
        reported).
    grades
        ``customer_id, grade`` for every visited store; a missing grade puts the
        store in the stratum ``"(ungraded)"`` (reported).
    month
        The month to audit (``"YYYY-MM"``).
    seed
        Random seed.
    rate
        Share of visited stores to audit, in (0, 1].
    min_per_rep, max_per_rep
        Bounds on each unit's sample size.
    level
        ``"rep"``, ``"supervisor"`` or ``"dealer_rep"`` (see above).
    reps
        The reps table (validated as :func:`territory.tables.validate_reps`, so with
        homes; ``supervisor_id`` and ``kind``, which without the column follows
        ``dealer_id``); needed by the ``"supervisor"`` and ``"dealer_rep"`` levels.
    sizes
        Sample size per stratum: a whole number for every stratum, or a mapping grade →
        size (at the supervisor level, for both ``visited_by`` groups) or
        ``(visited_by, grade)`` → size; strata it does not name get 0. Replaces
        ``rate``, ``min_per_rep`` and ``max_per_rep``.

    Returns
    -------
    AuditSample

    Raises
    ------
    ValidationError
        Bad tables or parameters, visits to stores missing from ``grades``, or a
        supervision level without ``reps``.

    Examples
    --------
    >>> log = pd.DataFrame({"rep_id": ["R1"] * 4, "customer_id": ["C1", "C2", "C3", "C4"],
    ...                     "timestamp": pd.to_datetime(["2026-11-03"] * 4)})
    >>> grades = pd.DataFrame({"customer_id": ["C1", "C2", "C3", "C4"],
    ...                        "grade": ["A", "B", "B", "B"]})
    >>> audit = audit_sample(log, grades, month="2026-11", seed=1, min_per_rep=2)
    >>> audit.allocation["sampled"].tolist()
    [1, 1]
    """
    month = require_month(month, "month")
    _check_draw(seed=seed, rate=rate, min_per_rep=min_per_rep, max_per_rep=max_per_rep)
    if level not in LEVELS:
        raise ValidationError(f"level: expected one of {', '.join(LEVELS)}, got {level!r}")
    _check_sizes(sizes)
    supervision: Supervision | None = None
    if level != "rep":
        supervision = require_reps(reps, f"audit_sample(level={level!r})")
    elif reps is not None:
        supervision = read_supervision(reps)
    grade_of, issues = _grades(grades)
    log = _log(visit_log, set(grade_of))
    if supervision is not None:
        unknown = sorted(set(log["rep_id"]) - set(supervision.kind))
        if unknown:
            raise ValidationError(
                f"visit_log: column 'rep_id' names {len(unknown)} reps that are not in the "
                f"reps table (rep_id: {', '.join(repr(u) for u in unknown[:5])})"
            )
    first_day = pd.Timestamp(f"{month}-01")
    in_month = (log["timestamp"] >= first_day) & (
        log["timestamp"] < first_day + pd.offsets.MonthBegin(1)
    )
    if (~in_month).any():
        issues.append(f"{int((~in_month).sum())} visits of other months than {month} are ignored")
    per_store, unit = _unit_stores(log[in_month], level, supervision)
    per_store["grade"] = per_store["customer_id"].map(grade_of)
    by_kind = level == "supervisor"
    if by_kind:
        assert supervision is not None
        per_store["visited_by"] = per_store["rep_id"].map(supervision.kind).astype(object)
    ungraded = sorted(set(per_store.loc[per_store["grade"] == UNGRADED, "customer_id"]))
    if ungraded:
        issues.append(
            f"{len(ungraded)} visited stores have no grade and form the stratum "
            f"'{UNGRADED}' ({', '.join(ungraded[:5])})"
        )
    strata_columns = ["visited_by", "grade"] if by_kind else ["grade"]
    per_store = per_store.sort_values([unit, *strata_columns, "customer_id"]).reset_index(drop=True)
    stratum_arr = (
        per_store[strata_columns].astype(str).agg("\x1f".join, axis=1).to_numpy(dtype=object)
        if len(per_store)
        else np.array([], dtype=object)
    )
    chosen: list[np.ndarray] = []
    allocation_rows: list[dict[str, object]] = []
    short: list[str] = []
    unit_rows = per_store.groupby(unit, sort=True).indices
    for unit_id in sorted(unit_rows, key=str):
        rows = np.asarray(unit_rows[unit_id])
        names, counts = np.unique(stratum_arr[rows].astype(str), return_counts=True)
        strata = {str(g): int(c) for g, c in zip(names, counts, strict=True)}
        if sizes is None:
            asked: dict[str, int] = {}
            size = _unit_size(len(rows), rate, min_per_rep, max_per_rep)
            alloc = allocate_proportional(strata, min(size, len(rows)))
            is_short = len(rows) < size
        else:
            asked = {key: _asked_of(sizes, key, by_kind=by_kind) for key in strata}
            alloc = {k: min(asked[k], strata[k]) for k in strata}
            is_short = any(asked[k] > strata[k] for k in strata)
        if is_short:
            short.append(str(unit_id))
        rng = _rep_rng(int(seed), str(unit_id), month)
        for key in sorted(strata):
            parts = key.split("\x1f")
            row: dict[str, object] = {unit: unit_id}
            row.update(zip(strata_columns, parts, strict=True))
            row["visited"] = strata[key]
            if sizes is not None:
                row["asked"] = asked[key]
            row["sampled"] = alloc[key]
            allocation_rows.append(row)
            if alloc[key] == 0:
                continue
            members = rows[stratum_arr[rows] == key]  # sorted by customer_id
            picked = np.sort(rng.choice(len(members), size=alloc[key], replace=False))
            chosen.append(members[picked])
    if short:
        what = (
            "fewer stores in some strata than the sizes asked for; all of those are sampled"
            if sizes is not None
            else f"fewer stores than the minimum of {min_per_rep}; all of their stores are sampled"
        )
        issues.append(f"{len(short)} {unit_label(unit)} visited {what} ({', '.join(short[:5])})")
    columns = [*dict.fromkeys([unit, "rep_id"]), *strata_columns, "customer_id"]
    columns += ["visits", "last_visit"]
    picked_rows = np.concatenate(chosen) if chosen else np.array([], dtype=int)
    sample = per_store.iloc[picked_rows][columns].reset_index(drop=True)
    alloc_columns = [unit, *strata_columns, "visited", *(["asked"] if sizes else []), "sampled"]
    allocation = pd.DataFrame(allocation_rows, columns=alloc_columns)
    if supervision is not None:
        sample["auditor"] = sample[unit].map(supervision.auditor).astype(object)
        allocation["auditor"] = allocation[unit].map(supervision.auditor).astype(object)
    return AuditSample(
        sample, allocation, month, int(seed), tuple(issues), level=level, unit_column=unit
    )


def unit_label(unit: str) -> str:
    """``"reps"`` or ``"areas"`` for messages."""
    return "areas" if unit == "area_rep_id" else "reps"


def _grades(grades: pd.DataFrame) -> tuple[dict[str, str], list[str]]:
    table = "grades"
    frame = require_frame(grades, table)
    require_columns(frame, table, ["customer_id", "grade"])
    problems = ProblemCollector()
    ids = id_strings(frame["customer_id"])
    check_ids_present(pd.DataFrame({"customer_id": ids}), table, "customer_id", problems)
    dup = ids.duplicated(keep=False) & ids.notna()
    if dup.any():
        dupes = sorted(set(ids[dup]))
        problems.add(
            table, "customer_id", f"has {len(dupes)} duplicate ids", dupes, id_column="customer_id"
        )
    problems.raise_if_any()
    grade = id_strings(frame["grade"]).fillna(UNGRADED)
    return dict(zip(ids, grade, strict=True)), []


def _log(visit_log: pd.DataFrame, known: set[str]) -> pd.DataFrame:
    table = "visit_log"
    frame = require_frame(visit_log, table)
    require_columns(frame, table, ["customer_id", "rep_id", "timestamp"])
    problems = ProblemCollector()
    out = pd.DataFrame(
        {
            "customer_id": id_strings(frame["customer_id"]),
            "rep_id": id_strings(frame["rep_id"]),
        }
    )
    out["timestamp"] = timestamps(
        frame.assign(customer_id=out["customer_id"].to_numpy()),
        table,
        "timestamp",
        "customer_id",
        problems,
    ).to_numpy()
    for column in ("customer_id", "rep_id"):
        check_ids_present(out, table, column, problems)
    check_known(
        out["customer_id"], known, table, "customer_id", "customers (not in grades)", problems
    )
    problems.raise_if_any()
    return out
