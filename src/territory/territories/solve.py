"""Solve one independent subproblem (the company part, or one dealer's area).

A :class:`Subproblem` holds plain numpy arrays only, so it can be sent to another
process by a :class:`concurrent.futures.Executor`. :func:`solve_subproblem` builds
seeded starting territories (or takes the given ``initial`` assignment), improves
them by local search and, while a balance tolerance is missed, kicks the search out of
its local optimum -- relocating a trapped territory, regrowing a stuck group (see
:mod:`territory.territories.relocate`) or random border moves -- and tries again from
new seeds (``max_starts`` times at most), keeping the best plan found.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from territory.territories._construct import grow_regions, match_centres, weighted_kmeans
from territory.territories.improve import (
    VIOLATION_WEIGHT,
    SearchSetup,
    improve,
    objective_parts,
    perturb,
    swap_pass,
)
from territory.territories.relocate import regrow, relocate

__all__ = ["REASON_COMPACTNESS", "REASON_NONE", "SubSolution", "Subproblem", "solve_subproblem"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Violation weights of the successive local search stages (strategic oscillation).
STAGE_WEIGHTS = (30.0, 300.0, 3000.0, VIOLATION_WEIGHT)

#: A territory this many tolerances under its target is relocated rather than kicked.
RELOCATE_BELOW = 3.0
#: Most relocations per construction.
MAX_RELOCATIONS = 3

#: Reason codes besides measure indices (>= 0).
REASON_COMPACTNESS = -1
REASON_NONE = -9


@dataclass(frozen=True)
class Subproblem:
    """One territory design problem on local indices.

    Attributes
    ----------
    name
        Label used in messages (``"company"`` or the dealer id).
    xy, indptr, indices, weights, targets, tolerance, locked, conflicts
        See :class:`~territory.territories.improve.SearchSetup`.
    anchors
        A location per territory (rep home) used to give reps the territories near
        them, shape ``(p, 2)``.
    use_homes
        Measure dispersion to the anchors (fixed homes) instead of to centroids.
    current
        Current territory per node (-1 for none) when realigning, else None.
    max_moves, max_moved
        Realignment budget (see :class:`SearchSetup`).
    seed
        Random seed.
    starts
        Constructions always tried (the most compact balanced plan is kept).
    max_starts
        Most constructions tried while the tolerances are not met.
    kicks
        Perturbations per construction while the tolerances are not met (iterated
        local search).
    time_limit
        Seconds after which no new start or pass begins (None: no limit).
    region_size
        Most territories designed in one piece: larger subproblems are first cut
        into contiguous parts (see :mod:`territory.territories.split`); None never
        cuts.
    initial
        A complete start assignment used instead of the construction (one start
        only), or None.
    refine_only
        Search from ``initial`` with balance first from the start, skipping the
        stages that trade balance for compactness (much cheaper on large problems).
    territory_weights
        Measure values of every node in every territory, shape ``(n, p, m)``, when a
        node's value depends on the territory that takes it (see
        :class:`~territory.territories.improve.SearchSetup`), else None.
    """

    name: str
    xy: FloatArray
    indptr: IntArray
    indices: IntArray
    weights: FloatArray
    targets: FloatArray
    tolerance: FloatArray
    locked: IntArray
    conflicts: tuple[tuple[int, ...], ...]
    anchors: FloatArray
    use_homes: bool
    current: IntArray | None
    max_moves: int | None
    max_moved: FloatArray | None
    seed: int
    starts: int
    max_starts: int
    kicks: int
    time_limit: float | None
    region_size: int | None = None
    initial: IntArray | None = None
    refine_only: bool = False
    territory_weights: FloatArray | None = None


@dataclass(frozen=True)
class SubSolution:
    """The territory of every node of a subproblem and how it was found.

    Attributes
    ----------
    labels
        Territory per node.
    reasons
        Reason code of each node's last move (measure index, or a negative code).
    violation
        Total relative balance violation (0 when every tolerance is met).
    dispersion
        Sum of km from each node to its territory's centre.
    starts
        Constructions tried.
    seconds
        Wall-clock time.
    """

    labels: IntArray
    reasons: tuple[int, ...]
    violation: float
    dispersion: float
    starts: int
    seconds: float


def _neighbour_lists(indptr: IntArray, indices: IntArray) -> list[list[int]]:
    ind = indices.tolist()
    ptr = indptr.tolist()
    return [ind[ptr[i] : ptr[i + 1]] for i in range(len(ptr) - 1)]


def _start_centres(problem: Subproblem, rng: np.random.Generator) -> FloatArray:
    """Where territories grow from: homes, or balanced k-means centres near the reps."""
    p = len(problem.targets)
    if problem.use_homes:
        return problem.anchors
    share = (problem.weights / problem.weights.sum(axis=0).clip(min=1e-12)).mean(axis=1)
    k = min(p, len(problem.xy))
    centres = weighted_kmeans(problem.xy, share, k, rng)
    if k < p:
        centres = np.vstack([centres, problem.anchors[k:]])
    anchors = problem.anchors.copy()
    for t in range(p):  # a territory with locked customers starts among them
        mine = problem.locked == t
        if mine.any():
            anchors[t] = problem.xy[mine].mean(axis=0)
    return centres[match_centres(centres, anchors)]


def solve_subproblem(problem: Subproblem) -> SubSolution:
    """Design the territories of one subproblem.

    Parameters
    ----------
    problem
        The subproblem.

    Returns
    -------
    SubSolution
        The best assignment found (lowest violation, then lowest dispersion).
    """
    started = time.perf_counter()
    deadline = None if problem.time_limit is None else started + problem.time_limit
    n = len(problem.xy)
    neighbours = _neighbour_lists(problem.indptr, problem.indices)
    setup = SearchSetup(
        neighbours=neighbours,
        indptr=problem.indptr,
        indices=problem.indices,
        xy=problem.xy,
        weights=problem.weights,
        targets=problem.targets,
        tolerance=problem.tolerance,
        locked=problem.locked,
        conflicts=problem.conflicts,
        fixed_centres=problem.anchors if problem.use_homes else None,
        current=problem.current,
        max_moves=problem.max_moves,
        max_moved=problem.max_moved,
        territory_weights=problem.territory_weights,
    )
    if n == 0 or len(problem.targets) == 1:  # nothing to choose
        labels = np.zeros(n, np.int64)
        violation, dispersion = objective_parts(setup, labels)
        return SubSolution(labels, (REASON_NONE,) * n, violation, dispersion, 0, 0.0)
    rng = np.random.default_rng(problem.seed)
    best: SubSolution | None = None
    tries = 0
    limit = max(problem.starts, problem.max_starts, 1)
    for tries in range(1, limit + 1):
        if problem.initial is not None:
            labels = problem.initial.astype(np.int64)
        else:
            labels0 = np.where(problem.locked >= 0, problem.locked, -1).astype(np.int64)
            if problem.current is not None:
                keep = (problem.current >= 0) & (labels0 < 0)
                labels0[keep] = problem.current[keep]
                centres = _assigned_centres(problem, labels0)
            else:
                centres = _start_centres(problem, rng)
            labels = grow_regions(
                neighbours,
                problem.xy,
                problem.weights,
                problem.targets,
                centres,
                labels0,
                problem.conflicts,
            )
        candidate = _search(setup, labels, problem, rng, deadline, tries, started)
        if best is None or _key(candidate) < _key(best):
            best = candidate
        if problem.current is not None or problem.initial is not None:
            break
        if deadline is not None and time.perf_counter() > deadline:
            break
        if tries >= problem.starts and best.violation <= 1e-12:
            break
    assert best is not None
    return SubSolution(
        best.labels,
        best.reasons,
        best.violation,
        best.dispersion,
        tries,
        time.perf_counter() - started,
    )


def _assigned_centres(problem: Subproblem, labels: IntArray) -> FloatArray:
    """Centroids of the nodes already assigned (the anchor for an empty territory)."""
    if problem.use_homes:
        return problem.anchors
    p = len(problem.targets)
    inside = labels >= 0
    count = np.bincount(labels[inside], minlength=p).astype(float)
    centres = problem.anchors.copy()
    for d in (0, 1):
        sums = np.bincount(labels[inside], weights=problem.xy[inside, d], minlength=p)
        centres[count > 0, d] = sums[count > 0] / count[count > 0]
    return centres


def _key(solution: SubSolution) -> tuple[float, float]:
    return (round(solution.violation, 9), solution.dispersion)


def _descend(
    setup: SearchSetup,
    labels: IntArray,
    reasons: list[int],
    weights: tuple[float, ...],
    rounds: int,
    deadline: float | None,
) -> tuple[IntArray, list[int], float, float]:
    """Boundary moves at rising violation weights, then swaps while a tolerance is missed."""
    for weight in weights:
        labels, reasons, _ = improve(
            setup, labels, reasons=reasons, deadline=deadline, weight=weight
        )
    violation, dispersion = objective_parts(setup, labels)
    for _ in range(rounds):  # swaps keep counts while shifting the other measures
        if violation <= 1e-12 or (deadline is not None and time.perf_counter() > deadline):
            break
        labels, reasons, swaps = swap_pass(setup, labels, reasons)
        if swaps == 0:
            break
        labels, reasons, _ = improve(setup, labels, reasons=reasons, deadline=deadline)
        violation, dispersion = objective_parts(setup, labels)
    return labels, reasons, violation, dispersion


def _search(
    setup: SearchSetup,
    labels: IntArray,
    problem: Subproblem,
    rng: np.random.Generator,
    deadline: float | None,
    tries: int,
    started: float,
) -> SubSolution:
    """Local search, then perturbation and search again while a tolerance is missed."""
    first = STAGE_WEIGHTS[-1:] if problem.refine_only else STAGE_WEIGHTS
    labels, reasons, violation, dispersion = _descend(
        setup, labels, [REASON_NONE] * len(labels), first, problem.kicks, deadline
    )
    best = SubSolution(labels, tuple(reasons), violation, dispersion, tries, 0.0)
    finite = problem.tolerance[np.isfinite(problem.tolerance)]
    trapped_below = max(RELOCATE_BELOW * float(finite.max(initial=0.0)), 0.05)
    relocations = 0
    for kick in range(problem.kicks):
        if best.violation <= 1e-12 or (deadline is not None and time.perf_counter() > deadline):
            break
        reasons = list(best.reasons)
        moved = None
        # Large steps ignore the realignment budget: only when not realigning.
        large = problem.current is None
        if large and relocations < MAX_RELOCATIONS:
            moved = relocate(setup, best.labels, reasons, rng, below=trapped_below)
        if moved is not None:
            relocations += 1
        elif large and kick % 2 == 0:
            moved = regrow(setup, best.labels, reasons, rng)
        stages: tuple[float, ...]
        if moved is not None:
            kicked, stages = moved, STAGE_WEIGHTS
        else:
            kicked, stages = perturb(setup, best.labels, reasons, rng), STAGE_WEIGHTS[-1:]
        labels, reasons, violation, dispersion = _descend(
            setup, kicked, reasons, stages, problem.kicks, deadline
        )
        candidate = SubSolution(labels, tuple(reasons), violation, dispersion, tries, 0.0)
        if _key(candidate) < _key(best):
            best = candidate
    return SubSolution(
        best.labels,
        best.reasons,
        best.violation,
        best.dispersion,
        tries,
        time.perf_counter() - started,
    )
