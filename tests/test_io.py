"""Tests of territory.io: tables in CSV, GeoJSON and GeoParquet."""

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from territory.errors import ValidationError
from territory.io import read_table, write_table

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
