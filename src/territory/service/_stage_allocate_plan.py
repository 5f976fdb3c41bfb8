"""``POST /v1/allocate-plan``: targets for several measures, product lines and promotions."""

from __future__ import annotations

from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from territory.allocation import Measure, NewProduct, Promotion, allocate_plan
from territory.service._stage_allocate import Rule, _rule
from territory.service._stages import RunContext, Stage
from territory.service.models import Record, StageRequest, records_frame
from territory.service.results import AllocatePlanResult

__all__ = ["AllocatePlanRequest", "MeasureModel", "NewProductModel", "PromotionModel", "load"]


class MeasureModel(BaseModel):
    """One measure of the plan: value, quantity or market share (see Measure)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="the measure's name in the result, e.g. 'value'")
    target: float | dict[str, float] | None = Field(
        default=None, description="total, or product line -> target"
    )
    column: str = Field(default="sales", description="sales column of the measure")
    step: float = 1
    month_step: float | None = None
    share: float | None = Field(
        default=None, description="a market-share target in (0, 1] instead of a target"
    )
    market: str | dict[str, float] | None = Field(
        default=None,
        description="market size: a hierarchy column, or key -> size (needed by share)",
    )

    def to_measure(self) -> Measure:
        """The library's :class:`Measure`."""
        market: str | pd.Series | None = (
            pd.Series(self.market, dtype=float) if isinstance(self.market, dict) else self.market
        )
        return Measure(
            self.name,
            self.target,
            column=self.column,
            step=self.step,
            month_step=self.month_step,
            share=self.share,
            market=market,
        )


class NewProductModel(BaseModel):
    """A product line without (enough) history (see NewProduct)."""

    model_config = ConfigDict(extra="forbid")

    line: str
    share: float | None = Field(default=None, description="share of every measure's total")
    amount: float | dict[str, float] | None = Field(
        default=None, description="fixed amount, or measure name -> amount"
    )
    like: str | None = Field(default=None, description="spread like this line's history")

    def to_new_product(self) -> NewProduct:
        """The library's :class:`NewProduct`."""
        return NewProduct(self.line, share=self.share, amount=self.amount, like=self.like)


class PromotionModel(BaseModel):
    """An uplift of some stores in some plan months (see Promotion)."""

    model_config = ConfigDict(extra="forbid")

    uplift: float = Field(description="relative rise, e.g. 0.2 for +20 %")
    months: list[str] = Field(min_length=1, description="plan months 'YYYY-MM'")
    customers: list[str | int] | None = Field(default=None, description="keys; null: all")
    lines: list[str] | None = Field(default=None, description="product lines; null: all")

    def to_promotion(self) -> Promotion:
        """The library's :class:`Promotion`."""
        return Promotion(self.uplift, self.months, customers=self.customers, lines=self.lines)


class AllocatePlanRequest(StageRequest):
    """Measures, product lines and the hierarchy (see territory.allocation.allocate_plan)."""

    hierarchy: list[Record] = Field(description="one row per key with the level columns")
    levels: list[str] = Field(min_length=1, description="level columns, top first")
    measures: list[MeasureModel] = Field(min_length=1)
    key: str | None = None
    sales: list[Record] | None = Field(
        default=None,
        description="the sales table, long: <key>, month ('YYYY-MM'), a column per measure "
        "and, with product lines, the product column",
    )
    product_column: str | None = Field(
        default=None, description="sales column naming the product line"
    )
    new_products: list[NewProductModel] = Field(default_factory=list)
    promotions: list[PromotionModel] = Field(default_factory=list)
    potential: str | None = Field(default=None, description="hierarchy column of potential")
    methods: Rule | list[Rule] | dict[str, Rule] = "history"
    baseline: str | tuple[str, str] = "trailing_12"
    months: int | list[str] | None = None
    rounding: str = "largest_remainder"
    seed: int | None = None
    crossing: list[str] = Field(
        default_factory=list, description="levels whose units may sit under several parents"
    )

    def customer_count(self) -> int:
        """Rows of the hierarchy (one per customer when allocating down to customers)."""
        return len(self.hierarchy)


def run(request: AllocatePlanRequest, context: RunContext) -> dict[str, Any]:
    """Allocate every measure and product line and return the plan's JSON."""
    methods: Any
    if isinstance(request.methods, list):
        methods = [_rule(r) for r in request.methods]
    elif isinstance(request.methods, dict):
        methods = {level: _rule(r) for level, r in request.methods.items()}
    else:
        methods = _rule(request.methods)
    plan = allocate_plan(
        records_frame(request.hierarchy),
        levels=request.levels,
        measures=[m.to_measure() for m in request.measures],
        sales=None if request.sales is None else records_frame(request.sales),
        product_column=request.product_column,
        new_products=[p.to_new_product() for p in request.new_products],
        promotions=[p.to_promotion() for p in request.promotions],
        key=request.key,
        potential=request.potential,
        methods=methods,
        baseline=request.baseline,
        months=request.months,
        rounding=request.rounding,
        seed=request.seed,
        crossing=request.crossing,
    )
    return plan.to_dict()


def load() -> Stage:
    """The target plan stage."""
    return Stage(
        name="allocate-plan",
        summary="Allocate a target plan",
        description="Break targets for several measures (value, quantity, market share), "
        "product lines, new products and promotions down a hierarchy and across months "
        "(territory.allocation.allocate_plan).",
        request_model=AllocatePlanRequest,
        run=run,
        result_model=AllocatePlanResult,
    )
