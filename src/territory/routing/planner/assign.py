"""Customers -> reps: eligibility, then an assignment that fits work to capacity.

Eligibility: a rep can take a customer when the business rules let it serve the customer
(:mod:`territory.eligibility`: company or dealer reps, key accounts, locks), it works on
enough of the customer's allowed days for a valid visit pattern and it can drive home ->
customer -> home within one working day while the customer is open. A customer with a
fixed rep is checked against that rep only; any other customer against the
:data:`CANDIDATE_REPS` reps allowed to serve it whose homes are nearest (a KD-tree on
the homes of each side; the eligible ones are then ranked by travel time). No matrix
larger than one rep's candidate customers is ever built.

Workload is the one estimate of :mod:`territory.workload` (shared with grading's capacity
check and the territories' ``workload`` measure): a customer served by rep ``r`` costs
``visits x (service + WORK_NEIGHBOUR_FACTOR x nearest-neighbour trip + HOME_SHARE x
one-way trip from r's home)``, with the nearest-neighbour trip priced at the median
minutes per straight km of the reps' trips to their candidate customers. The per-visit
travel handed to each rep's day balancing (``travel_per_visit``) is the smaller
:data:`NEIGHBOUR_FACTOR` multiple, because the day balancing reserves the trips from
home separately. A rep's capacity is its working minutes in the cycle; the assignment
fills at most ``1 - SAFETY_MARGIN`` of it.

Assignment: the customers with a fixed rep, or a single eligible one, are placed first.
The others are split among their eligible reps by the linear relaxation of the
generalised assignment problem (HiGHS through :func:`scipy.optimize.linprog`, about
120,000 columns for 10,000 customers): minimise ``sum visits x one-way trip`` (compact
territories around the homes) subject to every rep's estimated work staying within
``1 - SAFETY_MARGIN`` of its capacity. Work beyond that is allowed at rising prices
(:data:`OVERFLOW_BANDS`), so that a region that does not fit still gets an answer
with the overload spread over its reps. Chains of moves (a customer shifts to a
neighbour, which hands a boundary customer to its own neighbour, ...) come out of the
optimum directly; the former regret greedy to the nearest rep with room found them
only partly and, with a workload estimate 6 % low, left full reps next to idle ones. A
basic optimum splits at most as many customers as there are reps; each goes to the rep
with the largest share that still has room. When the solver fails, each customer goes
to its nearest eligible rep (logged). The result depends only on the inputs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.optimize import linprog
from scipy.spatial import cKDTree

from territory.geometry import unit_vectors
from territory.routing.cycle import Cycle
from territory.routing.patterns import enumerate_patterns, required_gap
from territory.routing.planner.inputs import NO_DAILY_MAX, PlanInputs
from territory.routing.planner.unplanned import (
    OPENING_HOURS,
    REACHABLE,
    TOO_FAR,
    single_visit_status,
)
from territory.tables import WEEKDAY_NAMES
from territory.travel import Points, TravelModel
from territory.workload import (
    HOME_SHARE,
    SAFETY_MARGIN,
    WORK_NEIGHBOUR_FACTOR,
    customer_minutes,
    minutes_per_km,
    neighbour_km,
)

__all__ = [
    "HOME_SHARE",
    "SAFETY_MARGIN",
    "WORK_NEIGHBOUR_FACTOR",
    "Assignment",
    "assign_customers",
    "cycle_days_mask",
    "rep_lunch",
]

logger = logging.getLogger("territory")

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Nearest rep homes considered for a customer without a fixed rep.
CANDIDATE_REPS = 12
#: Travel to the nearest neighbour times this factor is the travel between stops that
#: the day balancing of each rep's plan reserves per visit (``travel_per_visit``).
NEIGHBOUR_FACTOR = 1.5
# WORK_NEIGHBOUR_FACTOR, HOME_SHARE and SAFETY_MARGIN live in territory.workload (with
# how they were calibrated); they are imported above and re-exported here.
#: Price of one minute of estimated work above a rep's room, in the units of the
#: assignment cost (visit-minutes of one-way trip); far above any trip.
OVERFLOW_PRICE = 1000.0
#: Work above a rep's room, in bands of (share of its capacity, price factor): first its
#: safety margin, then steps of 5 % of capacity at prices rising by half each, then
#: without limit. Rising prices spread an overload over the reps that can share it
#: (within about one step) instead of piling it on one.
OVERFLOW_BANDS = (
    (SAFETY_MARGIN, 1.0),
    *((0.05, 2.0 * 1.5**k) for k in range(10)),
    (np.inf, 2.0 * 1.5**10),
)


@dataclass(frozen=True)
class Assignment:
    """Result of :func:`assign_customers`.

    Attributes
    ----------
    rep
        Rep index per customer, -1 when no rep can take it.
    reason
        Empty string, or why no rep can take the customer (``no_rep``, ``no_pattern``,
        ``too_far``, ``visit_too_long``, ``opening_hours``).
    detail
        A sentence with the numbers for each reason.
    travel_per_visit
        Estimated travel minutes per visit of each customer (for day balancing).
    eligible
        Per customer, the reps that can take it, nearest first.
    reach
        Per customer, the one-way minutes from each of its eligible reps' homes (in the
        order of ``eligible``).
    workload
        Per customer, estimated minutes its visits take from its nearest eligible rep.
    work_by_rep
        Per customer, estimated minutes its visits take from each eligible rep (in the
        order of ``eligible``).
    capacity
        Per rep, working minutes in the cycle (before the safety margin).
    load
        Per rep, estimated minutes of work of the customers assigned to it.
    """

    rep: IntArray
    reason: list[str]
    detail: list[str]
    travel_per_visit: FloatArray
    eligible: list[list[int]]
    reach: list[list[float]]
    workload: FloatArray
    work_by_rep: list[list[float]]
    capacity: FloatArray
    load: FloatArray


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


@dataclass(frozen=True)
class _Trips:
    """One-way trips and reachability of the (customer, candidate rep) pairs."""

    out_minutes: dict[tuple[int, int], float]
    status: dict[tuple[int, int], int]
    minutes_per_km: float


def _candidates(inputs: PlanInputs) -> list[list[int]]:
    """The fixed rep, else the :data:`CANDIDATE_REPS` nearest homes of reps that may serve.

    One KD-tree per side (the company's reps, each dealer's reps): a customer queries the
    trees of the sides that may serve it (:meth:`Eligibility.sides`), and the nearest
    homes of all of them are merged.
    """
    n = inputs.n_customers
    rules = inputs.eligibility
    homes = unit_vectors(inputs.home_lon, inputs.home_lat)
    points = unit_vectors(inputs.lon, inputs.lat)
    free = [i for i in range(n) if inputs.rep[i] < 0]
    by_side: dict[str, list[int]] = {}
    for i in free:
        for side in rules.sides(i):
            by_side.setdefault(side, []).append(i)
    found: dict[int, list[tuple[float, int]]] = {i: [] for i in free}
    for side in dict.fromkeys(rules.rep_side.tolist()):
        reps = np.flatnonzero(rules.rep_side == side)
        asking = by_side.get(str(side), [])
        if not asking:
            continue
        k = min(CANDIDATE_REPS, len(reps))
        distance, nearest = cKDTree(homes[reps]).query(points[asking], k=k)
        distance = np.asarray(distance, dtype=float).reshape(len(asking), k)
        nearest = reps[np.asarray(nearest, dtype=np.int64).reshape(len(asking), k)]
        for row, i in enumerate(asking):
            found[i].extend(zip(distance[row].tolist(), nearest[row].tolist(), strict=True))
    return [
        [int(inputs.rep[i])]
        if inputs.rep[i] >= 0
        else [r for _, r in sorted(found[i])[:CANDIDATE_REPS]]
        for i in range(n)
    ]


def _trips(
    inputs: PlanInputs, travel: TravelModel, candidates: list[list[int]], needed: list[int]
) -> _Trips:
    """Travel from each rep's home to its candidate customers and back (one row per rep)."""
    by_rep: dict[int, list[int]] = {}
    for i in needed:
        for r in candidates[i]:
            by_rep.setdefault(r, []).append(i)
    out_minutes: dict[tuple[int, int], float] = {}
    status: dict[tuple[int, int], int] = {}
    ratio_minutes: list[FloatArray] = []
    ratio_km: list[FloatArray] = []
    ratio_rep: list[int] = []
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
        ratio_minutes.append(out)
        ratio_km.append(straight)
        ratio_rep.extend([r] * len(members))
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
        both = out + back
        finite = np.isfinite(both)
        for j, i in enumerate(members):
            out_minutes[(i, r)] = float(both[j]) / 2.0
            status[(i, r)] = int(codes[j]) if finite[j] else TOO_FAR
    ratio = minutes_per_km(
        np.concatenate(ratio_minutes) if ratio_minutes else np.zeros(0),
        np.concatenate(ratio_km) if ratio_km else np.zeros(0),
        ratio_rep,
    )
    return _Trips(out_minutes, status, ratio)


def _neighbour_minutes(inputs: PlanInputs, minutes_per_km: float) -> FloatArray:
    """Minutes of each customer's trip to its nearest neighbour (km x minutes per km)."""
    return np.asarray(neighbour_km(inputs.lon, inputs.lat) * minutes_per_km, dtype=float)


def _eligibility(
    inputs: PlanInputs,
    cycle: Cycle,
    candidates: list[list[int]],
    needed: list[int],
    trips: _Trips,
) -> tuple[list[list[int]], list[str], list[str]]:
    """Eligible reps (in candidate order) per customer, and why a customer has none."""
    n = inputs.n_customers
    weights = 1 << np.arange(cycle.days, dtype=np.int64)
    customer_bits = inputs.allowed[:, : cycle.days].astype(np.int64) @ weights
    rep_bits = inputs.rep_days[:, : cycle.days].astype(np.int64) @ weights
    eligible: list[list[int]] = [[] for _ in range(n)]
    reason = [""] * n
    detail = [""] * n
    cache: dict[tuple[int, int, int], bool] = {}
    for i in needed:
        visits = int(inputs.visits[i])
        gap = required_gap(cycle.n_days, visits, float(inputs.min_gap[i]))
        shares_day = pattern_ok = False
        fail = TOO_FAR
        for r in candidates[i]:
            bits = int(customer_bits[i] & rep_bits[r])
            if bits:
                shares_day = True
            key = (visits, gap, bits)
            if key not in cache:
                allowed = [bool(bits >> cycle.weekday(d) & 1) for d in range(cycle.n_days)]
                cache[key] = bool(
                    enumerate_patterns(
                        cycle.n_days, visits, gap, allowed, week_days=cycle.days, limit=1
                    )
                )
            if not cache[key]:
                continue
            pattern_ok = True
            code = trips.status[(i, r)]
            if code == REACHABLE:
                eligible[i].append(r)
            elif code == OPENING_HOURS:
                fail = OPENING_HOURS
        if not eligible[i]:
            reason[i], detail[i] = _failure(
                inputs, cycle, i, candidates[i], shares_day, pattern_ok, fail, trips.out_minutes
            )
    return eligible, reason, detail


def _capacity(inputs: PlanInputs, cycle: Cycle, per_visit: float) -> FloatArray:
    """Working minutes of each rep in the cycle (working days x (day - lunch)).

    A rep's ``max_visits_per_day`` caps its day at that many visits of ``per_visit``
    estimated minutes each.
    """
    working = np.array(
        [sum(cycle_days_mask(inputs.rep_days[r], cycle)) for r in range(inputs.n_reps)],
        dtype=float,
    )
    room = np.maximum(inputs.day_end - inputs.day_start - inputs.lunch_minutes, 0.0)
    capped = inputs.max_per_day < NO_DAILY_MAX
    room = np.where(capped, np.minimum(room, inputs.max_per_day * per_visit), room)
    return np.asarray(working * room, dtype=float)


def _minutes_per_visit(
    inputs: PlanInputs,
    needed: list[int],
    eligible: list[list[int]],
    workload: Callable[[int, int], float],
) -> float:
    """Mean estimated minutes of one visit (work of the nearest eligible rep)."""
    work = [(workload(i, eligible[i][0]), int(inputs.visits[i])) for i in needed if eligible[i]]
    visits = sum(v for _, v in work)
    return sum(w for w, _ in work) / visits if visits else 0.0


def _balance(
    free: list[int],
    eligible: list[list[int]],
    work: dict[tuple[int, int], float],
    cost: dict[tuple[int, int], float],
    room: FloatArray,
    capacity: FloatArray,
) -> dict[int, int]:
    """Split the free customers among their eligible reps within each rep's room.

    Solves the linear relaxation of the generalised assignment problem. Work above a
    rep's ``room`` is allowed at the rising prices of :data:`OVERFLOW_BANDS`, so that a
    region that does not fit first uses every rep's margin, then overloads all reps
    alike. The few customers the optimum splits go to the rep with the largest share
    that has room, else margin, else the largest share.
    """
    if not free:
        return {}
    m = len(room)
    pairs = [(k, r) for k, i in enumerate(free) for r in eligible[i]]
    n_pairs = len(pairs)
    pc = np.array([k for k, _ in pairs], dtype=np.int64)
    pr = np.array([r for _, r in pairs], dtype=np.int64)
    w = np.array([work[(free[k], r)] for k, r in pairs])
    c = np.array([cost[(free[k], r)] for k, r in pairs])
    columns = np.arange(n_pairs)
    bands = len(OVERFLOW_BANDS)
    a_eq = sp.hstack(
        [
            sp.csr_matrix((np.ones(n_pairs), (pc, columns)), shape=(len(free), n_pairs)),
            sp.csr_matrix((len(free), bands * m)),
        ]
    ).tocsr()
    overflow = -sp.identity(m, format="csr")
    a_ub = sp.hstack(
        [sp.csr_matrix((w, (pr, columns)), shape=(m, n_pairs)), *([overflow] * bands)]
    ).tocsr()
    upper = np.concatenate([np.full(n_pairs, np.inf)] + [s * capacity for s, _ in OVERFLOW_BANDS])
    prices = np.concatenate([c] + [np.full(m, f * OVERFLOW_PRICE) for _, f in OVERFLOW_BANDS])
    result = linprog(
        prices,
        A_ub=a_ub,
        b_ub=room,
        A_eq=a_eq,
        b_eq=np.ones(len(free)),
        bounds=np.column_stack([np.zeros(len(upper)), upper]),
        method="highs-ds",
    )
    if result.status != 0 or result.x is None:
        logger.warning(
            "routing: the balanced assignment failed (%s); customers go to their nearest "
            "eligible rep",
            result.message,
        )
        return {i: _nearest(i, eligible[i], cost) for i in free}
    share = np.asarray(result.x[:n_pairs], dtype=float)
    chosen: dict[int, int] = {}
    for j in np.flatnonzero(share > 1.0 - 1e-6):  # whole customers first
        chosen[free[int(pc[j])]] = int(pr[j])
    left = room.copy()
    for i, r in chosen.items():
        left[r] -= work[(i, r)]
    reserve = SAFETY_MARGIN * capacity
    for k in [k for k, i in enumerate(free) if i not in chosen]:
        i = free[k]
        rows = np.flatnonzero(pc == k)
        order = [int(pr[j]) for j in rows[np.lexsort((pr[rows], -share[rows]))]]
        fits = [r for r in order if left[r] >= work[(i, r)]]
        fits = fits or [r for r in order if left[r] + reserve[r] >= work[(i, r)]]
        r = (fits or order)[0]
        chosen[i] = r
        left[r] -= work[(i, r)]
    return chosen


def _nearest(i: int, reps: list[int], cost: dict[tuple[int, int], float]) -> int:
    """The rep of ``reps`` with the cheapest trip to customer ``i``."""
    return min(reps, key=lambda r: (cost[(i, r)], r))


def assign_customers(inputs: PlanInputs, cycle: Cycle, travel: TravelModel) -> Assignment:
    """Give every customer a rep (its fixed one, or one chosen to balance work).

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
        Customers that no rep can take have rep -1 and a reason; the others have their
        fixed rep, or an eligible rep such that every rep's estimated work stays within
        ``(1 - SAFETY_MARGIN)`` of its capacity where the eligible reps allow it.
    """
    n, m = inputs.n_customers, inputs.n_reps
    needed = [int(i) for i in np.flatnonzero(inputs.visits > 0)]
    candidates = _candidates(inputs)
    trips = _trips(inputs, travel, candidates, needed)
    neighbour = _neighbour_minutes(inputs, trips.minutes_per_km)
    per_visit = NEIGHBOUR_FACTOR * neighbour
    eligible, reason, detail = _eligibility(inputs, cycle, candidates, needed, trips)
    out = trips.out_minutes

    def workload(i: int, r: int) -> float:
        return customer_minutes(
            float(inputs.visits[i]), float(inputs.service[i]), float(neighbour[i]), out[(i, r)]
        )

    capacity = _capacity(inputs, cycle, _minutes_per_visit(inputs, needed, eligible, workload))

    rep_out = np.full(n, -1, dtype=np.int64)
    load = np.zeros(m)
    free: list[int] = []
    for i in needed:
        if not eligible[i]:
            continue
        if inputs.rep[i] >= 0 or len(eligible[i]) == 1:
            r = int(inputs.rep[i]) if inputs.rep[i] >= 0 else eligible[i][0]
            rep_out[i] = r
            load[r] += workload(i, r)
        else:
            free.append(i)
    pairs = [(i, r) for i in free for r in eligible[i]]
    work = {p: workload(*p) for p in pairs}
    cost = {p: float(inputs.visits[p[0]]) * out[p] for p in pairs}
    room = capacity * (1.0 - SAFETY_MARGIN) - load
    for i, r in _balance(free, eligible, work, cost, room, capacity).items():
        rep_out[i] = r
        load[r] += work[(i, r)]
    over = np.flatnonzero(load > capacity * (1.0 - SAFETY_MARGIN) + 1e-6)
    logger.info(
        "routing: assigned %d customers (%d free to balance): estimated work %.0f of %.0f "
        "working minutes; %d reps above %.0f %% of their time",
        int((rep_out >= 0).sum()),
        len(free),
        float(load.sum()),
        float(capacity.sum()),
        len(over),
        100 * (1.0 - SAFETY_MARGIN),
    )
    ranked = [sorted(e, key=lambda r: (out[(c, r)], r)) for c, e in enumerate(eligible)]
    reach = [[out[(i, r)] for r in e] for i, e in enumerate(ranked)]
    work_by_rep = [[workload(i, r) for r in e] for i, e in enumerate(ranked)]
    estimate = np.array([w[0] if w else 0.0 for w in work_by_rep])
    return Assignment(
        rep_out, reason, detail, per_visit, ranked, reach, estimate, work_by_rep, capacity, load
    )


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
    room = [
        float(inputs.day_end[r] - inputs.day_start[r] - inputs.lunch_minutes[r]) for r in candidates
    ]
    longest = max(room)
    if inputs.service[i] > longest + 1e-6:
        # Not a matter of distance: the visit alone does not fit any candidate's day.
        return "visit_too_long", (
            f"the {inputs.service[i]:.0f}-minute visit alone is longer than the "
            f"{longest:.0f}-minute working day (less lunch) of {who}, even without travel; "
            "shorten service_minutes or lengthen the rep's day"
        )
    day = room[0]
    return "too_far", (
        f"round trip {2 * trip:.0f} min + visit {inputs.service[i]:.0f} min exceeds the "
        f"{day:.0f}-minute working day of {who}"
    )


def _clock(minutes: float) -> str:
    from territory.tables import format_time

    return format_time(minutes)
