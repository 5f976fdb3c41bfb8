"""Interactive folium maps of the review; folium is imported inside each function.

Each map has one layer per category (grade, territory or day) that the layer control
can switch on and off; ``path`` saves the map as a standalone HTML file.

Every layer is one GeoJSON feature collection drawn by Leaflet, not one marker object
per customer: the HTML holds a feature (coordinates to 6 decimals, about 10 cm, and the
tooltip fields) per customer and one style per layer, about a tenth of the bytes of a
``CircleMarker`` each, so that a map of thousands of customers stays small. The tables
may be pandas frames with ``lon``/``lat`` columns or GeoDataFrames (points, or polygons
when the units are areas, in any CRS).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from territory.errors import ProblemCollector, ValidationError
from territory.review.charts import PALETTE
from territory.tables import WEEKDAY_NAMES, format_time
from territory.tables.columns import id_strings, require_columns, require_frame
from territory.tables.visit_log import weekday_numbers

if TYPE_CHECKING:
    import folium

__all__ = ["customer_map", "route_map"]

#: Decimals of degrees kept in the maps (1e-6 degree is about 10 cm).
DECIMALS = 6


def _folium() -> Any:
    try:
        import folium
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("maps need folium: pip install 'territory[plot]'") from exc
    return folium


def _geometry(frame: pd.DataFrame, table: str) -> Any:
    """The frame's geometry in EPSG:4326 (a GeoSeries), or None for a plain DataFrame."""
    name = getattr(frame, "_geometry_column_name", None)
    if name is None or name not in frame.columns:
        return None
    geometry = frame.geometry
    if geometry.crs is None:
        raise ValidationError(f"{table}: column '{name}' has no CRS; set one to draw it")
    return geometry.to_crs(4326) if geometry.crs.to_epsg() != 4326 else geometry


def _points(frame: pd.DataFrame, table: str, id_column: str, lon: str, lat: str) -> pd.DataFrame:
    """``id_column, lon, lat`` of every row, from the columns or a GeoDataFrame's geometry."""
    frame = require_frame(frame, table)
    geometry = _geometry(frame, table) if lon not in frame.columns else None
    require_columns(frame, table, [id_column] if geometry is not None else [id_column, lon, lat])
    if geometry is not None:
        where = geometry.where(geometry.geom_type == "Point", geometry.representative_point())
        xs = pd.Series(where.x.to_numpy(dtype=float), index=frame.index)
        ys = pd.Series(where.y.to_numpy(dtype=float), index=frame.index)
        lon = lat = str(frame.geometry.name)
    else:
        xs = pd.to_numeric(frame[lon], errors="coerce")
        ys = pd.to_numeric(frame[lat], errors="coerce")
    out = pd.DataFrame(
        {
            id_column: id_strings(frame[id_column]),
            "lon": xs.astype(float),
            "lat": ys.astype(float),
        },
        index=frame.index,
    )
    bad = out["lon"].isna() | out["lat"].isna()
    if bad.any():
        problems = ProblemCollector()
        problems.add(
            table,
            f"{lon}/{lat}" if lon != lat else lon,
            f"has {int(bad.sum())} rows without numeric coordinates",
            list(out.loc[bad, id_column]),
            id_column=id_column,
        )
        problems.raise_if_any()
    return out


def _json_value(value: Any) -> Any:
    """A tooltip property: str, int or float as they are, anything else as text."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.generic):
        value = value.item()
    return value if isinstance(value, str | int | float | bool) else str(value)


def _features(
    geometries: Sequence[dict[str, Any]], properties: pd.DataFrame
) -> list[dict[str, Any]]:
    """GeoJSON features from geometry dicts and one property row each."""
    rows = properties.astype(object).to_dict(orient="records")
    return [
        {
            "type": "Feature",
            "geometry": geometry,
            "properties": {str(k): _json_value(v) for k, v in row.items()},
        }
        for geometry, row in zip(geometries, rows, strict=True)
    ]


def _point_geometries(lon: np.ndarray, lat: np.ndarray) -> list[dict[str, Any]]:
    return [
        {"type": "Point", "coordinates": [round(float(x), DECIMALS), round(float(y), DECIMALS)]}
        for x, y in zip(lon, lat, strict=True)
    ]


def _shape_geometries(geometry: Any) -> list[dict[str, Any]]:
    """GeoJSON geometry dicts of a GeoSeries, coordinates rounded to :data:`DECIMALS`."""
    import shapely

    rounded = shapely.set_precision(geometry.to_numpy(), 10.0**-DECIMALS, mode="pointwise")
    return [cast("dict[str, Any]", g.__geo_interface__) for g in rounded]


def _layer(
    fl: Any,
    features: list[dict[str, Any]],
    *,
    colour: str,
    fields: list[str],
    radius: float,
    fill_opacity: float = 0.8,
    weight: float = 1.0,
) -> Any:
    """One GeoJSON layer: points drawn as circle markers, lines and polygons styled alike."""
    look = {"color": colour, "fillColor": colour, "weight": weight, "fillOpacity": fill_opacity}

    def style(_feature: Any) -> dict[str, Any]:
        return dict(look)

    return fl.GeoJson(
        {"type": "FeatureCollection", "features": features},
        style_function=style,
        marker=fl.CircleMarker(radius=radius, fill=True),
        tooltip=fl.GeoJsonTooltip(fields=fields, labels=len(fields) > 1) if fields else None,
    )


def _fit(fmap: Any, lon: Sequence[float], lat: Sequence[float]) -> None:
    fmap.fit_bounds([[float(min(lat)), float(min(lon))], [float(max(lat)), float(max(lon))]])


def _clock(at: Any) -> str:
    """`` HH:MM`` of an arrival (minutes after midnight or a timestamp); empty when missing."""
    if at is None or pd.isna(at):
        return ""
    if isinstance(at, pd.Timestamp | np.datetime64):
        return f" {pd.Timestamp(at):%H:%M}"
    if isinstance(at, str):  # already written as a time
        return f" {at}"
    return f" {format_time(float(at))}"


def _save(fmap: folium.Map, path: str | Path | None) -> None:
    if path is not None:
        fmap.save(str(path))


def _categories(frame: pd.DataFrame, column: str) -> pd.Series:
    """The column as text, ``"(none)"`` where missing."""
    values = frame[column].astype(object).where(frame[column].notna(), "(none)")
    return values.astype(str)


def customer_map(
    customers: pd.DataFrame,
    *,
    color_by: str = "grade",
    areas: pd.DataFrame | None = None,
    path: str | Path | None = None,
    tiles: str | None = "OpenStreetMap",
    radius: float = 4.0,
) -> folium.Map:
    """Customers as dots coloured by grade, territory or any category column.

    Parameters
    ----------
    customers
        ``customer_id``, the ``color_by`` column (optional ``name``) and either
        ``lon, lat`` or a GeoDataFrame geometry: points, or polygons when the customers
        are areas (postcodes, counties), which are then drawn as filled shapes.
    color_by
        Category column, for example ``"grade"`` or ``"rep_id"`` (territory).
    areas
        Polygons to draw under the customers, for example
        ``TerritoryPlan.to_geodataframe()``: a GeoDataFrame with a CRS. When it has the
        ``color_by`` column each polygon joins that category's layer and colour,
        otherwise all are outlined in one layer ``"areas"``.
    path
        When given, the map is saved there as HTML.
    tiles
        folium tiles (None for a blank background, e.g. offline).
    radius
        Dot radius in pixels.

    Returns
    -------
    folium.Map
        One layer per category: a GeoJSON collection of its customers (and areas).

    Raises
    ------
    ValidationError
        Missing columns or coordinates, a geometry without CRS, ``areas`` not a
        GeoDataFrame.

    Examples
    --------
    >>> frame = pd.DataFrame({"customer_id": ["C1", "C2"], "grade": ["A", "B"]})
    >>> frame["lon"], frame["lat"] = [9.1, 9.2], [48.7, 48.8]
    >>> fmap = customer_map(frame, tiles=None)
    >>> html = fmap.get_root().render()
    >>> html.count('"type": "Feature"'), "grade A" in html
    (2, True)
    """
    fl = _folium()
    points = _points(customers, "customers", "customer_id", "lon", "lat")
    if color_by not in customers.columns:
        raise ValidationError(f"customers: column '{color_by}' (color_by) is missing")
    points["category"] = _categories(customers, color_by).to_numpy()
    geometry = _geometry(customers, "customers")
    shaped = geometry is not None and bool((geometry.geom_type != "Point").any())
    geometries = (
        _shape_geometries(geometry)
        if shaped
        else _point_geometries(points["lon"].to_numpy(), points["lat"].to_numpy())
    )
    fields = ["customer_id", *(["name"] if "name" in customers.columns else []), color_by]
    properties = pd.DataFrame(
        {
            "customer_id": points["customer_id"].to_numpy(),
            **({"name": customers["name"].astype(str).to_numpy()} if "name" in fields else {}),
            color_by: points["category"].to_numpy(),
        }
    )
    features = _features(geometries, properties)
    area_features, area_category = _area_features(areas, color_by)
    bounds_lon = list(points["lon"])
    bounds_lat = list(points["lat"])
    if area_features:
        x0, y0, x1, y1 = _bounds(areas)
        bounds_lon += [x0, x1]
        bounds_lat += [y0, y1]
    fmap = fl.Map(
        location=[float(np.mean(bounds_lat)), float(np.mean(bounds_lon))],
        zoom_start=10,
        tiles=tiles,
    )
    _fit(fmap, bounds_lon, bounds_lat)
    if area_features and area_category is None:
        layer = fl.FeatureGroup(name="areas")
        _layer(
            fl, area_features, colour="#333333", fields=[], radius=radius, fill_opacity=0.0
        ).add_to(layer)
        layer.add_to(fmap)
    categories = sorted(set(points["category"]) | set(area_category or []))
    category_of = points["category"].to_numpy()
    for i, cat in enumerate(categories):
        colour = PALETTE[i % len(PALETTE)]
        layer = fl.FeatureGroup(name=f"{color_by} {cat}")
        if area_category is not None:
            mine = [f for f, c in zip(area_features, area_category, strict=True) if c == cat]
            if mine:
                _layer(
                    fl, mine, colour=colour, fields=[color_by], radius=radius, fill_opacity=0.15
                ).add_to(layer)
        rows = np.flatnonzero(category_of == cat)
        if len(rows):
            _layer(
                fl,
                [features[r] for r in rows],
                colour=colour,
                fields=fields,
                radius=radius,
                fill_opacity=0.5 if shaped else 0.8,
            ).add_to(layer)
        layer.add_to(fmap)
    fl.LayerControl(collapsed=False).add_to(fmap)
    _save(fmap, path)
    return cast("folium.Map", fmap)


def _area_features(
    areas: pd.DataFrame | None, color_by: str
) -> tuple[list[dict[str, Any]], list[str] | None]:
    """Features of the ``areas`` polygons and their category (None when not coloured)."""
    if areas is None:
        return [], None
    geometry = _geometry(require_frame(areas, "areas"), "areas")
    if geometry is None:
        raise ValidationError(
            f"areas: expected a GeoDataFrame with a geometry, got {type(areas).__name__}"
        )
    keep = (geometry.notna() & ~geometry.is_empty).to_numpy()
    geometry = geometry[keep]
    if color_by in areas.columns:
        category = _categories(areas, color_by)[keep]
        properties = pd.DataFrame({color_by: category.to_numpy()})
        return _features(_shape_geometries(geometry), properties), list(category)
    return _features(_shape_geometries(geometry), pd.DataFrame(index=range(len(geometry)))), None


def _bounds(areas: Any) -> tuple[float, float, float, float]:
    geometry = _geometry(areas, "areas")
    x0, y0, x1, y1 = (float(v) for v in geometry.total_bounds)
    return x0, y0, x1, y1


def route_map(
    visits: pd.DataFrame,
    customers: pd.DataFrame,
    reps: pd.DataFrame,
    *,
    rep_id: str,
    week: int | None = None,
    path: str | Path | None = None,
    tiles: str | None = "OpenStreetMap",
) -> folium.Map:
    """One rep's routes by day: lines from home through the visits in order and back.

    Parameters
    ----------
    visits
        Route-plan visits ``rep_id, week, day, weekday, seq, customer_id`` (optional
        ``arrival``).
    customers
        ``customer_id, lon, lat`` (or a GeoDataFrame of points).
    reps
        ``rep_id, home_lon, home_lat``.
    rep_id
        The rep to draw.
    week
        Only this plan week (default every week of the plan).
    path
        When given, the map is saved there as HTML.
    tiles
        folium tiles (None for a blank background).

    Returns
    -------
    folium.Map
        One layer per day, a GeoJSON collection of the route line and the numbered
        visits, and a home ``Marker``.

    Raises
    ------
    ValidationError
        Missing columns, an unknown rep, no visits for the rep (and week), or visits of
        customers without coordinates.
    """
    fl = _folium()
    require_frame(visits, "visits")
    require_columns(visits, "visits", ["rep_id", "week", "day", "weekday", "seq", "customer_id"])
    places = _points(customers, "customers", "customer_id", "lon", "lat").set_index("customer_id")
    homes = _points(reps, "reps", "rep_id", "home_lon", "home_lat").set_index("rep_id")
    rep_id = str(rep_id)
    if rep_id not in homes.index:
        raise ValidationError(f"reps: column 'rep_id' has no rep '{rep_id}'")
    mine = visits[id_strings(visits["rep_id"]) == rep_id].copy()
    if week is not None:
        mine = mine[mine["week"] == week]
    if mine.empty:
        raise ValidationError(
            f"visits: column 'rep_id' has no visits of rep '{rep_id}'"
            + (f" in week {week}" if week is not None else "")
        )
    mine["customer_id"] = id_strings(mine["customer_id"])
    unknown = sorted(set(mine["customer_id"]) - set(places.index))
    if unknown:
        problems = ProblemCollector()
        problems.add(
            "visits",
            "customer_id",
            f"names {len(unknown)} customers without a location",
            unknown,
            id_column="customer_id",
        )
        problems.raise_if_any()
    where = {
        str(c): [float(y), float(x)]
        for c, y, x in zip(
            places.index, places["lat"].to_numpy(), places["lon"].to_numpy(), strict=True
        )
    }
    home_row = homes.loc[[rep_id]].iloc[0]
    home = [float(home_row["lat"]), float(home_row["lon"])]
    fmap = fl.Map(location=home, zoom_start=11, tiles=tiles)
    fl.Marker(home, tooltip=f"home of {rep_id}", icon=fl.Icon(color="gray", icon="home")).add_to(
        fmap
    )
    all_points = [home]
    days = mine.sort_values(["week", "day", "seq"]).groupby(["week", "day"], sort=True)
    for i, ((wk, _day), stops) in enumerate(days):
        colour = PALETTE[i % len(PALETTE)]
        weekday = int(weekday_numbers(stops["weekday"]).fillna(0).iloc[0])
        day_name = f"W{wk} {WEEKDAY_NAMES[weekday]}"
        coords = [where[str(c)] for c in stops["customer_id"]]
        arrivals = (
            stops["arrival"].to_numpy() if "arrival" in stops.columns else [None] * len(stops)
        )
        labels = [
            f"{day_name} #{n + 1} {cid}{_clock(at)}"
            for n, (cid, at) in enumerate(zip(stops["customer_id"], arrivals, strict=True))
        ]
        path_lonlat = [
            [round(p[1], DECIMALS), round(p[0], DECIMALS)] for p in [home, *coords, home]
        ]
        features = [
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": path_lonlat},
                "properties": {"label": f"{day_name}: {len(stops)} visits"},
            },
            *_features(
                _point_geometries(
                    np.array([p[1] for p in coords]), np.array([p[0] for p in coords])
                ),
                pd.DataFrame({"label": labels}),
            ),
        ]
        layer = fl.FeatureGroup(name=f"{day_name} ({len(stops)} visits)")
        _layer(
            fl, features, colour=colour, fields=["label"], radius=6.0, fill_opacity=0.9, weight=3.0
        ).add_to(layer)
        all_points.extend(coords)
        layer.add_to(fmap)
    _fit(fmap, [p[1] for p in all_points], [p[0] for p in all_points])
    fl.LayerControl(collapsed=False).add_to(fmap)
    _save(fmap, path)
    return cast("folium.Map", fmap)
