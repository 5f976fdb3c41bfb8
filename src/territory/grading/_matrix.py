"""Relationship x potential matrix: the classic field-sales grading."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from territory.errors import ProblemCollector, ValidationError
from territory.grading._result import GRADE_LABELS, Grades
from territory.tables.columns import numeric_column
from territory.tables.customers import customer_index
from territory.tables.history import read_history

__all__ = ["RelationshipPotentialMatrix"]

logger = logging.getLogger("territory")


def _levels(
    missing: NDArray[np.bool_], upper: NDArray[np.bool_], yes: str, no: str
) -> NDArray[np.object_]:
    """``yes``/``no`` per customer, None where the data is missing."""
    out = np.where(upper, yes, no).astype(object)
    out[missing] = None
    return out


@dataclass(frozen=True)
class RelationshipPotentialMatrix:
    """Grade by relationship and potential: A good/high, B average/high, C good/low, D average/low.

    Parameters
    ----------
    good_relationship
        A number: a relationship score at least this is *good* (for example 4 on a 1-5
        scale), anything lower *average*. Or a tuple of categories that count as good
        (for example ``("good",)``); the categories in ``average_relationship`` count
        as average and any other value is an error. Categories compare case-blind.
    average_relationship
        The average categories when ``good_relationship`` is categorical.
    high_potential
        Absolute threshold: potential at least this is *high*. When None the
        threshold is the ``high_potential_quantile`` of the customers' potential
        (numpy's linear quantile), and potential at least that is high.
    high_potential_quantile
        Quantile used when ``high_potential`` is None (0.5 = the median).
    relationship_column, potential_column
        Columns of the customers table.
    default_grade
        Grade of customers whose relationship or potential is missing (logged, and
        marked ``basis = "default"``).

    Notes
    -----
    The score is the potential's percentile among the graded customers (0-1); it
    orders customers within a grade (calibration lowers low scores first). The
    matrix has no single score boundary, so its ``thresholds`` are NaN.

    Examples
    --------
    >>> customers = pd.DataFrame({"customer_id": ["a", "b", "c", "d"],
    ...     "relationship": [5, 2, 4, 1], "potential": [900, 800, 100, 50]})
    >>> RelationshipPotentialMatrix(high_potential=500).grade(customers).table["grade"].tolist()
    ['A', 'B', 'C', 'D']
    """

    good_relationship: float | tuple[str, ...] = 4.0
    average_relationship: tuple[str, ...] = ("average",)
    high_potential: float | None = None
    high_potential_quantile: float = 0.5
    relationship_column: str = "relationship"
    potential_column: str = "potential"
    default_grade: str = "D"

    def __post_init__(self) -> None:
        problems = []
        if self.high_potential is not None and not _real(self.high_potential):
            problems.append(
                "matrix: high_potential must be a finite number or None, got "
                f"{self.high_potential!r}"
            )
        good = self.good_relationship
        labels = isinstance(good, tuple) and all(isinstance(g, str) for g in good)
        if not labels and not _real(good):
            problems.append(
                "matrix: good_relationship must be a finite number or a tuple of labels, "
                f"got {good!r}"
            )
        if problems:
            raise ValidationError(problems)
        if (
            not _real(self.high_potential_quantile)
            or not 0.0 <= self.high_potential_quantile <= 1.0
        ):
            raise ValidationError(
                "matrix: high_potential_quantile must lie in [0, 1], got "
                f"{self.high_potential_quantile}"
            )
        if self.default_grade not in GRADE_LABELS:
            raise ValidationError(
                f"matrix: default_grade must be one of {', '.join(GRADE_LABELS)}, "
                f"got {self.default_grade!r}"
            )

    def grade(
        self, customers: pd.DataFrame, *, sales: pd.DataFrame | None = None, window_months: int = 12
    ) -> Grades:
        """Grade the customers.

        Parameters
        ----------
        customers
            ``customer_id`` plus the relationship and potential columns.
        sales
            Optional long ``customer_id, month, sales`` table; its last
            ``window_months`` give the ``sales`` column (share of sales in the summary).
        window_months
            Window of ``sales``.

        Returns
        -------
        Grades
            Components ``relationship``, ``relationship_level`` (good/average),
            ``potential``, ``potential_level`` (high/low).
        """
        table = "customers"
        ids = customer_index(customers, table=table)
        problems = ProblemCollector()
        for column in (self.relationship_column, self.potential_column):
            if column not in customers.columns:
                problems.add(table, column, "is missing")
        problems.raise_if_any()
        id_series = pd.Series(ids)
        potential = numeric_column(
            customers,
            self.potential_column,
            table=table,
            ids=id_series,
            problems=problems,
            allow_missing=True,
        )
        raw = customers[self.relationship_column]
        missing = raw.isna().to_numpy() | np.isnan(potential)
        if isinstance(self.good_relationship, tuple):
            text = raw.astype(str).str.strip().str.lower().to_numpy(dtype=object)
            good_set = {str(v).strip().lower() for v in self.good_relationship}
            average_set = {str(v).strip().lower() for v in self.average_relationship}
            good = np.isin(text, list(good_set))
            unknown = ~good & ~np.isin(text, list(average_set)) & ~raw.isna().to_numpy()
            if unknown.any():
                values = sorted(set(raw[unknown].astype(str)))
                problems.add(
                    table,
                    self.relationship_column,
                    f"has {int(unknown.sum())} values that are neither good "
                    f"({', '.join(sorted(good_set))}) nor average "
                    f"({', '.join(sorted(average_set))}): {', '.join(values[:5])}",
                    list(ids[unknown]),
                    id_column="customer_id",
                )
            relationship_value = raw.astype(object).to_numpy()
        else:
            score = numeric_column(
                customers,
                self.relationship_column,
                table=table,
                ids=id_series,
                problems=problems,
                allow_missing=True,
                allow_negative=True,
            )
            with np.errstate(invalid="ignore"):
                good = score >= float(self.good_relationship)
            relationship_value = score
        problems.raise_if_any()
        graded = ~missing
        if self.high_potential is not None:
            threshold = float(self.high_potential)
        elif graded.any():
            threshold = float(np.quantile(potential[graded], self.high_potential_quantile))
        else:
            threshold = float("nan")
        high = potential >= threshold
        grade = np.where(high, np.where(good, "A", "B"), np.where(good, "C", "D")).astype(object)
        grade[missing] = self.default_grade
        percentile = np.full(len(ids), np.nan)
        if graded.any():
            ranks = pd.Series(potential[graded]).rank(method="average").to_numpy()
            percentile[graded] = (ranks - 0.5) / graded.sum()
        if missing.any():
            logger.warning(
                "grading: %d customers lack %s or %s and get grade %s (e.g. %s)",
                int(missing.sum()),
                self.relationship_column,
                self.potential_column,
                self.default_grade,
                ", ".join(ids[missing][:5]),
            )
        out = pd.DataFrame(
            {
                "customer_id": ids.to_numpy(),
                "grade": pd.array(grade, dtype="str"),
                "score": percentile,
                "basis": np.where(missing, "default", "scheme"),
                "relationship": relationship_value,
                "relationship_level": _levels(missing, good, "good", "average"),
                "potential": potential,
                "potential_level": _levels(missing, high, "high", "low"),
            }
        )
        if sales is not None:
            history = read_history(
                sales,
                ids,
                table="sales",
                time_column="month",
                value_column="sales",
                window_months=window_months,
                end_month=None,
            )
            out["sales"] = np.bincount(history.customer, history.value, minlength=len(ids))
        return Grades(
            table=out,
            scheme="relationship_potential_matrix",
            thresholds=(np.nan, np.nan, np.nan),
            parameters={
                "good_relationship": self.good_relationship,
                "high_potential_threshold": threshold,
                "high_potential_quantile": (
                    None if self.high_potential is not None else self.high_potential_quantile
                ),
                "default_grade": self.default_grade,
            },
        )


def _real(value: object) -> bool:
    """Whether ``value`` is a finite real number (not a bool)."""
    return (
        isinstance(value, int | float | np.integer | np.floating)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )
