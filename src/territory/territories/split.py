"""Region splitting: recursive bisection, parts designed alone, then one search over all.

The local search moves a territory's border one customer at a time, so when the
region-growing start is far off balance -- territories trapped in pockets, others
swollen -- a region of hundreds of territories needs many passes over every edge. Large
subproblems are therefore started by recursive bisection instead:

1. The reps of a part are split in two along the principal axis of their homes
   (unevenly when that leaves parts of ``region_size`` territories).
2. The customers are split between the two groups: a sweep grows the first side over
   the graph along the principal axis of the customers until it holds its share of the
   measures (so it is connected; cut-off pieces of the other side join it), then the
   search with two territories balances every measure to a fraction of its tolerance
   and smooths the cut.
3. Parts of at most ``region_size`` territories are designed on their own (on the
   caller's executor), against the targets of the whole subproblem.
4. The joined plan is the start of one search over the whole subproblem, which moves
   load across the cuts and makes the territories along them compact again (with the
   compactness stages up to :data:`STAGED_POLISH_MAX_NODES` customers, balance only
   beyond).

Realignment runs (a current assignment with a budget) are never split.
"""

from __future__ import annotations

import heapq
import logging
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from territory.progress import ProgressCallback
from territory.territories.solve import Subproblem, SubSolution, solve_subproblem

__all__ = [
    "CUT_TOLERANCE_SHARE",
    "Part",
    "search_again",
    "solve_subproblems",
    "split_subproblem",
]

logger = logging.getLogger("territory")

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Tolerance of a cut, as a share of each measure's own tolerance.
CUT_TOLERANCE_SHARE = 0.25
#: Most perturbations spent on one cut (the search over the whole problem follows).
CUT_KICKS = 3
#: Largest subproblem whose final search also runs the compactness stages (they make
#: the plan about 8 % more compact at 10,000 customers but cost minutes at 100,000).
STAGED_POLISH_MAX_NODES = 30_000
#: Parts are never cut below this many customers per territory on average.
MIN_CUSTOMERS_PER_TERRITORY = 4


@dataclass(frozen=True)
class Part:
    """One part of a split subproblem.

    Attributes
    ----------
    nodes
        Node indices of the part in the parent subproblem.
    territories
        Territory indices of the part in the parent subproblem.
    problem
        The part as a subproblem of its own (local indices).
    """

    nodes: IntArray
    territories: IntArray
    problem: Subproblem


def _adjacency(problem: Subproblem) -> sparse.csr_matrix:
    """The neighbourhood graph of ``problem`` as a sparse matrix."""
    n = len(problem.xy)
    return sparse.csr_matrix(
        (np.ones(len(problem.indices), dtype=np.int8), problem.indices, problem.indptr),
        shape=(n, n),
    )


def _induced(problem: Subproblem, nodes: IntArray) -> tuple[IntArray, IntArray]:
    """CSR arrays of the subgraph induced by ``nodes`` (sorted)."""
    sub = _adjacency(problem)[nodes][:, nodes].tocsr()
    sub.sort_indices()
    return sub.indptr.astype(np.int64), sub.indices.astype(np.int64)


def _local(values: IntArray, kept: IntArray) -> IntArray:
    """Map parent territory indices to positions in ``kept`` (-1 elsewhere)."""
    position = np.full(int(max(values.max(initial=-1), kept.max(initial=-1))) + 1, -1)
    position[kept] = np.arange(len(kept))
    out = np.full(len(values), -1, dtype=np.int64)
    inside = values >= 0
    out[inside] = position[values[inside]]
    return out


def _part(problem: Subproblem, nodes: IntArray, territories: IntArray, seed: int) -> Subproblem:
    """``problem`` restricted to ``nodes`` and ``territories`` (the targets unchanged)."""
    indptr, indices = _induced(problem, nodes)
    local = np.full(len(problem.xy), -1, dtype=np.int64)
    local[nodes] = np.arange(len(nodes))
    conflicts = tuple(
        tuple(int(local[k]) for k in problem.conflicts[i] if local[k] >= 0) for i in nodes.tolist()
    )
    return replace(
        problem,
        xy=problem.xy[nodes],
        indptr=indptr,
        indices=indices,
        weights=problem.weights[nodes],
        targets=problem.targets[territories],
        territory_weights=(
            None
            if problem.territory_weights is None
            else problem.territory_weights[np.ix_(nodes, territories)]
        ),
        locked=_local(problem.locked[nodes], territories),
        conflicts=conflicts,
        anchors=problem.anchors[territories],
        seed=seed,
    )


def _halves(anchors: FloatArray, size: int) -> tuple[IntArray, IntArray]:
    """Split territories in two along the principal axis of their anchors.

    The split is uneven when that lets every final part hold close to ``size``
    territories: ``parts = ceil(p / size)`` final parts, ``parts // 2`` of them on
    the first side.
    """
    centred = anchors - anchors.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    order = np.argsort(centred @ vt[0], kind="stable")
    parts = -(-len(order) // size)
    half = round(len(order) * (parts // 2) / parts)
    return np.sort(order[:half]), np.sort(order[half:])


def _sweep(problem: Subproblem, first: IntArray, share: FloatArray, locked: IntArray) -> IntArray:
    """A contiguous first side swept along the principal axis, then the rest.

    The first side grows over the graph from the node furthest along the negative
    principal axis, always taking the frontier node lowest on that axis, until it
    holds ``share`` of the mean of the measures; so it is connected and roughly a
    half-plane. Parts of the second side cut off from its main body join the first.
    Nodes locked to a side stay on it.

    Returns
    -------
    numpy.ndarray
        0 for the first side, 1 for the second.
    """
    xy = problem.xy
    n = len(xy)
    centred = xy - xy.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    key = centred @ vt[0]
    along = (problem.anchors - xy.mean(axis=0)) @ vt[0]
    rest = np.setdiff1d(np.arange(len(along)), first)
    if len(rest) and along[first].mean() > along[rest].mean():
        key = -key  # sweep from the side where the first group's reps live
    totals = problem.weights.sum(axis=0)
    used = totals > 0
    mass = (problem.weights[:, used] / totals[used]).mean(axis=1) if used.any() else np.ones(n) / n
    goal = float(share[used].mean()) if used.any() else 0.5
    side = np.ones(n, dtype=np.int64)
    side[locked == 0] = 0
    allowed = locked != 1
    start = int(np.argmin(np.where(allowed, key, np.inf)))
    key_l = key.tolist()
    neighbours = problem.indices.tolist()
    ptr = problem.indptr.tolist()
    seen = np.zeros(n, dtype=bool)
    seen[start] = True
    heap = [(key_l[start], start)]
    taken = float(mass[locked == 0].sum())
    while heap and taken < goal:
        _, node = heapq.heappop(heap)
        if side[node] != 0:
            side[node] = 0
            taken += float(mass[node])
        for k in neighbours[ptr[node] : ptr[node + 1]]:
            if not seen[k] and allowed[k]:
                seen[k] = True
                heapq.heappush(heap, (key_l[k], k))
    return _absorb_fragments(problem, side, locked)


def _absorb_fragments(problem: Subproblem, side: IntArray, locked: IntArray) -> IntArray:
    """Give the pieces of side 1 cut off from its largest piece to side 0."""
    second = np.flatnonzero(side == 1)
    if len(second) == 0:
        return side
    _, piece = connected_components(_adjacency(problem)[second][:, second], directed=False)
    main = int(np.argmax(np.bincount(piece)))
    stray = second[(piece != main) & (locked[second] != 1)]
    out = side.copy()
    out[stray] = 0
    return out


def _cut(problem: Subproblem, first: IntArray, second: IntArray, seed: int) -> IntArray:
    """Split the nodes of ``problem`` between two groups of its territories.

    Returns
    -------
    numpy.ndarray
        0 for the nodes of ``first``, 1 for those of ``second``.
    """
    total = problem.weights.sum(axis=0)
    whole = problem.targets.sum(axis=0)
    share = np.where(
        whole > 0, problem.targets[first].sum(axis=0) / np.where(whole > 0, whole, 1), 0.5
    )
    targets = np.vstack([share * total, (1.0 - share) * total])
    targets = np.where(targets > 0, targets, 1.0)
    side = np.full(len(problem.targets), -1, dtype=np.int64)
    side[first] = 0
    side[second] = 1
    locked = np.where(problem.locked >= 0, side[np.maximum(problem.locked, 0)], -1)
    anchors = np.vstack([problem.anchors[first].mean(axis=0), problem.anchors[second].mean(axis=0)])
    start = _sweep(problem, first, share, locked)
    two = replace(
        problem,
        targets=targets,
        tolerance=problem.tolerance * CUT_TOLERANCE_SHARE,
        locked=locked.astype(np.int64),
        conflicts=tuple(() for _ in range(len(problem.xy))),
        anchors=anchors,
        use_homes=False,
        seed=seed,
        starts=1,
        max_starts=1,
        kicks=min(problem.kicks, CUT_KICKS),
        region_size=None,
        initial=start,
        refine_only=True,
    )
    return solve_subproblem(two).labels


def split_subproblem(problem: Subproblem) -> list[Part]:
    """Cut ``problem`` into parts of at most ``problem.region_size`` territories.

    Parameters
    ----------
    problem
        The subproblem; it is returned whole (one part) when it is small enough, when
        it realigns a current assignment or when ``region_size`` is None.

    Returns
    -------
    list of Part
        Parts covering every node and every territory exactly once.
    """
    n, p = len(problem.xy), len(problem.targets)
    size = problem.region_size
    everything = Part(np.arange(n), np.arange(p), problem)
    if size is None or p <= size or problem.current is not None:
        return [everything]
    seeds = np.random.SeedSequence([problem.seed, 7])
    out: list[Part] = []
    stack = [everything]
    while stack:
        part = stack.pop()
        sub = part.problem
        k = len(sub.targets)
        if k <= size or len(sub.xy) < MIN_CUSTOMERS_PER_TERRITORY * k:
            out.append(part)
            continue
        first, second = _halves(sub.anchors, size)
        cut_seed, a_seed, b_seed = (int(s.generate_state(1)[0]) for s in seeds.spawn(3))
        labels = _cut(sub, first, second, cut_seed)
        for side, (group, child_seed) in enumerate(((first, a_seed), (second, b_seed))):
            nodes = np.flatnonzero(labels == side)
            stack.append(
                Part(
                    part.nodes[nodes],
                    part.territories[group],
                    _part(sub, nodes, group, child_seed),
                )
            )
    out.sort(key=lambda q: int(q.territories[0]))
    logger.info(
        "territories: %s split into %d parts of %d-%d territories",
        problem.name,
        len(out),
        min(len(q.territories) for q in out),
        max(len(q.territories) for q in out),
    )
    return out


def _join(problem: Subproblem, parts: list[Part], solutions: list[SubSolution]) -> SubSolution:
    """One solution of ``problem`` from the solutions of its parts."""
    if len(parts) == 1:
        return solutions[0]
    n = len(problem.xy)
    labels = np.full(n, -1, dtype=np.int64)
    reasons = np.zeros(n, dtype=np.int64)
    for part, solution in zip(parts, solutions, strict=True):
        labels[part.nodes] = part.territories[solution.labels]
        reasons[part.nodes] = solution.reasons
    return SubSolution(
        labels,
        tuple(reasons.tolist()),
        sum(s.violation for s in solutions),
        sum(s.dispersion for s in solutions),
        max(s.starts for s in solutions),
        sum(s.seconds for s in solutions),
    )


def solve_subproblems(
    problems: Sequence[Subproblem],
    executor: Executor | None = None,
    *,
    progress: ProgressCallback | None = None,
) -> list[SubSolution]:
    """Solve independent subproblems, splitting the large ones into parts first.

    Parameters
    ----------
    problems
        The subproblems (company part, dealers).
    executor
        Runs the parts; in-process when None.
    progress
        Called as ``progress(done, total)`` after each part and each search over a
        whole cut subproblem.

    Returns
    -------
    list of SubSolution
        One solution per subproblem, on its own indices.
    """
    splits = [split_subproblem(problem) for problem in problems]
    flat = [part.problem for parts in splits for part in parts]
    total = len(flat) + sum(len(parts) > 1 for parts in splits)
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    solved = []
    results = (
        map(solve_subproblem, flat) if executor is None else executor.map(solve_subproblem, flat)
    )
    for solution in results:
        solved.append(solution)
        tick()
    out = []
    start = 0
    for problem, parts in zip(problems, splits, strict=True):
        joined = _join(problem, parts, solved[start : start + len(parts)])
        start += len(parts)
        if len(parts) > 1:  # one search over the whole: balance across the cuts
            joined = search_again(problem, joined)
            tick()
        out.append(joined)
    return out


def search_again(problem: Subproblem, solution: SubSolution) -> SubSolution:
    """One more search over the whole of ``problem``, from ``solution``'s territories.

    A node keeps its reason unless this search moved it; the seconds add up.
    """
    again = solve_subproblem(
        replace(
            problem,
            region_size=None,
            initial=solution.labels,
            refine_only=len(problem.xy) > STAGED_POLISH_MAX_NODES,
        )
    )
    reasons = np.where(
        again.labels != solution.labels, np.asarray(again.reasons), np.asarray(solution.reasons)
    )
    return replace(again, reasons=tuple(reasons.tolist()), seconds=solution.seconds + again.seconds)
