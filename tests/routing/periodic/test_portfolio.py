"""Tests of the portfolio of searches (territory.routing.periodic.portfolio)."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from territory.routing.periodic.dayplan import DayPlan, feasible_combinations
from territory.routing.periodic.portfolio import (
    preferred,
    run_portfolio,
    solved,
    split_rounds,
)
from territory_cases import random_pvrp_instance

INSTANCE = random_pvrp_instance(5, customers=20)


def _constructed(seed: int) -> DayPlan:
    """A complete plan of :data:`INSTANCE` from the construction seeded ``seed``."""
    plan = DayPlan(INSTANCE, feasible_combinations(INSTANCE))
    rng = np.random.default_rng(seed)
    plan.construct(rng)
    plan.local_search(rng, deadline=math.inf)
    return plan


class _Recorder:
    """Searches that build real plans and note every call (seed, time, rounds, start)."""

    def __init__(self) -> None:
        self.searches: list[tuple[int, float, int | None]] = []
        self.resumes: list[tuple[int, float, int | None, DayPlan]] = []

    def search(
        self, *, seed: int, time_limit: float, max_rounds: int | None
    ) -> tuple[DayPlan, int]:
        self.searches.append((seed, time_limit, max_rounds))
        return _constructed(seed), 1

    def resume(
        self, plan: DayPlan, *, seed: int, time_limit: float, max_rounds: int | None
    ) -> tuple[DayPlan, int]:
        self.resumes.append((seed, time_limit, max_rounds, plan))
        return plan, 2


def test_a_solution_beats_a_plan_with_visits_missing_and_the_cheaper_solution_wins() -> None:
    """preferred: solution over non-solution, cheaper over dearer, ``than`` on a tie."""
    cheap, dear = sorted((_constructed(s) for s in range(6)), key=DayPlan.cost)[::5]
    assert solved(cheap) and solved(dear) and cheap.cost() < dear.cost()
    assert preferred(cheap, dear) is cheap
    assert preferred(dear, cheap) is cheap
    twin = cheap.copy()
    assert preferred(twin, cheap) is cheap
    missing = cheap.copy()
    missing.remove(1)
    assert not solved(missing) and missing.cost() < cheap.cost()
    assert preferred(missing, dear) is dear


def test_a_cooperative_portfolio_resumes_every_leg_from_the_best_plan_so_far() -> None:
    """Two legs of two searches: seeds 3, 4 then 5, 6; the second leg starts from the best."""
    recorder = _Recorder()
    best, rounds = run_portfolio(
        recorder.search,
        recorder.resume,
        count=2,
        executor=None,
        time_limit=8.0,
        seed=3,
        max_rounds=7,
        shares=(0.5, 0.5),
    )
    # without an executor each search has half of its leg's half of the time
    assert recorder.searches == [(3, 2.0, 4), (4, 2.0, 4)]
    first = min((_constructed(s) for s in (3, 4)), key=DayPlan.cost)
    assert [(s, t, r) for s, t, r, _ in recorder.resumes] == [(5, 2.0, 3), (6, 2.0, 3)]
    for *_, start in recorder.resumes:
        assert start.routes == first.routes
    assert best.routes == first.routes
    assert rounds == 2 * 1 + 2 * 2


def test_without_a_resume_the_portfolio_is_independent() -> None:
    """No resume: one leg, every search with the whole time on an executor."""
    recorder = _Recorder()
    with ThreadPoolExecutor(max_workers=3) as pool:
        best, _ = run_portfolio(
            recorder.search,
            None,
            count=3,
            executor=pool,
            time_limit=6.0,
            seed=0,
            max_rounds=None,
            shares=(0.25,) * 4,
        )
    assert sorted(recorder.searches) == [(0, 6.0, None), (1, 6.0, None), (2, 6.0, None)]
    assert recorder.resumes == []
    assert best.routes == min((_constructed(s) for s in range(3)), key=DayPlan.cost).routes


@given(st.integers(0, 10_000), st.integers(1, 7))
def test_a_work_limit_is_cut_between_equal_legs_exactly(total: int, legs: int) -> None:
    """The legs' rounds add up to the limit and differ by at most one."""
    parts = split_rounds(total, [1.0 / legs] * legs)
    assert sum(p for p in parts if p is not None) == total
    assert all(p is not None for p in parts)
    assert max(parts) - min(parts) <= 1  # type: ignore[operator]
    assert split_rounds(None, [1.0 / legs] * legs) == [None] * legs


def test_a_work_limit_is_cut_in_the_shares_of_the_legs() -> None:
    """A quarter, then two three-eighths: 40 rounds as 10, 15, 15."""
    assert split_rounds(40, [0.25, 0.375, 0.375]) == [10, 15, 15]
