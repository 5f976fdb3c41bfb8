"""Read and write tables as CSV, GeoJSON or GeoParquet, chosen by file suffix.

Used by the command line; handy in scripts too. Id columns (``*_id``) are read as
strings so that ``"007"`` stays ``"007"``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from territory.errors import ValidationError

__all__ = ["SUFFIXES", "read_table", "write_table"]

#: Suffixes understood by :func:`read_table` and :func:`write_table`.
SUFFIXES = (".csv", ".geojson", ".json", ".parquet", ".geoparquet")


def _suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ValidationError(
            f"{path.name}: unsupported file type {suffix or '(none)'!r}; "
            f"use one of {', '.join(SUFFIXES)}"
        )
    return suffix


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a table from CSV, GeoJSON or (Geo)Parquet.

    Parameters
    ----------
    path
        The file; its suffix picks the format.

    Returns
    -------
    pandas.DataFrame
        A GeoDataFrame for GeoJSON and GeoParquet files that carry geometry.

    Raises
    ------
    ValidationError
        When the file is missing or of an unknown type.
    """
    file = Path(path)
    suffix = _suffix(file)
    if not file.exists():
        raise ValidationError(f"{file}: no such file")
    if suffix == ".csv":
        header = pd.read_csv(file, nrows=0)
        ids = {c: str for c in header.columns if c.endswith("_id") or c == "id"}
        return pd.read_csv(file, dtype=ids, keep_default_na=True)
    import geopandas as gpd

    table: pd.DataFrame
    if suffix in (".geojson", ".json"):
        table = gpd.read_file(file)
        return table
    try:
        table = gpd.read_parquet(file)
    except ValueError:  # plain Parquet without geo metadata
        table = pd.read_parquet(file)
    return table


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns holding tuples (weekdays) become comma-separated strings."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object and out[column].map(lambda v: isinstance(v, tuple)).any():
            out[column] = out[column].map(
                lambda v: ",".join(map(str, v)) if isinstance(v, tuple) else v
            )
    return out


def write_table(
    frame: pd.DataFrame, path: str | Path, *, lon: str = "lon", lat: str = "lat"
) -> Path:
    """Write a table as CSV, GeoJSON or GeoParquet.

    Parameters
    ----------
    frame
        The table; a GeoDataFrame keeps its geometry. A plain table with ``lon``/``lat``
        columns gets point geometry for the geo formats.
    path
        The file; its suffix picks the format.
    lon, lat
        Coordinate columns used to make points for a plain table.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    import geopandas as gpd

    file = Path(path)
    suffix = _suffix(file)
    file.parent.mkdir(parents=True, exist_ok=True)
    table = _plain(frame)
    if suffix == ".csv":
        if isinstance(table, gpd.GeoDataFrame):
            table = pd.DataFrame(table.assign(geometry=table.geometry.to_wkt()))
        table.to_csv(file, index=False)
        return file
    if not isinstance(table, gpd.GeoDataFrame):
        if lon not in table.columns or lat not in table.columns:
            if suffix in (".parquet",):
                table.to_parquet(file, index=False)
                return file
            raise ValidationError(
                f"{file.name}: a table without geometry or '{lon}'/'{lat}' columns cannot be "
                "written as GeoJSON; use .csv or .parquet"
            )
        table = gpd.GeoDataFrame(
            table, geometry=gpd.points_from_xy(table[lon], table[lat]), crs="EPSG:4326"
        )
    if suffix in (".geojson", ".json"):
        table.to_file(file, driver="GeoJSON")
    else:
        table.to_parquet(file, index=False)
    return file
