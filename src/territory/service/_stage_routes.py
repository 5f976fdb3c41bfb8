"""``POST /v1/plan-routes``: visit plans and daily routes over a planning cycle."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from territory._json import json_safe
from territory.routing import Cycle, PlanOptions, plan_routes
from territory.service._stages import Progress, RunContext, Stage
from territory.service.models import Record, StageRequest, records_frame
from territory.service.results import PlanRoutesResult
from territory.travel import GreatCircleTravel

__all__ = ["PlanRoutesRequest", "load"]


class CycleModel(BaseModel):
    """The planning cycle: weeks times working days per week (Monday first)."""

    model_config = ConfigDict(extra="forbid")

    weeks: int = Field(default=4, ge=1, le=13)
    days: int = Field(default=5, ge=1, le=7)


class TravelOptions(BaseModel):
    """Great-circle travel: distance times a detour factor at a constant speed."""

    model_config = ConfigDict(extra="forbid")

    speed_kmh: float = Field(default=40.0, gt=0)
    detour_factor: float = Field(default=1.3, ge=1)


class PlanRoutesRequest(StageRequest):
    """Customers and reps to plan visits and routes for (see territory.routing.plan_routes)."""

    customers: list[Record] = Field(
        description="customer_id, lon, lat, visits_per_cycle, and optionally service_minutes, "
        "opens, closes, min_gap_days, allowed_days, rep_id, grade, priority ..."
    )
    reps: list[Record] = Field(
        description="rep_id, home_lon, home_lat, and optionally kind, dealer_id, day_start, "
        "day_end, weekdays, lunch_start, lunch_minutes"
    )
    cycle: CycleModel = Field(default_factory=CycleModel)
    travel: TravelOptions = Field(default_factory=TravelOptions)
    engine: Literal["ortools", "pyvrp", "local"] = "ortools"
    iterations: int | None = Field(
        default=None,
        ge=0,
        description="search rounds per rep (a work limit: the same request gives the same plan)",
    )
    previous: list[Record] | None = Field(
        default=None,
        description="last cycle's visits (rep_id, day, seq, customer_id, optional locked) to "
        "re-plan from; the answer then carries 'changes' and 'change_summary'",
    )
    time_limit: float | None = Field(
        default=None,
        gt=0,
        description="solver seconds; the server's default when omitted, at most "
        "TERRITORY_MAX_TIME_LIMIT",
    )
    seed: int = 0

    def customer_count(self) -> int:
        """Number of customer records."""
        return len(self.customers)

    def rep_count(self) -> int:
        """Number of rep records."""
        return len(self.reps)

    def requested_time_limit(self) -> float | None:
        """The time limit asked for."""
        return self.time_limit


def _progress(report: Progress) -> Callable[[int, int], None]:
    """The planner's ``progress(done, total)`` (after each rep) as the job's report.

    The report raises when the job was cancelled; the planner lets that exception
    through, so a cancelled job stops after the rep it is solving.
    """

    def progress(done: int, total: int) -> None:
        report(float(done), float(total), f"{done} of {total} reps planned")

    return progress


def run(request: PlanRoutesRequest, context: RunContext) -> dict[str, Any]:
    """Plan the routes and return the plan's JSON (visits, unplanned, summary)."""
    previous = None if request.previous is None else records_frame(request.previous)
    plan = plan_routes(
        records_frame(request.customers),
        records_frame(request.reps),
        cycle=Cycle(weeks=request.cycle.weeks, days=request.cycle.days),
        travel=GreatCircleTravel(
            speed_kmh=request.travel.speed_kmh, detour_factor=request.travel.detour_factor
        ),
        engine=request.engine,
        time_limit=context.time_limit,
        seed=request.seed,
        progress=None if context.progress is None else _progress(context.progress),
        options=PlanOptions(iterations=request.iterations),
        previous=previous,
    )
    result: dict[str, Any] = plan.to_dict()
    result.setdefault("summary", plan.summary())
    if previous is not None:
        changes = plan.changes(previous)
        result["changes"] = json_safe(changes.to_dict(orient="records"))
        result["change_summary"] = plan.change_summary(previous)
    return result


def load() -> Stage:
    """The route planning stage."""
    return Stage(
        name="plan-routes",
        summary="Plan visits and routes",
        description="Spread each customer's visits over the cycle and route every rep-day "
        "(territory.routing.plan_routes). Unplanned visits come back with their reasons.",
        request_model=PlanRoutesRequest,
        run=run,
        result_model=PlanRoutesResult,
    )
