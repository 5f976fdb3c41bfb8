"""Tests of territory.tables.locations: GeoDataFrames as customer tables."""

import geopandas as gpd
import pytest
from shapely.geometry import LineString, Point

from territory.tables import validate_customers
from territory_cases import validation_error_text


def test_geodataframe_is_reprojected() -> None:
    """Point geometry in another CRS gives WGS84 lon/lat."""
    gdf = gpd.GeoDataFrame({"customer_id": ["A"]}, geometry=[Point(9.0, 48.0)], crs=4326)
    projected = gdf.to_crs(3857)
    out = validate_customers(projected)
    assert out["lon"].iloc[0] == pytest.approx(9.0)
    assert out["lat"].iloc[0] == pytest.approx(48.0)
    assert "geometry" not in out.columns


def test_geodataframe_without_crs() -> None:
    """A GeoDataFrame without CRS is rejected."""
    gdf = gpd.GeoDataFrame({"customer_id": ["A"]}, geometry=[Point(9.0, 48.0)])
    assert "has no CRS" in validation_error_text(validate_customers, gdf)


def test_non_point_geometry() -> None:
    """Lines are not customer locations."""
    gdf = gpd.GeoDataFrame(
        {"customer_id": ["A", "B"]},
        geometry=[Point(9, 48), LineString([(9, 48), (9.1, 48.1)])],
        crs=4326,
    )
    assert "has 1 non-point geometries (customer_id: 'B')" in validation_error_text(
        validate_customers, gdf
    )
