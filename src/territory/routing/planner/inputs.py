"""Validation of the planner's inputs and their normalisation into plain arrays.

Who may serve which customer is the rule set of :mod:`territory.eligibility`, checked
here once: a fixed ``rep_id`` that breaks it, or a customer with visits whom no rep of
the table may serve (a dealer without reps), is a :class:`ValidationError` naming the
customers and the rule. ``locked_rep_id`` fixes the rep like ``rep_id`` does; both given
and different is an error. A rep's ``min_visits_per_day``/``max_visits_per_day`` become
:attr:`PlanInputs.min_per_day`/:attr:`PlanInputs.max_per_day`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from territory.eligibility import COMPANY, RULES, Eligibility, eligibility_from_tables
from territory.errors import InfeasibleError, ProblemCollector
from territory.routing.cycle import Cycle
from territory.tables import WEEKDAY_NAMES, numeric_column, validate_customers, validate_reps

__all__ = ["GRADE_PRIORITY", "NO_DAILY_MAX", "PlanInputs", "prepare_inputs"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

#: ``max_per_day`` of a rep without a daily maximum.
NO_DAILY_MAX = 1_000_000

#: Priority of each grade (higher is kept first when not everything fits).
GRADE_PRIORITY = {"A": 4.0, "B": 3.0, "C": 2.0, "D": 1.0}


@dataclass(frozen=True)
class PlanInputs:
    """Customers and reps as plain arrays (one entry per row, in table order).

    Customer times are minutes after midnight; a customer without opening hours gets
    ``opens = 0`` and ``closes = 1440``. ``allowed`` and ``rep_days`` are
    ``(rows, 7)`` weekday masks (Monday first). ``rep`` is the index of the customer's
    fixed rep or -1. ``priority`` is higher for customers kept first; ``weight`` is the
    matching drop weight from 1 (lowest) to 1000 (highest). ``eligibility`` says which
    reps may serve which customers; ``min_per_day``/``max_per_day`` are each rep's daily
    visit limits (0 and :data:`NO_DAILY_MAX` when not given).
    """

    customer_ids: NDArray[np.object_]
    lon: FloatArray
    lat: FloatArray
    visits: IntArray
    service: FloatArray
    opens: FloatArray
    closes: FloatArray
    allowed: BoolArray
    min_gap: FloatArray
    rep: IntArray
    priority: FloatArray
    weight: FloatArray
    rep_ids: NDArray[np.object_]
    home_lon: FloatArray
    home_lat: FloatArray
    day_start: FloatArray
    day_end: FloatArray
    rep_days: BoolArray
    lunch_start: FloatArray
    lunch_minutes: FloatArray
    eligibility: Eligibility
    min_per_day: IntArray
    max_per_day: IntArray

    @property
    def n_customers(self) -> int:
        """Number of customers."""
        return len(self.customer_ids)

    @property
    def n_reps(self) -> int:
        """Number of reps."""
        return len(self.rep_ids)


def _mask(values: pd.Series) -> BoolArray:
    out = np.zeros((len(values), 7), dtype=bool)
    for i, days in enumerate(values):
        out[i, list(days)] = True
    return out


def _priorities(frame: pd.DataFrame, problems: ProblemCollector) -> FloatArray:
    """Numeric priority per customer: ``priority`` when given, else from ``grade``."""
    ids = frame["customer_id"]
    if "priority" in frame.columns:
        values = numeric_column(
            frame, "priority", table="customers", problems=problems, allow_negative=True
        )
        return np.where(np.isfinite(values), values, 0.0)
    if "grade" in frame.columns:
        grades = frame["grade"].astype(object)
        text = [
            None
            if g is None or g is pd.NA or (isinstance(g, float) and math.isnan(g))
            else str(g).strip().upper()
            for g in grades
        ]
        unknown = np.array([t not in GRADE_PRIORITY for t in text])
        if unknown.any():
            problems.add(
                "customers",
                "grade",
                f"has {int(unknown.sum())} values that are not A, B, C or D "
                "(give a numeric 'priority' column instead)",
                list(ids[unknown]),
                id_column="customer_id",
            )
        return np.array([GRADE_PRIORITY.get(t or "", 0.0) for t in text], dtype=float)
    return np.ones(len(frame), dtype=float)


def _weights(priority: FloatArray) -> FloatArray:
    """Drop weights 1..1000, log-linear in priority (A = 1000, D = 1 for grades).

    The priorities are first divided by their largest magnitude, so that a range wider
    than the largest float (``-1e308`` to ``1e308``) cannot overflow to NaN.
    """
    if len(priority) == 0:
        return np.ones(0)
    scale = float(np.abs(priority).max())
    scaled = priority / scale if scale > 0 else priority
    low, high = float(scaled.min()), float(scaled.max())
    if high == low:
        return np.ones(len(priority))
    return np.asarray(10.0 ** (3.0 * (scaled - low) / (high - low)), dtype=float)


def _fixed_reps(
    frame: pd.DataFrame, reps: pd.DataFrame, rules: Eligibility, problems: ProblemCollector
) -> IntArray:
    """The fixed rep of every customer (``rep_id``, else its lock; -1 for none), checked."""
    index = {rid: i for i, rid in enumerate(reps["rep_id"])}
    n = len(frame)
    given = frame["rep_id"].tolist() if "rep_id" in frame.columns else [None] * n
    fixed = np.array([index.get(r, -1) if r is not None else -1 for r in given], dtype=np.int64)
    clash = (rules.lock >= 0) & (fixed >= 0) & (fixed != rules.lock)
    if clash.any():
        shown = ", ".join(
            f"{rules.customer_ids[i]}: rep_id {rules.rep_ids[fixed[i]]}, locked to "
            f"{rules.rep_ids[rules.lock[i]]}"
            for i in np.flatnonzero(clash)[:3]
        )
        problems.add(
            "customers",
            "rep_id",
            f"differs from 'locked_rep_id' for {int(clash.sum())} customers ({shown}); "
            f"{RULES['locked']}",
            rules.customer_ids[clash],
            id_column="customer_id",
        )
    fixed = np.where(fixed >= 0, fixed, rules.lock)
    rules.check_assigned(np.where(clash, -1, fixed), problems)
    return np.asarray(fixed, dtype=np.int64)


def _check_served(rules: Eligibility, visits: FloatArray, problems: ProblemCollector) -> None:
    """Every customer with visits has some rep that may serve it."""
    for side, members in rules.unserved().items():
        needed = [i for i in members if visits[i] > 0]
        if not needed:
            continue
        if side == COMPANY:
            problems.add(
                "reps",
                "kind",
                f"has no company rep, but {len(needed)} customers with visits need one "
                "(direct-supplied stores, dealers and key accounts)",
                rules.customer_ids[needed],
                id_column="customer_id",
            )
        else:
            problems.add(
                "reps",
                "dealer_id",
                f"has no rep for dealer '{side}', which supplies {len(needed)} stores with "
                "visits (a dealer's stores are served by its own reps; mark a store "
                "key_account or lock it with locked_rep_id to give it to a company rep)",
                rules.customer_ids[needed],
                id_column="customer_id",
            )


def _daily(reps: pd.DataFrame, column: str, default: int) -> IntArray:
    """A daily visit limit per rep (``default`` where not given)."""
    if column not in reps.columns:
        return np.full(len(reps), default, dtype=np.int64)
    values = reps[column].to_numpy(dtype=float)
    return np.where(np.isnan(values), default, values).astype(np.int64)


def prepare_inputs(customers: Any, reps: Any, cycle: Cycle) -> tuple[PlanInputs, pd.DataFrame]:
    """Validate the tables and turn them into :class:`PlanInputs`.

    Parameters
    ----------
    customers, reps
        The planner's input tables (see :func:`territory.routing.plan_routes`).
    cycle
        The planning cycle.

    Returns
    -------
    tuple of (PlanInputs, pandas.DataFrame)
        The arrays and the normalised customers table.

    Raises
    ------
    ValidationError
        Listing every problem in the tables.
    InfeasibleError
        When no rep works on any day of the cycle.
    """
    rep_frame = validate_reps(reps)
    frame = validate_customers(
        customers, reps=rep_frame, require=("visits_per_cycle", "service_minutes")
    )
    problems = ProblemCollector()
    if len(frame) == 0:
        problems.add("customers", None, "is empty; there is nothing to plan")
    if len(rep_frame) == 0:
        problems.add("reps", None, "is empty; at least one rep is needed")
    ids = frame["customer_id"]
    service = frame["service_minutes"]
    if service.isna().any():
        problems.add(
            "customers",
            "service_minutes",
            f"has {int(service.isna().sum())} missing values",
            list(ids[service.isna()]),
            id_column="customer_id",
        )
    # validate_customers bounds visits_per_cycle (MAX_VISITS_PER_CYCLE), so int64 is safe.
    visits = frame["visits_per_cycle"].fillna(0).to_numpy(dtype=float)
    priority = _priorities(frame, problems)
    if "lunch_minutes" in rep_frame.columns and "lunch_start" not in rep_frame.columns:
        problems.add("reps", "lunch_start", "is missing although 'lunch_minutes' is given")
    rules = eligibility_from_tables(frame, rep_frame, problems)
    fixed = _fixed_reps(frame, rep_frame, rules, problems)
    _check_served(rules, visits, problems)
    problems.raise_if_any()
    n = len(frame)
    opens = frame["opens"].to_numpy(dtype=float) if "opens" in frame.columns else np.full(n, np.nan)
    closes = (
        frame["closes"].to_numpy(dtype=float) if "closes" in frame.columns else np.full(n, np.nan)
    )
    allowed = (
        _mask(frame["allowed_days"])
        if "allowed_days" in frame.columns
        else np.ones((n, 7), dtype=bool)
    )
    m = len(rep_frame)
    lunch_start = (
        rep_frame["lunch_start"].to_numpy(dtype=float)
        if "lunch_start" in rep_frame.columns
        else np.full(m, np.nan)
    )
    lunch_minutes = (
        rep_frame["lunch_minutes"].fillna(0.0).to_numpy(dtype=float)
        if "lunch_minutes" in rep_frame.columns
        else np.zeros(m)
    )
    lunch_minutes = np.where(np.isnan(lunch_start), 0.0, lunch_minutes)
    inputs = PlanInputs(
        customer_ids=ids.astype(str).to_numpy(dtype=object),
        lon=frame["lon"].to_numpy(dtype=float),
        lat=frame["lat"].to_numpy(dtype=float),
        visits=visits.astype(np.int64),
        service=service.to_numpy(dtype=float),
        opens=np.nan_to_num(opens, nan=0.0),
        closes=np.nan_to_num(closes, nan=24 * 60.0),
        allowed=allowed,
        min_gap=(
            frame["min_gap_days"].to_numpy(dtype=float)
            if "min_gap_days" in frame.columns
            else np.full(n, np.nan)
        ),
        rep=fixed,
        priority=priority,
        weight=_weights(priority),
        rep_ids=rep_frame["rep_id"].astype(str).to_numpy(dtype=object),
        home_lon=rep_frame["home_lon"].to_numpy(dtype=float),
        home_lat=rep_frame["home_lat"].to_numpy(dtype=float),
        day_start=rep_frame["day_start"].to_numpy(dtype=float),
        day_end=rep_frame["day_end"].to_numpy(dtype=float),
        rep_days=_mask(rep_frame["weekdays"]),
        lunch_start=np.nan_to_num(lunch_start, nan=0.0),
        lunch_minutes=lunch_minutes,
        eligibility=rules,
        min_per_day=_daily(rep_frame, "min_visits_per_day", 0),
        max_per_day=_daily(rep_frame, "max_visits_per_day", NO_DAILY_MAX),
    )
    if not inputs.rep_days[:, : cycle.days].any():
        raise InfeasibleError(
            f"no rep works inside the cycle: the cycle has {cycle.days} working days a week "
            f"(Monday to {WEEKDAY_NAMES[cycle.days - 1]}) but the reps' weekdays are "
            f"{sorted({WEEKDAY_NAMES[d] for d in np.flatnonzero(inputs.rep_days.any(axis=0))})}"
            f", so 0 rep-days are available for {int(inputs.visits.sum())} visits"
        )
    return inputs, frame
