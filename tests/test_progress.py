"""Tests of territory.progress and the ``progress=`` argument of the long entry points."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from territory.allocation import LevelRule, allocate
from territory.errors import ValidationError
from territory.progress import (
    TqdmProgress,
    nested_progress,
    resolve_progress,
    terminal_progress,
)
from territory.routing import Cycle, PlanOptions, plan_routes
from territory.territories import design_territories


class _Terminal(io.StringIO):
    """A text stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def _routing_instance() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(3)
    reps = pd.DataFrame({"rep_id": ["r1", "r2"], "home_lon": [9.0, 9.2], "home_lat": [48.0] * 2})
    customers = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(10)],
            "lon": rng.uniform(8.95, 9.25, 10),
            "lat": rng.uniform(47.95, 48.05, 10),
            "visits_per_cycle": 1,
            "service_minutes": 30.0,
        }
    )
    return customers, reps


def test_none_and_false_are_silent() -> None:
    """``None`` and ``False`` resolve to no callback."""
    assert resolve_progress(None, desc="x") is None
    assert resolve_progress(False, desc="x") is None


def test_true_is_a_tqdm_bar_with_label_and_unit() -> None:
    """``True`` resolves to a tqdm bar with the caller's label and unit."""
    bar = resolve_progress(True, desc="planning reps", unit="rep")
    assert isinstance(bar, TqdmProgress)
    assert (bar.desc, bar.unit) == ("planning reps", "rep")


def test_a_callable_is_used_as_it_is() -> None:
    """A callable is returned unchanged."""
    calls: list[tuple[int, int]] = []

    def callback(done: int, total: int) -> None:
        calls.append((done, total))

    assert resolve_progress(callback, desc="x") is callback


@pytest.mark.parametrize("bad", ["yes", 1, 0.5, [1]])
def test_anything_else_is_a_validation_error(bad: object) -> None:
    """Strings, numbers and lists are refused, naming the argument."""
    with pytest.raises(ValidationError, match="progress: must be True"):
        resolve_progress(bad, desc="x")


def test_bar_shows_count_unit_and_closes_at_total() -> None:
    """The bar follows the calls, shows ``3/3`` and the unit, and closes when done."""
    out = io.StringIO()
    bar = TqdmProgress("planning reps", unit="rep", file=out)
    for done in (1, 2, 3):
        bar(done, 3)
    text = out.getvalue()
    assert "planning reps" in text
    assert "3/3" in text
    assert "rep/s" in text or "s/rep" in text
    assert bar._bar is None  # closed


def test_bar_shows_time_left_while_running() -> None:
    """While work is left the bar shows tqdm's elapsed<remaining estimate."""
    out = io.StringIO()
    bar = TqdmProgress("work", file=out)
    bar(1, 4)
    bar(2, 4)
    assert "<" in out.getvalue()  # "[00:00<00:00, ...]": elapsed<remaining
    bar.close()


def test_repeated_total_after_the_end_draws_nothing_more() -> None:
    """A second round that repeats ``(total, total)`` leaves the finished bar alone."""
    out = io.StringIO()
    bar = TqdmProgress("planning reps", file=out)
    bar(1, 2)
    bar(2, 2)
    before = out.getvalue()
    bar(2, 2)
    bar(2, 2)
    assert out.getvalue() == before


def test_a_lower_count_starts_a_new_bar() -> None:
    """A count below the bar's starts a new bar (a new round of work)."""
    out = io.StringIO()
    bar = TqdmProgress("round", file=out)
    bar(2, 2)
    bar(1, 3)
    assert bar._bar is not None and bar._bar.n == 1 and bar._bar.total == 3
    bar(3, 3)
    assert "3/3" in out.getvalue()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=50), min_size=1, max_size=20))
def test_any_rising_sequence_ends_at_its_total(steps: list[int]) -> None:
    """Any rising sequence of counts ends with the bar at ``total/total``, closed."""
    total = sum(steps) or 1
    out = io.StringIO()
    bar = TqdmProgress("work", file=out)
    done = 0
    for step in steps:
        done = min(total, done + step)
        bar(done, total)
    bar(total, total)
    assert bar._bar is None
    assert f"{total}/{total}" in out.getvalue()


def test_terminal_progress_is_silent_in_a_pipe_and_when_quiet() -> None:
    """A CLI gets a bar on a terminal, nothing in a pipe or with ``--quiet``."""
    assert terminal_progress("x", stream=io.StringIO()) is None
    assert terminal_progress("x", quiet=True, stream=_Terminal()) is None
    terminal = _Terminal()
    bar = terminal_progress("planning reps", unit="rep", stream=terminal)
    assert isinstance(bar, TqdmProgress)
    bar(1, 1)
    assert "planning reps" in terminal.getvalue()


def test_nested_progress_only_under_a_bar() -> None:
    """An inner bar is made under a bar, never under a plain callback or nothing."""
    out = io.StringIO()
    inner = nested_progress(TqdmProgress("demo", file=out), "planning reps", unit="rep")
    assert isinstance(inner, TqdmProgress)
    assert inner.file is out and inner.leave is False
    assert nested_progress(lambda d, t: None, "planning reps") is None
    assert nested_progress(None, "planning reps") is None


def test_plan_routes_reports_each_rep() -> None:
    """plan_routes calls back once per rep, rising to (reps, reps)."""
    customers, reps = _routing_instance()
    calls: list[tuple[int, int]] = []
    plan_routes(
        customers,
        reps,
        cycle=Cycle(weeks=1, days=2),
        time_limit=3,
        options=PlanOptions(iterations=50),
        progress=lambda done, total: calls.append((done, total)),
    )
    assert calls[:2] == [(1, 2), (2, 2)]
    assert set(calls[2:]) <= {(2, 2)}


def test_plan_routes_progress_true_draws_a_bar(capsys: pytest.CaptureFixture[str]) -> None:
    """``progress=True`` draws a bar on standard error."""
    customers, reps = _routing_instance()
    plan_routes(
        customers,
        reps,
        cycle=Cycle(weeks=1, days=2),
        time_limit=3,
        options=PlanOptions(iterations=50),
        progress=True,
    )
    err = capsys.readouterr().err
    assert "planning reps" in err and "2/2" in err


def test_plan_routes_refuses_a_string_progress() -> None:
    """A string is not a progress argument."""
    customers, reps = _routing_instance()
    with pytest.raises(ValidationError, match="progress"):
        plan_routes(customers, reps, time_limit=3, progress="yes")  # type: ignore[arg-type]


def test_design_territories_reports_its_parts() -> None:
    """design_territories counts its subproblems up to the total."""
    customers = pd.DataFrame(
        {"customer_id": [f"C{i}" for i in range(6)], "lon": [0.01 * i for i in range(6)]}
    ).assign(lat=0.0)
    reps = pd.DataFrame({"rep_id": ["A", "B"], "home_lon": [0.0, 0.05], "home_lat": [0.0, 0.0]})
    calls: list[tuple[int, int]] = []
    design_territories(
        customers,
        reps,
        balance={"count": 0.01},
        progress=lambda done, total: calls.append((done, total)),
    )
    assert calls == [(1, 1)]


def test_allocate_reports_levels_then_months() -> None:
    """Allocation reports each level, then the months: levels + 1 steps."""
    hierarchy = pd.DataFrame({"rep_id": ["R1", "R1", "R2"], "customer_id": ["C1", "C2", "C3"]})
    sales = pd.DataFrame(
        {"customer_id": ["C1", "C2", "C3"], "month": "2026-12", "sales": [100.0, 300.0, 600.0]}
    )
    calls: list[tuple[int, int]] = []
    result = allocate(
        2000,
        hierarchy,
        levels=["rep_id", "customer_id"],
        sales=sales,
        baseline=("2026-12", "2026-12"),
        methods=LevelRule("history", window=("2026-12", "2026-12")),
        months=2027,
        step=10,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert calls == [(1, 3), (2, 3), (3, 3)]
    assert result.at_level("customer_id")["value"].sum() == 2000


@pytest.mark.slow
def test_demo_shows_stage_and_inner_bars(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``run_demo(progress=True)``: a bar over six stages, inner bars for the long ones."""
    from territory.demo import run_demo

    run_demo(tmp_path / "demo", n_customers=100, time_limit=3, progress=True)
    err = capsys.readouterr().err
    assert "demo" in err and "6/6" in err
    assert "planning reps" in err and "designing territories" in err


def _plan_files(folder: Path) -> list[str]:
    customers, reps = _routing_instance()
    customers.to_csv(folder / "customers.csv", index=False)
    reps.to_csv(folder / "reps.csv", index=False)
    return [
        "plan",
        "--customers",
        str(folder / "customers.csv"),
        "--reps",
        str(folder / "reps.csv"),
        "--weeks",
        "1",
        "--days",
        "2",
        "--time-limit",
        "3",
        "--iterations",
        "50",
        "--out",
    ]


def test_cli_is_quiet_in_a_pipe(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``territory plan`` with stderr not a terminal draws no bar."""
    from territory.cli import main

    assert main([*_plan_files(tmp_path), str(tmp_path / "out")]) == 0
    assert "planning reps" not in capsys.readouterr().err


def test_cli_shows_a_bar_on_a_terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``territory plan`` with stderr a terminal draws the tqdm bar, and ``-q`` hides it."""
    from territory.cli import main

    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    assert main([*_plan_files(tmp_path), str(tmp_path / "out")]) == 0
    assert "planning reps" in terminal.getvalue() and "2/2" in terminal.getvalue()
    quiet = _Terminal()
    monkeypatch.setattr("sys.stderr", quiet)
    assert main([*_plan_files(tmp_path), str(tmp_path / "quiet"), "-q"]) == 0
    assert "planning reps" not in quiet.getvalue()
