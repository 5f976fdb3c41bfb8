"""Tests of territory.io: tables in CSV, GeoJSON and GeoParquet."""

import os
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

import territory.io
from territory.errors import OutputError, ValidationError
from territory.io import OutputSet, read_table, write_table

FRAME = pd.DataFrame(
    {
        "customer_id": ["007", "C2"],
        "lon": [9.0, 9.5],
        "lat": [48.0, 48.5],
        "allowed_days": [(0, 2), (1,)],
    }
)


@pytest.mark.parametrize("suffix", [".csv", ".geojson", ".parquet"])
def test_round_trip(tmp_path: Path, suffix: str) -> None:
    """What is written reads back with ids as strings and the same coordinates."""
    path = write_table(FRAME, tmp_path / f"t{suffix}")
    back = read_table(path)
    assert back["customer_id"].tolist() == ["007", "C2"]
    assert back["lon"].tolist() == [9.0, 9.5]
    assert back["allowed_days"].tolist() == ["0,2", "1"]
    if suffix != ".csv":
        assert isinstance(back, gpd.GeoDataFrame)
        assert back.crs.to_epsg() == 4326


def test_unknown_suffix(tmp_path: Path) -> None:
    """An unknown file type is a clear error."""
    with pytest.raises(ValidationError, match=r"unsupported file type '\.xlsx'"):
        read_table(tmp_path / "t.xlsx")


def test_missing_file(tmp_path: Path) -> None:
    """A missing file is a clear error."""
    with pytest.raises(ValidationError, match="no such file"):
        read_table(tmp_path / "none.csv")


def test_geojson_needs_location(tmp_path: Path) -> None:
    """A table without coordinates cannot become GeoJSON."""
    with pytest.raises(ValidationError, match="cannot be written as GeoJSON"):
        write_table(pd.DataFrame({"a": [1]}), tmp_path / "t.geojson")


def test_write_table_refuses_an_existing_file(tmp_path: Path) -> None:
    """An existing file is never replaced silently; overwrite=True replaces it."""
    path = tmp_path / "t.csv"
    path.write_text("old\n")
    with pytest.raises(OutputError, match=r"refusing to overwrite 1 existing file .*'t\.csv'"):
        write_table(FRAME, path)
    assert path.read_text() == "old\n"
    write_table(FRAME, path, overwrite=True)
    assert read_table(path)["customer_id"].tolist() == ["007", "C2"]
    assert [p.name for p in tmp_path.iterdir()] == ["t.csv"]  # no temporary file left


def test_output_set_is_all_or_nothing(tmp_path: Path) -> None:
    """When one output of a set fails, none is written and the old files stay."""
    (tmp_path / "a.csv").write_text("old a\n")
    with (
        pytest.raises(ValidationError, match="cannot be written as GeoJSON"),
        OutputSet(tmp_path, overwrite=True) as outputs,
    ):
        outputs.table(FRAME, "a.csv")
        outputs.table(pd.DataFrame({"x": [1]}), "b.geojson")
    assert [p.name for p in tmp_path.iterdir()] == ["a.csv"]
    assert (tmp_path / "a.csv").read_text() == "old a\n"


def test_output_set_rolls_back_a_failed_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rename that fails part-way puts back the files already replaced."""
    for name in ("a.csv", "b.csv"):
        (tmp_path / name).write_text(f"old {name}\n")
    real_replace = os.replace
    calls = {"n": 0}

    def failing_replace(src: object, dst: object) -> None:
        calls["n"] += 1
        if calls["n"] == 4:
            raise OSError(28, "No space left on device", str(dst))
        real_replace(src, dst)  # type: ignore[arg-type]

    outputs = OutputSet(tmp_path, overwrite=True)
    outputs.table(pd.DataFrame({"x": [1]}), "a.csv")
    outputs.table(pd.DataFrame({"x": [2]}), "b.csv")
    monkeypatch.setattr(territory.io.os, "replace", failing_replace)
    with pytest.raises(OutputError, match="No space left on device; no output was changed"):
        outputs.commit()
    monkeypatch.setattr(territory.io.os, "replace", real_replace)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "b.csv"]
    assert (tmp_path / "a.csv").read_text() == "old a.csv\n"
    assert (tmp_path / "b.csv").read_text() == "old b.csv\n"


def test_output_set_commits_a_staged_folder(tmp_path: Path) -> None:
    """Files written into a staging folder land under the output folder, sub-folders too."""
    with OutputSet(tmp_path / "out") as outputs:
        staging = outputs.folder()
        (staging / "sub").mkdir()
        (staging / "sub" / "x.txt").write_text("x")
        (staging / "y.txt").write_text("y")
    assert sorted(str(p.relative_to(tmp_path)) for p in (tmp_path / "out").rglob("*")) == [
        "out/sub",
        "out/sub/x.txt",
        "out/y.txt",
    ]
