"""Visit policy: grade -> visits per cycle, minutes per visit, gaps and weekdays."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from territory.errors import ProblemCollector, ValidationError
from territory.grading._capacity import Calibration, CapacityCheck, calibrate, capacity_check
from territory.grading._result import Grades
from territory.tables import WEEKDAY_NAMES, parse_weekdays
from territory.tables.customers import customer_index
from territory.travel import TravelModel

if TYPE_CHECKING:
    from territory.routing import Cycle

__all__ = ["REQUIREMENT_COLUMNS", "VisitPolicy", "VisitStandard"]

#: Columns of :meth:`VisitPolicy.requirements`, in order.
REQUIREMENT_COLUMNS = (
    "customer_id",
    "grade",
    "visits_per_cycle",
    "service_minutes",
    "min_gap_days",
    "allowed_days",
)


@dataclass(frozen=True)
class VisitStandard:
    """Visit standard of one grade.

    Parameters
    ----------
    visits_per_cycle
        Visits per planning cycle.
    service_minutes
        Minutes on site per visit.
    min_gap_days
        Minimum number of days between two visits to the same customer.
    allowed_days
        Weekdays the customer may be visited, as ``parse_weekdays`` reads them.
    min_visits_per_cycle
        Lowest frequency :meth:`VisitPolicy.calibrate` may go down to.
    """

    visits_per_cycle: int
    service_minutes: float
    min_gap_days: int = 0
    allowed_days: str = "Mon,Tue,Wed,Thu,Fri"
    min_visits_per_cycle: int = 0

    def __post_init__(self) -> None:
        problems = []
        for name in ("visits_per_cycle", "min_gap_days", "min_visits_per_cycle"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
                problems.append(
                    f"visit policy: {name} must be a non-negative integer, got {value!r}"
                )
        if not self.service_minutes >= 0:
            problems.append(
                f"visit policy: service_minutes must be non-negative, got {self.service_minutes!r}"
            )
        if not problems and self.min_visits_per_cycle > self.visits_per_cycle:
            problems.append(
                f"visit policy: min_visits_per_cycle ({self.min_visits_per_cycle}) exceeds "
                f"visits_per_cycle ({self.visits_per_cycle})"
            )
        try:
            days = parse_weekdays(self.allowed_days)
        except ValueError as error:
            problems.append(f"visit policy: allowed_days {self.allowed_days!r}: {error}")
        else:
            object.__setattr__(self, "allowed_days", ",".join(WEEKDAY_NAMES[d] for d in days))
        if problems:
            raise ValidationError(problems)


@dataclass(frozen=True)
class VisitPolicy:
    """Visit standards per grade.

    Parameters
    ----------
    standards
        Grade -> :class:`VisitStandard`.

    Examples
    --------
    >>> policy = VisitPolicy.default()
    >>> policy.standards["A"].visits_per_cycle, policy.standards["D"].service_minutes
    (8, 15.0)
    """

    standards: Mapping[str, VisitStandard] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.standards:
            raise ValidationError("visit policy: needs at least one grade")
        object.__setattr__(self, "standards", MappingProxyType(dict(self.standards)))

    @classmethod
    def default(cls) -> VisitPolicy:
        """The default policy for a 4-week x 5-day cycle (20 working days).

        ====== ====== ======= ======= ============ ==========
        grade  visits minutes min gap allowed days min visits
        ====== ====== ======= ======= ============ ==========
        A      8      30      2       Mon-Fri      4
        B      4      20      4       Mon-Fri      2
        C      2      15      7       Mon-Fri      1
        D      1      15      0       Mon-Fri      0
        ====== ====== ======= ======= ============ ==========
        """
        return cls(
            {
                "A": VisitStandard(8, 30.0, 2, min_visits_per_cycle=4),
                "B": VisitStandard(4, 20.0, 4, min_visits_per_cycle=2),
                "C": VisitStandard(2, 15.0, 7, min_visits_per_cycle=1),
                "D": VisitStandard(1, 15.0, 0, min_visits_per_cycle=0),
            }
        )

    def table(self) -> pd.DataFrame:
        """The standards as a table, one row per grade."""
        return pd.DataFrame(
            [
                {
                    "grade": grade,
                    "visits_per_cycle": s.visits_per_cycle,
                    "service_minutes": float(s.service_minutes),
                    "min_gap_days": s.min_gap_days,
                    "allowed_days": s.allowed_days,
                    "min_visits_per_cycle": s.min_visits_per_cycle,
                }
                for grade, s in self.standards.items()
            ]
        )

    def requirements(self, grades: Grades | pd.DataFrame) -> pd.DataFrame:
        """Visit requirements, one row per customer, ready to merge onto customers.

        Parameters
        ----------
        grades
            :class:`Grades`, or a table with ``customer_id`` and ``grade``.

        Returns
        -------
        pandas.DataFrame
            ``customer_id`` (str), ``grade`` (str), ``visits_per_cycle`` (int),
            ``service_minutes`` (float), ``min_gap_days`` (int), ``allowed_days`` (str
            such as ``"Mon,Tue,Wed,Thu,Fri"``).

        Raises
        ------
        ValidationError
            When a grade is missing or the policy does not define it.
        """
        frame = grades.table if isinstance(grades, Grades) else grades
        table = "grades"
        ids = customer_index(frame, table=table)
        if "grade" not in frame.columns:
            raise ValidationError(f"{table}: column 'grade' is missing")
        known = list(self.standards)
        codes = pd.Index(known, dtype="str").get_indexer(pd.Index(frame["grade"].astype(str)))
        codes = np.where(frame["grade"].isna().to_numpy(), -1, codes).astype(np.int64)
        bad = codes < 0
        if bad.any():
            values = sorted(set(frame["grade"][bad].astype(str)))
            problems = ProblemCollector()
            problems.add(
                table,
                "grade",
                f"has {int(bad.sum())} grades the visit policy does not define "
                f"(values: {', '.join(values[:10])}; policy: {', '.join(known)})",
                list(ids[bad]),
                id_column="customer_id",
            )
            problems.raise_if_any()
        s = [self.standards[g] for g in known]
        return pd.DataFrame(
            {
                "customer_id": pd.array(ids.to_numpy(), dtype="str"),
                "grade": pd.array(np.asarray(known, dtype=object)[codes], dtype="str"),
                "visits_per_cycle": np.array([x.visits_per_cycle for x in s], np.int64)[codes],
                "service_minutes": np.array([x.service_minutes for x in s], float)[codes],
                "min_gap_days": np.array([x.min_gap_days for x in s], np.int64)[codes],
                "allowed_days": pd.array(
                    np.asarray([x.allowed_days for x in s], dtype=object)[codes], dtype="str"
                ),
            }
        )

    def capacity_check(
        self,
        requirements: pd.DataFrame,
        customers: pd.DataFrame,
        reps: pd.DataFrame,
        *,
        cycle: Cycle | None = None,
        travel: TravelModel | None = None,
        cycle_days: int | None = None,
    ) -> CapacityCheck:
        """Compare the minutes the requirements need with the minutes the reps give.

        See :func:`territory.grading.capacity_check` for the estimate and the
        parameters (``cycle_days`` is deprecated: use ``cycle``).
        """
        return capacity_check(
            requirements, customers, reps, cycle=cycle, travel=travel, cycle_days=cycle_days
        )

    def calibrate(
        self,
        requirements: pd.DataFrame,
        customers: pd.DataFrame,
        reps: pd.DataFrame,
        *,
        cycle: Cycle | None = None,
        travel: TravelModel | None = None,
        tolerance: float = 0.02,
        priority: pd.Series | None = None,
        cycle_days: int | None = None,
    ) -> Calibration:
        """Lower frequencies (D, then C, then B, then A) until demand fits capacity.

        See :func:`territory.grading.calibrate` (``cycle_days`` is deprecated: use
        ``cycle``).
        """
        return calibrate(
            requirements,
            customers,
            reps,
            policy=self,
            cycle=cycle,
            travel=travel,
            cycle_days=cycle_days,
            tolerance=tolerance,
            priority=priority,
        )
