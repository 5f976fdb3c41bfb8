"""Tests for bounded proportional spreading (water-filling) against a bisection reference."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from territory.allocation.spread import spread


def _reference_spread(total, w, lo, hi):
    """Bisection on the water level (slow, obviously correct)."""
    a, b = 0.0, 1.0
    while np.sum(np.clip(b * w, lo, hi)) < total:
        b *= 2
    for _ in range(200):
        m = (a + b) / 2
        if np.sum(np.clip(m * w, lo, hi)) < total:
            a = m
        else:
            b = m
    return np.clip(b * w, lo, hi)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(0.01, 100),
            st.floats(0, 20),
            st.one_of(st.none(), st.floats(0, 60)),
        ),
        min_size=1,
        max_size=12,
    ),
    st.floats(0, 1),
)
def test_spread_matches_bisection(units, fraction):
    """Water-filling equals the bisection solution of sum(clip(lam * w)) = total."""
    w = np.array([u[0] for u in units])
    lo = np.array([u[1] for u in units])
    hi = np.array([np.inf if u[2] is None else max(u[2], u[1]) for u in units])
    cap = np.sum(np.where(np.isinf(hi), lo + 100, hi))
    total = lo.sum() + fraction * (cap - lo.sum())
    got = spread(np.array([total]), np.zeros(len(w), dtype=np.int64), w, lo, hi)
    assert got.sum() == pytest.approx(total, rel=1e-9, abs=1e-9)
    assert np.all(got >= lo - 1e-9) and np.all(got <= hi + 1e-9)
    np.testing.assert_allclose(got, _reference_spread(total, w, lo, hi), rtol=1e-6, atol=1e-6)
