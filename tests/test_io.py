"""Tests of territory.io: tables in CSV, Parquet, GeoParquet, GeoJSON, GeoPackage, Excel."""

import os
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import territory.io
from territory.errors import OutputError, ValidationError
from territory.io import FORMATS, OutputSet, read_table, write_table

FRAME = pd.DataFrame(
    {
        "customer_id": ["007", "C2"],
        "lon": [9.0, 9.5],
        "lat": [48.0, 48.5],
        "allowed_days": [(0, 2), (1,)],
    }
)


@pytest.mark.parametrize("suffix", sorted(set(FORMATS.values())))
def test_round_trip(tmp_path: Path, suffix: str) -> None:
    """What is written reads back with ids as strings and the same coordinates."""
    path = write_table(FRAME, tmp_path / f"t{suffix}")
    back = read_table(path)
    assert back["customer_id"].tolist() == ["007", "C2"]
    assert back["lon"].tolist() == [9.0, 9.5]
    assert back["allowed_days"].tolist() == ["0,2", "1"]
    if suffix not in (".csv", ".xlsx"):
        assert isinstance(back, gpd.GeoDataFrame)
        assert back.crs.to_epsg() == 4326


@pytest.mark.parametrize("suffix", sorted(set(FORMATS.values())))
def test_table_without_location_in_every_format(tmp_path: Path, suffix: str) -> None:
    """A table without lon/lat is written in every format and reads back as a plain table."""
    targets = pd.DataFrame({"level": ["rep_id", "rep_id"], "unit": ["R1", "R2"], "value": [3, 4]})
    back = read_table(write_table(targets, tmp_path / f"targets{suffix}"))
    assert not isinstance(back, gpd.GeoDataFrame)
    assert back[["level", "unit", "value"]].values.tolist() == targets.values.tolist()


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".geojson", ".gpkg"])
def test_polygons_keep_their_geometry(tmp_path: Path, suffix: str) -> None:
    """A GeoDataFrame keeps its polygons (as WKT text in CSV)."""
    from shapely.geometry import box

    shapes = gpd.GeoDataFrame(
        {"rep_id": ["R1"]}, geometry=[box(9.0, 48.0, 9.1, 48.1)], crs="EPSG:4326"
    )
    back = read_table(write_table(shapes, tmp_path / f"territories{suffix}"))
    if suffix == ".csv":
        assert back["geometry"].iloc[0].startswith("POLYGON")
    else:
        assert back.geometry.iloc[0].equals(shapes.geometry.iloc[0])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"\n\n", "no columns"),
        (b"customer_id,lon\nK\xf6ln,9\n", "not UTF-8 text"),
        (b'customer_id,lon\n"a,9\n', "cannot be read as csv"),
        (b"customer_id,lon\na,9,1,2\n", "cannot be read as csv"),
    ],
)
def test_unreadable_csv_is_a_validation_error(tmp_path: Path, content: bytes, message: str) -> None:
    """Empty, non-UTF-8 and malformed CSV files give one clear error naming the file."""
    path = tmp_path / "customers.csv"
    path.write_bytes(content)
    with pytest.raises(ValidationError, match=message) as info:
        read_table(path)
    assert "customers.csv" in str(info.value)


@pytest.mark.parametrize("suffix", [".parquet", ".geojson", ".gpkg", ".xlsx"])
def test_corrupt_binary_files_are_a_validation_error(tmp_path: Path, suffix: str) -> None:
    """A file that is not what its suffix says gives a ValidationError, not a parser crash."""
    path = tmp_path / f"t{suffix}"
    path.write_bytes(b"this is not a table at all\n")
    with pytest.raises(ValidationError, match=f"t\\{suffix}"):
        read_table(path)


def test_a_folder_is_not_a_table(tmp_path: Path) -> None:
    """A folder given as a table file is named as such."""
    (tmp_path / "t.csv").mkdir()
    with pytest.raises(ValidationError, match="is a folder"):
        read_table(tmp_path / "t.csv")


def test_unknown_suffix(tmp_path: Path) -> None:
    """An unknown file type is a clear error."""
    with pytest.raises(ValidationError, match=r"unsupported file type '\.txt'"):
        read_table(tmp_path / "t.txt")


def test_missing_file(tmp_path: Path) -> None:
    """A missing file is a clear error."""
    with pytest.raises(ValidationError, match="no such file"):
        read_table(tmp_path / "none.csv")


def test_geojson_without_location_has_empty_geometry(tmp_path: Path) -> None:
    """A table without coordinates becomes GeoJSON features with null geometry."""
    import json

    write_table(pd.DataFrame({"a": [1]}), tmp_path / "t.geojson")
    features = json.loads((tmp_path / "t.geojson").read_text())["features"]
    assert features == [{"type": "Feature", "properties": {"a": 1}, "geometry": None}]


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

    def failing_writer(path: Path) -> None:
        path.write_text("half")
        raise ValidationError("b: cannot be written")

    with (
        pytest.raises(ValidationError, match="cannot be written"),
        OutputSet(tmp_path, overwrite=True) as outputs,
    ):
        outputs.table(FRAME, "a.csv")
        outputs.file("b.csv", failing_writer)
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


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(content=st.binary(max_size=200))
def test_any_bytes_read_as_a_table_or_a_validation_error(tmp_path: Path, content: bytes) -> None:
    """Whatever a .csv file holds, reading it gives a table or a ValidationError, nothing else."""
    path = tmp_path / "anything.csv"
    path.write_bytes(content)
    try:
        table = read_table(path)
    except ValidationError as error:
        assert "anything.csv" in str(error)
    else:
        assert isinstance(table, pd.DataFrame)
