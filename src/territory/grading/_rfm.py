"""RFM: recency, frequency and monetary quintile scores mapped to grades."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from territory.errors import ValidationError
from territory.grading._result import GRADE_LABELS, Grades
from territory.tables.customers import customer_index
from territory.tables.history import read_history
from territory.tables.months import month_label

__all__ = ["RFMGrading", "quintile_scores"]


def quintile_scores(values: NDArray[np.float64]) -> NDArray[np.int64]:
    """Quintile scores 1-5 (5 = highest value): ``1 + floor(5 * (rank - 0.5) / n)``.

    ``rank`` is the average rank (1 = lowest), so equal values share a score, and ten
    distinct values give two of each score.

    Examples
    --------
    >>> quintile_scores(np.arange(10.0)).tolist()
    [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    """
    n = len(values)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    ranks = pd.Series(values).rank(method="average").to_numpy()
    return (1 + np.floor(5.0 * (ranks - 0.5) / n)).astype(np.int64)


def _ranks(values: NDArray[np.float64]) -> bool:
    """Whether a component can rank the customers: no value is shared by more than half."""
    if len(values) == 0:
        return False
    _, counts = np.unique(values, return_counts=True)
    return bool(counts.max() * 2 <= len(values))


@dataclass(frozen=True)
class RFMGrading:
    """Grade by recency, frequency and monetary value of sales.

    For each customer with at least one row in the window:

    * **recency** -- time from the last row with a positive amount to the end of the
      window: days for a ``date`` column (window ends on the last day of
      ``end_month``), months for a ``month`` column; customers without a positive row
      count as the least recent;
    * **frequency** -- number of rows with a positive amount;
    * **monetary** -- sum of the amounts.

    Each is turned into a quintile score 1-5 among these customers (see
    :func:`quintile_scores`; recent is better, so recency is scored on its negative).
    The total ``r_score + f_score + m_score`` (3-15) is the score, and the grade is A
    when the total is at least ``grade_thresholds[0]``, B when at least ``[1]``, C
    when at least ``[2]``, else D. Customers without any row in the window get
    ``default_grade``.

    A component in which more than half of the customers share one value (monthly
    sales where nearly everyone buys every month: the same recency and frequency for
    all) cannot rank them; its tied middle score would only cap the total, so that no
    customer could reach A. Such components are left out and the total is the mean of
    the others times three (still 3-15); ``parameters["components"]`` names the
    components used.

    Parameters
    ----------
    grade_thresholds
        Minimum RFM totals of A, B and C, decreasing.
    window_months
        Months up to ``end_month`` that count (None: the whole table).
    end_month
        Last month of the window; None takes the latest in the table.
    time_column
        ``"date"`` or ``"month"``; None picks ``"date"`` when present.
    sales_column
        The column with the amount sold (``"sales"`` in the sales table).
    default_grade
        Grade of customers without history.
    amount_column
        Deprecated name of ``sales_column``.

    Examples
    --------
    >>> customers = pd.DataFrame({"customer_id": ["a", "b"]})
    >>> sales = pd.DataFrame({"customer_id": ["a", "a", "b"],
    ...     "date": ["2026-01-05", "2026-01-20", "2026-01-02"], "sales": [5.0, 5.0, 1.0]})
    >>> grades = RFMGrading(window_months=1).grade(customers, sales)
    >>> grades.table[["r_score", "grade"]].values.tolist()
    [[4, 'B'], [2, 'D']]
    """

    grade_thresholds: tuple[int, int, int] = (13, 10, 7)
    window_months: int | None = 12
    end_month: str | None = None
    time_column: str | None = None
    sales_column: str = "sales"
    default_grade: str = "D"
    amount_column: str | None = None

    def __post_init__(self) -> None:
        if self.amount_column is not None:
            warnings.warn(
                "RFMGrading(amount_column=...) is deprecated; use sales_column=...",
                DeprecationWarning,
                stacklevel=3,
            )
            object.__setattr__(self, "sales_column", self.amount_column)
            object.__setattr__(self, "amount_column", None)
        given = self.grade_thresholds
        t = tuple(given) if isinstance(given, Sequence) and not isinstance(given, str) else ()
        numbers = all(
            isinstance(x, int | float | np.integer | np.floating) and not isinstance(x, bool)
            for x in t
        )
        if len(t) != 3 or not numbers or not all(3 <= x <= 15 for x in t) or not t[0] > t[1] > t[2]:
            raise ValidationError(
                "rfm: grade_thresholds must be three decreasing totals between 3 and 15, "
                f"got {self.grade_thresholds}"
            )
        if self.default_grade not in GRADE_LABELS:
            raise ValidationError(
                f"rfm: default_grade must be one of {', '.join(GRADE_LABELS)}, "
                f"got {self.default_grade!r}"
            )

    def grade(
        self,
        customers: pd.DataFrame,
        sales: pd.DataFrame | None = None,
        *,
        transactions: pd.DataFrame | None = None,
    ) -> Grades:
        """Grade the customers from the sales table (``customer_id, month|date, sales``).

        Parameters
        ----------
        customers
            Table with ``customer_id``: every customer gets a grade.
        sales
            The sales table, one row per customer and month (or date).
        transactions
            Deprecated name of ``sales``.

        Returns
        -------
        Grades
            Components ``recency``, ``frequency``, ``monetary`` (also as ``sales``),
            ``r_score``, ``f_score``, ``m_score``; the score is the RFM total.
        """
        if transactions is not None:
            warnings.warn(
                "RFMGrading.grade(transactions=...) is deprecated; use sales=...",
                DeprecationWarning,
                stacklevel=2,
            )
            sales = transactions if sales is None else sales
        if sales is None:
            raise ValidationError("rfm: give the sales table (customer_id, month, sales)")
        ids = customer_index(customers)
        history = read_history(
            sales,
            ids,
            table="sales",
            time_column=self.time_column,
            value_column=self.sales_column,
            window_months=self.window_months,
            end_month=self.end_month,
        )
        n = len(ids)
        has_rows = np.bincount(history.customer, minlength=n) > 0
        positive = history.value > 0
        frequency = np.bincount(history.customer[positive], minlength=n).astype(float)
        monetary = np.bincount(history.customer, history.value, minlength=n).astype(np.float64)
        if history.daily:
            end = (
                pd.Timestamp(month_label(history.last_month))
                + pd.offsets.MonthEnd(0)
                - pd.Timestamp("1970-01-01")
            ).days
            stamp = history.day[positive]
        else:
            end = history.last_month
            stamp = history.month[positive]
        last = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
        np.maximum.at(last, history.customer[positive], stamp)
        bought = last > np.iinfo(np.int64).min
        recency: NDArray[np.float64] = np.where(bought, end - last, np.inf).astype(np.float64)
        r = np.zeros(n, dtype=np.int64)
        f = np.zeros(n, dtype=np.int64)
        m = np.zeros(n, dtype=np.int64)
        r[has_rows] = quintile_scores(-recency[has_rows].astype(np.float64))
        f[has_rows] = quintile_scores(frequency[has_rows])
        m[has_rows] = quintile_scores(monetary[has_rows])
        scores = {"recency": r, "frequency": f, "monetary": m}
        values = {"recency": recency, "frequency": frequency, "monetary": monetary}
        used = [name for name in scores if _ranks(values[name][has_rows])]
        used = used or list(scores)
        total = 3.0 * np.mean([scores[name] for name in used], axis=0)
        a, b, c = self.grade_thresholds
        grade = np.where(
            total >= a, "A", np.where(total >= b, "B", np.where(total >= c, "C", "D"))
        ).astype(object)
        grade[~has_rows] = self.default_grade
        total[~has_rows] = np.nan
        out = pd.DataFrame(
            {
                "customer_id": ids.to_numpy(),
                "grade": pd.array(grade, dtype="str"),
                "score": total,
                "basis": np.where(has_rows, "scheme", "default"),
                "recency": np.where(has_rows, recency, np.nan),
                "frequency": np.where(has_rows, frequency, np.nan),
                "monetary": np.where(has_rows, monetary, np.nan),
                "sales": monetary,
                "r_score": pd.array(np.where(has_rows, r, 0), dtype="Int64").astype("Int64"),
                "f_score": pd.array(np.where(has_rows, f, 0), dtype="Int64"),
                "m_score": pd.array(np.where(has_rows, m, 0), dtype="Int64"),
            }
        )
        for column in ("r_score", "f_score", "m_score"):
            out.loc[~has_rows, column] = pd.NA
        return Grades(
            table=out,
            scheme="rfm",
            # Totals are whole numbers: the boundary between A (>= 13) and B lies at 12.5.
            thresholds=(a - 0.5, b - 0.5, c - 0.5),
            parameters={
                "grade_thresholds": list(self.grade_thresholds),
                "window": [month_label(history.first_month), month_label(history.last_month)],
                "recency_unit": "days" if history.daily else "months",
                "components": used,
                "default_grade": self.default_grade,
            },
        )
