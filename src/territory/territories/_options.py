"""How hard :func:`~territory.territories.design_territories` searches.

:class:`SearchOptions` gathers the search settings (constructions, kicks, the time limit
and the size of the parts a large group is cut into) in one frozen object, which can be
built once and passed to every call. The same settings are still accepted as loose
keywords of ``design_territories`` for compatibility.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from territory.errors import ProblemCollector

__all__ = ["SearchOptions", "check_search_settings"]


def check_search_settings(
    *,
    starts: int,
    max_starts: int,
    time_limit: float | None,
    region_size: int | None,
    problems: ProblemCollector,
) -> None:
    """Record every problem of the search settings (table ``options``).

    Parameters
    ----------
    starts, max_starts
        Constructions tried; both at least 1.
    time_limit
        Seconds per subproblem: a positive number or ``None``.
    region_size
        Largest part of a cut group: a positive int or ``None``.
    problems
        Collects the problems.
    """
    if starts < 1 or max_starts < 1:
        problems.add("options", None, "starts and max_starts must be at least 1")
    if region_size is not None and (isinstance(region_size, bool) or int(region_size) < 1):
        problems.add(
            "options", None, f"region_size must be None or a positive int, got {region_size!r}"
        )
    if time_limit is not None and (
        isinstance(time_limit, bool)
        or not isinstance(time_limit, int | float)
        or not math.isfinite(time_limit)
        or time_limit <= 0
    ):
        problems.add(
            "options",
            None,
            f"time_limit must be a positive number of seconds (or None), got {time_limit!r}",
        )


@dataclass(frozen=True)
class SearchOptions:
    """The search settings of :func:`~territory.territories.design_territories`.

    Parameters
    ----------
    starts
        Constructions always tried per subproblem (the most compact balanced plan wins).
    max_starts
        Most constructions tried while some tolerance is not met.
    kicks
        Perturbations per construction while some tolerance is not met.
    time_limit
        Seconds per subproblem (or part, see ``region_size``) after which the search
        stops early (makes the result depend on machine speed; ``None`` for none).
    region_size
        Groups of more reps than this start from a recursive bisection: split in
        contiguous parts balanced to a fraction of the tolerances, parts of at most
        ``region_size`` territories designed on their own, then one search over the
        whole group. ``None`` always designs a group in one piece. Realignment runs are
        never cut.

    Raises
    ------
    ValidationError
        For fewer than one start, a non-positive time limit or region size.

    Examples
    --------
    >>> fast = SearchOptions(starts=1, max_starts=2, kicks=3)
    >>> fast.region_size
    32
    """

    starts: int = 4
    max_starts: int = 12
    kicks: int = 20
    time_limit: float | None = None
    region_size: int | None = 32

    def __post_init__(self) -> None:
        problems = ProblemCollector()
        check_search_settings(
            starts=self.starts,
            max_starts=self.max_starts,
            time_limit=self.time_limit,
            region_size=self.region_size,
            problems=problems,
        )
        problems.raise_if_any()
