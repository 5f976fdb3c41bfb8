"""Geometry shared by every stage: the sphere, one local plane, one weighted k-means.

Three tools, each written once:

* :func:`unit_vectors` -- WGS84 points as unit vectors in 3-d. Euclidean distance
  between them is the chord, which grows with the great-circle distance, so a KD-tree
  on unit vectors finds great-circle nearest neighbours exactly, anywhere on Earth.
  :func:`chord_km` turns a chord back into great-circle kilometres.
* :func:`project_km` -- the local plane in kilometres (equirectangular around a
  reference point) used for compactness, centres, day clustering and k-means. Over a
  sales region (a few hundred kilometres) its distances are within a fraction of a
  percent of the great circle.
* :func:`weighted_kmeans` -- Lloyd's algorithm with weights, started by k-means++ (or
  by distinct random points). The assignment step queries a KD-tree of the centres
  (``scipy.spatial.cKDTree``), so memory stays ``O(n + k)`` instead of the ``n x k``
  of a broadcast; the result depends only on the inputs and the seed.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.spatial import cKDTree

__all__ = [
    "EARTH_RADIUS_KM",
    "KM_PER_DEGREE",
    "chord_km",
    "project_km",
    "unit_vectors",
    "weighted_kmeans",
]

FloatArray = NDArray[np.float64]

#: Mean Earth radius (IUGG), kilometres (also exported as ``territory.travel.EARTH_RADIUS_KM``).
EARTH_RADIUS_KM = 6371.0088
#: Kilometres per degree of latitude on the local plane of :func:`project_km`.
KM_PER_DEGREE = 111.195
#: Weight added to every point in :func:`weighted_kmeans`, so that zero weights still count.
_TINY_WEIGHT = 1e-12


def unit_vectors(lon: ArrayLike, lat: ArrayLike) -> FloatArray:
    """Points on the unit sphere, shape ``(n, 3)``.

    Euclidean nearest neighbours of these vectors are great-circle nearest neighbours.

    Parameters
    ----------
    lon, lat
        WGS84 degrees.

    Returns
    -------
    numpy.ndarray
        ``(cos lat cos lon, cos lat sin lon, sin lat)`` per point.

    Examples
    --------
    >>> unit_vectors([0.0, 90.0], [0.0, 0.0]).round(6).tolist()
    [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    """
    lonr = np.radians(np.asarray(lon, dtype=float))
    latr = np.radians(np.asarray(lat, dtype=float))
    return np.column_stack([np.cos(latr) * np.cos(lonr), np.cos(latr) * np.sin(lonr), np.sin(latr)])


def chord_km(chord: ArrayLike) -> FloatArray:
    """Great-circle kilometres of chords between :func:`unit_vectors`.

    Examples
    --------
    >>> round(float(chord_km(2.0)), 1)  # antipodes: half the circumference
    20015.1
    """
    half = np.clip(np.asarray(chord, dtype=float) / 2.0, 0.0, 1.0)
    return np.asarray(2.0 * EARTH_RADIUS_KM * np.arcsin(half), dtype=float)


def project_km(
    lon: ArrayLike, lat: ArrayLike, *, origin: tuple[float, float] | None = None
) -> FloatArray:
    """Project WGS84 degrees onto a local plane in kilometres (equirectangular).

    Accurate to a fraction of a percent over a sales region; used for compactness,
    centres and clustering. ``origin`` (lon, lat) defaults to the mean of the points;
    give it to project several sets of points onto the same plane.

    Parameters
    ----------
    lon, lat
        WGS84 degrees.
    origin
        ``(lon, lat)`` of the plane's origin; the mean of the points by default.

    Returns
    -------
    numpy.ndarray
        ``(n, 2)`` kilometres east and north of the origin.

    Examples
    --------
    >>> xy = project_km(np.array([0.0, 1.0]), np.array([0.0, 0.0]))
    >>> round(float(xy[1, 0] - xy[0, 0]), 3)
    111.195
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    if origin is None:
        origin = (
            float(np.mean(lon)) if len(lon) else 0.0,
            float(np.mean(lat)) if len(lat) else 0.0,
        )
    lon0, lat0 = origin
    x = (lon - lon0) * KM_PER_DEGREE * np.cos(np.radians(lat0))
    y = (lat - lat0) * KM_PER_DEGREE
    return np.column_stack([x, y])


def _kmeans_plus_plus(
    points: FloatArray,
    weight: FloatArray,
    k: int,
    rng: np.random.Generator,
    first_by_weight: bool,
) -> FloatArray:
    """k-means++ start: first centre by weight (or uniformly), next by weight x distance**2."""
    n = len(points)
    uniform = not first_by_weight
    first = int(rng.integers(n)) if uniform else int(rng.choice(n, p=weight / weight.sum()))
    chosen = [first]
    d2 = np.sum((points - points[first]) ** 2, axis=1)
    for _ in range(1, k):
        p = d2 * weight
        total = p.sum()
        nxt = int(rng.choice(n, p=p / total)) if total > 0 else int(rng.integers(n))
        chosen.append(nxt)
        d2 = np.minimum(d2, np.sum((points - points[nxt]) ** 2, axis=1))
    return np.array(points[chosen], dtype=float)


def weighted_kmeans(
    points: ArrayLike,
    weights: ArrayLike | None,
    k: int,
    seed: int | np.random.Generator,
    *,
    steps: int = 10,
    init: Literal["k-means++", "random"] = "k-means++",
    first_by_weight: bool = True,
) -> FloatArray:
    """Centres of a weighted k-means (Lloyd steps with a KD-tree assignment).

    Parameters
    ----------
    points
        ``(n, d)`` coordinates (for example km from :func:`project_km`), ``n >= 1``.
    weights
        Non-negative weight per point (``None``: all 1). A tiny weight is added to
        each, so that points of weight 0 still pull an otherwise empty centre.
    k
        Number of centres, at least 1 (at most ``n`` for ``init="random"``; with
        k-means++ surplus centres repeat points).
    seed
        Seed or generator: the only source of randomness (a generator is advanced).
    steps
        Most Lloyd iterations; it stops earlier once no point changes centre.
    init
        ``"k-means++"``: the first centre drawn by weight, each next one by weight times
        squared distance to the nearest chosen centre. ``"random"``: ``k`` distinct
        points drawn uniformly.
    first_by_weight
        With k-means++, draw the first centre by weight (``True``) or uniformly.

    Returns
    -------
    numpy.ndarray
        ``(k, d)`` centres. A centre that loses all its points keeps its place.

    Raises
    ------
    ValueError
        When there are no points, ``k`` is below 1 (or above ``n`` for
        ``init="random"``), or ``init`` is unknown.

    Examples
    --------
    >>> xy = np.array([[0.0, 0.0], [0.0, 1.0], [10.0, 0.0], [10.0, 1.0]])
    >>> sorted(weighted_kmeans(xy, None, 2, seed=0).round(1).tolist())
    [[0.0, 0.5], [10.0, 0.5]]
    """
    xy = np.asarray(points, dtype=float)
    n = len(xy)
    if n == 0 or k < 1 or (init == "random" and k > n):
        raise ValueError(f"weighted_kmeans: cannot place {k} centres ({init}) on {n} points")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float) + _TINY_WEIGHT
    if init == "k-means++":
        centres = _kmeans_plus_plus(xy, w, k, rng, first_by_weight)
    elif init == "random":
        centres = np.array(xy[rng.choice(n, size=k, replace=False)], dtype=float)
    else:
        raise ValueError(f"weighted_kmeans: init must be 'k-means++' or 'random', got {init!r}")
    label = np.full(n, -1, dtype=np.int64)
    for _ in range(steps):
        new_label = np.asarray(cKDTree(centres).query(xy)[1], dtype=np.int64)
        if np.array_equal(new_label, label):
            break
        label = new_label
        mass = np.bincount(label, weights=w, minlength=k)
        filled = mass > 0
        for d in range(xy.shape[1]):
            sums = np.bincount(label, weights=w * xy[:, d], minlength=k)
            centres[filled, d] = sums[filled] / mass[filled]
    return centres
