"""benchmarks/compare_pvrp.py: the paired comparison of two Cordeau runs."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "compare_pvrp.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("compare_pvrp", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(folder: Path, costs: dict[str, float]) -> Path:
    folder.mkdir()
    for name, cost in costs.items():
        (folder / f"{name}.json").write_text(json.dumps({"instance": name, "cost": cost}))
    return folder


def test_mean_difference_and_its_standard_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "bks.csv").write_text("instance,bks\np01,100\np02,200\np03,50\n")
    a = _run(tmp_path / "a", {"p01": 102.0, "p02": 204.0, "p03": 51.0})  # 2 %, 2 %, 2 %
    b = _run(tmp_path / "b", {"p01": 101.0, "p02": 206.0, "p04": 9.0})  # 1 %, 3 %; p04 not in a
    summary = _script().main(["--data", str(tmp_path), str(a), str(b)])
    assert summary["instances"] == 2
    assert summary["mean_gap_a"] == pytest.approx(2.0)
    assert summary["mean_gap_b"] == pytest.approx(2.0)
    assert summary["mean_difference"] == pytest.approx(0.0)
    assert summary["standard_error"] == pytest.approx(1.0)  # sd of (-1, +1) / sqrt(2)
    assert (summary["b_better"], summary["b_worse"]) == (1, 1)
    assert "p01" in capsys.readouterr().out


def test_no_common_instance_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "bks.csv").write_text("instance,bks\np01,100\np02,200\n")
    a = _run(tmp_path / "a", {"p01": 101.0})
    b = _run(tmp_path / "b", {"p02": 201.0})
    with pytest.raises(SystemExit, match="no instance solved in both"):
        _script().main(["--data", str(tmp_path), str(a), str(b)])
