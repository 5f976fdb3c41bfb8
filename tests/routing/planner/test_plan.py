"""Tests of plan_routes on small hand-checkable cases."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from territory.errors import InfeasibleError, ValidationError
from territory.routing import Cycle, PlanOptions, RoutePlan, plan_routes
from territory.travel import GreatCircleTravel, Points

HOME = (9.0, 48.0)


def _reps(**extra: object) -> pd.DataFrame:
    row: dict[str, object] = {"rep_id": "r1", "home_lon": HOME[0], "home_lat": HOME[1]}
    row.update(extra)
    return pd.DataFrame([row])


def _customers(rows: list[dict[str, object]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    if "lat" not in frame:
        frame["lat"] = HOME[1]
    defaults = {"visits_per_cycle": 1, "service_minutes": 20.0}
    for column, value in defaults.items():
        frame[column] = frame[column].fillna(value) if column in frame else value
    return frame


def test_three_customers_on_a_line_are_visited_in_line_order() -> None:
    """One rep, three customers east of home on a line: out along the line and back."""
    customers = _customers(
        [{"customer_id": c, "lon": lon} for c, lon in (("b", 9.02), ("c", 9.03), ("a", 9.01))]
    )
    plan = plan_routes(customers, _reps(), cycle=Cycle(weeks=1, days=1), time_limit=10)
    order = plan.visits.sort_values("seq")["customer_id"].tolist()
    assert order in (["a", "b", "c"], ["c", "b", "a"])
    travel = GreatCircleTravel()
    far = travel.matrix(
        Points(np.array(["h", "c"], dtype=object), np.array([9.0, 9.03]), np.array([48.0, 48.0]))
    )
    assert plan.days["travel_km"].iloc[0] == pytest.approx(2 * far.km[0, 1], rel=1e-6)
    assert plan.visits["travel_km"].iloc[0] == pytest.approx(far.km[0, 1] / 3, rel=1e-3) or (
        plan.visits["travel_km"].iloc[0] == pytest.approx(far.km[0, 1], rel=1e-6)
    )
    assert plan.is_feasible()


def test_opening_hours_delay_the_visit() -> None:
    """A customer opening at 10:00 is served at 10:00, not when the rep could arrive."""
    customers = _customers([{"customer_id": "a", "lon": 9.01, "opens": "10:00", "closes": "12:00"}])
    plan = plan_routes(customers, _reps(), cycle=Cycle(weeks=1, days=1), time_limit=10)
    assert plan.visits["arrival"].iloc[0] == pytest.approx(600.0)
    assert plan.to_frame()["arrival_time"].iloc[0] == "10:00"


def test_weekly_customers_keep_their_weekday_and_spacing() -> None:
    """Four visits in a 4 x 5 cycle fall on one weekday, five working days apart."""
    customers = _customers(
        [{"customer_id": f"c{i}", "lon": 9.0 + 0.01 * i, "visits_per_cycle": 4} for i in range(6)]
    )
    plan = plan_routes(customers, _reps(), time_limit=20)
    assert len(plan.visits) == 24 and plan.unplanned.empty
    for _, group in plan.visits.groupby("customer_id"):
        assert group["weekday"].nunique() == 1
        assert sorted(np.diff(sorted(group["day"]))) == [5, 5, 5]
    assert plan.regularity["constant_weekday_share"] == 1.0
    assert plan.is_feasible()


def test_min_gap_days_is_respected() -> None:
    """Two visits with min_gap_days 8 in a 10-day cycle are 8 or more days apart both ways."""
    customers = _customers(
        [{"customer_id": "a", "lon": 9.01, "visits_per_cycle": 2, "min_gap_days": 5}]
    )
    plan = plan_routes(customers, _reps(), cycle=Cycle(weeks=2, days=5), time_limit=10)
    days = sorted(plan.visits["day"])
    assert days[1] - days[0] == 5


def test_short_capacity_drops_grade_d_before_grade_a() -> None:
    """A rep with room for one 90-minute visit keeps the A customer and drops the D one."""
    customers = _customers(
        [
            {"customer_id": "d1", "lon": 9.001, "grade": "D", "service_minutes": 90},
            {"customer_id": "a1", "lon": 9.002, "grade": "A", "service_minutes": 90},
        ]
    )
    reps = _reps(day_start="08:00", day_end="10:00")
    plan = plan_routes(customers, reps, cycle=Cycle(weeks=1, days=1), time_limit=10)
    assert plan.visits["customer_id"].tolist() == ["a1"]
    row = plan.unplanned.set_index("customer_id").loc["d1"]
    assert row["reason"] == "capacity" and row["visits_missing"] == 1
    assert "working minutes" in row["detail"]


def test_grade_a_beats_grade_d_across_the_cycle() -> None:
    """With room for 5 of 8 visits a day, every A visit is planned and D visits are dropped."""
    rows = [
        {"customer_id": f"{g}{i}", "lon": 9.001 + 0.0001 * i, "grade": g, "service_minutes": 100}
        for g in ("D", "A")
        for i in range(4)
    ]
    reps = _reps(day_start="08:00", day_end="17:00")
    plan = plan_routes(_customers(rows), reps, cycle=Cycle(weeks=1, days=1), time_limit=10)
    assert sorted(plan.visits["customer_id"]) == ["A0", "A1", "A2", "A3", "D0"][: len(plan.visits)]
    assert set(plan.unplanned["customer_id"]) <= {"D1", "D2", "D3", "D0"}
    assert (plan.unplanned["reason"] == "capacity").all()


def test_customer_opening_after_the_day_ends_is_opening_hours() -> None:
    """A customer open 18:00-20:00 for a rep working 8-17 is unplanned: opening_hours."""
    customers = _customers(
        [
            {"customer_id": "late", "lon": 9.01, "opens": "18:00", "closes": "20:00"},
            {"customer_id": "ok", "lon": 9.02},
        ]
    )
    plan = plan_routes(customers, _reps(), cycle=Cycle(weeks=1, days=5), time_limit=10)
    row = plan.unplanned.set_index("customer_id").loc["late"]
    assert row["reason"] == "opening_hours" and row["visits_missing"] == 1
    assert "18:00-20:00" in row["detail"]


def test_customer_too_far_for_a_day_trip() -> None:
    """A customer 600 km from home is unplanned: too_far, with the round trip in minutes."""
    customers = _customers(
        [{"customer_id": "far", "lon": 17.0}, {"customer_id": "ok", "lon": 9.02}]
    )
    plan = plan_routes(customers, _reps(), cycle=Cycle(weeks=1, days=5), time_limit=10)
    row = plan.unplanned.set_index("customer_id").loc["far"]
    assert row["reason"] == "too_far"
    assert "round trip" in row["detail"]
    assert plan.visits["customer_id"].tolist() == ["ok"]


def test_no_pattern_and_no_rep_reasons() -> None:
    """Impossible spacing gives no_pattern; a weekday no rep works gives no_rep."""
    customers = _customers(
        [
            {"customer_id": "gap", "lon": 9.01, "visits_per_cycle": 3, "min_gap_days": 8},
            {"customer_id": "sat", "lon": 9.01, "allowed_days": "Sat"},
            {"customer_id": "ok", "lon": 9.02},
        ]
    )
    plan = plan_routes(customers, _reps(), time_limit=10)
    reasons = plan.unplanned.set_index("customer_id")["reason"].to_dict()
    assert reasons == {"gap": "no_pattern", "sat": "no_rep"}


def _lunch_plan(time_limit: float, options: PlanOptions | None = None) -> RoutePlan:
    rows = [
        {"customer_id": f"c{i}", "lon": 9.0 + 0.002 * i, "service_minutes": 45} for i in range(9)
    ]
    reps = _reps(lunch_start="12:00", lunch_minutes=30)
    return plan_routes(
        _customers(rows),
        reps,
        cycle=Cycle(weeks=1, days=1),
        time_limit=time_limit,
        options=options,
    )


def _check_lunch(plan: RoutePlan) -> None:
    day = plan.days.iloc[0]
    assert 720 <= day["lunch_start"] <= 780
    visits = plan.visits
    overlap = (visits["arrival"] < day["lunch_start"] + 30) & (
        visits["departure"] > day["lunch_start"]
    )
    assert not overlap.any()
    assert len(visits) == 9
    assert plan.is_feasible()


def test_lunch_break_is_kept() -> None:
    """A full day with lunch 12:00 (30 min) has its break inside 12:00-13:00, no overlap."""
    _check_lunch(_lunch_plan(0.05))


@pytest.mark.slow
def test_lunch_break_is_kept_by_the_engine_route() -> None:
    """The same day re-solved by the routing engine still keeps its lunch break."""
    plan = _lunch_plan(30.0, PlanOptions(polish=True))
    assert plan.stats["engine_days"] == 1
    _check_lunch(plan)


def test_same_seed_gives_identical_visits() -> None:
    """Two runs with the same seed produce the same visits table."""
    rng = np.random.default_rng(3)
    rows = [
        {
            "customer_id": f"c{i}",
            "lon": 9.0 + rng.uniform(-0.1, 0.1),
            "lat": 48.0 + rng.uniform(-0.05, 0.05),
            "visits_per_cycle": int(rng.choice([1, 2, 4])),
            "service_minutes": 30,
        }
        for i in range(25)
    ]
    frame = pd.DataFrame(rows)
    options = PlanOptions(iterations=300)
    first, second = (
        plan_routes(
            frame, _reps(), cycle=Cycle(weeks=2, days=5), time_limit=30, seed=1, options=options
        )
        for _ in range(2)
    )
    pd.testing.assert_frame_equal(first.visits, second.visits)


def _spread_customers(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(n)],
            "lon": 9.0 + rng.uniform(-0.15, 0.15, n),
            "lat": 48.0 + rng.uniform(-0.1, 0.1, n),
            "visits_per_cycle": rng.choice([1, 2, 4], n),
            "service_minutes": 25.0,
        }
    )


def test_a_longer_search_never_returns_a_worse_plan() -> None:
    """More search rounds (same seed) give travel no longer, and no fewer visits."""
    customers = _spread_customers(30, seed=4)
    plans = [
        plan_routes(
            customers,
            _reps(),
            cycle=Cycle(weeks=2, days=5),
            time_limit=60,
            seed=3,
            options=PlanOptions(iterations=rounds),
        )
        for rounds in (20, 400)
    ]
    assert len(plans[1].visits) >= len(plans[0].visits)
    assert plans[1].stats["travel_minutes"] <= plans[0].stats["travel_minutes"] + 1e-6


def test_with_no_choice_of_rep_the_first_round_runs_to_the_end(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One rep: nothing can move between reps, so no second round restarts its search."""
    import territory.routing.planner.plan as planner

    def second_round(*args: object, **kwargs: object) -> None:
        raise AssertionError("a second round ran although no customer can change rep")

    monkeypatch.setattr(planner, "_second_round", second_round)
    seen: list[float] = []
    build_tasks = planner._build_tasks

    def record_budget(*args: object, **kwargs: object) -> object:
        seen.append(float(args[5]))  # type: ignore[arg-type]
        return build_tasks(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(planner, "_build_tasks", record_budget)
    plan = plan_routes(
        _spread_customers(12, seed=6),
        _reps(),
        cycle=Cycle(weeks=1, days=5),
        time_limit=20,
        options=PlanOptions(iterations=50),
    )
    assert plan.stats["search_rounds"] == 50
    # the first round's seconds reach past FIRST_ROUND_SHARE of the limit
    assert seen and seen[0] > planner.FIRST_ROUND_SHARE * 20


def test_stats_report_the_search_against_its_construction() -> None:
    """Stats hold the construction's travel, the final travel, rounds and phase seconds."""
    plan = plan_routes(
        _spread_customers(30, seed=5),
        _reps(),
        cycle=Cycle(weeks=2, days=5),
        time_limit=60,
        options=PlanOptions(iterations=200),
    )
    stats = plan.stats
    assert stats["search_rounds"] == 200
    assert stats["travel_minutes"] <= stats["construction_travel_minutes"] + 1e-6
    assert stats["travel_minutes"] == pytest.approx(plan.days["travel_minutes"].sum())
    assert set(stats["phase_seconds"]) == {"construction", "search", "polish"}


def test_options_must_be_plan_options() -> None:
    """A dict instead of PlanOptions is a validation error naming the argument."""
    with pytest.raises(ValidationError, match="options"):
        plan_routes(_spread_customers(3, 0), _reps(), options={"iterations": 5})  # type: ignore[arg-type]


def test_inputs_are_not_modified() -> None:
    """plan_routes leaves its input tables untouched."""
    customers = _customers([{"customer_id": "a", "lon": 9.01, "opens": "09:00"}])
    reps = _reps()
    before_c, before_r = customers.copy(), reps.copy()
    plan_routes(customers, reps, cycle=Cycle(weeks=1, days=1), time_limit=5)
    pd.testing.assert_frame_equal(customers, before_c)
    pd.testing.assert_frame_equal(reps, before_r)


def test_outputs_are_json_safe_and_geographic() -> None:
    """to_dict is JSON-safe; to_geodataframe has one home-to-home line per rep-day."""
    customers = _customers(
        [
            {"customer_id": c, "lon": 9.0 + 0.01 * k, "visits_per_cycle": 2}
            for k, c in enumerate("abc")
        ]
    )
    plan = plan_routes(customers, _reps(), cycle=Cycle(weeks=2, days=5), time_limit=10)
    data = plan.to_dict()
    assert json.loads(json.dumps(data))["visits_planned"] == 6
    routes = plan.to_geodataframe()
    assert len(routes) == len(plan.days) and routes.crs.to_epsg() == 4326
    first = routes.geometry.iloc[0]
    assert first.coords[0] == first.coords[-1] == HOME
    assert "visits planned" in plan.summary()


def test_plot_draws_one_rep() -> None:
    """Plot returns matplotlib axes with one line per rep-day of the week."""
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    customers = _customers([{"customer_id": c, "lon": 9.0 + 0.01 * k} for k, c in enumerate("ab")])
    plan = plan_routes(customers, _reps(), cycle=Cycle(weeks=1, days=5), time_limit=10)
    ax = plan.plot("r1")
    assert len(ax.lines) == len(plan.days) + 1  # one per rep-day plus the home marker
    plt.close("all")


def test_violations_catch_a_broken_plan() -> None:
    """A plan edited to arrive too early and skip a visit is reported, rule by rule."""
    customers = _customers([{"customer_id": "a", "lon": 9.05, "visits_per_cycle": 2}])
    plan = plan_routes(customers, _reps(), cycle=Cycle(weeks=2, days=5), time_limit=10)
    visits = plan.visits.copy()
    visits.loc[0, "arrival"] = 480.0
    broken = RoutePlan(
        visits=visits.iloc[:1],
        days=plan.days,
        unplanned=plan.unplanned,
        regularity=plan.regularity,
        cycle=plan.cycle,
        stats=plan.stats,
        customers=plan.customers,
        reps=plan.reps,
        travel=plan.travel,
    )
    problems = broken.violations()
    assert any("drive ends" in p for p in problems)
    assert any("1 planned + 0 missing != 2 required" in p for p in problems)
    assert not broken.is_feasible()


def test_invalid_requests_raise_clear_errors() -> None:
    """Empty tables, bad arguments and bad grades raise ValidationError."""
    good = _customers([{"customer_id": "a", "lon": 9.01}])
    with pytest.raises(ValidationError, match="customers: is empty"):
        plan_routes(good.iloc[:0], _reps())
    with pytest.raises(ValidationError, match="time_limit"):
        plan_routes(good, _reps(), time_limit=0)
    with pytest.raises(ValidationError, match="engine"):
        plan_routes(good, _reps(), engine="nope")
    with pytest.raises(ValidationError, match="grade"):
        plan_routes(good.assign(grade="Z"), _reps())
    with pytest.raises(ValidationError, match="visits_per_cycle"):
        plan_routes(good.drop(columns="visits_per_cycle"), _reps())
    with pytest.raises(ValidationError, match="nothing to plan"):
        plan_routes(good.assign(visits_per_cycle=0), _reps())
    with pytest.raises(ValidationError, match="weeks"):
        Cycle(weeks=0)


def test_impossible_requests_raise_infeasible() -> None:
    """No rep working in the cycle, or nothing reachable, raises InfeasibleError."""
    good = _customers([{"customer_id": "a", "lon": 9.01}])
    with pytest.raises(InfeasibleError, match="no rep works inside the cycle"):
        plan_routes(good, _reps(weekdays="Sat"))
    with pytest.raises(InfeasibleError, match="too_far 1"):
        plan_routes(good.assign(lon=20.0), _reps())


def test_customers_are_assigned_to_the_nearest_rep_with_room() -> None:
    """Without rep_id, customers go to the nearby rep; a fixed rep_id is kept."""
    reps = pd.DataFrame(
        {"rep_id": ["west", "east"], "home_lon": [9.0, 9.5], "home_lat": [48.0, 48.0]}
    )
    customers = _customers(
        [
            {"customer_id": "w", "lon": 9.01},
            {"customer_id": "e", "lon": 9.49},
            {"customer_id": "fixed", "lon": 9.02, "rep_id": "east"},
        ]
    )
    plan = plan_routes(customers, reps, cycle=Cycle(weeks=1, days=5), time_limit=10)
    rep_of = plan.visits.set_index("customer_id")["rep_id"].to_dict()
    assert rep_of == {"w": "west", "e": "east", "fixed": "east"}


def test_tiny_time_limit_still_gives_a_feasible_plan() -> None:
    """Without time for the engine, days keep improved insertion routes and stay feasible."""
    rng = np.random.default_rng(5)
    customers = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(40)],
            "lon": rng.uniform(8.9, 9.1, 40),
            "lat": rng.uniform(47.95, 48.05, 40),
            "visits_per_cycle": 1,
            "service_minutes": 20.0,
        }
    )
    plan = plan_routes(
        customers,
        _reps(),
        cycle=Cycle(weeks=1, days=2),
        time_limit=0.05,
        options=PlanOptions(polish=True),
    )
    assert plan.stats["days_without_engine"] > 0
    assert len(plan.visits) + int(plan.unplanned["visits_missing"].sum()) == 40
    assert plan.is_feasible()


def test_customers_left_over_at_a_full_rep_go_to_a_rep_with_time() -> None:
    """Customers the nearest rep cannot fit in their opening hours go to the next rep."""
    reps = pd.DataFrame(
        {"rep_id": ["near", "other"], "home_lon": [9.0, 9.05], "home_lat": [48.0, 48.0]}
    )
    customers = _customers(
        [
            {
                "customer_id": f"c{i}",
                "lon": 9.001 + 0.0005 * i,
                "opens": "09:00",
                "closes": "10:00",
                "service_minutes": 45,
            }
            for i in range(6)
        ]
    )
    plan = plan_routes(customers, reps, cycle=Cycle(weeks=1, days=1), time_limit=10)
    per_rep = plan.visits.groupby("rep_id").size().to_dict()
    assert per_rep == {"near": 2, "other": 2}
    assert plan.unplanned["visits_missing"].sum() == 2
    assert set(plan.unplanned["reason"]) == {"capacity"}
    assert plan.is_feasible()


def test_reps_over_capacity_never_plan_a_customer_beyond_its_visits() -> None:
    """More work than time: missing visits are listed, none is planned beyond its need."""
    rng = np.random.default_rng(2)
    n = 90
    customers = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(n)],
            "lon": 9.0 + rng.uniform(-0.2, 0.3, n),
            "lat": 48.0 + rng.uniform(-0.1, 0.1, n),
            "visits_per_cycle": rng.choice([1, 2, 4, 8], n),
            "service_minutes": 60.0,
            "grade": rng.choice(list("ABCD"), n),
        }
    )
    reps = pd.DataFrame({"rep_id": ["r1", "r2"], "home_lon": [9.0, 9.1], "home_lat": [48.0, 48.0]})
    plan = plan_routes(customers, reps, time_limit=60, options=PlanOptions(iterations=200))
    planned = plan.visits.groupby("customer_id").size()
    need = customers.set_index("customer_id")["visits_per_cycle"]
    assert (planned <= need.loc[planned.index]).all()
    assert len(plan.unplanned) > 0
    assert plan.violations() == []
