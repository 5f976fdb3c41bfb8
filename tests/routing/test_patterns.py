"""Tests of visit patterns: spacing rule, enumeration and regularity ranking."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from territory.routing.patterns import (
    cyclic_gaps,
    enumerate_patterns,
    irregularity,
    required_gap,
)


def test_required_gap_follows_the_even_spread_rule() -> None:
    """max(1, ceil(N/f) - 1), or the customer's own min_gap_days."""
    assert required_gap(20, 1) == 19
    assert required_gap(20, 4) == 4
    assert required_gap(20, 8) == 2
    assert required_gap(20, 20) == 1
    assert required_gap(20, 3, 0) == 1
    assert required_gap(20, 2, 7) == 7


def test_weekly_patterns_keep_the_weekday() -> None:
    """The most regular patterns of a weekly customer are one weekday each week."""
    patterns = enumerate_patterns(20, 4, 4, [True] * 20, week_days=5)
    assert patterns[:5] == [
        (0, 5, 10, 15),
        (1, 6, 11, 16),
        (2, 7, 12, 17),
        (3, 8, 13, 18),
        (4, 9, 14, 19),
    ]
    assert all(irregularity(p, 20, 5) == 0 for p in patterns[:5])
    assert irregularity(patterns[5], 20, 5) > 0


def test_allowed_days_restrict_the_patterns() -> None:
    """Only Tuesdays allowed: the weekly customer goes every Tuesday, nothing else."""
    allowed = [d % 5 == 1 for d in range(20)]
    assert enumerate_patterns(20, 4, 4, allowed, week_days=5) == [(1, 6, 11, 16)]
    assert enumerate_patterns(20, 5, 3, allowed, week_days=5) == []


def test_impossible_spacing_has_no_pattern() -> None:
    """Three visits at least 8 days apart do not fit in 20 days; zero visits need none."""
    assert enumerate_patterns(20, 3, 8, [True] * 20, week_days=5) == []
    assert enumerate_patterns(20, 0, 1, [True] * 20, week_days=5) == [()]


@settings(max_examples=40, deadline=None)
@given(
    n_weeks=st.integers(1, 4),
    visits=st.integers(1, 10),
    mask=st.lists(st.booleans(), min_size=5, max_size=5),
    own_gap=st.one_of(st.none(), st.integers(0, 6)),
)
def test_every_pattern_is_valid(
    n_weeks: int, visits: int, mask: list[bool], own_gap: int | None
) -> None:
    """Each pattern has f distinct allowed days with cyclic gaps >= the required gap."""
    n_days = 5 * n_weeks
    gap = required_gap(n_days, visits, own_gap)
    allowed = [mask[d % 5] for d in range(n_days)]
    patterns = enumerate_patterns(n_days, visits, gap, allowed, week_days=5)
    assert len(set(patterns)) == len(patterns)
    for pattern in patterns:
        assert len(pattern) == visits == len(set(pattern))
        assert all(allowed[d] for d in pattern)
        assert min(cyclic_gaps(pattern, n_days)) >= gap
    ranks = [irregularity(p, n_days, 5) for p in patterns]
    assert ranks == sorted(ranks)


def test_patterns_exist_whenever_the_evenly_spaced_one_fits() -> None:
    """With every day allowed and the default rule, a pattern always exists (f <= N)."""
    for n_days in (5, 10, 20):
        for visits in range(1, n_days + 1):
            gap = required_gap(n_days, visits)
            assert enumerate_patterns(n_days, visits, gap, [True] * n_days, week_days=5)
