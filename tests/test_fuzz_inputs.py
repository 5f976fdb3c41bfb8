"""Extreme values at the entry points: a clear library error or a valid result, never else.

Hypothesis draws small tables whose numbers include ±inf, NaN, 1e308, subnormals, huge
integers and hour-like times. Each entry point must either raise the library's
``ValidationError``/``InfeasibleError`` or return a result whose invariants hold; any
other exception, or a result that counts visits wrongly, fails. Examples are few and the
tables small, so the suite stays fast. The regression tests below it pin the defects of
issue 15 that were found this way.
"""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from territory.errors import InfeasibleError, ValidationError
from territory.routing import PlanOptions, plan_routes
from territory.tables import validate_customers, validate_reps

#: Numbers that broke or could break validation: non-finite, huge, tiny, hour-like.
EXTREME = [
    math.inf,
    -math.inf,
    math.nan,
    1e308,
    -1e308,
    5e-324,
    1e19,
    float(2**63),
    2**63,
    10**30,
    -1,
    0,
    0.5,
    12,
]
numbers = st.one_of(st.sampled_from(EXTREME), st.floats(allow_nan=True, allow_infinity=True))
small_counts = st.integers(1, 3)
times = st.one_of(numbers, st.sampled_from(["08:00", "12:00", "17:30", "24:00", "25:00", ""]))
weekdays = st.sampled_from(["Mon-Fri", "Mon", "Monkey", "Sat", "", "Mon,Wed", "Sun-Mon"])
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def customer_tables(draw: st.DrawFn, *, rows: int = 3) -> pd.DataFrame:
    """Up to ``rows`` customers near 9E 48N; one column (or none) gets extreme values."""
    n = draw(st.integers(1, rows))
    normal = {
        "lon": st.floats(8.95, 9.05),
        "lat": st.floats(47.95, 48.05),
        "visits_per_cycle": small_counts,
        "service_minutes": st.sampled_from([10, 30]),
        "min_gap_days": st.sampled_from([math.nan, 1, 2]),
        "opens": st.sampled_from(["08:00", 540, None]),
        "allowed_days": st.sampled_from(["Mon-Fri", "Mon,Wed"]),
    }
    wild = draw(st.sampled_from([None, *normal]))
    extreme = {"opens": times, "allowed_days": weekdays}
    columns = {
        column: [
            draw(extreme.get(column, numbers) if column == wild else strategy) for _ in range(n)
        ]
        for column, strategy in normal.items()
    }
    return pd.DataFrame({"customer_id": [f"c{i}" for i in range(n)], **columns})


@st.composite
def rep_tables(draw: st.DrawFn) -> pd.DataFrame:
    """One rep near the customers; one column (or none) gets extreme values."""
    normal: dict[str, object] = {
        "home_lon": 9.0,
        "home_lat": 48.0,
        "day_start": "08:00",
        "day_end": "17:00",
        "lunch_start": "12:00",
        "lunch_minutes": 30,
        "weekdays": "Mon-Fri",
    }
    wild = draw(st.sampled_from([None, *normal]))
    if wild is not None:
        is_time = wild in ("day_start", "day_end", "lunch_start")
        strategy = times if is_time else weekdays if wild == "weekdays" else numbers
        normal[wild] = draw(strategy)
    return pd.DataFrame({"rep_id": ["r1"], **{k: [v] for k, v in normal.items()}})


@SETTINGS
@given(customer_tables())
def test_validate_customers_raises_or_returns_finite_bounded_values(frame: pd.DataFrame) -> None:
    """validate_customers raises ValidationError or returns finite, bounded numbers."""
    try:
        out = validate_customers(frame)
    except ValidationError:
        return
    visits = out["visits_per_cycle"].to_numpy(dtype=float)
    assert ((visits >= 0) & (visits <= 1000) & (visits == visits.round())).all()
    for column in ("service_minutes", "opens"):
        values = out[column].dropna().to_numpy(dtype=float)
        assert ((values >= 0) & (values <= 1440)).all(), column
    gaps = out["min_gap_days"].dropna().to_numpy(dtype=float)
    assert ((gaps >= 0) & (gaps <= 366)).all()


@SETTINGS
@given(rep_tables())
def test_validate_reps_raises_or_returns_times_within_a_day(frame: pd.DataFrame) -> None:
    """validate_reps raises ValidationError or returns every time within 00:00-24:00."""
    try:
        out = validate_reps(frame)
    except ValidationError:
        return
    for column in ("day_start", "day_end", "lunch_start"):
        values = out[column].dropna().to_numpy(dtype=float)
        assert ((values >= 0) & (values <= 1440)).all(), column
    assert (out["day_start"] < out["day_end"]).all()
    assert (out["lunch_minutes"].dropna() <= 1440).all()


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(customer_tables(rows=2), rep_tables())
def test_plan_routes_raises_a_library_error_or_accounts_for_every_visit(
    customers: pd.DataFrame, reps: pd.DataFrame
) -> None:
    """plan_routes raises ValidationError/InfeasibleError or plans/reports every visit."""
    try:
        plan = plan_routes(customers, reps, time_limit=2, options=PlanOptions(iterations=20))
    except (ValidationError, InfeasibleError) as error:
        event(type(error).__name__)
        return
    event("planned")
    required = int(validate_customers(customers)["visits_per_cycle"].sum())
    missing = int(plan.unplanned["visits_missing"].sum()) if len(plan.unplanned) else 0
    assert plan.visits_required == required >= 0
    assert len(plan.visits) + missing == required
    assert "-" not in plan.summary().splitlines()[0].split("visits planned")[0]


# --------------------------------------------------------------------------- regressions

CUSTOMERS = pd.DataFrame(
    {
        "customer_id": ["a", "b"],
        "lon": [9.0, 9.02],
        "lat": [48.0, 48.0],
        "visits_per_cycle": [1, 2],
        "service_minutes": [20, 30],
    }
)
REPS = pd.DataFrame({"rep_id": ["r1"], "home_lon": [9.01], "home_lat": [48.01]})


def _plan(customers: pd.DataFrame, reps: pd.DataFrame = REPS) -> object:
    return plan_routes(customers, reps, time_limit=2, options=PlanOptions(iterations=20))


def test_plan_routes_refuses_visits_that_overflow_int64() -> None:
    """visits_per_cycle=1e19 (planned as -9.2e18 visits before) is a validation error."""
    with pytest.raises(ValidationError, match="'visits_per_cycle' has 1 values above the limit"):
        _plan(CUSTOMERS.assign(visits_per_cycle=[1e19, 2]))


def test_plan_routes_refuses_an_infinite_gap() -> None:
    """min_gap_days=inf (an OverflowError deep in the patterns before) is a validation error."""
    with pytest.raises(ValidationError, match="'min_gap_days' has 1 infinite values"):
        _plan(CUSTOMERS.assign(min_gap_days=[math.inf, 1]))


def test_visit_longer_than_the_day_says_so() -> None:
    """A 600-minute visit in a 540-minute day is reported as too long, not as far away."""
    plan = plan_routes(
        CUSTOMERS.assign(service_minutes=[600, 10]),
        REPS,
        time_limit=2,
        options=PlanOptions(iterations=20),
    )
    row = plan.unplanned.set_index("customer_id").loc["a"]
    assert row["reason"] == "visit_too_long"  # was "too_far"
    assert "600-minute visit alone is longer than the 540-minute working day" in row["detail"]
    from territory.routing import REASONS

    assert set(plan.unplanned["reason"]) <= set(REASONS)


def test_design_territories_refuses_a_zero_time_limit() -> None:
    """time_limit=0 (accepted before) is refused like any other bad option."""
    from territory.territories import design_territories

    with pytest.raises(ValidationError, match="time_limit must be a positive number"):
        design_territories(CUSTOMERS, REPS, balance={"count": 0.1}, time_limit=0)


def test_service_refuses_an_overflowing_number() -> None:
    """`"visits_per_cycle": 1e400` (inf in JSON) gets 422 from the service, not 200."""
    from territory.service import ServiceConfig
    from territory.service.testing import InProcessClient

    records = CUSTOMERS.to_dict("records")
    body = json.dumps({"customers": records, "reps": REPS.to_dict("records"), "time_limit": 2})
    body = body.replace('"visits_per_cycle": 1,', '"visits_per_cycle": 1e400,')
    with InProcessClient(ServiceConfig(job_store=":memory:")) as client:
        response = client.post(
            "/v1/plan-routes", content=body, headers={"content-type": "application/json"}
        )
    assert response.status_code == 422, response.text
    assert "visits_per_cycle" in response.json()["detail"]
