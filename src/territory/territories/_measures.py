"""Balance measures: the per-customer values that territories must share fairly.

``balance`` maps a measure name to its relative tolerance around the (capacity
weighted) target. Two names are special:

``count``
    One per customer.
``workload``
    The ``workload`` column when the customers table has one; otherwise minutes per
    cycle from :func:`territory.workload.estimate_workload`, the estimate the route
    planner's assignment uses: ``visits_per_cycle * (service_minutes +
    WORK_NEIGHBOUR_FACTOR x trip to the nearest other visited customer + HOME_SHARE x trip
    from the nearest rep home)``. The rep is not known before the design, so the home
    trip is from the nearest home; with ``centre="home"``, once the territories are
    drawn around their reps' homes, it is re-estimated from each territory's own rep and
    the territories are balanced once more (:func:`own_home_workload`). Without reps the
    home term is 0.

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
from territory.tables import check_total_finite, numeric_column
from territory.travel import TravelModel
from territory.workload import estimate_workload

__all__ = ["measure_values", "own_home_workload", "workload_minutes"]

FloatArray = NDArray[np.float64]


def workload_minutes(
    customers: pd.DataFrame,
    visits: FloatArray,
    service: FloatArray,
    travel: TravelModel,
    *,
    reps: pd.DataFrame | None = None,
    rep_ids: NDArray[np.object_] | None = None,
) -> FloatArray:
    """Estimated minutes per cycle of each customer (:mod:`territory.workload`).

    Parameters
    ----------
    customers
        Validated customers (``customer_id``, ``lon``, ``lat``).
    visits, service
        Visits per cycle and minutes per visit of each customer.
    travel
        The travel model.
    reps
        Reps with homes: the home term is charged from the nearest home (the rep is
        not known yet), or from ``rep_ids``. Without reps it is 0.
    rep_ids
        Each customer's rep, once the territories are drawn.

    Returns
    -------
    numpy.ndarray
        Minutes per customer.
    """
    frame = pd.DataFrame(
        {
            "customer_id": customers["customer_id"].to_numpy(),
            "lon": customers["lon"].to_numpy(dtype=float),
            "lat": customers["lat"].to_numpy(dtype=float),
            "visits_per_cycle": visits,
            "service_minutes": service,
        }
    )
    column = None
    if rep_ids is not None and reps is not None and len(reps):
        frame["rep_id"], column = rep_ids, "rep_id"
    estimate = estimate_workload(
        frame, reps if reps is not None and len(reps) else None, travel=travel, rep_column=column
    )
    minutes = estimate.customers["minutes"].to_numpy(dtype=float)
    return np.where(np.isfinite(minutes), minutes, 0.0)


def _numeric_column(
    customers: pd.DataFrame, column: str, problems: ProblemCollector
) -> FloatArray | None:
    """A balance measure: a finite number >= 0 for every customer, with a finite total."""
    before = len(problems.problems)
    values = numeric_column(customers, column, table="customers", problems=problems)
    if len(problems.problems) > before:
        return None
    if not check_total_finite(
        values, table="customers", column=column, problems=problems, what="measure"
    ):
        return None  # totals, targets and deviations would be infinite
    return values


def measure_values(
    customers: pd.DataFrame,
    balance: Mapping[str, float],
    *,
    travel: TravelModel,
    problems: ProblemCollector,
    reps: pd.DataFrame | None = None,
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
    reps
        Validated reps (``rep_id, home_lon, home_lat``). When given, the estimated
        workload charges each customer its share of the trip from the nearest rep home
        (as grading's capacity check does); without reps the home term is 0.

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
                    column = workload_minutes(customers, visits, service, travel, reps=reps)
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


def own_home_workload(
    customers: pd.DataFrame,
    names: tuple[str, ...],
    values: FloatArray,
    rep_of: NDArray[np.int64],
    reps: pd.DataFrame,
    travel: TravelModel,
) -> FloatArray | None:
    """The measure values with the estimated workload's home trips from each customer's rep.

    Before the design the home trip is charged from the nearest home; once every
    customer has a territory, its rep is known, and a customer far from its rep's home
    costs more than the design assumed. Returns ``values`` with the ``workload`` column
    re-estimated (customers without a rep, ``rep_of < 0``, keep theirs), or ``None``
    when the workload is not estimated here (no such measure, a ``workload`` column
    of the customers, or no reps).
    """
    has_rep = rep_of >= 0
    if "workload" not in names or "workload" in customers.columns or not has_rep.any():
        return None
    j = names.index("workload")
    ids = reps["rep_id"].astype(str).to_numpy(dtype=object)
    minutes = workload_minutes(
        customers,
        customers["visits_per_cycle"].to_numpy(dtype=float),
        customers["service_minutes"].to_numpy(dtype=float),
        travel,
        reps=reps,
        rep_ids=ids[np.where(has_rep, rep_of, 0)],  # those without a rep keep their values
    )
    out = values.copy()
    out[has_rep, j] = minutes[has_rep]
    return out
