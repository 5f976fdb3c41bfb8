"""Response models of the stages' results, for the OpenAPI document and generated clients.

The endpoints answer with the library's own JSON (``to_dict()`` of each result), so
these models describe it; the service tests validate real answers against them. Rows of
tables are objects of column -> scalar; every model allows extra members, so a new
column or field in the library never breaks a client. This module imports no stage
library code, so the job models can name every stage's result.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AllocatePlanResult",
    "AllocateResult",
    "AllocationLevel",
    "AllocationUnit",
    "CycleResult",
    "GradeResult",
    "GradesResult",
    "PlanAllocation",
    "PlanRoutesResult",
    "Row",
    "StageResult",
    "TerritoriesResult",
]

#: One row of a result table: column -> JSON scalar (NaN is null).
Row = dict[str, str | int | float | bool | None]


class _Result(BaseModel):
    model_config = ConfigDict(extra="allow")


class CycleResult(_Result):
    """The planning cycle."""

    weeks: int
    days: int = Field(description="working days per week, Monday first")


class PlanRoutesResult(_Result):
    """A route plan (``RoutePlan.to_dict()``) and its summary."""

    cycle: CycleResult
    visits_required: int = Field(description="visits the customers need in the cycle")
    visits_planned: int
    visits: list[Row] = Field(
        description="one row per visit: rep_id, day, seq, customer_id, arrival, departure ..."
    )
    days: list[Row] = Field(description="one row per rep-day: rep_id, day, visits, minutes ...")
    unplanned: list[Row] = Field(
        description="customer_id, rep_id, visits_missing, reason (territory.routing.REASONS), "
        "detail"
    )
    regularity: dict[str, Any]
    stats: dict[str, Any]
    summary: str = Field(description="a few lines of text")
    changes: list[Row] | None = Field(
        default=None, description="when 'previous' was given: one row per customer changed"
    )
    change_summary: str | None = Field(
        default=None, description="when 'previous' was given: one line"
    )


class GradesResult(_Result):
    """Grades of the customers (``Grades.to_dict()``)."""

    scheme: str
    labels: list[str] = Field(description="grade labels, best first")
    thresholds: list[Any]
    parameters: dict[str, Any]
    summary: str = Field(description="a few lines of text")
    by_grade: list[Row] = Field(description="per grade: customers, shares, sales")
    customers: list[Row] = Field(description="per customer: customer_id, grade, score ...")


class GradeResult(_Result):
    """``POST /v1/grade``: the grades and, given a policy, visit requirements."""

    grades: GradesResult
    requirements: list[Row] | None = Field(
        default=None,
        description="per customer: visits_per_cycle, service_minutes ... (with a policy)",
    )


class TerritoriesResult(_Result):
    """A territory plan (``TerritoryPlan.to_dict()``) and its summary."""

    balanced: bool
    contiguous: bool
    measures: list[str]
    tolerances: dict[str, Any]
    centre: str
    seed: int
    seconds: float
    n_customers: int
    n_moved: int
    graph_edges_added: int
    graph_edges_pruned: int
    territories: list[Row] = Field(description="one row per rep: customers, measures ...")
    out_of_tolerance: list[Row]
    assignment: list[Row] = Field(description="one row per customer: customer_id, rep_id ...")
    summary: str = Field(description="a few lines of text")


class AllocationUnit(_Result):
    """One unit of one level of an allocation."""

    unit: str | int | float | None
    parent: str | int | float | None
    unrounded: float | None
    value: float | None
    baseline: float | None = None
    bound: str | float | bool | None = None
    months: list[float | None] = Field(default_factory=list, description="value per month")


class AllocationLevel(_Result):
    """One level of an allocation."""

    name: str
    method: str
    units: list[AllocationUnit]


class AllocateResult(_Result):
    """A target allocation (``Allocation.to_dict()``)."""

    target: float
    requested_target: float | None = None
    step: float | None = None
    month_step: float | None = None
    rounding: str
    months: list[str] = Field(description="'YYYY-MM', in order")
    levels: list[AllocationLevel] = Field(description="top level first")


class PlanAllocation(AllocateResult):
    """The allocation of one measure and product line of a target plan."""

    measure: str
    product_line: str = Field(description="the product line; '(all)' without product lines")


class AllocatePlanResult(_Result):
    """A target plan (``TargetPlan.to_dict()``): several measures and product lines."""

    lines: list[Row] = Field(
        description="one row per measure and product line: measure, product_line, kind "
        "('history', 'new' or 'given'), basis, target"
    )
    share_measures: dict[str, float] = Field(
        description="measure -> market-share target, for measures given as a share"
    )
    allocations: list[PlanAllocation] = Field(
        description="one allocation per measure and product line; each adds up exactly"
    )


#: The result of any stage (a job's ``result``).
StageResult = (
    PlanRoutesResult | GradeResult | TerritoriesResult | AllocatePlanResult | AllocateResult
)
