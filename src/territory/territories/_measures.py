"""Balance measures: the per-customer values that territories must share fairly.

``balance`` maps a measure name to its relative tolerance around the (capacity
weighted) target. Two names are special:

``count``
    One per customer.
``workload``
    The ``workload`` column when the customers table has one; otherwise minutes per
    cycle estimated as ``visits_per_cycle * (service_minutes + travel)`` where travel
    is the travel time from the customer to its nearest other customer (one leg per
    visit: a route arrives at every stop from somewhere nearby).

Any other name is a numeric, non-negative column of the customers table (``potential``,
``sales`` ...).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from territory.errors import ProblemCollector
from territory.travel import Points, TravelModel

__all__ = ["measure_values", "travel_to_nearest_minutes"]

FloatArray = NDArray[np.float64]

#: Rows per block when travel to the nearest neighbour is looked up.
_BLOCK = 512


def travel_to_nearest_minutes(customers: pd.DataFrame, travel: TravelModel) -> FloatArray:
    """Travel minutes from each customer to its nearest other customer.

    The nearest customer is found by straight-line distance; the minutes come from
    ``travel`` in blocks, so no full matrix is built.

    Parameters
    ----------
    customers
        Validated customers (``customer_id``, ``lon``, ``lat``).
    travel
        The travel model.

    Returns
    -------
    numpy.ndarray
        Minutes per customer (0 for a lone customer).
    """
    from scipy.spatial import cKDTree

    from territory.territories._graph import project_km

    n = len(customers)
    if n < 2:
        return np.zeros(n)
    points = Points.from_frame(customers, id_column="customer_id")
    xy = project_km(points.lon, points.lat)
    _, nearest = cKDTree(xy).query(xy, k=2)
    other = nearest[:, 1]
    minutes = np.empty(n)
    for start in range(0, n, _BLOCK):
        rows = np.arange(start, min(start + _BLOCK, n))
        block = travel.matrix(points.take(rows), points.take(other[rows])).minutes
        minutes[rows] = np.diagonal(block)
    return np.where(np.isfinite(minutes), minutes, 0.0)


def _numeric_column(
    customers: pd.DataFrame, column: str, problems: ProblemCollector
) -> FloatArray | None:
    ids = customers["customer_id"]
    raw = customers[column]
    values = pd.to_numeric(raw, errors="coerce")
    bad = values.isna() | ~np.isfinite(values.to_numpy(dtype=float, na_value=np.nan))
    if bad.any():
        problems.add(
            "customers",
            column,
            f"has {int(bad.sum())} missing or non-numeric values (a balance measure needs "
            "a number for every customer)",
            list(ids[bad.to_numpy()]),
            id_column="customer_id",
        )
        return None
    negative = values < 0
    if negative.any():
        problems.add(
            "customers",
            column,
            f"has {int(negative.sum())} negative values",
            list(ids[negative.to_numpy()]),
            id_column="customer_id",
        )
        return None
    array = values.to_numpy(dtype=float)
    with np.errstate(over="ignore"):
        total = float(array.sum())
    if not np.isfinite(total):  # totals, targets and deviations would be infinite
        problems.add(
            "customers",
            column,
            "adds up to more than the largest float (about 1.8e308); give the measure in a "
            "larger unit",
        )
        return None
    return array


def measure_values(
    customers: pd.DataFrame,
    balance: Mapping[str, float],
    *,
    travel: TravelModel,
    problems: ProblemCollector,
) -> tuple[tuple[str, ...], FloatArray, FloatArray]:
    """Values of every balance measure for every customer.

    Parameters
    ----------
    customers
        Validated customers.
    balance
        Measure name to relative tolerance (for example ``{"workload": 0.05}``).
    travel
        Travel model for the workload estimate.
    problems
        Collects every problem found.

    Returns
    -------
    tuple
        Measure names, values of shape ``(n, m)`` and tolerances of shape ``(m,)``.
        Values are zeros where a problem was recorded.
    """
    names = tuple(str(k) for k in balance)
    n = len(customers)
    values = np.zeros((n, len(names)))
    tolerance = np.zeros(len(names))
    if not names:
        problems.add("balance", None, "names no measure; give at least one, e.g. {'count': 0.1}")
    for j, name in enumerate(names):
        tol = balance[name]
        if (
            isinstance(tol, bool)
            or not isinstance(tol, int | float)
            or not math.isfinite(tol)
            or not 0 < tol < 1
        ):
            problems.add(
                "balance",
                None,
                f"tolerance of '{name}' must be a number in (0, 1), e.g. 0.05 for ±5 %; "
                f"got {tol!r}",
            )
        else:
            tolerance[j] = float(tol)
        column: FloatArray | None
        if name == "count":
            column = np.ones(n)
        elif name == "workload" and "workload" not in customers.columns:
            missing = [c for c in ("visits_per_cycle", "service_minutes") if c not in customers]
            if missing:
                problems.add(
                    "customers",
                    "workload",
                    "is missing; give a 'workload' column or 'visits_per_cycle' and "
                    f"'service_minutes' to estimate it (missing: {', '.join(missing)})",
                )
                column = None
            else:
                visits = _numeric_column(customers, "visits_per_cycle", problems)
                service = _numeric_column(customers, "service_minutes", problems)
                if visits is None or service is None:
                    column = None
                else:
                    column = visits * (service + travel_to_nearest_minutes(customers, travel))
        elif name not in customers.columns:
            problems.add(
                "customers",
                name,
                "is missing; it is named in balance (use 'count', 'workload' or a "
                "numeric column of customers)",
            )
            column = None
        else:
            column = _numeric_column(customers, name, problems)
        if column is not None:
            values[:, j] = column
    return names, values, tolerance
