"""Tests of territory outlines: dissolved Voronoi cells that do not overlap."""

import itertools
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from territory import design_territories
from territory.datasets import sample_region
from territory.errors import ValidationError
from territory.territories.shapes import voronoi_shapes


def _projected(shapes: list[Any]) -> list[Any]:
    """The non-empty shapes in their UTM zone (metres)."""
    series = gpd.GeoSeries([s for s in shapes if s is not None], crs=4326)
    return list(series.to_crs(series.estimate_utm_crs()).to_numpy())


def _overlap_share(shapes: list[Any]) -> float:
    """Summed pairwise intersection area over the area of the union."""
    projected = _projected(shapes)
    overlap = sum(shapely.intersection(a, b).area for a, b in itertools.combinations(projected, 2))
    return float(overlap / shapely.union_all(projected).area)


def test_sample_region_territories_do_not_overlap() -> None:
    """On the sample region the summed pairwise overlap is under 0.1 % of the total area."""
    region = sample_region(400, seed=0)
    plan = design_territories(region.customers, region.reps, balance={"count": 0.1}, seed=0)
    shapes = plan.to_geodataframe()
    assert shapes.crs.to_epsg() == 4326
    active = shapes[shapes["customers"] > 0]
    assert active.geometry.notna().all()
    assert _overlap_share(list(active.geometry)) < 0.001
    # every customer lies in its own territory
    located = plan.locations.merge(plan.assignment[["customer_id", "rep_id"]], on="customer_id")
    polygon = dict(zip(shapes["rep_id"], shapes.geometry, strict=True))
    inside = [
        shapely.covers(polygon[rep], shapely.Point(x, y))
        for rep, x, y in zip(located["rep_id"], located["lon"], located["lat"], strict=True)
    ]
    assert all(inside)
    # clipped to a given region, the territories tile it
    area = box(9.0, 48.6, 9.4, 48.9)
    clipped = plan.to_geodataframe(region=area)
    union = shapely.union_all(clipped.geometry.dropna().to_numpy())
    assert union.area == pytest.approx(area.area, rel=1e-4)  # edges bend a little in UTM


def test_two_territories_split_a_square_half_way() -> None:
    """Four corners, west pair and east pair: the border is the vertical bisector."""
    lon = np.array([0.0, 0.02, 0.0, 0.02])
    lat = np.array([0.0, 0.0, 0.02, 0.02])
    west, east, empty = voronoi_shapes(lon, lat, np.array([0, 1, 0, 1]), 3)
    assert empty is None
    assert west.bounds[2] == pytest.approx(0.01, abs=1e-6)
    assert east.bounds[0] == pytest.approx(0.01, abs=1e-6)
    assert shapely.intersection(west, east).area == pytest.approx(0.0, abs=1e-12)
    # together they tile the default region: the hull buffered by sqrt(hull area / 4)
    union = shapely.union_all(_projected([west, east]))
    side_m = 0.02 * 111_320.0
    assert union.bounds[2] - union.bounds[0] == pytest.approx(2 * side_m, rel=0.01)
    assert union.area == pytest.approx(
        side_m**2 * (1 + 4 * 0.5) + np.pi * (side_m / 2) ** 2, rel=0.01
    )


def test_region_clips_and_drops_outside_customers() -> None:
    """A given region clips the cells; a territory whose customers lie outside has none."""
    lon = np.array([0.0, 0.01, 0.5])
    lat = np.array([0.0, 0.01, 0.5])
    area = box(-0.01, -0.01, 0.02, 0.02)
    inside_a, inside_b, outside = voronoi_shapes(lon, lat, np.array([0, 1, 2]), 3, region=area)
    assert outside is None
    assert shapely.union_all([inside_a, inside_b]).area == pytest.approx(area.area, rel=1e-6)
    frame = gpd.GeoDataFrame(geometry=[area], crs=4326).to_crs(3857)
    again = voronoi_shapes(lon, lat, np.array([0, 1, 2]), 3, region=frame)
    assert shapely.union_all(again[:2]).area == pytest.approx(area.area, rel=1e-6)


def test_bad_region_is_a_validation_error() -> None:
    """A region without CRS, of the wrong type or without area is refused."""
    lon, lat, owner = np.array([0.0, 0.01]), np.array([0.0, 0.0]), np.array([0, 1])
    with pytest.raises(ValidationError, match="no CRS"):
        voronoi_shapes(lon, lat, owner, 2, region=gpd.GeoSeries([box(0, 0, 1, 1)]))
    with pytest.raises(ValidationError, match="expected a shapely geometry"):
        voronoi_shapes(lon, lat, owner, 2, region="Baden")
    with pytest.raises(ValidationError, match="no area"):
        voronoi_shapes(lon, lat, owner, 2, region=shapely.LineString([(0, 0), (1, 1)]))


def test_degenerate_inputs_still_give_shapes() -> None:
    """One location, points on a line, shared locations and unassigned customers."""
    (one,) = voronoi_shapes(np.array([9.0]), np.array([48.0]), np.array([0]), 1)
    assert one.area > 0
    line = voronoi_shapes(np.array([9.0, 9.01, 9.02]), np.array([48.0] * 3), np.array([0, 1, 1]), 2)
    assert _overlap_share(line) < 1e-9
    shared = voronoi_shapes(
        np.array([9.0, 9.0, 9.01]), np.array([48.0, 48.0, 48.0]), np.array([0, 1, 1]), 2
    )
    assert shared[0] is not None and _overlap_share(shared) < 1e-9
    assert voronoi_shapes(np.array([9.0]), np.array([48.0]), np.array([-1]), 1) == [None]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(min_value=2, max_value=60),
    k=st.integers(min_value=1, max_value=6),
    seed=st.integers(min_value=0, max_value=10_000),
)
def test_property_territories_never_overlap(n: int, k: int, seed: int) -> None:
    """Any points and labels: no overlap, and every location lies in its cell's territory."""
    rng = np.random.default_rng(seed)
    lon = 9.0 + np.round(rng.uniform(0, 0.2, n), 3)  # rounding makes some duplicates
    lat = 48.0 + np.round(rng.uniform(0, 0.2, n), 3)
    owner = rng.integers(0, k, n)
    shapes = voronoi_shapes(lon, lat, owner, k)
    first = [int(np.flatnonzero((lon == x) & (lat == y))[0]) for x, y in zip(lon, lat, strict=True)]
    cell_owners = {int(owner[f]) for f in first}  # a shared location goes to its first customer
    assert [s is not None for s in shapes] == [t in cell_owners for t in range(k)]
    assert _overlap_share(shapes) < 1e-6
    for f, x, y in zip(first, lon, lat, strict=True):
        assert shapely.distance(shapes[owner[f]], shapely.Point(x, y)) < 1e-9
