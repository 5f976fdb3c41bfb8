"""Weighted score of normalised attributes, cut into grades by thresholds or target shares."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from territory.errors import ProblemCollector
from territory.grading._inputs import grade_from_thresholds
from territory.grading._result import GRADE_LABELS, Grades
from territory.tables.columns import numeric_column
from territory.tables.customers import customer_index

__all__ = ["WeightedScore", "counts_from_shares"]

logger = logging.getLogger("territory")


def counts_from_shares(shares: tuple[float, ...], n: int) -> NDArray[np.int64]:
    """Whole counts per grade that add up to ``n`` (largest-remainder rounding).

    Examples
    --------
    >>> counts_from_shares((0.1, 0.2, 0.3, 0.4), 7).tolist()
    [1, 1, 2, 3]
    """
    exact = np.asarray(shares, dtype=float) * n
    counts = np.floor(exact).astype(np.int64)
    remainder = exact - counts
    order = np.argsort(-remainder, kind="stable")
    counts[order[: n - int(counts.sum())]] += 1
    return np.asarray(counts, dtype=np.int64)


def _normalise(values: NDArray[np.float64], how: str) -> NDArray[np.float64]:
    if len(values) == 0:
        return values.copy()
    if how == "minmax":
        low, high = float(values.min()), float(values.max())
        if high == low:
            return np.full(len(values), 0.5)
        return (values - low) / (high - low)
    if len(values) == 1:
        return np.full(1, 0.5)
    ranks = pd.Series(values).rank(method="average").to_numpy()
    return np.asarray((ranks - 1.0) / (len(values) - 1.0), dtype=np.float64)


@dataclass(frozen=True)
class WeightedScore:
    """A weighted sum of normalised attributes, cut into grades A-D.

    Each attribute is normalised over the graded customers to [0, 1], by
    ``"minmax"`` (``(x - min) / (max - min)``, 0.5 when all values are equal) or by
    ``"rank"`` (percentile: ``(average rank - 1) / (n - 1)``); attributes listed in
    ``lower_is_better`` are flipped (``1 - x``). The score is
    ``sum(weight * normalised) / sum(weights)``, in [0, 1].

    Grades come either from ``thresholds`` (A when score >= ``thresholds[0]``, B when
    >= ``[1]``, C when >= ``[2]``, else D) or from target ``shares`` of A, B, C and D:
    customers sorted by score (highest first, equal scores in table order) fill A, B,
    C and D with whole counts rounded by largest remainder. Customers missing any
    attribute get ``default_grade`` (logged, ``basis = "default"``).

    Parameters
    ----------
    weights
        Attribute column -> non-negative weight (at least one positive).
    normalisation
        ``"minmax"`` or ``"rank"``.
    thresholds
        Decreasing score thresholds of A, B and C; or None to use ``shares``.
    shares
        Target shares of A, B, C and D, adding up to 1 (used when ``thresholds`` is None).
    lower_is_better
        Attributes where a lower value is better (for example distance).
    default_grade
        Grade of customers missing an attribute.

    Examples
    --------
    >>> customers = pd.DataFrame({"customer_id": list("abcd"), "potential": [4.0, 3, 2, 1]})
    >>> WeightedScore({"potential": 1.0}, shares=(0.25, 0.25, 0.25, 0.25)).grade(
    ...     customers).table["grade"].tolist()
    ['A', 'B', 'C', 'D']
    """

    weights: Mapping[str, float]
    normalisation: Literal["minmax", "rank"] = "minmax"
    thresholds: tuple[float, float, float] | None = None
    shares: tuple[float, float, float, float] = (0.10, 0.20, 0.30, 0.40)
    lower_is_better: tuple[str, ...] = ()
    default_grade: str = "D"
    _weights: tuple[tuple[str, float], ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        problems = ProblemCollector()
        items = tuple((str(k), float(v)) for k, v in dict(self.weights).items())
        negative = [k for k, v in items if not v >= 0]
        if negative:
            problems.add(
                "weights",
                negative[0],
                f"has {len(negative)} negative or missing weights "
                f"({', '.join(f'{k}={dict(items)[k]}' for k in negative)})",
                negative,
                id_column="attribute",
            )
        elif not items or sum(v for _, v in items) <= 0:
            problems.add("weights", None, "needs at least one positive weight")
        if self.normalisation not in ("minmax", "rank"):
            problems.add(
                "weights",
                None,
                f"normalisation must be 'minmax' or 'rank', got {self.normalisation!r}",
            )
        if self.thresholds is not None:
            t = tuple(self.thresholds)
            if len(t) != 3 or not t[0] >= t[1] >= t[2]:
                problems.add(
                    "weights", None, f"thresholds must be three decreasing scores, got {t}"
                )
        else:
            s = tuple(self.shares)
            if len(s) != 4 or any(not x >= 0 for x in s):
                problems.add("weights", None, f"shares must be four non-negative numbers, got {s}")
            elif not math.isclose(sum(s), 1.0, abs_tol=1e-9):
                problems.add(
                    "weights",
                    None,
                    "grade shares must add up to 100 %, got "
                    f"{' + '.join(f'{x:.2%}' for x in s)} = {sum(s):.2%}",
                )
        unknown = [a for a in self.lower_is_better if a not in dict(items)]
        if unknown:
            problems.add(
                "weights", None, f"lower_is_better names attributes without a weight: {unknown}"
            )
        if self.default_grade not in GRADE_LABELS:
            problems.add(
                "weights", None, f"default_grade must be one of A-D, got {self.default_grade!r}"
            )
        problems.raise_if_any()
        object.__setattr__(self, "_weights", items)
        object.__setattr__(self, "weights", MappingProxyType(dict(items)))

    def grade(self, customers: pd.DataFrame, *, sales: pd.Series | None = None) -> Grades:
        """Grade the customers.

        Parameters
        ----------
        customers
            ``customer_id`` plus every weighted attribute column.
        sales
            Optional sales per customer (indexed by customer id) for the summary.

        Returns
        -------
        Grades
            Components ``<attribute>``, ``<attribute>_normalised`` and
            ``<attribute>_points`` (weight share times normalised value; they add up to
            the score).
        """
        ids = customer_index(customers)
        problems = ProblemCollector()
        for name, _ in self._weights:
            if name not in customers.columns:
                problems.add("customers", name, "is missing")
        problems.raise_if_any()
        id_series = pd.Series(ids)
        raw = {
            name: numeric_column(
                customers,
                name,
                table="customers",
                ids=id_series,
                problems=problems,
                allow_missing=True,
                allow_negative=True,
            )
            for name, _ in self._weights
        }
        problems.raise_if_any()
        n = len(ids)
        missing = np.zeros(n, dtype=bool)
        for values in raw.values():
            missing |= np.isnan(values)
        graded = ~missing
        total_weight = sum(w for _, w in self._weights)
        score = np.zeros(n)
        columns: dict[str, object] = {}
        for name, weight in self._weights:
            normalised = np.full(n, np.nan)
            normalised[graded] = _normalise(raw[name][graded], self.normalisation)
            if name in self.lower_is_better:
                normalised = 1.0 - normalised
            points = weight / total_weight * normalised
            score += np.where(graded, points, 0.0)
            columns[name] = raw[name]
            columns[f"{name}_normalised"] = normalised
            columns[f"{name}_points"] = points
        score[missing] = np.nan
        index = np.full(n, GRADE_LABELS.index(self.default_grade), dtype=np.int64)
        if self.thresholds is not None:
            thresholds = tuple(float(t) for t in self.thresholds)
            index[graded] = grade_from_thresholds(score[graded], thresholds)
        else:
            positions = np.flatnonzero(graded)
            order = positions[np.argsort(-score[graded], kind="stable")]
            counts = counts_from_shares(tuple(self.shares), len(order))
            sorted_index = np.repeat(np.arange(4, dtype=np.int64), counts)
            index[order] = sorted_index
            ends = np.cumsum(counts)[:3]
            sorted_scores = score[order]
            bounds = []
            for end in ends:
                if 0 < end < len(order):
                    bounds.append(0.5 * (sorted_scores[end - 1] + sorted_scores[end]))
                else:
                    bounds.append(float("nan"))
            thresholds = tuple(bounds)
        if missing.any():
            logger.warning(
                "grading: %d customers miss a weighted attribute and get grade %s (e.g. %s)",
                int(missing.sum()),
                self.default_grade,
                ", ".join(ids[missing][:5]),
            )
        out = pd.DataFrame(
            {
                "customer_id": ids.to_numpy(),
                "grade": pd.array(np.asarray(GRADE_LABELS, dtype=object)[index], dtype="str"),
                "score": score,
                "basis": np.where(missing, "default", "scheme"),
                **columns,
            }
        )
        if sales is not None:
            out["sales"] = sales.reindex(pd.Index(ids)).to_numpy(dtype=float, na_value=np.nan)
        return Grades(
            table=out,
            scheme="weighted_score",
            thresholds=thresholds,
            parameters={
                "weights": dict(self._weights),
                "normalisation": self.normalisation,
                "thresholds": None if self.thresholds is None else list(self.thresholds),
                "shares": None if self.thresholds is not None else list(self.shares),
                "lower_is_better": list(self.lower_is_better),
                "default_grade": self.default_grade,
            },
        )
