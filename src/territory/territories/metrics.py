"""Quality figures of a territory assignment: parts, diameter, dispersion."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["components_per_territory", "diameters_km", "dispersion_km"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def components_per_territory(edges: IntArray, labels: IntArray, p: int) -> IntArray:
    """Number of connected parts of every territory on the graph ``edges``.

    Examples
    --------
    >>> edges = np.array([[0, 1], [1, 2], [2, 3]])
    >>> components_per_territory(edges, np.array([0, 1, 0, 0]), 2).tolist()
    [2, 1]
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = len(labels)
    out = np.zeros(p, dtype=np.int64)
    if n == 0:
        return out
    same = labels[edges[:, 0]] == labels[edges[:, 1]] if len(edges) else np.zeros(0, bool)
    kept = edges[same]
    adjacency = coo_matrix((np.ones(len(kept)), (kept[:, 0], kept[:, 1])), shape=(n, n))
    _, part = connected_components(adjacency, directed=False)
    pairs = np.unique(np.column_stack([labels, part]), axis=0)
    np.add.at(out, pairs[:, 0], 1)
    return out


def _diameter(points: FloatArray) -> float:
    from scipy.spatial import ConvexHull, QhullError
    from scipy.spatial.distance import pdist

    if len(points) < 2:
        return 0.0
    if len(points) > 3:
        try:
            points = points[ConvexHull(points).vertices]
        except QhullError:  # collinear: the extremes along the main direction
            centred = points - points.mean(axis=0)
            direction = np.linalg.svd(centred, full_matrices=False)[2][0]
            along = centred @ direction
            points = points[[int(np.argmin(along)), int(np.argmax(along))]]
    return float(pdist(points).max())


def diameters_km(xy: FloatArray, labels: IntArray, p: int) -> FloatArray:
    """Largest distance between two customers of the same territory (km)."""
    order = np.argsort(labels, kind="stable")
    bounds = np.searchsorted(labels[order], np.arange(p + 1))
    return np.array([_diameter(xy[order[bounds[t] : bounds[t + 1]]]) for t in range(p)])


def dispersion_km(xy: FloatArray, labels: IntArray, centres: FloatArray, p: int) -> FloatArray:
    """Sum of distances from each customer to its territory's centre, per territory."""
    distance = np.linalg.norm(xy - centres[labels], axis=1)
    return np.bincount(labels, weights=distance, minlength=p).astype(np.float64)
