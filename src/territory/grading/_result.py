"""The result of every grading scheme: :class:`Grades`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from territory._json import json_safe

__all__ = ["GRADE_LABELS", "Grades", "json_safe"]

#: The grades every scheme produces, best first.
GRADE_LABELS: tuple[str, ...] = ("A", "B", "C", "D")


@dataclass(frozen=True, eq=False)
class Grades:
    """Grades per customer, with the score and the components that produced them.

    Attributes
    ----------
    table
        One row per customer: ``customer_id`` (str), ``grade`` (str, one of ``labels``),
        ``score`` (float, higher is better; its meaning depends on the scheme),
        ``basis`` (``"scheme"``, or ``"default"`` for customers the scheme had no data
        for) and the scheme's components, for example ``relationship_level`` and
        ``potential_level`` (matrix), ``cumulative_share_before`` (Pareto),
        ``r_score``/``f_score``/``m_score`` (RFM), ``<attribute>_points`` (weighted).
        A ``sales`` column, when present, feeds the share of sales in :meth:`summary`.
    scheme
        Name of the scheme, for example ``"pareto_abc"``.
    labels
        The grades, best first.
    thresholds
        Score boundaries between consecutive labels (``len(labels) - 1`` values): a
        customer above boundary ``k`` belongs to label ``k`` or better. NaN where the
        boundary is not a score threshold (the matrix, or the no-sales class). Used by
        :class:`~territory.grading.StableGrading` to measure how far a score crossed.
    parameters
        The scheme's parameters and derived values (JSON-safe), for the record.
    """

    table: pd.DataFrame
    scheme: str
    labels: tuple[str, ...] = GRADE_LABELS
    thresholds: tuple[float, ...] = ()
    parameters: Mapping[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.table)

    def to_frame(self) -> pd.DataFrame:
        """The per-customer table (a copy)."""
        return self.table.copy()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dictionary of the grades.

        Keys: scheme, labels, thresholds, parameters, ``summary`` (the text of
        :meth:`summary`), ``by_grade`` (the rows of :meth:`by_grade`) and customers.
        """
        records = self.table.to_dict(orient="records")
        return {
            "scheme": self.scheme,
            "labels": list(self.labels),
            "thresholds": json_safe(list(self.thresholds)),
            "parameters": json_safe(dict(self.parameters)),
            "summary": self.summary(),
            "by_grade": json_safe(self.by_grade().to_dict(orient="records")),
            "customers": json_safe(records),
        }

    def _repr_html_(self) -> str:
        """The summary over the first rows of :meth:`to_frame`, for notebooks."""
        from territory._html import result_html

        return result_html(self)

    def summary(self) -> str:
        """A short text: the scheme, then customers and share of sales per grade.

        Like every result's ``summary()``, this is text; the same figures as a table
        are :meth:`by_grade`.

        Examples
        --------
        >>> table = pd.DataFrame({"customer_id": ["a", "b"], "grade": ["A", "C"],
        ...     "score": [1.0, 0.0], "basis": "scheme", "sales": [30.0, 10.0]})
        >>> print(Grades(table=table, scheme="example").summary())
        grades (example): 2 customers
          A: 1 customers (50.0%), 75.0% of sales
          B: 0 customers (0.0%), 0.0% of sales
          C: 1 customers (50.0%), 25.0% of sales
          D: 0 customers (0.0%), 0.0% of sales
        """
        lines = [f"grades ({self.scheme}): {len(self.table):,} customers"]
        table = self.by_grade()
        for grade, count, share, sales_share in zip(
            table["grade"],
            table["customers"],
            table["share_customers"],
            table["share_sales"],
            strict=True,
        ):
            text = f"  {grade}: {int(count):,} customers ({float(share):.1%})"
            if not np.isnan(float(sales_share)):
                text += f", {float(sales_share):.1%} of sales"
            lines.append(text)
        return "\n".join(lines)

    def by_grade(self) -> pd.DataFrame:
        """Count, share of customers and share of sales per grade.

        Returns
        -------
        pandas.DataFrame
            ``grade, customers, share_customers, sales, share_sales``, one row per label
            (best first); ``sales``/``share_sales`` are NaN when the grades carry no
            ``sales`` column.
        """
        codes = pd.Index(list(self.labels), dtype="str").get_indexer(pd.Index(self.table["grade"]))
        counts = np.bincount(codes[codes >= 0], minlength=len(self.labels))
        n = max(len(self.table), 1)
        out = pd.DataFrame(
            {
                "grade": list(self.labels),
                "customers": counts.astype(np.int64),
                "share_customers": counts / n,
            }
        )
        if "sales" in self.table.columns:
            values = self.table["sales"].to_numpy(dtype=float)
            values = np.where(np.isnan(values), 0.0, values)
            by_grade = np.bincount(codes[codes >= 0], values[codes >= 0], len(self.labels))
            total = by_grade.sum()
            out["sales"] = by_grade
            out["share_sales"] = by_grade / total if total > 0 else np.nan
        else:
            out["sales"] = np.nan
            out["share_sales"] = np.nan
        return out

    def explain(self, customer_id: object) -> str:
        """Why one customer has its grade: the grade, the score and every component.

        Parameters
        ----------
        customer_id
            The customer to explain.

        Returns
        -------
        str
            For example ``"C7: grade B (relationship_matrix, score 0.81) -- relationship 3,
            relationship_level average, potential 91000.0, potential_level high"``.
        """
        from territory.errors import ValidationError

        rows = self.table[self.table["customer_id"] == str(customer_id)]
        if rows.empty:
            raise ValidationError(f"grades: column 'customer_id' has no customer '{customer_id}'")
        row = rows.iloc[0]
        parts = [
            f"{column} {json_safe(row[column])}"
            for column in self.table.columns
            if column not in ("customer_id", "grade", "score")
        ]
        return (
            f"{customer_id}: grade {row['grade']} ({self.scheme}, score "
            f"{json_safe(row['score'])}) -- " + ", ".join(parts)
        )
