"""Locations: ``lon``/``lat`` columns or point geometry, as float WGS84 degrees."""

from __future__ import annotations

import numpy as np
import pandas as pd

from territory.errors import ProblemCollector, ValidationError
from territory.tables.columns import ids_where

__all__ = ["check_coordinates", "to_plain_frame"]


def to_plain_frame(
    frame: pd.DataFrame,
    *,
    table: str,
    lon: str,
    lat: str,
    problems: ProblemCollector,
    id_column: str,
) -> pd.DataFrame:
    """Copy ``frame`` into a plain DataFrame with float ``lon``/``lat`` columns."""
    if not isinstance(frame, pd.DataFrame):
        raise ValidationError(f"{table}: expected a pandas DataFrame, got {type(frame).__name__}")
    geometry_name = getattr(frame, "_geometry_column_name", None)
    has_geometry = geometry_name is not None and geometry_name in frame.columns
    ids = frame[id_column] if id_column in frame.columns else pd.Series(frame.index)
    if has_geometry and (lon not in frame.columns or lat not in frame.columns):
        geometry = frame.geometry
        out = pd.DataFrame(frame.drop(columns=[geometry_name]))
        if geometry.crs is None:
            problems.add(
                table,
                str(geometry_name),
                "has no CRS; set one (for example EPSG:4326) so that points can be located",
            )
            out[lon] = np.nan
            out[lat] = np.nan
            return out
        missing = geometry.isna() | geometry.is_empty
        not_point = ~missing & (geometry.geom_type != "Point")
        if not_point.any():
            problems.add(
                table,
                str(geometry_name),
                f"has {int(not_point.sum())} non-point geometries",
                ids_where(ids, not_point),
                id_column=id_column,
            )
        if geometry.crs.to_epsg() != 4326:
            geometry = geometry.to_crs(4326)
        good = ~missing & ~not_point
        xs = np.full(len(frame), np.nan)
        ys = np.full(len(frame), np.nan)
        xs[good.to_numpy()] = geometry[good].x.to_numpy()
        ys[good.to_numpy()] = geometry[good].y.to_numpy()
        out[lon] = xs
        out[lat] = ys
        return out
    out = pd.DataFrame(frame.drop(columns=[geometry_name])) if has_geometry else frame.copy()
    return pd.DataFrame(out)


def check_coordinates(
    frame: pd.DataFrame,
    table: str,
    lon: str,
    lat: str,
    id_column: str,
    problems: ProblemCollector,
) -> None:
    """Read ``lon``/``lat`` as floats in place; record non-numeric, missing, out-of-range."""
    ids = frame[id_column]
    for column, limit in ((lon, 180.0), (lat, 90.0)):
        values = pd.to_numeric(frame[column], errors="coerce")
        non_numeric = values.isna() & frame[column].notna()
        if non_numeric.any():
            problems.add(
                table,
                column,
                f"has {int(non_numeric.sum())} non-numeric values",
                ids_where(ids, non_numeric),
                id_column=id_column,
            )
        missing = frame[column].isna()
        if missing.any():
            problems.add(
                table,
                column,
                f"has {int(missing.sum())} missing values",
                ids_where(ids, missing),
                id_column=id_column,
            )
        out_of_range = values.abs() > limit
        if out_of_range.any():
            problems.add(
                table,
                column,
                f"has {int(out_of_range.sum())} values outside [-{limit:g}, {limit:g}]",
                ids_where(ids, out_of_range),
                id_column=id_column,
            )
        frame[column] = values.astype(float)
