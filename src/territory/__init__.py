"""territory: sales territory and route planning.

One pipeline, each stage usable alone: grading, territories, routing, allocation and
review. See the README for a tour.
"""

from territory.errors import InfeasibleError, TerritoryError, ValidationError
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
    "GreatCircleTravel",
    "InfeasibleError",
    "MatrixTravel",
    "Points",
    "RoadNetworkTravel",
    "TerritoryError",
    "TravelMatrix",
    "TravelModel",
    "ValidationError",
    "__version__",
]
