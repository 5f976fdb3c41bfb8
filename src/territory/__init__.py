"""territory: sales territory and route planning.

One pipeline, each stage usable alone: grading (:mod:`territory.grading`), territory
design (:mod:`territory.territories`), route planning (:func:`plan_routes`), target
allocation (:mod:`territory.allocation`) and review (:mod:`territory.review`). The
HTTP service lives in :mod:`territory.service` (optional extra ``territory[service]``).
"""

from territory.allocation import Allocation, Bounds, allocate
from territory.errors import InfeasibleError, TerritoryError, ValidationError
from territory.grading import (
    Grades,
    ParetoABC,
    RelationshipPotentialMatrix,
    RFMGrading,
    StableGrading,
    VisitPolicy,
    VisitStandard,
    WeightedScore,
)
from territory.routing import Cycle, PlanOptions, RoutePlan, plan_routes
from territory.territories import TerritoryPlan, design_territories
from territory.travel import (
    GreatCircleTravel,
    MatrixTravel,
    Points,
    RoadNetworkTravel,
    TravelMatrix,
    TravelModel,
)

__version__ = "0.1.0"

__all__ = [
    "Allocation",
    "Bounds",
    "Cycle",
    "Grades",
    "GreatCircleTravel",
    "InfeasibleError",
    "MatrixTravel",
    "ParetoABC",
    "PlanOptions",
    "Points",
    "RFMGrading",
    "RelationshipPotentialMatrix",
    "RoadNetworkTravel",
    "RoutePlan",
    "StableGrading",
    "TerritoryError",
    "TerritoryPlan",
    "TravelMatrix",
    "TravelModel",
    "ValidationError",
    "VisitPolicy",
    "VisitStandard",
    "WeightedScore",
    "__version__",
    "allocate",
    "design_territories",
    "plan_routes",
]
