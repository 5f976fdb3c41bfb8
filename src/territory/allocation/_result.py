"""The :class:`Allocation` result."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

__all__ = ["Allocation", "LevelResult"]


def _py(value: object) -> Any:
    """A JSON-safe Python value (numpy scalars converted, NaN becomes None)."""
    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, int | float | str | bool):
        return value
    return str(value)


@dataclass(frozen=True, eq=False)
class LevelResult:
    """The figures of one level.

    Attributes
    ----------
    name
        Level (column) name.
    ids
        Unit ids.
    parent_ids
        Parent unit id of every unit (``None`` at the top level).
    method
        Rule used to split parents over this level (text).
    unrounded
        Fair share of every unit before rounding (of its parent's final figure).
    value
        Final yearly figure of every unit (a multiple of the step).
    bound
        Binding constraint of every unit: ``"min"``, ``"max"``, ``"growth_min"``,
        ``"growth_max"``, ``"locked"``, ``"children_min"`` / ``"children_max"`` (the
        sums of the units below) or ``None``.
    baseline
        Baseline (last-year) sales of every unit, NaN without history.
    month_unrounded, month_value
        Monthly figures, shape ``(n_units, n_months)``.
    seasonality
        Where each unit's month split came from: ``"own"``, an ancestor level name,
        ``"flat"`` or ``"children"`` (sum of the level below).
    """

    name: str
    ids: NDArray[np.object_]
    parent_ids: NDArray[np.object_]
    method: str
    unrounded: NDArray[np.float64]
    value: NDArray[np.float64]
    bound: NDArray[np.object_]
    baseline: NDArray[np.float64]
    month_unrounded: NDArray[np.float64]
    month_value: NDArray[np.float64]
    seasonality: NDArray[np.object_]


@dataclass(frozen=True, eq=False)
class Allocation:
    """A top-down target breakdown that adds up at every level and month.

    Attributes
    ----------
    target
        The total that was split (rounded to the step).
    requested_target
        The target as given.
    step, month_step
        Rounding steps of yearly and monthly figures.
    rounding
        Rounding method.
    months
        Plan months (``"YYYY-MM"``).
    levels
        One :class:`LevelResult` per level, top first.
    """

    target: float
    requested_target: float
    step: float
    month_step: float
    rounding: str
    months: tuple[str, ...]
    levels: tuple[LevelResult, ...]

    @property
    def level_names(self) -> tuple[str, ...]:
        """Level names, top first."""
        return tuple(level.name for level in self.levels)

    def _level(self, name: str) -> LevelResult:
        for level in self.levels:
            if level.name == name:
                return level
        raise KeyError(f"no level {name!r}; levels are {', '.join(self.level_names)}")

    def at_level(self, name: str) -> pd.DataFrame:
        """Yearly figures of one level.

        Parameters
        ----------
        name
            Level name.

        Returns
        -------
        pandas.DataFrame
            ``unit, parent, method, baseline, unrounded, value, growth, bound``.
        """
        lv = self._level(name)
        with np.errstate(divide="ignore", invalid="ignore"):
            growth = np.where(lv.baseline > 0, lv.value / lv.baseline - 1.0, np.nan)
        return pd.DataFrame(
            {
                "unit": pd.Series(lv.ids, dtype=object),
                "parent": pd.Series(lv.parent_ids, dtype=object),
                "method": lv.method,
                "baseline": lv.baseline,
                "unrounded": lv.unrounded,
                "value": lv.value,
                "growth": growth,
                "bound": pd.Series(lv.bound, dtype=object),
            }
        )

    def monthly(self, level: str, *, unrounded: bool = False) -> pd.DataFrame:
        """Monthly figures of one level, one row per unit and one column per month.

        Parameters
        ----------
        level
            Level name.
        unrounded
            Return the fair (unrounded) monthly shares instead of the final figures.

        Returns
        -------
        pandas.DataFrame
            Indexed by unit id, columns are the plan months.
        """
        lv = self._level(level)
        data = lv.month_unrounded if unrounded else lv.month_value
        return pd.DataFrame(
            data, index=pd.Index(lv.ids, name=level, dtype=object), columns=list(self.months)
        )

    def value(self, level: str, unit: object) -> float:
        """The final yearly figure of one unit."""
        lv = self._level(level)
        hits = np.flatnonzero(lv.ids == unit)
        if hits.size == 0:
            raise KeyError(f"no unit {unit!r} at level {level!r}")
        return float(lv.value[hits[0]])

    def to_frame(self) -> pd.DataFrame:
        """One row per unit and period (``"year"`` or a month), every level.

        Returns
        -------
        pandas.DataFrame
            ``level, unit, parent, period, method, unrounded, value, bound``.
        """
        frames = []
        n_months = len(self.months)
        for lv in self.levels:
            n = lv.ids.shape[0]
            year = pd.DataFrame(
                {
                    "level": lv.name,
                    "unit": pd.Series(lv.ids, dtype=object),
                    "parent": pd.Series(lv.parent_ids, dtype=object),
                    "period": "year",
                    "method": lv.method,
                    "unrounded": lv.unrounded,
                    "value": lv.value,
                    "bound": pd.Series(lv.bound, dtype=object),
                }
            )
            month = pd.DataFrame(
                {
                    "level": lv.name,
                    "unit": pd.Series(np.repeat(lv.ids, n_months), dtype=object),
                    "parent": pd.Series(np.repeat(lv.parent_ids, n_months), dtype=object),
                    "period": np.tile(np.asarray(self.months, dtype=object), n),
                    "method": np.char.add(
                        "seasonality:", np.repeat(lv.seasonality.astype(str), n_months)
                    ).astype(object),
                    "unrounded": lv.month_unrounded.ravel(),
                    "value": lv.month_value.ravel(),
                    "bound": pd.Series([None] * (n * n_months), dtype=object),
                }
            )
            frames += [year, month]
        return pd.concat(frames, ignore_index=True)

    def summary(self) -> str:
        """A few lines: the target and, per level, units, spread and bound hits."""
        lines = [
            f"allocation of {self.target:,.0f} over {len(self.levels)} levels and "
            f"{len(self.months)} months ({self.months[0]} .. {self.months[-1]}), "
            f"step {self.step:g}, {self.rounding} rounding"
        ]
        if self.target != self.requested_target:
            lines.append(
                f"  target {self.requested_target:,.2f} rounded to {self.target:,.0f} "
                f"(step {self.step:g})"
            )
        for lv in self.levels:
            hits = pd.Series(lv.bound, dtype=object).dropna().value_counts()
            hit_text = ", ".join(f"{k} {v}" for k, v in hits.items()) or "no bounds hit"
            lines.append(
                f"  {lv.name}: {lv.ids.shape[0]} units by {lv.method}, "
                f"{lv.value.min():,.0f} .. {lv.value.max():,.0f}; {hit_text}"
            )
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dictionary (only str, int, float, bool, None, lists and dicts)."""
        levels = []
        for lv in self.levels:
            units = [
                {
                    "unit": _py(lv.ids[i]),
                    "parent": _py(lv.parent_ids[i]),
                    "unrounded": _py(lv.unrounded[i]),
                    "value": _py(lv.value[i]),
                    "baseline": _py(lv.baseline[i]),
                    "bound": _py(lv.bound[i]),
                    "months": [_py(v) for v in lv.month_value[i]],
                }
                for i in range(lv.ids.shape[0])
            ]
            levels.append({"name": lv.name, "method": lv.method, "units": units})
        return {
            "target": _py(self.target),
            "requested_target": _py(self.requested_target),
            "step": _py(self.step),
            "month_step": _py(self.month_step),
            "rounding": self.rounding,
            "months": list(self.months),
            "levels": levels,
        }
