"""Exceptions raised by territory.

Every stage raises one of three errors:

* :class:`ValidationError` -- the input tables are wrong (a ``ValueError``). The
  message names the table, the column and up to five offending ids, and lists
  every problem found, not only the first.
* :class:`InfeasibleError` -- the input is valid but the request cannot be met
  (for example bounds that cannot reach a total). The message shows the
  arithmetic.
* :class:`OutputError` -- an output file would be overwritten without permission, or
  could not be written; no output was changed.
* :class:`TerritoryError` -- base class of all of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "InfeasibleError",
    "OutputError",
    "Problem",
    "ProblemCollector",
    "TerritoryError",
    "ValidationError",
    "format_ids",
]

#: How many offending ids a message shows before it says "and N more".
MAX_IDS_SHOWN = 5


class TerritoryError(Exception):
    """Base class of every error that territory raises on purpose."""


class ValidationError(TerritoryError, ValueError):
    """Input tables or parameters are invalid.

    Parameters
    ----------
    problems
        One line per problem, each naming table, column and offending ids.
    """

    def __init__(self, problems: str | Sequence[str]) -> None:
        if isinstance(problems, str):
            problems = [problems]
        self.problems: tuple[str, ...] = tuple(problems)
        if len(self.problems) == 1:
            message = self.problems[0]
        else:
            message = f"{len(self.problems)} problems in the input:\n" + "\n".join(
                f"- {p}" for p in self.problems
            )
        super().__init__(message)


class InfeasibleError(TerritoryError):
    """A valid request that cannot be satisfied; the message shows the numbers."""


class OutputError(TerritoryError):
    """Outputs were not written, and the previous outputs are left as they were.

    Raised when outputs exist already and overwriting was not allowed, or when a write
    failed part-way. The message names the files.
    """


def format_ids(ids: Iterable[object], *, limit: int = MAX_IDS_SHOWN) -> str:
    """Format offending ids for an error message.

    Parameters
    ----------
    ids
        The offending ids, in the order they should be shown.
    limit
        How many ids to show before summarising the rest.

    Returns
    -------
    str
        For example ``"'C17', 'C22' and 3 more"``.

    Examples
    --------
    >>> format_ids(["C1", "C2"])
    "'C1', 'C2'"
    >>> format_ids(range(7), limit=2)
    "'0', '1' and 5 more"
    """
    items = [str(i) for i in ids]
    shown = ", ".join(f"'{i}'" for i in items[:limit])
    if len(items) > limit:
        shown += f" and {len(items) - limit} more"
    return shown


@dataclass(frozen=True)
class Problem:
    """One problem found in a table.

    Attributes
    ----------
    table
        Name of the table (``"customers"``, ``"reps"`` ...).
    column
        Column at fault, or ``None`` for a table-level problem.
    message
        What is wrong, for example ``"has 3 negative values"``.
    ids
        Offending row ids (may be empty).
    id_column
        Name of the id column, used in the message.
    """

    table: str
    column: str | None
    message: str
    ids: tuple[object, ...] = ()
    id_column: str | None = None

    def __str__(self) -> str:
        where = f"{self.table}: column '{self.column}'" if self.column else f"{self.table}:"
        text = f"{where} {self.message}"
        if self.ids:
            label = self.id_column or "id"
            text += f" ({label}: {format_ids(self.ids)})"
        return text


class ProblemCollector:
    """Collects problems and raises them together as one :class:`ValidationError`.

    Examples
    --------
    >>> problems = ProblemCollector()
    >>> problems.add("customers", "lat", "is empty", ["C1"], id_column="customer_id")
    >>> problems.raise_if_any()
    Traceback (most recent call last):
    ...
    territory.errors.ValidationError: customers: column 'lat' is empty (customer_id: 'C1')
    """

    def __init__(self) -> None:
        self._problems: list[Problem] = []

    def add(
        self,
        table: str,
        column: str | None,
        message: str,
        ids: Iterable[object] = (),
        *,
        id_column: str | None = None,
    ) -> None:
        """Record one problem."""
        self._problems.append(Problem(table, column, message, tuple(ids), id_column))

    def __bool__(self) -> bool:
        return bool(self._problems)

    @property
    def problems(self) -> tuple[Problem, ...]:
        """The problems recorded so far."""
        return tuple(self._problems)

    def raise_if_any(self) -> None:
        """Raise one :class:`ValidationError` listing every recorded problem."""
        if self._problems:
            raise ValidationError([str(p) for p in self._problems])
