"""Visit execution: the route plan on the calendar against the executed-visit log."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from territory._json import json_safe
from territory.errors import ValidationError
from territory.review._ratios import percent, ratio
from territory.review._supervision import Supervision, area_column, read_supervision
from territory.tables.visit_log import (
    cycle_start_date,
    known_ids,
    plan_calendar,
    validate_requirements,
    validate_visit_log,
)

__all__ = ["ExecutionReview", "visit_execution"]

logger = logging.getLogger("territory")


@dataclass(frozen=True, eq=False)
class ExecutionReview:
    """Journey-plan compliance, frequency, coverage, unplanned visits and strike rate.

    A *visit* is one rep at one customer on one day: log rows of the same rep, customer
    and day are merged (reported in :attr:`issues`). A planned visit is *done on the
    day* when that rep visited that customer on the planned date, *done within
    tolerance* when within ±``tolerance_days`` days; each executed visit fulfils at most
    one planned visit (exact days are matched first, then the nearest in date order).
    Executed visits that fulfil no planned visit are *unplanned*.

    Attributes
    ----------
    by_rep
        Per rep: ``planned, on_day, within_tolerance, missed, compliance``
        (within_tolerance ÷ planned), ``on_day_rate``, ``executed``, ``unplanned``,
        ``unplanned_share``, ``customers`` (customers with visits due, assigned to the
        rep who has most of their planned visits), ``covered``, ``coverage``,
        ``frequency_met``, ``frequency_compliance``, ``orders``, ``strike_rate`` (orders ÷
        executed visits, missing without order data) and ``order_value``.
    by_grade
        Per grade: ``customers, required_visits, executed_visits, covered, coverage,
        frequency_met, frequency_compliance``.
    by_rep_week
        Per rep and plan week: ``planned, within_tolerance, compliance``.
    planned
        The planned visits with ``date``, ``done_date``, ``shift_days`` and ``status``
        (``"on_day"``, ``"shifted"`` or ``"missed"``).
    executed
        The executed visits with ``planned`` (bool), ``order``, ``order_value`` and
        ``log_rows`` (log rows merged into the visit).
    customers
        Per customer with visits due: ``rep_id, grade, required, executed, covered,
        frequency_met``.
    overall
        The same KPIs over all reps.
    tolerance_days
        The tolerance used.
    cycle_start, cycle_end
        First day of the cycle and the day after its last day.
    issues
        Reported handling of the input (duplicates, merged repeats).
    by_area
        The per-rep KPIs rolled up to the company rep answering for each area
        (``area_rep_id``; a dealer rep's visits and customers count in its supervisor's
        area), with ``reps`` (reps with plan or visits in the area) and ``auditor`` (the
        company rep's supervisor). Empty unless ``reps`` with ``supervisor_id`` is given.
    """

    by_rep: pd.DataFrame
    by_grade: pd.DataFrame
    by_rep_week: pd.DataFrame
    planned: pd.DataFrame
    executed: pd.DataFrame
    customers: pd.DataFrame
    overall: dict[str, Any]
    tolerance_days: int
    cycle_start: pd.Timestamp
    cycle_end: pd.Timestamp
    issues: tuple[str, ...] = ()
    by_area: pd.DataFrame = field(default_factory=lambda: _empty_areas())

    def to_frame(self) -> pd.DataFrame:
        """The per-rep table followed by an ``"(all)"`` row with the overall figures."""
        total = pd.DataFrame([{"rep_id": "(all)", **self.overall}])
        return pd.concat([self.by_rep, total[self.by_rep.columns]], ignore_index=True)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dictionary: overall KPIs, per-rep and per-grade rows, issues."""
        return {
            "cycle_start": self.cycle_start.date().isoformat(),
            "cycle_end": self.cycle_end.date().isoformat(),
            "tolerance_days": self.tolerance_days,
            "overall": json_safe(self.overall),
            "by_rep": json_safe(self.by_rep),
            "by_grade": json_safe(self.by_grade),
            "by_area": json_safe(self.by_area),
            "issues": list(self.issues),
        }

    def _repr_html_(self) -> str:
        """The summary over the first rows of :meth:`to_frame`, for notebooks."""
        from territory._html import result_html

        return result_html(self)

    def summary(self) -> str:
        """A few lines with the overall KPIs and the weakest rep."""
        o = self.overall
        lines = [
            f"visit execution {self.cycle_start.date()} to "
            f"{(self.cycle_end - pd.Timedelta(days=1)).date()} "
            f"(tolerance ±{self.tolerance_days} d)",
            f"  journey-plan compliance {percent(o['compliance'])} "
            f"({o['within_tolerance']} of {o['planned']} planned visits; "
            f"{percent(o['on_day_rate'])} on the day)",
            f"  coverage {percent(o['coverage'])}, frequency compliance "
            f"{percent(o['frequency_compliance'])} of {o['customers']} customers",
            f"  {o['unplanned']} unplanned of {o['executed']} executed visits; "
            f"strike rate {percent(o['strike_rate'])}",
        ]
        ranked = self.by_rep[self.by_rep["planned"] > 0].sort_values(["compliance", "rep_id"])
        if len(ranked):
            worst = ranked.iloc[0]
            lines.append(
                f"  lowest compliance: {worst['rep_id']} at {percent(worst['compliance'])}"
            )
        lines.extend(f"  note: {issue}" for issue in self.issues)
        return "\n".join(lines)


def visit_execution(
    visits: pd.DataFrame,
    visit_log: pd.DataFrame,
    *,
    cycle_start: object,
    requirements: pd.DataFrame | None = None,
    customers: pd.DataFrame | None = None,
    reps: pd.DataFrame | None = None,
    tolerance_days: int = 0,
    weeks: int | None = None,
) -> ExecutionReview:
    """Compare the planned visits of one cycle with the executed-visit log.

    Parameters
    ----------
    visits
        Route-plan visits: ``rep_id, week, weekday, customer_id`` (other columns kept).
    visit_log
        Executed visits: ``customer_id, rep_id, timestamp`` and optionally ``order``
        (bool) and ``order_value``. Exact duplicate rows are counted once and reported.
    cycle_start
        Monday on which week 1 of the plan starts.
    requirements
        ``customer_id, visits_per_cycle`` and optionally ``grade``. When given, these
        customers (with visits due) define coverage and frequency compliance; otherwise
        the planned customers with their planned number of visits do.
    customers
        Customer master; when given, the log may name any of its customers, otherwise
        only customers of the plan or the requirements.
    reps
        Reps table; when given, the log may name any of its reps, otherwise only reps of
        the plan. With a ``supervisor_id`` column the KPIs also roll up to areas
        (:attr:`ExecutionReview.by_area`).
    tolerance_days
        A planned visit done up to this many days early or late still counts.
    weeks
        Length of the cycle in weeks (default the last week of the plan).

    Returns
    -------
    ExecutionReview

    Raises
    ------
    ValidationError
        Bad tables, unknown customers or reps in the log, or log timestamps outside the
        cycle.

    Examples
    --------
    >>> plan = pd.DataFrame({"rep_id": ["R1"] * 2, "week": [1, 1], "weekday": [0, 1],
    ...                      "customer_id": ["C1", "C2"]})
    >>> log = pd.DataFrame({"rep_id": ["R1"], "customer_id": ["C1"],
    ...                     "timestamp": pd.to_datetime(["2026-11-02 09:30"])})
    >>> visit_execution(plan, log, cycle_start="2026-11-02").overall["compliance"]
    0.5
    """
    if isinstance(tolerance_days, bool) or not isinstance(tolerance_days, int | np.integer):
        raise ValidationError(f"tolerance_days: expected a whole number, got {tolerance_days!r}")
    if tolerance_days < 0:
        raise ValidationError(f"tolerance_days: must be 0 or more, got {tolerance_days}")
    start = cycle_start_date(cycle_start)
    planned = plan_calendar(visits, cycle_start=start)
    n_weeks = int(weeks) if weeks is not None else int(planned["week"].max()) if len(planned) else 1
    if n_weeks < 1 or (len(planned) and n_weeks < int(planned["week"].max())):
        raise ValidationError(
            f"weeks: {weeks} is shorter than the plan ({int(planned['week'].max())} weeks)"
        )
    end = start + pd.Timedelta(days=7 * n_weeks)
    req = validate_requirements(requirements) if requirements is not None else None
    known_customers = known_ids(customers, "customer_id", "customers")
    if known_customers is None:
        known_customers = set(planned["customer_id"]) | (
            set(req["customer_id"]) if req is not None else set()
        )
    known_reps = known_ids(reps, "rep_id", "reps")
    if known_reps is None:
        known_reps = set(planned["rep_id"])
    log = validate_visit_log(
        visit_log, known_customers=known_customers, known_reps=known_reps, start=start, end=end
    )
    issues: list[str] = []
    executed = _merge_log(log, issues)
    planned_status, executed = _match(planned, executed, int(tolerance_days))
    cust = _customer_table(planned_status, executed, req)
    has_orders = "order" in log.columns
    by_rep = _by_rep(planned_status, executed, cust, has_orders)
    overall = _overall(planned_status, executed, cust, has_orders)
    by_grade = _by_grade(cust)
    by_rep_week = _by_rep_week(planned_status)
    by_area = (
        _by_area(planned_status, executed, cust, has_orders, read_supervision(reps))
        if reps is not None and "supervisor_id" in reps.columns
        else None
    )
    logger.info(
        "visit execution: %d planned, %d executed, compliance %s",
        overall["planned"],
        overall["executed"],
        percent(overall["compliance"]),
    )
    return ExecutionReview(
        by_rep=by_rep,
        by_grade=by_grade,
        by_rep_week=by_rep_week,
        planned=planned_status,
        executed=executed,
        customers=cust,
        overall=overall,
        tolerance_days=int(tolerance_days),
        cycle_start=start,
        cycle_end=end,
        issues=tuple(issues),
        **({"by_area": by_area} if by_area is not None else {}),
    )


def _merge_log(log: pd.DataFrame, issues: list[str]) -> pd.DataFrame:
    """One row per (rep, customer, day); exact duplicates and same-day repeats reported."""
    key = ["customer_id", "rep_id", "timestamp"]
    dup = log.duplicated(key, keep="first")
    if dup.any():
        ids = sorted(set(log.loc[dup, "customer_id"]))
        issues.append(
            f"visit_log: {int(dup.sum())} duplicate rows (same customer, rep and timestamp) "
            f"counted once (customer_id: {', '.join(ids[:5])}{' ...' if len(ids) > 5 else ''})"
        )
    unique = log[~dup]
    day_key = ["rep_id", "customer_id", "date"]
    repeats = unique.duplicated(day_key, keep="first")
    if repeats.any():
        ids = sorted(set(unique.loc[repeats, "customer_id"]))
        issues.append(
            f"visit_log: {int(repeats.sum())} further visits by the same rep to the same "
            f"customer on the same day merged into one visit "
            f"(customer_id: {', '.join(ids[:5])}{' ...' if len(ids) > 5 else ''})"
        )
    has_orders = "order" in unique.columns
    if has_orders and unique["order"].isna().any():
        issues.append(
            f"visit_log: {int(unique['order'].isna().sum())} visits have no order information "
            "and count as visits without an order"
        )
    agg: dict[str, Any] = {"timestamp": "min", "customer_id": "size"}
    frame = unique.assign(
        _order=unique["order"].map(lambda v: bool(v) if v is not None else False)
        if has_orders
        else False,
        _value=unique["order_value"] if "order_value" in unique.columns else np.nan,
    )
    grouped = frame.groupby(day_key, sort=True)
    executed = grouped.agg(agg).rename(columns={"customer_id": "log_rows"}).reset_index()
    executed["order"] = grouped["_order"].any().to_numpy(dtype=bool)
    executed["order_value"] = grouped["_value"].sum(min_count=1).to_numpy(dtype=float)
    return executed


def _match(
    planned: pd.DataFrame, executed: pd.DataFrame, tolerance: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Match planned to executed visits of the same rep and customer, exact days first."""
    plan = planned.reset_index(drop=True).copy()
    done = executed.reset_index(drop=True).copy()
    plan_match = np.full(len(plan), -1, dtype=np.int64)
    done_used = np.zeros(len(done), dtype=bool)
    key = ["rep_id", "customer_id", "date"]
    left = plan[key].assign(_p=np.arange(len(plan)), _n=plan.groupby(key).cumcount())
    right = done[key].assign(_e=np.arange(len(done)), _n=0)
    exact = left.merge(right, on=[*key, "_n"], how="inner")
    plan_match[exact["_p"].to_numpy()] = exact["_e"].to_numpy()
    done_used[exact["_e"].to_numpy()] = True
    if tolerance > 0:
        done_day = done["date"].to_numpy(dtype="datetime64[D]").astype(np.int64)
        plan_day = plan["date"].to_numpy(dtype="datetime64[D]").astype(np.int64)
        done_rep = done["rep_id"].to_numpy(dtype=object)
        done_cust = done["customer_id"].to_numpy(dtype=object)
        free_done: dict[tuple[object, object], list[tuple[int, int]]] = defaultdict(list)
        for free in np.flatnonzero(~done_used):
            free_done[(done_rep[free], done_cust[free])].append((int(done_day[free]), int(free)))
        for waiting in free_done.values():
            waiting.sort()
        plan_rep = plan["rep_id"].to_numpy(dtype=object)
        plan_cust = plan["customer_id"].to_numpy(dtype=object)
        open_plan = np.flatnonzero(plan_match < 0)
        for p in open_plan[np.argsort(plan_day[open_plan], kind="stable")]:
            candidates = free_done.get((plan_rep[p], plan_cust[p]))
            if not candidates:
                continue
            for i, (when, e) in enumerate(candidates):
                if abs(when - int(plan_day[p])) <= tolerance:
                    plan_match[p] = e
                    done_used[e] = True
                    del candidates[i]
                    break
    matched = plan_match >= 0
    done_dates = done["date"].to_numpy()
    plan["done_date"] = pd.Series(pd.NaT, index=plan.index, dtype="datetime64[ns]")
    if matched.any():
        plan.loc[matched, "done_date"] = done_dates[plan_match[matched]]
    plan["shift_days"] = (plan["done_date"] - plan["date"]).dt.days.astype("Float64").astype(float)
    plan["status"] = np.where(
        ~matched, "missed", np.where(plan["shift_days"] == 0, "on_day", "shifted")
    )
    done["planned"] = done_used
    return plan, done


def _customer_table(
    planned: pd.DataFrame, executed: pd.DataFrame, req: pd.DataFrame | None
) -> pd.DataFrame:
    counts = planned.groupby(["customer_id", "rep_id"]).size().rename("n").reset_index()
    counts = counts.sort_values(["customer_id", "n", "rep_id"], ascending=[True, False, True])
    owner = counts.drop_duplicates("customer_id").set_index("customer_id")["rep_id"]
    planned_n = planned.groupby("customer_id").size()
    if req is not None:
        cust = req.loc[req["visits_per_cycle"] > 0, ["customer_id", "grade", "visits_per_cycle"]]
        cust = cust.rename(columns={"visits_per_cycle": "required"})
    else:
        cust = pd.DataFrame(
            {
                "customer_id": planned_n.index.to_numpy(dtype=object),
                "grade": "(none)",
                "required": planned_n.to_numpy(dtype=float),
            }
        )
    cust = cust.copy()
    cust["rep_id"] = cust["customer_id"].map(owner).astype(object)
    cust["rep_id"] = cust["rep_id"].where(cust["rep_id"].notna(), "(not planned)")
    cust["planned"] = cust["customer_id"].map(planned_n).fillna(0).astype(int)
    done_n = executed.groupby("customer_id").size()
    cust["executed"] = cust["customer_id"].map(done_n).fillna(0).astype(int)
    cust["covered"] = cust["executed"] > 0
    cust["frequency_met"] = cust["executed"] >= cust["required"]
    columns = [
        "customer_id",
        "rep_id",
        "grade",
        "required",
        "planned",
        "executed",
        "covered",
        "frequency_met",
    ]
    return cust[columns].sort_values("customer_id").reset_index(drop=True)


KPI_COLUMNS = [
    "planned",
    "on_day",
    "within_tolerance",
    "missed",
    "compliance",
    "on_day_rate",
    "executed",
    "unplanned",
    "unplanned_share",
    "customers",
    "covered",
    "coverage",
    "frequency_met",
    "frequency_compliance",
    "orders",
    "strike_rate",
    "order_value",
]


def _kpi_table(
    plan: pd.DataFrame,
    done: pd.DataFrame,
    cust: pd.DataFrame,
    has_orders: bool,
    plan_key: pd.Series,
    done_key: pd.Series,
    cust_key: pd.Series,
) -> pd.DataFrame:
    """KPIs per key (rep, or one constant key for the overall figures)."""
    counts = pd.concat(
        [
            plan.groupby(plan_key).size().rename("planned"),
            (plan["status"] == "on_day").groupby(plan_key).sum().rename("on_day"),
            (plan["status"] != "missed").groupby(plan_key).sum().rename("within_tolerance"),
            done.groupby(done_key).size().rename("executed"),
            (~done["planned"].astype(bool)).groupby(done_key).sum().rename("unplanned"),
            done["order"].astype(bool).groupby(done_key).sum().rename("orders"),
            done["order_value"].groupby(done_key).sum(min_count=1).rename("order_value"),
            cust.groupby(cust_key).size().rename("customers"),
            cust["covered"].groupby(cust_key).sum().rename("covered"),
            cust["frequency_met"].groupby(cust_key).sum().rename("frequency_met"),
        ],
        axis=1,
    )
    for column in counts.columns.drop("order_value"):
        counts[column] = counts[column].fillna(0).astype(int)
    counts["missed"] = counts["planned"] - counts["within_tolerance"]
    counts["compliance"] = ratio(counts["within_tolerance"], counts["planned"])
    counts["on_day_rate"] = ratio(counts["on_day"], counts["planned"])
    counts["unplanned_share"] = ratio(counts["unplanned"], counts["executed"])
    counts["coverage"] = ratio(counts["covered"], counts["customers"])
    counts["frequency_compliance"] = ratio(counts["frequency_met"], counts["customers"])
    if has_orders:
        counts["strike_rate"] = ratio(counts["orders"], counts["executed"])
        counts["orders"] = counts["orders"].astype(object)
    else:
        counts["strike_rate"] = np.nan
        counts["orders"] = pd.Series([None] * len(counts), index=counts.index, dtype=object)
        counts["order_value"] = np.nan
    counts["order_value"] = counts["order_value"].astype(float)
    return counts[KPI_COLUMNS]


def _by_rep(
    plan: pd.DataFrame, done: pd.DataFrame, cust: pd.DataFrame, has_orders: bool
) -> pd.DataFrame:
    reps = sorted(set(plan["rep_id"]) | set(done["rep_id"]))
    table = _kpi_table(plan, done, cust, has_orders, plan["rep_id"], done["rep_id"], cust["rep_id"])
    table = table.reindex(reps)
    for column in (
        "planned",
        "on_day",
        "within_tolerance",
        "missed",
        "executed",
        "unplanned",
        "customers",
        "covered",
        "frequency_met",
    ):
        table[column] = table[column].fillna(0).astype(int)
    if has_orders:
        table["orders"] = table["orders"].fillna(0).astype(int).astype(object)
    table.index.name = "rep_id"
    return table.reset_index()


def _empty_areas() -> pd.DataFrame:
    return pd.DataFrame(columns=["area_rep_id", "reps", *KPI_COLUMNS, "auditor"])


def _by_area(
    plan: pd.DataFrame,
    done: pd.DataFrame,
    cust: pd.DataFrame,
    has_orders: bool,
    supervision: Supervision,
) -> pd.DataFrame:
    """KPIs per area: a dealer rep's plan, visits and customers count in its company rep's."""
    plan_key = area_column(plan["rep_id"], supervision)
    done_key = area_column(done["rep_id"], supervision)
    cust_key = area_column(cust["rep_id"], supervision)
    table = _kpi_table(plan, done, cust, has_orders, plan_key, done_key, cust_key)
    areas = sorted(set(plan_key) | set(done_key))
    table = table.reindex(areas)
    for column in (
        "planned",
        "on_day",
        "within_tolerance",
        "missed",
        "executed",
        "unplanned",
        "customers",
        "covered",
        "frequency_met",
    ):
        table[column] = table[column].fillna(0).astype(int)
    if has_orders:
        table["orders"] = table["orders"].fillna(0).astype(int).astype(object)
    members = pd.concat([plan[["rep_id"]], done[["rep_id"]]]).drop_duplicates()
    members = members.assign(area=area_column(members["rep_id"], supervision))
    table.insert(0, "reps", members.groupby("area").size().reindex(areas).fillna(0).astype(int))
    table["auditor"] = [supervision.area_auditor(a) for a in areas]
    table.index.name = "area_rep_id"
    return table.reset_index()


def _overall(
    plan: pd.DataFrame, done: pd.DataFrame, cust: pd.DataFrame, has_orders: bool
) -> dict[str, Any]:
    def key(frame: pd.DataFrame) -> pd.Series:
        return pd.Series("(all)", index=frame.index, dtype=object)

    table = _kpi_table(plan, done, cust, has_orders, key(plan), key(done), key(cust))
    table = table.reindex(["(all)"])
    row = {c: table[c].iloc[0] for c in KPI_COLUMNS}
    out: dict[str, Any] = {}
    for column, value in row.items():
        if column in (
            "compliance",
            "on_day_rate",
            "unplanned_share",
            "coverage",
            "frequency_compliance",
            "strike_rate",
            "order_value",
        ):
            out[column] = float(value) if value is not None else float("nan")
        elif column == "orders":
            out[column] = (
                int(value) if has_orders and not pd.isna(value) else (0 if has_orders else None)
            )
        else:
            out[column] = 0 if pd.isna(value) else int(value)
    return out


def _by_grade(cust: pd.DataFrame) -> pd.DataFrame:
    grouped = cust.groupby("grade", sort=True)
    frame = pd.DataFrame(
        {
            "customers": grouped.size(),
            "required_visits": grouped["required"].sum(),
            "executed_visits": grouped["executed"].sum(),
            "covered": grouped["covered"].sum(),
            "frequency_met": grouped["frequency_met"].sum(),
        }
    ).reset_index()
    frame["coverage"] = ratio(frame["covered"], frame["customers"])
    frame["frequency_compliance"] = ratio(frame["frequency_met"], frame["customers"])
    return frame


def _by_rep_week(plan: pd.DataFrame) -> pd.DataFrame:
    grouped = plan.assign(_done=plan["status"] != "missed").groupby(["rep_id", "week"], sort=True)
    frame = pd.DataFrame(
        {"planned": grouped.size(), "within_tolerance": grouped["_done"].sum()}
    ).reset_index()
    frame["compliance"] = ratio(frame["within_tolerance"], frame["planned"])
    return frame
