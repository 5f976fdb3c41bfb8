"""From targets to activity, prospect-list checks and bottom-up reconciliation."""

from __future__ import annotations

from collections.abc import Hashable, Mapping

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from territory.allocation._result import Allocation, LevelResult
from territory.errors import ProblemCollector
from territory.tables import numeric_column

IntArray = NDArray[np.int64]

__all__ = ["activity_targets", "prospect_check", "reconcile"]


def _lookup(
    values: float | Mapping[Hashable, float] | pd.Series | pd.DataFrame,
    keys: pd.Series,
    *,
    table: str,
    column: str,
    key_column: str,
    problems: ProblemCollector,
) -> np.ndarray:
    """Per-row values from a scalar, a mapping, a Series or a two-column table."""
    if isinstance(values, int | float):
        return np.full(len(keys), float(values))
    if isinstance(values, pd.DataFrame):
        if key_column not in values.columns or column not in values.columns:
            problems.add(table, None, f"needs columns '{key_column}' and '{column}'")
            return np.full(len(keys), np.nan)
        series = pd.Series(values[column].to_numpy(), index=values[key_column].to_numpy())
    else:
        series = pd.Series(values)
    if series.index.duplicated().any():
        problems.add(
            table,
            key_column,
            "has duplicate ids",
            pd.unique(series.index[series.index.duplicated()]),
            id_column=key_column,
        )
    series = series[~series.index.duplicated()]
    found = series.reindex(pd.Index(keys.to_numpy(dtype=object)))
    out = numeric_column(
        pd.DataFrame({key_column: keys.to_numpy(dtype=object), column: found.to_numpy()}),
        column,
        table=table,
        problems=problems,
        id_column=key_column,
        allow_missing=True,
        allow_negative=True,
    )
    missing = found.isna().to_numpy()
    if missing.any():
        problems.add(
            table,
            column,
            f"has no value for {int(pd.unique(keys[missing]).size)} ids",
            pd.unique(keys[missing]),
            id_column=key_column,
        )
    return out


def activity_targets(
    targets: pd.DataFrame,
    *,
    conversion: float | Mapping[Hashable, float] | pd.Series | pd.DataFrame,
    by: str = "rep_id",
    rate_by: str | None = None,
    value: str = "value",
    deal_size: float = 1.0,
    working_days: float | Mapping[Hashable, float] | pd.Series = 220.0,
    activity: str = "visits",
) -> pd.DataFrame:
    """Activity needed to reach sales targets: deals, visits (or leads) and visits per day.

    Parameters
    ----------
    targets
        Table of targets with columns ``by`` and ``value`` (for example
        ``allocation.at_level("rep_id").rename(columns={"unit": "rep_id"})``), and
        ``rate_by`` when rates are per grade (one row per customer then).
    conversion
        Conversion rate in (0, 1]: one number, a mapping / Series id -> rate, or a table
        with columns ``rate_by`` and ``rate``.
    by
        Column to report per (rep).
    rate_by
        Column the rates are keyed by (``"grade"``...); ``by`` by default.
    value
        Target column.
    deal_size
        Average value of one deal; deals = target / deal_size (1: targets are deals).
    working_days
        Working days in the period: one number or per ``by`` id.
    activity
        Name of the activity column (``"visits"``, ``"leads"``...).

    Returns
    -------
    pandas.DataFrame
        ``<by>, target, deals, <activity>, working_days, <activity>_per_day``;
        activity is rounded up to whole units.

    Raises
    ------
    ValidationError
        Missing columns, rates <= 0 or > 1, missing rates, non-positive working days.

    Examples
    --------
    >>> t = pd.DataFrame({"rep_id": ["R1", "R2"], "value": [40.0, 30.0]})
    >>> activity_targets(t, conversion={"R1": 0.2, "R2": 0.25}, working_days=200)["visits"].tolist()
    [200, 120]
    """
    problems = ProblemCollector()
    rate_by = rate_by or by
    for column in dict.fromkeys([by, rate_by, value]):
        if column not in targets.columns:
            problems.add("targets", column, "is missing")
    if not (np.isfinite(deal_size) and deal_size > 0):
        problems.add("activity_targets", "deal_size", f"must be positive, got {deal_size}")
    problems.raise_if_any()
    amount = numeric_column(targets, value, table="targets", problems=problems, id_column=by)
    if isinstance(conversion, pd.DataFrame):
        rates_table = conversion
        if rate_by in conversion.columns and "rate" in conversion.columns:
            checked = numeric_column(
                conversion,
                "rate",
                table="conversion",
                problems=problems,
                id_column=rate_by,
                allow_negative=True,
            )
            wrong = np.isfinite(checked) & ~((checked > 0) & (checked <= 1))
            if wrong.any():
                problems.add(
                    "conversion",
                    "rate",
                    f"has {int(wrong.sum())} rates outside (0, 1]",
                    conversion[rate_by][wrong],
                    id_column=rate_by,
                )
    else:
        rates_table = None
        items = (
            {"": conversion}.items()
            if isinstance(conversion, int | float)
            else pd.Series(conversion).items()
        )
        wrong_ids = [k for k, r in items if not (isinstance(r, int | float) and 0 < r <= 1)]
        if wrong_ids:
            problems.add(
                "conversion",
                "rate",
                f"has {len(wrong_ids)} rates outside (0, 1]",
                wrong_ids,
                id_column=rate_by,
            )
    problems.raise_if_any()
    rates = _lookup(
        rates_table if rates_table is not None else conversion,
        targets[rate_by],
        table="conversion",
        column="rate",
        key_column=rate_by,
        problems=problems,
    )
    problems.raise_if_any()
    deals = amount / deal_size
    frame = pd.DataFrame(
        {
            by: targets[by].to_numpy(dtype=object),
            "target": amount,
            "deals": deals,
            activity: deals / rates,
        }
    )
    out = frame.groupby(by, sort=False, as_index=False)[["target", "deals", activity]].sum()
    days = _lookup(
        working_days,
        out[by],
        table="working_days",
        column="working_days",
        key_column=by,
        problems=problems,
    )
    bad_days = ~(days > 0)
    if bad_days.any() and not problems:
        problems.add(
            "working_days", "working_days", "must be positive", out[by][bad_days], id_column=by
        )
    problems.raise_if_any()
    out[activity] = np.ceil(out[activity].to_numpy() - 1e-9).astype(np.int64)
    out["working_days"] = days
    out[f"{activity}_per_day"] = out[activity] / days
    return out


def prospect_check(
    prospects: pd.DataFrame | Mapping[Hashable, float] | pd.Series,
    *,
    band: tuple[int, int] = (60, 80),
    new_per_deal: int = 5,
    deals: Mapping[Hashable, float] | pd.Series | None = None,
    by: str = "rep_id",
    count: str = "prospects",
) -> pd.DataFrame:
    """Check each rep's prospect list against a band and say how many names to add.

    Parameters
    ----------
    prospects
        Current prospects in follow-up per rep: a table with columns ``by`` and
        ``count``, or a mapping / Series rep -> count.
    band
        ``(low, high)`` number of prospects to keep in follow-up.
    new_per_deal
        New names to add for every closed (or planned) deal.
    deals
        Deals per rep (closed, or planned, e.g. ``activity_targets(...)["deals"]``);
        none by default.
    by, count
        Column names.

    Returns
    -------
    pandas.DataFrame
        ``<by>, prospects, low, high, status ("below" / "within" / "above"), deals,
        to_add, excess`` where ``to_add = max(low - prospects, 0) + new_per_deal *
        ceil(deals)`` and ``excess = max(prospects - high, 0)``.

    Examples
    --------
    >>> out = prospect_check({"R1": 50, "R2": 70, "R3": 90}, deals={"R1": 2, "R2": 1, "R3": 0})
    >>> out[["rep_id", "status", "to_add"]].values.tolist()
    [['R1', 'below', 20], ['R2', 'within', 5], ['R3', 'above', 0]]
    """
    problems = ProblemCollector()
    low, high = band
    if not (0 <= low <= high):
        problems.add("prospect_check", "band", f"must be 0 <= low <= high, got {band}")
    if new_per_deal < 0:
        problems.add("prospect_check", "new_per_deal", "must not be negative")
    if isinstance(prospects, pd.DataFrame):
        for column in (by, count):
            if column not in prospects.columns:
                problems.add("prospects", column, "is missing")
        problems.raise_if_any()
        prospect_table = prospects
    else:
        series = pd.Series(prospects)
        prospect_table = pd.DataFrame(
            {by: series.index.to_numpy(dtype=object), count: series.to_numpy()}
        )
    ids = prospect_table[by].to_numpy(dtype=object)
    current = numeric_column(
        prospect_table, count, table="prospects", problems=problems, id_column=by
    )
    n_deals = np.zeros(len(ids))
    if deals is not None:
        given = pd.Series(deals)
        unknown = ~given.index.isin(pd.Index(pd.Series(ids, dtype=object)))
        if unknown.any():
            problems.add(
                "deals",
                by,
                "names reps without a prospect count",
                given.index[unknown],
                id_column=by,
            )
        d = pd.Series(
            numeric_column(
                pd.DataFrame({by: given.index.to_numpy(dtype=object), "deals": given.to_numpy()}),
                "deals",
                table="deals",
                problems=problems,
                id_column=by,
                allow_missing=True,
            ),
            index=given.index,
        )
        by_rep = d.reindex(pd.Index(pd.Series(ids, dtype=object))).fillna(0.0)
        n_deals = np.asarray(by_rep, dtype=np.float64)
    problems.raise_if_any()
    status = np.where(current < low, "below", np.where(current > high, "above", "within"))
    to_add = np.maximum(low - current, 0) + new_per_deal * np.ceil(n_deals - 1e-9)
    return pd.DataFrame(
        {
            by: pd.Series(ids, dtype=object),
            "prospects": current.astype(np.int64),
            "low": low,
            "high": high,
            "status": status,
            "deals": n_deals,
            "to_add": to_add.astype(np.int64),
            "excess": np.maximum(current - high, 0).astype(np.int64),
        }
    )


def _positions(lv: LevelResult, units: NDArray[np.object_], *, crossing: bool) -> IntArray:
    """Position of every planned unit in the level: -1 unknown, -2 ambiguous (crossing)."""
    if not crossing:
        index = pd.Index(pd.Series(lv.ids, dtype=object))
        found: IntArray = index.get_indexer(pd.Series(units, dtype=object)).astype(np.int64)
        return found
    by_pair = {(p, u): i for i, (p, u) in enumerate(zip(lv.parent_ids, lv.ids, strict=True))}
    by_unit: dict[object, list[int]] = {}
    for i, u in enumerate(lv.ids):
        by_unit.setdefault(u, []).append(i)
    out = np.full(len(units), -1, dtype=np.int64)
    for j, u in enumerate(units):
        if isinstance(u, tuple) and u in by_pair:
            out[j] = by_pair[u]
        elif not isinstance(u, tuple) and u in by_unit:
            out[j] = by_unit[u][0] if len(by_unit[u]) == 1 else -2
    return out


def reconcile(
    allocation: Allocation,
    plans: pd.DataFrame,
    *,
    level: str | None = None,
    unit: str = "unit",
    value: str = "value",
) -> pd.DataFrame:
    """Compare bottom-up commitments with the top-down figures, per unit and level.

    Parameters
    ----------
    allocation
        The top-down allocation.
    plans
        What units commit to: columns ``unit`` and ``value``, plus ``level`` when plans
        are given at several levels.
    level
        Level of the plans when ``plans`` has no ``level`` column (the bottom level by
        default).
    unit, value
        Column names.

    Returns
    -------
    pandas.DataFrame
        ``source_level, level, unit, top_down, bottom_up, gap, gap_pct, planned, units``:
        for the planned level and every level above it (commitments summed up); ``gap =
        bottom_up - top_down``; ``planned`` of ``units`` units below have a plan.

    Raises
    ------
    ValidationError
        Unknown levels or units, duplicate or negative plans.
    """
    problems = ProblemCollector()
    names = allocation.level_names
    for column in (unit, value):
        if column not in plans.columns:
            problems.add("plans", column, "is missing")
    problems.raise_if_any()
    if "level" in plans.columns:
        plan_levels = plans["level"].astype(object).to_numpy()
    else:
        plan_levels = np.full(len(plans), level or names[-1], dtype=object)
    unknown = sorted({str(p) for p in plan_levels if p not in names})
    if unknown:
        problems.add("plans", "level", "names unknown levels", unknown, id_column="level")
    problems.raise_if_any()
    amounts = numeric_column(plans, value, table="plans", problems=problems, id_column=unit)
    units_col = plans[unit].to_numpy(dtype=object)
    frames = []
    for name in dict.fromkeys(plan_levels):
        depth = names.index(name)
        mask = plan_levels == name
        lv = allocation.levels[depth]
        pos = _positions(lv, units_col[mask], crossing=name in allocation.crossing)
        if (pos == -2).any():
            problems.add(
                "plans",
                unit,
                f"names units under several parents at crossing level '{name}'; name the "
                "(parent, unit) pair",
                units_col[mask][pos == -2],
                id_column=name,
            )
            continue
        if (pos < 0).any():
            problems.add(
                "plans",
                unit,
                f"names units that are not in level '{name}'",
                units_col[mask][pos < 0],
                id_column=name,
            )
            continue
        if pd.Series(pos).duplicated().any():
            problems.add(
                "plans",
                unit,
                f"has duplicate plans at level '{name}'",
                lv.ids[pos[pd.Series(pos).duplicated().to_numpy()]],
                id_column=name,
            )
            continue
        committed = np.full(lv.ids.shape[0], np.nan)
        committed[pos] = amounts[mask]
        has = ~np.isnan(committed)
        current = depth
        values, counts, totals = committed, has.astype(np.float64), np.ones(len(has))
        while current >= 0:
            level_res = allocation.levels[current]
            bottom_up = np.where(counts > 0, values, np.nan)
            gap = bottom_up - level_res.value
            with np.errstate(divide="ignore", invalid="ignore"):
                pct = np.where(level_res.value > 0, gap / level_res.value, np.nan)
            frames.append(
                pd.DataFrame(
                    {
                        "source_level": name,
                        "level": level_res.name,
                        "unit": pd.Series(level_res.ids, dtype=object),
                        "top_down": level_res.value,
                        "bottom_up": bottom_up,
                        "gap": gap,
                        "gap_pct": pct,
                        "planned": counts.astype(np.int64),
                        "units": totals.astype(np.int64),
                    }
                )
            )
            if current == 0:
                break
            parent_index = (
                level_res.parent_index
                if level_res.parent_index is not None
                else pd.Index(pd.Series(allocation.levels[current - 1].ids, dtype=object))
                .get_indexer(pd.Series(level_res.parent_ids, dtype=object))
                .astype(np.int64)
            )
            n_par = allocation.levels[current - 1].ids.shape[0]
            values = np.bincount(
                parent_index, weights=np.nan_to_num(values), minlength=n_par
            ).astype(np.float64)
            counts = np.bincount(parent_index, weights=counts, minlength=n_par).astype(np.float64)
            totals = np.bincount(parent_index, weights=totals, minlength=n_par).astype(np.float64)
            current -= 1
    problems.raise_if_any()
    return pd.concat(frames, ignore_index=True)
