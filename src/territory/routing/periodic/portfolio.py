"""Several seeded searches of one periodic instance, and the choice of their best plan.

A portfolio runs ``count`` searches with seeds ``seed``, ``seed + 1``, ... side by side
on an executor (or one after another without one). Two kinds:

* **independent** -- each search has the whole time; the best plan is kept;
* **cooperative** -- the time is cut in legs. In the first leg every seed searches
  from scratch; at the end of each leg the best plan of the portfolio is chosen, and
  every search of the next leg *resumes* from it with a seed of its own. Single
  searches of the same instance end one to three per cent apart on Cordeau's
  instances at 60 s (benchmarks/README.md); a cooperative portfolio spends the later
  legs of both workers around the plan that is ahead instead of finishing a search
  that fell behind.

The plans cross process boundaries, so searches are module-level functions (or
``functools.partial`` of them) that return a :class:`DayPlan`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from functools import partial

from territory.routing.periodic.dayplan import DayPlan

__all__ = ["Resume", "Search", "preferred", "run_portfolio", "solved", "split_rounds"]

#: A search from scratch: ``search(seed=..., time_limit=..., max_rounds=...)`` returns
#: its best plan and the rounds it made.
Search = Callable[..., tuple[DayPlan, int]]
#: A search that resumes from a plan: ``resume(plan, seed=..., time_limit=...,
#: max_rounds=...)`` returns its best plan (never worse than ``plan``) and its rounds.
Resume = Callable[..., tuple[DayPlan, int]]


def solved(plan: DayPlan) -> bool:
    """Whether ``plan`` is a solution: complete (every visit placed) and within the limits."""
    return plan.violation() == 0 and plan.complete()


def preferred(plan: DayPlan, than: DayPlan) -> DayPlan:
    """The better of two plans (``than`` on a tie).

    A solution beats a non-solution, a cheaper solution a dearer one; between two
    non-solutions the one that exceeds the limits less wins (a plan within them, with
    visits missing that the check lists, beats one that exceeds them).
    """
    if solved(plan) and (not solved(than) or plan.cost() < than.cost() - 1e-9):
        return plan
    if not solved(than) and not solved(plan) and plan.violation() < than.violation():
        return plan
    return than


def split_rounds(total: int | None, shares: Sequence[float]) -> list[int | None]:
    """``total`` rounds cut in ``shares`` that add up to exactly ``total`` (or all ``None``)."""
    if total is None:
        return [None] * len(shares)
    edges = [round(total * sum(shares[:k])) for k in range(len(shares) + 1)]
    edges[-1] = total
    return [edges[k + 1] - edges[k] for k in range(len(shares))]


def run_portfolio(
    search: Search,
    resume: Resume | None,
    *,
    count: int,
    executor: Executor | None,
    time_limit: float,
    seed: int,
    max_rounds: int | None,
    shares: Sequence[float] = (1.0,),
) -> tuple[DayPlan, int]:
    """Run ``count`` seeded searches and return the best plan and the rounds of all.

    Parameters
    ----------
    search
        A complete search (the first leg, or all of an independent portfolio).
    resume
        A search that resumes from a plan; ``None`` makes the portfolio independent.
    count
        Searches per leg, seeded ``seed + leg * count + k``.
    executor
        Runs a leg's searches side by side, each with the leg's whole time; without
        one they run one after another, each with its ``1 / count``.
    time_limit
        Seconds of the whole portfolio.
    seed
        Seed of the first search.
    max_rounds
        Optional work limit of each search, cut between the legs like the time.
    shares
        Share of the time (and of a work limit) of each leg: the first is ``search``'s,
        the others ``resume``'s. One leg (or no ``resume``): an independent portfolio.

    Returns
    -------
    tuple
        The preferred plan (see :func:`preferred`; the earliest seed on a tie) and the
        rounds made by all searches.
    """
    if resume is None:
        shares = (1.0,)
    per_search = time_limit if executor is not None else time_limit / count
    rounds_of = split_rounds(max_rounds, shares)
    best: DayPlan | None = None
    made = 0
    for leg, share in enumerate(shares):
        seeds = [seed + leg * count + k for k in range(count)]
        time_share, rounds = share * per_search, rounds_of[leg]
        if best is None:
            tasks = [
                partial(search, seed=s, time_limit=time_share, max_rounds=rounds) for s in seeds
            ]
        else:
            assert resume is not None
            tasks = [
                partial(resume, best, seed=s, time_limit=time_share, max_rounds=rounds)
                for s in seeds
            ]
        if executor is None:
            found = [task() for task in tasks]
        else:
            found = [future.result() for future in [executor.submit(task) for task in tasks]]
        for plan, spent in found:
            made += spent
            best = plan if best is None else preferred(plan, best)
    assert best is not None
    return best, made
