"""Local search: boundary moves that keep territories contiguous.

The objective weighs the balance violation (how far each territory's load lies
outside its tolerance band, relative to its target, summed over territories and
measures), a softer pull towards the middle of the band, and dispersion (squared
distance of each customer to its territory's centre, normalised so that the mean is
one; squares keep long tentacles out), plus a small cost per customer moved away from
its current rep when realigning. The caller raises the violation weight in stages
(strategic oscillation): early stages fix balance cheaply where compactness allows,
the last stage makes balance lexicographically first.

Every pass scores all boundary moves (a customer to a neighbouring territory) at once
with numpy, then applies the improving ones best first, re-scoring each against the
loads as they are by then and checking the rules: locks, customers that must not
share a territory, the move budget, and contiguity -- a customer may only leave a
territory if its neighbours in that territory stay connected without it (checked on
the ring of its neighbours first, then by a bounded breadth-first search; a move whose
check runs out of budget is refused, so contiguity is never broken).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "REASON_BALANCE_SEARCH",
    "SearchSetup",
    "balance_violation",
    "improve",
    "node_weights",
    "objective_parts",
    "perturb",
    "swap_pass",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Weight of the balance violation against normalised dispersion (final stage).
VIOLATION_WEIGHT = 1.0e5
#: Weight of the pull towards the middle of the tolerance band.
SLACK_WEIGHT = 30.0
#: Share of the tolerance the slack term aims to stay within.
SLACK_SHARE = 0.5
#: Most nodes a contiguity check visits before it refuses a move (keeps checks cheap).
BFS_LIMIT = 96
#: Cost of moving one customer away from its current rep (in dispersion units).
MOVE_COST = 0.5


@dataclass(frozen=True)
class SearchSetup:
    """Everything the local search needs about one subproblem.

    Attributes
    ----------
    neighbours
        Neighbour lists of the graph.
    indptr, indices
        The same graph in compressed sparse row form.
    xy
        Node coordinates (km), shape ``(n, 2)``.
    weights
        Measure values, shape ``(n, m)``.
    targets
        Target per territory and measure, shape ``(p, m)``, positive.
    tolerance
        Relative tolerance per measure, shape ``(m,)``.
    locked
        Territory a node is locked to, or -1.
    conflicts
        Per node, nodes it must not share a territory with.
    fixed_centres
        Centres per territory (rep homes) when dispersion is measured to homes; None
        to use the territories' centroids.
    current
        Current territory per node (-1 for none) when realigning, else None.
    max_moves
        Most customers that may change territory (realignment), or None.
    max_moved
        Most of each measure that may change territory, shape ``(m,)``, or None.
    territory_weights
        Measure values of every node in every territory, shape ``(n, p, m)``, where a
        node's value depends on the territory that takes it (the estimated workload
        with the trips of that territory's rep), or None when ``weights`` hold
        everywhere. ``weights`` then only size the large steps and the realignment
        budget.
    """

    neighbours: Sequence[Sequence[int]]
    indptr: IntArray
    indices: IntArray
    xy: FloatArray
    weights: FloatArray
    targets: FloatArray
    tolerance: FloatArray
    locked: IntArray
    conflicts: Sequence[Sequence[int]]
    fixed_centres: FloatArray | None
    current: IntArray | None
    max_moves: int | None
    max_moved: FloatArray | None
    territory_weights: FloatArray | None = None


def node_weights(setup: SearchSetup, labels: IntArray) -> FloatArray:
    """Measure values of every node in the territory ``labels`` gives it, shape ``(n, m)``."""
    if setup.territory_weights is None:
        return setup.weights
    out: FloatArray = setup.territory_weights[np.arange(len(labels)), labels]
    return out


def territory_loads(setup: SearchSetup, labels: IntArray) -> FloatArray:
    """Total of every measure per territory, shape ``(p, m)``."""
    load = np.zeros_like(setup.targets)
    np.add.at(load, labels, node_weights(setup, labels))
    return load


def _violation(load: FloatArray, target: FloatArray, tol: FloatArray, weight: float) -> FloatArray:
    dev = np.abs(load - target) / target
    return (
        np.maximum(dev - tol, 0.0) * weight
        + np.maximum(dev - SLACK_SHARE * tol, 0.0) * SLACK_WEIGHT
    )


def centres_of(setup: SearchSetup, labels: IntArray) -> FloatArray:
    """Territory centres: the fixed homes, or each territory's centroid."""
    if setup.fixed_centres is not None:
        return setup.fixed_centres
    p = len(setup.targets)
    count = np.bincount(labels, minlength=p).astype(float)
    centres = np.zeros((p, 2))
    for d in (0, 1):
        centres[:, d] = np.bincount(labels, weights=setup.xy[:, d], minlength=p)
    out: FloatArray = centres / np.maximum(count, 1.0)[:, None]
    return out


def balance_violation(
    labels: IntArray, weights: FloatArray, targets: FloatArray, tolerance: FloatArray
) -> float:
    """Total balance violation: each territory's relative excess over every tolerance.

    A territory with a target of 0 and no load is on target.
    """
    load = np.zeros_like(targets)
    np.add.at(load, labels, weights)
    with np.errstate(divide="ignore", invalid="ignore"):
        dev = np.abs(load - targets) / targets
    dev[(load == 0) & (targets == 0)] = 0.0
    return float(np.maximum(dev - tolerance, 0.0).sum())


def objective_parts(setup: SearchSetup, labels: IntArray) -> tuple[float, float]:
    """Total balance violation (relative, summed) and dispersion (km) of an assignment."""
    violation = balance_violation(
        labels, node_weights(setup, labels), setup.targets, setup.tolerance
    )
    centres = centres_of(setup, labels)
    dispersion = float(np.linalg.norm(setup.xy - centres[labels], axis=1).sum())
    return violation, dispersion


class _Search:
    """Mutable state of one local search run."""

    def __init__(
        self,
        setup: SearchSetup,
        labels: IntArray,
        reasons: list[int],
        weight: float = VIOLATION_WEIGHT,
    ) -> None:
        self.s = setup
        self.weight = weight
        self.labels = labels.copy()
        self.lab = self.labels.tolist()
        p = len(setup.targets)
        self.load = territory_loads(setup, self.labels)
        self.reasons = reasons
        self.n_moved = 0
        self.moved_load = np.zeros(setup.weights.shape[1])
        if setup.current is not None:
            away = (self.labels != setup.current) & (setup.current >= 0)
            self.n_moved = int(away.sum())
            self.moved_load = setup.weights[away].sum(axis=0)
        d2 = np.sum((setup.xy - centres_of(setup, self.labels)[self.labels]) ** 2, axis=1)
        self.scale = max(float(d2.mean()), 1e-12)
        self.src = np.repeat(np.arange(len(self.lab)), np.diff(setup.indptr))
        self.p = p
        self.size = np.bincount(self.labels, minlength=p).tolist()
        # Python mirrors for the scalar hot path (numpy is slow on length-3 arrays).
        self.load_l: list[list[float]] = self.load.tolist()
        self.target_l: list[list[float]] = setup.targets.tolist()
        self.weight_l: list[list[float]] = setup.weights.tolist()
        self.by_territory = setup.territory_weights
        self.tol_l: list[float] = setup.tolerance.tolist()
        self.half_l: list[float] = (SLACK_SHARE * setup.tolerance).tolist()
        self.xy_l: list[list[float]] = setup.xy.tolist()
        self.current_l: list[int] | None = None if setup.current is None else setup.current.tolist()

    # -- scoring -------------------------------------------------------------------------
    def candidates(self, centres: FloatArray) -> tuple[IntArray, IntArray, FloatArray]:
        """Every boundary move with its change of objective, best first, improving only."""
        s = self.s
        lab = self.labels
        u, v = self.src, s.indices
        cross = lab[u] != lab[v]
        cu, cb = u[cross], lab[v[cross]]
        movable = s.locked[cu] < 0
        cu, cb = cu[movable], cb[movable]
        if len(cu) == 0:
            return cu, cb, np.empty(0)
        key = np.unique(cu * self.p + cb)
        cu, cb = key // self.p, key % self.p
        ca = lab[cu]
        if self.by_territory is None:
            wa = wb = s.weights[cu]
        else:
            wa, wb = self.by_territory[cu, ca], self.by_territory[cu, cb]
        ta, tb = s.targets[ca], s.targets[cb]
        self.load = np.asarray(self.load_l, dtype=float).reshape(s.targets.shape)
        la, lb = self.load[ca], self.load[cb]
        tol = s.tolerance
        w8 = self.weight
        delta = (
            _violation(la - wa, ta, tol, w8)
            + _violation(lb + wb, tb, tol, w8)
            - _violation(la, ta, tol, w8)
            - _violation(lb, tb, tol, w8)
        ).sum(axis=1)
        xy = s.xy[cu]
        delta += (
            np.sum((xy - centres[cb]) ** 2, axis=1) - np.sum((xy - centres[ca]) ** 2, axis=1)
        ) / self.scale
        if s.current is not None:
            cur = s.current[cu]
            delta += MOVE_COST * ((cur == ca).astype(float) - (cur == cb).astype(float))
        good = delta < -1e-9
        order = np.argsort(delta[good], kind="stable")
        return cu[good][order], cb[good][order], delta[good][order]

    def _pen(self, load: float, target: float, j: int) -> float:
        dev = abs(load - target) / target
        out = 0.0
        if dev > self.tol_l[j]:
            out += (dev - self.tol_l[j]) * self.weight
        if dev > self.half_l[j]:
            out += (dev - self.half_l[j]) * SLACK_WEIGHT
        return out

    def moved(self, i: int, a: int, b: int) -> tuple[list[float], list[float]]:
        """What ``i`` takes out of territory ``a`` and brings into ``b``, per measure."""
        if self.by_territory is None:
            w = self.weight_l[i]
            return w, w
        here: list[list[float]] = self.by_territory[i, [a, b]].tolist()
        return here[0], here[1]

    def delta(self, i: int, a: int, b: int, centres: list[list[float]]) -> tuple[float, int]:
        """Change of objective when ``i`` moves from ``a`` to ``b``, and the main reason."""
        if self.by_territory is None:  # the hot path: one value everywhere
            wa = wb = self.weight_l[i]
        else:
            wa, wb = self.moved(i, a, b)
        la, lb = self.load_l[a], self.load_l[b]
        ta, tb = self.target_l[a], self.target_l[b]
        pen = self._pen
        total = 0.0
        best, best_j = 0.0, -1
        for j in range(len(wa)):
            if wa[j] == 0.0 and wb[j] == 0.0:
                continue
            change = (
                pen(la[j] - wa[j], ta[j], j)
                + pen(lb[j] + wb[j], tb[j], j)
                - pen(la[j], ta[j], j)
                - pen(lb[j], tb[j], j)
            )
            total += change
            if change < best:
                best, best_j = change, j
        x, y = self.xy_l[i]
        cb, ca = centres[b], centres[a]
        spread = (
            (x - cb[0]) ** 2 + (y - cb[1]) ** 2 - (x - ca[0]) ** 2 - (y - ca[1]) ** 2
        ) / self.scale
        total += spread
        if self.current_l is not None:
            cur = self.current_l[i]
            total += MOVE_COST * (float(cur == a) - float(cur == b))
        reason = best_j if best_j >= 0 and best < min(spread, 0.0) else -1
        return total, reason

    # -- rules ---------------------------------------------------------------------------
    def allowed(self, i: int, a: int, b: int) -> bool:
        """Whether moving ``i`` from ``a`` to ``b`` keeps every rule and contiguity."""
        s = self.s
        lab = self.lab
        if self.size[a] <= 1 or any(lab[c] == b for c in s.conflicts[i]):
            return False
        if s.current is not None:
            cur = int(s.current[i])
            change = int(cur == a) - int(cur == b) if cur >= 0 else 0
            if s.max_moves is not None and change > 0 and self.n_moved + change > s.max_moves:
                return False
            if (
                s.max_moved is not None
                and change > 0
                and np.any(self.moved_load + s.weights[i] > s.max_moved + 1e-9)
            ):
                return False
        nbrs = s.neighbours[i]
        if not any(lab[k] == b for k in nbrs):
            return False
        return self.stays_connected(i, a)

    def stays_connected(self, i: int, a: int) -> bool:
        """Whether ``i``'s neighbours in territory ``a`` stay connected without ``i``."""
        lab = self.lab
        nbrs = self.s.neighbours
        inside = [k for k in nbrs[i] if lab[k] == a]
        if len(inside) <= 1:
            return True
        # Ring test: the neighbours in ``a`` linked among themselves.
        ring = set(inside)
        seen = {inside[0]}
        stack = [inside[0]]
        while stack:
            k = stack.pop()
            for j in nbrs[k]:
                if j in ring and j not in seen:
                    seen.add(j)
                    stack.append(j)
        if len(seen) == len(ring):
            return True
        # Breadth-first search through the territory without ``i``, bounded: when the
        # ring does not meet again within BFS_LIMIT nodes the move is refused (safe).
        targets = ring - seen
        seen_all = set(seen)
        seen_all.add(i)
        queue = deque(seen)
        while queue and len(seen_all) < BFS_LIMIT:
            k = queue.popleft()
            for j in nbrs[k]:
                if j not in seen_all and lab[j] == a:
                    seen_all.add(j)
                    targets.discard(j)
                    if not targets:
                        return True
                    queue.append(j)
        return not targets

    def apply(self, i: int, a: int, b: int, reason: int) -> None:
        """Move ``i`` from ``a`` to ``b``."""
        s = self.s
        w = s.weights[i]
        la, lb = self.load_l[a], self.load_l[b]
        wa, wb = self.moved(i, a, b)
        for j in range(len(wa)):
            la[j] -= wa[j]
            lb[j] += wb[j]
        self.lab[i] = b
        self.labels[i] = b
        self.size[a] -= 1
        self.size[b] += 1
        if s.current is not None and s.current[i] >= 0:
            cur = int(s.current[i])
            change = int(cur == a) - int(cur == b)
            self.n_moved += change
            self.moved_load += change * w
        self.reasons[i] = reason


def improve(
    setup: SearchSetup,
    labels: IntArray,
    *,
    reasons: list[int] | None = None,
    max_passes: int = 200,
    deadline: float | None = None,
    weight: float = VIOLATION_WEIGHT,
) -> tuple[IntArray, list[int], int]:
    """Improve an assignment by boundary moves until no move helps.

    Parameters
    ----------
    setup
        The subproblem.
    labels
        Start assignment (each territory contiguous, except where rules prevent it).
    reasons
        Reason code per node of its last move (measure index, -1 for compactness,
        other negative codes for rules); updated for the nodes that move.
    max_passes
        Upper bound on scoring passes.
    deadline
        ``time.perf_counter()`` value after which the search stops.
    weight
        Weight of the balance violation against normalised dispersion.

    Returns
    -------
    tuple
        The improved labels, the reasons and the number of passes run.
    """
    reasons = list(reasons) if reasons is not None else [-9] * len(labels)
    search = _Search(setup, labels, reasons, weight)
    passes = 0
    for passes in range(1, max_passes + 1):  # noqa: B007 - the count is returned
        centres = centres_of(setup, search.labels)
        centres_l = centres.tolist()
        cu, cb, _ = search.candidates(centres)
        applied = 0
        for i, b in zip(cu.tolist(), cb.tolist(), strict=True):
            a = search.lab[i]
            if a == b:
                continue
            change, reason = search.delta(i, a, b, centres_l)
            if change >= -1e-9 or not search.allowed(i, a, b):
                continue
            search.apply(i, a, b, reason)
            applied += 1
        if applied == 0 or (deadline is not None and time.perf_counter() > deadline):
            break
    return search.labels, search.reasons, passes


def perturb(
    setup: SearchSetup,
    labels: IntArray,
    reasons: list[int],
    rng: np.random.Generator,
    *,
    share: float = 0.3,
) -> IntArray:
    """Random boundary moves around the territories that miss their tolerances.

    Used to leave a local optimum that still violates a tolerance (iterated local
    search): moves keep every rule and contiguity but may worsen the objective.

    Parameters
    ----------
    setup
        The subproblem.
    labels
        Current assignment.
    reasons
        Reason codes, updated for nodes that move.
    rng
        Random generator.
    share
        Share of the boundary customers of violated territories that are moved.

    Returns
    -------
    numpy.ndarray
        The perturbed labels.
    """
    search = _Search(setup, labels, reasons)
    dev = np.abs(search.load - setup.targets) / setup.targets
    bad = np.flatnonzero((dev > setup.tolerance).any(axis=1))
    if len(bad) == 0:
        return search.labels
    lab = search.labels
    u, v = search.src, setup.indices
    cross = (lab[u] != lab[v]) & (setup.locked[u] < 0)
    near_bad = np.isin(lab[u], bad) | np.isin(lab[v], bad)
    pick = np.flatnonzero(cross & near_bad)
    if len(pick) == 0:
        return search.labels
    chosen = rng.choice(pick, size=max(1, int(share * len(pick) / 2)), replace=False)
    for e in chosen.tolist():
        i, j = int(u[e]), int(v[e])
        a, b = search.lab[i], search.lab[j]
        if a != b and search.allowed(i, a, b):
            search.apply(i, a, b, REASON_BALANCE_SEARCH)
    return search.labels


#: Reason code of a move made while searching for balance (perturbation).
REASON_BALANCE_SEARCH = -2


def swap_pass(
    setup: SearchSetup,
    labels: IntArray,
    reasons: list[int],
    *,
    weight: float = VIOLATION_WEIGHT,
) -> tuple[IntArray, list[int], int]:
    """Exchange pairs of boundary customers between neighbouring territories.

    Single moves change a territory's customer count with every step; when count and
    a heavy-tailed measure (potential) are both tight, a big customer can only leave
    if a small one comes back. For every territory out of tolerance and every
    neighbouring territory, all pairs of customers on their common boundary are scored
    at once and the best improving swap that keeps every rule and contiguity is made.

    Returns
    -------
    tuple
        Labels, reasons and the number of swaps made.
    """
    search = _Search(setup, labels, reasons, weight)
    s = setup
    centres = centres_of(s, search.labels)
    load = np.asarray(search.load_l)
    dev = np.abs(load - s.targets) / s.targets
    bad = np.flatnonzero((dev > s.tolerance).any(axis=1)).tolist()
    lab = search.labels
    u, v = search.src, s.indices
    cross = (lab[u] != lab[v]) & (s.locked[u] < 0)
    bu, bv = u[cross], v[cross]
    swaps = 0
    for a in bad:
        for b in np.unique(lab[bv[lab[bu] == a]]).tolist():
            side_a = np.unique(bu[(lab[bu] == a) & (lab[bv] == b)])
            side_b = np.unique(bu[(lab[bu] == b) & (lab[bv] == a)])
            if len(side_a) == 0 or len(side_b) == 0:
                continue
            load = np.asarray(search.load_l)
            # What each pair takes out of a (and out of b): the customer that leaves
            # less the one that comes in, each valued in the territory it is in.
            if s.territory_weights is None:
                out_a = out_b = s.weights[side_a][:, None, :] - s.weights[side_b][None, :, :]
            else:
                tw = s.territory_weights
                out_a = tw[side_a, a][:, None, :] - tw[side_b, a][None, :, :]
                out_b = tw[side_a, b][:, None, :] - tw[side_b, b][None, :, :]
            la, lb = load[a], load[b]
            ta, tb = s.targets[a], s.targets[b]
            tol = s.tolerance
            change = (
                _violation(la - out_a, ta, tol, weight)
                + _violation(lb + out_b, tb, tol, weight)
                - _violation(la, ta, tol, weight)
                - _violation(lb, tb, tol, weight)
            ).sum(axis=2)
            xa, xb = s.xy[side_a], s.xy[side_b]
            change += (
                (np.sum((xa - centres[b]) ** 2, axis=1) - np.sum((xa - centres[a]) ** 2, axis=1))[
                    :, None
                ]
                + (np.sum((xb - centres[a]) ** 2, axis=1) - np.sum((xb - centres[b]) ** 2, axis=1))[
                    None, :
                ]
            ) / search.scale
            order = np.argsort(change, axis=None, kind="stable")[:20]
            for flat in order.tolist():
                if change.flat[flat] >= -1e-9:
                    break
                i = int(side_a[flat // len(side_b)])
                k = int(side_b[flat % len(side_b)])
                if search.lab[i] != a or search.lab[k] != b:
                    continue
                if not search.allowed(i, a, b):
                    continue
                search.apply(i, a, b, reasons[i])
                if search.allowed(k, b, a):
                    search.apply(k, b, a, reasons[k])
                    measure = int(np.argmax(dev[a]))
                    search.reasons[i] = measure
                    search.reasons[k] = measure
                    swaps += 1
                    break
                search.apply(i, b, a, search.reasons[i])  # undo
    return search.labels, search.reasons, swaps
