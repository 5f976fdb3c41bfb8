"""What a route plan optimises, and how long the search may look.

:class:`PlanOptions` is the objective of :func:`~territory.routing.plan_routes` and of
the periodic search behind it, in minutes of travel:

``travel + regularity_minutes * irregularity + balance_minutes * imbalance
+ stability_minutes * changed visits + missing visits x drop penalty``

* **travel** -- minutes driven over the whole cycle (home -> visits -> home each day);
* **irregularity** -- per customer, the :func:`~territory.routing.patterns.irregularity`
  of its visit days (0 for the same weekday every week, evenly spaced); one point is
  worth ``regularity_minutes`` of travel;
* **imbalance** -- per working day, ``(work / room) ** 2 * room`` (work = travel +
  service, room = the rep's working minutes): convex, so the search prefers even days;
  ``balance_minutes`` scales it (0 switches it off);
* **changed visits** -- when re-planning from a previous plan, each visit on a day the
  customer was not visited on before costs ``stability_minutes``; a cap
  (``max_changed_share``) can also bound their number;
* **missing visits** cost far more than any travel (``weight x`` :data:`DROP_MINUTES`,
  the weight rising with the grade), so the search never trades a planned visit for
  shorter routes, and keeps the higher grades first.

The search is a ruin-and-recreate local search over the customers' visit patterns and
the day routes (:mod:`territory.routing.periodic.cycle_search`); ``iterations`` bounds
it by work instead of time, which makes runs reproducible.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from territory.errors import ValidationError

__all__ = ["DROP_MINUTES", "PlanOptions"]

#: Objective cost of one missing visit of the lowest weight, in minutes.
DROP_MINUTES = 10_000.0


@dataclass(frozen=True)
class PlanOptions:
    """The objective and the work limit of the route search.

    Parameters
    ----------
    regularity_minutes
        Minutes of travel one point of pattern irregularity is worth. Higher values keep
        customers on the same weekdays every week at the price of more driving; 0
        lets the search choose days on travel alone. The default keeps plans weekly
        regular wherever the days have room (one irregular day pattern costs 5 points,
        i.e. 150 minutes).
    balance_minutes
        Weight of the day-balance term. 0 (default) plans the least travel, which may
        leave some days light; a positive value spreads work evenly over the days at
        the price of more travel (more days are driven to the same places).
    iterations
        Ruin-and-recreate rounds per rep, or ``None`` (default) to search until the
        time budget ends. With a work limit the same inputs and seed give the same
        plan on any machine, as long as the time limit is not reached first.
    stability_minutes
        Minutes of travel one changed visit is worth when re-planning from a previous
        plan (``plan_routes(previous=...)``): a visit moved to another day is kept only
        when it saves more travel than this. Higher values keep last cycle's days; 0
        re-plans freely from last cycle's routes.
    max_changed_share
        Optional hard cap on the share of visits of returning customers (those in the
        previous plan) that may move to another day, for example ``0.1``.
    polish
        Whether the day engine re-solves each day of the best plan at the end, with
        15 % of the rep's time. Off by default: the search's own moves leave every day
        2-opt and or-opt optimal, and on one-rep cycles of 110-130 customers the
        OR-Tools engine then shortened travel by 0.0 % (no lunch) and 0.07 % (lunch and
        opening hours) while taking a fifth to a third of the time.

    Raises
    ------
    ValidationError
        For negative weights or a non-positive iteration count.

    Examples
    --------
    >>> PlanOptions(regularity_minutes=0.0).regularity_minutes
    0.0
    """

    regularity_minutes: float = 30.0
    balance_minutes: float = 0.0
    iterations: int | None = None
    stability_minutes: float = 10.0
    max_changed_share: float | None = None
    polish: bool = False

    def __post_init__(self) -> None:
        problems = []
        for name in ("regularity_minutes", "balance_minutes", "stability_minutes"):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
                or value < 0
            ):
                problems.append(f"options: {name} must be a finite number >= 0, got {value!r}")
        if self.iterations is not None and (
            isinstance(self.iterations, bool)
            or not isinstance(self.iterations, int)
            or self.iterations < 0
        ):
            problems.append(
                f"options: iterations must be a non-negative integer or None, "
                f"got {self.iterations!r}"
            )
        share = self.max_changed_share
        if share is not None and (
            isinstance(share, bool) or not isinstance(share, int | float) or not 0.0 <= share <= 1.0
        ):
            problems.append(
                f"options: max_changed_share must be a share from 0 to 1 or None, got {share!r}"
            )
        if self.polish not in (True, False):
            problems.append(f"options: polish must be True or False, got {self.polish!r}")
        if problems:
            raise ValidationError(problems)
