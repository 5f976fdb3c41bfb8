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
    trip is from the nearest home and the neighbour may be any rep's; with
    ``centre="home"``, once the territories are drawn around their reps' homes, the
    territories are balanced again on what each rep that takes a customer would need:
    trips from its home and to its own other customers (:func:`workload_by_territory`).
    Without reps the home term is 0.

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
from territory.workload import estimate_workload, minutes_by_rep

__all__ = ["measure_values", "workload_by_territory", "workload_minutes"]

FloatArray = NDArray[np.float64]


def workload_minutes(
    customers: pd.DataFrame,
    visits: FloatArray,
    service: FloatArray,
    travel: TravelModel,
    *,
    reps: pd.DataFrame | None = None,
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
        not known yet). Without reps it is 0.

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
    estimate = estimate_workload(
        frame, reps if reps is not None and len(reps) else None, travel=travel
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


def workload_by_territory(
    customers: pd.DataFrame,
    names: tuple[str, ...],
    values: FloatArray,
    labels: NDArray[np.int64],
    reps: pd.DataFrame,
    travel: TravelModel,
    home_minutes: FloatArray | None = None,
) -> FloatArray | None:
    """Every customer's measure values in each territory of its group, once drawn.

    Before the design the workload's home trip is charged from the nearest home and the
    neighbour trip to the nearest customer of any rep; once every customer has a
    territory, its rep is known: the workload is then what the rep that takes the
    customer would need (:func:`territory.workload.minutes_by_rep`, trips from that
    rep's home and to that rep's other customers).

    Parameters
    ----------
    customers, values
        The group's customers and their measure values, shape ``(n, m)``.
    names
        The measure names.
    labels
        Each customer's territory: a position in ``reps``.
    reps
        The group's reps, one per territory.
    travel
        The travel model.
    home_minutes
        :func:`territory.workload.home_trip_minutes` of these customers and reps, when
        already known.

    Returns
    -------
    numpy.ndarray or None
        Values of shape ``(n, p, m)``: the other measures as in ``values``, the
        ``workload`` column per territory; ``None`` when the workload is not estimated
        here (no such measure, or a ``workload`` column of the customers).
    """
    if "workload" not in names or "workload" in customers.columns or not len(reps):
        return None
    j = names.index("workload")
    frame = pd.DataFrame(
        {
            "customer_id": customers["customer_id"].to_numpy(),
            "lon": customers["lon"].to_numpy(dtype=float),
            "lat": customers["lat"].to_numpy(dtype=float),
            "visits_per_cycle": customers["visits_per_cycle"].to_numpy(dtype=float),
            "service_minutes": customers["service_minutes"].to_numpy(dtype=float),
        }
    )
    minutes = minutes_by_rep(frame, reps, labels, travel=travel, home_minutes=home_minutes)
    out = np.repeat(values[:, None, :], len(reps), axis=1)
    out[:, :, j] = np.where(np.isfinite(minutes), minutes, 0.0)
    return out
