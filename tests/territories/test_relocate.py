"""Tests of territory.territories.relocate: the relocation and regrowing kicks of the search."""

from __future__ import annotations

import itertools
from dataclasses import replace

import networkx as nx
import numpy as np

from territory.territories.improve import SearchSetup
from territory.territories.relocate import REASON_RELOCATED, regrow, relocate


def line_setup(labels: list[int], p: int, targets: float) -> SearchSetup:
    """A path graph 0-1-2-...: easy to reason about by hand."""
    n = len(labels)
    xy = np.column_stack([np.arange(n, dtype=float), np.zeros(n)])
    graph = nx.path_graph(n)
    csr = nx.to_scipy_sparse_array(graph, nodelist=range(n), format="csr")
    return SearchSetup(
        neighbours=[sorted(graph.neighbors(i)) for i in range(n)],
        indptr=csr.indptr.astype(np.int64),
        indices=csr.indices.astype(np.int64),
        xy=xy,
        weights=np.ones((n, 1)),
        targets=np.full((p, 1), targets),
        tolerance=np.array([0.1]),
        locked=np.full(n, -1, dtype=np.int64),
        conflicts=[[] for _ in range(n)],
        fixed_centres=None,
        current=None,
        max_moves=None,
        max_moved=None,
    )


def territories_are_paths(labels: np.ndarray) -> bool:
    """On a path graph, contiguous territories are runs: each label appears in one run."""
    runs = [int(labels[0])] + [int(b) for a, b in itertools.pairwise(labels) if a != b]
    return len(runs) == len(set(runs))


def test_relocate_dissolves_trapped_territory_and_splits_the_fullest() -> None:
    """Territory 0 holds 1 node at the end of the line, territory 2 holds 13."""
    labels = np.array([0] + [1] * 6 + [2] * 13)
    setup = line_setup(labels.tolist(), 3, 20 / 3)
    reasons = [-9] * len(labels)
    out = relocate(setup, labels, reasons, np.random.default_rng(0), below=0.5)
    assert out is not None
    sizes = np.bincount(out, minlength=3)
    assert sizes[0] >= 5, sizes  # the freed territory took half of the fullest one
    assert set(out[:7].tolist()) == {1}  # the trapped node joined its neighbour
    assert territories_are_paths(out)
    assert all(reasons[i] == REASON_RELOCATED for i in np.flatnonzero(out != labels))


def test_relocate_leaves_locked_and_balanced_alone() -> None:
    labels = np.array([0] * 5 + [1] * 5)
    assert (
        relocate(
            line_setup(labels.tolist(), 2, 5.0),
            labels,
            [0] * 10,
            np.random.default_rng(0),
            below=0.5,
        )
        is None
    )
    trapped = np.array([0] + [1] * 9)
    setup = line_setup(trapped.tolist(), 2, 5.0)
    locked = setup.locked.copy()
    locked[0] = 0
    assert (
        relocate(
            replace(setup, locked=locked), trapped, [0] * 10, np.random.default_rng(0), below=0.5
        )
        is None
    )


def test_regrow_rebalances_a_group_and_keeps_paths() -> None:
    labels = np.array([0] * 2 + [1] * 10 + [2] * 6)
    setup = line_setup(labels.tolist(), 3, 6.0)
    reasons = [-9] * len(labels)
    out = regrow(setup, labels, reasons, np.random.default_rng(1))
    assert out is not None
    assert territories_are_paths(out)
    assert np.abs(np.bincount(out, minlength=3) - 6).max() <= 1
    balanced = np.array([0] * 6 + [1] * 6 + [2] * 6)
    assert regrow(setup, balanced, reasons, np.random.default_rng(1)) is None
