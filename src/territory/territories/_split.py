"""Region splitting: design many territories as independent parts of a few dozen each.

The local search moves a territory's border one customer at a time, so shifting load
across a region of hundreds of territories takes many passes over every edge. Large
subproblems are therefore first cut into contiguous parts by recursive bisection:
the reps of a part are split in two along the principal axis of their homes, and the
customers are split between the two halves by the same search with two territories
(contiguous, compact, each half carrying its reps' share of every measure within a
tight tolerance). Every part then gets its territories designed on its own, against
the targets of the whole subproblem, so the tolerances keep their meaning; the parts
are independent and run on the caller's executor.

Cuts between parts are fixed once made: a plan designed in parts is a little less
compact than one designed whole, and a part whose share of a measure is off by ``d``
leaves its territories ``d`` less room. Both are small because each cut is balanced
to a fraction of the tolerance. Realignment runs (a current assignment with a budget)
are never split.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from territory.territories._solve import Subproblem, SubSolution, solve_subproblem

__all__ = ["CUT_TOLERANCE_SHARE", "Part", "solve_subproblems", "split_subproblem"]

logger = logging.getLogger("territory")

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Tolerance of a cut, as a share of each measure's own tolerance.
CUT_TOLERANCE_SHARE = 0.05
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


def _induced(problem: Subproblem, nodes: IntArray) -> tuple[IntArray, IntArray]:
    """CSR arrays of the subgraph induced by ``nodes`` (sorted)."""
    n = len(problem.xy)
    graph = sparse.csr_matrix(
        (np.ones(len(problem.indices), dtype=np.int8), problem.indices, problem.indptr),
        shape=(n, n),
    )
    sub = graph[nodes][:, nodes].tocsr()
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
        max_starts=2,
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
    problems: Sequence[Subproblem], executor: Executor | None = None
) -> list[SubSolution]:
    """Solve independent subproblems, splitting the large ones into parts first.

    Parameters
    ----------
    problems
        The subproblems (company part, dealers).
    executor
        Runs the parts; in-process when None.

    Returns
    -------
    list of SubSolution
        One solution per subproblem, on its own indices.
    """
    splits = [split_subproblem(problem) for problem in problems]
    flat = [part.problem for parts in splits for part in parts]
    if executor is None:
        solved = [solve_subproblem(q) for q in flat]
    else:
        solved = list(executor.map(solve_subproblem, flat))
    out = []
    start = 0
    for problem, parts in zip(problems, splits, strict=True):
        out.append(_join(problem, parts, solved[start : start + len(parts)]))
        start += len(parts)
    return out
