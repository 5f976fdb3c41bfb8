"""Independent re-check of a :class:`RoutePlan` against every planning rule.

Travel is recomputed from the plan's travel model; times, windows, lunch, spacing and
visit counts are checked from the plan's own tables, not from the planner's state.
"""

from __future__ import annotations

import math
from typing import Any, Protocol, cast

import numpy as np
import pandas as pd

from territory.routing.cycle import Cycle
from territory.routing.patterns import cyclic_gaps, required_gap
from territory.routing.timing import LUNCH_WINDOW
from territory.travel import Points, TravelModel


class RoutePlan(Protocol):
    """What the check reads of a :class:`territory.routing.RoutePlan` (its tables)."""

    @property
    def visits(self) -> pd.DataFrame: ...

    @property
    def days(self) -> pd.DataFrame: ...

    @property
    def unplanned(self) -> pd.DataFrame: ...

    @property
    def customers(self) -> pd.DataFrame: ...

    @property
    def reps(self) -> pd.DataFrame: ...

    @property
    def cycle(self) -> Cycle: ...

    @property
    def travel(self) -> TravelModel: ...


__all__ = ["find_violations"]

_TOL = 1e-3


def _day_violations(
    plan: RoutePlan, rep: dict[str, Any], day: int, group: Any, info: dict[str, Any]
) -> list[str]:
    out: list[str] = []
    rep_id = str(rep["rep_id"])
    where = f"rep {rep_id} day {day}"
    weekday = plan.cycle.weekday(day - 1)
    if weekday not in tuple(rep["weekdays"]):
        out.append(f"{where}: the rep does not work on weekday {weekday}")
    group = group.sort_values("seq")
    ids = [str(c) for c in group["customer_id"]]
    points = Points(
        np.array([rep_id, *ids], dtype=object),
        np.array([float(rep["home_lon"]), *(info[c]["lon"] for c in ids)]),
        np.array([float(rep["home_lat"]), *(info[c]["lat"] for c in ids)]),
    )
    travel = plan.travel.matrix(points).minutes
    row = plan.days[(plan.days["rep_id"] == rep_id) & (plan.days["day"] == day)]
    if len(row) != 1:
        return [*out, f"{where}: missing from the days table"]
    start, end = float(row["start"].iloc[0]), float(row["end"].iloc[0])
    lunch_start = float(row["lunch_start"].iloc[0])
    day_start, day_end = float(rep["day_start"]), float(rep["day_end"])
    lunch_minutes = float(rep["lunch_minutes"])
    if start < day_start - _TOL or end > day_end + _TOL:
        out.append(
            f"{where}: day {start:.1f}-{end:.1f} outside working hours "
            f"{day_start:.0f}-{day_end:.0f}"
        )
    leave, node = start, 0
    needs_lunch = lunch_minutes > 0 and end > float(rep["lunch_start"]) + LUNCH_WINDOW + _TOL
    lunch_placed = False
    arrivals = [*group["arrival"].to_numpy(dtype=float), end]
    for k, arrival in enumerate(arrivals):
        nxt = k + 1 if k < len(ids) else 0
        earliest = leave + float(travel[node, nxt])
        if needs_lunch and not math.isnan(lunch_start) and leave - _TOL <= lunch_start <= arrival:
            if arrival + _TOL < max(earliest, lunch_start) + lunch_minutes:
                out.append(f"{where}: no room for the lunch break before stop {k + 1}")
            lunch_placed = True
        elif arrival < earliest - _TOL:
            out.append(
                f"{where}: stop {k + 1} reached at {arrival:.1f}, "
                f"but the drive ends at {earliest:.1f}"
            )
        if nxt == 0:
            break
        c = ids[k]
        opens, closes = float(info[c]["opens"]), float(info[c]["closes"])
        if arrival < opens - _TOL or arrival > closes + _TOL:
            out.append(
                f"{where}: customer {c} served at {arrival:.1f}, outside {opens:.0f}-{closes:.0f}"
            )
        departure = float(group["departure"].iloc[k])
        service = float(info[c]["service_minutes"])
        if abs(departure - arrival - service) > _TOL:
            out.append(
                f"{where}: customer {c} served {departure - arrival:.1f} min, needs {service:.1f}"
            )
        leave, node = departure, nxt
    if needs_lunch:
        low = float(rep["lunch_start"])
        if math.isnan(lunch_start) or not lunch_placed:
            out.append(f"{where}: no lunch break although the day runs past its lunch window")
        elif not low - _TOL <= lunch_start <= low + LUNCH_WINDOW + _TOL:
            out.append(f"{where}: lunch at {lunch_start:.1f} outside its window")
    return out


def find_violations(plan: RoutePlan) -> list[str]:
    """Every broken rule of ``plan``, one readable line each (empty when feasible).

    Rules: each rep-day lies within the rep's working hours on a weekday the rep works,
    starts and ends at home, leaves enough time to drive every leg (recomputed with the
    plan's travel model) and for lunch; each visit starts within opening hours and lasts
    its service time; each customer is visited on allowed weekdays, at most once a day,
    with cyclic gaps of at least the required spacing; planned plus missing visits equal
    the required visits, and a customer is listed as unplanned exactly when visits are
    missing.
    """
    out: list[str] = []
    reps: dict[str, dict[str, Any]] = {
        str(r["rep_id"]): {str(k): v for k, v in r.items()} for r in plan.reps.to_dict("records")
    }
    info: dict[str, dict[str, Any]] = {
        str(r["customer_id"]): {str(k): v for k, v in r.items()}
        for r in plan.customers.to_dict("records")
    }
    for key, group in plan.visits.groupby(["rep_id", "day"], sort=True):
        rep_id, day = cast(tuple[str, int], key)
        out.extend(_day_violations(plan, reps[str(rep_id)], int(day), group, info))
    n_days = plan.cycle.n_days
    counts = plan.visits.groupby("customer_id")["day"].agg(list).to_dict()
    missing = plan.unplanned.set_index("customer_id")["visits_missing"].to_dict()
    for c, row in info.items():
        days = sorted(int(d) - 1 for d in counts.get(c, []))
        required = int(row["visits_per_cycle"])
        if len(days) + int(missing.get(c, 0)) != required:
            out.append(
                f"customer {c}: {len(days)} planned + {missing.get(c, 0)} missing "
                f"!= {required} required"
            )
        if c in missing and len(days) >= required:
            out.append(f"customer {c}: listed as unplanned but fully planned")
        if len(set(days)) != len(days):
            out.append(f"customer {c}: visited twice on one day")
        for d in days:
            if plan.cycle.weekday(d) not in tuple(row["allowed_days"]):
                out.append(f"customer {c}: visited on day {d + 1}, not an allowed weekday")
        if len(days) >= 2:
            gap = required_gap(n_days, required, float(row["min_gap_days"]))
            smallest = min(cyclic_gaps(days, n_days))
            if smallest < gap:
                out.append(f"customer {c}: visits {smallest} days apart, needs {gap}")
    return out
