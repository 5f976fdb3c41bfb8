"""Tests of territory.territories.split: cutting a large region into subproblems."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from territory.territories import design_territories, neighbourhood_graph
from territory.territories.solve import Subproblem
from territory.territories.split import CUT_TOLERANCE_SHARE, split_subproblem
from territory_cases import assert_contiguous, delaunay_graph, grid_customers


def grid_problem(
    nx_: int, ny: int, p: int, *, region_size: int | None, seed: int = 0
) -> Subproblem:
    """A subproblem on an ``nx_ x ny`` grid (4-neighbour graph), random measures."""
    rng = np.random.default_rng(seed)
    xs, ys = np.meshgrid(np.arange(nx_, dtype=float), np.arange(ny, dtype=float))
    xy = np.column_stack([xs.ravel(), ys.ravel()])
    n = len(xy)
    graph = neighbourhood_graph(xy, max_edge_factor=None)
    weights = np.column_stack([rng.uniform(4, 20, n), np.ones(n)])
    targets = np.tile(weights.sum(axis=0) / p, (p, 1))
    anchors = np.column_stack([np.linspace(0, nx_ - 1, p), np.full(p, ny / 2)])
    return Subproblem(
        name="grid",
        xy=xy,
        indptr=graph.indptr,
        indices=graph.indices,
        weights=weights,
        targets=targets,
        tolerance=np.array([0.05, 0.05]),
        locked=np.full(n, -1, dtype=np.int64),
        conflicts=tuple(() for _ in range(n)),
        anchors=anchors,
        use_homes=False,
        current=None,
        max_moves=None,
        max_moved=None,
        seed=seed,
        starts=1,
        max_starts=2,
        kicks=5,
        time_limit=None,
        region_size=region_size,
    )


def connected(indptr: np.ndarray, indices: np.ndarray, n: int) -> bool:
    graph = sparse.csr_matrix((np.ones(len(indices)), indices, indptr), shape=(n, n))
    return bool(connected_components(graph, directed=False)[0] == 1)


def test_small_problem_is_not_split() -> None:
    problem = grid_problem(10, 10, 4, region_size=4)
    parts = split_subproblem(problem)
    assert len(parts) == 1 and parts[0].problem is problem
    assert len(split_subproblem(grid_problem(10, 10, 6, region_size=None))) == 1


def test_parts_cover_everything_once_connected_and_balanced() -> None:
    """7 territories, parts of at most 2: 4 parts, every node and territory once."""
    problem = grid_problem(28, 12, 7, region_size=2)
    parts = split_subproblem(problem)
    assert sorted(len(q.territories) for q in parts) == [1, 2, 2, 2]
    nodes = np.concatenate([q.nodes for q in parts])
    assert sorted(nodes.tolist()) == list(range(len(problem.xy)))
    terr = np.concatenate([q.territories for q in parts])
    assert sorted(terr.tolist()) == list(range(7))
    for q in parts:
        sub = q.problem
        assert connected(sub.indptr, sub.indices, len(sub.xy))
        np.testing.assert_array_equal(sub.weights, problem.weights[q.nodes])
        np.testing.assert_array_equal(sub.targets, problem.targets[q.territories])
        # two cuts deep at most: each within the cut tolerance, compounded
        share = sub.weights.sum(axis=0) / sub.targets.sum(axis=0) - 1.0
        assert np.all(np.abs(share) <= 3 * CUT_TOLERANCE_SHARE * problem.tolerance + 1e-9)


def test_split_is_deterministic() -> None:
    a = split_subproblem(grid_problem(20, 10, 6, region_size=2, seed=4))
    b = split_subproblem(grid_problem(20, 10, 6, region_size=2, seed=4))
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x.nodes, y.nodes)
        np.testing.assert_array_equal(x.territories, y.territories)


def test_design_in_parts_is_balanced_and_contiguous() -> None:
    """A 30 x 20 grid into 6 territories, cut into parts of 2: balanced and contiguous."""
    rng = np.random.default_rng(5)
    customers = grid_customers(30, 20, potential=rng.uniform(10, 100, 600))
    reps = pd.DataFrame(
        {
            "rep_id": [f"R{i}" for i in range(6)],
            "home_lon": [10.0 + 0.05 * i for i in range(6)],
            "home_lat": [50.1] * 6,
        }
    )
    kwargs = {"balance": {"potential": 0.05, "count": 0.05}, "max_edge_factor": None, "seed": 2}
    plan = design_territories(customers, reps, region_size=2, **kwargs)  # type: ignore[arg-type]
    assert plan.balanced, plan.summary()
    assert_contiguous(plan, delaunay_graph(customers))
    again = design_territories(customers, reps, region_size=2, **kwargs)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(plan.assignment, again.assignment)


def test_region_size_validated() -> None:
    customers = grid_customers(4, 4)
    reps = pd.DataFrame({"rep_id": ["A", "B"], "home_lon": [10.0, 10.02], "home_lat": [50.0] * 2})
    with pytest.raises(Exception, match="region_size"):
        design_territories(customers, reps, balance={"count": 0.1}, region_size=0)
