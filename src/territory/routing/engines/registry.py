"""The engine interface and the registry of engines by name.

An :class:`Engine` solves a :class:`~territory.routing.engines.DayProblem`;
:func:`get_engine` returns one by name, importing its solver package only then, so
that a missing optional package fails where it is asked for.
"""

from __future__ import annotations

from typing import Protocol

from territory.errors import ValidationError
from territory.routing.engines.problem import DayProblem, DaySolution

__all__ = ["ENGINE_NAMES", "Engine", "get_engine"]

#: Names accepted by :func:`get_engine`.
ENGINE_NAMES = ("ortools", "pyvrp", "local")


class Engine(Protocol):
    """A solver of :class:`DayProblem`."""

    name: str

    def solve(
        self,
        problem: DayProblem,
        *,
        time_limit: float,
        seed: int = 0,
        iterations: int | None = None,
    ) -> DaySolution:
        """Solve ``problem`` within ``time_limit`` seconds, deterministically for ``seed``.

        ``iterations`` is a deterministic work limit; with it, the same problem and seed
        give the same solution whatever the machine load (``time_limit`` is a cap).
        """
        ...


def get_engine(name: str) -> Engine:
    """Return the engine called ``name`` (``"ortools"``, ``"pyvrp"`` or ``"local"``).

    Parameters
    ----------
    name
        One of :data:`ENGINE_NAMES`.

    Returns
    -------
    Engine
        A fresh engine instance.

    Raises
    ------
    ValidationError
        For an unknown name.
    ImportError
        When the engine's solver package is not installed.

    Examples
    --------
    >>> get_engine("ortools").name
    'ortools'
    """
    if name == "ortools":
        from territory.routing.engines.ortools.engine import OrToolsEngine

        return OrToolsEngine()
    if name == "pyvrp":
        from territory.routing.engines.pyvrp_engine import PyVrpEngine

        return PyVrpEngine()
    if name == "local":
        from territory.routing.engines.local import LocalEngine

        return LocalEngine()
    raise ValidationError(
        f"engine: unknown engine {name!r}; choose one of {', '.join(ENGINE_NAMES)}"
    )
