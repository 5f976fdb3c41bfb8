"""``POST /v1/grade``: grade customers A-D and, optionally, derive visit requirements."""

from __future__ import annotations

import dataclasses
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from territory.errors import ValidationError
from territory.grading import (
    Grades,
    ParetoABC,
    RelationshipPotentialMatrix,
    RFMGrading,
    VisitPolicy,
    VisitStandard,
    WeightedScore,
)
from territory.service._stages import RunContext, Stage
from territory.service.models import Record, StageRequest, records_frame
from territory.service.results import GradeResult

__all__ = ["GradeRequest", "load"]

_SCHEMES: dict[str, type[Any]] = {
    "matrix": RelationshipPotentialMatrix,
    "pareto_abc": ParetoABC,
    "rfm": RFMGrading,
    "weighted": WeightedScore,
}

Parameter = str | int | float | bool | None | list[str | int | float] | dict[str, float]


class SchemeModel(BaseModel):
    """A grading scheme and its parameters (the fields of the Python class)."""

    model_config = ConfigDict(extra="forbid")

    name: Literal["matrix", "pareto_abc", "rfm", "weighted"] = Field(
        description="matrix = RelationshipPotentialMatrix, pareto_abc = ParetoABC, "
        "rfm = RFMGrading, weighted = WeightedScore"
    )
    parameters: dict[str, Parameter] = Field(
        default_factory=dict,
        description="keyword arguments of the scheme class, e.g. {'window_months': 12}",
    )


class VisitStandardModel(BaseModel):
    """Visit standard of one grade (see territory.grading.VisitStandard)."""

    model_config = ConfigDict(extra="forbid")

    visits_per_cycle: int
    service_minutes: float
    min_gap_days: int = 0
    allowed_days: str = "Mon,Tue,Wed,Thu,Fri"
    min_visits_per_cycle: int = 0


class GradeRequest(StageRequest):
    """Customers (and history) to grade with one scheme."""

    customers: list[Record] = Field(description="customer records with customer_id")
    sales: list[Record] | None = Field(
        default=None,
        description="long customer_id, month, sales table (matrix, pareto_abc), or "
        "transactions customer_id, date|month, amount (rfm)",
    )
    scheme: SchemeModel
    policy: Literal["default"] | dict[str, VisitStandardModel] | None = Field(
        default=None,
        description="visit standards per grade ('default' = VisitPolicy.default()); "
        "when given the response carries visit requirements",
    )

    def customer_count(self) -> int:
        """Number of customer records."""
        return len(self.customers)


def _scheme(model: SchemeModel) -> Any:
    cls = _SCHEMES[model.name]
    known = [f.name for f in dataclasses.fields(cls) if f.init]
    unknown = sorted(set(model.parameters) - set(known))
    if unknown:
        raise ValidationError(
            f"scheme {model.name!r}: unknown parameters {', '.join(map(repr, unknown))} "
            f"(it takes {', '.join(known)})"
        )
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in model.parameters.items()}
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as error:
        if isinstance(error, ValidationError):
            raise
        raise ValidationError(f"scheme {model.name!r}: invalid parameters ({error})") from None


def _grade(request: GradeRequest) -> Grades:
    scheme = _scheme(request.scheme)
    customers = records_frame(request.customers)
    sales = None if request.sales is None else records_frame(request.sales)
    if request.scheme.name in ("pareto_abc", "rfm") and sales is None:
        table = "sales" if request.scheme.name == "pareto_abc" else "transactions"
        raise ValidationError(f"sales: the {request.scheme.name} scheme needs the {table} table")
    if isinstance(scheme, RelationshipPotentialMatrix):
        return scheme.grade(customers, sales=sales)
    if isinstance(scheme, WeightedScore):
        return scheme.grade(customers)
    grades: Grades = scheme.grade(customers, sales)
    return grades


def _policy(request: GradeRequest) -> VisitPolicy | None:
    if request.policy is None:
        return None
    if request.policy == "default":
        return VisitPolicy.default()
    return VisitPolicy({g: VisitStandard(**s.model_dump()) for g, s in request.policy.items()})


def run(request: GradeRequest, context: RunContext) -> dict[str, Any]:
    """Grade the customers; add visit requirements when a policy is given."""
    policy = _policy(request)
    grades = _grade(request)
    result: dict[str, Any] = {"grades": grades.to_dict(), "requirements": None}
    if policy is not None:
        requirements = policy.requirements(grades)
        result["requirements"] = json.loads(requirements.to_json(orient="records"))
    return result


def load() -> Stage:
    """The grading stage."""
    return Stage(
        name="grade",
        summary="Grade customers A-D",
        description="Grade customers with one scheme (matrix, pareto_abc, rfm, weighted) and, "
        "given a visit policy, return their visit requirements.",
        request_model=GradeRequest,
        run=run,
        result_model=GradeResult,
    )
