"""Weighted scorecards for reps and dealers, with ranks and a repeated-underperformance flag.

Normalised criteria
-------------------
Every criterion column is turned into a 0-100 score before weighting, within each
group (all rows for :func:`rep_scorecard`, each quarter for :func:`dealer_scorecard`):

``"minmax"`` (default)
    ``100 × (value − min) ÷ (max − min)``: the best unit gets 100, the worst 0; when
    every unit has the same value all get 100 (the criterion does not separate them).
``"percentile"``
    ``100 × rank ÷ n`` with average ranks for ties: robust to outliers, the best unit
    gets 100.

For criteria listed in ``lower_is_better`` (for example ``unplanned_share``) the order
is reversed. The overall ``score`` is the weighted mean of the criterion scores with
the weights normalised to sum 1; a unit missing a criterion (say growth of a new rep
without a prior year) is scored on its other criteria with their weights renormalised,
and this is reported in ``issues``. ``rank`` 1 is the best score (ties share the
lowest rank).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from territory._json import json_safe
from territory.errors import ProblemCollector, ValidationError
from territory.tables.columns import (
    check_ids_present,
    id_strings,
    numeric_column,
    require_columns,
    require_frame,
)

__all__ = [
    "DEFAULT_DEALER_WEIGHTS",
    "DEFAULT_REP_WEIGHTS",
    "Scorecard",
    "dealer_scorecard",
    "rep_scorecard",
]

#: Default criteria of the rep scorecard and their weights.
DEFAULT_REP_WEIGHTS: Mapping[str, float] = {
    "achievement": 0.4,
    "growth": 0.2,
    "coverage": 0.2,
    "compliance": 0.2,
}
#: Default criteria of the dealer scorecard and their weights.
DEFAULT_DEALER_WEIGHTS: Mapping[str, float] = {"achievement": 0.6, "growth": 0.4}

Method = Literal["minmax", "percentile"]


@dataclass(frozen=True, eq=False)
class Scorecard:
    """A weighted scorecard.

    Attributes
    ----------
    table
        The id (and quarter) columns, the raw criteria, ``score_<criterion>`` (0-100),
        ``score`` (0-100), ``rank`` and, for dealer scorecards, ``below_threshold`` and
        ``flagged`` (below the threshold for ``consecutive`` quarters running, ending
        with this one).
    weights
        The weights normalised to sum 1.
    method
        The normalisation method.
    id_column
        The column naming the unit.
    issues
        Reported handling (units scored without some criteria).
    """

    table: pd.DataFrame
    weights: dict[str, float]
    method: str
    id_column: str
    issues: tuple[str, ...] = field(default=())

    def to_frame(self) -> pd.DataFrame:
        """The scorecard table (a copy)."""
        return self.table.copy()

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dictionary: weights, method, issues and rows."""
        return {
            "weights": json_safe(self.weights),
            "method": self.method,
            "id_column": self.id_column,
            "issues": list(self.issues),
            "rows": json_safe(self.table),
        }

    def flagged(self) -> pd.DataFrame:
        """Rows flagged for repeated underperformance (empty for rep scorecards)."""
        if "flagged" not in self.table.columns:
            return self.table.iloc[:0].copy()
        return self.table[self.table["flagged"]].reset_index(drop=True)

    def _repr_html_(self) -> str:
        """The summary over the first rows of :meth:`to_frame`, for notebooks."""
        from territory._html import result_html

        return result_html(self)

    def summary(self) -> str:
        """Weights, the top and bottom units, and the flags."""
        weights = ", ".join(f"{k} {v:.0%}" for k, v in self.weights.items())
        lines = [f"scorecard of {len(self.table)} rows ({self.method}; weights {weights})"]
        latest = self.table
        if "quarter" in self.table.columns and len(self.table):
            quarter = self.table["quarter"].max()
            latest = self.table[self.table["quarter"] == quarter]
            lines[0] += f", latest quarter {quarter}"
        ordered = latest.sort_values(["rank", self.id_column])
        if len(ordered):
            top, bottom = ordered.iloc[0], ordered.iloc[-1]
            lines.append(f"  best {top[self.id_column]} ({top['score']:.1f})")
            lines.append(f"  last {bottom[self.id_column]} ({bottom['score']:.1f})")
        flagged = self.flagged()
        if "flagged" in self.table.columns:
            ids = sorted(set(flagged[self.id_column]))
            lines.append(f"  flagged: {', '.join(ids) if ids else 'none'}")
        lines.extend(f"  note: {issue}" for issue in self.issues)
        return "\n".join(lines)


def rep_scorecard(
    metrics: pd.DataFrame,
    *,
    weights: Mapping[str, float] = DEFAULT_REP_WEIGHTS,
    id_column: str = "rep_id",
    lower_is_better: Sequence[str] = (),
    method: Method = "minmax",
) -> Scorecard:
    """Score and rank reps on weighted criteria.

    Parameters
    ----------
    metrics
        One row per rep: ``id_column`` and one numeric column per criterion (for
        example from :func:`territory.review.rep_criteria`).
    weights
        Criterion column → weight (≥ 0, not all 0); normalised to sum 1.
    id_column
        The column naming the rep.
    lower_is_better
        Criteria where a lower value is better.
    method
        ``"minmax"`` or ``"percentile"``; see the module docstring.

    Returns
    -------
    Scorecard

    Raises
    ------
    ValidationError
        Missing or non-numeric criteria, bad weights, empty or duplicate ids.

    Examples
    --------
    >>> metrics = pd.DataFrame({"rep_id": ["A", "B", "C"], "achievement": [1.5, 0.5, 1.0]})
    >>> card = rep_scorecard(metrics, weights={"achievement": 1.0})
    >>> card.table[["rep_id", "score", "rank"]].values.tolist()
    [['A', 100.0, 1], ['B', 0.0, 3], ['C', 50.0, 2]]
    """
    frame, norm, issues = _prepare(
        metrics, "metrics", weights, id_column, (), lower_is_better, method
    )
    table = _score(frame, norm, id_column, None, lower_is_better, method, issues)
    return Scorecard(table, norm, method, id_column, tuple(issues))


def dealer_scorecard(
    metrics: pd.DataFrame,
    *,
    weights: Mapping[str, float] = DEFAULT_DEALER_WEIGHTS,
    id_column: str = "dealer_id",
    quarter_column: str = "quarter",
    threshold: float = 40.0,
    flag_column: str = "score",
    consecutive: int = 2,
    lower_is_better: Sequence[str] = (),
    method: Method = "minmax",
) -> Scorecard:
    """Quarterly dealer scorecard with a flag for dealers below a threshold quarters running.

    Parameters
    ----------
    metrics
        One row per dealer and quarter: ``id_column``, ``quarter_column`` (``"2026Q3"``
        or a ``pandas.Period``) and the criteria columns (for example from
        :func:`territory.review.quarterly_criteria`).
    weights
        Criterion column → weight; normalised to sum 1.
    id_column, quarter_column
        Column names.
    threshold
        A dealer is *below* when ``flag_column`` is under this value.
    flag_column
        ``"score"`` (0-100, relative to the other dealers that quarter) or a raw
        criterion such as ``"achievement"`` (absolute).
    consecutive
        Quarters running (ending with the row's quarter, without gaps) a dealer must
        be below to be ``flagged``.
    lower_is_better, method
        As for :func:`rep_scorecard`.

    Returns
    -------
    Scorecard
        Scores and ranks are within each quarter.

    Raises
    ------
    ValidationError
        Bad criteria, weights, quarters, or duplicate (dealer, quarter) rows.

    Examples
    --------
    >>> metrics = pd.DataFrame({"dealer_id": ["D1", "D2"] * 2,
    ...                         "quarter": ["2026Q2", "2026Q2", "2026Q3", "2026Q3"],
    ...                         "achievement": [0.8, 1.0, 0.85, 1.1]})
    >>> card = dealer_scorecard(metrics, weights={"achievement": 1}, threshold=0.9,
    ...                         flag_column="achievement")
    >>> card.flagged()[["dealer_id", "quarter"]].values.tolist()
    [['D1', '2026Q3']]
    """
    if isinstance(consecutive, bool) or not isinstance(consecutive, int) or consecutive < 1:
        raise ValidationError(f"consecutive: expected a whole number ≥ 1, got {consecutive!r}")
    if not isinstance(threshold, int | float) or not math.isfinite(threshold):
        raise ValidationError(f"threshold: expected a number, got {threshold!r}")
    frame, norm, issues = _prepare(
        metrics, "metrics", weights, id_column, (quarter_column,), lower_is_better, method
    )
    problems = ProblemCollector()
    quarters: list[pd.Period | None] = []
    bad: list[object] = []
    for dealer, value in zip(frame[id_column], frame[quarter_column], strict=True):
        try:
            quarters.append(pd.Period(str(value).replace("-", ""), freq="Q"))
        except (TypeError, ValueError):
            quarters.append(None)
            bad.append(dealer)
    if bad:
        problems.add(
            "metrics",
            quarter_column,
            f"has {len(bad)} values that are not quarters like '2026Q3'",
            bad,
            id_column=id_column,
        )
    problems.raise_if_any()
    frame[quarter_column] = [str(q) for q in quarters]
    frame["_q"] = [q.ordinal for q in quarters if q is not None]
    dup = frame.duplicated([id_column, "_q"], keep=False)
    if dup.any():
        labels = sorted(
            {f"{d}/{q}" for d, q in frame.loc[dup, [id_column, quarter_column]].to_numpy()}
        )
        raise ValidationError(
            f"metrics: column '{quarter_column}' has {len(labels)} duplicate (dealer, quarter) "
            f"rows ({id_column}/{quarter_column}: {', '.join(labels[:5])})"
        )
    if flag_column != "score" and flag_column not in frame.columns:
        raise ValidationError(f"metrics: column '{flag_column}' (flag_column) is missing")
    table = _score(frame, norm, id_column, "_q", lower_is_better, method, issues)
    flag_values = numeric_column(
        table,
        flag_column,
        table="metrics",
        problems=problems,
        id_column=id_column,
        allow_missing=True,
        allow_negative=True,
    )
    problems.raise_if_any()
    with np.errstate(invalid="ignore"):
        table["below_threshold"] = flag_values < threshold
    table = table.sort_values([id_column, "_q"], kind="stable").reset_index(drop=True)
    run = np.zeros(len(table), dtype=int)
    ids = table[id_column].to_numpy()
    qs = table["_q"].to_numpy()
    below = table["below_threshold"].to_numpy()
    for i in range(len(table)):
        if not below[i]:
            continue
        follows = i > 0 and ids[i - 1] == ids[i] and qs[i - 1] == qs[i] - 1
        run[i] = run[i - 1] + 1 if follows else 1
    table["quarters_below"] = run
    table["flagged"] = run >= consecutive
    table = table.sort_values(["_q", "rank", id_column], kind="stable").drop(columns="_q")
    return Scorecard(table.reset_index(drop=True), norm, method, id_column, tuple(issues))


def _prepare(
    metrics: pd.DataFrame,
    table: str,
    weights: Mapping[str, float],
    id_column: str,
    extra: Sequence[str],
    lower_is_better: Sequence[str],
    method: str,
) -> tuple[pd.DataFrame, dict[str, float], list[str]]:
    if method not in ("minmax", "percentile"):
        raise ValidationError(f"method: expected 'minmax' or 'percentile', got {method!r}")
    if not isinstance(weights, Mapping) or not weights:
        raise ValidationError("weights: give at least one criterion and its weight")
    problems = ProblemCollector()
    for name, weight in weights.items():
        if isinstance(weight, bool) or not isinstance(weight, int | float | np.number):
            problems.add("weights", str(name), f"is not a number: {weight!r}")
        elif not math.isfinite(float(weight)) or float(weight) < 0:
            problems.add("weights", str(name), f"must be finite and ≥ 0, got {weight!r}")
    problems.raise_if_any()
    total = float(sum(float(w) for w in weights.values()))
    if total <= 0:
        raise ValidationError("weights: all weights are 0; at least one must be positive")
    unknown = sorted(set(lower_is_better) - set(weights))
    if unknown:
        raise ValidationError(
            f"lower_is_better: names criteria without a weight ({', '.join(unknown)})"
        )
    frame = require_frame(metrics, table).copy()
    require_columns(frame, table, [id_column, *extra, *weights])
    frame[id_column] = id_strings(frame[id_column])
    check_ids_present(frame, table, id_column, problems)
    if not extra:
        dup = frame[id_column].duplicated(keep=False) & frame[id_column].notna()
        if dup.any():
            ids = sorted(set(frame.loc[dup, id_column]))
            problems.add(
                table, id_column, f"has {len(ids)} duplicate ids", ids, id_column=id_column
            )
    for name in weights:
        frame[name] = numeric_column(
            frame,
            name,
            table=table,
            problems=problems,
            id_column=id_column,
            allow_missing=True,
            allow_negative=True,
        )
    problems.raise_if_any()
    norm = {str(k): float(v) / total for k, v in weights.items()}
    return frame, norm, []


def _normalise(values: pd.Series, method: str, reverse: bool) -> pd.Series:
    x = -values if reverse else values
    if method == "percentile":
        return 100.0 * x.rank(method="average") / x.notna().sum()
    lo, hi = x.min(), x.max()
    if not np.isfinite(lo) or hi == lo:
        return pd.Series(np.where(x.notna(), 100.0, np.nan), index=x.index)
    with np.errstate(over="ignore"):
        span = hi - lo
    if not np.isfinite(span):  # e.g. -1e308 and 1e308; min-max is scale-free, so halve
        x, lo, hi = x / 2, lo / 2, hi / 2
        span = hi - lo
    scaled: pd.Series = 100.0 * ((x - lo) / span)  # divide first: 100 * 1e308 overflows
    return scaled


def _score(
    frame: pd.DataFrame,
    weights: dict[str, float],
    id_column: str,
    group_column: str | None,
    lower_is_better: Sequence[str],
    method: str,
    issues: list[str],
) -> pd.DataFrame:
    out = frame.copy()
    groups = out[group_column] if group_column else pd.Series(0, index=out.index)
    for name in weights:
        out[f"score_{name}"] = out.groupby(groups)[name].transform(
            lambda s, n=name: _normalise(s, method, n in lower_is_better)
        )
    scores = out[[f"score_{n}" for n in weights]].to_numpy(dtype=float)
    w = np.array(list(weights.values()))
    present = ~np.isnan(scores)
    used = (present * w).sum(axis=1)
    total = np.nansum(scores * w, axis=1)
    out["score"] = np.where(used > 0, total / np.where(used > 0, used, 1.0), np.nan)
    partial = present.any(axis=1) & ~present.all(axis=1)
    if partial.any():
        ids = sorted(set(out.loc[partial, id_column]))
        issues.append(
            f"{len(ids)} units miss some criteria and are scored on the others with "
            f"renormalised weights ({', '.join(ids[:5])})"
        )
    none = ~present.any(axis=1)
    if none.any():
        ids = sorted(set(out.loc[none, id_column]))
        issues.append(
            f"{len(ids)} units have no criterion value and no score ({', '.join(ids[:5])})"
        )
    out["rank"] = out.groupby(groups)["score"].rank(method="min", ascending=False).astype("Int64")
    if not none.any():
        out["rank"] = out["rank"].astype(int)
    return out.sort_values([*([group_column] if group_column else []), id_column]).reset_index(
        drop=True
    )
