"""Audit feedback: the scores given to the sampled stores, summarised per rep and per area.

After the monthly spot checks the auditors score every sampled store (say 0-100 for
display, stock, price and freshness). :func:`audit_results` takes those scores back
against the :class:`~territory.review.AuditSample` they came from and summarises them per
visiting rep and per *area* -- the company rep who answers for the stores, its dealer
reps' stores included (人员要对自己所拜访的区域负责).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from territory._json import json_safe
from territory.errors import ProblemCollector, ValidationError
from territory.review._ratios import percent, ratio
from territory.review._supervision import area_column, read_supervision
from territory.review.audit import AuditSample
from territory.tables.columns import (
    check_ids_present,
    id_strings,
    numeric_column,
    require_columns,
    require_frame,
)

__all__ = ["AuditResults", "audit_results"]

_SUMMARY_COLUMNS = ["sampled", "scored", "mean_score", "min_score", "passed", "pass_rate"]


@dataclass(frozen=True, eq=False)
class AuditResults:
    """Audit scores of the sampled stores and their roll-ups.

    Attributes
    ----------
    stores
        The sample with ``score`` (missing when not yet scored) and ``passed``.
    by_rep
        Per visiting rep: ``sampled, scored, mean_score, min_score, passed, pass_rate``
        (passed ÷ scored; missing without a pass mark).
    by_area
        The same per company rep answering for the area (``area_rep_id``), with the
        stores of its dealer reps, and (with ``reps``) the ``auditor``, the company rep's
        own supervisor; empty without supervision data.
    pass_score
        The pass mark, or None.
    month
        The audited month.
    issues
        Reported handling (sampled stores without a score).
    """

    stores: pd.DataFrame
    by_rep: pd.DataFrame
    by_area: pd.DataFrame
    pass_score: float | None
    month: str
    issues: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """The scored stores (a copy)."""
        return self.stores.copy()

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dictionary of the stores and both roll-ups."""
        return {
            "month": self.month,
            "pass_score": self.pass_score,
            "stores": json_safe(self.stores),
            "by_rep": json_safe(self.by_rep),
            "by_area": json_safe(self.by_area),
            "issues": list(self.issues),
        }

    def summary(self) -> str:
        """Scored stores, the mean score and the weakest area."""
        scored = self.stores["score"].notna()
        mean = float(self.stores.loc[scored, "score"].mean()) if scored.any() else math.nan
        lines = [
            f"audit results {self.month}: {int(scored.sum())} of {len(self.stores)} sampled "
            f"stores scored, mean {mean:.1f}"
            + (
                f", {percent(int(self.stores['passed'].sum()) / max(int(scored.sum()), 1))} passed "
                f"(pass mark {self.pass_score:g})"
                if self.pass_score is not None
                else ""
            )
        ]
        table = self.by_area if len(self.by_area) else self.by_rep
        key = "area_rep_id" if len(self.by_area) else "rep_id"
        ranked = table[table["scored"] > 0].sort_values(["mean_score", key])
        if len(ranked):
            worst = ranked.iloc[0]
            lines.append(f"  lowest mean: {key} {worst[key]} at {worst['mean_score']:.1f}")
        lines.extend(f"  note: {issue}" for issue in self.issues)
        return "\n".join(lines)


def _scores(scores: pd.DataFrame) -> pd.Series:
    table = "scores"
    frame = require_frame(scores, table).copy()
    require_columns(frame, table, ["customer_id", "score"])
    problems = ProblemCollector()
    frame["customer_id"] = id_strings(frame["customer_id"])
    check_ids_present(frame, table, "customer_id", problems)
    dup = frame["customer_id"].duplicated(keep=False) & frame["customer_id"].notna()
    if dup.any():
        problems.add(
            table,
            "customer_id",
            "has duplicate ids",
            sorted(set(frame.loc[dup, "customer_id"])),
            id_column="customer_id",
        )
    values = numeric_column(frame, "score", table=table, problems=problems, id_column="customer_id")
    problems.raise_if_any()
    return pd.Series(values, index=pd.Index(frame["customer_id"], dtype=object))


def _roll_up(stores: pd.DataFrame, key: str, has_pass: bool) -> pd.DataFrame:
    grouped = stores.groupby(key, sort=True)
    table = pd.DataFrame(
        {
            "sampled": grouped.size(),
            "scored": grouped["score"].count(),
            "mean_score": grouped["score"].mean(),
            "min_score": grouped["score"].min(),
            "passed": grouped["passed"].sum(),
        }
    )
    table["pass_rate"] = ratio(table["passed"], table["scored"]) if has_pass else np.nan
    table["passed"] = table["passed"].astype(int)
    return table.reset_index()[[key, *_SUMMARY_COLUMNS]]


def audit_results(
    sample: AuditSample,
    scores: pd.DataFrame,
    *,
    reps: pd.DataFrame | None = None,
    pass_score: float | None = None,
) -> AuditResults:
    """Feed audit scores back and summarise them per rep and per area.

    Parameters
    ----------
    sample
        The audit sample the scores are for (any level).
    scores
        ``customer_id, score`` (a number ≥ 0) for sampled stores; stores of the sample
        without a score are reported and left out of the means.
    reps
        The reps table (as :func:`territory.tables.validate_reps` reads it, with
        ``supervisor_id``): rolls rep-level samples up to areas (a supervisor-level
        sample already names its areas).
    pass_score
        A store passes when its score is at least this.

    Returns
    -------
    AuditResults

    Raises
    ------
    ValidationError
        Bad tables, or scores for stores that are not in the sample.

    Examples
    --------
    >>> log = pd.DataFrame({"rep_id": ["R1", "R1", "R2"], "customer_id": ["C1", "C2", "C3"],
    ...                     "timestamp": pd.to_datetime(["2026-11-03"] * 3)})
    >>> grades = pd.DataFrame({"customer_id": ["C1", "C2", "C3"], "grade": "A"})
    >>> from territory.review import audit_sample
    >>> sample = audit_sample(log, grades, month="2026-11", seed=0, sizes=2)
    >>> scores = pd.DataFrame({"customer_id": ["C1", "C2", "C3"], "score": [90, 70, 40]})
    >>> audit_results(sample, scores, pass_score=60).by_rep[["rep_id", "mean_score",
    ...     "passed"]].values.tolist()
    [['R1', 80.0, 2], ['R2', 40.0, 0]]
    """
    if not isinstance(sample, AuditSample):
        raise ValidationError(
            f"sample: expected an AuditSample (from audit_sample), got {type(sample).__name__}"
        )
    if pass_score is not None and (
        isinstance(pass_score, bool)
        or not isinstance(pass_score, int | float)
        or not math.isfinite(pass_score)
    ):
        raise ValidationError(f"pass_score: expected a number, got {pass_score!r}")
    score_of = _scores(scores)
    sampled = set(sample.sample["customer_id"])
    extra = sorted(set(score_of.index) - sampled)
    if extra:
        raise ValidationError(
            f"scores: column 'customer_id' names {len(extra)} stores that are not in the "
            f"{sample.month} sample (customer_id: {', '.join(repr(e) for e in extra[:5])})"
        )
    stores = sample.to_frame()
    stores["score"] = stores["customer_id"].map(score_of).astype(float)
    has_pass = pass_score is not None
    stores["passed"] = (stores["score"] >= pass_score) if has_pass else False
    issues: list[str] = []
    unscored = sorted(set(stores.loc[stores["score"].isna(), "customer_id"]))
    if unscored:
        issues.append(
            f"{len(unscored)} sampled stores have no score yet ({', '.join(unscored[:5])})"
        )
    if "area_rep_id" not in stores.columns and reps is not None:
        stores.insert(0, "area_rep_id", area_column(stores["rep_id"], read_supervision(reps)))
    by_rep = _roll_up(stores, "rep_id", has_pass)
    by_area = (
        _roll_up(stores, "area_rep_id", has_pass)
        if "area_rep_id" in stores.columns
        else pd.DataFrame(columns=["area_rep_id", *_SUMMARY_COLUMNS])
    )
    if reps is not None and len(by_area):
        supervision = read_supervision(reps)
        by_area["auditor"] = by_area["area_rep_id"].map(supervision.area_auditor).astype(object)
    return AuditResults(
        stores=stores,
        by_rep=by_rep,
        by_area=by_area,
        pass_score=None if pass_score is None else float(pass_score),
        month=sample.month,
        issues=tuple(issues),
    )
