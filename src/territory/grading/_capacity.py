"""Capacity check and calibration of visit frequencies against the reps' time.

Demand is the one workload estimate of :mod:`territory.workload` (the one the route
planner's assignment balances), with each customer's home trip from the nearest rep
home; capacity is the reps' working minutes, and the region "fits" when the demand is
within the share of them the planner fills (``1 - SAFETY_MARGIN``).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from territory.eligibility import eligibility
from territory.errors import InfeasibleError, ProblemCollector, ValidationError
from territory.geometry import unit_vectors
from territory.grading._result import json_safe
from territory.tables import (
    MAX_VISITS_PER_CYCLE,
    MINUTES_PER_DAY,
    validate_customers,
    validate_reps,
)
from territory.tables.columns import numeric_column, positions_of
from territory.tables.customers import customer_index
from territory.travel import TravelModel
from territory.workload import SAFETY_MARGIN, estimate_workload

if TYPE_CHECKING:
    from territory.routing import Cycle

__all__ = ["Calibration", "CapacityCheck", "calibrate", "capacity_check"]


class _Standard(Protocol):
    @property
    def min_visits_per_cycle(self) -> int: ...


class GradeFloors(Protocol):
    """What :func:`calibrate` reads of a :class:`~territory.grading.VisitPolicy`.

    Its grades, best first, each with the fewest visits a cycle it may be lowered to.
    """

    @property
    def standards(self) -> Mapping[str, _Standard]: ...


logger = logging.getLogger("territory")

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class CapacityCheck:
    """Minutes the visit requirements need against minutes the reps can give.

    Attributes
    ----------
    demand_minutes
        ``sum(visits * (service_minutes + travel_per_visit))`` over the customers
        (:mod:`territory.workload`).
    service_minutes, travel_minutes
        The two parts of the demand.
    capacity_minutes
        ``sum over reps of working days * (day_end - day_start - lunch)``.
    visits
        Visits per cycle in total.
    reps
        Number of reps.
    cycle_days
        Working days (Monday to Friday) in the cycle.
    customers
        Per customer: ``customer_id, grade, side, visits_per_cycle, service_minutes,
        neighbour_minutes, home_minutes, travel_minutes_per_visit, minutes``.
    rep_capacity
        Per rep: ``rep_id, working_days, day_minutes, lunch_minutes,
        capacity_minutes, side``.
    margin
        Share of the capacity the route planner keeps free of estimated work
        (:data:`territory.workload.SAFETY_MARGIN`).
    sides
        Per side (``"company"`` or a dealer id, as :mod:`territory.eligibility` gives
        each customer one): ``side, reps, visits, demand_minutes, capacity_minutes,
        usable_minutes, fits``. A dealer's stores can only go to its own reps, so a
        side can be short while the region as a whole has room.
    rep_load
        Per rep with customers fixed to it (``rep_id``, else ``locked_rep_id``, as
        ``plan_routes`` reads them): ``rep_id, side, customers, visits,
        demand_minutes, capacity_minutes, usable_minutes, fits``. Fixed customers
        cannot move to a rep with time to spare, so each such rep must fit on its own;
        ``None`` when no customer has a fixed rep.
    """

    demand_minutes: float
    service_minutes: float
    travel_minutes: float
    capacity_minutes: float
    visits: int
    reps: int
    cycle_days: int
    customers: pd.DataFrame
    rep_capacity: pd.DataFrame
    margin: float = SAFETY_MARGIN
    sides: pd.DataFrame | None = None
    rep_load: pd.DataFrame | None = None

    @property
    def usable_minutes(self) -> float:
        """The capacity the route planner fills: ``capacity_minutes * (1 - margin)``."""
        return self.capacity_minutes * (1.0 - self.margin)

    @property
    def utilisation(self) -> float:
        """Demand over capacity (inf when there is no capacity)."""
        if self.capacity_minutes <= 0:
            return float("inf") if self.demand_minutes > 0 else 0.0
        return self.demand_minutes / self.capacity_minutes

    @property
    def fits(self) -> bool:
        """Whether the demand fits the capacity the planner fills: in total, per side, per rep.

        The total demand must be at most :attr:`usable_minutes`, and so must each side's
        (see :attr:`sides`) and each fixed rep's (see :attr:`rep_load`): the share of the
        reps' minutes the route planner fills.
        """
        sides_fit = self.sides is None or bool(self.sides["fits"].all())
        reps_fit = self.rep_load is None or bool(self.rep_load["fits"].all())
        return self.demand_minutes <= self.usable_minutes and sides_fit and reps_fit

    def short_reps(self) -> list[str]:
        """The reps whose fixed customers need more than their usable capacity."""
        if self.rep_load is None:
            return []
        return [str(x) for x in self.rep_load.loc[~self.rep_load["fits"], "rep_id"]]

    def short_sides(self) -> list[str]:
        """The sides whose demand exceeds their usable capacity."""
        if self.sides is None:
            return []
        return [str(x) for x in self.sides.loc[~self.sides["fits"], "side"]]

    def by_grade(self) -> pd.DataFrame:
        """Customers, visits and minutes per grade."""
        c = self.customers
        frame = pd.DataFrame(
            {
                "grade": c["grade"],
                "customers": 1,
                "visits": c["visits_per_cycle"],
                "service_minutes": c["visits_per_cycle"] * c["service_minutes"],
                "travel_minutes": c["visits_per_cycle"] * c["travel_minutes_per_visit"],
                "minutes": c["minutes"],
            }
        )
        return frame.groupby("grade", sort=True, as_index=False).sum()

    def to_frame(self) -> pd.DataFrame:
        """Per-grade table (see :meth:`by_grade`)."""
        return self.by_grade()

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe totals and the per-grade table."""
        return {
            "demand_minutes": json_safe(self.demand_minutes),
            "service_minutes": json_safe(self.service_minutes),
            "travel_minutes": json_safe(self.travel_minutes),
            "capacity_minutes": json_safe(self.capacity_minutes),
            "usable_minutes": json_safe(self.usable_minutes),
            "margin": json_safe(self.margin),
            "utilisation": json_safe(self.utilisation),
            "fits": self.fits,
            "visits": self.visits,
            "reps": self.reps,
            "cycle_days": self.cycle_days,
            "by_grade": json_safe(self.by_grade().to_dict(orient="records")),
            "sides": json_safe(self.sides.to_dict(orient="records"))
            if self.sides is not None
            else None,
            "rep_load": json_safe(self.rep_load.to_dict(orient="records"))
            if self.rep_load is not None
            else None,
        }

    def _repr_html_(self) -> str:
        """The summary over the first rows of :meth:`to_frame`, for notebooks."""
        from territory._html import result_html

        return result_html(self)

    def summary(self) -> str:
        """One paragraph with the arithmetic."""
        short = self.short_sides()
        over = self.short_reps()
        return (
            f"{self.visits:,} visits per {self.cycle_days}-day cycle need "
            f"{self.demand_minutes:,.0f} min ({self.service_minutes:,.0f} service + "
            f"{self.travel_minutes:,.0f} travel); {self.reps} reps give "
            f"{self.capacity_minutes:,.0f} min: utilisation {self.utilisation:.1%} (the planner "
            f"fills at most {1 - self.margin:.0%}) -- {'fits' if self.fits else 'does not fit'}"
            + (f"; short of time: {', '.join(short[:5])}" if short else "")
            + (
                f"; reps whose fixed customers need more than {1 - self.margin:.0%} of their "
                f"time: {', '.join(over[:5])}"
                + (f" and {len(over) - 5} more" if len(over) > 5 else "")
                if over
                else ""
            )
        )


@dataclass(frozen=True)
class _Inputs:
    ids: pd.Index
    grade: NDArray[np.object_]
    visits: NDArray[np.int64]
    service: FloatArray
    neighbour: FloatArray
    home: FloatArray
    travel_per_visit: FloatArray
    rep_capacity: pd.DataFrame
    cycle_days: int
    side: NDArray[np.object_]
    fixed_rep: NDArray[np.object_]


@dataclass(frozen=True)
class _CycleShape:
    """Working days of the cycle: ``weeks`` weeks of weekdays ``0 .. week_days - 1``."""

    weeks: float
    week_days: int

    @property
    def n_days(self) -> int:
        return round(self.weeks * self.week_days)


def cycle_shape(cycle: Cycle | None, cycle_days: int | None, *, where: str) -> _CycleShape:
    """The cycle of a capacity estimate from ``cycle=`` or the deprecated ``cycle_days=``.

    Parameters
    ----------
    cycle
        The planning cycle (default ``Cycle()``: 4 weeks of Monday to Friday).
    cycle_days
        Deprecated: working days Monday to Friday (``cycle_days / 5`` weeks).
    where
        Name of the calling function, for the warning.

    Returns
    -------
    _CycleShape
    """
    if cycle_days is not None:
        warnings.warn(
            f"{where}(cycle_days=...) is deprecated; use cycle=Cycle(weeks=..., days=...), "
            "as plan_routes does",
            DeprecationWarning,
            stacklevel=3,
        )
        if cycle is not None:
            raise ValidationError(f"{where}: give cycle or cycle_days, not both")
        if isinstance(cycle_days, bool) or not isinstance(cycle_days, int | np.integer):
            raise ValidationError(
                f"capacity: cycle_days must be a whole number, got {cycle_days!r}"
            )
        if cycle_days < 1:
            raise ValidationError(f"capacity: cycle_days must be at least 1, got {cycle_days}")
        return _CycleShape(weeks=cycle_days / 5.0, week_days=5)
    if cycle is None:
        from territory.routing import Cycle

        cycle = Cycle()
    return _CycleShape(weeks=float(cycle.weeks), week_days=int(cycle.days))


def _read_requirements(
    requirements: pd.DataFrame,
) -> tuple[pd.Index, NDArray[np.object_], NDArray[np.int64], FloatArray]:
    table = "requirements"
    ids = customer_index(requirements, table=table)
    problems = ProblemCollector()
    for column in ("grade", "visits_per_cycle", "service_minutes"):
        if column not in requirements.columns:
            problems.add(table, column, "is missing")
    problems.raise_if_any()
    id_series = pd.Series(ids)
    visits = numeric_column(
        requirements,
        "visits_per_cycle",
        table=table,
        ids=id_series,
        problems=problems,
        maximum=MAX_VISITS_PER_CYCLE,
    )
    service = numeric_column(
        requirements,
        "service_minutes",
        table=table,
        ids=id_series,
        problems=problems,
        maximum=MINUTES_PER_DAY,
    )
    fractional = ~np.isnan(visits) & (visits != np.round(visits))
    if fractional.any():
        problems.add(
            table,
            "visits_per_cycle",
            f"has {int(fractional.sum())} non-integer values",
            list(ids[fractional]),
            id_column="customer_id",
        )
    problems.raise_if_any()
    grade = requirements["grade"].astype(str).to_numpy(dtype=object)
    return ids, grade, visits.astype(np.int64), service


def _prepare(
    requirements: pd.DataFrame,
    customers: pd.DataFrame,
    reps: pd.DataFrame,
    *,
    cycle: _CycleShape,
    travel: TravelModel | None,
) -> _Inputs:
    ids, grade, visits, service = _read_requirements(requirements)
    located = validate_customers(customers)
    where = positions_of(pd.Index(located["customer_id"].astype(str), dtype="str"), pd.Series(ids))
    if (where < 0).any():
        raise ValidationError(
            f"requirements: column 'customer_id' has {int((where < 0).sum())} customers that are "
            "not in the customers table"
            f" (customer_id: {', '.join(repr(i) for i in ids[where < 0][:5])})"
        )
    visited = np.flatnonzero(visits > 0)
    valid_reps = validate_reps(reps)
    rules = eligibility(located, valid_reps)
    side = np.array([rules.side(int(j)) for j in where], dtype=object)
    fixed = _fixed_reps(located)[where]
    lon = located["lon"].to_numpy(dtype=float)[where]
    lat = located["lat"].to_numpy(dtype=float)[where]
    nearest = _nearest_rep_of_side(lon, lat, side, valid_reps, rules.rep_side)
    home_rep = np.where(pd.isna(fixed), nearest, fixed)
    estimate = estimate_workload(
        pd.DataFrame(
            {
                "customer_id": np.asarray(ids, dtype=object)[visited],
                "lon": lon[visited],
                "lat": lat[visited],
                "visits_per_cycle": visits[visited],
                "service_minutes": service[visited],
                "rep_id": home_rep[visited],
            }
        ),
        valid_reps,
        travel=travel,
        rep_column="rep_id",
    ).customers
    parts = {}
    for column in ("neighbour_minutes", "home_minutes", "travel_minutes_per_visit"):
        parts[column] = np.zeros(len(ids))
        parts[column][visited] = estimate[column].to_numpy(dtype=float)
    return _Inputs(
        ids,
        grade,
        visits,
        service,
        parts["neighbour_minutes"],
        parts["home_minutes"],
        parts["travel_minutes_per_visit"],
        _rep_capacity(valid_reps, cycle).assign(side=rules.rep_side.astype(str)),
        cycle.n_days,
        side,
        fixed,
    )


def _fixed_reps(customers: pd.DataFrame) -> NDArray[np.object_]:
    """Per customer, its fixed rep (``rep_id``, else ``locked_rep_id``) or ``None``."""
    fixed = np.full(len(customers), None, dtype=object)
    for column in ("locked_rep_id", "rep_id"):  # rep_id wins, as in plan_routes
        if column in customers.columns:
            given = customers[column].to_numpy(dtype=object)
            named = ~pd.isna(given) & (given.astype(str) != "")
            fixed[named] = given[named].astype(str)
    return fixed


def _nearest_rep_of_side(
    lon: FloatArray,
    lat: FloatArray,
    side: NDArray[np.object_],
    reps: pd.DataFrame,
    rep_side: NDArray[np.object_],
) -> NDArray[np.object_]:
    """Per customer, the rep of its side (:mod:`territory.eligibility`) living nearest.

    A customer whose side has no rep gets the nearest rep of all (its side then has no
    capacity and does not fit).
    """
    rep_ids = reps["rep_id"].astype(str).to_numpy(dtype=object)
    out = np.empty(len(lon), dtype=object)
    if not len(rep_ids):
        return out
    homes = unit_vectors(reps["home_lon"].to_numpy(float), reps["home_lat"].to_numpy(float))
    points = unit_vectors(lon, lat)
    rep_side_text = rep_side.astype(str)
    for name in dict.fromkeys(side.tolist()):
        rows = np.flatnonzero(side == name)
        members = np.flatnonzero(rep_side_text == str(name))
        if not len(members):
            members = np.arange(len(rep_ids))
        _, nearest = cKDTree(homes[members]).query(points[rows])
        out[rows] = rep_ids[members[np.asarray(nearest, dtype=np.int64)]]
    return out


def _rep_capacity(reps: pd.DataFrame, cycle: _CycleShape) -> pd.DataFrame:
    """Working minutes per rep in the cycle, less lunch (trips from home are in the demand)."""
    # The cycle's weeks run from Monday over ``week_days`` days: a rep's weekday outside
    # them (Saturday in a Monday-to-Friday cycle) is not a working day in it.
    days = (
        np.array([sum(1 for d in w if d < cycle.week_days) for w in reps["weekdays"]], float)
        * cycle.weeks
    )
    day_minutes = reps["day_end"].to_numpy(dtype=float) - reps["day_start"].to_numpy(dtype=float)
    lunch = (
        reps["lunch_minutes"].to_numpy(dtype=float)
        if "lunch_minutes" in reps.columns
        else np.zeros(len(reps))
    )
    lunch = np.where(np.isnan(lunch), 0.0, lunch)
    capacity = np.clip(days * (day_minutes - lunch), 0.0, None)
    return pd.DataFrame(
        {
            "rep_id": reps["rep_id"].astype(str).to_numpy(dtype=object),
            "working_days": days,
            "day_minutes": day_minutes,
            "lunch_minutes": lunch,
            "capacity_minutes": capacity,
        }
    )


def _check(inputs: _Inputs, visits: NDArray[np.int64]) -> CapacityCheck:
    service = visits * inputs.service
    travel = visits * inputs.travel_per_visit
    customers = pd.DataFrame(
        {
            "customer_id": inputs.ids.to_numpy(),
            "grade": inputs.grade,
            "side": inputs.side.astype(str),
            "visits_per_cycle": visits,
            "service_minutes": inputs.service,
            "neighbour_minutes": inputs.neighbour,
            "home_minutes": inputs.home,
            "travel_minutes_per_visit": inputs.travel_per_visit,
            "minutes": service + travel,
        }
    )
    return CapacityCheck(
        demand_minutes=float(service.sum() + travel.sum()),
        service_minutes=float(service.sum()),
        travel_minutes=float(travel.sum()),
        capacity_minutes=float(inputs.rep_capacity["capacity_minutes"].sum()),
        visits=int(visits.sum()),
        reps=len(inputs.rep_capacity),
        cycle_days=inputs.cycle_days,
        customers=customers,
        rep_capacity=inputs.rep_capacity,
        sides=_sides(customers, inputs.rep_capacity),
        rep_load=_rep_load(customers, inputs.fixed_rep, inputs.rep_capacity),
    )


def _rep_load(
    customers: pd.DataFrame, fixed: NDArray[np.object_], rep_capacity: pd.DataFrame
) -> pd.DataFrame | None:
    """Demand of the customers fixed to each rep against that rep's capacity."""
    mask = ~pd.isna(fixed)
    if not mask.any():
        return None
    demand = (
        customers.loc[mask, ["visits_per_cycle", "minutes"]]
        .assign(rep_id=fixed[mask].astype(str), customers=1)
        .groupby("rep_id", sort=True)[["customers", "visits_per_cycle", "minutes"]]
        .sum()
    )
    capacity = rep_capacity.set_index("rep_id").reindex(demand.index)
    frame = pd.DataFrame(
        {
            "rep_id": demand.index.astype(str),
            "side": capacity["side"].astype(str).to_numpy(),
            "customers": demand["customers"].to_numpy(dtype=np.int64),
            "visits": demand["visits_per_cycle"].to_numpy(dtype=np.int64),
            "demand_minutes": demand["minutes"].to_numpy(dtype=float),
            "capacity_minutes": capacity["capacity_minutes"].to_numpy(dtype=float),
        }
    )
    frame["usable_minutes"] = frame["capacity_minutes"] * (1.0 - SAFETY_MARGIN)
    frame["fits"] = frame["demand_minutes"] <= frame["usable_minutes"]
    return frame


def _sides(customers: pd.DataFrame, rep_capacity: pd.DataFrame) -> pd.DataFrame:
    """Demand against capacity per side (the company, each dealer)."""
    demand = customers.groupby("side")[["visits_per_cycle", "minutes"]].sum()
    capacity = rep_capacity.groupby("side")["capacity_minutes"].sum()
    reps = rep_capacity.groupby("side")["rep_id"].count()
    names = demand.index.union(capacity.index)
    frame = pd.DataFrame(
        {
            "side": names.astype(str),
            "reps": reps.reindex(names, fill_value=0).to_numpy(dtype=np.int64),
            "visits": demand["visits_per_cycle"].reindex(names, fill_value=0).to_numpy(np.int64),
            "demand_minutes": demand["minutes"].reindex(names, fill_value=0.0).to_numpy(float),
            "capacity_minutes": capacity.reindex(names, fill_value=0.0).to_numpy(float),
        }
    )
    frame["usable_minutes"] = frame["capacity_minutes"] * (1.0 - SAFETY_MARGIN)
    frame["fits"] = frame["demand_minutes"] <= frame["usable_minutes"]
    return frame


def capacity_check(
    requirements: pd.DataFrame,
    customers: pd.DataFrame,
    reps: pd.DataFrame,
    *,
    cycle: Cycle | None = None,
    travel: TravelModel | None = None,
    cycle_days: int | None = None,
) -> CapacityCheck:
    """Compare the minutes the visit requirements need with what the reps can give.

    Demand per customer is the estimate of :mod:`territory.workload`, the one the route
    planner balances: ``visits_per_cycle * (service_minutes + WORK_NEIGHBOUR_FACTOR x
    trip to the nearest other visited customer + HOME_SHARE x trip from the nearest rep
    home)``, with travel from ``travel`` (great-circle by default). Capacity per rep is
    ``working days * (day_end - day_start - lunch_minutes)``: working days are the
    cycle's weeks times the rep's weekdays among the cycle's days per week (Monday to
    Friday by default: a Saturday or Sunday is not in the cycle). The region fits when
    the demand is at most ``1 - SAFETY_MARGIN`` of the capacity -- the share the
    planner's assignment fills with estimated work (:attr:`CapacityCheck.usable_minutes`)
    -- in total and on each side (the company's reps, each dealer's reps; who may serve
    whom is :mod:`territory.eligibility`), and for each rep on its own over the customers
    fixed to it (``rep_id``, else ``locked_rep_id``; see :attr:`CapacityCheck.rep_load`):
    the planner cannot move those customers to a rep with time to spare. The home trip
    of a customer is from its fixed rep's home, else from the nearest home of a rep of
    its side.

    Parameters
    ----------
    requirements
        ``customer_id, grade, visits_per_cycle, service_minutes`` (from
        :meth:`VisitPolicy.requirements`).
    customers
        Customers with locations (validated with ``validate_customers``).
    reps
        Reps (validated with ``validate_reps``).
    cycle
        The planning cycle, as for :func:`~territory.routing.plan_routes` (default
        ``Cycle()``: 4 weeks of Monday to Friday).
    travel
        Travel model; :class:`~territory.travel.GreatCircleTravel` by default.
    cycle_days
        Deprecated: working days Monday to Friday; use ``cycle``.

    Returns
    -------
    CapacityCheck
    """
    shape = cycle_shape(cycle, cycle_days, where="capacity_check")
    return _check(
        inputs := _prepare(requirements, customers, reps, cycle=shape, travel=travel),
        inputs.visits,
    )


@dataclass(frozen=True, eq=False)
class Calibration:
    """Visit frequencies lowered to fit the reps' capacity, and what changed.

    Attributes
    ----------
    requirements
        The calibrated requirements (same columns and order as the input).
    changes
        One row per customer whose frequency changed: ``customer_id, grade,
        visits_before, visits_after, minutes_saved``.
    by_grade
        Per grade: ``customers, customers_lowered, visits_before, visits_after,
        minutes_saved``.
    before, after
        Capacity checks before and after (the travel estimate per visit is kept from
        before).
    explanation
        What was changed and why, as text.
    """

    requirements: pd.DataFrame
    changes: pd.DataFrame
    by_grade: pd.DataFrame
    before: CapacityCheck
    after: CapacityCheck
    explanation: str

    def to_frame(self) -> pd.DataFrame:
        """The calibrated requirements (a copy)."""
        return self.requirements.copy()

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe record of the calibration."""
        return {
            "before": self.before.to_dict(),
            "after": self.after.to_dict(),
            "by_grade": json_safe(self.by_grade.to_dict(orient="records")),
            "changes": json_safe(self.changes.to_dict(orient="records")),
            "explanation": self.explanation,
        }

    def summary(self) -> str:
        """The explanation."""
        return self.explanation


def calibrate(
    requirements: pd.DataFrame,
    customers: pd.DataFrame,
    reps: pd.DataFrame,
    *,
    policy: GradeFloors,
    cycle: Cycle | None = None,
    travel: TravelModel | None = None,
    tolerance: float = 0.02,
    priority: pd.Series | None = None,
    cycle_days: int | None = None,
) -> Calibration:
    """Lower visit frequencies until the demand fits the capacity.

    The capacity here is the share of the reps' minutes the route planner fills
    (:attr:`CapacityCheck.usable_minutes`), so that a calibrated region "fits" in the
    sense of :func:`capacity_check`. When the demand exceeds it by more than
    ``tolerance``, visits are taken
    away one at a time: first from D customers, then C, then B, and A only when the
    lower grades are all at their ``min_visits_per_cycle`` and it is still too much.
    Within a grade every customer loses one visit before any loses a second; within
    such a round, customers with the lowest ``priority`` go first (default: the
    highest travel per visit, so remote customers give way first). It stops as soon
    as demand is at most capacity, so it lands within ``tolerance`` below capacity
    unless one visit is worth more than ``tolerance`` of the capacity. Frequencies are
    never raised; a demand already within capacity is left alone.
    Calibration works on the region's total: a side (a dealer's reps) that is short of
    time while the region has room stays short, and :attr:`CapacityCheck.sides` of
    ``after`` shows it.

    Parameters
    ----------
    requirements, customers, reps, cycle, travel, cycle_days
        As for :func:`capacity_check`.
    policy
        The visit policy: its order of grades (best first) and minimum frequencies.
    tolerance
        Accepted overshoot of capacity, as a share (0.02 = 2 %).
    priority
        Optional value per customer (indexed by customer id, for example the grade
        score); lower values lose visits first within a grade.

    Returns
    -------
    Calibration

    Raises
    ------
    InfeasibleError
        When even the minimum frequencies need more than the capacity.
    ValidationError
        When a grade is not in the policy, or the inputs are invalid.
    """
    if not 0 <= tolerance < 1:
        raise ValidationError(f"calibrate: tolerance must lie in [0, 1), got {tolerance}")
    shape = cycle_shape(cycle, cycle_days, where="calibrate")
    inputs = _prepare(requirements, customers, reps, cycle=shape, travel=travel)
    grades = list(policy.standards)
    level = pd.Index(grades, dtype="str").get_indexer(pd.Index(inputs.grade)).astype(np.int64)
    if (level < 0).any():
        bad = inputs.ids[level < 0]
        raise ValidationError(
            f"requirements: column 'grade' has {len(bad)} grades the visit policy does not define"
            f" (values: {', '.join(sorted(set(inputs.grade[level < 0])))}; customer_id: "
            f"{', '.join(repr(i) for i in bad[:5])})"
        )
    before = _check(inputs, inputs.visits)
    capacity = before.usable_minutes
    cost = inputs.service + inputs.travel_per_visit
    policy_min = np.array([policy.standards[g].min_visits_per_cycle for g in grades])[level]
    floor = np.minimum(policy_min, inputs.visits)
    min_demand = float((floor * cost).sum())
    visits = inputs.visits.copy()
    lines = [f"Before: {before.summary()}."]
    if before.demand_minutes <= capacity * (1 + tolerance):
        lines.append("Demand is within capacity; no frequency was changed.")
    elif min_demand > capacity * (1 + tolerance):
        floors = ", ".join(f"{g} {policy.standards[g].min_visits_per_cycle}" for g in grades)
        raise InfeasibleError(
            f"even the minimum frequencies ({floors} visits per cycle) need "
            f"{min_demand:,.0f} min, but {before.reps} reps give "
            f"{before.capacity_minutes:,.0f} min in {before.cycle_days} days, of which the "
            f"route planner fills {1 - before.margin:.0%} ({capacity:,.0f} min): "
            f"{min_demand / max(capacity, 1e-9):.1%} of that, "
            f"allowed {1 + tolerance:.0%}; add reps or lower the minimums"
        )
    else:
        if priority is None:
            rank_key = -inputs.travel_per_visit
        else:
            rank_key = priority.reindex(pd.Index(inputs.ids)).to_numpy(dtype=float, na_value=np.nan)
            rank_key = np.where(np.isnan(rank_key), -np.inf, rank_key)
        slack = visits - floor
        who = np.repeat(np.arange(len(visits)), slack)
        starts = np.repeat(np.cumsum(slack) - slack, slack)
        round_ = np.arange(len(who)) - starts
        within = np.empty(len(visits), dtype=np.int64)
        within[np.lexsort((np.arange(len(visits)), rank_key))] = np.arange(len(visits))
        order = np.lexsort((within[who], round_, -level[who]))
        taken = np.cumsum(cost[who[order]])
        excess = before.demand_minutes - capacity
        count = int(np.searchsorted(taken, excess - 1e-9 * max(capacity, 1.0))) + 1
        count = min(count, len(order))
        removed = np.bincount(who[order[:count]], minlength=len(visits))
        visits = visits - removed
    after = _check(inputs, visits)
    changed = visits != inputs.visits
    changes = pd.DataFrame(
        {
            "customer_id": inputs.ids[changed].to_numpy(),
            "grade": inputs.grade[changed],
            "visits_before": inputs.visits[changed],
            "visits_after": visits[changed],
            "minutes_saved": ((inputs.visits - visits) * cost)[changed],
        }
    )
    by_grade = pd.DataFrame(
        {
            "grade": grades,
            "customers": np.bincount(level, minlength=len(grades)),
            "customers_lowered": np.bincount(level[changed], minlength=len(grades)),
            "visits_before": np.bincount(level, inputs.visits, minlength=len(grades)).astype(
                np.int64
            ),
            "visits_after": np.bincount(level, visits, minlength=len(grades)).astype(np.int64),
            "minutes_saved": np.bincount(
                level, (inputs.visits - visits) * cost, minlength=len(grades)
            ),
        }
    )
    for row in by_grade.to_dict(orient="records"):
        if row["customers_lowered"]:
            lines.append(
                f"Grade {row['grade']}: {row['customers_lowered']:,} of {row['customers']:,} "
                f"customers lowered, visits {row['visits_before']:,} -> {row['visits_after']:,}, "
                f"{row['minutes_saved']:,.0f} min saved."
            )
    if changed.any() and by_grade["customers_lowered"].iloc[0] > 0:
        lines.append(
            f"Grade {grades[0]} had to be lowered: with every other grade at its minimum the "
            f"demand still exceeded the {capacity:,.0f} min of usable capacity."
        )
    if changed.any():
        lines.append(f"After: {after.summary()}.")
        landed = after.demand_minutes / max(capacity, 1e-9)
        if landed < 1 - tolerance:
            lines.append(
                f"Note: landed at {landed:.1%} of the usable capacity, more than "
                f"{tolerance:.0%} below it, because single visits are large compared with it."
            )
    out = requirements.copy()
    out["visits_per_cycle"] = visits
    logger.info("calibrate: %s", " ".join(lines))
    return Calibration(
        requirements=out,
        changes=changes,
        by_grade=by_grade,
        before=before,
        after=after,
        explanation="\n".join(lines),
    )
