"""``POST /v1/territories``: balanced, compact, contiguous territories."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from territory.service._stages import RunContext, Stage
from territory.service.models import Record, StageRequest, records_frame
from territory.service.results import TerritoriesResult
from territory.territories import design_territories

__all__ = ["TerritoriesRequest", "load"]


class TerritoriesRequest(StageRequest):
    """Customers and reps to divide into territories (see design_territories)."""

    customers: list[Record] = Field(
        description="customer_id, lon, lat, the measure columns named in balance, and "
        "optionally kind, dealer_id, locked_rep_id, current_rep_id"
    )
    reps: list[Record] = Field(
        description="rep_id, home_lon, home_lat, kind, dealer_id, optional capacity"
    )
    balance: dict[str, float] = Field(
        description="measure -> relative tolerance, e.g. {'workload': 0.05, 'count': 0.1}"
    )
    pairs: list[Record] | None = Field(
        default=None, description="customer_id_a, customer_id_b that must not share a territory"
    )
    centre: Literal["centroid", "home"] = "centroid"
    max_moves: int | None = Field(default=None, ge=0)
    max_moved_share: dict[str, float] | None = None
    max_edge_factor: float | None = Field(default=3.0, gt=0)
    seed: int = 0
    starts: int = Field(default=4, ge=1, le=64)
    max_starts: int = Field(default=12, ge=1, le=256)
    kicks: int = Field(default=20, ge=0, le=10_000)
    time_limit: float | None = Field(
        default=None,
        gt=0,
        description="seconds per subproblem (company part, each dealer); the server's "
        "default when omitted, at most TERRITORY_MAX_TIME_LIMIT",
    )

    def customer_count(self) -> int:
        """Number of customer records."""
        return len(self.customers)

    def rep_count(self) -> int:
        """Number of rep records."""
        return len(self.reps)

    def requested_time_limit(self) -> float | None:
        """The time limit asked for."""
        return self.time_limit


def run(request: TerritoriesRequest, context: RunContext) -> dict[str, Any]:
    """Design the territories and return the plan's JSON."""
    plan = design_territories(
        records_frame(request.customers),
        records_frame(request.reps),
        balance=request.balance,
        pairs=None if request.pairs is None else records_frame(request.pairs),
        centre=request.centre,
        max_moves=request.max_moves,
        max_moved_share=request.max_moved_share,
        max_edge_factor=request.max_edge_factor,
        seed=request.seed,
        starts=request.starts,
        max_starts=request.max_starts,
        kicks=request.kicks,
        time_limit=context.time_limit,
    )
    result = plan.to_dict()
    result["summary"] = plan.summary()
    return result


def load() -> Stage:
    """The territory design stage."""
    return Stage(
        name="territories",
        summary="Design balanced territories",
        description="Assign every customer to one rep in balanced, compact, contiguous "
        "territories (territory.territories.design_territories).",
        request_model=TerritoriesRequest,
        run=run,
        result_model=TerritoriesResult,
    )
