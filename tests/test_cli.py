"""End-to-end tests of the territory command."""

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from territory.cli import main
from territory.io import read_table


def test_help_lists_commands(capsys) -> None:  # type: ignore[no-untyped-def]
    """`territory --help` lists the demo command."""
    try:
        main(["--help"])
    except SystemExit as exc:
        assert exc.code == 0
    assert "demo" in capsys.readouterr().out


def test_demo_writes_tables_and_map(tmp_path: Path) -> None:
    """The demo, run as a real process, writes every stage's tables; review runs on them."""
    out = tmp_path / "demo"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "territory.cli",
            "demo",
            "--out",
            str(out),
            "--n-customers",
            "300",
            "--time-limit",
            "10",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "300 customers" in result.stdout
    for name in (
        "customers.csv",
        "customers.parquet",
        "reps.csv",
        "dealers.csv",
        "sales.csv",
        "region_map.html",
    ):
        assert (out / name).exists(), name
    for name in (
        "grades.csv",
        "territories.geojson",
        "visits.csv",
        "routes.geojson",
        "route_map.html",
        "targets.csv",
        "visit_log.csv",
        "review/review_scorecard.csv",
    ):
        assert (out / name).exists(), name
    status = main(
        [
            "review",
            "--visits",
            str(out / "visits.csv"),
            "--log",
            str(out / "visit_log.csv"),
            "--customers",
            str(out / "route_input.csv"),
            "--reps",
            str(out / "reps.csv"),
            "--targets",
            str(out / "targets.csv"),
            "--sales",
            str(out / "sales_with_actuals.csv"),
            "--cycle-start",
            "2027-01-04",
            "--no-pictures",
            "--out",
            str(tmp_path / "review"),
        ]
    )
    assert status == 0
    assert (tmp_path / "review" / "review_execution_by_rep.csv").exists()


def test_user_error_exits_2_without_traceback(capsys, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A bad request prints the message and exits 2, never a traceback."""
    status = main(["demo", "--n-customers", "3", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert status == 2
    assert "at least 20" in err
    assert "Traceback" not in err


def test_grade_command_writes_requirements(tmp_path: Path) -> None:
    """`territory grade` reads CSV tables and writes grades and requirements."""
    from territory.datasets import sample_region

    region = sample_region(200, seed=0)
    region.customers.to_csv(tmp_path / "customers.csv", index=False)
    region.sales.to_csv(tmp_path / "sales.csv", index=False)
    status = main(
        [
            "grade",
            "--customers",
            str(tmp_path / "customers.csv"),
            "--sales",
            str(tmp_path / "sales.csv"),
            "--scheme",
            "pareto",
            "--out",
            str(tmp_path / "out"),
        ]
    )
    assert status == 0
    requirements = pd.read_csv(tmp_path / "out" / "visit_requirements.csv")
    assert len(requirements) == 200
    assert set(requirements["grade"]) <= {"A", "B", "C", "D"}


def test_grade_command_bad_input_exits_2(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """Duplicate ids in the input file give exit 2 and the validation message."""
    (tmp_path / "c.csv").write_text(
        "customer_id,lon,lat,relationship,potential\na,1,2,3,100\na,1,2,4,200\n"
    )
    status = main(["grade", "--customers", str(tmp_path / "c.csv"), "--out", str(tmp_path)])
    assert status == 2
    assert "duplicate ids (customer_id: 'a')" in capsys.readouterr().err


def test_allocate_command(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """`territory allocate` splits a target exactly; infeasible bounds exit 2 with numbers."""
    from territory.datasets import sample_region

    region = sample_region(150, seed=0)
    hierarchy = region.customers.assign(region="R", team=region.customers["dealer_id"].fillna("co"))
    hierarchy.to_csv(tmp_path / "h.csv", index=False)
    region.sales.to_csv(tmp_path / "sales.csv", index=False)
    base = [
        "allocate",
        "--hierarchy",
        str(tmp_path / "h.csv"),
        "--levels",
        "region,team,customer_id",
        "--sales",
        str(tmp_path / "sales.csv"),
        "--out",
        str(tmp_path / "out"),
    ]
    assert main([*base, "--target", "1000000"]) == 0
    targets = pd.read_csv(tmp_path / "out" / "targets.csv")
    year = targets[(targets["period"] == "year") & (targets["level"] == "customer_id")]
    assert year["value"].sum() == 1_000_000
    assert main([*base, "--target", "10", "--growth=-0.1,0.3", "--force"]) == 2
    assert "sum of minima" in capsys.readouterr().err


def test_allocate_crossing_splits_a_rep_under_two_dealers(tmp_path: Path) -> None:
    """`--crossing rep_id` allocates a rep serving two dealers' stores on pairs, exactly."""
    hierarchy = pd.DataFrame(
        {
            "dealer_id": ["D1", "D1", "D2"],
            "rep_id": ["R1", "R2", "R1"],
            "customer_id": ["C1", "C2", "C3"],
            "potential": [100.0, 300.0, 600.0],
        }
    )
    hierarchy.to_csv(tmp_path / "h.csv", index=False)
    base = ["allocate", "--target", "1000", "--hierarchy", str(tmp_path / "h.csv")]
    base += ["--levels", "dealer_id,rep_id,customer_id", "--potential", "potential"]
    base += ["--methods", "potential", "--year", "2027", "--out", str(tmp_path / "out")]
    assert main(base) == 2  # R1 under two dealers needs --crossing
    assert main([*base, "--crossing", "rep_id"]) == 0
    targets = pd.read_csv(tmp_path / "out" / "targets.csv")
    year = targets[targets["period"] == "year"]
    stores = year[year["level"] == "customer_id"].set_index("unit")["value"].to_dict()
    assert stores == {"C1": 100.0, "C2": 300.0, "C3": 600.0}
    reps = year[year["level"] == "rep_id"].set_index("unit")["value"].to_dict()
    assert reps == {"R1": 700.0, "R2": 300.0}


def _planning_inputs(tmp_path: Path) -> tuple[Path, Path]:
    from territory.datasets import sample_region
    from territory.demo import demo_grades

    region = sample_region(120, seed=0)
    _, requirements = demo_grades(region)
    customers = region.customers.merge(requirements, on="customer_id")
    customers["workload"] = customers["visits_per_cycle"] * customers["service_minutes"]
    customers.to_csv(tmp_path / "customers.csv", index=False)
    region.reps.to_csv(tmp_path / "reps.csv", index=False)
    return tmp_path / "customers.csv", tmp_path / "reps.csv"


def test_territories_command(tmp_path: Path) -> None:
    """`territory territories` assigns every customer once and writes GeoJSON areas."""
    customers, reps = _planning_inputs(tmp_path)
    status = main(
        [
            "territories",
            "--customers",
            str(customers),
            "--reps",
            str(reps),
            "--balance",
            "workload=0.1,count=0.2",
            "--out",
            str(tmp_path / "t"),
            "--format",
            "geojson",
        ]
    )
    assert status == 0
    assignment = read_table(tmp_path / "t" / "assignment.geojson")
    assert sorted(assignment["customer_id"]) == sorted(pd.read_csv(customers)["customer_id"])
    assert set(assignment.geom_type) == {"Point"}  # customers located
    shapes = read_table(tmp_path / "t" / "territories.geojson")
    assert set(shapes.geom_type) <= {"Polygon", "MultiPolygon"}
    assert sorted(p.name for p in (tmp_path / "t").iterdir()) == [
        "assignment.geojson",
        "territories.geojson",
    ]


def test_plan_command(tmp_path: Path) -> None:
    """`territory plan` writes visits, days and unplanned; every visit accounted for."""
    customers, reps = _planning_inputs(tmp_path)
    status = main(
        [
            "plan",
            "--customers",
            str(customers),
            "--reps",
            str(reps),
            "--time-limit",
            "5",
            "--quiet",
            "--out",
            str(tmp_path / "p"),
        ]
    )
    assert status == 0
    visits = pd.read_csv(tmp_path / "p" / "visits.csv")
    unplanned = pd.read_csv(tmp_path / "p" / "unplanned.csv")
    required = int(pd.read_csv(customers)["visits_per_cycle"].sum())
    missing = int(unplanned["visits_missing"].sum()) if len(unplanned) else 0
    assert len(visits) + missing == required


def test_plan_command_replans_from_previous_output(tmp_path: Path) -> None:
    """`territory plan --previous DIR` keeps last cycle's days and writes changes.csv."""
    customers, reps = _planning_inputs(tmp_path)
    common = ["plan", "--customers", str(customers), "--reps", str(reps), "--quiet"]
    common += ["--time-limit", "30", "--iterations", "100"]
    assert main([*common, "--out", str(tmp_path / "first")]) == 0
    assert (
        main([*common, "--previous", str(tmp_path / "first"), "--out", str(tmp_path / "next")]) == 0
    )
    first = pd.read_csv(tmp_path / "first" / "visits.csv")
    again = pd.read_csv(tmp_path / "next" / "visits.csv")

    def days(visits: pd.DataFrame) -> dict[str, list[int]]:
        return {c: sorted(g["day"]) for c, g in visits.groupby("customer_id")}

    assert days(again) == days(first)
    changes = pd.read_csv(tmp_path / "next" / "changes.csv")
    assert not changes.get("days_changed", pd.Series(dtype=bool)).any()


def test_plan_command_bad_reps_exit_2(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """A reps table without home location exits 2 naming the column."""
    customers, reps = _planning_inputs(tmp_path)
    pd.read_csv(reps).drop(columns=["home_lat"]).to_csv(reps, index=False)
    status = main(
        ["plan", "--customers", str(customers), "--reps", str(reps), "--out", str(tmp_path / "p")]
    )
    assert status == 2
    assert "reps: column 'home_lat' is missing" in capsys.readouterr().err


def _grade_inputs(tmp_path: Path) -> list[str]:
    """A small matrix-grading command (relationship x potential), without --out."""
    (tmp_path / "c.csv").write_text(
        "customer_id,lon,lat,relationship,potential\na,9,48,5,900\nb,9.1,48.1,2,100\n"
    )
    return ["grade", "--customers", str(tmp_path / "c.csv")]


def test_existing_outputs_are_refused_without_force(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """A second run into the same folder exits 2 naming the files; --force replaces them."""
    command = [*_grade_inputs(tmp_path), "--out", str(tmp_path / "out")]
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "grades.csv").write_text("old\n")
    assert main(command) == 2
    err = capsys.readouterr().err
    assert "refusing to overwrite 1 existing file" in err and "'grades.csv'" in err
    assert "--force" in err
    assert (tmp_path / "out" / "grades.csv").read_text() == "old\n"
    assert not (tmp_path / "out" / "visit_requirements.csv").exists()
    assert main([*command, "--force"]) == 0
    assert pd.read_csv(tmp_path / "out" / "grades.csv")["grade"].tolist() == ["A", "D"]


def test_failed_write_leaves_previous_outputs_intact(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """An output that cannot be written (a folder in its place) changes no other output."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "grades.csv").write_text("old grades\n")
    (out / "visit_requirements.csv").mkdir()  # a folder where a file is expected
    status = main([*_grade_inputs(tmp_path), "--out", str(out), "--force"])
    assert status == 2
    assert "Traceback" not in capsys.readouterr().err
    assert (out / "grades.csv").read_text() == "old grades\n"
    assert sorted(p.name for p in out.iterdir()) == ["grades.csv", "visit_requirements.csv"]


def test_interrupted_write_leaves_previous_outputs_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash between two renames puts the first file back: old outputs stay complete."""
    import os

    import territory.io

    out = tmp_path / "out"
    command = [*_grade_inputs(tmp_path), "--out", str(out)]
    assert main(command) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    (tmp_path / "c.csv").write_text(
        "customer_id,lon,lat,relationship,potential\na,9,48,1,10\nb,9.1,48.1,5,999\n"
    )
    real_replace = os.replace
    calls = {"n": 0}

    def failing_replace(src: object, dst: object) -> None:
        calls["n"] += 1
        if calls["n"] == 4:  # backup 1, rename 1, backup 2, then the second rename dies
            raise KeyboardInterrupt
        real_replace(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(territory.io.os, "replace", failing_replace)
    assert main([*command, "--force"]) == 130  # interrupted: one line, no traceback
    monkeypatch.setattr(territory.io.os, "replace", real_replace)
    after = {p.name: p.read_bytes() for p in out.iterdir()}
    assert after == before


def test_demo_refuses_existing_outputs_before_work(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """`territory demo` into a folder with an earlier demo exits 2 at once; nothing changes."""
    out = tmp_path / "demo"
    out.mkdir()
    (out / "customers.csv").write_text("mine\n")
    assert main(["demo", "--n-customers", "300", "--out", str(out)]) == 2
    assert "refusing to overwrite" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["customers.csv"]
    assert (out / "customers.csv").read_text() == "mine\n"


def test_failed_demo_leaves_folder_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A demo that fails part-way writes nothing and leaves no temporary files."""
    import territory.demo

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("stage failed")

    monkeypatch.setattr(territory.demo, "_grading_stage", broken)
    out = tmp_path / "demo"
    out.mkdir()
    (out / "notes.txt").write_text("keep\n")
    with pytest.raises(RuntimeError, match="stage failed"):
        territory.demo.run_demo(out, n_customers=100, overwrite=True)
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


def test_serve_refuses_public_bind_without_key(monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # type: ignore[no-untyped-def]
    """`territory serve --host 0.0.0.0` without TERRITORY_API_KEY exits 2 before serving."""
    monkeypatch.delenv("TERRITORY_API_KEY", raising=False)
    assert main(["serve", "--host", "0.0.0.0", "--port", "1"]) == 2
    assert "--insecure" in capsys.readouterr().err


def test_version_and_global_flags_anywhere(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """--version prints the version; -v and -q work before and after the subcommand."""
    from territory import __version__

    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"territory {__version__}"
    command = _grade_inputs(tmp_path)
    assert main(["-v", *command, "--out", str(tmp_path / "a")]) == 0
    assert main([*command, "-v", "--out", str(tmp_path / "b")]) == 0
    assert main([*command, "--out", str(tmp_path / "c"), "-q", "--verbose"]) == 0
    assert capsys.readouterr().err == ""  # nothing to log for two customers


def test_deprecated_flags_still_work_with_a_note(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """Old flag names (--history on allocate) work and say which name replaces them."""
    from territory.datasets import sample_region

    region = sample_region(60, seed=0)
    hierarchy = region.customers.assign(region="R")
    hierarchy.to_csv(tmp_path / "h.csv", index=False)
    region.sales.to_csv(tmp_path / "sales.csv", index=False)
    argv = ["allocate", "--target", "1000", "--hierarchy", str(tmp_path / "h.csv")]
    argv += ["--levels", "region,customer_id", "--history", str(tmp_path / "sales.csv")]
    assert main([*argv, "--out", str(tmp_path / "out")]) == 0
    assert "--history is deprecated; use --sales" in capsys.readouterr().err


@pytest.mark.parametrize("fmt", ["csv", "parquet", "geoparquet", "geojson", "gpkg", "xlsx"])
def test_grade_writes_every_offered_format(tmp_path: Path, fmt: str) -> None:
    """Every --format that grade offers writes both tables; geo formats carry the points."""
    from territory.io import FORMATS

    assert main([*_grade_inputs(tmp_path), "--out", str(tmp_path / "out"), "--format", fmt]) == 0
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == [f"grades{FORMATS[fmt]}", f"visit_requirements{FORMATS[fmt]}"]
    grades = read_table(tmp_path / "out" / f"grades{FORMATS[fmt]}")
    assert grades["customer_id"].tolist() == ["a", "b"]
    if fmt not in ("csv", "xlsx"):
        assert set(grades.geom_type) == {"Point"}


def test_allocate_offers_table_formats_only(tmp_path: Path) -> None:
    """Targets have no location: allocate offers CSV, Parquet and Excel, and they work."""
    from territory.cli import build_parser

    actions = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    fmt_action = next(a for a in actions["allocate"]._actions if a.dest == "format")
    assert tuple(fmt_action.choices) == ("csv", "parquet", "xlsx")
    hierarchy = pd.DataFrame({"customer_id": ["a", "b"], "region": "R", "potential": [3, 1]})
    hierarchy.to_csv(tmp_path / "h.csv", index=False)
    for fmt in fmt_action.choices:
        argv = ["allocate", "--target", "10", "--hierarchy", str(tmp_path / "h.csv")]
        argv += ["--levels", "region,customer_id", "--year", "2027", "--methods", "potential"]
        argv += ["--potential", "potential"]
        assert main([*argv, "--out", str(tmp_path / fmt), "--format", fmt]) == 0, fmt
        targets = read_table(next((tmp_path / fmt).iterdir()))
        assert targets.loc[targets["period"] == "year", "value"].sum() == 20  # two levels


def test_territories_parquet_keeps_polygons(tmp_path: Path) -> None:
    """With --format parquet, territories keeps the territory polygons (GeoParquet)."""
    customers, reps = _planning_inputs(tmp_path)
    argv = ["territories", "--customers", str(customers), "--reps", str(reps)]
    assert main([*argv, "--out", str(tmp_path / "t"), "--format", "parquet"]) == 0
    shapes = read_table(tmp_path / "t" / "territories.parquet")
    assert set(shapes.geom_type) <= {"Polygon", "MultiPolygon"}
    assert "workload_deviation" in shapes.columns  # balanced on workload by default


def test_plan_geojson_writes_geojson(tmp_path: Path) -> None:
    """With --format geojson, plan writes every table as GeoJSON and the routes as lines."""
    customers, reps = _planning_inputs(tmp_path)
    argv = ["plan", "--customers", str(customers), "--reps", str(reps), "--iterations", "5"]
    assert (
        main([*argv, "--time-limit", "5", "--out", str(tmp_path / "p"), "--format", "geojson"]) == 0
    )
    names = sorted(p.name for p in (tmp_path / "p").iterdir())
    assert names == ["days.geojson", "routes.geojson", "unplanned.geojson", "visits.geojson"]
    assert set(read_table(tmp_path / "p" / "routes.geojson").geom_type) == {"LineString"}
    assert set(read_table(tmp_path / "p" / "visits.geojson").geom_type) == {"Point"}


def test_demo_and_subcommands_share_file_names() -> None:
    """The demo writes each stage's files under the names the subcommands use."""
    from territory.demo import DEMO_OUTPUTS
    from territory.io import OUTPUT_NAMES

    for stage, stems in OUTPUT_NAMES.items():
        for stem in stems:
            name = "routes.geojson" if stem == "routes" else f"{stem}.csv"
            assert name in DEMO_OUTPUTS, (stage, name)


def _plan_inputs(tmp_path: Path) -> list[str]:
    """Two reps, three stores, tea 1000 and juice 100 a month through 2026."""
    hierarchy = pd.DataFrame(
        {
            "rep_id": ["R1", "R1", "R2"],
            "customer_id": ["C1", "C2", "C3"],
            "market": [1000.0, 1000.0, 2000.0],
        }
    )
    hierarchy.to_csv(tmp_path / "h.csv", index=False)
    monthly = {"C1": (100.0, 50.0), "C2": (300.0, 0.0), "C3": (600.0, 50.0)}
    sales = pd.DataFrame(
        [
            {"customer_id": c, "month": f"2026-{m:02d}", "line": line, "sales": v, "qty": v / 10}
            for m in range(1, 13)
            for c, (tea, juice) in monthly.items()
            for line, v in (("tea", tea), ("juice", juice))
        ]
    )
    sales.to_csv(tmp_path / "sales.csv", index=False)
    return [
        "allocate-plan",
        "--hierarchy",
        str(tmp_path / "h.csv"),
        "--levels",
        "rep_id,customer_id",
        "--sales",
        str(tmp_path / "sales.csv"),
        "--year",
        "2027",
    ]


def test_allocate_plan_command_splits_measures_and_lines(tmp_path: Path) -> None:
    """`territory allocate-plan`: two measures over tea/juice and a new line, exact totals."""
    argv = [*_plan_inputs(tmp_path), "--product-column", "line"]
    argv += ["--measure", "value=2200", "--measure", "quantity=220:qty"]
    argv += ["--new-product", "soda=0.1:juice", "--out", str(tmp_path / "out")]
    assert main(argv) == 0
    lines = pd.read_csv(tmp_path / "out" / "target_lines.csv")
    got = lines.set_index(["measure", "product_line"])["target"].to_dict()
    assert got == {
        ("value", "soda"): 220.0,
        ("value", "tea"): 1800.0,  # 1980 by history 12000 : 1200
        ("value", "juice"): 180.0,
        ("quantity", "soda"): 22.0,
        ("quantity", "tea"): 180.0,
        ("quantity", "juice"): 18.0,
    }
    targets = pd.read_csv(tmp_path / "out" / "targets.csv")
    year = targets[targets["period"] == "year"]
    for level in ("rep_id", "customer_id"):
        sums = year[year["level"] == level].groupby("measure")["value"].sum().to_dict()
        assert sums == {"quantity": 220.0, "value": 2200.0}
    months = targets[(targets["period"] != "year") & (targets["level"] == "customer_id")]
    assert months.groupby("measure")["value"].sum().to_dict() == {
        "quantity": 220.0,
        "value": 2200.0,
    }
    # tea by history: R1 has 400 of 1000 a month, so 720 of 1800
    tea = year[(year["product_line"] == "tea") & (year["measure"] == "value")]
    assert tea.set_index("unit").loc["R1", "value"] == 720.0


def test_allocate_plan_market_share_and_formats(tmp_path: Path) -> None:
    """--market-share 0.25 of a market of 4000 is 1000; every table format works."""
    argv = [*_plan_inputs(tmp_path), "--market-share", "share=0.25:market"]
    for fmt in ("csv", "parquet", "xlsx"):
        assert main([*argv, "--out", str(tmp_path / fmt), "--format", fmt]) == 0, fmt
        targets = read_table(tmp_path / fmt / f"targets.{'xlsx' if fmt == 'xlsx' else fmt}")
        year = targets[(targets["period"] == "year") & (targets["level"] == "rep_id")]
        # 1000 by history 450 : 650 a month (all lines): 409.09 and 590.91, rounded
        assert year.set_index("unit")["value"].to_dict() == {"R1": 409.0, "R2": 591.0}
        assert set(year["measure"]) == {"share"}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--measure", "value"], "NAME=TARGET"),
        (["--measure", "value=-3"], "0 or more"),
        (["--measure", "value=lots"], "expected a number"),
        (["--market-share", "share=2:market"], "(0, 1]"),
        (["--market-share", "share=0.2"], "NAME=SHARE:MARKET"),
        (["--measure", "v=1", "--new-product", "soda=1.5"], "[0, 1)"),
        (["--measure", "v=1", "--new-product", "soda=0.1"], "--product-column"),
        (["--measure", "v=1", "--measure", "v=2"], "distinct"),
        ([], "at least one --measure"),
        (["--measure", "v=100:nowhere"], "nowhere"),
        (
            [
                *["--measure", "v=100", "--product-column", "line"],
                *["--new-product", "a=0.9", "--new-product", "b=0.5"],
            ],
            "new products take",
        ),
    ],
)
def test_allocate_plan_bad_input_exits_2(  # type: ignore[no-untyped-def]
    tmp_path: Path, capsys, extra: list[str], message: str
) -> None:
    """Every user error of allocate-plan exits 2 with one message and writes nothing."""
    argv = [*_plan_inputs(tmp_path), *extra, "--out", str(tmp_path / "out")]
    try:
        status = main(argv)
    except SystemExit as exc:
        status = int(exc.code or 0)
    err = capsys.readouterr().err
    assert status == 2, err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()
