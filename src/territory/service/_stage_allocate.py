"""``POST /v1/allocate``: break a target down a hierarchy and across months."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from territory.allocation import Bounds, LevelRule, allocate
from territory.service._stages import RunContext, Stage
from territory.service.models import Record, StageRequest, records_frame
from territory.service.results import AllocateResult

__all__ = ["AllocateRequest", "load"]


class LevelRuleModel(BaseModel):
    """How one level's units share their parent's figure (see LevelRule)."""

    model_config = ConfigDict(extra="forbid")

    method: str = Field(default="history", description="history, potential, index, ...")
    window: str | tuple[str, str] = "trailing_12"
    weights: dict[str, float] | None = None


class BoundsModel(BaseModel):
    """Limits of the units of one level (see Bounds)."""

    model_config = ConfigDict(extra="forbid")

    minimum: float | dict[str, float] | None = None
    maximum: float | dict[str, float] | None = None
    growth: tuple[float, float] | None = None


Rule = str | LevelRuleModel


class AllocateRequest(StageRequest):
    """A target and the hierarchy to break it down (see territory.allocation.allocate)."""

    target: float | dict[str, float] = Field(
        description="total, or top unit -> target; unit ids as strings"
    )
    hierarchy: list[Record] = Field(description="one row per key with the level columns")
    levels: list[str] = Field(min_length=1, description="level columns, top first")
    key: str | None = None
    sales: list[Record] | None = Field(
        default=None,
        validation_alias=AliasChoices("sales", "history"),
        description="the sales table, long: <key>, month ('YYYY-MM'), sales "
        "('history' is accepted as its old name)",
    )
    potential: str | None = Field(default=None, description="hierarchy column of potential")
    methods: Rule | list[Rule] | dict[str, Rule] = "history"
    baseline: str | tuple[str, str] = "trailing_12"
    bounds: dict[str, BoundsModel] | None = None
    locks: dict[str, dict[str, float]] | None = None
    months: int | list[str] | None = None
    step: float = 1
    month_step: float | None = None
    rounding: str = "largest_remainder"
    seed: int | None = None
    crossing: list[str] = Field(
        default_factory=list,
        description="levels whose units may sit under several parents (e.g. ['rep_id'] for "
        "a company rep serving stores of two dealers): allocated on (parent, unit) pairs",
    )

    def customer_count(self) -> int:
        """Rows of the hierarchy (one per customer when allocating down to customers)."""
        return len(self.hierarchy)


def _rule(rule: Rule) -> str | LevelRule:
    if isinstance(rule, str):
        return rule
    return LevelRule(rule.method, window=rule.window, weights=rule.weights)


def _keyed(values: dict[str, float]) -> dict[Hashable, float]:
    return {key: value for key, value in values.items()}


def run(request: AllocateRequest, context: RunContext) -> dict[str, Any]:
    """Allocate the target and return the allocation's JSON."""
    methods: Any
    if isinstance(request.methods, list):
        methods = [_rule(r) for r in request.methods]
    elif isinstance(request.methods, dict):
        methods = {level: _rule(r) for level, r in request.methods.items()}
    else:
        methods = _rule(request.methods)
    bounds = None
    if request.bounds is not None:
        bounds = {level: Bounds(**b.model_dump()) for level, b in request.bounds.items()}
    target: float | Mapping[Hashable, float] = (
        _keyed(request.target) if isinstance(request.target, dict) else request.target
    )
    locks: dict[str, Mapping[Hashable, float]] | None = None
    if request.locks is not None:
        locks = {level: _keyed(units) for level, units in request.locks.items()}
    allocation = allocate(
        target,
        records_frame(request.hierarchy),
        levels=request.levels,
        key=request.key,
        sales=None if request.sales is None else records_frame(request.sales),
        potential=request.potential,
        methods=methods,
        baseline=request.baseline,
        bounds=bounds,
        locks=locks,
        months=request.months,
        step=request.step,
        month_step=request.month_step,
        rounding=request.rounding,
        seed=request.seed,
        crossing=request.crossing,
    )
    return allocation.to_dict()


def load() -> Stage:
    """The target allocation stage."""
    return Stage(
        name="allocate",
        summary="Allocate a target",
        description="Break a target down a hierarchy level by level and across months "
        "(territory.allocation.allocate).",
        request_model=AllocateRequest,
        run=run,
        result_model=AllocateResult,
    )
