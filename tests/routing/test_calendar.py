"""Tests of territory.routing.calendar: a route plan on real dates, zones and holidays."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from territory.errors import ValidationError
from territory.io import read_table, write_table
from territory.review import visit_execution
from territory.routing import (
    CalendarPlan,
    Cycle,
    PlanOptions,
    RoutePlan,
    lay_on_calendar,
    plan_routes,
    read_calendar_visits,
)

START = "2027-01-04"  # a Monday
ZONE = "Europe/Helsinki"


@pytest.fixture(scope="module")
def plan() -> RoutePlan:
    """Two weeks x five days, one rep, six customers in Helsinki (1-2 visits each)."""
    customers = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(6)],
            "lon": [24.93 + 0.01 * i for i in range(6)],
            "lat": [60.17 + 0.004 * (i % 3) for i in range(6)],
            "visits_per_cycle": [2, 2, 1, 1, 1, 1],
            "service_minutes": 30.0,
        }
    )
    reps = pd.DataFrame({"rep_id": ["r1"], "home_lon": [24.94], "home_lat": [60.16]})
    return plan_routes(
        customers,
        reps,
        cycle=Cycle(weeks=2, days=5),
        time_limit=5,
        options=PlanOptions(iterations=50),
    )


def _regular_date(week: int, weekday: str) -> dt.date:
    names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    return dt.date(2027, 1, 4) + dt.timedelta(days=7 * (week - 1) + names.index(weekday))


def test_dates_and_wall_clock_follow_the_plan(plan: RoutePlan) -> None:
    """Without holidays each visit falls on its week's weekday at the planned local time."""
    laid = plan.on_calendar(START, tz=ZONE)
    visits = laid.visits
    assert len(visits) == len(plan.visits)
    for row, original in zip(visits.itertuples(), plan.visits.itertuples(), strict=True):
        assert row.date.date() == _regular_date(int(row.week), str(row.weekday))
        assert str(row.arrival.tz) == ZONE
        local = row.arrival.tz_localize(None) - row.date
        assert abs(local.total_seconds() / 60 - float(original.arrival)) <= 0.5 / 60
        assert row.arrival.utcoffset() == dt.timedelta(hours=2)  # EET in January
    assert not visits["shifted"].any()
    assert len(laid.skipped) == 0


def test_arrival_is_rounded_to_the_second(plan: RoutePlan) -> None:
    """Timestamps carry whole seconds, so files show no float noise."""
    visits = plan.on_calendar(START, tz=ZONE).visits
    assert (visits["arrival"].dt.microsecond == 0).all()
    assert (visits["arrival"].dt.nanosecond == 0).all()


def test_summer_time_changes_the_offset_not_the_wall_clock(plan: RoutePlan) -> None:
    """Across the end of March the UTC offset goes from +2 to +3 h; local times stay."""
    laid = plan.on_calendar("2027-03-22", tz=ZONE)  # clocks go forward on Sunday 28 March
    visits = laid.visits
    week1 = visits[visits["week"] == 1]
    week2 = visits[visits["week"] == 2]
    assert {a.utcoffset() for a in week1["arrival"]} == {dt.timedelta(hours=2)}
    assert {a.utcoffset() for a in week2["arrival"]} == {dt.timedelta(hours=3)}
    clock = (visits["arrival"].dt.tz_localize(None) - visits["date"]).dt.total_seconds()
    planned = plan.visits["arrival"].to_numpy() * 60
    assert (abs(clock.to_numpy() - planned) <= 0.5).all()


def test_several_cycles_repeat_every_cycle_length(plan: RoutePlan) -> None:
    """Cycle 2 is cycle 1 moved by the cycle's length (two weeks)."""
    laid = plan.on_calendar(START, tz=ZONE, cycles=2)
    one = laid.visits[laid.visits["cycle"] == 1].reset_index(drop=True)
    two = laid.visits[laid.visits["cycle"] == 2].reset_index(drop=True)
    assert len(one) == len(two) == len(plan.visits)
    assert ((two["date"] - one["date"]) == pd.Timedelta(days=14)).all()
    assert laid.end == dt.date(2027, 1, 29)


def test_shift_pauses_the_cycle_and_loses_nothing(plan: RoutePlan) -> None:
    """A holiday on Wednesday of week 1: no visit lost, later days one working date on."""
    holiday = dt.date(2027, 1, 6)  # Epiphany, a Wednesday
    laid = plan.on_calendar(START, tz=ZONE, holidays={holiday: "Epiphany"})
    visits = laid.visits
    assert len(visits) == len(plan.visits)
    assert holiday not in {d.date() for d in visits["date"]}
    by_day = visits.groupby("day")["date"].first()
    # days 1-2 keep Mon/Tue, day 3 (Wed) runs on Thursday, ... day 10 on Monday of week 3
    assert by_day.get(1, pd.Timestamp("2027-01-04")) == pd.Timestamp("2027-01-04")
    expected = {3: "2027-01-07", 5: "2027-01-11", 10: "2027-01-18"}
    for day, date in expected.items():
        if day in by_day.index:
            assert by_day[day] == pd.Timestamp(date)
    assert visits.loc[visits["day"] >= 3, "shifted"].all()
    assert not visits.loc[visits["day"] <= 2, "shifted"].any()
    assert laid.holidays == {holiday: "Epiphany"}
    assert "none is lost" in laid.summary()


def test_skip_keeps_weekdays_and_lists_the_lost_visits(plan: RoutePlan) -> None:
    """``on_holiday="skip"``: the holiday's visits are listed with its name, not dropped."""
    holiday = dt.date(2027, 1, 6)
    laid = plan.on_calendar(START, tz=ZONE, holidays={holiday: "Epiphany"}, on_holiday="skip")
    planned_on_day3 = plan.visits[plan.visits["day"] == 3]
    assert len(laid.skipped) == len(planned_on_day3)
    assert set(laid.skipped["holiday"]) <= {"Epiphany"}
    assert len(laid.visits) + len(laid.skipped) == len(plan.visits)
    for row in laid.visits.itertuples():
        assert row.date.date() == _regular_date(int(row.week), str(row.weekday))
    assert not laid.visits["shifted"].any()


def test_holidays_as_plain_dates_get_their_date_as_name(plan: RoutePlan) -> None:
    """A list of date strings works; the name of each is its date."""
    laid = plan.on_calendar(
        START, tz=ZONE, holidays=["2027-01-06", "2026-12-25"], on_holiday="skip"
    )
    assert laid.holidays == {dt.date(2027, 1, 6): "2027-01-06"}  # 25 Dec is outside
    assert set(laid.skipped["holiday"]) <= {"2027-01-06"}


class _YearByYear(dict):  # type: ignore[type-arg]
    """A holiday calendar that fills in a year when asked about one of its dates.

    This is how ``holidays.country_holidays(...)`` behaves without ``years=``.
    """

    def __contains__(self, day: object) -> bool:
        if isinstance(day, dt.date) and day.year == 2027:
            self[dt.date(2027, 1, 6)] = "Epiphany"
        return super().__contains__(day)


def test_a_calendar_that_fills_years_on_demand_is_asked_for_the_span(plan: RoutePlan) -> None:
    """An empty-looking holiday calendar is asked about the span's years, not read as empty."""
    laid = plan.on_calendar(START, tz=ZONE, holidays=_YearByYear(), on_holiday="skip")
    assert laid.holidays == {dt.date(2027, 1, 6): "Epiphany"}


def test_numbers_are_not_holidays_and_far_dates_are_refused(plan: RoutePlan) -> None:
    """5 or 20270105 is not read as nanoseconds after 1970; a span past 2262 is an error."""
    with pytest.raises(ValidationError, match="not dates"):
        plan.on_calendar(START, tz=ZONE, holidays=[5, 20270105])
    with pytest.raises(ValidationError, match="2262"):
        plan.on_calendar("2262-03-03", tz=ZONE, cycles=10)


def test_bad_arguments_are_reported_together(plan: RoutePlan) -> None:
    """A Tuesday start, an unknown zone, a bad holiday and bad options: one error."""
    with pytest.raises(ValidationError) as info:
        plan.on_calendar(
            "2027-01-05",
            tz="Mars/Olympus",
            holidays=["not a date"],
            cycles=0,
            on_holiday="move",  # type: ignore[arg-type]
        )
    text = str(info.value)
    for part in ("Tuesday", "Mars/Olympus", "not a date", "cycles", "on_holiday"):
        assert part in text


def test_to_dict_is_json_and_summary_names_the_span(plan: RoutePlan) -> None:
    """``to_dict`` is plain JSON with ISO timestamps; the summary names start and zone."""
    laid = plan.on_calendar(START, tz=ZONE)
    data = json.loads(json.dumps(laid.to_dict()))
    assert data["tz"] == ZONE and data["start"] == START
    assert data["visits"][0]["arrival"].endswith("+02:00")
    assert "2027-01-04" in laid.summary() and ZONE in laid.summary()


def test_method_and_function_agree(plan: RoutePlan) -> None:
    """``RoutePlan.on_calendar`` is ``lay_on_calendar`` on the plan."""
    a = plan.on_calendar(START, tz=ZONE, cycles=2)
    b = lay_on_calendar(plan, START, tz=ZONE, cycles=2)
    assert isinstance(a, CalendarPlan)
    pd.testing.assert_frame_equal(a.visits, b.visits)
    pd.testing.assert_frame_equal(a.days, b.days)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_round_trip_through_files_keeps_time_zones(
    plan: RoutePlan, tmp_path: Path, suffix: str
) -> None:
    """Visits and days written as CSV or Parquet read back with the same instants and zone."""
    laid = plan.on_calendar(START, tz=ZONE, holidays={"2027-01-06": "Epiphany"})
    for name, table in (("visits", laid.visits), ("days", laid.days)):
        path = write_table(table, tmp_path / f"{name}{suffix}")
        back = read_calendar_visits(read_table(path))
        for column in ("arrival", "departure", "start", "end", "lunch_start"):
            if column not in table:
                continue
            assert str(back[column].dt.tz) == ZONE
            pd.testing.assert_series_equal(
                back[column], table[column], check_dtype=False, check_index_type=False
            )
        pd.testing.assert_series_equal(back["date"], table["date"], check_dtype=False)
        assert back["shifted"].tolist() == table["shifted"].tolist()


def test_csv_holds_offsets_and_the_zone_name(plan: RoutePlan, tmp_path: Path) -> None:
    """The CSV shows local times with their offset, whole seconds, and the zone's name."""
    laid = plan.on_calendar(START, tz=ZONE)
    text = write_table(laid.visits, tmp_path / "visits.csv").read_text()
    first = text.splitlines()[1]
    assert "+02:00" in first and ZONE in first
    assert "." not in first.split(",")[laid.visits.columns.get_loc("arrival")]


def test_reading_times_without_offsets_is_an_error() -> None:
    """Naive times in a calendar table are refused rather than guessed."""
    table = pd.DataFrame({"time_zone": [ZONE], "arrival": ["2027-01-04 08:30:00"]})
    with pytest.raises(ValidationError, match="without a UTC offset"):
        read_calendar_visits(table)


def test_route_plan_file_minutes_are_rounded(plan: RoutePlan) -> None:
    """``RoutePlan.to_frame`` rounds minutes to 0.01 and km to 0.001 for files."""
    frame = plan.to_frame()
    for column, places in (("arrival", 2), ("departure", 2), ("travel_km", 3)):
        assert (frame[column] == frame[column].round(places)).all()
    assert (abs(frame["arrival"] - plan.visits["arrival"]) <= 0.005 + 1e-9).all()


def test_utc_visit_log_is_converted_to_the_plan_zone() -> None:
    """A log in UTC with a time_zone column counts at its local Helsinki date."""
    visits = pd.DataFrame(
        {"rep_id": ["R1"] * 2, "week": [1, 1], "weekday": [0, 1], "customer_id": ["C1", "C2"]}
    )
    # 23:30 UTC on Monday is 01:30 on Tuesday in Helsinki: C2's planned day
    log = pd.DataFrame(
        {
            "rep_id": ["R1"],
            "customer_id": ["C2"],
            "timestamp": ["2026-11-02T23:30:00Z"],
            "time_zone": [ZONE],
        }
    )
    review = visit_execution(visits, log, cycle_start="2026-11-02")
    assert review.overall["compliance"] == 0.5
    plain = log.assign(timestamp="2026-11-02T23:30:00").drop(columns="time_zone")
    assert visit_execution(visits, plain, cycle_start="2026-11-02").overall["compliance"] == 0.0


def test_offset_log_without_a_zone_is_an_error() -> None:
    """Times with an offset but no known local zone are refused, not read as local."""
    visits = pd.DataFrame({"rep_id": ["R1"], "week": [1], "weekday": [0], "customer_id": ["C1"]})
    log = pd.DataFrame(
        {"rep_id": ["R1"], "customer_id": ["C1"], "timestamp": ["2026-11-02T08:30:00+00:00"]}
    )
    with pytest.raises(ValidationError, match="time_zone"):
        visit_execution(visits, log, cycle_start="2026-11-02")


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.sets(st.integers(min_value=0, max_value=40), max_size=8),
    st.sampled_from(["shift", "skip"]),
    st.integers(min_value=1, max_value=2),
)
def test_no_visit_is_lost_silently(
    plan: RoutePlan, offsets: set[int], policy: str, cycles: int
) -> None:
    """Any holidays: every visit laid or listed, none on a day off, day order kept."""
    holidays = [dt.date(2027, 1, 4) + dt.timedelta(days=k) for k in offsets]
    laid = plan.on_calendar(
        START,
        tz=ZONE,
        holidays=holidays,
        cycles=cycles,
        on_holiday=policy,  # type: ignore[arg-type]
    )
    assert len(laid.visits) + len(laid.skipped) == len(plan.visits) * cycles
    if policy == "shift":
        assert len(laid.skipped) == 0
    dates = {d.date() for d in laid.visits["date"]}
    assert not dates & set(holidays)
    assert all(d.weekday() < 5 for d in dates)
    order = laid.days.sort_values(["cycle", "day"])["date"]
    assert order.is_monotonic_increasing
