"""Simulated actuals: an executed-visit log for a route plan, and a month of sales.

Both are deterministic from their ``seed`` and independent of the row order of their
inputs. They give the review something realistic to work on before real field data
exists: some reps miss more visits than others, Fridays suffer most, visits slip a day
or two, reps drop in on customers outside the plan, and sales scatter around the plan
with a rep effect.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from territory.errors import ProblemCollector, ValidationError
from territory.tables.columns import check_known, id_strings, require_columns, require_frame
from territory.tables.history import validate_sales
from territory.tables.months import require_month, shift_month
from territory.tables.targets import resolve_level_column, validate_targets
from territory.tables.times import to_timestamp, working_days
from territory.tables.visit_log import plan_calendar

__all__ = ["simulate_execution", "simulate_sales"]

#: Day shifts of a rescheduled visit and their probabilities.
_SHIFTS = np.array([-2, -1, 1, 2])
_SHIFT_P = np.array([0.15, 0.35, 0.35, 0.15])


def _share(value: float, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ValidationError(f"{name}: expected a share in [0, 1], got {value!r}")
    return float(value)


def _seed(seed: object) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise ValidationError(f"seed: expected an integer, got {seed!r}")
    return int(seed)


def simulate_execution(
    visits: pd.DataFrame,
    customers: pd.DataFrame,
    *,
    cycle_start: object,
    seed: int,
    miss_rate: float = 0.08,
    reschedule_rate: float = 0.07,
    extra_rate: float = 0.03,
    order_rate: float = 0.55,
    rep_spread: float = 0.5,
    friday_factor: float = 1.8,
    weekdays: Sequence[int] = (0, 1, 2, 3, 4),
) -> pd.DataFrame:
    """Simulate the executed-visit log of one cycle of a route plan.

    Parameters
    ----------
    visits
        Route-plan visits ``rep_id, week, weekday, customer_id`` (optional ``seq``,
        ``arrival`` in minutes after midnight).
    customers
        ``customer_id`` and optionally ``potential`` (annual) and ``visits_per_cycle``,
        which scale order probability and value.
    cycle_start
        Monday on which week 1 starts.
    seed
        Random seed.
    miss_rate
        Average share of planned visits that do not happen. Each rep's rate is scaled
        by a log-normal factor (``rep_spread``, mean 1), and Fridays by
        ``friday_factor`` (the other days less, so the weekly mean is kept).
    reschedule_rate
        Share of the remaining visits done 1-2 days early or late (on a working day of
        the cycle; when neither direction fits the visit stays on its day).
    extra_rate
        Unplanned visits per planned visit: each rep drops in on customers of their plan
        on random working days.
    order_rate
        Average probability that a visit produces an order (higher for customers with
        more potential).
    rep_spread
        Sigma of the log-normal rep factor of the miss rate.
    friday_factor
        Miss rate on Fridays relative to the average day (0-5).
    weekdays
        Working weekdays (Monday = 0) for reschedules and extra visits.

    Returns
    -------
    pandas.DataFrame
        ``customer_id, rep_id, timestamp, order, order_value``, ordered by time.

    Raises
    ------
    ValidationError
        Bad plan or parameters, or planned customers missing from ``customers``.

    Examples
    --------
    >>> plan = pd.DataFrame({"rep_id": ["R1"] * 5, "week": [1] * 5, "weekday": range(5),
    ...                      "customer_id": [f"C{i}" for i in range(5)]})
    >>> customers = pd.DataFrame({"customer_id": [f"C{i}" for i in range(5)]})
    >>> log = simulate_execution(plan, customers, cycle_start="2026-11-02", seed=0)
    >>> list(log.columns)
    ['customer_id', 'rep_id', 'timestamp', 'order', 'order_value']
    """
    seed = _seed(seed)
    for name, value in (
        ("miss_rate", miss_rate),
        ("reschedule_rate", reschedule_rate),
        ("extra_rate", extra_rate),
        ("order_rate", order_rate),
    ):
        _share(value, name)
    if not isinstance(rep_spread, int | float) or not 0 <= rep_spread <= 3:
        raise ValidationError(f"rep_spread: expected a number in [0, 3], got {rep_spread!r}")
    if not isinstance(friday_factor, int | float) or not 0 <= friday_factor <= 5:
        raise ValidationError(f"friday_factor: expected a number in [0, 5], got {friday_factor!r}")
    workdays = tuple(sorted(set(int(d) for d in weekdays)))
    if not workdays or not set(workdays) <= set(range(7)):
        raise ValidationError(f"weekdays: expected weekday numbers 0-6, got {weekdays!r}")
    plan = plan_calendar(visits, cycle_start=cycle_start)
    cust = _customers(customers, plan)
    start = to_timestamp(cycle_start, "cycle_start")
    end = start + pd.Timedelta(days=7 * int(plan["week"].max()))
    order_columns = [c for c in ("rep_id", "date", "seq", "customer_id") if c in plan.columns]
    plan = plan.sort_values(order_columns, kind="stable").reset_index(drop=True)
    rng = np.random.default_rng(seed)
    n = len(plan)

    reps = sorted(set(plan["rep_id"]))
    factor = rng.lognormal(0.0, float(rep_spread), size=len(reps))
    factor = factor / factor.mean()
    rep_factor = plan["rep_id"].map(dict(zip(reps, factor, strict=True))).to_numpy(dtype=float)
    weekday = plan["date"].dt.day_of_week.to_numpy()
    other = (5.0 - float(friday_factor)) / 4.0
    day_factor = np.where(weekday == 4, float(friday_factor), np.where(weekday < 4, other, 1.0))
    p_miss = np.clip(miss_rate * rep_factor * day_factor, 0.0, 0.95)
    missed = rng.random(n) < p_miss
    moved = ~missed & (rng.random(n) < reschedule_rate)
    shift = rng.choice(_SHIFTS, size=n, p=_SHIFT_P)
    dates = plan["date"].to_numpy(dtype="datetime64[ns]")
    done_dates = dates.copy()
    for sign in (1, -1):
        candidate = dates + (sign * shift).astype("timedelta64[D]")
        ok = (
            moved
            & (done_dates == dates)
            & np.isin(pd.DatetimeIndex(candidate).day_of_week, workdays)
            & (candidate >= start.to_datetime64())
            & (candidate < end.to_datetime64())
        )
        done_dates = np.where(ok, candidate, done_dates)
    minutes = _visit_minutes(plan, rng)
    done = pd.DataFrame(
        {
            "customer_id": plan["customer_id"].to_numpy(dtype=object),
            "rep_id": plan["rep_id"].to_numpy(dtype=object),
            "timestamp": pd.DatetimeIndex(done_dates) + pd.to_timedelta(minutes, unit="m"),
        }
    )[~missed]
    extra = _extra_visits(plan, rng, extra_rate, start, end, workdays)
    log = pd.concat([done, extra], ignore_index=True)
    log["timestamp"] = log["timestamp"].dt.round("min")
    log = log.sort_values(["timestamp", "rep_id", "customer_id"], kind="stable").reset_index(
        drop=True
    )
    orders, values = _orders(log, cust, rng, order_rate)
    log["order"] = orders
    log["order_value"] = values
    return log


def _customers(customers: pd.DataFrame, plan: pd.DataFrame) -> pd.DataFrame:
    table = "customers"
    frame = require_frame(customers, table)
    require_columns(frame, table, ["customer_id"])
    out = pd.DataFrame({"customer_id": id_strings(frame["customer_id"])})
    for column in ("potential", "visits_per_cycle"):
        if column in frame.columns:
            out[column] = pd.to_numeric(frame[column], errors="coerce").astype(float).to_numpy()
    problems = ProblemCollector()
    check_known(
        plan["customer_id"], out["customer_id"], "visits", "customer_id", "customers", problems
    )
    problems.raise_if_any()
    return out.drop_duplicates("customer_id").set_index("customer_id")


def _visit_minutes(plan: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    if "arrival" in plan.columns:
        base = pd.to_numeric(plan["arrival"], errors="coerce").astype(float).to_numpy()
    else:
        base = np.full(len(plan), np.nan)
    order_in_day = plan.groupby(["rep_id", "date"]).cumcount().to_numpy()
    fallback = 9 * 60.0 + 40.0 * order_in_day
    base = np.where(np.isnan(base), fallback, base)
    return np.clip(base + rng.normal(0.0, 8.0, size=len(plan)), 6 * 60.0, 21 * 60.0)


def _extra_visits(
    plan: pd.DataFrame,
    rng: np.random.Generator,
    rate: float,
    start: pd.Timestamp,
    end: pd.Timestamp,
    workdays: tuple[int, ...],
) -> pd.DataFrame:
    days = [d for d in pd.date_range(start, end - pd.Timedelta(days=1)) if d.weekday() in workdays]
    rows: list[pd.DataFrame] = []
    for rep, group in plan.groupby("rep_id", sort=True):
        k = int(rng.binomial(len(group), rate))
        if k == 0 or not days:
            continue
        own = np.array(sorted(set(group["customer_id"])), dtype=object)
        who = own[rng.integers(0, len(own), size=k)]
        when = pd.DatetimeIndex([days[i] for i in rng.integers(0, len(days), size=k)])
        minutes = rng.uniform(9 * 60.0, 16 * 60.0, size=k)
        rows.append(
            pd.DataFrame(
                {
                    "customer_id": who,
                    "rep_id": rep,
                    "timestamp": when + pd.to_timedelta(minutes, unit="m"),
                }
            )
        )
    if not rows:
        return pd.DataFrame(
            {
                "customer_id": pd.Series(dtype=object),
                "rep_id": pd.Series(dtype=object),
                "timestamp": pd.Series(dtype="datetime64[ns]"),
            }
        )
    return pd.concat(rows, ignore_index=True)


def _orders(
    log: pd.DataFrame, cust: pd.DataFrame, rng: np.random.Generator, rate: float
) -> tuple[np.ndarray, np.ndarray]:
    n = len(log)
    if "potential" in cust.columns and cust["potential"].notna().any():
        potential = log["customer_id"].map(cust["potential"]).to_numpy(dtype=float)
        median = float(np.nanmedian(cust["potential"].to_numpy(dtype=float)))
        scale = np.nan_to_num(potential / median if median > 0 else 1.0, nan=1.0)
        p = np.clip(rate * scale**0.2, 0.02, 0.98)
        per_cycle = (
            log["customer_id"].map(cust["visits_per_cycle"]).to_numpy(dtype=float)
            if "visits_per_cycle" in cust.columns
            else np.full(n, 2.0)
        )
        per_cycle = np.where(np.isfinite(per_cycle) & (per_cycle > 0), per_cycle, 2.0)
        mean_value = np.nan_to_num(potential, nan=median) * 0.4 / 13.0 / per_cycle / max(rate, 0.05)
    else:
        p = np.full(n, rate)
        mean_value = np.full(n, 800.0)
    orders = rng.random(n) < p
    values = mean_value * rng.lognormal(-0.125, 0.5, size=n)
    return orders, np.where(orders, np.round(values, 2), 0.0)


def simulate_sales(
    history: pd.DataFrame,
    *,
    month: str,
    seed: int,
    targets: pd.DataFrame | None = None,
    hierarchy: pd.DataFrame | None = None,
    level: str = "rep",
    noise: float = 0.15,
    unit_spread: float = 0.08,
    churn_rate: float = 0.01,
    as_of: object = None,
    holidays: Iterable[object] = (),
) -> pd.DataFrame:
    """Simulate one month of actual sales per customer.

    The expected sales of a customer are the same month a year earlier times the
    customer's recent trend (last three months against the same months a year earlier,
    clipped to 0.6-1.6), or the mean of the last three months when the history is
    shorter than a year. With ``targets`` the expectation follows the plan instead:
    customer-level targets of the month are used as they are; targets of another
    ``level`` are spread over the unit's customers in proportion to their expected
    sales (needs ``hierarchy``). Each unit of ``level`` then gets a performance factor
    (normal, mean 1, sd ``unit_spread``) and each customer log-normal noise (mean 1);
    ``churn_rate`` of the customers buy nothing.

    Parameters
    ----------
    history
        Sales history ``customer_id, month, sales``.
    month
        The month to simulate (``"YYYY-MM"``), normally the one after the history.
    seed
        Random seed.
    targets
        Optional allocation table ``level, unit, period, value``.
    hierarchy
        Customer → unit columns; needed for unit targets and unit factors.
    level
        The unit level of the performance factor and of unit targets.
    noise
        Sigma of the customers' log-normal noise.
    unit_spread
        Standard deviation of the unit performance factor.
    churn_rate
        Share of customers without sales this month.
    as_of
        When given (a date in ``month``), the sales to date: the month's sales times
        the elapsed share of working days.
    holidays
        Non-working days for ``as_of``.

    Returns
    -------
    pandas.DataFrame
        ``customer_id, month, sales``, one row per customer, ordered by customer.

    Raises
    ------
    ValidationError
        Bad tables or parameters, or unit targets without a hierarchy.

    Examples
    --------
    >>> history = pd.DataFrame({"customer_id": ["C1", "C2"] * 2,
    ...                         "month": ["2026-09", "2026-09", "2026-10", "2026-10"],
    ...                         "sales": [100.0, 50.0, 110.0, 40.0]})
    >>> sales = simulate_sales(history, month="2026-11", seed=0, churn_rate=0)
    >>> sales["customer_id"].tolist(), sales["month"].unique().tolist()
    (['C1', 'C2'], ['2026-11'])
    """
    seed = _seed(seed)
    month = require_month(month, "month")
    _share(churn_rate, "churn_rate")
    for name, value in (("noise", noise), ("unit_spread", unit_spread)):
        if not isinstance(value, int | float) or not 0 <= value <= 2:
            raise ValidationError(f"{name}: expected a number in [0, 2], got {value!r}")
    hist = validate_sales(history, table="history")
    wide = hist.pivot(index="customer_id", columns="month", values="sales").sort_index()
    expected = _expected(wide, month)
    if targets is not None:
        expected = _follow_targets(expected, validate_targets(targets), hierarchy, level, month)
    expected = expected.sort_index()
    rng = np.random.default_rng(seed)
    factor = np.ones(len(expected))
    if hierarchy is not None:
        column = resolve_level_column(level, hierarchy, None)
        if column is None:
            raise ValidationError(f"hierarchy: column '{level}' or '{level}_id' is missing")
        units = dict(
            zip(id_strings(hierarchy["customer_id"]), id_strings(hierarchy[column]), strict=True)
        )
        unit_of = np.array([units.get(c) for c in expected.index], dtype=object)
        names = sorted({u for u in unit_of if u is not None})
        draws = dict(zip(names, rng.normal(1.0, float(unit_spread), size=len(names)), strict=True))
        factor = np.array([max(0.2, draws.get(u, 1.0)) if u is not None else 1.0 for u in unit_of])
    sigma = float(noise)
    values = (
        expected.to_numpy(dtype=float)
        * factor
        * rng.lognormal(-(sigma**2) / 2, sigma, len(expected))
    )
    values[rng.random(len(expected)) < churn_rate] = 0.0
    if as_of is not None:
        stamp = to_timestamp(as_of, "as_of")
        if f"{stamp.year:04d}-{stamp.month:02d}" != month:
            raise ValidationError(f"as_of: {stamp.date()} is not in {month}")
        days = working_days(month, holidays)
        values = values * (sum(1 for d in days if d <= stamp.date()) / max(1, len(days)))
    return pd.DataFrame(
        {
            "customer_id": expected.index.to_numpy(dtype=object),
            "month": month,
            "sales": np.round(np.maximum(values, 0.0), 2),
        }
    )


def _expected(wide: pd.DataFrame, month: str) -> pd.Series:
    last_year = shift_month(month, -12)
    recent = [shift_month(month, -k) for k in (1, 2, 3)]
    recent_prior = [shift_month(m, -12) for m in recent]
    have = [m for m in recent if m in wide.columns]
    recent_sum = wide[have].sum(axis=1) if have else pd.Series(0.0, index=wide.index)
    recent_mean = recent_sum / len(have) if have else wide.iloc[:, -3:].mean(axis=1).fillna(0.0)
    if last_year in wide.columns and all(m in wide.columns for m in recent_prior):
        prior_sum = wide[recent_prior].sum(axis=1)
        trend = pd.Series(
            np.clip(
                np.where(prior_sum > 0, recent_sum / prior_sum.where(prior_sum > 0, 1.0), 1.0),
                0.6,
                1.6,
            ),
            index=wide.index,
        )
        base = wide[last_year].fillna(0.0) * trend
        return base.where(wide[last_year].notna(), recent_mean).astype(float)
    return recent_mean.astype(float)


def _follow_targets(
    expected: pd.Series,
    targets: pd.DataFrame,
    hierarchy: pd.DataFrame | None,
    level: str,
    month: str,
) -> pd.Series:
    rows = targets[targets["period"] == month]
    # Levels are named like the hierarchy's columns ("rep_id", as allocate names them) or
    # without the suffix ("rep"): both count.
    customer_rows = rows[rows["level"].isin(("customer", "customer_id"))]
    if len(customer_rows):
        plan = customer_rows.set_index("unit")["value"].astype(float)
        return plan.combine_first(expected).astype(float)
    unit_rows = rows[rows["level"].isin((level, f"{level}_id"))]
    if unit_rows.empty:
        raise ValidationError(
            f"targets: no rows for level 'customer' or '{level}' in period {month}"
        )
    if hierarchy is None:
        raise ValidationError(f"hierarchy: needed to spread '{level}' targets over customers")
    column = resolve_level_column(level, hierarchy, None)
    if column is None:
        raise ValidationError(f"hierarchy: column '{level}' or '{level}_id' is missing")
    units = dict(
        zip(id_strings(hierarchy["customer_id"]), id_strings(hierarchy[column]), strict=True)
    )
    unit_of = pd.Series([units.get(c) for c in expected.index], index=expected.index, dtype=object)
    totals = expected.groupby(unit_of).sum()
    target = unit_rows.set_index("unit")["value"].astype(float)
    scale = (target / totals).replace([np.inf, -np.inf], np.nan)
    per_customer = unit_of.map(scale)
    return (expected * per_customer.where(per_customer.notna(), 1.0)).astype(float)
