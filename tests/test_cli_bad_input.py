"""Every subcommand on bad input: exit status 2, one clear message, never a traceback."""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from territory.cli import main
from territory.demo import run_demo

#: Each subcommand with valid arguments on the demo folder (``{d}``), output in ``{o}``.
VALID = {
    "grade": ["grade", "--customers", "{d}/customers.csv", "--sales", "{d}/sales.csv"],
    "plan": ["plan", "--customers", "{d}/route_input.csv", "--reps", "{d}/reps.csv"],
    "territories": ["territories", "--customers", "{d}/customers.csv", "--reps", "{d}/reps.csv"],
    "allocate": [
        "allocate",
        "--target",
        "1000000",
        "--hierarchy",
        "{d}/route_input.csv",
        "--levels",
        "region,team,rep_id,customer_id",
        "--sales",
        "{d}/sales.csv",
    ],
    "allocate-plan": [
        "allocate-plan",
        "--hierarchy",
        "{d}/route_input.csv",
        "--levels",
        "region,team,rep_id,customer_id",
        "--sales",
        "{d}/sales.csv",
        "--measure",
        "value=1000000",
    ],
    "review": [
        "review",
        "--visits",
        "{d}/visits.csv",
        "--log",
        "{d}/visit_log.csv",
        "--customers",
        "{d}/route_input.csv",
        "--reps",
        "{d}/reps.csv",
        "--targets",
        "{d}/targets.csv",
        "--sales",
        "{d}/sales_with_actuals.csv",
        "--cycle-start",
        "2027-01-04",
        "--no-pictures",
    ],
}

#: Every flag that names an input table, per subcommand.
FILE_FLAGS = [
    (command, flag)
    for command, argv in VALID.items()
    for flag, value in itertools.pairwise(argv)
    if value.startswith("{d}/")
]

#: Bad table files: name -> content.
BAD_FILES = {
    "empty.csv": b"",
    "blank.csv": b"\n\n",
    "latin1.csv": b"customer_id,lon,lat\nK\xf6ln,9.1,48.7\n",
    "malformed.csv": b'customer_id,lon,lat\n"C1,9.1,48.7\n',
    "ragged.csv": b"customer_id,lon,lat\nC1,9.1,48.7,5,6\n",
    "wrong_table.csv": b"colour,size\nred,3\n",
    "not_parquet.parquet": b"this is not parquet\n",
    "notes.txt": b"hello\n",
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo folder: valid inputs for every subcommand."""
    folder = tmp_path_factory.mktemp("demo")
    run_demo(folder, n_customers=60, time_limit=2)
    return folder


@pytest.fixture(scope="module")
def bad(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of bad table files, plus a sub-folder and a plain file as --out."""
    folder = tmp_path_factory.mktemp("bad")
    for name, content in BAD_FILES.items():
        (folder / name).write_bytes(content)
    (folder / "a_folder.csv").mkdir()
    return folder


def _argv(command: str, demo: Path, out: Path, **replace: str) -> list[str]:
    argv = [a.format(d=demo) for a in VALID[command]]
    for flag, value in replace.items():
        argv[argv.index(flag) + 1] = value
    return [*argv, "--out", str(out)]


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    try:
        status = main(argv)
    except SystemExit as exc:  # argparse: usage line and message, status 2
        status = int(exc.code or 0)
    return status, capsys.readouterr().err


def _assert_user_error(status: int, err: str, command: str) -> None:
    assert status == 2, err
    assert "Traceback" not in err
    assert f"territory {command}" in err  # names the command
    assert err.strip(), "a message is printed"


@pytest.mark.parametrize(("command", "flag"), FILE_FLAGS)
@pytest.mark.parametrize("bad_name", [*BAD_FILES, "a_folder.csv", "missing.csv"])
def test_bad_table_file_exits_2(
    command: str,
    flag: str,
    bad_name: str,
    demo: Path,
    bad: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """An empty, non-UTF-8, malformed, wrong, missing or folder input exits 2, no output."""
    out = tmp_path / "out"
    status, err = _run(_argv(command, demo, out, **{flag: str(bad / bad_name)}), capsys)
    _assert_user_error(status, err, command)
    assert not out.exists()


@pytest.mark.parametrize(
    ("command", "extra", "message"),
    [
        ("allocate", ["--growth", "0.3"], "expected LOW,HIGH"),
        ("allocate", ["--growth=0.3,-0.1"], "LOW must not exceed HIGH"),
        ("allocate", ["--target", "ten"], "expected a number"),
        ("allocate", ["--target", "nan"], "finite"),
        ("allocate", ["--levels", ","], "comma-separated list"),
        ("allocate", ["--levels", "team,nowhere"], "nowhere"),
        ("allocate", ["--levels", "region,team,rep_id"], "duplicate"),
        ("allocate", ["--methods", "team="], "level=method"),
        ("allocate", ["--methods", "guesswork"], "guesswork"),
        ("allocate", ["--year", "2027", "--months", "2027-01"], "not allowed with"),
        ("allocate", ["--months", "2027-13"], "2027-13"),
        ("allocate", ["--format", "geojson"], "invalid choice"),
        ("allocate-plan", ["--measure", "value"], "NAME=TARGET"),
        ("allocate-plan", ["--measure", "value=ten"], "expected a number"),
        ("allocate-plan", ["--new-product", "soda=2"], "[0, 1)"),
        ("allocate-plan", ["--product-column", "colour"], "colour"),
        ("allocate-plan", ["--format", "geojson"], "invalid choice"),
        ("territories", ["--balance", "count=ten"], "must be a number"),
        ("territories", ["--balance", "count"], "measure=tolerance"),
        ("territories", ["--balance", "count=2"], "share from 0 to 1"),
        ("territories", ["--balance", "colour=0.1"], "colour"),
        ("territories", ["--time-limit", "-1"], "positive"),
        ("plan", ["--weeks", "0"], "positive"),
        ("plan", ["--days", "9"], "days"),
        ("plan", ["--iterations", "many"], "whole number"),
        ("plan", ["--previous", "/nowhere/visits.csv"], "no such file"),
        ("grade", ["--scheme", "astrology"], "invalid choice"),
        ("grade", ["--high-potential-quantile", "1.5"], "high_potential_quantile"),
        ("review", ["--cycle-start", "someday"], "cycle_start"),
        ("review", ["--tolerance-days", "-1"], "0 or more"),
        ("review", ["--year", "twenty"], "whole number"),
    ],
)
def test_bad_flag_value_exits_2(
    command: str,
    extra: list[str],
    message: str,
    demo: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A bad flag value exits 2 with a message naming it; nothing is written."""
    argv = _argv(command, demo, tmp_path / "out")
    for i in range(0, len(extra), 2):
        flag, value = extra[i], extra[i + 1] if i + 1 < len(extra) else None
        if flag in argv and value is not None:  # a flag given already: replace its value
            argv[argv.index(flag) + 1] = value
        else:
            argv += [flag] if value is None else [flag, value]
    status, err = _run(argv, capsys)
    _assert_user_error(status, err, command)
    assert message in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", [*VALID, "demo"])
def test_out_pointing_at_a_file_exits_2(
    command: str, demo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--out naming a file (not a folder) exits 2 at once and leaves the file alone."""
    target = tmp_path / "a_file"
    target.write_text("mine\n")
    if command == "demo":
        argv = ["demo", "--n-customers", "30", "--out", str(target)]
    else:
        argv = _argv(command, demo, target)
    status, err = _run(argv, capsys)
    _assert_user_error(status, err, command)
    assert "not a folder" in err
    assert target.read_text() == "mine\n"


def test_review_with_the_sales_table_as_log(
    demo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`review --log sales.csv` (the issue's KeyError) names the missing log columns."""
    argv = _argv("review", demo, tmp_path / "out", **{"--log": str(demo / "sales.csv")})
    status, err = _run(argv, capsys)
    _assert_user_error(status, err, "review")
    assert "visit_log: column 'timestamp' is missing" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["demo", "--n-customers", "0"],
        ["demo", "--time-limit", "soon"],
        ["serve", "--port", "http"],
        ["nonsense"],
        ["grade"],
    ],
)
def test_other_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """Usage errors of any command exit 2 with argparse's message, no traceback."""
    status, err = _run(argv, capsys)
    assert status == 2
    assert "error:" in err and "Traceback" not in err


def test_a_real_process_prints_no_traceback(demo: Path, tmp_path: Path) -> None:
    """Run as a process, a bad table file gives exit 2 and one line on stderr."""
    (tmp_path / "latin1.csv").write_bytes(BAD_FILES["latin1.csv"])
    argv = _argv("grade", demo, tmp_path / "out", **{"--customers": str(tmp_path / "latin1.csv")})
    result = subprocess.run(
        [sys.executable, "-m", "territory.cli", *argv],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        f"territory grade: --customers: {tmp_path / 'latin1.csv'}: not UTF-8 text "
        "(line 2: byte 0xf6); save it as UTF-8"
    ]


def test_unexpected_error_is_one_line_and_status_1(
    demo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug prints one line asking for a report (exit 1); -v adds the traceback."""
    import territory.grading

    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(territory.grading.VisitPolicy, "requirements", broken)
    argv = _argv("grade", demo, tmp_path / "out")
    status, err = _run(argv, capsys)
    assert status == 1
    assert "unexpected error (ZeroDivisionError: division by zero)" in err
    assert "Traceback" not in err
    status, err = _run([*argv, "-v"], capsys)
    assert status == 1 and "Traceback" in err


def test_outputs_unchanged_after_a_failed_command(
    demo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A command that fails on bad input leaves an existing output folder as it was."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "grades.csv").write_text("old\n")
    bad = tmp_path / "customers.csv"
    pd.DataFrame({"customer_id": ["a", "a"]}).to_csv(bad, index=False)
    argv = [*_argv("grade", demo, out, **{"--customers": str(bad)}), "--force"]
    status, err = _run(argv, capsys)
    _assert_user_error(status, err, "grade")
    assert [p.name for p in out.iterdir()] == ["grades.csv"]
    assert (out / "grades.csv").read_text() == "old\n"


def test_a_port_above_65535_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    """`serve --port 70000` is a user error, not an unexpected one."""
    status, err = _run(["serve", "--port", "70000"], capsys)
    _assert_user_error(status, err, "serve")
    assert "65535" in err
