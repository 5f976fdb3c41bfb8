"""Assembly of the :class:`~territory.routing.RoutePlan` from the reps' outcomes."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from territory.routing.cycle import Cycle
from territory.routing.planner.assign import Assignment
from territory.routing.planner.inputs import PlanInputs
from territory.routing.planner.rep_plan import RepOutcome, RepTask
from territory.routing.result import (
    DAY_COLUMNS,
    UNPLANNED_COLUMNS,
    VISIT_COLUMNS,
    RoutePlan,
    regularity_metrics,
)
from territory.travel import TravelModel

__all__ = ["build_plan"]


def build_plan(
    inputs: PlanInputs,
    cycle: Cycle,
    assignment: Assignment,
    tasks: list[RepTask],
    outcomes: list[RepOutcome],
    km: dict[int, np.ndarray],
    travel: TravelModel,
    *,
    stats: dict[str, Any],
) -> RoutePlan:
    """Assemble the :class:`RoutePlan` from the reps' outcomes."""
    visit_rows: list[tuple[Any, ...]] = []
    day_rows: list[tuple[Any, ...]] = []
    planned = np.zeros(inputs.n_customers, dtype=np.int64)
    for task, outcome in zip(tasks, outcomes, strict=True):
        rep_id = str(inputs.rep_ids[task.rep])
        local = {int(c): j + 1 for j, c in enumerate(task.customers)}
        minutes, kms = task.travel, km[task.rep]
        planned[task.customers] += outcome.planned
        for route in outcome.days:
            week, weekday = cycle.week(route.day) + 1, cycle.weekday_name(route.day)
            here = 0
            total_min = total_km = service = 0.0
            for seq, (c, start) in enumerate(zip(route.customers, route.starts, strict=True)):
                node = local[c]
                leg_min, leg_km = float(minutes[here, node]), float(kms[here, node])
                total_min += leg_min
                total_km += leg_km
                service += float(inputs.service[c])
                visit_rows.append(
                    (
                        rep_id,
                        week,
                        route.day + 1,
                        weekday,
                        seq + 1,
                        str(inputs.customer_ids[c]),
                        start,
                        start + float(inputs.service[c]),
                        leg_min,
                        leg_km,
                    )
                )
                here = node
            total_min += float(minutes[here, 0])
            total_km += float(kms[here, 0])
            day_rows.append(
                (
                    rep_id,
                    week,
                    route.day + 1,
                    weekday,
                    len(route.customers),
                    route.departure,
                    route.back,
                    route.back - route.departure,
                    total_min,
                    total_km,
                    service,
                    math.nan if route.break_start is None else route.break_start,
                )
            )
    visits = pd.DataFrame(visit_rows, columns=list(VISIT_COLUMNS))
    days = pd.DataFrame(day_rows, columns=list(DAY_COLUMNS))
    unplanned = _unplanned_table(inputs, cycle, assignment, planned, tasks)
    return RoutePlan(
        visits=visits,
        days=days,
        unplanned=unplanned,
        regularity=regularity_metrics(visits, cycle),
        cycle=cycle,
        stats=stats,
        customers=pd.DataFrame(
            {
                "customer_id": inputs.customer_ids.astype(str),
                "lon": inputs.lon,
                "lat": inputs.lat,
                "visits_per_cycle": inputs.visits,
                "service_minutes": inputs.service,
                "opens": inputs.opens,
                "closes": inputs.closes,
                "allowed_days": [tuple(np.flatnonzero(m).tolist()) for m in inputs.allowed],
                "min_gap_days": inputs.min_gap,
                "rep_id": [None if r < 0 else str(inputs.rep_ids[r]) for r in inputs.rep],
            }
        ),
        reps=pd.DataFrame(
            {
                "rep_id": inputs.rep_ids.astype(str),
                "home_lon": inputs.home_lon,
                "home_lat": inputs.home_lat,
                "day_start": inputs.day_start,
                "day_end": inputs.day_end,
                "weekdays": [tuple(np.flatnonzero(m).tolist()) for m in inputs.rep_days],
                "lunch_start": inputs.lunch_start,
                "lunch_minutes": inputs.lunch_minutes,
            }
        ),
        travel=travel,
    )


def _unplanned_table(
    inputs: PlanInputs,
    cycle: Cycle,
    assignment: Assignment,
    planned: np.ndarray,
    tasks: list[RepTask],
) -> pd.DataFrame:
    load: dict[int, tuple[float, float]] = {}
    for task in tasks:
        work = float((task.visits * (task.service + task.work)).sum())
        room = task.day_end - task.day_start - (task.lunch[2] if task.lunch else 0.0)
        load[task.rep] = (work, room * sum(task.working))
    rows = []
    for i in np.flatnonzero(planned < inputs.visits):
        rep = int(assignment.rep[i])
        shown = rep if rep >= 0 else int(inputs.rep[i])
        required, done = int(inputs.visits[i]), int(planned[i])
        if rep < 0:
            reason, detail = assignment.reason[i], assignment.detail[i]
        else:
            work, room = load[rep]
            reason = "capacity"
            detail = (
                f"{done} of {required} visits fit; rep {inputs.rep_ids[rep]} has "
                f"{room:.0f} working minutes in the {cycle.n_days}-day cycle for an estimated "
                f"{work:.0f} minutes of visits and travel, and the days with a valid "
                f"pattern for this customer are full with visits of equal or higher priority"
            )
        rows.append(
            (
                str(inputs.customer_ids[i]),
                None if shown < 0 else str(inputs.rep_ids[shown]),
                required,
                done,
                required - done,
                reason,
                detail,
            )
        )
    return pd.DataFrame(rows, columns=list(UNPLANNED_COLUMNS)).astype(
        {"visits_required": "int64", "visits_planned": "int64", "visits_missing": "int64"}
    )
