"""Route-plan visits, requirements and visit logs: checked in :mod:`territory.tables`.

Re-exported for the review's modules.
"""

from territory.tables.visit_log import (
    LOG_COLUMNS,
    MAX_WEEKS,
    PLAN_COLUMNS,
    bool_column,
    cycle_start_date,
    known_ids,
    plan_calendar,
    validate_requirements,
    validate_visit_log,
    weekday_numbers,
)

__all__ = [
    "LOG_COLUMNS",
    "MAX_WEEKS",
    "PLAN_COLUMNS",
    "cycle_start_date",
    "known_ids",
    "plan_calendar",
    "validate_requirements",
    "validate_visit_log",
    "weekday_numbers",
]

#: The true/false reader under its old private name (:mod:`territory.review.stop_rule`).
_bool_column = bool_column
