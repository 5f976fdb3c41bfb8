"""Tests of territory.territories.metrics: pieces and diameters of territories."""

from __future__ import annotations

import numpy as np

from territory.territories.metrics import components_per_territory, diameters_km


def test_metrics_components_and_diameter() -> None:
    """Components count parts on the graph; diameter is the farthest pair."""
    edges = np.array([[0, 1], [1, 2], [2, 3], [3, 4]])
    labels = np.array([0, 0, 1, 0, 0])
    assert components_per_territory(edges, labels, 2).tolist() == [2, 1]
    xy = np.array([[0.0, 0.0], [3.0, 4.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    assert diameters_km(xy, labels, 2).tolist() == [5.0, 0.0]
