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
    """A JSON-safe Python value (numpy scalars converted, NaN and infinities become None)."""
    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
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
    parent_index
        Position of every unit's parent in the level above (zeros at the top level);
        unlike ``parent_ids`` it is unambiguous below a crossing level.
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
    parent_index: NDArray[np.int64] | None = None


def _summed(lv: LevelResult) -> LevelResult:
    """A crossing level with each unit's pairs summed (parents listed, bound kept if one)."""
    codes, uniques = pd.factorize(pd.Series(lv.ids, dtype=object), sort=False)
    n = len(uniques)
    count = np.bincount(codes, minlength=n)
    parents: list[list[str]] = [[] for _ in range(n)]
    for code, parent in zip(codes, lv.parent_ids, strict=True):
        parents[code].append(str(parent))
    bound = np.full(n, None, dtype=object)
    single = count[codes] == 1
    bound[codes[single]] = lv.bound[single]

    def rows(values: NDArray[np.float64]) -> NDArray[np.float64]:
        out = np.zeros((n, values.shape[1]))
        np.add.at(out, codes, values)
        return out

    return LevelResult(
        name=lv.name,
        ids=np.asarray(uniques, dtype=object),
        parent_ids=np.array([", ".join(p) for p in parents], dtype=object),
        method=lv.method,
        unrounded=np.bincount(codes, weights=lv.unrounded, minlength=n).astype(np.float64),
        value=np.bincount(codes, weights=lv.value, minlength=n).astype(np.float64),
        bound=bound,
        baseline=np.bincount(codes, weights=lv.baseline, minlength=n).astype(np.float64),
        month_unrounded=rows(lv.month_unrounded),
        month_value=rows(lv.month_value),
        seasonality=np.array(["children"] * n, dtype=object),
    )


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
    crossing
        Levels whose units may sit under several parents (allocated on (parent, unit)
        pairs: one row per pair; :meth:`marginal` sums the pairs of each unit).
    """

    target: float
    requested_target: float
    step: float
    month_step: float
    rounding: str
    months: tuple[str, ...]
    levels: tuple[LevelResult, ...]
    crossing: tuple[str, ...] = ()

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
            Indexed by unit id (by ``(parent, unit)`` pairs on a crossing level), columns
            are the plan months.
        """
        lv = self._level(level)
        data = lv.month_unrounded if unrounded else lv.month_value
        index: pd.Index = pd.Index(lv.ids, name=level, dtype=object)
        if level in self.crossing:
            index = pd.MultiIndex.from_arrays(
                [pd.Index(lv.parent_ids, dtype=object), index], names=["parent", level]
            )
        return pd.DataFrame(data, index=index, columns=list(self.months))

    def marginal(self, level: str) -> pd.DataFrame:
        """One row per unit of ``level``, its pairs summed (for a crossing level).

        On a crossing level a unit under several parents has one row per (parent, unit)
        pair; this sums them, so a rep under two dealers gets its whole figure. Sums of
        whole steps, hence exact. On other levels it is the level's own figures.

        Parameters
        ----------
        level
            Level name.

        Returns
        -------
        pandas.DataFrame
            ``unit, parents`` (number of parents), ``value`` and one column per month,
            in order of first appearance.
        """
        lv = self._level(level)
        codes, uniques = pd.factorize(pd.Series(lv.ids, dtype=object), sort=False)
        n = len(uniques)
        value = np.bincount(codes, weights=lv.value, minlength=n)
        frame = pd.DataFrame(
            {
                "unit": pd.Series(np.asarray(uniques, dtype=object), dtype=object),
                "parents": np.bincount(codes, minlength=n).astype(np.int64),
                "value": value,
            }
        )
        for j, month in enumerate(self.months):
            frame[month] = np.bincount(codes, weights=lv.month_value[:, j], minlength=n)
        return frame

    def value(self, level: str, unit: object) -> float:
        """The final yearly figure of one unit (summed over its pairs on a crossing level)."""
        lv = self._level(level)
        hits = np.flatnonzero(lv.ids == unit)
        if hits.size == 0:
            raise KeyError(f"no unit {unit!r} at level {level!r}")
        return float(lv.value[hits].sum())

    def to_frame(self, *, pairs: bool = False) -> pd.DataFrame:
        """One row per unit and period (``"year"`` or a month), every level.

        Parameters
        ----------
        pairs
            On a crossing level, one row per (parent, unit) pair instead of one per
            unit. By default a unit under several parents has one row (its pairs summed,
            ``parent`` listing the parents, e.g. ``"D1, D2"``), so every (level, unit,
            period) is unique, as :func:`territory.review.target_achievement` expects.

        Returns
        -------
        pandas.DataFrame
            ``level, unit, parent, period, method, unrounded, value, bound``.
        """
        frames = []
        n_months = len(self.months)
        for level in self.levels:
            lv = level if pairs or level.name not in self.crossing else _summed(level)
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

    def _repr_html_(self) -> str:
        """The summary over the first rows of :meth:`to_frame`, for notebooks."""
        from territory._html import result_html

        return result_html(self)

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
            units = f"{lv.ids.shape[0]} units"
            if lv.name in self.crossing:
                units = f"{lv.ids.shape[0]} (parent, unit) pairs of {len(set(lv.ids))} units"
            lines.append(
                f"  {lv.name}: {units} by {lv.method}, "
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
            "crossing": list(self.crossing),
            "levels": levels,
        }
