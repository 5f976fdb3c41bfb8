"""Audit sampling: a seeded, grade-stratified sample of the stores each rep visited."""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from territory._json import json_safe
from territory.errors import ProblemCollector, ValidationError
from territory.review._common import (
    check_ids_present,
    check_known,
    id_strings,
    require_columns,
    require_frame,
    timestamps,
)
from territory.review._inputs import require_month

__all__ = ["AuditSample", "allocate_proportional", "audit_sample"]

UNGRADED = "(ungraded)"


@dataclass(frozen=True, eq=False)
class AuditSample:
    """The stores to audit this month.

    Attributes
    ----------
    sample
        ``rep_id, grade, customer_id, visits`` (the rep's visits there this month) and
        ``last_visit``, ordered by rep, grade and customer.
    allocation
        ``rep_id, grade, visited, sampled``: the stratum sizes and the allocation.
    month, seed
        The parameters.
    issues
        Reported handling (visits of other months ignored, ungraded stores, reps with
        fewer stores than the minimum).
    """

    sample: pd.DataFrame
    allocation: pd.DataFrame
    month: str
    seed: int
    issues: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """The sample (a copy)."""
        return self.sample.copy()

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dictionary of the sample and the allocation."""
        return {
            "month": self.month,
            "seed": self.seed,
            "sample": json_safe(self.sample),
            "allocation": json_safe(self.allocation),
            "issues": list(self.issues),
        }

    def summary(self) -> str:
        """Sample size per rep, in a line."""
        per_rep = self.allocation.groupby("rep_id")[["visited", "sampled"]].sum()
        lines = [
            f"audit sample {self.month} (seed {self.seed}): {len(self.sample)} stores of "
            f"{int(per_rep['visited'].sum())} visited, {len(per_rep)} reps"
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
    """A generator per (seed, rep, month): samples of one rep do not depend on the others."""
    return np.random.default_rng([seed, zlib.crc32(f"{rep_id}|{month}".encode())])


def audit_sample(
    visit_log: pd.DataFrame,
    grades: pd.DataFrame,
    *,
    month: str,
    seed: int,
    rate: float = 0.1,
    min_per_rep: int = 3,
    max_per_rep: int | None = None,
) -> AuditSample:
    """Draw the monthly audit sample: stores each rep visited, stratified by grade.

    Each rep's sample size is ``ceil(rate × stores visited)``, at least
    ``min_per_rep`` and at most ``max_per_rep`` (never more than the stores
    visited). It is allocated over the grades with :func:`allocate_proportional`, and
    stores are drawn without replacement within each grade. The result depends only on
    the set of visits, the grades, ``month`` and ``seed`` -- not on row order -- and each
    rep's draw uses its own generator derived from (seed, rep, month).

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
        Bounds on each rep's sample size.

    Returns
    -------
    AuditSample

    Raises
    ------
    ValidationError
        Bad tables or parameters, or visits to stores missing from ``grades``.

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
    grade_of, issues = _grades(grades)
    log = _log(visit_log, set(grade_of))
    first_day = pd.Timestamp(f"{month}-01")
    in_month = (log["timestamp"] >= first_day) & (
        log["timestamp"] < first_day + pd.offsets.MonthBegin(1)
    )
    if (~in_month).any():
        issues.append(f"{int((~in_month).sum())} visits of other months than {month} are ignored")
    visits = log[in_month]
    per_store = (
        visits.groupby(["rep_id", "customer_id"], sort=True)["timestamp"]
        .agg(["size", "max"])
        .rename(columns={"size": "visits", "max": "last_visit"})
        .reset_index()
    )
    per_store["grade"] = per_store["customer_id"].map(grade_of)
    ungraded = sorted(set(per_store.loc[per_store["grade"] == UNGRADED, "customer_id"]))
    if ungraded:
        issues.append(
            f"{len(ungraded)} visited stores have no grade and form the stratum "
            f"'{UNGRADED}' ({', '.join(ungraded[:5])})"
        )
    per_store = per_store.sort_values(["rep_id", "grade", "customer_id"]).reset_index(drop=True)
    grade_arr = per_store["grade"].to_numpy(dtype=object)
    chosen: list[np.ndarray] = []
    allocation_rows: list[dict[str, object]] = []
    short: list[str] = []
    rep_rows = per_store.groupby("rep_id", sort=True).indices
    for rep_id in sorted(rep_rows, key=str):
        rows = np.asarray(rep_rows[rep_id])
        visited = len(rows)
        size = max(min_per_rep, math.ceil(rate * visited))
        if max_per_rep is not None:
            size = min(size, max_per_rep)
        if visited < size:
            short.append(str(rep_id))
        size = min(size, visited)
        names, counts = np.unique(grade_arr[rows].astype(str), return_counts=True)
        strata = {str(g): int(c) for g, c in zip(names, counts, strict=True)}
        alloc = allocate_proportional(strata, size)
        rng = _rep_rng(int(seed), str(rep_id), month)
        for grade in sorted(strata):
            allocation_rows.append(
                {
                    "rep_id": rep_id,
                    "grade": grade,
                    "visited": strata[grade],
                    "sampled": alloc[grade],
                }
            )
            if alloc[grade] == 0:
                continue
            members = rows[grade_arr[rows] == grade]  # sorted by customer_id
            picked = np.sort(rng.choice(len(members), size=alloc[grade], replace=False))
            chosen.append(members[picked])
    if short:
        issues.append(
            f"{len(short)} reps visited fewer stores than the minimum of {min_per_rep}; all of "
            f"their stores are sampled ({', '.join(short[:5])})"
        )
    columns = ["rep_id", "grade", "customer_id", "visits", "last_visit"]
    picked_rows = np.concatenate(chosen) if chosen else np.array([], dtype=int)
    sample = per_store.iloc[picked_rows][columns].reset_index(drop=True)
    allocation = pd.DataFrame(allocation_rows, columns=["rep_id", "grade", "visited", "sampled"])
    return AuditSample(sample, allocation, month, int(seed), tuple(issues))


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
