"""Customers -> reps: eligibility and a capacity-aware regret assignment.

A rep can take a customer when it works on enough of the customer's allowed days for a
valid visit pattern and can drive home -> customer -> home within one working day while
the customer is open. Customers without a fixed rep go, highest priority first and then
by decreasing regret (how much worse their second-best rep is), to the nearest eligible
rep with room left. Workload is ``visits x (service + estimated travel per visit + a
share of the trip from home)``; capacity is the rep's working minutes in the cycle.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from territory.routing.cycle import Cycle
from territory.routing.patterns import enumerate_patterns, required_gap
from territory.routing.planner.inputs import PlanInputs
from territory.routing.planner.unplanned import (
    OPENING_HOURS,
    REACHABLE,
    TOO_FAR,
    single_visit_status,
)
from territory.tables import WEEKDAY_NAMES
from territory.travel import EARTH_RADIUS_KM, Points, TravelModel

__all__ = ["Assignment", "assign_customers", "cycle_days_mask", "rep_lunch"]

logger = logging.getLogger("territory")

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Nearest reps considered for a customer without a fixed rep.
CANDIDATE_REPS = 8
#: Stops per day assumed when spreading the trip from home over the visits.
STOPS_PER_DAY = 10.0
#: Travel to the nearest neighbour times this factor estimates the travel per visit.
NEIGHBOUR_FACTOR = 1.5


@dataclass(frozen=True)
class Assignment:
    """Result of :func:`assign_customers`.

    Attributes
    ----------
    rep
        Rep index per customer, -1 when no rep can take it.
    reason
        Empty string, or why no rep can take the customer (``no_rep``, ``no_pattern``,
        ``too_far``, ``opening_hours``).
    detail
        A sentence with the numbers for each reason.
    travel_per_visit
        Estimated travel minutes per visit of each customer (for day balancing).
    eligible
        Per customer, the reps that can take it, nearest first.
    workload
        Per customer, estimated minutes its visits take from its nearest eligible rep.
    """

    rep: IntArray
    reason: list[str]
    detail: list[str]
    travel_per_visit: FloatArray
    eligible: list[list[int]]
    workload: FloatArray


def cycle_days_mask(weekdays: NDArray[np.bool_], cycle: Cycle) -> list[bool]:
    """Which cycle days fall on the given weekday mask (7 booleans, Monday first)."""
    return [bool(weekdays[cycle.weekday(d)]) for d in range(cycle.n_days)]


def rep_lunch(inputs: PlanInputs, rep: int) -> tuple[float, float, float] | None:
    """The rep's lunch as ``(earliest start, latest start, minutes)`` or ``None``."""
    from territory.routing.timing import LUNCH_WINDOW

    minutes = float(inputs.lunch_minutes[rep])
    if minutes <= 0:
        return None
    start = float(inputs.lunch_start[rep])
    return (start, start + LUNCH_WINDOW, minutes)


def _unit(lon: FloatArray, lat: FloatArray) -> FloatArray:
    lo, la = np.radians(lon), np.radians(lat)
    return np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])


def _has_pattern(
    inputs: PlanInputs,
    cycle: Cycle,
    customer: int,
    rep: int,
    cache: dict[tuple[int, int, int], bool],
) -> bool:
    days = inputs.allowed[customer, : cycle.days] & inputs.rep_days[rep, : cycle.days]
    bits = int(sum(1 << i for i in np.flatnonzero(days)))
    visits = int(inputs.visits[customer])
    gap = required_gap(cycle.n_days, visits, float(inputs.min_gap[customer]))
    key = (visits, gap, bits)
    if key not in cache:
        allowed = [bool(days[cycle.weekday(d)]) for d in range(cycle.n_days)]
        cache[key] = bool(
            enumerate_patterns(cycle.n_days, visits, gap, allowed, week_days=cycle.days, limit=1)
        )
    return cache[key]


def assign_customers(inputs: PlanInputs, cycle: Cycle, travel: TravelModel) -> Assignment:
    """Give every customer a rep (its fixed one, or the best eligible one).

    Parameters
    ----------
    inputs
        Normalised customers and reps.
    cycle
        The planning cycle.
    travel
        Travel model; matrices are computed per rep for its candidate customers only.

    Returns
    -------
    Assignment
    """
    n, m = inputs.n_customers, inputs.n_reps
    needed = [int(i) for i in np.flatnonzero(inputs.visits > 0)]
    rep_out = np.full(n, -1, dtype=np.int64)
    reason = [""] * n
    detail = [""] * n
    # candidate reps: the fixed one, else the nearest CANDIDATE_REPS homes
    k = min(CANDIDATE_REPS, m)
    tree = cKDTree(_unit(inputs.home_lon, inputs.home_lat))
    _, nearest = tree.query(_unit(inputs.lon, inputs.lat), k=k)
    nearest = np.asarray(nearest, dtype=np.int64).reshape(n, k)
    candidates: list[list[int]] = [
        [int(inputs.rep[i])] if inputs.rep[i] >= 0 else [int(r) for r in nearest[i]]
        for i in range(n)
    ]
    # per-rep travel to and from its candidate customers
    by_rep: dict[int, list[int]] = {}
    for i in needed:
        for r in candidates[i]:
            by_rep.setdefault(r, []).append(int(i))
    out_minutes: dict[tuple[int, int], float] = {}
    status: dict[tuple[int, int], int] = {}
    km_ratio: list[float] = []
    customer_points = Points(inputs.customer_ids, inputs.lon, inputs.lat)
    for r, members in sorted(by_rep.items()):
        home = Points(
            np.array([inputs.rep_ids[r]], dtype=object), inputs.home_lon[[r]], inputs.home_lat[[r]]
        )
        idx = np.asarray(members, dtype=np.int64)
        pts = customer_points.take(idx)
        out = travel.matrix(home, pts).minutes[0]
        back = travel.matrix(pts, home).minutes[:, 0]
        straight = travel.straight_km(home, pts)[0]
        usable = (straight > 0.5) & np.isfinite(out)
        if usable.any():
            km_ratio.append(float(out[usable].sum() / straight[usable].sum()))
        codes = single_visit_status(
            out,
            back,
            inputs.service[idx],
            inputs.opens[idx],
            inputs.closes[idx],
            float(inputs.day_start[r]),
            float(inputs.day_end[r]),
            rep_lunch(inputs, r),
        )
        for j, i in enumerate(members):
            out_minutes[(i, r)] = float(out[j] + back[j]) / 2.0
            status[(i, r)] = int(codes[j]) if np.isfinite(out[j] + back[j]) else TOO_FAR
    minutes_per_km = float(np.median(km_ratio)) if km_ratio else 1.5
    # travel per visit estimate from the customer's nearest neighbour
    cust_tree = cKDTree(_unit(inputs.lon, inputs.lat))
    if n > 1:
        chord, _ = cust_tree.query(_unit(inputs.lon, inputs.lat), k=2)
        nn_km = 2.0 * EARTH_RADIUS_KM * np.arcsin(np.clip(chord[:, 1] / 2.0, 0.0, 1.0))
    else:
        nn_km = np.zeros(n)
    per_visit = NEIGHBOUR_FACTOR * nn_km * minutes_per_km
    pattern_cache: dict[tuple[int, int, int], bool] = {}
    eligible: list[list[int]] = [[] for _ in range(n)]
    for i in needed:
        shares_day = pattern_ok = False
        fail = TOO_FAR
        for r in candidates[i]:
            if (inputs.allowed[i, : cycle.days] & inputs.rep_days[r, : cycle.days]).any():
                shares_day = True
            if not _has_pattern(inputs, cycle, int(i), r, pattern_cache):
                continue
            pattern_ok = True
            code = status[(int(i), r)]
            if code == REACHABLE:
                eligible[i].append(r)
            elif code == OPENING_HOURS:
                fail = OPENING_HOURS
        if eligible[i]:
            continue
        reason[i], detail[i] = _failure(
            inputs, cycle, int(i), candidates[i], shares_day, pattern_ok, fail, out_minutes
        )
    # capacity of each rep in the cycle
    capacity = np.zeros(m)
    for r in range(m):
        working = sum(cycle_days_mask(inputs.rep_days[r], cycle))
        capacity[r] = working * (inputs.day_end[r] - inputs.day_start[r] - inputs.lunch_minutes[r])
    load = np.zeros(m)

    def workload(i: int, r: int) -> float:
        # service, travel between neighbours, and a share of the trips from home
        per = inputs.service[i] + per_visit[i] + 2.0 * out_minutes[(i, r)] / STOPS_PER_DAY
        return float(inputs.visits[i] * per)

    for i in needed:
        if inputs.rep[i] >= 0 and eligible[i]:
            r = int(inputs.rep[i])
            rep_out[i] = r
            load[r] += workload(i, r)
    free = [int(i) for i in needed if inputs.rep[i] < 0 and eligible[i]]

    def cost(i: int, r: int) -> float:
        return out_minutes[(i, r)]

    def order_key(i: int) -> tuple[float, float, str]:
        costs = sorted(cost(i, r) for r in eligible[i])
        regret = costs[1] - costs[0] if len(costs) > 1 else 1e9
        return (-float(inputs.priority[i]), -regret, str(inputs.customer_ids[i]))

    for i in sorted(free, key=order_key):
        options = sorted(eligible[i], key=lambda r: (cost(i, r), r))
        fitting = [r for r in options if load[r] + workload(i, r) <= capacity[r]]
        if fitting:
            chosen = fitting[0]
        else:  # every candidate is full: the least loaded one, relative to capacity
            chosen = min(options, key=lambda r: (float(load[r]) / max(float(capacity[r]), 1.0), r))
        rep_out[i] = chosen
        load[chosen] += workload(i, chosen)
    over = np.flatnonzero(load > capacity)
    if len(over):
        logger.info(
            "routing: %d reps have more estimated work than minutes in the cycle", len(over)
        )
    ranked = [[r for _, r in sorted((cost(c, r), r) for r in e)] for c, e in enumerate(eligible)]
    estimate = np.array([workload(i, e[0]) if e else 0.0 for i, e in enumerate(ranked)])
    return Assignment(rep_out, reason, detail, np.asarray(per_visit, dtype=float), ranked, estimate)


def _failure(
    inputs: PlanInputs,
    cycle: Cycle,
    i: int,
    candidates: list[int],
    shares_day: bool,
    pattern_ok: bool,
    fail: int,
    out_minutes: dict[tuple[int, int], float],
) -> tuple[str, str]:
    """Reason and detail for a customer that none of its candidate reps can take."""
    who = (
        f"rep {inputs.rep_ids[candidates[0]]}"
        if inputs.rep[i] >= 0
        else ("the only rep" if len(candidates) == 1 else f"the {len(candidates)} nearest reps")
    )
    visits = int(inputs.visits[i])
    if not shares_day:
        verb = "works" if len(candidates) == 1 else "work"
        days = ",".join(WEEKDAY_NAMES[d] for d in np.flatnonzero(inputs.allowed[i, : cycle.days]))
        return "no_rep", (
            f"{who} {verb} on none of the customer's allowed days ({days or 'none in the cycle'})"
        )
    if not pattern_ok:
        gap = required_gap(cycle.n_days, visits, float(inputs.min_gap[i]))
        return "no_pattern", (
            f"{visits} visits at least {gap} working days apart do not fit the allowed "
            f"days of {who} in a {cycle.n_days}-day cycle"
        )
    trip = min(out_minutes[(i, r)] for r in candidates)
    if fail == OPENING_HOURS:
        return "opening_hours", (
            f"open {_clock(inputs.opens[i])}-{_clock(inputs.closes[i])}, but {who} cannot "
            f"start a {inputs.service[i]:.0f}-minute visit then and be home by day end "
            f"(one-way trip {trip:.0f} min)"
        )
    r = candidates[0]
    day = inputs.day_end[r] - inputs.day_start[r] - inputs.lunch_minutes[r]
    return "too_far", (
        f"round trip {2 * trip:.0f} min + visit {inputs.service[i]:.0f} min exceeds the "
        f"{day:.0f}-minute working day of {who}"
    )


def _clock(minutes: float) -> str:
    from territory.tables import format_time

    return format_time(minutes)
