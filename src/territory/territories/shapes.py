"""Territory outlines that do not overlap: dissolved Voronoi cells of the customers.

A convex hull per territory is the quick picture, but hulls of neighbouring territories
overlap wherever their boundary is not straight (on the sample region two of them shared
238 of 343 km²). Here every customer location gets its Voronoi cell -- the part of the
plane nearer to it than to any other customer -- the cells are dissolved per territory and
the result is clipped to the region. Cells of distinct points share edges and never
overlap, so neither do the territories, and together they tile the region.

The region is the buffered convex hull of all customers unless one is given (a sales
area, a country); the buffer is the typical spacing of the customers, ``sqrt(hull area /
customers)``, so that border customers get a cell of about their share and not a strip
to infinity. Everything is computed in the UTM zone of the customers (metres), then
returned in EPSG:4326.

Customers that share a location share a cell; when they belong to different
territories the cell goes to the territory of the first of them (a shared shop front
cannot be drawn twice without overlap).
"""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray

from territory.errors import ValidationError

__all__ = ["voronoi_shapes"]

logger = logging.getLogger("territory")

#: Region buffer (metres) when the customers have no extent (one location).
_MIN_BUFFER_M = 1000.0


def _region_geometry(region: Any, crs: Any) -> Any:
    """One shapely geometry in ``crs`` from a geometry (EPSG:4326) or a GeoSeries/GeoDataFrame."""
    import geopandas as gpd

    if isinstance(region, gpd.GeoDataFrame):
        region = region.geometry
    if isinstance(region, gpd.GeoSeries):
        if region.crs is None:
            raise ValidationError("region: column 'geometry' has no CRS; set one")
        series = region.to_crs(crs)
    elif isinstance(region, shapely.Geometry):
        series = gpd.GeoSeries([region], crs=4326).to_crs(crs)
    else:
        raise ValidationError(
            f"region: expected a shapely geometry (EPSG:4326), a GeoSeries or a GeoDataFrame, "
            f"got {type(region).__name__}"
        )
    geometry = shapely.union_all(series.dropna().to_numpy())
    if geometry.is_empty or geometry.area <= 0:
        raise ValidationError("region: the geometry has no area")
    return geometry


def _default_region(points: NDArray[Any]) -> Any:
    """The convex hull of ``points`` buffered by the typical spacing of the points."""
    hull = shapely.convex_hull(shapely.multipoints(points))
    n = len(points)
    # the mean spacing of points over the hull; on a line (or one point) along the line
    spacing = math.sqrt(hull.area / n) if hull.area > 0 else hull.length / max(n - 1, 1)
    return shapely.buffer(hull, spacing if spacing > 0 else _MIN_BUFFER_M)


def voronoi_shapes(
    lon: NDArray[np.float64],
    lat: NDArray[np.float64],
    owner: NDArray[np.int64],
    n_territories: int,
    *,
    region: Any = None,
) -> list[Any]:
    """One polygon per territory: its customers' Voronoi cells, dissolved and clipped.

    Parameters
    ----------
    lon, lat
        Customer coordinates (EPSG:4326).
    owner
        Territory position of each customer (``0 .. n_territories - 1``; -1 for none).
    n_territories
        Number of territories.
    region
        Area to clip to: a shapely geometry in EPSG:4326, or a GeoSeries / GeoDataFrame
        with a CRS. Default: the convex hull of the customers, buffered by their typical
        spacing.

    Returns
    -------
    list
        A shapely (Multi)Polygon in EPSG:4326 per territory; None for a territory
        without customers (or whose every customer shares a location with a customer
        of another territory listed before it, or lies outside ``region``).

    Raises
    ------
    ValidationError
        When ``region`` is not a geometry, has no CRS or no area.

    Examples
    --------
    >>> shapes = voronoi_shapes(
    ...     np.array([0.0, 0.01, 0.0, 0.01]),
    ...     np.array([0.0, 0.0, 0.01, 0.01]),
    ...     np.array([0, 1, 0, 1]),
    ...     2,
    ... )
    >>> round(shapes[0].bounds[2], 4), round(shapes[1].bounds[0], 4)  # border half-way
    (0.005, 0.005)
    >>> bool(shapes[0].intersection(shapes[1]).area < 1e-12)
    True
    """
    import geopandas as gpd

    owner = np.asarray(owner, dtype=np.int64)
    shapes: list[Any] = [None] * n_territories
    keep = owner >= 0
    if not keep.any():
        return shapes
    wgs = gpd.GeoSeries(shapely.points(np.asarray(lon)[keep], np.asarray(lat)[keep]), crs=4326)
    crs = wgs.estimate_utm_crs()
    xy = shapely.get_coordinates(wgs.to_crs(crs).to_numpy())
    owner = owner[keep]
    unique, first = np.unique(xy, axis=0, return_index=True)
    shared = len(unique) < len(xy)
    if shared:
        logger.debug("territory shapes: %d customers share a location", len(xy) - len(unique))
    cell_owner = owner[first]  # np.unique sorts; ``first`` is each location's first customer
    clip = _default_region(unique) if region is None else _region_geometry(region, crs)
    sites = shapely.points(unique)
    if len(unique) == 1:
        cells = np.array([clip], dtype=object)
    else:
        parts = shapely.get_parts(
            shapely.voronoi_polygons(shapely.multipoints(sites), extend_to=clip)
        )
        site, cell = shapely.STRtree(parts).query(sites, predicate="within")
        cells = np.empty(len(unique), dtype=object)
        cells[site] = parts[cell]
    projected: list[Any] = []
    positions: list[int] = []
    for t in np.unique(cell_owner):
        merged = shapely.intersection(shapely.union_all(cells[cell_owner == t]), clip)
        if not merged.is_empty:
            projected.append(merged)
            positions.append(int(t))
    back = gpd.GeoSeries(projected, crs=crs).to_crs(4326).to_numpy()
    for t, geom in zip(positions, back, strict=True):
        shapes[t] = geom
    return shapes
