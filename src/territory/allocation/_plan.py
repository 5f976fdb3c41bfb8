"""``allocate_plan``: several measures, product lines, new products, promotions, market share.

The manuals break the regional target down to every store with new products and
promotions in view (结合新品、促销信息…分解至零售终端), for sales value, quantity and
market share. :func:`allocate_plan` does it in named steps around :func:`allocate`:

1. **Line totals** (:func:`line_totals`): every measure's total is split over the
   product lines. A line given in the measure's mapping gets its figure; a
   :class:`NewProduct` gets its share of the total or its fixed amount; the rest goes
   to the established lines in proportion to their trailing-12-month history, in whole
   steps (so the lines add up to the total exactly).
2. **Line history** (:func:`line_history`): each line's history of the measure's
   column, on the complete key × month grid. A new product without history is spread
   like the line it names in ``like`` (default: all lines together).
3. **Promotions** (:func:`promote`): the promoted stores' history in the promotion's
   calendar months is scaled by ``1 + uplift``. Their share of the line's target and
   those months' share of their year rise; the total stays the target given.
4. **Allocation**: :func:`allocate` for every (measure, line), with the same levels,
   methods and options. Each one adds up exactly at every level and month, and so do
   their sums over lines.
5. **Market share**: a measure given as a share of the market has the total ``share ×
   market size`` and reports each unit's share target (its figure ÷ its market size).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from territory._json import json_safe
from territory.allocation._allocate import Methods, allocate, sales_argument
from territory.allocation._hierarchy import month_label, parse_months
from territory.allocation._options import Measure, NewProduct, Promotion
from territory.allocation._result import Allocation
from territory.allocation.apportionment import apportion
from territory.errors import InfeasibleError, ProblemCollector, ValidationError
from territory.tables import numeric_column

__all__ = ["TargetPlan", "allocate_plan", "line_history", "line_totals", "promote"]

logger = logging.getLogger("territory")

ALL_LINES = "(all)"


@dataclass(frozen=True, eq=False)
class TargetPlan:
    """Targets for several measures and product lines.

    Attributes
    ----------
    allocations
        ``(measure, product line)`` → :class:`Allocation` (the line ``"(all)"`` without
        a product dimension).
    lines
        ``measure, product_line, kind`` (``"history"``, ``"new"`` or ``"given"``),
        ``basis`` (trailing-12-month history, the share or the amount) and ``target``.
    market
        Market size of every unit per level (``level, parent, unit, market, measure``);
        empty without market-share measures.
    share_measures
        Measure name → the market-share target, for measures given as a share.
    """

    allocations: dict[tuple[str, str], Allocation]
    lines: pd.DataFrame
    market: pd.DataFrame
    share_measures: dict[str, float]

    @property
    def measures(self) -> tuple[str, ...]:
        """Measure names, in the order given."""
        return tuple(dict.fromkeys(m for m, _ in self.allocations))

    @property
    def product_lines(self) -> tuple[str, ...]:
        """Product lines, in the order of the first measure."""
        return tuple(dict.fromkeys(line for _, line in self.allocations))

    def allocation(self, measure: str, line: str | None = None) -> Allocation:
        """The allocation of one measure and line (the only line when there is one)."""
        if line is None:
            lines = [k for k in self.allocations if k[0] == measure]
            if len(lines) != 1:
                raise KeyError(f"measure {measure!r} has lines {[k[1] for k in lines]}; name one")
            return self.allocations[lines[0]]
        return self.allocations[(measure, line)]

    def at_level(self, level: str) -> pd.DataFrame:
        """Yearly figures of one level for every measure and line.

        Returns
        -------
        pandas.DataFrame
            ``measure, product_line, unit, parent, value`` and, for market-share
            measures, ``market`` and ``market_share`` (value ÷ market size).
        """
        frames = []
        for (measure, line), result in self.allocations.items():
            frame = result.at_level(level)[["unit", "parent", "value"]]
            frame.insert(0, "product_line", line)
            frame.insert(0, "measure", measure)
            frames.append(frame)
        out = pd.concat(frames, ignore_index=True)
        if self.share_measures:
            market = self.market[self.market["level"] == level]
            out = out.merge(
                market[["measure", "parent", "unit", "market"]],
                on=["measure", "parent", "unit"],
                how="left",
            )
            with np.errstate(divide="ignore", invalid="ignore"):
                out["market_share"] = np.where(
                    out["market"] > 0, out["value"] / out["market"], np.nan
                )
        return out

    def totals(self, level: str) -> pd.DataFrame:
        """Each unit's figure per measure, summed over the product lines (one column each)."""
        frame = self.at_level(level)
        pairs = pd.Series(list(zip(frame["parent"], frame["unit"], strict=True)), dtype=object)
        keys = list(dict.fromkeys(pairs))
        out = pd.DataFrame(
            {
                "parent": pd.Series([k[0] for k in keys], dtype=object),
                "unit": pd.Series([k[1] for k in keys], dtype=object),
            }
        )
        for measure in self.measures:
            mine = frame["measure"].to_numpy() == measure
            sums = frame.loc[mine, "value"].groupby(pairs[mine].to_numpy(), sort=False).sum()
            out[measure] = [float(sums.get(k, 0.0)) for k in keys]
        return out

    def to_frame(self) -> pd.DataFrame:
        """Every allocation's :meth:`Allocation.to_frame` with ``measure, product_line``."""
        frames = []
        for (measure, line), result in self.allocations.items():
            frame = result.to_frame()
            frame.insert(0, "product_line", line)
            frame.insert(0, "measure", measure)
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dictionary: line totals, share targets and every allocation."""
        return {
            "lines": json_safe(self.lines),
            "share_measures": json_safe(self.share_measures),
            "allocations": [
                {"measure": m, "product_line": line, **result.to_dict()}
                for (m, line), result in self.allocations.items()
            ],
        }

    def summary(self) -> str:
        """A line per measure and product line."""
        lines = [
            f"target plan: {len(self.measures)} measures × {len(self.product_lines)} product lines"
        ]
        for row in self.lines.to_dict("records"):
            text = (
                f"  {row['measure']} / {row['product_line']}: {row['target']:,.10g} ({row['kind']}"
            )
            if row["kind"] == "new":
                text += f", {row['basis']}"
            lines.append(text + ")")
        for name, share in self.share_measures.items():
            lines.append(f"  {name}: market share target {share:.1%} of the market")
        return "\n".join(lines)


def _plan_months(months: int | Sequence[object] | None, last: int | None) -> list[int]:
    if months is not None:
        parsed = parse_months(months)
        if parsed:
            return parsed
        raise ValidationError(
            f"allocate_plan: months must be a year or distinct 'YYYY-MM' months, got {months!r}"
        )
    if last is None:
        raise ValidationError("allocate_plan: give the plan months (e.g. 2027) without history")
    return list(range(last + 1, last + 13))


def line_totals(
    measure: Measure,
    total: float,
    baseline: Mapping[str, float],
    new_products: Sequence[NewProduct],
) -> pd.DataFrame:
    """Split one measure's total over the product lines, exactly in whole steps.

    Parameters
    ----------
    measure
        The measure (its ``step`` and, when a mapping, its per-line targets).
    total
        The measure's total (a multiple of the step after rounding).
    baseline
        Trailing-12-month history of every established line.
    new_products
        Lines with a share or an amount.

    Returns
    -------
    pandas.DataFrame
        ``measure, product_line, kind, basis, target``.

    Raises
    ------
    InfeasibleError
        When the new products' shares and amounts exceed the total.
    """
    rows: list[dict[str, object]] = []
    if isinstance(measure.target, Mapping):
        for line, value in measure.target.items():
            rows.append({"product_line": line, "kind": "given", "basis": None, "target": value})
        return pd.DataFrame(rows).assign(measure=measure.name)[
            ["measure", "product_line", "kind", "basis", "target"]
        ]
    step = measure.step
    units = round(total / step)
    new_names = {p.line for p in new_products}
    carved = 0
    for product in new_products:
        amount = product.amount_for(measure.name)
        if amount is not None:
            part, basis = round(amount / step), f"amount {amount:,.10g}"
        else:
            share = product.share or 0.0
            part, basis = round(share * units), f"share {share:.1%}"
        carved += part
        rows.append(
            {"product_line": product.line, "kind": "new", "basis": basis, "target": part * step}
        )
    if carved > units:
        parts = " + ".join(f"{float(str(r['target'])):,.10g}" for r in rows)
        raise InfeasibleError(
            f"measure {measure.name!r}: new products take {carved * step:,.10g} ({parts}) "
            f"of a total of {units * step:,.10g}"
        )
    established = [line for line in baseline if line not in new_names]
    if established:
        weights = np.array([max(baseline[line], 0.0) for line in established])
        split = apportion((units - carved) * step, weights, step=step)
        for line, value, base in zip(established, split, weights, strict=True):
            rows.append(
                {"product_line": line, "kind": "history", "basis": base, "target": float(value)}
            )
    elif units > carved:
        raise InfeasibleError(
            f"measure {measure.name!r}: {(units - carved) * step:,.10g} of the total is left "
            "for the established lines, but every line is a new product"
        )
    frame = pd.DataFrame(rows).assign(measure=measure.name)
    return frame[["measure", "product_line", "kind", "basis", "target"]]


def line_history(
    history: pd.DataFrame,
    *,
    key: str,
    column: str,
    product_column: str | None,
    lines: Sequence[str] | None,
    keys: Sequence[object],
    months: Sequence[str],
) -> pd.DataFrame:
    """One measure's history of some lines (``None``: all), on the full key × month grid.

    Returns
    -------
    pandas.DataFrame
        ``<key>, month, sales``: every key and every month, missing rows as 0.
    """
    rows = history
    if product_column is not None and lines is not None:
        rows = history[history[product_column].isin(list(lines))]
    rows = rows.assign(month=rows["month"].astype(str))
    summed = rows.groupby([key, "month"], sort=False)[column].sum()
    grid = pd.MultiIndex.from_product([list(keys), list(months)])
    values = summed.reindex(grid, fill_value=0.0).to_numpy(dtype=np.float64)
    return pd.DataFrame(
        {
            key: grid.get_level_values(0).to_numpy(dtype=object),
            "month": grid.get_level_values(1).to_numpy(dtype=object),
            "sales": values,
        }
    )


def promote(
    table: pd.DataFrame, promotions: Sequence[Promotion], *, key: str, line: str
) -> pd.DataFrame:
    """Scale the promoted stores' history in the promotions' calendar months.

    Returns
    -------
    pandas.DataFrame
        A copy of ``table`` (``<key>, month, sales``) with ``sales × (1 + uplift)`` where
        a promotion of ``line`` covers the store and the calendar month.
    """
    out = table.copy()
    calendar = out["month"].astype(str).str[5:7]
    for promo in promotions:
        if promo.lines is not None and line not in promo.lines:
            continue
        hit = calendar.isin([m[5:7] for m in promo.months])
        if promo.customers is not None:
            hit &= out[key].isin(list(promo.customers))
        out.loc[hit, "sales"] = out.loc[hit, "sales"] * (1.0 + promo.uplift)
    return out


def _check_inputs(
    hierarchy: pd.DataFrame,
    history: pd.DataFrame | None,
    *,
    key: str,
    measures: Sequence[Measure],
    product_column: str | None,
    new_products: Sequence[NewProduct],
    promotions: Sequence[Promotion],
    plan: list[int],
) -> list[str]:
    """Check the plan's own inputs; returns the established product lines."""
    problems = ProblemCollector()
    names = [m.name for m in measures]
    if not measures or len(set(names)) != len(names):
        problems.add("allocate_plan", "measures", f"must be distinct named measures, got {names}")
    lines: list[str] = []
    if history is not None:
        wanted = [key, "month", *{m.column for m in measures}]
        if product_column is not None:
            wanted.append(product_column)
        for column in dict.fromkeys(wanted):
            if column not in history.columns:
                problems.add("sales", column, "is missing")
        problems.raise_if_any()
        if product_column is not None:
            lines = [str(v) for v in pd.unique(history[product_column].dropna())]
    elif product_column is not None or new_products:
        problems.add("allocate_plan", "sales", "is needed for product lines and new products")
    keys = set(hierarchy[key]) if key in hierarchy.columns else set()
    if history is not None and keys:
        unknown = [k for k in pd.unique(history[key]) if k not in keys]
        if unknown:
            problems.add(
                "sales", key, "has ids that are not in the hierarchy", unknown, id_column=key
            )
    known = set(lines)
    repeated = sorted(
        {p.line for p in new_products if [q.line for q in new_products].count(p.line) > 1}
    )
    if repeated:
        problems.add("new_products", "line", f"names a line more than once: {repeated}")
    for product in new_products:
        if product.like is not None and product.like not in known:
            problems.add("new_products", "like", f"names a line without history: {product.like!r}")
    if new_products and product_column is None:
        problems.add("allocate_plan", "product_column", "is needed for new products")
    for measure in measures:
        if isinstance(measure.target, Mapping):
            expected = known | {p.line for p in new_products}
            if product_column is None:
                problems.add(
                    "measures",
                    measure.name,
                    "has a target per line, but there is no product dimension (product_column)",
                )
            elif set(measure.target) != expected:
                problems.add(
                    "measures",
                    measure.name,
                    f"names lines {sorted(measure.target)}, but the plan's lines are "
                    f"{sorted(expected)}",
                )
        if isinstance(measure.market, str) and measure.market not in hierarchy.columns:
            problems.add("hierarchy", measure.market, "is missing (market size)")
    plan_set = {month_label(m) for m in plan}
    for promo in promotions:
        outside = [m for m in promo.months if m not in plan_set]
        if outside:
            problems.add("promotions", "months", "are not plan months", outside, id_column="month")
        if promo.customers is not None:
            unknown = [c for c in promo.customers if c not in keys]
            if unknown:
                problems.add(
                    "promotions", "customers", "are not in the hierarchy", unknown, id_column=key
                )
        if promo.lines is not None and product_column is None:
            problems.add("promotions", "lines", "need a product dimension (product_column)")
        elif promo.lines is not None and lines:
            unknown_lines = [
                x for x in promo.lines if x not in known | {p.line for p in new_products}
            ]
            if unknown_lines:
                problems.add("promotions", "lines", "are not product lines", unknown_lines)
    problems.raise_if_any()
    return lines


def _market(
    hierarchy: pd.DataFrame,
    levels: Sequence[str],
    key: str,
    market: object,
    crossing: Sequence[str],
) -> pd.DataFrame:
    """Market size per unit of every level (pairs on crossing levels)."""
    problems = ProblemCollector()
    if isinstance(market, str):  # a column of the hierarchy
        table, column, sizes = "hierarchy", market, hierarchy
    else:  # a mapping unit -> market size
        table = column = "market"
        mapped = hierarchy[key].map(pd.Series(market, dtype=object))
        sizes = pd.DataFrame({key: hierarchy[key], column: mapped})
    values = numeric_column(sizes, column, table=table, problems=problems, id_column=key)
    problems.raise_if_any()
    frame = hierarchy.assign(_market=values)
    out = []
    for i, level in enumerate(levels):
        if i == 0 or level not in crossing:
            parent = levels[i - 1] if i else None
            group = frame.groupby([*([parent] if parent else []), level], sort=False)["_market"]
            summed = group.sum().reset_index()
            summed = summed.rename(columns={level: "unit", "_market": "market"})
            if parent is None:
                summed["parent"] = None
            else:
                summed = summed.rename(columns={parent: "parent"})
        else:
            summed = (
                frame.groupby([levels[i - 1], level], sort=False)["_market"]
                .sum()
                .reset_index()
                .rename(columns={levels[i - 1]: "parent", level: "unit", "_market": "market"})
            )
        summed.insert(0, "level", level)
        out.append(summed[["level", "parent", "unit", "market"]])
    return pd.concat(out, ignore_index=True)


def _history_months(history: pd.DataFrame | None) -> tuple[list[str], int | None]:
    """Every month from the first to the last of the sales table, and the last month."""
    if history is None:
        return [], None
    if "month" not in history.columns:
        raise ValidationError("sales: column 'month' is missing")
    parsed = parse_months([str(m) for m in pd.unique(history["month"])])
    if parsed is None:
        raise ValidationError("sales: column 'month' has values that are not 'YYYY-MM'")
    first, last = min(parsed), max(parsed)
    return [month_label(m) for m in range(first, last + 1)], last


def _measure_lines(
    measure: Measure,
    total: float,
    history: pd.DataFrame | None,
    *,
    months: list[str],
    product_column: str | None,
    established: list[str],
    new_products: Sequence[NewProduct],
) -> pd.DataFrame:
    """One measure's target per product line (one row for all lines without lines)."""
    if not (established or new_products):
        return pd.DataFrame(
            {
                "measure": [measure.name],
                "product_line": [ALL_LINES],
                "kind": ["given"],
                "basis": [None],
                "target": [total],
            }
        )
    assert history is not None and product_column is not None
    recent = history[history["month"].astype(str).isin(months)]
    base = recent.groupby(product_column)[measure.column].sum()
    line_base = {line: float(base.get(line, 0.0)) for line in established}
    return line_totals(measure, total, line_base, new_products)


def _line_sales(
    history: pd.DataFrame | None,
    line: str,
    measure: Measure,
    *,
    key: str,
    product_column: str | None,
    keys: list[object],
    months: list[str],
    new_products: Sequence[NewProduct],
    promotions: Sequence[Promotion],
) -> pd.DataFrame | None:
    """The sales a product line is allocated by: its own, its look-alike's, or all lines'.

    Promotions scale them. ``None`` without a sales table.
    """
    if history is None:
        if promotions:
            raise ValidationError("promotions: need the sales table (they scale it)")
        return None
    like = {p.line: p.like for p in new_products}
    source: list[str] | None
    if line == ALL_LINES:
        source = None
    elif line in like:  # a new product: like a line, or all lines together
        like_line = like[line]
        source = [like_line] if like_line is not None else None
    else:
        source = [line]
    sales = line_history(
        history,
        key=key,
        column=measure.column,
        product_column=product_column,
        lines=source,
        keys=keys,
        months=months,
    )
    return promote(sales, promotions, key=key, line=line)


def allocate_plan(
    hierarchy: pd.DataFrame,
    *,
    levels: Sequence[str],
    measures: Sequence[Measure],
    sales: pd.DataFrame | None = None,
    product_column: str | None = None,
    new_products: Sequence[NewProduct] = (),
    promotions: Sequence[Promotion] = (),
    key: str | None = None,
    potential: str | pd.Series | None = None,
    methods: Methods = "history",
    baseline: str | tuple[str, str] = "trailing_12",
    months: int | Sequence[object] | None = None,
    rounding: str = "largest_remainder",
    seed: int | None = None,
    crossing: Sequence[str] = (),
    history: pd.DataFrame | None = None,
) -> TargetPlan:
    """Break targets for several measures and product lines down the hierarchy.

    See the module notes for the steps. Every (measure, line) allocation is an
    :func:`allocate` call with the same levels, methods and options, so each adds up
    exactly at every level and month; line totals add up exactly to the measure's total.

    Parameters
    ----------
    hierarchy
        One row per key with the level columns (and market size columns).
    levels, key, potential, methods, baseline, months, rounding, seed, crossing
        As for :func:`allocate` (for bounds and locks, call :func:`allocate` per
        measure and line).
    measures
        The measures (:class:`Measure`): value, quantity, market share, ...
    sales
        The sales table, long: ``<key>, month`` with a column per measure
        (``Measure.column``) and, with product lines, ``product_column``. Needed by
        history methods, product lines and new products.
    product_column
        The sales column naming the product line; ``None`` for no product dimension.
    new_products
        Lines without (enough) history, with a share or a fixed amount
        (:class:`NewProduct`).
    promotions
        Uplifts of some stores in some plan months (:class:`Promotion`).

    history
        Deprecated name of ``sales``.

    Returns
    -------
    TargetPlan

    Raises
    ------
    ValidationError
        Bad tables or options; every problem is listed.
    InfeasibleError
        New products take more than the total.

    Examples
    --------
    >>> h = pd.DataFrame({"rep_id": ["R1", "R1", "R2"], "customer_id": ["C1", "C2", "C3"]})
    >>> sales = pd.DataFrame({"customer_id": ["C1", "C2", "C3"] * 2, "month": "2026-12",
    ...                       "line": ["tea"] * 3 + ["juice"] * 3,
    ...                       "sales": [100.0, 300.0, 600.0, 50.0, 0.0, 50.0],
    ...                       "quantity": [10.0, 30.0, 60.0, 5.0, 0.0, 5.0]})
    >>> from territory.allocation import LevelRule
    >>> last = LevelRule("history", window=("2026-12", "2026-12"))
    >>> plan = allocate_plan(h, levels=["rep_id", "customer_id"], sales=sales,
    ...                      product_column="line", months=["2027-12"], methods=last,
    ...                      baseline=("2026-12", "2026-12"),
    ...                      measures=[Measure("value", 2200), Measure("quantity", 220,
    ...                                column="quantity")],
    ...                      new_products=[NewProduct("soda", share=0.1, like="juice")])
    >>> plan.lines[["measure", "product_line", "target"]].values.tolist()[:3]
    [['value', 'soda', 220.0], ['value', 'tea', 1800.0], ['value', 'juice', 180.0]]
    >>> plan.totals("rep_id")[["unit", "value", "quantity"]].values.tolist()
    [['R1', 920.0, 92.0], ['R2', 1280.0, 128.0]]
    """
    levels = [levels] if isinstance(levels, str) else list(levels)
    key = key or levels[-1]
    if any(not isinstance(p, NewProduct) for p in new_products):
        raise ValidationError("new_products: expected NewProduct objects")
    if any(not isinstance(p, Promotion) for p in promotions):
        raise ValidationError("promotions: expected Promotion objects")
    if any(not isinstance(m, Measure) for m in measures):
        raise ValidationError("measures: expected Measure objects")
    history = sales_argument(sales, history, "allocate_plan")
    hist_months, last = _history_months(history)
    plan = _plan_months(months, last)
    established = _check_inputs(
        hierarchy,
        history,
        key=key,
        measures=measures,
        product_column=product_column,
        new_products=new_products,
        promotions=promotions,
        plan=plan,
    )
    keys = list(pd.unique(hierarchy[key])) if key in hierarchy.columns else []
    trailing = hist_months[-12:]
    markets: list[pd.DataFrame] = []
    shares: dict[str, float] = {}
    line_frames: list[pd.DataFrame] = []
    allocations: dict[tuple[str, str], Allocation] = {}
    for measure in measures:
        total = float(measure.target) if isinstance(measure.target, int | float) else 0.0
        if measure.share is not None:
            market = _market(hierarchy, levels, key, measure.market, crossing)
            region = float(market.loc[market["level"] == levels[0], "market"].sum())
            total = measure.share * region
            shares[measure.name] = float(measure.share)
            markets.append(market.assign(measure=measure.name))
        targets = _measure_lines(
            measure,
            total,
            history,
            months=trailing,
            product_column=product_column,
            established=established,
            new_products=new_products,
        )
        line_frames.append(targets)
        for row in targets.to_dict("records"):
            line = str(row["product_line"])
            line_hist = _line_sales(
                history,
                line,
                measure,
                key=key,
                product_column=product_column,
                keys=keys,
                months=hist_months,
                new_products=new_products,
                promotions=promotions,
            )
            allocations[(measure.name, line)] = allocate(
                float(row["target"]),
                hierarchy,
                levels=levels,
                key=key,
                sales=line_hist,
                potential=potential,
                methods=methods,
                baseline=baseline,
                months=[month_label(m) for m in plan],
                step=measure.step,
                month_step=measure.month_step,
                rounding=rounding,
                seed=seed,
                crossing=crossing,
            )
    lines = pd.concat(line_frames, ignore_index=True)
    logger.info(
        "target plan: %d measures, %d (measure, line) allocations", len(measures), len(allocations)
    )
    market_frame = (
        pd.concat(markets, ignore_index=True)
        if markets
        else pd.DataFrame(columns=["level", "parent", "unit", "market", "measure"])
    )
    if not math.isfinite(float(lines["target"].sum())):  # pragma: no cover - guarded above
        raise ValidationError("measures: targets must be finite")
    return TargetPlan(allocations, lines, market_frame, shares)
