"""What a customer's move to other days is worth in travel, for the change table.

:meth:`territory.routing.RoutePlan.changes` gives the reason ``travel saved`` to a
returning customer that the search moved to other days of the same rep although
nothing forced it. This module puts minutes on that reason, measured in the new
plan's routes:

* on each day it *joined*, the customer costs the detour it makes between its two
  neighbours there (``t[a][c] + t[c][b] - t[a][b]``);
* on each day it *left*, it would cost the cheapest detour into that day's new route
  (time windows aside);

and the minutes saved are the second sum minus the first. The figure can be negative:
the search also moves a customer to make room for its neighbours, which the detour
of the customer alone does not show.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from territory.travel import Points, TravelModel

__all__ = ["DayMove", "travel_saved_minutes"]

#: A customer moved between days of one rep: ``(rep_id, old days, new days)``.
DayMove = tuple[str, frozenset[int], frozenset[int]]


def travel_saved_minutes(
    moves: Mapping[str, DayMove],
    routes: Mapping[tuple[str, int], list[str]],
    customers: pd.DataFrame,
    reps: pd.DataFrame,
    travel: TravelModel,
) -> dict[str, float]:
    """Minutes of travel each moved customer saves on its new days against its old ones.

    Parameters
    ----------
    moves
        Customer id -> its rep and its old and new 0-based cycle days.
    routes
        ``(rep_id, day)`` -> customer ids in visiting order, of the new plan.
    customers, reps
        The plan's tables (``customer_id, lon, lat`` and ``rep_id, home_lon, home_lat``).
    travel
        The plan's travel model.

    Returns
    -------
    dict
        Customer id -> minutes saved (negative when the new days cost more).
    """
    places = customers.assign(customer_id=customers["customer_id"].astype(str)).set_index(
        "customer_id"
    )
    homes = reps.assign(rep_id=reps["rep_id"].astype(str)).set_index("rep_id")
    by_rep: dict[str, list[str]] = {}
    for customer, (rep, _, _) in moves.items():
        by_rep.setdefault(rep, []).append(customer)
    saved: dict[str, float] = {}
    for rep, moved in by_rep.items():
        days = {d for c in moved for d in moves[c][1] ^ moves[c][2]}
        ids = list(dict.fromkeys([*moved, *(c for d in days for c in routes.get((rep, d), []))]))
        points = Points(  # the home goes by its rep's id, as in the violations check
            np.array([rep, *ids], dtype=object),
            np.array([homes.at[rep, "home_lon"], *places.loc[ids, "lon"]], dtype=float),
            np.array([homes.at[rep, "home_lat"], *places.loc[ids, "lat"]], dtype=float),
        )
        minutes = travel.matrix(points).minutes
        node = {c: k + 1 for k, c in enumerate(ids)}
        for customer in moved:
            _, old, new = moves[customer]
            v = node[customer]
            joined = sum(
                _detour(minutes, [node[c] for c in routes[(rep, d)]], v) for d in new - old
            )
            left = sum(
                _cheapest_detour(minutes, [node[c] for c in routes.get((rep, d), [])], v)
                for d in old - new
            )
            saved[customer] = float(left - joined)
    return saved


def _detour(minutes: np.ndarray, route: list[int], v: int) -> float:
    """Travel ``v`` adds where it stands in ``route`` (home is node 0)."""
    k = route.index(v)
    a = route[k - 1] if k > 0 else 0
    b = route[k + 1] if k + 1 < len(route) else 0
    return float(minutes[a, v] + minutes[v, b] - minutes[a, b])


def _cheapest_detour(minutes: np.ndarray, route: list[int], v: int) -> float:
    """The least travel ``v`` would add to ``route`` (home is node 0)."""
    tails, heads = [0, *route], [*route, 0]
    legs = zip(tails, heads, strict=True)
    return float(min(minutes[a, v] + minutes[v, b] - minutes[a, b] for a, b in legs))
