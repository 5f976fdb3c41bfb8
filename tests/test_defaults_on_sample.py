"""Every public entry point and every subcommand works with its defaults on the sample region.

Only what the caller must give is given (the tables, required keyword arguments, and a
short time budget); every other argument keeps its default. The tables come from
:func:`territory.datasets.sample_region` and from the stages before, as a new user
would chain them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from territory.cli import main
from territory.datasets import sample_region, simulate_execution, simulate_sales
from territory.demo import demo_grades
from territory.grading import (
    ParetoABC,
    RelationshipPotentialMatrix,
    RFMGrading,
    StableGrading,
    VisitPolicy,
    WeightedScore,
    calibrate,
    capacity_check,
)
from territory.routing import PlanOptions, plan_routes
from territory.territories import design_territories

CYCLE_START = "2027-01-04"  # the first Monday after the sample's sales history


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The sample region run through every stage with default arguments."""
    from territory.allocation import allocate

    region = sample_region(150, seed=0)
    grades = RelationshipPotentialMatrix().grade(region.customers, sales=region.sales)
    requirements = VisitPolicy.default().requirements(grades)
    customers = region.customers.merge(requirements, on="customer_id")
    territories = design_territories(customers, region.reps, balance={"workload": 0.1})
    customers["rep_id"] = customers["customer_id"].map(
        dict(
            zip(
                territories.assignment["customer_id"],
                territories.assignment["rep_id"],
                strict=True,
            )
        )
    )
    plan = plan_routes(customers, region.reps, time_limit=5, options=PlanOptions(iterations=20))
    hierarchy = customers.assign(region="north")
    allocation = allocate(
        1_000_000,
        hierarchy,
        levels=["region", "rep_id", "customer_id"],
        sales=region.sales,
        months=2027,
    )
    log = simulate_execution(plan.to_frame(), customers, cycle_start=CYCLE_START, seed=0)
    actuals = simulate_sales(
        region.sales,
        month="2027-01",
        seed=0,
        targets=allocation.to_frame(),
        hierarchy=hierarchy[["customer_id", "rep_id"]],
    )
    folder = tmp_path_factory.mktemp("sample")
    files = {
        "customers": region.customers,
        "reps": region.reps,
        "sales": region.sales,
        "route_input": customers,
        "hierarchy": hierarchy,
        "visits": plan.to_frame(),
        "visit_log": log,
        "targets": allocation.to_frame(),
        "sales_with_actuals": pd.concat([region.sales, actuals], ignore_index=True),
    }
    for name, table in files.items():
        table.to_csv(folder / f"{name}.csv", index=False)
    return {
        "region": region,
        "grades": grades,
        "requirements": requirements,
        "customers": customers,
        "plan": plan,
        "targets": allocation.to_frame(),
        "log": log,
        "sales": files["sales_with_actuals"],
        "hierarchy": hierarchy,
        "folder": folder,
    }


# -- grading ---------------------------------------------------------------------------------


def test_every_grading_scheme_with_defaults(pipeline: dict[str, Any]) -> None:
    """Matrix, Pareto, RFM and weighted grading run on the sample tables as they are."""
    region = pipeline["region"]
    for grades in (
        RelationshipPotentialMatrix().grade(region.customers, sales=region.sales),
        ParetoABC().grade(region.customers, region.sales),
        RFMGrading().grade(region.customers, region.sales),
        WeightedScore({"potential": 1.0}).grade(region.customers),
    ):
        assert len(grades) == len(region.customers)
        assert set(grades.table["grade"]) <= {"A", "B", "C", "D"}
        assert isinstance(grades.summary(), str)


def test_rfm_on_monthly_sales_gives_every_grade(pipeline: dict[str, Any]) -> None:
    """RFM on the sample's monthly sales gives A customers (and every other grade)."""
    region = pipeline["region"]
    grades = RFMGrading().grade(region.customers, region.sales)
    counts = grades.by_grade().set_index("grade")["customers"]
    assert (counts > 0).all(), counts.to_dict()
    assert grades.parameters["components"] == ["monetary"]  # recency and frequency all tie


def test_grading_helpers_with_defaults(pipeline: dict[str, Any]) -> None:
    """Stable grading, the capacity check, calibration and the demo grades run as they are."""
    region = pipeline["region"]
    grades = pipeline["grades"]
    before = grades.to_frame()[["customer_id", "grade"]]
    assert len(StableGrading().apply(grades, before)) == len(grades)
    requirements = pipeline["requirements"]
    check = capacity_check(requirements, region.customers, region.reps)
    assert check.capacity_minutes > 0
    assert VisitPolicy.default().capacity_check(requirements, region.customers, region.reps)
    policy = VisitPolicy.default()
    assert calibrate(requirements, region.customers, region.reps, policy=policy).after
    assert len(demo_grades(region)[1]) == len(region.customers)


# -- territories, routes, targets ------------------------------------------------------------


def test_pipeline_stages_ran(pipeline: dict[str, Any]) -> None:
    """Territories, routes and targets were made with their defaults (see the fixture)."""
    assert pipeline["customers"]["rep_id"].notna().all()
    assert len(pipeline["plan"].visits) > 0
    targets = pipeline["targets"]
    assert (
        targets.loc[(targets["level"] == "region") & (targets["period"] == "year"), "value"].sum()
        == 1_000_000
    )


def test_allocate_with_default_months(pipeline: dict[str, Any]) -> None:
    """Allocation plans the 12 months after the sales history when no months are given."""
    from territory.allocation import allocate

    allocation = allocate(
        500_000,
        pipeline["hierarchy"],
        levels=["region", "rep_id", "customer_id"],
        sales=pipeline["region"].sales,
    )
    months = sorted(set(allocation.to_frame()["period"]) - {"year"})
    assert months[0] == "2026-11" and len(months) == 12


# -- review ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reviews(pipeline: dict[str, Any]) -> dict[str, Any]:
    """Achievement and execution reviews of the simulated January, with defaults."""
    from territory.review import target_achievement, visit_execution

    achievement = target_achievement(pipeline["targets"], pipeline["sales"], pipeline["hierarchy"])
    execution = visit_execution(
        pipeline["plan"].to_frame(), pipeline["log"], cycle_start=CYCLE_START
    )
    return {"achievement": achievement, "execution": execution}


def test_rep_criteria_and_scorecard_default_level(
    pipeline: dict[str, Any], reviews: dict[str, Any]
) -> None:
    """rep_criteria finds the reps at level rep_id (the column name) by default."""
    from territory.review import rep_criteria, rep_scorecard

    criteria = rep_criteria(reviews["achievement"], reviews["execution"])
    assert set(criteria["rep_id"]) == set(pipeline["customers"]["rep_id"])
    assert len(rep_scorecard(criteria).table) == len(criteria)


def test_review_charts_and_maps_with_defaults(
    pipeline: dict[str, Any], reviews: dict[str, Any]
) -> None:
    """The charts and maps draw with their defaults."""
    pytest.importorskip("matplotlib")
    pytest.importorskip("folium")
    from territory.review import (
        achievement_chart,
        compliance_heatmap,
        customer_map,
        grade_mix_chart,
        route_map,
    )

    assert achievement_chart(reviews["achievement"]) is not None
    assert compliance_heatmap(reviews["execution"]) is not None
    assert grade_mix_chart(pipeline["customers"]) is not None
    assert customer_map(pipeline["customers"]) is not None
    rep_id = str(pipeline["plan"].visits["rep_id"].iloc[0])
    region = pipeline["region"]
    assert route_map(pipeline["plan"].to_frame(), region.customers, region.reps, rep_id=rep_id)


def test_audit_and_write_review_with_defaults(pipeline: dict[str, Any], tmp_path: Path) -> None:
    """The audit sample and the whole review run with their defaults."""
    from territory.review import audit_sample, write_review

    customers = pipeline["customers"]
    sample = audit_sample(
        pipeline["log"], customers[["customer_id", "grade"]], month="2027-01", seed=0
    )
    assert len(sample.to_frame()) > 0
    report = write_review(
        tmp_path / "review",
        visits=pipeline["plan"].to_frame(),
        visit_log=pipeline["log"],
        customers=pipeline["hierarchy"],
        reps=pipeline["region"].reps,
        targets=pipeline["targets"],
        sales=pipeline["sales"],
        cycle_start=CYCLE_START,
        seed=0,
        pictures=False,
    )
    assert report.files


# -- command line ----------------------------------------------------------------------------


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    status = main(argv)
    captured = capsys.readouterr()
    assert status == 0, captured.err
    return captured.out


def test_cli_grade_defaults(
    pipeline: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`territory grade` (matrix) and `--scheme rfm` work on the sample; RFM gives A customers."""
    d = pipeline["folder"]
    base = ["grade", "--customers", str(d / "customers.csv"), "--sales", str(d / "sales.csv")]
    _run([*base, "--out", str(tmp_path / "matrix")], capsys)
    _run([*base, "--scheme", "rfm", "--out", str(tmp_path / "rfm")], capsys)
    grades = pd.read_csv(tmp_path / "rfm" / "grades.csv")
    assert (grades["grade"] == "A").any()


def test_cli_territories_default_balance(
    pipeline: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`territory territories` with its default --balance works on the raw customers table."""
    d = pipeline["folder"]
    argv = ["territories", "--customers", str(d / "customers.csv"), "--reps", str(d / "reps.csv")]
    _run([*argv, "--out", str(tmp_path / "raw")], capsys)
    argv[2] = str(d / "route_input.csv")  # with visit requirements: balanced on workload
    out = _run([*argv, "--out", str(tmp_path / "planned")], capsys)
    assert "workload" in out


def test_cli_plan_allocate_review_defaults(
    pipeline: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`plan`, `allocate` and `review` work with their defaults on the sample tables."""
    d = pipeline["folder"]
    _run(
        [
            "plan",
            "--customers",
            str(d / "route_input.csv"),
            "--reps",
            str(d / "reps.csv"),
            "--time-limit",
            "5",
            "--out",
            str(tmp_path / "plan"),
        ],
        capsys,
    )
    assert (tmp_path / "plan" / "visits.csv").exists()
    hierarchy = ["--hierarchy", str(d / "hierarchy.csv"), "--sales", str(d / "sales.csv")]
    levels = ["--levels", "region,rep_id,customer_id"]
    _run(
        ["allocate", "--target", "1000000", *hierarchy, *levels, "--out", str(tmp_path / "a")],
        capsys,
    )
    _run(
        [
            "allocate",
            "--target",
            "1000000",
            *hierarchy,
            *levels,
            "--year",
            "2027",
            "--out",
            str(tmp_path / "a2027"),
        ],
        capsys,
    )
    review = [
        "review",
        "--visits",
        str(d / "visits.csv"),
        "--log",
        str(d / "visit_log.csv"),
        "--customers",
        str(d / "hierarchy.csv"),
        "--reps",
        str(d / "reps.csv"),
        "--sales",
        str(d / "sales_with_actuals.csv"),
        "--cycle-start",
        CYCLE_START,
        "--no-pictures",
    ]
    targets = str(tmp_path / "a2027" / "targets.csv")
    _run([*review, "--targets", targets, "--out", str(tmp_path / "review")], capsys)
    # Targets over two calendar years (the default months) need the plan year: --year.
    two_years = str(tmp_path / "a" / "targets.csv")
    argv = [*review, "--targets", two_years, "--year", "2027", "--out", str(tmp_path / "r2")]
    _run(argv, capsys)


def test_more_review_functions_with_defaults(
    pipeline: dict[str, Any], reviews: dict[str, Any]
) -> None:
    """Area criteria, month pace, the stop rule and the plan calendar run as they are."""
    from territory.review import (
        area_criteria,
        month_pace,
        plan_calendar,
        stop_rule,
        visit_execution,
    )

    reps = pipeline["region"].reps
    execution = visit_execution(
        pipeline["plan"].to_frame(), pipeline["log"], cycle_start=CYCLE_START, reps=reps
    )
    areas = area_criteria(reviews["achievement"], execution, reps=reps)
    assert areas["achievement"].notna().any()
    pace = month_pace(
        pipeline["targets"], pipeline["sales"], pipeline["hierarchy"], as_of="2027-01-15"
    )
    assert pace.summary()
    assert stop_rule(pipeline["log"]).summary()
    calendar = plan_calendar(pipeline["plan"].to_frame(), cycle_start=CYCLE_START)
    assert len(calendar) == len(pipeline["plan"].visits)


def test_allocation_helpers_with_defaults(pipeline: dict[str, Any]) -> None:
    """Activity targets run on allocate's yearly rep targets with their defaults."""
    from territory.allocation import activity_targets

    targets = pipeline["targets"]
    yearly = targets[(targets["level"] == "rep_id") & (targets["period"] == "year")]
    activity = activity_targets(yearly.rename(columns={"unit": "rep_id"}), conversion=0.3)
    assert set(activity["rep_id"]) <= set(pipeline["customers"]["rep_id"])


def test_renamed_arguments_still_work_with_a_warning(tmp_path: Path) -> None:
    """sample_region(center=) and run_demo(route_seconds=) warn and do what the new names do."""
    from territory.demo import run_demo

    with pytest.warns(DeprecationWarning, match="use centre"):
        old = sample_region(30, seed=1, center=(25.0, 60.0))
    new = sample_region(30, seed=1, centre=(25.0, 60.0))
    pd.testing.assert_frame_equal(old.customers, new.customers)
    assert abs(new.customers["lon"].mean() - 25.0) < 1.0
    with pytest.warns(DeprecationWarning, match="use time_limit"):
        result = run_demo(tmp_path / "demo", n_customers=30, route_seconds=1)
    assert "visits.csv" in result.files
