"""Allocation rules per level (:class:`LevelRule`) and constraints (:class:`Bounds`)."""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field

import numpy as np

from territory.errors import ValidationError

__all__ = ["METHODS", "WINDOWS", "Bounds", "LevelRule"]

#: Allocation methods a level can use.
METHODS: tuple[str, ...] = ("history", "potential", "index", "equal_growth", "untapped")
#: Named history windows (a ``(first, last)`` pair of ``"YYYY-MM"`` months also works).
WINDOWS: tuple[str, ...] = ("trailing_12", "last_year")


def _check_window(window: object) -> str | None:
    if isinstance(window, str):
        return None if window in WINDOWS else f"must be one of {', '.join(WINDOWS)} or a pair"
    if isinstance(window, tuple) and len(window) == 2:
        return None
    return "must be 'trailing_12', 'last_year' or a (first, last) pair of months"


@dataclass(frozen=True)
class LevelRule:
    """How one level's units share their parent's figure.

    Parameters
    ----------
    method
        ``"history"``: proportional to sales in ``window``. ``"potential"``: proportional
        to potential. ``"index"``: a weighted index; each column in ``weights`` is
        turned into shares within the parent, then mixed. ``"equal_growth"``: the same
        growth rate on the baseline (last year) for every unit. ``"untapped"``: baseline
        plus growth shared in proportion to untapped potential ``max(potential -
        baseline, 0)`` (when the parent shrinks, the cut is shared in proportion to the
        baseline).
    window
        History window for ``"history"`` and the ``"history"`` index column:
        ``"trailing_12"`` (the last 12 months of history), ``"last_year"`` (the plan
        months one year earlier) or a ``(first, last)`` pair of ``"YYYY-MM"`` months.
    weights
        For ``"index"``: column -> weight. Columns are ``"history"`` (the window),
        ``"baseline"``, ``"potential"`` or any numeric hierarchy column (summed up the
        hierarchy).

    Examples
    --------
    >>> LevelRule("index", weights={"potential": 0.6, "history": 0.4}).describe()
    'index(potential=0.6, history=0.4)'
    """

    method: str = "history"
    window: str | tuple[str, str] = "trailing_12"
    weights: Mapping[str, float] | None = field(default=None)

    def __post_init__(self) -> None:
        problems: list[str] = []
        if self.method not in METHODS:
            problems.append(f"LevelRule: method must be one of {', '.join(METHODS)}")
        message = _check_window(self.window)
        if message:
            problems.append(f"LevelRule: window {message}")
        if self.method == "index":
            if not self.weights:
                problems.append("LevelRule: method 'index' needs weights, e.g. {'potential': 1}")
            else:
                bad = [
                    k
                    for k, v in self.weights.items()
                    if not (isinstance(v, int | float) and math.isfinite(v) and v >= 0)
                ]
                if bad:
                    problems.append(
                        f"LevelRule: weights must be non-negative numbers (columns: {bad})"
                    )
                elif sum(self.weights.values()) <= 0:
                    problems.append("LevelRule: weights must not all be zero")
            if self.weights is not None:
                object.__setattr__(self, "weights", dict(self.weights))
        elif self.weights is not None:
            problems.append("LevelRule: weights are only used by method 'index'")
        if problems:
            raise ValidationError(problems)

    def describe(self) -> str:
        """Short text naming the method, e.g. ``"history(trailing_12)"``."""
        if self.method == "history":
            window = (
                self.window if isinstance(self.window, str) else "..".join(map(str, self.window))
            )
            return f"history({window})"
        if self.method == "index" and self.weights:
            return "index(" + ", ".join(f"{k}={v:g}" for k, v in self.weights.items()) + ")"
        return self.method


Limit = float | Mapping[Hashable, float] | None


def _check_limit(name: str, value: Limit, problems: list[str]) -> None:
    if value is None:
        return
    items = value.values() if isinstance(value, Mapping) else [value]
    for v in items:
        if not isinstance(v, int | float) or math.isnan(v) or v < 0:
            problems.append(f"Bounds: {name} values must be non-negative numbers, got {v!r}")
            return


@dataclass(frozen=True)
class Bounds:
    """Limits for the units of one level.

    Parameters
    ----------
    minimum, maximum
        A number for every unit of the level, or a mapping unit id -> number.
    growth
        ``(low, high)`` growth relative to the baseline (last year), e.g.
        ``(-0.10, 0.30)``. Units without baseline sales have no growth bound.

    Examples
    --------
    >>> Bounds(minimum={"R1": 1000}, growth=(-0.1, 0.3)).growth
    (-0.1, 0.3)
    """

    minimum: Limit = None
    maximum: Limit = None
    growth: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        problems: list[str] = []
        _check_limit("minimum", self.minimum, problems)
        _check_limit("maximum", self.maximum, problems)
        if isinstance(self.minimum, Mapping):
            object.__setattr__(self, "minimum", dict(self.minimum))
        if isinstance(self.maximum, Mapping):
            object.__setattr__(self, "maximum", dict(self.maximum))
        if (
            not problems
            and isinstance(self.minimum, int | float)
            and isinstance(self.maximum, int | float)
            and self.minimum > self.maximum
        ):
            problems.append(f"Bounds: minimum {self.minimum} is above maximum {self.maximum}")
        if self.growth is not None:
            pair = tuple(self.growth)
            numbers = all(
                isinstance(g, int | float | np.integer | np.floating) and not isinstance(g, bool)
                for g in pair
            )
            if len(pair) != 2 or not numbers:
                problems.append(f"Bounds: growth must be a (low, high) pair of numbers, got {pair}")
            else:
                low, high = (float(g) for g in pair)
                if not (math.isfinite(low) and low >= -1.0):
                    problems.append(f"Bounds: growth low must be >= -1, got {low}")
                elif not high >= low:
                    problems.append(f"Bounds: growth high {high} is below low {low}")
                else:
                    object.__setattr__(self, "growth", (low, high))
        if problems:
            raise ValidationError(problems)
