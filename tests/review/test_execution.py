"""Tests of visit execution: compliance, frequency, coverage, unplanned visits, strike rate."""

import json

import pandas as pd
import pytest

from territory.errors import ValidationError
from territory.review import plan_calendar, visit_execution

START = pd.Timestamp("2026-11-02")  # a Monday


def _plan(rows: list[tuple[str, int, int, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["rep_id", "week", "weekday", "customer_id"])
    frame["day"] = frame["weekday"] + 1
    frame["seq"] = frame.groupby(["rep_id", "week", "day"]).cumcount() + 1
    return frame


def _log(rows: list[tuple[str, str, str]], **extra: list[object]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["rep_id", "customer_id", "timestamp"])
    frame["timestamp"] = pd.to_datetime(frame["timestamp"])
    for name, values in extra.items():
        frame[name] = values
    return frame


def _date(week: int, weekday: int, time: str = "10:00") -> str:
    day = START + pd.Timedelta(days=7 * (week - 1) + weekday)
    return f"{day.date()} {time}"


# R1 plans 10 visits to C1..C10 over two weeks; R2 plans 2 visits to C11.
PLAN = _plan(
    [("R1", 1 + i // 5, i % 5, f"C{i + 1}") for i in range(10)]
    + [("R2", 1, 0, "C11"), ("R2", 2, 0, "C11")]
)


def test_plan_calendar_maps_weeks_and_weekdays_to_dates() -> None:
    """Week 2, Friday of a cycle starting Monday 2 Nov 2026 is 13 Nov; names work too."""
    dated = plan_calendar(PLAN, cycle_start="2026-11-02")
    assert dated.loc[9, "date"] == pd.Timestamp("2026-11-13")
    assert dated.loc[0, "date"] == START
    names = PLAN.assign(
        weekday=PLAN["weekday"].map(dict(enumerate(["Mon", "Tue", "Wed", "Thu", "Fri"])))
    )
    pd.testing.assert_series_equal(plan_calendar(names, cycle_start=START)["date"], dated["date"])
    with pytest.raises(ValidationError, match="not weekdays"):
        plan_calendar(PLAN.assign(weekday="Someday"), cycle_start=START)
    with pytest.raises(ValidationError, match="is a Tue"):
        plan_calendar(PLAN, cycle_start="2026-11-03")


def test_ten_planned_eight_done_is_80_percent() -> None:
    """A rep with 10 planned and 8 executed visits on the day has 80 % compliance."""
    log = _log([("R1", f"C{i + 1}", _date(1 + i // 5, i % 5)) for i in range(8)])
    review = visit_execution(PLAN[PLAN["rep_id"] == "R1"], log, cycle_start=START)
    r1 = review.by_rep.set_index("rep_id").loc["R1"]
    assert (r1["planned"], r1["on_day"], r1["missed"]) == (10, 8, 2)
    assert r1["compliance"] == pytest.approx(0.8)
    assert r1["coverage"] == pytest.approx(0.8)
    assert r1["unplanned"] == 0
    assert review.overall["compliance"] == pytest.approx(0.8)
    missed = review.planned.loc[review.planned["status"] == "missed", "customer_id"]
    assert sorted(missed) == ["C10", "C9"]


def test_tolerance_counts_late_visits() -> None:
    """A visit one day late is missed plus unplanned at ±0 days, shifted at ±1 day."""
    log = _log([("R2", "C11", _date(1, 1)), ("R2", "C11", _date(2, 0))])
    strict = visit_execution(PLAN, log, cycle_start=START)
    r2 = strict.by_rep.set_index("rep_id").loc["R2"]
    assert (r2["within_tolerance"], r2["unplanned"]) == (1, 1)
    assert r2["compliance"] == pytest.approx(0.5)
    loose = visit_execution(PLAN, log, cycle_start=START, tolerance_days=1)
    r2 = loose.by_rep.set_index("rep_id").loc["R2"]
    assert (r2["on_day"], r2["within_tolerance"], r2["unplanned"]) == (1, 2, 0)
    assert r2["compliance"] == pytest.approx(1.0)
    assert r2["on_day_rate"] == pytest.approx(0.5)
    shifted = loose.planned[loose.planned["status"] == "shifted"]
    assert shifted["shift_days"].tolist() == [1.0]


def test_exact_day_is_matched_before_a_near_day() -> None:
    """Planned Wednesday, done Tuesday and Wednesday: Wednesday matches, Tuesday is unplanned."""
    plan = _plan([("R1", 1, 2, "C1")])
    log = _log([("R1", "C1", _date(1, 1)), ("R1", "C1", _date(1, 2))])
    review = visit_execution(plan, log, cycle_start=START, tolerance_days=1)
    assert review.planned.loc[0, "status"] == "on_day"
    unplanned = review.executed[~review.executed["planned"]]
    assert unplanned["date"].tolist() == [pd.Timestamp(_date(1, 1)).normalize()]


def test_frequency_and_coverage_per_grade() -> None:
    """Grade A needs 2 visits (C11 gets 1), grade B needs 1 (C1 gets 1, C2 none)."""
    requirements = pd.DataFrame(
        {
            "customer_id": ["C11", "C1", "C2", "C3"],
            "grade": ["A", "B", "B", "B"],
            "visits_per_cycle": [2, 1, 1, 0],
        }
    )
    log = _log([("R2", "C11", _date(1, 0)), ("R1", "C1", _date(1, 0))])
    review = visit_execution(PLAN, log, cycle_start=START, requirements=requirements)
    grades = review.by_grade.set_index("grade")
    assert grades.loc["A", "customers"] == 1
    assert grades.loc["A", "coverage"] == pytest.approx(1.0)
    assert grades.loc["A", "frequency_compliance"] == pytest.approx(0.0)
    assert grades.loc["B", "customers"] == 2  # C3 needs no visit
    assert grades.loc["B", "frequency_compliance"] == pytest.approx(0.5)
    assert review.overall["customers"] == 3
    assert review.overall["coverage"] == pytest.approx(2 / 3)
    assert review.overall["frequency_compliance"] == pytest.approx(1 / 3)


def test_unplanned_visits_and_strike_rate() -> None:
    """Two planned, one unplanned visit; two of three produced an order: strike rate 2/3."""
    customers = pd.DataFrame({"customer_id": [*PLAN["customer_id"].unique(), "C50"]})
    log = _log(
        [("R2", "C11", _date(1, 0)), ("R2", "C11", _date(2, 0)), ("R2", "C50", _date(2, 3))],
        order=[True, False, True],
        order_value=[120.0, 0.0, 30.0],
    )
    review = visit_execution(PLAN, log, cycle_start=START, customers=customers)
    r2 = review.by_rep.set_index("rep_id").loc["R2"]
    assert (r2["executed"], r2["unplanned"], r2["orders"]) == (3, 1, 2)
    assert r2["strike_rate"] == pytest.approx(2 / 3)
    assert r2["unplanned_share"] == pytest.approx(1 / 3)
    assert r2["order_value"] == pytest.approx(150.0)


def test_missing_order_flags_are_reported() -> None:
    """A visit with an empty order flag counts as no order, and this is reported."""
    log = _log([("R2", "C11", _date(1, 0)), ("R2", "C11", _date(2, 0))], order=[True, None])
    review = visit_execution(PLAN, log, cycle_start=START)
    assert review.overall["strike_rate"] == pytest.approx(0.5)
    assert any("1 visits have no order information" in issue for issue in review.issues)


def test_no_order_data_gives_missing_strike_rate() -> None:
    """Without order columns the strike rate is missing, not zero."""
    log = _log([("R2", "C11", _date(1, 0))])
    review = visit_execution(PLAN, log, cycle_start=START)
    assert pd.isna(review.overall["strike_rate"])
    data = review.to_dict()
    assert data["overall"]["strike_rate"] is None
    json.dumps(data, allow_nan=False)


def test_duplicates_counted_once_and_reported() -> None:
    """An exact duplicate row and a second visit the same day count as one visit, reported."""
    log = _log(
        [
            ("R2", "C11", _date(1, 0)),
            ("R2", "C11", _date(1, 0)),
            ("R2", "C11", _date(1, 0, "15:00")),
        ]
    )
    review = visit_execution(PLAN, log, cycle_start=START)
    assert review.overall["executed"] == 1
    assert review.executed.loc[0, "log_rows"] == 2
    assert any("1 duplicate rows" in issue for issue in review.issues)
    assert any("merged into one visit" in issue for issue in review.issues)


def test_shuffled_log_gives_same_result() -> None:
    """The row order of the log does not change any KPI."""
    log = _log(
        [("R1", f"C{i + 1}", _date(1 + i // 5, (i + 1) % 5)) for i in range(10)]
        + [("R2", "C11", _date(1, 1))]
    )
    a = visit_execution(PLAN, log, cycle_start=START, tolerance_days=1)
    b = visit_execution(
        PLAN, log.sample(frac=1.0, random_state=3), cycle_start=START, tolerance_days=1
    )
    pd.testing.assert_frame_equal(a.by_rep, b.by_rep)


def test_bad_log_raises_one_error_naming_ids() -> None:
    """Unknown customers and reps, timestamps outside the cycle and NaT are all named."""
    log = _log(
        [
            ("R1", "C1", _date(1, 0)),
            ("R1", "C404", _date(1, 1)),
            ("R7", "C2", _date(1, 1)),
            ("R1", "C3", "2026-12-01 10:00"),
        ]
    )
    log.loc[len(log)] = ["R1", "C4", pd.NaT]
    with pytest.raises(ValidationError) as info:
        visit_execution(PLAN, log, cycle_start=START)
    message = str(info.value)
    assert (
        "visit_log: column 'customer_id' names 1 unknown customers (customer_id: 'C404')" in message
    )
    assert "visit_log: column 'rep_id' names 1 unknown reps (rep_id: 'R7')" in message
    assert "outside the cycle 2026-11-02 to 2026-11-15 (customer_id: 'C3')" in message
    assert "missing or unreadable timestamps (customer_id: 'C4')" in message


def test_bad_plan_and_parameters() -> None:
    """A week 0, a weekday 9 and a negative tolerance are rejected."""
    plan = PLAN.copy()
    plan.loc[0, "week"] = 0
    plan.loc[1, "weekday"] = 9
    with pytest.raises(ValidationError) as info:
        visit_execution(plan, _log([]), cycle_start=START)
    assert "'week'" in str(info.value) and "'weekday'" in str(info.value)
    with pytest.raises(ValidationError, match="tolerance_days"):
        visit_execution(PLAN, _log([]), cycle_start=START, tolerance_days=-1)


def test_rep_week_table_and_summary() -> None:
    """Compliance per rep and week: week 1 all done, week 2 none."""
    log = _log([("R1", f"C{i + 1}", _date(1, i)) for i in range(5)])
    review = visit_execution(PLAN, log, cycle_start=START)
    weeks = review.by_rep_week.set_index(["rep_id", "week"])["compliance"]
    assert weeks.loc[("R1", 1)] == pytest.approx(1.0)
    assert weeks.loc[("R1", 2)] == pytest.approx(0.0)
    assert "lowest compliance: R2 at 0.0 %" in review.summary()
    frame = review.to_frame()
    assert frame["rep_id"].tolist() == ["R1", "R2", "(all)"]
