"""Pareto ABC on sales over a window of months."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from territory.errors import ValidationError
from territory.grading._result import GRADE_LABELS, Grades
from territory.tables.customers import customer_index
from territory.tables.history import read_history
from territory.tables.months import month_label

__all__ = ["ParetoABC"]

#: Shares are rounded to this many decimals before they are compared with the cut-offs,
#: so that 0.7 computed as 70/100 or 0.1 + 0.6 counts as exactly 70 %.
SHARE_DECIMALS = 12


@dataclass(frozen=True)
class ParetoABC:
    """ABC classes by cumulative share of sales, optionally D for customers without sales.

    Customers are ranked by their sales in the window, largest first (equal sales keep
    the order of the customers table). Let ``before`` be the share of total sales of
    all customers ranked above a customer. Then, with the default cut-offs:

    * **A** when ``before < 70 %`` -- A is the smallest top group whose sales reach 70 %;
    * **B** when ``70 % <= before < 90 %``;
    * **C** otherwise.

    A customer whose sales in the window are zero gets ``no_sales_grade`` (D by
    default; None keeps them in C); a customer with no rows in the window at all gets
    ``default_grade``. Shares are rounded to 12 decimals before comparing.

    Parameters
    ----------
    shares
        Target shares of sales of A, B and C; they must add up to 1.
    window_months
        Number of months up to ``end_month`` that count.
    end_month
        Last month of the window (``"YYYY-MM"``); None takes the latest in the table.
    no_sales_grade
        Grade of customers whose sales in the window are zero (None: they stay C).
    default_grade
        Grade of customers without any row in the window.
    time_column
        ``"month"`` or ``"date"`` column of the sales table; None picks ``"date"`` when
        present, else ``"month"``.
    sales_column
        The column with the amount sold.
    month_column
        Deprecated name of ``time_column``.

    Examples
    --------
    >>> customers = pd.DataFrame({"customer_id": ["a", "b", "c", "d"]})
    >>> sales = pd.DataFrame({"customer_id": ["a", "b", "c", "d"], "month": "2026-01",
    ...     "sales": [70.0, 20.0, 10.0, 0.0]})
    >>> ParetoABC(window_months=1).grade(customers, sales).table["grade"].tolist()
    ['A', 'B', 'C', 'D']
    """

    shares: tuple[float, float, float] = (0.70, 0.20, 0.10)
    window_months: int | None = 12
    end_month: str | None = None
    no_sales_grade: str | None = "D"
    default_grade: str = "D"
    time_column: str | None = None
    sales_column: str = "sales"
    month_column: str | None = None

    def __post_init__(self) -> None:
        if self.month_column is not None:
            warnings.warn(
                "ParetoABC(month_column=...) is deprecated; use time_column=...",
                DeprecationWarning,
                stacklevel=3,
            )
            object.__setattr__(self, "time_column", self.month_column)
            object.__setattr__(self, "month_column", None)
        problems = []
        if (
            isinstance(self.shares, str)
            or not isinstance(self.shares, Sequence)
            or len(self.shares) != 3
            or any(not _positive_number(s) for s in self.shares)
        ):
            problems.append(f"pareto: shares must be three positive numbers, got {self.shares}")
        elif not math.isclose(sum(self.shares), 1.0, abs_tol=1e-9):
            problems.append(
                f"pareto: shares must add up to 100 %, got "
                f"{' + '.join(f'{s:.2%}' for s in self.shares)} = {sum(self.shares):.2%}"
            )
        for name, value in (
            ("no_sales_grade", self.no_sales_grade),
            ("default_grade", self.default_grade),
        ):
            if value is not None and value not in GRADE_LABELS:
                problems.append(
                    f"pareto: {name} must be one of {', '.join(GRADE_LABELS)}, got {value!r}"
                )
        if problems:
            raise ValidationError(problems)

    def grade(self, customers: pd.DataFrame, sales: pd.DataFrame) -> Grades:
        """Grade the customers from a long ``customer_id, month, sales`` table.

        Parameters
        ----------
        customers
            Table with ``customer_id``: every customer gets a grade.
        sales
            Long table; several rows per customer and month are added up.

        Returns
        -------
        Grades
            Components ``sales`` (in the window), ``sales_share``, ``rank``,
            ``cumulative_share_before`` and ``cumulative_share``; the score is
            ``1 - cumulative_share_before``.
        """
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
        total_by_customer = np.bincount(history.customer, history.value, minlength=n)
        has_rows = np.bincount(history.customer, minlength=n) > 0
        order = np.argsort(-total_by_customer, kind="stable")
        total = float(total_by_customer.sum())
        cumulative = np.cumsum(total_by_customer[order])
        sorted_before = np.empty(n)
        sorted_after = np.empty(n)
        if total > 0:
            sorted_after[:] = np.round(cumulative / total, SHARE_DECIMALS)
            sorted_before[:] = np.round(
                (cumulative - total_by_customer[order]) / total, SHARE_DECIMALS
            )
        else:
            sorted_after[:] = np.nan
            sorted_before[:] = np.nan
        before = np.empty(n)
        after = np.empty(n)
        rank = np.empty(n, dtype=np.int64)
        before[order] = sorted_before
        after[order] = sorted_after
        rank[order] = np.arange(1, n + 1)
        a_cut = round(self.shares[0], SHARE_DECIMALS)
        b_cut = round(self.shares[0] + self.shares[1], SHARE_DECIMALS)
        grade = np.where(before < a_cut, "A", np.where(before < b_cut, "B", "C")).astype(object)
        zero = total_by_customer <= 0
        if self.no_sales_grade is not None:
            grade[zero] = self.no_sales_grade
        grade[~has_rows] = self.default_grade
        basis = np.where(has_rows, "scheme", "default")
        share = total_by_customer / total if total > 0 else np.full(n, np.nan)
        out = pd.DataFrame(
            {
                "customer_id": ids.to_numpy(),
                "grade": pd.array(grade, dtype="str"),
                "score": 1.0 - before,
                "basis": basis,
                "sales": total_by_customer,
                "sales_share": share,
                "rank": rank,
                "cumulative_share_before": before,
                "cumulative_share": after,
            }
        )
        return Grades(
            table=out,
            scheme="pareto_abc",
            thresholds=(1.0 - a_cut, 1.0 - b_cut, np.nan),
            parameters={
                "shares": list(self.shares),
                "window": [month_label(history.first_month), month_label(history.last_month)],
                "total_sales": total,
                "no_sales_grade": self.no_sales_grade,
                "default_grade": self.default_grade,
            },
        )


def _positive_number(value: object) -> bool:
    """Whether ``value`` is a finite real number above zero (not a bool)."""
    return (
        isinstance(value, int | float | np.integer | np.floating)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
        and float(value) > 0
    )
