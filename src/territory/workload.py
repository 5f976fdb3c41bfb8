"""Workload: one estimate of the minutes a customer's visits take, used by every stage.

Grading's capacity check (:func:`territory.grading.capacity_check`), the territories'
``workload`` balance measure (:func:`territory.territories.design_territories`) and the
route planner's assignment (:func:`territory.routing.plan_routes`) all charge a customer
the same minutes, so that a region that "fits" and a territory balanced on workload need
the work the route plan then needs.

The estimate
------------
A customer with ``visits`` visits a cycle of ``service`` minutes each costs::

    minutes = visits x (service + travel per visit)
    travel per visit = WORK_NEIGHBOUR_FACTOR x neighbour trip + HOME_SHARE x home trip

* *neighbour trip*: minutes to the nearest other customer. Its great-circle kilometres
  (:func:`neighbour_km`, a KD-tree on :func:`~territory.geometry.unit_vectors`) times the
  travel model's minutes per straight kilometre (:func:`minutes_per_km`): a route reaches
  each stop from somewhere nearby, but rarely from the very nearest customer, hence the
  factor.
* *home trip*: one-way minutes between the customer and the home of its rep (the mean of
  out and back). Days start and end at home; each visit carries a share of those trips.
  Where the rep is not known yet (grading's capacity check) the nearest home is used, as
  the planner's assignment mostly keeps customers near their rep. Where no home is known
  at all (the territories' ``workload`` measure, which sees customers only) the home term
  is 0: the estimate is then about ``HOME_SHARE x`` a typical home trip per visit low,
  more so in sparse areas, whose territories are wider.

Once every customer's rep is known (a territory plan), a route only joins the rep's own
customers: ``neighbours="rep"`` measures the neighbour trip to the nearest other customer
*of the same rep*. A customer in a thin strip between other reps' territories then costs
what its rep's day routes will need, not the trip to a neighbour another rep visits.
:func:`minutes_by_rep` gives the same estimate for a customer in each rep's hands, so a
territory search can price a move with the minutes it costs the rep that takes it.

A rep's total is the sum over its customers, with home trips from its own home
(:meth:`WorkloadEstimate.by_rep`). A rep's capacity is its working minutes in the cycle
(working days x (day end - day start - lunch)); the planner fills at most
``1 - SAFETY_MARGIN`` of it with estimated work, and the capacity check says a region
"fits" on the same terms.

Calibration
-----------
:data:`WORK_NEIGHBOUR_FACTOR` and :data:`HOME_SHARE` are the least-squares fit of the
routed travel per rep on the two sums (neighbour trips, home trips) over route plans of
the sample region with homes at random customers (2,000 customers / 27 reps and
10,000 / 100, 30-60 s of planning each): 2.7-2.9 and 0.14-0.16. With them a busy rep's
(over 80 % of its time) routed work is on average 2 % above the estimate, standard
deviation 5 %; the former 1.5 and 0.2 were 6 % below it, standard deviation 6 %. The
plain nearest-neighbour estimate that the capacity check and the territories used
before (factor 1, no home trips) was lower still. :data:`SAFETY_MARGIN` was set on
10,000 customers and 100 reps living among them (60 s): 0.08 left 4 visits unplanned
for capacity next to a rep under 90 % of its time; 0.12 left none, for 3 % more travel
per visit. Re-fit the constants when the planner's search changes materially
(``benchmarks/workload.py`` measures the estimate against the plan).

With ``neighbours="rep"`` the same constants are used: a rep's own neighbours are
farther than anyone's, so the estimate runs above the plan (on the sample region's
territories, 2,000 customers / 27 reps, 60 s of planning: planned / estimated - 1 per
rep had mean -5 to -6 %, standard deviation 2.8-2.9 %). What it is for -- comparing
reps with one another -- needs the spread, not the level; the capacity check keeps the
nearest-customer form the constants were fitted on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from territory._json import json_safe
from territory.geometry import chord_km, unit_vectors
from territory.travel import GreatCircleTravel, Points, TravelModel

__all__ = [
    "DEFAULT_MINUTES_PER_KM",
    "HOME_SHARE",
    "PLANNED_COLUMNS",
    "SAFETY_MARGIN",
    "WORK_NEIGHBOUR_FACTOR",
    "WorkloadEstimate",
    "customer_minutes",
    "estimate_workload",
    "home_trip_minutes",
    "minutes_by_rep",
    "minutes_per_km",
    "neighbour_km",
    "pair_minutes",
    "planned_work",
    "travel_per_visit",
]

FloatArray = NDArray[np.float64]
Number = TypeVar("Number", float, FloatArray)

#: Travel per visit: this factor times the trip to the nearest other customer ...
WORK_NEIGHBOUR_FACTOR = 2.8
#: ... plus this share of the one-way trip from the rep's home (see the module notes).
HOME_SHARE = 0.15
#: Share of each rep's working minutes kept free of estimated work by the planner's
#: assignment; the capacity check's "fits" keeps the same margin.
SAFETY_MARGIN = 0.12
#: Minutes per straight kilometre when the travel model gives no usable pair.
DEFAULT_MINUTES_PER_KM = 1.5
#: Pairs shorter than this (km) say little about minutes per km and are skipped.
_SHORTEST_PAIR_KM = 0.5
#: Points per block when travel between pairs is asked from the travel model.
_BLOCK = 256
#: Most pairs sampled to measure minutes per km when no home is known.
_RATIO_SAMPLE = 2000


def travel_per_visit(neighbour_minutes: Number, home_minutes: Number | float = 0.0) -> Number:
    """Estimated travel minutes per visit (floats or arrays alike).

    ``WORK_NEIGHBOUR_FACTOR x neighbour_minutes + HOME_SHARE x home_minutes``.

    Examples
    --------
    >>> round(travel_per_visit(10.0, 20.0), 6)
    31.0
    """
    return WORK_NEIGHBOUR_FACTOR * neighbour_minutes + HOME_SHARE * home_minutes


def customer_minutes(
    visits: Number, service: Number, neighbour_minutes: Number, home_minutes: Number | float = 0.0
) -> Number:
    """Estimated minutes of a customer's visits in a cycle (floats or arrays alike).

    ``visits x (service + travel_per_visit(neighbour_minutes, home_minutes))``.

    Examples
    --------
    >>> round(customer_minutes(2.0, 20.0, 10.0, 20.0), 6)  # 2 x (20 + 28 + 3)
    102.0
    """
    return visits * (service + travel_per_visit(neighbour_minutes, home_minutes))


def neighbour_km(lon: FloatArray, lat: FloatArray) -> FloatArray:
    """Great-circle kilometres from each point to its nearest other point (0 when alone).

    Examples
    --------
    >>> neighbour_km(np.array([0.0, 0.1, 0.3]), np.zeros(3)).round(2).tolist()
    [11.12, 11.12, 22.24]
    """
    n = len(lon)
    if n < 2:
        return np.zeros(n)
    points = unit_vectors(lon, lat)
    chord, _ = cKDTree(points).query(points, k=2)
    return chord_km(chord[:, 1])


def pair_minutes(
    travel: TravelModel, origins: Points, destinations: Points
) -> tuple[FloatArray, FloatArray]:
    """Travel minutes and straight km from ``origins[i]`` to ``destinations[i]``.

    Asked from ``travel`` in small blocks, so no matrix larger than a block is built.
    Unreachable pairs have infinite minutes.
    """
    if len(origins) != len(destinations):
        raise ValueError("pair_minutes: origins and destinations must have equal length")
    minutes = np.zeros(len(origins))
    km = np.zeros(len(origins))
    for start in range(0, len(origins), _BLOCK):
        idx = np.arange(start, min(start + _BLOCK, len(origins)))
        a, b = origins.take(idx), destinations.take(idx)
        minutes[idx] = np.diagonal(travel.matrix(a, b).minutes)
        km[idx] = np.diagonal(travel.straight_km(a, b))
    return minutes, km


def minutes_per_km(
    minutes: FloatArray, km: FloatArray, group: Sequence[int] | None = None
) -> float:
    """Travel minutes per straight kilometre: the median over groups of their ratio.

    Parameters
    ----------
    minutes, km
        Travel minutes and straight km of sample pairs; pairs shorter than 0.5 km or
        unreachable are skipped.
    group
        Group of each pair (for example the rep whose home the trip starts from); each
        group's ratio is its total minutes over its total km. One group when omitted.

    Returns
    -------
    float
        The median ratio, or :data:`DEFAULT_MINUTES_PER_KM` when no pair is usable.
    """
    minutes, km = np.asarray(minutes, dtype=float), np.asarray(km, dtype=float)
    labels = np.zeros(len(km), dtype=np.int64) if group is None else np.asarray(group)
    usable = (km > _SHORTEST_PAIR_KM) & np.isfinite(minutes)
    if not usable.any():
        return DEFAULT_MINUTES_PER_KM
    _, code = np.unique(labels[usable], return_inverse=True)
    ratio = np.bincount(code, weights=minutes[usable]) / np.bincount(code, weights=km[usable])
    return float(np.median(ratio))


@dataclass(frozen=True)
class WorkloadEstimate:
    """Estimated minutes of every customer's visits, and what they are made of.

    Attributes
    ----------
    customers
        One row per customer: ``customer_id, rep_id`` (whose home the home trip is
        from; empty when no home is known), ``visits_per_cycle, service_minutes,
        neighbour_minutes, home_minutes, travel_minutes_per_visit, minutes``.
    minutes_per_km
        Travel minutes per straight kilometre used for the neighbour trips.
    """

    customers: pd.DataFrame
    minutes_per_km: float

    @property
    def total_minutes(self) -> float:
        """Estimated minutes of all customers."""
        return float(self.customers["minutes"].sum())

    def by_rep(self) -> pd.DataFrame:
        """Per rep (of the home trips): ``rep_id, customers, visits, minutes``."""
        c = self.customers
        frame = pd.DataFrame(
            {
                "rep_id": c["rep_id"],
                "customers": 1,
                "visits": c["visits_per_cycle"],
                "minutes": c["minutes"],
            }
        )
        return frame.groupby("rep_id", sort=True, as_index=False).sum()

    def to_frame(self) -> pd.DataFrame:
        """The per-customer table (a copy)."""
        return self.customers.copy()

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe totals and the per-rep table."""
        return {
            "total_minutes": json_safe(self.total_minutes),
            "minutes_per_km": json_safe(self.minutes_per_km),
            "by_rep": json_safe(self.by_rep().to_dict(orient="records")),
        }

    def summary(self) -> str:
        """One line: customers, visits and minutes."""
        c = self.customers
        travel = float((c["travel_minutes_per_visit"] * c["visits_per_cycle"]).sum())
        return (
            f"workload estimate: {len(c):,} customers, {int(c['visits_per_cycle'].sum()):,} "
            f"visits, {self.total_minutes:,.0f} min ({travel:,.0f} of them travel)"
        )


def _nearest_home(customers: Points, homes: Points) -> NDArray[np.int64]:
    _, nearest = cKDTree(unit_vectors(homes.lon, homes.lat)).query(
        unit_vectors(customers.lon, customers.lat)
    )
    return np.asarray(nearest, dtype=np.int64)


def _neighbour_ratio(points: Points, travel: TravelModel) -> float:
    """Minutes per km of the trips to the nearest neighbour, over at most 2,000 of them."""
    if len(points) < 2:
        return DEFAULT_MINUTES_PER_KM
    sample = np.unique(np.linspace(0, len(points) - 1, _RATIO_SAMPLE).astype(np.int64))
    vectors = unit_vectors(points.lon, points.lat)
    nearest = np.asarray(cKDTree(vectors).query(vectors[sample], k=2)[1], dtype=np.int64)[:, 1]
    minutes, km = pair_minutes(travel, points.take(sample), points.take(nearest))
    return minutes_per_km(minutes, km)


def estimate_workload(
    customers: pd.DataFrame,
    reps: pd.DataFrame | None = None,
    *,
    travel: TravelModel | None = None,
    rep_column: str | None = None,
    neighbours: Literal["any", "rep"] = "any",
) -> WorkloadEstimate:
    """Estimate every customer's minutes per cycle (see the module notes).

    Parameters
    ----------
    customers
        ``customer_id, lon, lat, visits_per_cycle, service_minutes`` (numeric, no gaps).
        Neighbour trips are measured among the customers with visits.
    reps
        ``rep_id, home_lon, home_lat``. When given, each customer is charged
        :data:`HOME_SHARE` of the trip from its rep's home: the rep in ``rep_column``
        of ``customers`` when named, else the nearest home. Without reps the home term
        is 0.
    travel
        Travel model (great-circle by default).
    rep_column
        Column of ``customers`` with each customer's rep id.
    neighbours
        ``"any"``: the neighbour trip is to the nearest other customer with visits;
        ``"rep"``: to the nearest other customer of the same rep (needs ``reps`` and
        ``rep_column``), for plans whose territories are drawn.

    Returns
    -------
    WorkloadEstimate

    Raises
    ------
    ValueError
        When a customer's rep in ``rep_column`` is not in ``reps``, or ``neighbours``
        is ``"rep"`` without them.
    """
    if neighbours not in ("any", "rep"):
        raise ValueError(f"neighbours must be 'any' or 'rep', got {neighbours!r}")
    if neighbours == "rep" and (reps is None or rep_column is None):
        raise ValueError("neighbours='rep' needs reps and rep_column (each customer's rep)")
    travel = travel or GreatCircleTravel()
    ids = customers["customer_id"].astype(str).to_numpy(dtype=object)
    points = Points(ids, customers["lon"].to_numpy(float), customers["lat"].to_numpy(float))
    visits = customers["visits_per_cycle"].to_numpy(dtype=float)
    service = customers["service_minutes"].to_numpy(dtype=float)
    visited = np.flatnonzero(visits > 0)
    nn_km = np.zeros(len(ids))
    nn_km[visited] = neighbour_km(points.lon[visited], points.lat[visited])
    home_minutes = np.zeros(len(ids))
    rep_of = np.full(len(ids), "", dtype=object)
    if reps is not None and len(reps) and len(ids):
        homes = Points(
            reps["rep_id"].astype(str).to_numpy(dtype=object),
            reps["home_lon"].to_numpy(float),
            reps["home_lat"].to_numpy(float),
        )
        if rep_column is not None:
            home = pd.Index(homes.ids).get_indexer(pd.Index(customers[rep_column].astype(str)))
            if (home < 0).any():
                raise ValueError(
                    f"customers: column '{rep_column}' names reps that are not in reps "
                    f"(customer_id: {', '.join(repr(i) for i in ids[home < 0][:5])})"
                )
        else:
            home = _nearest_home(points, homes)
        out, km = pair_minutes(travel, homes.take(home), points)
        back, _ = pair_minutes(travel, points, homes.take(home))
        home_minutes = (out + back) / 2.0
        ratio = minutes_per_km(home_minutes, km, home.tolist())
        rep_of = homes.ids[home]
        if neighbours == "rep":
            nn_km[visited] = _same_group_neighbour_km(points.take(visited), home[visited])
    else:
        ratio = _neighbour_ratio(points.take(visited), travel)
    home_minutes = np.where(np.isfinite(home_minutes), home_minutes, 0.0)
    neighbour_minutes = nn_km * ratio
    per_visit = travel_per_visit(neighbour_minutes, home_minutes)
    table = pd.DataFrame(
        {
            "customer_id": ids,
            "rep_id": rep_of,
            "visits_per_cycle": visits,
            "service_minutes": service,
            "neighbour_minutes": neighbour_minutes,
            "home_minutes": home_minutes,
            "travel_minutes_per_visit": per_visit,
            "minutes": visits * (service + per_visit),
        }
    )
    return WorkloadEstimate(customers=table, minutes_per_km=ratio)


def _same_group_neighbour_km(points: Points, group: NDArray[np.int64]) -> FloatArray:
    """Kilometres from each point to the nearest other point of its group (0 when alone)."""
    out = np.zeros(len(points))
    for g in np.unique(group).tolist():
        members = np.flatnonzero(group == g)
        out[members] = neighbour_km(points.lon[members], points.lat[members])
    return out


def _points(customers: pd.DataFrame) -> Points:
    ids = customers["customer_id"].astype(str).to_numpy(dtype=object)
    return Points(ids, customers["lon"].to_numpy(float), customers["lat"].to_numpy(float))


def _homes(reps: pd.DataFrame) -> Points:
    return Points(
        reps["rep_id"].astype(str).to_numpy(dtype=object),
        reps["home_lon"].to_numpy(float),
        reps["home_lat"].to_numpy(float),
    )


def home_trip_minutes(
    customers: pd.DataFrame, reps: pd.DataFrame, *, travel: TravelModel | None = None
) -> FloatArray:
    """One-way minutes between every customer and every rep's home (mean of out and back).

    Parameters
    ----------
    customers
        ``customer_id, lon, lat``.
    reps
        ``rep_id, home_lon, home_lat``.
    travel
        Travel model (great-circle by default).

    Returns
    -------
    numpy.ndarray
        Minutes, shape ``(len(customers), len(reps))``; unreachable pairs are infinite.
    """
    travel = travel or GreatCircleTravel()
    points, homes = _points(customers), _homes(reps)
    if len(points) == 0 or len(homes) == 0:
        return np.zeros((len(points), len(homes)))
    out: FloatArray = (
        travel.matrix(homes, points).minutes.T + travel.matrix(points, homes).minutes
    ) / 2.0
    return out


def minutes_by_rep(
    customers: pd.DataFrame,
    reps: pd.DataFrame,
    rep_of: NDArray[np.int64],
    *,
    travel: TravelModel | None = None,
    home_minutes: FloatArray | None = None,
) -> FloatArray:
    """Estimated minutes of every customer in the hands of each rep.

    Column ``r`` is what :func:`estimate_workload` with ``neighbours="rep"`` charges
    the customer if rep ``r`` visits it while every other customer stays with its rep
    in ``rep_of``: the home trip from ``r``'s home, the neighbour trip to the nearest
    other customer of ``r``. For each customer's own rep this is exactly its
    estimate. A territory search prices a move with the column of the rep that takes
    the customer; the neighbour trips follow ``rep_of``, so re-estimate after a round
    of moves.

    Parameters
    ----------
    customers
        ``customer_id, lon, lat, visits_per_cycle, service_minutes``.
    reps
        ``rep_id, home_lon, home_lat``.
    rep_of
        Position in ``reps`` of each customer's rep (every customer has one).
    travel
        Travel model (great-circle by default).
    home_minutes
        :func:`home_trip_minutes` of these customers and reps, when already known (they
        do not change with ``rep_of``).

    Returns
    -------
    numpy.ndarray
        Minutes, shape ``(len(customers), len(reps))``.

    Examples
    --------
    >>> customers = pd.DataFrame({"customer_id": ["a", "b", "c"], "lon": [0.0, 0.1, 0.2],
    ...     "lat": [0.0, 0.0, 0.0], "visits_per_cycle": [1, 1, 1],
    ...     "service_minutes": [30, 30, 30]})
    >>> reps = pd.DataFrame({"rep_id": ["r1", "r2"], "home_lon": [0.0, 0.2],
    ...     "home_lat": [0.0, 0.0]})
    >>> minutes = minutes_by_rep(customers, reps, np.array([0, 0, 1]))
    >>> own = estimate_workload(customers.assign(rep_id=["r1", "r1", "r2"]), reps,
    ...     rep_column="rep_id", neighbours="rep").customers["minutes"].to_numpy()
    >>> bool(np.allclose(minutes[[0, 1, 2], [0, 0, 1]], own))
    True
    """
    travel = travel or GreatCircleTravel()
    rep_of = np.asarray(rep_of, dtype=np.int64)
    n, r = len(customers), len(reps)
    if len(rep_of) != n or (n and (rep_of.min() < 0 or rep_of.max() >= r)):
        raise ValueError("minutes_by_rep: rep_of must give every customer a rep of reps")
    points, homes = _points(customers), _homes(reps)
    visits = customers["visits_per_cycle"].to_numpy(dtype=float)
    service = customers["service_minutes"].to_numpy(dtype=float)
    if n == 0 or r == 0:
        return np.zeros((n, r))
    home = (
        home_trip_minutes(customers, reps, travel=travel) if home_minutes is None else home_minutes
    )
    if home.shape != (n, r):
        raise ValueError(f"minutes_by_rep: home_minutes must have shape ({n}, {r})")
    own = home[np.arange(n), rep_of]
    km = travel.straight_km(homes, points).T[np.arange(n), rep_of]
    ratio = minutes_per_km(own, km, rep_of.tolist())
    home = np.where(np.isfinite(home), home, 0.0)
    visited = np.flatnonzero(visits > 0)
    vectors = unit_vectors(points.lon[visited], points.lat[visited])
    nn_km = np.zeros((n, r))
    for g in range(r):
        members = np.flatnonzero(rep_of[visited] == g)
        if len(members) == 0:
            continue
        chord, index = cKDTree(vectors[members]).query(vectors, k=2)
        if len(members) == 1:  # k=2 gives one real neighbour and one missing
            chord, index = chord[:, :1], index[:, :1]
        is_self = members[np.minimum(index[:, 0], len(members) - 1)] == np.arange(len(visited))
        nearest = np.where(is_self, chord[:, -1], chord[:, 0])
        nearest = np.where(np.isfinite(nearest), nearest, 0.0)
        nn_km[visited, g] = chord_km(nearest)
    per_visit = travel_per_visit(nn_km * ratio, home)
    out: FloatArray = visits[:, None] * (service[:, None] + per_visit)
    return out


class _HasDays(Protocol):
    @property
    def days(self) -> pd.DataFrame: ...


#: Columns of :func:`planned_work`, after ``rep_id``.
PLANNED_COLUMNS = ("visits", "work_minutes", "travel_minutes", "service_minutes")


def planned_work(plan: _HasDays | pd.DataFrame) -> pd.DataFrame:
    """Each rep's planned work in a route plan: what the estimate is measured against.

    Parameters
    ----------
    plan
        A :class:`~territory.routing.RoutePlan`, or its ``days`` table (``rep_id,
        visits, work_minutes, travel_minutes, service_minutes``).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``rep_id``: ``visits, work_minutes, travel_minutes,
        service_minutes`` summed over the cycle.

    Examples
    --------
    >>> days = pd.DataFrame({"rep_id": ["r1", "r1"], "visits": [5, 6],
    ...                      "work_minutes": [400.0, 430.0], "travel_minutes": [100.0, 90.0],
    ...                      "service_minutes": [300.0, 340.0]})
    >>> planned_work(days)["work_minutes"].tolist()
    [830.0]
    """
    days = plan if isinstance(plan, pd.DataFrame) else plan.days
    return days.groupby("rep_id")[list(PLANNED_COLUMNS)].sum()
