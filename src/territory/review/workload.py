"""Two route plans side by side: each rep's work before and after a re-plan.

This compares *planned* work (the route plan's days: visits, service and travel
minutes), read through :func:`territory.workload.planned_work`; the *estimate* that
grading, territories and the planner's assignment share is
:func:`territory.workload.estimate_workload`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from territory._json import json_safe
from territory.workload import PLANNED_COLUMNS, planned_work

__all__ = ["WorkloadComparison", "compare_workload"]

_COLUMNS = PLANNED_COLUMNS


@dataclass(frozen=True)
class WorkloadComparison:
    """Per rep: visits and minutes in two plans, and the differences.

    Attributes
    ----------
    table
        One row per rep in either plan: ``rep_id``, then ``<measure>_before``,
        ``<measure>_after`` and ``<measure>_change`` for visits, work, travel and
        service minutes over the whole cycle.
    """

    table: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """The comparison table (a copy)."""
        return self.table.copy()

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe records."""
        return {"reps": json_safe(self.table.to_dict(orient="records"))}

    def _repr_html_(self) -> str:
        """The summary over the first rows of :meth:`to_frame`, for notebooks."""
        from territory._html import result_html

        return result_html(self)

    def summary(self) -> str:
        """A line on total work and the largest change of one rep."""
        t = self.table
        if not len(t):
            return "workload comparison: no reps"
        before, after = t["work_minutes_before"].sum(), t["work_minutes_after"].sum()
        row = int(t["work_minutes_change"].abs().to_numpy().argmax())
        rep, change = t["rep_id"].iloc[row], float(t["work_minutes_change"].iloc[row])
        return (
            f"workload comparison: {len(t)} reps, work {before / 60:.1f} h -> "
            f"{after / 60:.1f} h; largest change rep {rep} {change / 60:+.1f} h"
        )


def compare_workload(before: Any, after: Any) -> WorkloadComparison:
    """Compare each rep's work in two route plans (for example before and after a re-plan).

    Parameters
    ----------
    before, after
        :class:`~territory.routing.RoutePlan` objects, or their ``days`` tables
        (``rep_id, visits, work_minutes, travel_minutes, service_minutes``).

    Returns
    -------
    WorkloadComparison

    Examples
    --------
    >>> days = pd.DataFrame({"rep_id": ["r1"], "visits": [5], "work_minutes": [400.0],
    ...                      "travel_minutes": [100.0], "service_minutes": [300.0]})
    >>> later = days.assign(visits=6, work_minutes=430.0)
    >>> compare_workload(days, later).table["work_minutes_change"].tolist()
    [30.0]
    """
    old = planned_work(getattr(before, "days", before))
    new = planned_work(getattr(after, "days", after))
    reps = old.index.union(new.index)
    old, new = old.reindex(reps, fill_value=0), new.reindex(reps, fill_value=0)
    table = pd.DataFrame({"rep_id": reps.astype(str)})
    for column in _COLUMNS:
        table[f"{column}_before"] = old[column].to_numpy()
        table[f"{column}_after"] = new[column].to_numpy()
        table[f"{column}_change"] = new[column].to_numpy() - old[column].to_numpy()
    return WorkloadComparison(table.reset_index(drop=True))
