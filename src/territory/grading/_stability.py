"""Stable grades: hysteresis around score boundaries and a cap on changes per period."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from territory.errors import ProblemCollector, ValidationError
from territory.grading._result import Grades
from territory.tables.columns import positions_of
from territory.tables.customers import customer_index

__all__ = ["StableGrading"]


@dataclass(frozen=True)
class StableGrading:
    """Keep last period's grades unless the change is clear.

    Given this period's :class:`Grades` and last period's grades:

    * **Hysteresis** (``margin``): a customer moves from its previous grade only past
      a boundary its score crossed by at least ``margin`` (in score units, using the
      boundaries in ``Grades.thresholds``). Moving down from B, the score must lie at
      least ``margin`` below the B/C boundary; a customer the scheme puts two grades
      lower moves only as far as the boundaries it cleared by the margin. Boundaries
      that are not score thresholds (NaN: the matrix, the no-sales class, customers
      graded by default) are always followed.
    * **Cap** (``max_change_share``): at most ``floor(share * n)`` of the customers
      that had a previous grade change grade; the largest score changes
      (``|score - previous score|``) go first, equal changes in table order. Without
      previous scores, how far the score lies past the boundary it crossed ranks them.

    New customers (no previous grade) take this period's grade; previous customers
    that are no longer in this period's grades are not carried over.

    Parameters
    ----------
    margin
        Hysteresis margin in score units (0: follow the scheme).
    max_change_share
        Largest share of customers that may change grade; None for no cap.

    Examples
    --------
    >>> from territory.grading import WeightedScore
    >>> now = WeightedScore({"x": 1.0}, thresholds=(0.75, 0.5, 0.25)).grade(
    ...     pd.DataFrame({"customer_id": ["a", "b", "c"], "x": [0.0, 0.7, 1.0]}))
    >>> before = pd.DataFrame({"customer_id": ["a", "b", "c"], "grade": ["D", "A", "B"]})
    >>> StableGrading(margin=0.1).apply(now, before).table["grade"].tolist()
    ['D', 'A', 'A']
    """

    margin: float = 0.0
    max_change_share: float | None = None

    def __post_init__(self) -> None:
        if not self.margin >= 0:
            raise ValidationError(f"stability: margin must be non-negative, got {self.margin}")
        if self.max_change_share is not None and not 0 <= self.max_change_share <= 1:
            raise ValidationError(
                f"stability: max_change_share must lie in [0, 1], got {self.max_change_share}"
            )

    def apply(self, current: Grades, previous: Grades | pd.DataFrame) -> Grades:
        """Stabilise ``current`` against ``previous``.

        Parameters
        ----------
        current
            This period's grades.
        previous
            Last period's :class:`Grades`, or a table ``customer_id, grade`` with an
            optional ``score``.

        Returns
        -------
        Grades
            ``current`` with ``grade`` stabilised, plus ``scheme_grade`` (what the
            scheme said), ``previous_grade``, ``changed`` (bool) and ``held``
            (``"margin"``, ``"cap"`` or empty).
        """
        labels = current.labels
        prev_frame = previous.table if isinstance(previous, Grades) else previous
        prev_ids = customer_index(prev_frame, table="previous")
        problems = ProblemCollector()
        if "grade" not in prev_frame.columns:
            problems.add("previous", "grade", "is missing")
            problems.raise_if_any()
        prev_grade = prev_frame["grade"].astype(str).to_numpy(dtype=object)
        unknown = ~np.isin(prev_grade, list(labels))
        if unknown.any():
            problems.add(
                "previous",
                "grade",
                f"has {int(unknown.sum())} grades that are not {', '.join(labels)} "
                f"(values: {', '.join(sorted(set(prev_grade[unknown])))[:100]})",
                list(prev_ids[unknown]),
                id_column="customer_id",
            )
        problems.raise_if_any()
        table = current.table
        n = len(table)
        where = positions_of(prev_ids, table["customer_id"])
        known = where >= 0
        label_index = {g: i for i, g in enumerate(labels)}
        g = pd.Series(table["grade"]).map(label_index).to_numpy(dtype=np.int64)
        p = np.full(n, -1, dtype=np.int64)
        p[known] = pd.Series(prev_grade[where[known]]).map(label_index).to_numpy(dtype=np.int64)
        score = table["score"].to_numpy(dtype=float)
        thresholds = np.asarray(current.thresholds, dtype=float)
        if len(thresholds) != len(labels) - 1:
            thresholds = np.full(len(labels) - 1, np.nan)
        default = (
            (table["basis"] == "default").to_numpy() if "basis" in table else np.zeros(n, bool)
        )
        score_based = ~np.isnan(score) & ~default

        new = g.copy()
        held = np.full(n, "", dtype=object)
        moving = known & (g != p)
        if self.margin > 0:
            down = moving & (g > p)
            up = moving & (g < p)
            target = p.copy()
            going = down.copy()
            for k in range(len(thresholds)):  # boundary k separates label k and k + 1
                crosses = going & (k >= p) & (k < g)
                t = thresholds[k]
                cleared = ~score_based | math.isnan(t) | (t - score >= self.margin)
                step = crosses & cleared
                target[step] = k + 1
                going &= ~(crosses & ~cleared)
            going = up.copy()
            for k in range(len(thresholds) - 1, -1, -1):
                crosses = going & (k < p) & (k >= g)
                t = thresholds[k]
                cleared = ~score_based | math.isnan(t) | (score - t >= self.margin)
                step = crosses & cleared
                target[step] = k
                going &= ~(crosses & ~cleared)
            new = np.where(moving, target, g)
            held[moving & (new != g)] = "margin"
        changed = known & (new != p)
        if self.max_change_share is not None:
            allowed = math.floor(self.max_change_share * int(known.sum()) + 1e-9)
            if int(changed.sum()) > allowed:
                priority = self._priority(table, prev_frame, where, score, thresholds, p)
                candidates = np.flatnonzero(changed)
                order = candidates[np.argsort(-priority[candidates], kind="stable")]
                revert = order[allowed:]
                new[revert] = p[revert]
                held[revert] = "cap"
                changed = known & (new != p)
        out = table.copy()
        out["scheme_grade"] = table["grade"]
        out["grade"] = pd.array(np.asarray(labels, dtype=object)[new], dtype="str")
        previous_label = np.full(n, None, dtype=object)
        previous_label[known] = np.asarray(labels, dtype=object)[p[known]]
        out["previous_grade"] = previous_label
        out["changed"] = changed
        out["held"] = held
        return Grades(
            table=out,
            scheme=f"stable({current.scheme})",
            labels=labels,
            thresholds=current.thresholds,
            parameters={
                **dict(current.parameters),
                "margin": self.margin,
                "max_change_share": self.max_change_share,
            },
        )

    @staticmethod
    def _priority(
        table: pd.DataFrame,
        prev_frame: pd.DataFrame,
        where: np.ndarray,
        score: np.ndarray,
        thresholds: np.ndarray,
        p: np.ndarray,
    ) -> np.ndarray:
        """Size of each customer's change: score change, or distance past its old boundary."""
        if "score" in prev_frame.columns:
            prev_score = np.full(len(table), np.nan)
            known = where >= 0
            prev_score[known] = prev_frame["score"].to_numpy(dtype=float)[where[known]]
            change = np.abs(score - prev_score)
        else:
            padded = np.concatenate([[np.inf], thresholds, [-np.inf]])
            upper = padded[np.clip(p, 0, None)]  # boundary above the previous grade
            lower = padded[np.clip(p, 0, None) + 1]  # boundary below it
            change = np.maximum(score - upper, lower - score)
        return np.where(np.isnan(change), np.inf, change)
