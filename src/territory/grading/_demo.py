"""Grading of the sample region, for ``territory demo``."""

from __future__ import annotations

import pandas as pd

from territory.datasets import SampleRegion
from territory.grading._matrix import RelationshipPotentialMatrix
from territory.grading._policy import VisitPolicy
from territory.grading._result import Grades

__all__ = ["demo_grades"]


def demo_grades(region: SampleRegion) -> tuple[Grades, pd.DataFrame]:
    """Grade the sample region with the relationship x potential matrix.

    Relationship 4-5 (of 1-5) is good; potential in the top 30 % is high.
    The last 12 months of sales give the share of sales per grade.

    Parameters
    ----------
    region
        From :func:`territory.datasets.sample_region`.

    Returns
    -------
    tuple of (Grades, pandas.DataFrame)
        The grades and the visit requirements of :meth:`VisitPolicy.default`.

    Examples
    --------
    >>> from territory.datasets import sample_region
    >>> grades, requirements = demo_grades(sample_region(200, seed=0))
    >>> sorted(requirements["grade"].unique().tolist())
    ['A', 'B', 'C', 'D']
    """
    grades = RelationshipPotentialMatrix(good_relationship=4.0, high_potential_quantile=0.7).grade(
        region.customers, sales=region.sales, window_months=12
    )
    return grades, VisitPolicy.default().requirements(grades)
