"""Neighbourhood graphs of customer points or areas.

Territories are kept contiguous on a neighbourhood graph: the Delaunay triangulation
of the customer points with overly long edges pruned, or the adjacency of polygons
(areas that touch or overlap) when the units are areas. Parts that end up
disconnected -- islands, or towns separated by pruned edges -- are joined by an edge
between their nearest pair of points, so that the graph is always connected and
every territory can be grown from any seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from territory.geometry import project_km  # re-exported: the one local projection

__all__ = [
    "NeighbourGraph",
    "delaunay_edges",
    "neighbourhood_graph",
    "polygon_edges",
    "project_km",
]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class NeighbourGraph:
    """An undirected graph in compressed sparse row form.

    Attributes
    ----------
    indptr, indices
        The neighbours of node ``i`` are ``indices[indptr[i]:indptr[i + 1]]``.
    added_edges
        Number of edges added to join disconnected parts (nearest pairs).
    pruned_edges
        Number of overly long Delaunay edges removed.
    """

    indptr: IntArray
    indices: IntArray
    added_edges: int = 0
    pruned_edges: int = 0

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.indptr) - 1

    def edges(self) -> IntArray:
        """Each undirected edge once, as an ``(n_edges, 2)`` array with ``u < v``."""
        rows = np.repeat(np.arange(self.n_nodes), np.diff(self.indptr))
        keep = rows < self.indices
        return np.column_stack([rows[keep], self.indices[keep]]).astype(np.int64)

    def neighbour_lists(self) -> list[list[int]]:
        """Neighbours of every node as Python lists (fast to walk in loops)."""
        ind = self.indices.tolist()
        ptr = self.indptr.tolist()
        return [ind[ptr[i] : ptr[i + 1]] for i in range(self.n_nodes)]


def delaunay_edges(xy: FloatArray) -> IntArray:
    """Edges of the Delaunay triangulation of ``xy`` (``u < v``, each once).

    Fewer than three points, or points on one line, give a chain along the line.
    Duplicate points that the triangulation leaves out are joined later by
    :func:`neighbourhood_graph`.
    """
    from scipy.spatial import Delaunay, QhullError

    n = len(xy)
    if n < 2:
        return np.empty((0, 2), dtype=np.int64)
    centred = xy - xy.mean(axis=0)
    if n >= 3 and np.linalg.matrix_rank(centred, tol=1e-9 * (np.abs(centred).max() + 1)) == 2:
        try:
            tri = Delaunay(xy)
        except QhullError:  # pragma: no cover - degenerate inputs caught by rank test
            pass
        else:
            simplices = tri.simplices
            pairs = np.vstack([simplices[:, [0, 1]], simplices[:, [1, 2]], simplices[:, [0, 2]]])
            pairs.sort(axis=1)
            return np.unique(pairs, axis=0).astype(np.int64)
    # Collinear (or two) points: chain them along their main direction.
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    order = np.argsort(centred @ vt[0], kind="stable")
    pairs = np.column_stack([order[:-1], order[1:]])
    pairs.sort(axis=1)
    return pairs.astype(np.int64)


def polygon_edges(geometry: Any) -> IntArray:
    """Edges between polygons that touch or overlap (queen contiguity).

    Parameters
    ----------
    geometry
        A GeoSeries of polygons; adjacency uses its spatial index (no libpysal).
    """
    left, right = geometry.sindex.query(geometry, predicate="intersects")
    keep = left < right
    pairs = np.column_stack([left[keep], right[keep]]).astype(np.int64)
    return np.unique(pairs, axis=0) if len(pairs) else np.empty((0, 2), dtype=np.int64)


def _prune_long(xy: FloatArray, pairs: IntArray, factor: float) -> IntArray:
    """Drop edges longer than ``factor`` times the median edge length at both ends."""
    if len(pairs) == 0:
        return pairs
    length = np.linalg.norm(xy[pairs[:, 0]] - xy[pairs[:, 1]], axis=1)
    n = len(xy)
    both = np.concatenate([pairs[:, 0], pairs[:, 1]])
    lengths = np.concatenate([length, length])
    order = np.lexsort((lengths, both))
    both, lengths = both[order], lengths[order]
    starts = np.searchsorted(both, np.arange(n))
    ends = np.searchsorted(both, np.arange(n), side="right")
    has = ends > starts
    median = np.full(n, np.inf)
    mid_lo = (starts + (ends - starts - 1) // 2)[has]
    mid_hi = (starts + (ends - starts) // 2)[has]
    median[has] = 0.5 * (lengths[mid_lo] + lengths[mid_hi])
    limit = factor * np.minimum(median[pairs[:, 0]], median[pairs[:, 1]])
    kept: IntArray = pairs[length <= np.maximum(limit, 1e-12)]
    return kept


def _connect_components(xy: FloatArray, pairs: IntArray) -> tuple[IntArray, int]:
    """Join disconnected parts, each time by the nearest pair between a part and the rest."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    n = len(xy)
    added: list[tuple[int, int]] = []
    while True:
        all_pairs = np.vstack([pairs, np.array(added, dtype=np.int64).reshape(-1, 2)])
        adjacency = coo_matrix(
            (np.ones(len(all_pairs)), (all_pairs[:, 0], all_pairs[:, 1])), shape=(n, n)
        )
        count, label = connected_components(adjacency, directed=False)
        if count <= 1:
            return all_pairs, len(added)
        sizes = np.bincount(label)
        # Join every part but the largest to its nearest point outside the part.
        largest = int(np.argmax(sizes))
        for part in range(count):
            if part == largest:
                continue
            inside = np.flatnonzero(label == part)
            outside = np.flatnonzero(label != part)
            dist, nearest = cKDTree(xy[outside]).query(xy[inside])
            k = int(np.argmin(dist))
            u, v = int(inside[k]), int(outside[nearest[k]])
            added.append((min(u, v), max(u, v)))


def neighbourhood_graph(
    xy: FloatArray,
    *,
    pairs: IntArray | None = None,
    max_edge_factor: float | None = 3.0,
) -> NeighbourGraph:
    """Build the connected neighbourhood graph of a set of units.

    Parameters
    ----------
    xy
        Planar coordinates (km) of the units, shape ``(n, 2)``.
    pairs
        Adjacent pairs (for example from :func:`polygon_edges`); the Delaunay
        triangulation of ``xy`` when omitted.
    max_edge_factor
        Delaunay edges longer than this many times the median edge length at both of
        their ends are pruned (a triangulation bridges lakes and empty countryside with
        long edges). ``None`` keeps every edge. Ignored when ``pairs`` is given.

    Returns
    -------
    NeighbourGraph
        Always connected: remaining parts are joined by their nearest pair of points.

    Examples
    --------
    >>> xy = np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0], [10.0, 0.0]])
    >>> g = neighbourhood_graph(xy)
    >>> g.edges().tolist()
    [[0, 1], [1, 2], [2, 3]]
    """
    xy = np.asarray(xy, dtype=float)
    n = len(xy)
    pruned = 0
    if pairs is None:
        pairs = delaunay_edges(xy)
        if max_edge_factor is not None and len(pairs):
            kept = _prune_long(xy, pairs, max_edge_factor)
            pruned = len(pairs) - len(kept)
            pairs = kept
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    added = 0
    if n > 1:
        pairs, added = _connect_components(xy, pairs)
    both = np.vstack([pairs, pairs[:, ::-1]]) if len(pairs) else np.empty((0, 2), np.int64)
    both = np.unique(both, axis=0)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(both[:, 0], minlength=n), out=indptr[1:])
    return NeighbourGraph(
        indptr=indptr,
        indices=both[:, 1].astype(np.int64),
        added_edges=added,
        pruned_edges=pruned,
    )
