"""Initial territories: balanced seeds, then contiguous region growing.

Seeds come from :func:`territory.geometry.weighted_kmeans` (k-means++ start, a few
Lloyd steps; re-exported here for the solver) so that they sit in the middle of
roughly equal amounts of activity. Territories then grow
outwards from their seeds over the neighbourhood graph, one customer at a time: the
territory that is least full (its largest ratio of load to target over the measures)
takes the unassigned neighbour closest to its seed. Growing only ever adds neighbours,
so every territory is contiguous, and loads stay close to their targets.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from territory.geometry import weighted_kmeans

__all__ = ["grow_regions", "match_centres", "weighted_kmeans"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def match_centres(centres: FloatArray, anchors: FloatArray) -> IntArray:
    """Give each territory (anchor) one centre, minimising the total distance.

    Returns
    -------
    numpy.ndarray
        ``order`` such that territory ``t`` takes ``centres[order[t]]``.
    """
    from scipy.optimize import linear_sum_assignment

    cost = np.linalg.norm(anchors[:, None, :] - centres[None, :, :], axis=2)
    rows, cols = linear_sum_assignment(cost)
    order = np.empty(len(anchors), dtype=np.int64)
    order[rows] = cols
    return order


def _fill(load: FloatArray, target: FloatArray) -> float:
    return float(np.max(load / target))


def grow_regions(
    neighbours: Sequence[Sequence[int]],
    xy: FloatArray,
    weights: FloatArray,
    targets: FloatArray,
    centres: FloatArray,
    labels: IntArray,
    conflicts: Sequence[Sequence[int]],
) -> IntArray:
    """Grow contiguous territories from seeds until every node is assigned.

    Parameters
    ----------
    neighbours
        Neighbour lists of the (connected) graph.
    xy
        Node coordinates, shape ``(n, 2)``.
    weights
        Measure values per node, shape ``(n, m)``.
    targets
        Target load per territory and measure, shape ``(p, m)``, all positive.
    centres
        Where each territory grows from, shape ``(p, 2)``; a territory that has no
        node yet starts at the free node nearest its centre.
    labels
        Initial assignment (``-1`` for free nodes); not modified.
    conflicts
        Per node, the nodes it must not share a territory with.

    Returns
    -------
    numpy.ndarray
        The territory of every node.
    """
    from scipy.spatial import cKDTree

    n, p = len(xy), len(targets)
    lab = labels.astype(np.int64).tolist()
    load = np.zeros_like(targets)
    assigned = np.asarray(labels) >= 0
    np.add.at(load, np.asarray(labels)[assigned], weights[assigned])
    members: list[list[int]] = [[] for _ in range(p)]
    for i, t in enumerate(lab):
        if t >= 0:
            members[t].append(i)
    # Territories without any node start at the free node nearest their centre.
    free = np.flatnonzero(~assigned)
    if len(free):
        tree = cKDTree(xy[free])
        taken: set[int] = set()
        for t in range(p):
            if members[t]:
                continue
            _, order = tree.query(centres[t], k=min(len(free), p + 1))
            for j in np.atleast_1d(order):
                node = int(free[int(j)])
                if node not in taken and not any(lab[c] == t for c in conflicts[node]):
                    taken.add(node)
                    lab[node] = t
                    members[t].append(node)
                    load[t] += weights[node]
                    break
    heaps: list[list[tuple[float, int]]] = [[] for _ in range(p)]

    def push_neighbours(t: int, node: int) -> None:
        cx, cy = centres[t]
        for v in neighbours[node]:
            if lab[v] < 0:
                d = float(np.hypot(xy[v, 0] - cx, xy[v, 1] - cy))
                heapq.heappush(heaps[t], (d, v))

    for t in range(p):
        for node in members[t]:
            push_neighbours(t, node)
    queue = [(_fill(load[t], targets[t]), t) for t in range(p) if heaps[t]]
    heapq.heapify(queue)
    while queue:
        _, t = heapq.heappop(queue)
        heap = heaps[t]
        while heap:
            _, v = heapq.heappop(heap)
            if lab[v] < 0 and not any(lab[c] == t for c in conflicts[v]):
                lab[v] = t
                load[t] += weights[v]
                push_neighbours(t, v)
                break
        if heap:
            heapq.heappush(queue, (_fill(load[t], targets[t]), t))
    # Nodes left over were blocked by conflicts: nearest territory without a conflict.
    out = np.asarray(lab, dtype=np.int64)
    left = np.flatnonzero(out < 0)
    for v in left.tolist():
        distance = np.linalg.norm(centres - xy[v], axis=1)
        for t in np.argsort(distance, kind="stable").tolist():
            if not any(out[c] == t for c in conflicts[v]):
                out[v] = t
                break
        else:
            out[v] = int(np.argmin(distance))
    del n
    return out
