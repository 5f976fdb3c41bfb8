"""Re-planning from last cycle's plan: who keeps which rep, days and order.

``plan_routes(previous=...)`` starts from the previous plan instead of from scratch:

* a returning customer without a fixed ``rep_id`` keeps its previous rep when that rep
  is still in the reps table and may still serve it (:mod:`territory.eligibility`: a
  store that changed dealer, or lost its key-account mark, is assigned afresh)
  (:func:`pin_to_previous`); customers of a rep who is gone are assigned afresh,
  within the reps' capacity, and a new rep takes the returning customers that are
  nearer to its home than to their rep's, as capacity allows;
* each rep's first routes are last cycle's routes of its returning customers, in their
  old order, on the valid pattern that shares most days with the old ones (a frequency
  cut from 4 to 2 keeps two of the four days) (:func:`previous_routes`);
* new customers and visits that no longer fit are then placed by the periodic search,
  whose objective counts every visit on a day the customer did not have before as
  changed (``PlanOptions.stability_minutes``, ``max_changed_share``);
* locked customers (a ``locked`` visit in the previous plan) keep their rep, days and
  the order of their visits whenever the new inputs allow it;
* a rep whose customers all come back on exactly their previous days keeps its routes
  untouched, so re-planning unchanged inputs gives the same plan back.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from territory.routing.planner.inputs import PlanInputs
from territory.routing.previous import PreviousPlan
from territory.travel import haversine_km

__all__ = ["pin_to_previous", "previous_routes"]


#: A returning customer whose previous rep lives more than this many times as far as
#: the nearest rep that may serve it...
STRANDED_RATIO = 2.0
#: ...and more than this many km farther is assigned afresh (see :func:`pin_to_previous`).
STRANDED_KM = 20.0


def pin_to_previous(inputs: PlanInputs, before: PreviousPlan) -> PlanInputs:
    """Fix each returning customer without a ``rep_id`` to its previous rep, if present.

    Only a previous rep that may still serve the customer is kept (a customer whose
    supplier or key-account mark changed is assigned afresh).

    A rep who is new (in no visit of the previous plan) takes a share from the
    neighbouring reps: returning customers nearer to a new rep's home than to their
    previous rep's home are left to the assignment, which balances work against each
    rep's capacity. So is a customer *stranded* far from its previous rep: one whose
    previous rep's home is more than :data:`STRANDED_RATIO` times as far as the home
    of the nearest rep that may serve it, and over :data:`STRANDED_KM` farther (last
    cycle's assignment sent it there for want of room nearer; each of its visits
    costs hours of driving). Locked customers always stay with their previous rep.
    """
    index = {str(r): k for k, r in enumerate(inputs.rep_ids)}
    rules = inputs.eligibility
    rep = inputs.rep.copy()
    known = set(before.rep.values())
    new = [k for k, r in enumerate(inputs.rep_ids) if str(r) not in known]
    to_new = np.full(inputs.n_customers, np.inf)
    for k in new:
        home = haversine_km(inputs.lon, inputs.lat, inputs.home_lon[k], inputs.home_lat[k])
        allowed = np.array([rules.may_serve(i, k) for i in range(inputs.n_customers)])
        to_new = np.where(allowed, np.minimum(to_new, home), to_new)
    for i, customer in enumerate(inputs.customer_ids):
        old = before.rep.get(str(customer))
        if rep[i] >= 0 or old is None or old not in index:
            continue
        k = index[old]
        if not rules.may_serve(i, k):
            continue
        if str(customer) in before.locked:
            rep[i] = k
            continue
        homes = haversine_km(inputs.lon[i], inputs.lat[i], inputs.home_lon, inputs.home_lat)
        to_old = float(homes[k])
        nearest = float(min(homes[r] for r in rules.reps_for(i)))
        stranded = to_old > STRANDED_RATIO * nearest and to_old - nearest > STRANDED_KM
        if to_new[i] >= to_old and not stranded:
            rep[i] = k
    return replace(inputs, rep=rep)


def _target(patterns: list[tuple[int, ...]], days: frozenset[int]) -> tuple[int, ...]:
    """The pattern sharing most days with ``days`` (the most regular among ties)."""
    best: tuple[int, ...] = ()
    shared = -1
    for pattern in patterns:
        count = len(days.intersection(pattern))
        if count > shared:
            best, shared = pattern, count
    return best


def previous_routes(
    customer_ids: np.ndarray,
    rep_id: str,
    n_days: int,
    patterns: list[list[tuple[int, ...]]],
    before: PreviousPlan,
) -> tuple[list[list[int]], tuple[frozenset[int], ...], tuple[bool, ...]]:
    """A rep's start from last cycle: routes, previous days and locks of its customers.

    Parameters
    ----------
    customer_ids
        The rep's customers (local node ``j + 1`` is ``customer_ids[j]``).
    rep_id
        The rep.
    n_days
        Days in the cycle.
    patterns
        Per customer, its valid patterns for this rep.
    before
        The previous plan.

    Returns
    -------
    routes
        Per cycle day, local nodes in last cycle's order: returning customers on the
        days of their target pattern that they were visited on before (by this rep).
    previous_days
        Per customer, the days it was visited on before (empty when new).
    locked
        Per customer, whether it is locked.
    """
    local = {str(c): j + 1 for j, c in enumerate(customer_ids)}
    keep: dict[int, frozenset[int]] = {}
    previous_days = []
    locked = []
    for j, customer in enumerate(customer_ids):
        days = before.days.get(str(customer), frozenset())
        previous_days.append(days)
        locked.append(str(customer) in before.locked)
        if days and before.rep.get(str(customer)) == rep_id and patterns[j]:
            keep[j + 1] = days.intersection(_target(patterns[j], days))
    routes: list[list[int]] = [[] for _ in range(n_days)]
    for day in range(n_days):
        for customer in before.routes.get((rep_id, day), []):
            node = local.get(customer)
            if node is not None and day in keep.get(node, ()):
                routes[day].append(node)
    return routes, tuple(previous_days), tuple(locked)
