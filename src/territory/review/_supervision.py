"""Who answers for whom: the supervision chain the review rolls up by.

A dealer rep works under a company rep (its ``supervisor_id``); the company rep answers
for its whole *area*: its own stores and those its dealer reps visit. A company rep's
``supervisor_id`` is its area manager, who audits the area.

Every roll-up of the review goes through :func:`read_supervision`, which asks the
library's one supervision rule (:func:`territory.eligibility.supervision`) and keeps the
three mappings the roll-ups need.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from territory.eligibility import supervision
from territory.errors import ValidationError
from territory.tables.columns import require_frame

__all__ = ["NO_SUPERVISOR", "Supervision", "area_column", "read_supervision", "require_reps"]

NO_SUPERVISOR = "(none)"


@dataclass(frozen=True, eq=False)
class Supervision:
    """The supervision chain of a reps table.

    Attributes
    ----------
    kind
        ``"company"`` or ``"dealer"`` for every rep.
    supervisor
        The ``supervisor_id`` of every rep (``None`` when empty).
    area
        The company rep answering for every rep's stores: a dealer rep's supervisor, a
        company rep itself (a dealer rep without supervisor answers for itself).
    """

    kind: dict[str, str]
    supervisor: dict[str, str | None]
    area: dict[str, str]

    def auditor(self, rep_id: str) -> str:
        """Who audits the rep: its supervisor, or ``"(none)"``."""
        return self.supervisor.get(rep_id) or NO_SUPERVISOR

    def area_auditor(self, area_rep_id: str) -> str:
        """Who audits a company rep's area: the company rep's supervisor (area manager)."""
        return self.auditor(area_rep_id)


def _text(value: object) -> str | None:
    """A non-empty id as text, or None."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = str(value).strip()
    return text or None


def read_supervision(reps: pd.DataFrame) -> Supervision:
    """The supervision chain of a reps table, from :func:`territory.eligibility.supervision`.

    Raises
    ------
    ValidationError
        An invalid reps table (see :func:`territory.tables.validate_reps`: unknown
        supervisors of dealer reps, cycles of supervisors, ...).
    """
    frame = require_frame(reps, "reps")
    chain = supervision(frame)
    kind: dict[str, str] = {}
    supervisor: dict[str, str | None] = {}
    area: dict[str, str] = {}
    for row in chain.to_dict("records"):
        rep = str(row["rep_id"])
        boss = _text(row["supervisor_id"])
        kind[rep] = str(row["kind"])
        supervisor[rep] = boss
        area[rep] = _text(row["company_rep_id"]) or rep
    return Supervision(kind=kind, supervisor=supervisor, area=area)


def require_reps(reps: pd.DataFrame | None, what: str) -> Supervision:
    """:func:`read_supervision`, or a ValidationError saying ``what`` needs the reps table."""
    if reps is None:
        raise ValidationError(f"reps: {what} needs the reps table (rep_id, kind, supervisor_id)")
    return read_supervision(reps)


def area_column(rep_ids: pd.Series, supervision: Supervision) -> pd.Series:
    """The area (answering company rep) of every rep id; unknown reps answer for themselves."""
    return rep_ids.map(lambda r: supervision.area.get(r, r)).astype(object)
