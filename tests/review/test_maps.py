"""Tests of territory.review.maps: folium customer and route maps."""

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from territory import design_territories
from territory.datasets import sample_region
from territory.errors import ValidationError
from territory.review import customer_map, route_map

CUSTOMERS = pd.DataFrame(
    {
        "customer_id": ["C1", "C2", "C3", "C4", "C5"],
        "name": ["Store 1", "Store 2", "Store 3", "Store 4", "Store 5"],
        "lon": [9.10, 9.12, 9.15, 9.20, 9.22],
        "lat": [48.70, 48.72, 48.74, 48.71, 48.69],
        "grade": ["A", "B", "B", "C", None],
        "rep_id": ["R1", "R1", "R1", "R2", "R2"],
    }
)
REPS = pd.DataFrame({"rep_id": ["R1", "R2"], "home_lon": [9.11, 9.21], "home_lat": [48.71, 48.70]})
VISITS = pd.DataFrame(
    {
        "rep_id": ["R1", "R1", "R1", "R1", "R2"],
        "week": [1, 1, 1, 2, 1],
        "day": [1, 1, 2, 1, 3],
        "weekday": [0, 0, 1, 0, 2],
        "seq": [2, 1, 1, 1, 1],
        "customer_id": ["C1", "C2", "C3", "C1", "C4"],
        "arrival": [600.0, 540.0, 560.0, 600.0, 610.0],
    }
)


def _features(fmap: Any) -> list[dict[str, Any]]:
    """Every GeoJSON feature drawn on the map, layer by layer."""
    import folium

    found: list[dict[str, Any]] = []

    def walk(element: Any) -> None:
        for child in element._children.values():
            if isinstance(child, folium.GeoJson):
                found.extend(child.data["features"])
            walk(child)

    walk(fmap)
    return found


def test_customer_map_draws_one_feature_per_customer(tmp_path: Path) -> None:
    """Five point features in one GeoJSON layer per grade, not five marker objects."""
    path = tmp_path / "customers.html"
    fmap = customer_map(CUSTOMERS, color_by="grade", path=path, tiles=None)
    html = fmap.get_root().render()
    features = _features(fmap)
    assert [f["properties"]["customer_id"] for f in features] == ["C5", "C1", "C2", "C3", "C4"]
    assert features[1]["geometry"] == {"type": "Point", "coordinates": [9.1, 48.7]}
    assert features[1]["properties"] == {"customer_id": "C1", "name": "Store 1", "grade": "A"}
    assert html.count("L.circleMarker(") == 0
    assert html.count("new L.CircleMarker(latlng") == 4  # one marker template per layer
    assert "grade (none)" in html and "grade A" in html
    assert path.exists() and path.stat().st_size > 1000


def test_customer_map_bytes_per_customer() -> None:
    """Each extra customer adds under 300 bytes of HTML (2,000 customers stay under 1 MB)."""
    small, large = sample_region(100, seed=0).customers, sample_region(300, seed=0).customers
    sizes = [
        len(customer_map(c, color_by="kind", tiles=None).get_root().render().encode())
        for c in (small, large)
    ]
    per_customer = (sizes[1] - sizes[0]) / 200
    assert 50 < per_customer < 300
    assert sizes[0] + 2000 * per_customer < 1_000_000


def test_customer_map_accepts_geodataframes() -> None:
    """Points in any CRS without lon/lat, area polygons, and territory areas under the dots."""
    points = gpd.GeoDataFrame(
        CUSTOMERS.drop(columns=["lon", "lat"]),
        geometry=gpd.points_from_xy(CUSTOMERS["lon"], CUSTOMERS["lat"]),
        crs=4326,
    ).to_crs(3857)
    features = _features(customer_map(points, color_by="rep_id", tiles=None))
    coords = {f["properties"]["customer_id"]: f["geometry"]["coordinates"] for f in features}
    assert coords["C4"] == pytest.approx([9.20, 48.71], abs=1e-6)
    cells = gpd.GeoDataFrame(
        CUSTOMERS[["customer_id", "grade"]],
        geometry=[
            box(x - 0.005, y - 0.005, x + 0.005, y + 0.005)
            for x, y in zip(CUSTOMERS["lon"], CUSTOMERS["lat"], strict=True)
        ],
        crs=4326,
    )
    shapes = _features(customer_map(cells, tiles=None))
    assert {f["geometry"]["type"] for f in shapes} == {"Polygon"}
    territories = gpd.GeoDataFrame(
        {"rep_id": ["R1", "R2"]},
        geometry=[box(9.0, 48.6, 9.17, 48.8), box(9.17, 48.6, 9.3, 48.8)],
        crs=4326,
    )
    fmap = customer_map(CUSTOMERS, color_by="rep_id", areas=territories, tiles=None)
    drawn = _features(fmap)
    assert [f["geometry"]["type"] for f in drawn] == ["Polygon"] + ["Point"] * 3 + ["Polygon"] + [
        "Point"
    ] * 2  # each rep's layer: its territory, then its customers
    outlined = _features(customer_map(CUSTOMERS, areas=territories.drop(columns="rep_id")))
    assert len(outlined) == 2 + 5
    with pytest.raises(ValidationError, match="no CRS"):
        customer_map(points.set_crs(None, allow_override=True), color_by="rep_id")
    with pytest.raises(ValidationError, match="expected a GeoDataFrame"):
        customer_map(CUSTOMERS, areas=pd.DataFrame({"rep_id": ["R1"]}))


def test_customer_map_of_a_territory_plan() -> None:
    """plan.to_geodataframe() draws under the customers, one layer per rep."""
    region = sample_region(60, seed=1)
    plan = design_territories(region.customers, region.reps, balance={"count": 0.2}, seed=0)
    customers = region.customers.merge(plan.assignment[["customer_id", "rep_id"]])
    fmap = customer_map(customers, color_by="rep_id", areas=plan.to_geodataframe(), tiles=None)
    features = _features(fmap)
    assert sum(f["geometry"]["type"] == "Point" for f in features) == 60
    polygons = [f for f in features if f["geometry"]["type"] != "Point"]
    assert len(polygons) == int((plan.territories["customers"] > 0).sum())


def test_route_map_draws_each_day_from_home(tmp_path: Path) -> None:
    """R1 has three route days: three lines, four stop features and a home marker."""
    fmap = route_map(VISITS, CUSTOMERS, REPS, rep_id="R1", path=tmp_path / "r.html", tiles=None)
    html = fmap.get_root().render()
    features = _features(fmap)
    lines = [f for f in features if f["geometry"]["type"] == "LineString"]
    assert len(lines) == 3
    assert lines[0]["geometry"]["coordinates"] == [
        [9.11, 48.71],
        [9.12, 48.72],
        [9.1, 48.7],
        [9.11, 48.71],
    ]  # home, C2 (seq 1), C1 (seq 2), home
    assert sum(f["geometry"]["type"] == "Point" for f in features) == 4
    assert html.count("L.marker(") == 1
    assert "W1 Mon #1 C2 09:00" in html  # seq 1 first
    week1 = route_map(VISITS, CUSTOMERS, REPS, rep_id="R1", week=1, tiles=None)
    assert sum(f["geometry"]["type"] == "LineString" for f in _features(week1)) == 2
    with pytest.raises(ValidationError, match="no rep 'R9'"):
        route_map(VISITS, CUSTOMERS, REPS, rep_id="R9")
    with pytest.raises(ValidationError, match="without a location"):
        route_map(VISITS, CUSTOMERS[CUSTOMERS["customer_id"] != "C3"], REPS, rep_id="R1")


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    categories=st.lists(st.sampled_from(["A", "B", "C", None]), min_size=1, max_size=30),
    seed=st.integers(min_value=0, max_value=1000),
)
def test_property_every_customer_is_one_feature_in_its_layer(
    categories: list[str | None], seed: int
) -> None:
    """Any customers: one point feature each, in the layer of its category, rounded to 1e-6."""
    rng = np.random.default_rng(seed)
    n = len(categories)
    frame = pd.DataFrame(
        {
            "customer_id": [f"C{i}" for i in range(n)],
            "lon": rng.uniform(5, 15, n),
            "lat": rng.uniform(45, 55, n),
            "grade": categories,
        }
    )
    fmap = customer_map(frame, tiles=None)
    features = _features(fmap)
    assert sorted(f["properties"]["customer_id"] for f in features) == sorted(frame["customer_id"])
    for f in features:
        i = int(f["properties"]["customer_id"][1:])
        assert f["properties"]["grade"] == (categories[i] or "(none)")
        assert f["geometry"]["coordinates"] == pytest.approx(
            [frame["lon"].iloc[i], frame["lat"].iloc[i]], abs=1e-6
        )


def test_route_map_labels_arrivals_of_any_kind() -> None:
    """Arrivals as minutes, timestamps (with zone), text or missing label the stops alike."""
    stamps = pd.to_datetime(["2027-01-04 10:00", "2027-01-04 09:00"]).tz_localize("Europe/Berlin")
    cases: list[tuple[list[Any], str]] = [
        ([600.0, 540.0], "W1 Mon #1 C2 09:00"),
        (list(stamps), "W1 Mon #1 C2 09:00"),
        (["10:00", "09:00"], "W1 Mon #1 C2 09:00"),
        ([None, float("nan")], 'W1 Mon #1 C2"'),
    ]
    for arrival, expected in cases:
        visits = VISITS.head(2).assign(arrival=arrival)
        html = route_map(visits, CUSTOMERS, REPS, rep_id="R1", tiles=None).get_root().render()
        assert expected in html
