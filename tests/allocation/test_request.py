"""Tests for territory.allocation.request (the checked arguments of allocate)."""

import numpy as np
import pytest

from territory.allocation.request import month_step_ratio, plan_months, read_target
from territory.errors import ProblemCollector, ValidationError


def test_month_step_ratio_counts_month_steps_in_a_step():
    """A step of 100 with months in steps of 25 is 4 month steps."""
    problems = ProblemCollector()
    assert month_step_ratio(100, 25, problems) == 4
    assert not problems


def test_step_that_is_not_a_multiple_of_the_month_step_is_a_problem():
    """A step of 100 is not a multiple of 30."""
    problems = ProblemCollector()
    month_step_ratio(100, 30, problems)
    with pytest.raises(ValidationError, match="step 100 is not a multiple of 30"):
        problems.raise_if_any()


def test_plan_year_gives_its_twelve_months():
    """Plan year 2027 gives 12 consecutive months."""
    plan = plan_months(2027, None, ProblemCollector())
    assert len(plan) == 12
    assert np.diff(plan).tolist() == [1] * 11


def test_small_plan_year_is_read_as_a_mistake():
    """months=12 would plan the year 0012: a validation error says so."""
    with pytest.raises(ValidationError, match="12 would plan the year 0012"):
        plan_months(12, None, ProblemCollector())


def test_per_unit_target_becomes_top_locks():
    """A target {'N': 60, 'S': 40} totals 100 and locks both top units."""
    requested, locks = read_target(
        {"N": 60, "S": 40},
        top_ids=np.array(["N", "S"], dtype=object),
        top_level="region",
        locks=None,
        step=1,
        problems=ProblemCollector(),
    )
    assert requested == 100.0
    assert locks == {"region": {"N": 60, "S": 40}}


def test_per_unit_target_names_missing_units():
    """A per-unit target without a figure for unit 'S' names it."""
    with pytest.raises(ValidationError, match=r"has no figure for 1 units.*'S'"):
        read_target(
            {"N": 60},
            top_ids=np.array(["N", "S"], dtype=object),
            top_level="region",
            locks=None,
            step=1,
            problems=ProblemCollector(),
        )
