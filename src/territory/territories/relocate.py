"""Large steps for the local search: relocate a trapped territory, regrow a neighbourhood.

A territory that starts in a small pocket of the graph -- a town reached by a single
road -- can only grow through the few customers on its border, one per pass, and
border moves never get it to its target: the local search stalls with that territory
far under its band. No sequence of single improving moves fixes this. The remedy is
a large step: give the trapped territory's customers to the neighbour it touches
(their union is contiguous), then cut the most overloaded territory in two by region
growing inside it and hand one half to the freed territory. The local search then
rebalances from there.

A territory can also be stuck behind neighbours that sit at the edge of their own
bands: it can only take load through them, and a single move never pays. Regrowing
the territory together with every territory it touches -- their union is contiguous --
from fresh seeds spreads the group's load anew (a destroy-and-repair step of a large
neighbourhood search).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from territory.geometry import weighted_kmeans
from territory.territories._construct import grow_regions, match_centres
from territory.territories.improve import SearchSetup, centres_of, territory_loads

__all__ = ["REASON_RELOCATED", "regrow", "relocate"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Most territories regrown together.
MAX_GROUP = 10

#: Reason code of a customer whose territory was dissolved or split by a relocation.
REASON_RELOCATED = -3


def _mean_deviation(setup: SearchSetup, labels: IntArray) -> FloatArray:
    """Mean relative deviation from target over the measures, per territory."""
    dev = territory_loads(setup, labels) / setup.targets - 1.0
    finite = np.isfinite(setup.tolerance)
    out: FloatArray = dev[:, finite].mean(axis=1) if finite.any() else dev.mean(axis=1)
    return out


def _touching(setup: SearchSetup, labels: IntArray, t: int) -> IntArray:
    """Territories that share an edge with territory ``t``."""
    src = np.repeat(np.arange(len(labels)), np.diff(setup.indptr))
    cross = (labels[src] == t) & (labels[setup.indices] != t)
    return np.unique(labels[setup.indices[cross]])


def _free_of_conflicts(setup: SearchSetup, labels: IntArray, nodes: IntArray, t: int) -> bool:
    return not any(labels[c] == t for i in nodes.tolist() for c in setup.conflicts[i])


def relocate(
    setup: SearchSetup,
    labels: IntArray,
    reasons: list[int],
    rng: np.random.Generator,
    *,
    below: float,
) -> IntArray | None:
    """Move the most underloaded territory to the most overloaded area.

    Parameters
    ----------
    setup
        The subproblem.
    labels
        Current assignment (contiguous territories).
    reasons
        Reason codes per node, updated for the nodes that change territory.
    rng
        Random generator (seeds of the split).
    below
        Only a territory whose mean deviation is under ``-below`` is relocated.

    Returns
    -------
    numpy.ndarray or None
        The new assignment, or None when no territory qualifies or the rules (locks,
        pairs kept apart) forbid the step.
    """
    labels = labels.copy()
    deviation = _mean_deviation(setup, labels)
    order = np.argsort(deviation, kind="stable")
    for trapped in order[:3].tolist():
        if deviation[trapped] >= -below:
            return None
        mine = np.flatnonzero(labels == trapped)
        if (setup.locked[mine] >= 0).any():
            continue
        touching = _touching(setup, labels, trapped)
        if len(touching) == 0:
            continue
        host = int(touching[np.argmin(deviation[touching])])
        if not _free_of_conflicts(setup, labels, mine, host):
            continue
        merged = labels.copy()
        merged[mine] = host
        after = _mean_deviation(setup, merged)
        after[trapped] = -np.inf
        donor = int(np.argmax(after))
        split = _split_in_two(setup, merged, donor, trapped, rng)
        if split is None:
            continue
        for i in np.flatnonzero(split != labels).tolist():
            reasons[i] = REASON_RELOCATED
        return split
    return None


def _local_lists(setup: SearchSetup, nodes: IntArray) -> tuple[list[list[int]], list[list[int]]]:
    """Neighbour and conflict lists of the subgraph on ``nodes``, in local indices."""
    local = np.full(len(setup.xy), -1, dtype=np.int64)
    local[nodes] = np.arange(len(nodes))
    rows = nodes.tolist()
    neighbours = [[int(local[k]) for k in setup.neighbours[i] if local[k] >= 0] for i in rows]
    conflicts = [[int(local[k]) for k in setup.conflicts[i] if local[k] >= 0] for i in rows]
    return neighbours, conflicts


def _split_in_two(
    setup: SearchSetup, labels: IntArray, donor: int, freed: int, rng: np.random.Generator
) -> IntArray | None:
    """Cut territory ``donor`` in two by region growing; ``freed`` takes one part."""
    nodes = np.flatnonzero(labels == donor)
    if len(nodes) < 2:
        return None
    neighbours, conflicts = _local_lists(setup, nodes)
    xy = setup.xy[nodes]
    weights = setup.weights[nodes]
    targets = setup.targets[[donor, freed]]
    share = (weights / weights.sum(axis=0).clip(min=1e-12)).mean(axis=1)
    centres = weighted_kmeans(xy, share, 2, rng)
    start = np.where(setup.locked[nodes] >= 0, 0, -1).astype(np.int64)
    part = grow_regions(neighbours, xy, weights, targets, centres, start, conflicts)
    if (part == 1).sum() == 0 or (part == 0).sum() == 0:
        return None
    out = labels.copy()
    out[nodes[part == 1]] = freed
    return out


def _out_of_band(setup: SearchSetup, labels: IntArray) -> FloatArray:
    """Total relative excess over the tolerance band, per territory."""
    dev = np.abs(territory_loads(setup, labels) / setup.targets - 1.0)
    out: FloatArray = np.maximum(dev - setup.tolerance, 0.0).sum(axis=1)
    return out


def _group_around(setup: SearchSetup, labels: IntArray, centre: int) -> IntArray:
    """``centre``, the territories it touches, and more until the group can balance.

    Touching territories are added one at a time -- the one that brings the group's
    total closest to its target -- while the group's total misses its target by more
    than half a tolerance and it has fewer than :data:`MAX_GROUP` territories.
    """
    load = territory_loads(setup, labels)
    half = 0.5 * setup.tolerance
    group = np.union1d([centre], _touching(setup, labels, centre))

    def miss(members: IntArray) -> float:
        dev = np.abs(load[members].sum(axis=0) / setup.targets[members].sum(axis=0) - 1.0)
        return float(np.maximum(dev - half, 0.0).sum())

    while len(group) < MAX_GROUP and miss(group) > 0:
        touching = np.setdiff1d(
            np.unique(np.concatenate([_touching(setup, labels, int(t)) for t in group])), group
        )
        if len(touching) == 0:
            break
        scores = [miss(np.append(group, t)) for t in touching.tolist()]
        group = np.union1d(group, [touching[int(np.argmin(scores))]])
    return group


def regrow(
    setup: SearchSetup,
    labels: IntArray,
    reasons: list[int],
    rng: np.random.Generator,
) -> IntArray | None:
    """Regrow a territory out of tolerance together with the territories it touches.

    Parameters
    ----------
    setup
        The subproblem.
    labels
        Current assignment (contiguous territories).
    reasons
        Reason codes per node, updated for the nodes that change territory.
    rng
        Random generator: picks the territory (weighted by its excess) and the seeds.

    Returns
    -------
    numpy.ndarray or None
        The new assignment, or None when every territory is within tolerance.
    """
    excess = _out_of_band(setup, labels)
    if excess.sum() <= 0:
        return None
    centre = int(rng.choice(len(excess), p=excess / excess.sum()))
    group = _group_around(setup, labels, centre)
    nodes = np.flatnonzero(np.isin(labels, group))
    if len(nodes) < len(group):
        return None
    neighbours, conflicts = _local_lists(setup, nodes)
    xy = setup.xy[nodes]
    weights = setup.weights[nodes]
    share = (weights / weights.sum(axis=0).clip(min=1e-12)).mean(axis=1)
    if setup.fixed_centres is not None:
        seeds = setup.fixed_centres[group]
    else:
        found = weighted_kmeans(xy, share, len(group), rng)
        seeds = found[match_centres(found, centres_of(setup, labels)[group])]
    position = {int(t): k for k, t in enumerate(group.tolist())}
    locked = setup.locked[nodes]
    start = np.array([position.get(int(t), -1) for t in locked.tolist()], dtype=np.int64)
    part = grow_regions(neighbours, xy, weights, setup.targets[group], seeds, start, conflicts)
    out = labels.copy()
    out[nodes] = group[part]
    for i in np.flatnonzero(out != labels).tolist():
        reasons[i] = REASON_RELOCATED
    return out
