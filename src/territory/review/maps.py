"""Interactive folium maps of the review; folium is imported inside each function.

Each map has one layer per category (grade, territory or day) that the layer control
can switch on and off; ``path`` saves the map as a standalone HTML file.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from territory.errors import ProblemCollector, ValidationError
from territory.review._common import id_strings, require_columns, require_frame
from territory.review._visit_log import weekday_numbers
from territory.review.charts import PALETTE
from territory.tables import WEEKDAY_NAMES, format_time

if TYPE_CHECKING:
    import folium

__all__ = ["customer_map", "route_map"]


def _folium() -> Any:
    try:
        import folium
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("maps need folium: pip install 'territory[plot]'") from exc
    return folium


def _points(frame: pd.DataFrame, table: str, id_column: str, lon: str, lat: str) -> pd.DataFrame:
    frame = require_frame(frame, table)
    require_columns(frame, table, [id_column, lon, lat])
    out = pd.DataFrame(
        {
            id_column: id_strings(frame[id_column]),
            "lon": pd.to_numeric(frame[lon], errors="coerce").astype(float),
            "lat": pd.to_numeric(frame[lat], errors="coerce").astype(float),
        },
        index=frame.index,
    )
    bad = out["lon"].isna() | out["lat"].isna()
    if bad.any():
        problems = ProblemCollector()
        problems.add(
            table,
            f"{lon}/{lat}",
            f"has {int(bad.sum())} rows without numeric coordinates",
            list(out.loc[bad, id_column]),
            id_column=id_column,
        )
        problems.raise_if_any()
    return out


def _save(fmap: folium.Map, path: str | Path | None) -> None:
    if path is not None:
        fmap.save(str(path))


def customer_map(
    customers: pd.DataFrame,
    *,
    color_by: str = "grade",
    path: str | Path | None = None,
    tiles: str | None = "OpenStreetMap",
    radius: float = 4.0,
) -> folium.Map:
    """Customers as dots coloured by grade, territory or any category column.

    Parameters
    ----------
    customers
        ``customer_id, lon, lat`` and the ``color_by`` column (optional ``name``).
    color_by
        Category column, for example ``"grade"`` or ``"rep_id"`` (territory).
    path
        When given, the map is saved there as HTML.
    tiles
        folium tiles (None for a blank background, e.g. offline).
    radius
        Dot radius in pixels.

    Returns
    -------
    folium.Map
        One ``CircleMarker`` per customer, one layer per category.

    Raises
    ------
    ValidationError
        Missing columns or coordinates.
    """
    fl = _folium()
    points = _points(customers, "customers", "customer_id", "lon", "lat")
    if color_by not in customers.columns:
        raise ValidationError(f"customers: column '{color_by}' (color_by) is missing")
    category = customers[color_by].astype(object).where(customers[color_by].notna(), "(none)")
    points["category"] = category.astype(str).to_numpy()
    names = customers["name"].astype(str).to_numpy() if "name" in customers.columns else None
    fmap = fl.Map(
        location=[float(points["lat"].mean()), float(points["lon"].mean())],
        zoom_start=10,
        tiles=tiles,
    )
    fmap.fit_bounds(
        [[points["lat"].min(), points["lon"].min()], [points["lat"].max(), points["lon"].max()]]
    )
    ids = points["customer_id"].to_numpy(dtype=object)
    lats = points["lat"].to_numpy(dtype=float)
    lons = points["lon"].to_numpy(dtype=float)
    for i, cat in enumerate(sorted(set(points["category"]))):
        colour = PALETTE[i % len(PALETTE)]
        layer = fl.FeatureGroup(name=f"{color_by} {cat}")
        rows = np.flatnonzero(points["category"].to_numpy() == cat)
        for r in rows:
            cid = str(ids[r])
            label = f"{cid} {names[r]} ({cat})" if names is not None else f"{cid} ({cat})"
            fl.CircleMarker(
                [float(lats[r]), float(lons[r])],
                radius=radius,
                color=colour,
                fill=True,
                fill_opacity=0.8,
                tooltip=label,
            ).add_to(layer)
        layer.add_to(fmap)
    fl.LayerControl(collapsed=False).add_to(fmap)
    _save(fmap, path)
    return cast("folium.Map", fmap)


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
        ``customer_id, lon, lat``.
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
        One layer per day with a ``PolyLine`` and one numbered ``CircleMarker`` per
        visit, and a home ``Marker``.

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
        layer = fl.FeatureGroup(name=f"W{wk} {WEEKDAY_NAMES[weekday]} ({len(stops)} visits)")
        coords = [where[str(c)] for c in stops["customer_id"]]
        fl.PolyLine([home, *coords, home], color=colour, weight=3, opacity=0.8).add_to(layer)
        arrivals = (
            stops["arrival"].to_numpy() if "arrival" in stops.columns else [None] * len(stops)
        )
        for n, (cid, point, arrival) in enumerate(
            zip(stops["customer_id"], coords, arrivals, strict=True)
        ):
            at = f" {format_time(float(arrival))}" if arrival is not None else ""
            fl.CircleMarker(
                point,
                radius=6,
                color=colour,
                fill=True,
                fill_opacity=0.9,
                tooltip=f"W{wk} {WEEKDAY_NAMES[weekday]} #{n + 1} {cid}{at}",
            ).add_to(layer)
        all_points.extend(coords)
        layer.add_to(fmap)
    lats = [p[0] for p in all_points]
    lons = [p[1] for p in all_points]
    fmap.fit_bounds([[min(lats), min(lons)], [max(lats), max(lons)]])
    fl.LayerControl(collapsed=False).add_to(fmap)
    _save(fmap, path)
    return cast("folium.Map", fmap)
