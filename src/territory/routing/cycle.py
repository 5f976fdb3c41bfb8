"""The planning cycle: a number of weeks times working days per week."""

from __future__ import annotations

from dataclasses import dataclass

from territory.errors import ValidationError
from territory.tables import WEEKDAY_NAMES

__all__ = ["Cycle"]


@dataclass(frozen=True)
class Cycle:
    """A repeating cycle of ``weeks`` weeks with ``days`` working days each.

    Working day ``k`` of the cycle (``0 .. weeks * days - 1``) falls in week
    ``k // days`` on weekday ``k % days`` (Monday = 0), so the default 4 x 5 cycle
    runs Monday to Friday for four weeks.

    Parameters
    ----------
    weeks
        Weeks in the cycle (1 to 13).
    days
        Working days per week, starting on Monday (1 to 7).

    Raises
    ------
    ValidationError
        When ``weeks`` or ``days`` is out of range or not an integer.

    Examples
    --------
    >>> c = Cycle(weeks=2, days=5)
    >>> c.n_days, c.week(7), c.weekday(7), c.weekday_name(7)
    (10, 1, 2, 'Wed')
    """

    weeks: int = 4
    days: int = 5

    def __post_init__(self) -> None:
        problems = []
        for name, low, high in (("weeks", 1, 13), ("days", 1, 7)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                problems.append(
                    f"cycle: {name} must be an integer from {low} to {high}, got {value!r}"
                )
        if problems:
            raise ValidationError(problems)

    @property
    def n_days(self) -> int:
        """Working days in the cycle."""
        return self.weeks * self.days

    def week(self, day: int) -> int:
        """Week (0-based) of cycle day ``day``."""
        return day // self.days

    def weekday(self, day: int) -> int:
        """Weekday (Monday = 0) of cycle day ``day``."""
        return day % self.days

    def weekday_name(self, day: int) -> str:
        """Weekday name (``"Mon"`` ...) of cycle day ``day``."""
        return WEEKDAY_NAMES[self.weekday(day)]
