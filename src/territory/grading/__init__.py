"""Grading: from customer data to grades A-D and visit requirements.

Schemes (each a frozen dataclass with a ``grade(...)`` method returning
:class:`Grades`):

* :class:`RelationshipPotentialMatrix` -- A good relationship & high potential, B
  average & high, C good & low, D average & low.
* :class:`ParetoABC` -- cumulative share of sales over a window (70/20/10 %), D for
  customers without sales.
* :class:`RFMGrading` -- recency, frequency, monetary quintiles; the total maps to A-D.
* :class:`WeightedScore` -- weighted normalised attributes, cut by thresholds or shares.
* :class:`StableGrading` -- hysteresis and a cap on changes against last period.

:class:`VisitPolicy` turns grades into visit requirements (``customer_id, grade,
visits_per_cycle, service_minutes, min_gap_days, allowed_days``), checks them against
the reps' capacity and calibrates frequencies to fit.
"""

from territory.grading._capacity import Calibration, CapacityCheck, calibrate, capacity_check
from territory.grading._matrix import RelationshipPotentialMatrix
from territory.grading._pareto import ParetoABC
from territory.grading._policy import REQUIREMENT_COLUMNS, VisitPolicy, VisitStandard
from territory.grading._result import GRADE_LABELS, Grades
from territory.grading._rfm import RFMGrading, quintile_scores
from territory.grading._stability import StableGrading
from territory.grading._weighted import WeightedScore, counts_from_shares

__all__ = [
    "GRADE_LABELS",
    "REQUIREMENT_COLUMNS",
    "Calibration",
    "CapacityCheck",
    "Grades",
    "ParetoABC",
    "RFMGrading",
    "RelationshipPotentialMatrix",
    "StableGrading",
    "VisitPolicy",
    "VisitStandard",
    "WeightedScore",
    "calibrate",
    "capacity_check",
    "counts_from_shares",
    "quintile_scores",
]
