"""Fuzzing every stage: a clear library error or a result whose invariants hold, never else.

Each test starts from a small valid input and lets hypothesis damage one table in one
way: one cell or a whole column set to an extreme value (±inf, NaN, 1e308, subnormals,
huge integers, empty and unicode strings, None), a column dropped or duplicated, or an id
made empty, unicode or a duplicate. The stage must raise :class:`ValidationError` or
:class:`InfeasibleError`, or return a result whose invariants hold (counts add up, every
row is assigned once, sums meet their target, no NaN or infinity where a number is
promised). Warnings are errors in the test run, so a silent overflow also fails.

Examples are few and the tables tiny, so the whole file runs in CI in seconds. The
``service/test_fuzz.py`` file sends the same damage over HTTP.
"""

from __future__ import annotations

import contextlib
import json
import math
from collections import Counter
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from territory.errors import InfeasibleError, ValidationError

T = TypeVar("T")

#: Values that broke, or could break, a stage: non-finite, huge, tiny, odd strings.
EXTREMES: list[object] = [
    math.inf,
    -math.inf,
    math.nan,
    1e308,
    -1e308,
    5e-324,
    -5e-324,
    2**63,
    10**30,
    -(10**30),
    -1,
    0,
    "",
    " ",
    "é☃",
    "nan",
    None,
    True,
]
values = st.one_of(
    st.sampled_from(EXTREMES),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.text(max_size=4),
)
DAMAGE = ("none", "cell", "column", "drop", "duplicate", "id")
SETTINGS = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)


def damage(draw: st.DrawFn, tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The tables with one of them damaged in one way (or none); tables are copied."""
    out = {name: frame.copy() for name, frame in tables.items()}
    kind = draw(st.sampled_from(DAMAGE))
    if kind == "none":
        event("damage: none")
        return out
    name = draw(st.sampled_from(sorted(out)))
    frame = out[name]
    column = draw(st.sampled_from(list(frame.columns)))
    event(f"damage: {kind} {name}.{column}")
    if kind in ("cell", "id"):
        if kind == "id":
            column = frame.columns[0]
        row = draw(st.integers(0, len(frame) - 1))
        value = (
            draw(st.sampled_from(["", "é☃", None, frame.iat[0, 0]]))
            if kind == "id"
            else draw(values)
        )
        frame[column] = frame[column].astype(object)
        position = frame.columns.get_loc(column)
        assert isinstance(position, int)  # columns are unique before damage
        frame.iat[row, position] = value  # type: ignore[assignment]
    elif kind == "column":
        frame[column] = pd.Series([draw(values)] * len(frame), index=frame.index, dtype=object)
    elif kind == "drop":
        frame = frame.drop(columns=[column])
    else:  # duplicate
        frame = pd.concat([frame, frame[[column]]], axis=1)
    out[name] = frame
    return out


def outcome(call: Callable[[], T]) -> T | None:
    """The result, or ``None`` for the library's own errors; anything else propagates."""
    try:
        return call()
    except (ValidationError, InfeasibleError) as error:
        with contextlib.suppress(InvalidArgument):  # outside a hypothesis test
            event(type(error).__name__)
        return None


def ident(value: object) -> str:
    """An id as the library keeps it: text without surrounding white space."""
    return str(value).strip()


def json_safe(result: Any) -> None:
    """``result.to_dict()`` is JSON without NaN or infinity (the house rule)."""
    json.dumps(result.to_dict(), allow_nan=False)


def finite(values: Any) -> bool:
    """Whether every present number is finite (missing values are allowed)."""
    array = pd.to_numeric(pd.Series(values), errors="coerce").dropna().to_numpy(dtype=float)
    return bool(np.isfinite(array).all())


# --------------------------------------------------------------------------- grading

GRADE_CUSTOMERS = pd.DataFrame(
    {
        "customer_id": ["C1", "C2", "C3", "C4", "C5"],
        "relationship": [5, 4, 3, 2, 1],
        "potential": [900.0, 500.0, 300.0, 100.0, 10.0],
        "visits": [12, 6, 4, 2, 1],
    }
)
GRADE_SALES = pd.DataFrame(
    {
        "customer_id": ["C1", "C1", "C2", "C3", "C4", "C5", "C2"],
        "month": ["2026-01", "2026-02", "2026-01", "2026-02", "2026-01", "2026-02", "2026-02"],
        "sales": [700.0, 500.0, 300.0, 100.0, 50.0, 5.0, 200.0],
    }
)


def check_grades(grades: Any, customers: pd.DataFrame) -> None:
    table = grades.table
    assert len(table) == len(customers)
    assert table["grade"].isin(grades.labels).all()
    assert table["customer_id"].is_unique
    assert finite(table["score"])
    if "sales" in table:
        assert finite(table["sales"])


@st.composite
def grade_inputs(draw: st.DrawFn) -> dict[str, pd.DataFrame]:
    return damage(draw, {"customers": GRADE_CUSTOMERS, "sales": GRADE_SALES})


@SETTINGS
@given(grade_inputs(), st.sampled_from(["pareto", "rfm", "matrix", "weighted"]))
def test_grading_raises_a_library_error_or_grades_every_customer_once(
    tables: dict[str, pd.DataFrame], scheme: str
) -> None:
    """Every scheme grades each customer exactly once with finite scores, or refuses."""
    from territory.grading import (
        ParetoABC,
        RelationshipPotentialMatrix,
        RFMGrading,
        VisitPolicy,
        WeightedScore,
    )

    customers, sales = tables["customers"], tables["sales"]
    calls: dict[str, Callable[[], Any]] = {
        "pareto": lambda: ParetoABC(window_months=2).grade(customers, sales),
        "rfm": lambda: RFMGrading(window_months=2).grade(customers, sales),
        "matrix": lambda: RelationshipPotentialMatrix(high_potential=400).grade(customers),
        "weighted": lambda: WeightedScore({"potential": 2, "visits": 1}).grade(customers),
    }
    grades = outcome(calls[scheme])
    if grades is None:
        return
    check_grades(grades, customers)
    json_safe(grades)
    requirements = VisitPolicy.default().requirements(grades)
    visits = requirements["visits_per_cycle"].to_numpy(dtype=float)
    assert ((visits >= 0) & (visits == visits.round())).all()
    assert finite(requirements["service_minutes"])


def test_pareto_grading_of_huge_sales_is_refused_or_right() -> None:
    """Sales of 1e308 (sums overflowed: every grade C, score NaN) grade right or are refused."""
    from territory.grading import ParetoABC

    sales = GRADE_SALES.assign(sales=[1e308, 1e308, 1e308, 1.0, 1.0, 1.0, 1e308])
    grades = outcome(lambda: ParetoABC(window_months=2).grade(GRADE_CUSTOMERS, sales))
    if grades is not None:
        check_grades(grades, GRADE_CUSTOMERS)
        assert grades.table.set_index("customer_id").at["C1", "grade"] == "A"


# --------------------------------------------------------------------------- territories

TERRITORY_CUSTOMERS = pd.DataFrame(
    {
        "customer_id": [f"c{i}" for i in range(8)],
        "lon": [9.0 + 0.01 * (i % 4) for i in range(8)],
        "lat": [48.0 + 0.01 * (i // 4) for i in range(8)],
        "workload": [10.0, 20.0, 30.0, 40.0, 10.0, 20.0, 30.0, 40.0],
    }
)
TERRITORY_REPS = pd.DataFrame(
    {"rep_id": ["r1", "r2"], "home_lon": [9.0, 9.03], "home_lat": [48.0, 48.01]}
)


@st.composite
def territory_inputs(draw: st.DrawFn) -> dict[str, pd.DataFrame]:
    return damage(draw, {"customers": TERRITORY_CUSTOMERS, "reps": TERRITORY_REPS})


@SETTINGS
@given(territory_inputs())
def test_design_territories_raises_a_library_error_or_assigns_every_customer_once(
    tables: dict[str, pd.DataFrame],
) -> None:
    """Every customer gets exactly one of the reps, with finite measures, or it refuses."""
    from territory.territories import design_territories

    customers, reps = tables["customers"], tables["reps"]
    plan = outcome(
        lambda: design_territories(
            customers,
            reps,
            balance={"workload": 0.3, "count": 0.5},
            time_limit=2,
            starts=1,
            kicks=2,
        )
    )
    if plan is None:
        return
    assignment = plan.assignment
    assert Counter(map(ident, assignment["customer_id"])) == Counter(
        map(ident, customers["customer_id"])
    )
    assert set(map(ident, assignment["rep_id"])) <= set(map(ident, reps["rep_id"]))
    numbers = plan.territories.select_dtypes("number")
    assert all(finite(numbers[column]) for column in numbers)
    json_safe(plan)


# --------------------------------------------------------------------------- allocation

HIERARCHY = pd.DataFrame(
    {
        "team": ["T1", "T1", "T2"],
        "rep_id": ["R1", "R2", "R3"],
        "potential": [300.0, 100.0, 600.0],
    }
)
HISTORY = pd.DataFrame(
    {
        "rep_id": ["R1", "R2", "R3"] * 12,
        "month": [str(m) for m in pd.period_range("2025-03", "2026-02", freq="M") for _ in "123"],
        "sales": [30.0, 10.0, 60.0] * 12,
    }
)


@st.composite
def allocation_inputs(
    draw: st.DrawFn,
) -> tuple[dict[str, pd.DataFrame], object, object, str, dict[str, Any]]:
    tables = damage(draw, {"hierarchy": HIERARCHY, "history": HISTORY})
    target = draw(st.one_of(st.just(1000.0), values))
    months = draw(st.sampled_from([2027, 12, 0, -5, 10**9, None]))
    method = draw(st.sampled_from(["potential", "history"]))
    options: dict[str, Any] = {}
    extra = draw(st.sampled_from(["none", "minimum", "maximum", "growth", "lock", "step"]))
    if extra in ("minimum", "maximum"):
        options["bounds"] = {"rep_id": {extra: draw(st.one_of(st.just(100.0), values))}}
    elif extra == "growth":
        options["bounds"] = {"rep_id": {"growth": (draw(values), draw(values))}}
    elif extra == "lock":
        options["locks"] = {"rep_id": {"R1": draw(st.one_of(st.just(200.0), values))}}
    elif extra == "step":
        options["step"] = draw(st.one_of(st.just(10.0), values))
    return tables, target, months, method, options


@SETTINGS
@given(allocation_inputs())
def test_allocate_raises_a_library_error_or_meets_its_target(
    case: tuple[dict[str, pd.DataFrame], Any, Any, str, dict[str, Any]],
) -> None:
    """Units sum to their parent and to the target, months to the unit, all finite."""
    from territory.allocation import Bounds, allocate

    tables, target, months, method, options = case
    if "bounds" in options:
        try:
            options["bounds"] = {
                level: Bounds(**limits)  # type: ignore[arg-type]
                for level, limits in options["bounds"].items()
            }
        except (ValidationError, InfeasibleError):
            return
    allocation = outcome(
        lambda: allocate(
            target,
            tables["hierarchy"],
            levels=["team", "rep_id"],
            sales=tables["history"],
            potential="potential",
            methods=method,
            months=months,
            **options,
        )
    )
    if allocation is None:
        return
    total = float(allocation.target)
    assert math.isfinite(total)
    json_safe(allocation)
    for level in allocation.levels:
        value = np.asarray(level.value, dtype=float)
        assert np.isfinite(value).all()
        assert math.isclose(value.sum(), total, rel_tol=1e-9, abs_tol=1e-6 * max(1, abs(total)))
        months_sum = np.asarray(level.month_value, dtype=float).sum(axis=1)
        assert np.allclose(months_sum, value, rtol=1e-9, atol=1e-6 * max(1, abs(total)))
    assert all(len(m) == 7 and m[4] == "-" and 1 <= int(m[5:]) <= 12 for m in allocation.months)
    assert all(1900 <= int(m[:4]) <= 9999 for m in allocation.months)


# --------------------------------------------------------------------------- review

REVIEW_HIERARCHY = pd.DataFrame(
    {"customer_id": ["C1", "C2", "C3"], "rep_id": ["R1", "R1", "R2"], "team": ["T1"] * 3}
)
REVIEW_SALES = pd.DataFrame(
    {
        "customer_id": ["C1", "C2", "C3", "C1", "C3"],
        "month": ["2025-01", "2025-01", "2025-01", "2026-01", "2026-01"],
        "sales": [40.0, 10.0, 100.0, 60.0, 90.0],
    }
)
REVIEW_TARGETS = pd.DataFrame(
    {
        "level": ["team", "rep", "rep"],
        "unit": ["T1", "R1", "R2"],
        "parent": [None, "T1", "T1"],
        "period": ["2026-01", "2026-01", "2026-01"],
        "value": [200.0, 80.0, 120.0],
    }
)
VISIT_LOG = pd.DataFrame(
    {
        "customer_id": ["C1", "C1", "C1", "C2"],
        "rep_id": ["R1", "R1", "R1", "R1"],
        "timestamp": ["2026-01-05", "2026-01-12", "2026-01-19", "2026-01-06"],
        "ordered": [False, False, False, True],
    }
)


@st.composite
def achievement_inputs(draw: st.DrawFn) -> dict[str, pd.DataFrame]:
    tables = {"targets": REVIEW_TARGETS, "sales": REVIEW_SALES, "hierarchy": REVIEW_HIERARCHY}
    return damage(draw, tables)


@SETTINGS
@given(achievement_inputs())
def test_target_achievement_raises_a_library_error_or_gives_finite_figures(
    tables: dict[str, pd.DataFrame],
) -> None:
    """Achievement, gap and actuals are finite numbers (or missing), or it refuses."""
    from territory.review import target_achievement

    review = outcome(
        lambda: target_achievement(tables["targets"], tables["sales"], tables["hierarchy"])
    )
    if review is None:
        return
    numbers = review.table.select_dtypes("number")
    assert all(finite(numbers[column]) for column in numbers)
    review.summary()
    json_safe(review)


@st.composite
def log_inputs(draw: st.DrawFn) -> dict[str, pd.DataFrame]:
    return damage(draw, {"visit_log": VISIT_LOG})


@SETTINGS
@given(log_inputs())
def test_stop_rule_raises_a_library_error_or_counts_visits(
    tables: dict[str, pd.DataFrame],
) -> None:
    """Visits without an order are counted as non-negative integers, or it refuses."""
    from territory.review import stop_rule

    review = outcome(lambda: stop_rule(tables["visit_log"]))
    if review is None:
        return
    flagged = review.flagged()
    counts = flagged["visits_without_order"].to_numpy(dtype=float)
    assert ((counts >= 0) & (counts == counts.round())).all()
    review.summary()
    json_safe(review)


SCORE_METRICS = pd.DataFrame(
    {
        "rep_id": ["R1", "R2", "R3"],
        "achievement": [1.2, 0.8, 1.0],
        "coverage": [0.9, 0.7, 1.0],
        "travel": [100.0, 250.0, 180.0],
    }
)


@st.composite
def metric_inputs(draw: st.DrawFn) -> dict[str, pd.DataFrame]:
    return damage(draw, {"metrics": SCORE_METRICS})


@SETTINGS
@given(metric_inputs(), st.sampled_from(["minmax", "percentile"]))
def test_rep_scorecard_raises_a_library_error_or_ranks_every_rep(
    tables: dict[str, pd.DataFrame], method: str
) -> None:
    """Scores are finite within 0-100 and ranks run from 1, or it refuses."""
    from territory.review import rep_scorecard

    metrics = tables["metrics"]
    card = outcome(
        lambda: rep_scorecard(
            metrics,
            weights={"achievement": 2, "coverage": 1, "travel": 1},
            lower_is_better=("travel",),
            method=method,  # type: ignore[arg-type]
        )
    )
    if card is None:
        return
    table = card.table
    assert len(table) == len(metrics)
    scores = table["score"].to_numpy(dtype=float)
    assert np.isfinite(scores).all() and ((scores >= -1e-9) & (scores <= 100 + 1e-9)).all()
    assert table["rank"].min() == 1 and table["rank"].max() <= len(table)
    json_safe(card)


EXEC_PLAN = pd.DataFrame(
    {
        "rep_id": ["R1", "R1", "R1", "R2"],
        "week": [1, 1, 2, 1],
        "weekday": [0, 2, 0, 1],
        "day": [1, 3, 1, 2],
        "seq": [1, 1, 1, 1],
        "customer_id": ["C1", "C2", "C1", "C3"],
    }
)
EXEC_LOG = pd.DataFrame(
    {
        "rep_id": ["R1", "R1", "R2", "R2"],
        "customer_id": ["C1", "C2", "C3", "C3"],
        "timestamp": ["2026-11-02 10:00", "2026-11-05 09:00", "2026-11-03 11:00", "2026-11-04"],
    }
)


@st.composite
def execution_inputs(draw: st.DrawFn) -> dict[str, pd.DataFrame]:
    return damage(draw, {"visits": EXEC_PLAN, "visit_log": EXEC_LOG})


@SETTINGS
@given(execution_inputs(), st.sampled_from([0, 1]))
def test_visit_execution_raises_a_library_error_or_gives_shares_within_0_and_1(
    tables: dict[str, pd.DataFrame], tolerance: int
) -> None:
    """Compliance and coverage are shares in [0, 1] (or missing), or it refuses."""
    from territory.review import visit_execution

    review = outcome(
        lambda: visit_execution(
            tables["visits"],
            tables["visit_log"],
            cycle_start="2026-11-02",
            tolerance_days=tolerance,
        )
    )
    if review is None:
        return
    table = review.by_rep
    for column in table.columns:
        if column.endswith(("compliance", "coverage", "rate")):
            share = pd.to_numeric(table[column], errors="coerce").dropna()
            assert share.between(0, 1).all(), (column, share.tolist())
    numbers = table.select_dtypes("number")
    assert all(finite(numbers[column]) for column in numbers)
    review.summary()
    json_safe(review)


DRIFT_MONTHLY = pd.DataFrame(
    {
        "rep_id": ["A", "B"] * 3,
        "month": ["2026-01"] * 2 + ["2026-02"] * 2 + ["2026-03"] * 2,
        "sales": [150.0, 50.0, 140.0, 60.0, 100.0, 100.0],
        "workload": [900.0, 1000.0, 950.0, 1010.0, 980.0, 990.0],
    }
)


@st.composite
def drift_inputs(draw: st.DrawFn) -> dict[str, pd.DataFrame]:
    return damage(draw, {"monthly": DRIFT_MONTHLY})


@SETTINGS
@given(drift_inputs())
def test_balance_drift_raises_a_library_error_or_flags_each_rep_once(
    tables: dict[str, pd.DataFrame],
) -> None:
    """One flag row per rep and measure, runs within the months given, or it refuses."""
    from territory.review import balance_drift

    monthly = tables["monthly"]
    drift = outcome(lambda: balance_drift(monthly, measures=("workload", "sales"), months=2))
    if drift is None:
        return
    flags = drift.flags
    assert not flags.duplicated(["rep_id", "measure"]).any()
    assert finite(flags["last_deviation"])
    runs = flags["longest_run"].to_numpy(dtype=float)
    assert ((runs >= 0) & (runs <= monthly["month"].nunique())).all()
    drift.summary()
    json_safe(drift)


@st.composite
def pace_inputs(draw: st.DrawFn) -> tuple[dict[str, pd.DataFrame], object]:
    tables = {"targets": REVIEW_TARGETS, "sales": REVIEW_SALES, "hierarchy": REVIEW_HIERARCHY}
    as_of = draw(st.sampled_from(["2026-01-15", "2026-01-31", "2026-02-01", "", "x", None]))
    return damage(draw, tables), as_of


@SETTINGS
@given(pace_inputs())
def test_month_pace_raises_a_library_error_or_gives_finite_figures(
    case: tuple[dict[str, pd.DataFrame], object],
) -> None:
    """Month-to-date pace is finite (or missing), the elapsed share in [0, 1], or it refuses."""
    from territory.review import month_pace

    tables, as_of = case
    review = outcome(
        lambda: month_pace(tables["targets"], tables["sales"], tables["hierarchy"], as_of=as_of)
    )
    if review is None:
        return
    assert 0 <= review.elapsed_share <= 1
    numbers = review.to_frame().select_dtypes("number")
    assert all(finite(numbers[column]) for column in numbers)
    review.summary()
    json_safe(review)


# --------------------------------------------------------------------------- routing

ROUTE_CUSTOMERS = pd.DataFrame(
    {
        "customer_id": ["a", "b", "c"],
        "lon": [9.0, 9.02, 9.01],
        "lat": [48.0, 48.0, 48.02],
        "visits_per_cycle": [1, 2, 1],
        "service_minutes": [20, 30, 15],
        "min_gap_days": [0, 2, 0],
        "opens": ["08:00", "09:00", "07:00"],
        "closes": ["17:00", "16:00", "12:00"],
        "allowed_days": ["Mon-Fri", "Mon,Wed,Fri", "Tue"],
        "grade": ["A", "B", "C"],
    }
)
ROUTE_REPS = pd.DataFrame(
    {
        "rep_id": ["r1"],
        "home_lon": [9.01],
        "home_lat": [48.01],
        "day_start": ["08:00"],
        "day_end": ["17:00"],
        "lunch_start": ["12:00"],
        "lunch_minutes": [30],
        "weekdays": ["Mon-Fri"],
    }
)


@st.composite
def route_inputs(draw: st.DrawFn) -> dict[str, pd.DataFrame]:
    return damage(draw, {"customers": ROUTE_CUSTOMERS, "reps": ROUTE_REPS})


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)
@given(route_inputs())
def test_plan_routes_and_capacity_check_refuse_or_account_for_every_visit(
    tables: dict[str, pd.DataFrame],
) -> None:
    """plan_routes plans or reports every required visit; capacity_check sums finite minutes."""
    from territory.grading import capacity_check
    from territory.routing import REASONS, Cycle, PlanOptions, plan_routes

    customers, reps = tables["customers"], tables["reps"]
    cycle = Cycle(weeks=1, days=5)
    plan = outcome(
        lambda: plan_routes(
            customers, reps, cycle=cycle, time_limit=1, options=PlanOptions(iterations=10)
        )
    )
    if plan is not None:
        missing = int(plan.unplanned["visits_missing"].sum()) if len(plan.unplanned) else 0
        assert len(plan.visits) >= 0 and len(plan.visits) + missing == plan.visits_required
        assert set(plan.unplanned["reason"]) <= set(REASONS)
        assert not len(plan.violations())
        json_safe(plan)
    requirements = customers.drop(
        columns=[c for c in ("lon", "lat", "opens", "closes") if c in customers]
    )
    check = outcome(lambda: capacity_check(requirements, customers, reps, cycle=cycle))
    if check is not None:
        frame = check.to_frame()
        numbers = frame.select_dtypes("number")
        assert all(finite(numbers[column]) for column in numbers)


@pytest.fixture(scope="module")
def previous_visits() -> pd.DataFrame:
    """Last cycle's visits of the routing baseline (rep_id, day, seq, customer_id)."""
    from territory.routing import Cycle, PlanOptions, plan_routes

    plan = plan_routes(
        ROUTE_CUSTOMERS,
        ROUTE_REPS,
        cycle=Cycle(weeks=1, days=5),
        time_limit=1,
        options=PlanOptions(iterations=10),
    )
    return plan.visits[["rep_id", "day", "seq", "customer_id"]].assign(locked=False)


@settings(
    max_examples=20,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.data())
def test_replanning_from_a_damaged_previous_plan_refuses_or_accounts_for_every_visit(
    previous_visits: pd.DataFrame, data: st.DataObject
) -> None:
    """plan_routes(previous=...) refuses a bad previous plan or plans every visit again."""
    from territory.routing import Cycle, PlanOptions, plan_routes

    previous = damage(data.draw, {"previous": previous_visits})["previous"]  # type: ignore[arg-type]
    plan = outcome(
        lambda: plan_routes(
            ROUTE_CUSTOMERS,
            ROUTE_REPS,
            cycle=Cycle(weeks=1, days=5),
            time_limit=1,
            options=PlanOptions(iterations=10),
            previous=previous,
        )
    )
    if plan is None:
        return
    missing = int(plan.unplanned["visits_missing"].sum()) if len(plan.unplanned) else 0
    assert len(plan.visits) + missing == plan.visits_required
    changes = outcome(lambda: plan.changes(previous))
    if changes is not None:
        assert set(map(ident, changes["customer_id"])) <= set(ROUTE_CUSTOMERS["customer_id"]) | set(
            map(ident, previous["customer_id"])
        )
        plan.change_summary(previous)
    json_safe(plan)


# --------------------------------------------------------------------------- a guard


def test_damage_really_damages() -> None:
    """The strategy produces each kind of damage (so the tests above are not vacuous)."""
    seen: set[str] = set()

    @settings(max_examples=200, database=None)
    @given(st.data())
    def probe(data: st.DataObject) -> None:
        tables = damage(data.draw, {"t": GRADE_CUSTOMERS})  # type: ignore[arg-type]
        frame = tables["t"]
        if list(frame.columns) != list(GRADE_CUSTOMERS.columns):
            seen.add("columns")
        elif not frame.equals(GRADE_CUSTOMERS):
            seen.add("values")

    probe()
    assert seen == {"columns", "values"}


@pytest.mark.parametrize("value", [math.inf, math.nan, 1e308, 10**30, "é☃"])
def test_extreme_potential_in_the_matrix_is_refused_or_graded(value: object) -> None:
    """A single extreme potential is a validation error or an ordinary grade, never a crash."""
    from territory.grading import RelationshipPotentialMatrix

    customers = GRADE_CUSTOMERS.astype({"potential": object})
    customers.loc[0, "potential"] = value  # type: ignore[call-overload]
    grades = outcome(lambda: RelationshipPotentialMatrix(high_potential=400).grade(customers))
    if grades is not None:
        check_grades(grades, customers)


def test_target_achievement_refuses_sales_whose_sum_overflows() -> None:
    """Sales of 1e308 (summed to inf actuals, with an overflow warning) are refused."""
    from territory.review import target_achievement

    sales = REVIEW_SALES.assign(sales=1e308)
    with pytest.raises(ValidationError, match="'sales' adds up to more than the largest float"):
        target_achievement(REVIEW_TARGETS, sales, REVIEW_HIERARCHY)


def test_rep_scorecard_of_a_huge_criterion_stays_within_0_to_100() -> None:
    """Achievement 1e308 (score inf, and -1e308 two reps tied at inf, before) scores 0-100."""
    from territory.review import rep_scorecard

    for value, best in ((1e308, "R1"), (-1e308, "R3")):
        metrics = SCORE_METRICS.astype({"achievement": object})
        metrics.loc[0, "achievement"] = value
        card = rep_scorecard(metrics, weights={"achievement": 2, "coverage": 1})
        scores = card.table.set_index("rep_id")["score"]
        assert scores.between(0, 100).all(), scores.to_dict()
        assert scores.idxmax() == best


def test_allocation_to_dict_is_json_safe_with_an_infinite_unit_id() -> None:
    """A unit id of inf (a 500 from the service before: to_dict held inf) gives valid JSON."""
    from territory.allocation import allocate

    hierarchy = HIERARCHY.astype({"team": object})
    hierarchy.loc[0, "team"] = math.inf
    allocation = outcome(
        lambda: allocate(
            1000, hierarchy, levels=["team", "rep_id"], potential="potential", methods="potential"
        )
    )
    if allocation is not None:
        json_safe(allocation)


def test_design_territories_refuses_a_measure_whose_sum_overflows() -> None:
    """Workloads of 1e308 each (an overflow deep in the solver before) are refused."""
    from territory.territories import design_territories

    customers = TERRITORY_CUSTOMERS.assign(workload=1e308)
    with pytest.raises(ValidationError, match="'workload' adds up to more than the largest"):
        design_territories(customers, TERRITORY_REPS, balance={"workload": 0.3}, time_limit=2)


@pytest.mark.parametrize(
    ("scheme", "parameters"),
    [
        ("pareto", {"window_months": 10**30}),  # "Maximum allowed size exceeded" before
        ("pareto", {"window_months": "12"}),  # TypeError before
        ("rfm", {"window_months": 1e308}),
        ("pareto", {"shares": (0.7, "x", 0.1)}),
        ("pareto", {"shares": 0.7}),
        ("rfm", {"grade_thresholds": ("13", 10, 7)}),
        ("rfm", {"grade_thresholds": 13}),
        ("matrix", {"high_potential": ""}),  # ValueError (a 500 in the service) before
        ("matrix", {"high_potential": math.inf}),
        ("matrix", {"good_relationship": None}),
        ("matrix", {"high_potential_quantile": "x"}),
    ],
)
def test_bad_scheme_parameters_are_validation_errors(
    scheme: str, parameters: dict[str, object]
) -> None:
    """Scheme parameters of the wrong type or range raise ValidationError, not another error."""
    from territory.grading import ParetoABC, RelationshipPotentialMatrix, RFMGrading

    classes: dict[str, Any] = {
        "pareto": ParetoABC,
        "rfm": RFMGrading,
        "matrix": RelationshipPotentialMatrix,
    }
    with pytest.raises(ValidationError):
        grades = classes[scheme](**parameters)
        if scheme == "matrix":
            grades.grade(GRADE_CUSTOMERS)
        else:
            grades.grade(GRADE_CUSTOMERS, GRADE_SALES)


def test_visit_execution_refuses_a_week_beyond_any_calendar() -> None:
    """week=1e308 (an OutOfBoundsTimedelta from pandas before) is a validation error."""
    from territory.review import visit_execution

    visits = EXEC_PLAN.astype({"week": object})
    visits.loc[0, "week"] = 1e308
    with pytest.raises(ValidationError, match="'week' has 1 values that are not whole numbers"):
        visit_execution(visits, EXEC_LOG, cycle_start="2026-11-02")


def test_visit_execution_reads_a_number_among_timestamps_as_unreadable() -> None:
    """A number in a text timestamp column (a pandas deprecation warning before) is refused."""
    from territory.review import visit_execution

    log = EXEC_LOG.astype({"timestamp": object})
    log.loc[0, "timestamp"] = math.inf
    with pytest.raises(ValidationError, match="'timestamp' has 1 missing or unreadable"):
        visit_execution(EXEC_PLAN, log, cycle_start="2026-11-02")


def test_a_visit_log_of_dates_alone_has_no_utc_offset() -> None:
    """'2026-11-04' (read as offset -04 before, so refused for want of a zone) is a date."""
    from territory.review import visit_execution

    log = EXEC_LOG.assign(timestamp=["2026-11-02", "2026-11-05", "2026-11-03", "2026-11-04"])
    review = visit_execution(EXEC_PLAN, log, cycle_start="2026-11-02")
    assert review.summary()


def test_every_baseline_is_valid() -> None:
    """Each undamaged input succeeds, so the properties above test real results too."""
    from territory.allocation import allocate
    from territory.grading import ParetoABC, RelationshipPotentialMatrix, capacity_check
    from territory.review import (
        balance_drift,
        month_pace,
        rep_scorecard,
        stop_rule,
        target_achievement,
        visit_execution,
    )
    from territory.routing import Cycle, PlanOptions, plan_routes
    from territory.territories import design_territories

    ParetoABC(window_months=2).grade(GRADE_CUSTOMERS, GRADE_SALES)
    RelationshipPotentialMatrix(high_potential=400).grade(GRADE_CUSTOMERS)
    design_territories(
        TERRITORY_CUSTOMERS, TERRITORY_REPS, balance={"workload": 0.3}, time_limit=2, starts=1
    )
    for method in ("history", "potential"):
        allocate(
            1000.0,
            HIERARCHY,
            levels=["team", "rep_id"],
            sales=HISTORY,
            potential="potential",
            methods=method,
            months=2027,
        )
    target_achievement(REVIEW_TARGETS, REVIEW_SALES, REVIEW_HIERARCHY)
    stop_rule(VISIT_LOG)
    balance_drift(DRIFT_MONTHLY, measures=("workload", "sales"), months=2)
    month_pace(REVIEW_TARGETS, REVIEW_SALES, REVIEW_HIERARCHY, as_of="2026-01-15")
    rep_scorecard(SCORE_METRICS, weights={"achievement": 1, "travel": 1})
    visit_execution(EXEC_PLAN, EXEC_LOG, cycle_start="2026-11-02")
    cycle = Cycle(weeks=1, days=5)
    plan = plan_routes(
        ROUTE_CUSTOMERS, ROUTE_REPS, cycle=cycle, time_limit=1, options=PlanOptions(iterations=10)
    )
    assert len(plan.visits) == plan.visits_required
    requirements = ROUTE_CUSTOMERS.drop(columns=["lon", "lat", "opens", "closes"])
    capacity_check(requirements, ROUTE_CUSTOMERS, ROUTE_REPS, cycle=cycle)


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"months": 12}, "12 would plan the year 0012"),  # planned "0012-01".. before
        ({"target": ""}, "target' must be a non-negative number"),  # a ValueError before
        ({"target": {"T1": "x", "T2": 1.0}}, "must map every unit to a number"),
    ],
)
def test_allocate_refuses_a_count_for_a_year_and_text_targets(
    options: dict[str, Any], fragment: str
) -> None:
    """months=12 (a count read as the year 12) and text targets are validation errors."""
    from territory.allocation import allocate

    arguments: dict[str, Any] = {"target": 1000.0, "months": 2027, **options}
    with pytest.raises(ValidationError, match=fragment):
        allocate(
            arguments.pop("target"),
            HIERARCHY,
            levels=["team", "rep_id"],
            potential="potential",
            methods="potential",
            **arguments,
        )


def test_allocate_by_subnormal_or_huge_potential_meets_the_target_or_refuses() -> None:
    """Potentials of 5e-324 (split into inf before) share by ratio; sums of 1e308 are refused."""
    from territory.allocation import allocate

    def run(potential: list[float]) -> Any:
        return allocate(
            1000.0,
            HIERARCHY.assign(potential=potential),
            levels=["team", "rep_id"],
            potential="potential",
            methods="potential",
            months=2027,
        )

    tiny = run([1e-310, 1e-310, 2e-310])
    assert [level.value.tolist() for level in tiny.levels] == [
        [500.0, 500.0],
        [250.0, 250.0, 500.0],
    ]
    with pytest.raises(ValidationError, match="'potential' adds up to more than the largest"):
        run([1e308, 1e308, 5e307])


def test_balance_drift_refuses_a_measure_whose_sum_overflows() -> None:
    """Sales of 1e308 per rep (an overflow warning and inf references before) are refused."""
    from territory.review import balance_drift

    monthly = DRIFT_MONTHLY.assign(sales=1e308)
    with pytest.raises(ValidationError, match="'sales' adds up to more than the largest float"):
        balance_drift(monthly, measures=("sales",), months=2)


@pytest.mark.parametrize(
    ("damage_previous", "fragment"),
    [
        (lambda f: pd.concat([f, f[["rep_id"]]], axis=1), "'rep_id' appears 2 times"),
        (lambda f: f.assign(rep_id=[None, *f["rep_id"][1:]]), "'rep_id' has 1 empty ids"),
        (lambda f: f.assign(customer_id=""), "'customer_id' has 4 empty ids"),
    ],
    ids=["repeated column", "missing rep", "empty customers"],
)
def test_replanning_refuses_a_malformed_previous_plan(
    previous_visits: pd.DataFrame, damage_previous: Callable[[pd.DataFrame], Any], fragment: str
) -> None:
    """A repeated column or empty ids in 'previous' (pandas errors before) are refused."""
    from territory.routing import Cycle, plan_routes

    with pytest.raises(ValidationError, match=fragment):
        plan_routes(
            ROUTE_CUSTOMERS,
            ROUTE_REPS,
            cycle=Cycle(weeks=1, days=5),
            time_limit=1,
            previous=damage_previous(previous_visits.copy()),
        )


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"bounds": {"rep_id": {"minimum": math.inf}}}, "minimum"),  # int64 cast of inf before
        ({"bounds": {"rep_id": {"growth": (1e308, 1e308)}}}, "minimums \\(with growth\\)"),
        ({"bounds": {"rep_id": {"growth": ("", 0.1)}}}, "growth must be a \\(low, high\\) pair"),
        ({"locks": {"rep_id": {"R1": ""}}}, "lock must be a finite number"),  # ValueError before
        ({"locks": {"rep_id": {"R1": 1e308}}}, "has values above"),
        ({"step": ""}, "step and month_step must be numbers"),  # TypeError before
        ({"step": 5e-324}, "step and month_step must be numbers"),  # int64 overflow before
    ],
)
def test_allocate_refuses_bounds_locks_and_steps_it_cannot_count(
    options: dict[str, Any], fragment: str
) -> None:
    """Infinite or huge bounds, text locks and odd steps are validation errors, not crashes."""
    from territory.allocation import Bounds, allocate

    with pytest.raises(ValidationError, match=fragment):
        if "bounds" in options:
            options = {"bounds": {lv: Bounds(**limits) for lv, limits in options["bounds"].items()}}
        allocate(
            1000.0,
            HIERARCHY,
            levels=["team", "rep_id"],
            sales=HISTORY,
            potential="potential",
            methods="potential",
            months=2027,
            **options,
        )


def test_replanning_reads_a_blank_lock_as_unlocked(previous_visits: pd.DataFrame) -> None:
    """A missing 'locked' value (refused as "not true/false" before) means not locked."""
    from territory.routing import Cycle
    from territory.routing.previous import read_previous

    previous = previous_visits.astype({"locked": object})
    previous["locked"] = [True, None, None, None]
    plan = read_previous(previous, Cycle(weeks=1, days=5))
    assert plan.locked == {previous.loc[0, "customer_id"]}
