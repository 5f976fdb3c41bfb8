"""Input tables: schemas, validation and normalisation.

territory takes three tables, as pandas or GeoPandas frames:

``customers``
    ``customer_id`` (unique), a location -- ``lon``/``lat`` in WGS84 degrees, or point
    geometry in a GeoDataFrame with a CRS (reprojected to WGS84) -- and optionally
    ``kind`` (``"dealer"`` or ``"store"``), ``dealer_id`` (the dealer that supplies the
    store, empty when supplied directly), ``key_account`` (bool: a main store that a
    company rep may serve even when a dealer supplies it), ``locked_rep_id`` (the rep who
    must serve it), ``opens``/``closes`` (``"HH:MM"`` or minutes after midnight),
    ``service_minutes``, ``visits_per_cycle``, ``min_gap_days``, ``allowed_days``
    (weekdays, e.g. ``"Mon,Wed"``), ``rep_id``, ``grade`` and any attribute grading needs
    (``potential``, ``relationship``, ...). Who may serve which customer is decided by
    :mod:`territory.eligibility`.
``reps``
    ``rep_id`` (unique), ``kind`` (``"company"`` or ``"dealer"``), ``dealer_id`` for a
    dealer's reps, home location ``home_lon``/``home_lat`` (or point geometry),
    ``day_start``/``day_end``, ``weekdays`` (default Monday to Friday), optional
    ``lunch_start``/``lunch_minutes``, ``supervisor_id`` (a dealer rep: the company rep
    who manages it, which must be in the table; a company rep: its area manager, who may
    be a company rep of the table or someone outside it) and
    ``min_visits_per_day``/``max_visits_per_day`` (whole numbers; a planned day with
    visits has at least the minimum and at most the maximum).
``dealers``
    ``dealer_id`` (unique), ``name``, ``lon``/``lat`` (or point geometry).

One module per table -- :mod:`~territory.tables.customers`, :mod:`~territory.tables.reps`,
:mod:`~territory.tables.dealers`, :mod:`~territory.tables.history` (long sales histories:
the one reader :func:`read_history`, used by grading and allocation),
:mod:`~territory.tables.targets` and :mod:`~territory.tables.visit_log` (route-plan
visits, visit requirements and executed-visit logs) -- over the checks every table
shares: :mod:`~territory.tables.columns` (among them the one numeric check
:func:`numeric_column`), :mod:`~territory.tables.months` (the one month parser) and
:mod:`~territory.tables.times` (clock times and weekdays). The stages read their tables
through this package and never the other way round: it imports no stage.

Each ``validate_*`` function collects every problem and raises one
:class:`~territory.errors.ValidationError` naming the table, the column and up to five
offending ids. It never modifies its input: it returns a normalised copy (a plain
pandas DataFrame, times as float minutes after midnight, weekdays as tuples of ints
with Monday = 0).
"""

from territory.tables.columns import check_total_finite, check_unique_columns, numeric_column
from territory.tables.customers import (
    CUSTOMER_KINDS,
    MAX_MIN_GAP_DAYS,
    MAX_VISITS_PER_CYCLE,
    customer_index,
    validate_customers,
)
from territory.tables.dealers import validate_dealers
from territory.tables.history import History, read_history, validate_sales
from territory.tables.months import month_label, month_number, parse_month, parse_months
from territory.tables.reps import (
    MAX_VISITS_PER_DAY,
    REP_KINDS,
    supervisor_cycles,
    validate_reps,
)
from territory.tables.targets import validate_targets
from territory.tables.times import (
    DEFAULT_WEEKDAYS,
    MINUTES_PER_DAY,
    WEEKDAY_NAMES,
    format_time,
    parse_time,
    parse_weekdays,
)
from territory.tables.visit_log import plan_calendar, validate_requirements, validate_visit_log

__all__ = [
    "CUSTOMER_KINDS",
    "DEFAULT_WEEKDAYS",
    "MAX_MIN_GAP_DAYS",
    "MAX_VISITS_PER_CYCLE",
    "MAX_VISITS_PER_DAY",
    "MINUTES_PER_DAY",
    "REP_KINDS",
    "WEEKDAY_NAMES",
    "History",
    "check_total_finite",
    "check_unique_columns",
    "customer_index",
    "format_time",
    "month_label",
    "month_number",
    "numeric_column",
    "parse_month",
    "parse_months",
    "parse_time",
    "parse_weekdays",
    "plan_calendar",
    "read_history",
    "supervisor_cycles",
    "validate_customers",
    "validate_dealers",
    "validate_reps",
    "validate_requirements",
    "validate_sales",
    "validate_targets",
    "validate_visit_log",
]
