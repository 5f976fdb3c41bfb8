"""Tests for territory.allocation.weights (step 1 of allocate)."""

import numpy as np
import pytest

from territory.allocation import LevelRule
from territory.allocation.weights import level_rules, rule_weights, share_within
from territory.errors import ProblemCollector, ValidationError


def test_share_within_divides_by_the_parent_sum():
    """Values 1, 3 under one parent and 2, 2 under another give shares 1/4, 3/4, 1/2, 1/2."""
    shares = share_within(np.array([1.0, 3.0, 2.0, 2.0]), np.array([0, 0, 1, 1]), 2)
    np.testing.assert_allclose(shares, [0.25, 0.75, 0.5, 0.5])


def test_share_within_is_zero_under_an_empty_parent():
    """A parent whose children sum to 0 gives them share 0, not NaN."""
    shares = share_within(np.array([0.0, 0.0, 5.0]), np.array([0, 0, 1]), 2)
    np.testing.assert_allclose(shares, [0.0, 0.0, 1.0])


def test_index_rule_mixes_shares_by_its_weights():
    """Index potential:history = 3:1 mixes 3/4 of the potential share and 1/4 of history's."""
    columns = {
        "potential": [np.array([1.0]), np.array([1.0, 3.0])],  # shares 1/4, 3/4
        "history": [np.array([1.0]), np.array([1.0, 1.0])],  # shares 1/2, 1/2
    }
    rule = LevelRule("index", weights={"potential": 3, "history": 1})
    weights, base = rule_weights(rule, 1, np.array([0, 0]), 1, lambda name, _: columns[name])
    assert base is None
    assert weights is not None
    np.testing.assert_allclose(weights, [0.75 * 0.25 + 0.25 * 0.5, 0.75 * 0.75 + 0.25 * 0.5])


def test_untapped_rule_keeps_the_baseline_and_weighs_the_headroom():
    """Potential 10, 4 over baselines 6, 5: weights max(p - b, 0) = 4, 0; base 6, 5."""
    columns = {"potential": [np.array([10.0, 4.0])], "baseline": [np.array([6.0, 5.0])]}
    weights, base = rule_weights(
        LevelRule("untapped"), 0, np.zeros(2, dtype=np.int64), 1, lambda n, _: columns[n]
    )
    assert weights is not None and base is not None
    np.testing.assert_allclose(weights, [4.0, 0.0])
    np.testing.assert_allclose(base, [6.0, 5.0])


def test_missing_column_gives_no_weights():
    """A rule whose column is missing returns None (the caller has recorded the problem)."""
    weights, base = rule_weights(
        LevelRule("potential"), 0, np.zeros(2, dtype=np.int64), 1, lambda n, _: None
    )
    assert weights is None and base is None


def test_level_rules_fill_unnamed_levels_with_history():
    """A mapping names some levels; the others use the 'history' rule."""
    problems = ProblemCollector()
    rules = level_rules({"rep": "potential"}, ["team", "rep"], problems)
    assert [r.method for r in rules] == ["history", "potential"]
    assert not problems


def test_level_rules_name_unknown_levels():
    """A mapping that names a level not in the hierarchy is a problem naming it."""
    problems = ProblemCollector()
    level_rules({"dealer": "potential"}, ["team", "rep"], problems)
    with pytest.raises(ValidationError, match="dealer"):
        problems.raise_if_any()
