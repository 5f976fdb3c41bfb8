"""``RoutePlan``: the visits, the rep-days, what is missing, and how regular it is."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from territory._json import json_safe as _json
from territory.routing.changes import DayMove, travel_saved_minutes
from territory.routing.cycle import Cycle
from territory.routing.patterns import cyclic_gaps
from territory.routing.previous import PreviousPlan, read_previous
from territory.routing.violations import find_violations
from territory.tables import WEEKDAY_NAMES, format_time
from territory.travel import TravelModel

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Iterable, Mapping

    from territory.routing.calendar import CalendarPlan, OnHoliday

__all__ = ["DAY_COLUMNS", "UNPLANNED_COLUMNS", "VISIT_COLUMNS", "RoutePlan", "regularity_metrics"]

VISIT_COLUMNS = (
    "rep_id",
    "week",
    "day",
    "weekday",
    "seq",
    "customer_id",
    "arrival",
    "departure",
    "travel_minutes",
    "travel_km",
)
DAY_COLUMNS = (
    "rep_id",
    "week",
    "day",
    "weekday",
    "visits",
    "start",
    "end",
    "work_minutes",
    "travel_minutes",
    "travel_km",
    "service_minutes",
    "lunch_start",
)
UNPLANNED_COLUMNS = (
    "customer_id",
    "rep_id",
    "visits_required",
    "visits_planned",
    "visits_missing",
    "reason",
    "detail",
)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {str(k): _json(v) for k, v in zip(frame.columns, row, strict=True)}
        for row in frame.itertuples(index=False, name=None)
    ]


@dataclass(frozen=True, eq=False)
class RoutePlan:
    """Each rep's repeating visit cycle.

    Attributes
    ----------
    visits
        One row per visit: ``rep_id, week, day, weekday, seq, customer_id, arrival,
        departure, travel_minutes, travel_km``. ``week`` (1-based), ``day`` (cycle day,
        1-based), ``seq`` (1-based); ``arrival`` is the start of service and
        ``departure`` its end, in minutes after midnight; travel is the leg from the
        previous stop (home for the first).
    days
        One row per rep-day with visits: ``rep_id, week, day, weekday, visits, start,
        end, work_minutes, travel_minutes, travel_km, service_minutes, lunch_start``
        (``start``/``end`` leaving and reaching home; travel includes the way home).
    unplanned
        ``customer_id, rep_id, visits_required, visits_planned, visits_missing,
        reason, detail`` for each customer with missing visits.
    regularity
        See :func:`regularity_metrics`.
    cycle
        The cycle planned.
    stats
        Engine, seed, time limit, seconds used, days re-solved by the engine.
    """

    visits: pd.DataFrame
    days: pd.DataFrame
    unplanned: pd.DataFrame
    regularity: dict[str, float]
    cycle: Cycle
    stats: dict[str, Any]
    customers: pd.DataFrame = field(repr=False)
    reps: pd.DataFrame = field(repr=False)
    travel: TravelModel = field(repr=False, compare=False)

    @property
    def visits_required(self) -> int:
        """Visits the customers require in the cycle."""
        return int(self.customers["visits_per_cycle"].sum())

    def _repr_html_(self) -> str:
        """The summary over the first rows of :meth:`to_frame`, for notebooks."""
        from territory._html import result_html

        return result_html(self)

    def summary(self) -> str:
        """A few lines: visits planned, travel, unplanned by reason, regularity."""
        required = self.visits_required
        planned = len(self.visits)
        travel = float(self.days["travel_minutes"].sum()) if len(self.days) else 0.0
        km = float(self.days["travel_km"].sum()) if len(self.days) else 0.0
        lines = [
            f"route plan: {planned} of {required} visits planned "
            f"({100.0 * planned / max(required, 1):.1f} %) on {len(self.days)} rep-days, "
            f"{self.cycle.weeks} weeks x {self.cycle.days} days",
            f"  travel {travel / 60:.1f} h, {km:.0f} km "
            f"({travel / max(planned, 1):.1f} min per visit)",
        ]
        if len(self.days):
            lines.append(
                f"  visits per rep-day: mean {self.days['visits'].mean():.1f}, "
                f"max {int(self.days['visits'].max())}; work minutes per day: mean "
                f"{self.days['work_minutes'].mean():.0f}, max {self.days['work_minutes'].max():.0f}"
            )
        if len(self.unplanned):
            counts = self.unplanned.groupby("reason")["visits_missing"].sum()
            lines.append(
                "  unplanned visits: "
                + ", ".join(f"{reason} {int(n)}" for reason, n in counts.items())
            )
        else:
            lines.append("  every required visit is planned")
        thin = self.stats.get("thin_days") or []
        if thin:
            listed = ", ".join(f"{d['rep_id']} day {d['day']} ({d['visits']})" for d in thin[:5])
            more = f" and {len(thin) - 5} more" if len(thin) > 5 else ""
            lines.append(
                f"  {len(thin)} rep-days below the rep's min_visits_per_day: {listed}{more} "
                '(see stats["thin_days"])'
            )
        r = self.regularity
        lines.append(
            f"  regularity: {100 * r['constant_weekday_share']:.0f} % of multi-visit customers "
            f"on constant weekdays, {100 * r['even_spacing_share']:.0f} % evenly spaced, "
            f"routes repeat {100 * r['route_repeat_share']:.0f} % week to week"
        )
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        """The visits with ``arrival_time``/``departure_time`` as ``"HH:MM"``.

        For files: minutes are rounded to 0.01 (under a second) and km to 0.001.
        """
        frame = self.visits.copy()
        frame["arrival_time"] = [format_time(v) for v in frame["arrival"]]
        frame["departure_time"] = [format_time(v) for v in frame["departure"]]
        minutes = {c: 2 for c in ("arrival", "departure", "travel_minutes") if c in frame}
        return frame.round({**minutes, "travel_km": 3} if "travel_km" in frame else minutes)

    def on_calendar(
        self,
        start: object,
        *,
        tz: str | dt.tzinfo = "UTC",
        holidays: Mapping[Any, object] | Iterable[object] | None = None,
        cycles: int = 1,
        on_holiday: OnHoliday = "shift",
    ) -> CalendarPlan:
        """Lay the plan on real dates, with time-zone-aware arrival and departure.

        See :func:`territory.routing.calendar.lay_on_calendar`: ``start`` is the Monday
        of week 1, ``tz`` an IANA zone name, ``holidays`` dates (or date -> name) on
        which nobody works; ``on_holiday="shift"`` pauses the cycle (no visit lost),
        ``"skip"`` keeps weekdays and lists the lost visits.
        """
        from territory.routing.calendar import lay_on_calendar

        return lay_on_calendar(
            self, start, tz=tz, holidays=holidays, cycles=cycles, on_holiday=on_holiday
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dictionary of the whole plan."""
        return {
            "cycle": {"weeks": self.cycle.weeks, "days": self.cycle.days},
            "visits_required": self.visits_required,
            "visits_planned": len(self.visits),
            "visits": _records(self.visits),
            "days": _records(self.days),
            "unplanned": _records(self.unplanned),
            "regularity": _json(dict(self.regularity)),
            "stats": _json(dict(self.stats)),
        }

    def to_geodataframe(self) -> Any:
        """One LineString per rep-day (home -> stops -> home), EPSG:4326."""
        import geopandas as gpd
        from shapely.geometry import LineString

        c = self.customers
        where = dict(zip(c["customer_id"], zip(c["lon"], c["lat"], strict=True), strict=True))
        r = self.reps
        homes = dict(zip(r["rep_id"], zip(r["home_lon"], r["home_lat"], strict=True), strict=True))
        lines = []
        for key, group in self.visits.groupby(["rep_id", "day"], sort=True):
            rep_id, day = cast(tuple[str, int], key)
            home = homes[rep_id]
            stops = [where[c] for c in group.sort_values("seq")["customer_id"]]
            lines.append(
                {"rep_id": rep_id, "day": int(day), "geometry": LineString([home, *stops, home])}
            )
        frame = pd.DataFrame(lines, columns=["rep_id", "day", "geometry"])
        merged = frame.merge(self.days.drop(columns=[], errors="ignore"), on=["rep_id", "day"])
        return gpd.GeoDataFrame(merged, geometry="geometry", crs="EPSG:4326")

    def plot(self, rep_id: str | None = None, *, week: int | None = 1, ax: Any = None) -> Any:
        """Draw the routes (one colour per weekday) of one rep or of all reps.

        Parameters
        ----------
        rep_id
            Rep to draw; all reps when ``None``.
        week
            Week to draw (1-based); all weeks when ``None``.
        ax
            Matplotlib axes to draw on; a new figure when ``None``.

        Returns
        -------
        matplotlib.axes.Axes
        """
        import matplotlib.pyplot as plt

        routes = self.to_geodataframe()
        if rep_id is not None:
            routes = routes[routes["rep_id"] == rep_id]
        if week is not None:
            routes = routes[routes["week"] == week]
        if ax is None:
            _, ax = plt.subplots(figsize=(8, 8))
        colours = plt.get_cmap("tab10")
        for wd, group in routes.groupby("weekday", sort=False):
            colour = colours(WEEKDAY_NAMES.index(str(wd)) % 10)
            for line in group.geometry:
                xs, ys = line.xy
                ax.plot(xs, ys, "-o", color=colour, markersize=3, linewidth=1, label=str(wd))
        homes = self.reps if rep_id is None else self.reps[self.reps["rep_id"] == rep_id]
        ax.plot(homes["home_lon"], homes["home_lat"], "k*", markersize=12, label="home")
        handles, labels = ax.get_legend_handles_labels()
        unique = dict(zip(labels, handles, strict=True))
        if unique:
            ax.legend(unique.values(), unique.keys(), title="weekday")
        ax.set_title(f"routes of {rep_id or 'all reps'}" + (f", week {week}" if week else ""))
        ax.set_xlabel("lon")
        ax.set_ylabel("lat")
        return ax

    def changes(self, previous: Any) -> pd.DataFrame:
        """One row per customer whose rep, days or order differ from ``previous``.

        Parameters
        ----------
        previous
            Last cycle's :class:`RoutePlan`, or its visits table (see
            :func:`territory.routing.previous.read_previous`).

        Returns
        -------
        pandas.DataFrame
            ``customer_id, old_rep_id, new_rep_id, old_days, new_days, rep_changed,
            days_changed, order_changed, locked, reason, detail``; days are 1-based cycle days
            as text (``"1,6,11,16"``). ``reason`` is one of ``new customer``,
            ``removed customer``, ``rep removed``, ``frequency changed``, an unplanned
            reason (``capacity``, ``opening_hours``, ...) when visits are missing, or
            ``travel saved`` (the search moved the customer to shorten routes). A
            customer that was locked and whose rep or days changed anyway has
            ``locked`` true and its detail starts with ``"lock not kept: "``.
            ``travel_saved_minutes`` puts minutes on ``travel saved`` when the rep is
            unchanged (see :mod:`territory.routing.changes`; NaN on other rows).
            ``order_changed`` compares the customer's place among the customers that
            share its rep-day in both plans.
        """
        return self._change_table(*self._plans_by_customer(previous))

    def _plans_by_customer(self, previous: Any) -> tuple[PreviousPlan, PreviousPlan]:
        """``previous`` and this plan, each indexed by customer."""
        return read_previous(previous, self.cycle), read_previous(self.visits, self.cycle)

    def _change_table(self, before: PreviousPlan, after: PreviousPlan) -> pd.DataFrame:
        current = self.customers.set_index("customer_id")
        frequency = self._frequency()
        reps = set(self.reps["rep_id"].astype(str))
        unplanned = self.unplanned.set_index("customer_id")
        moved_order = _order_changes(before, after)
        moves: dict[str, DayMove] = {}
        rows = []
        for customer in sorted(set(current.index.astype(str)) | before.customers):
            old_days, new_days = before.days.get(customer), after.days.get(customer)
            old_rep, new_rep = before.rep.get(customer), after.rep.get(customer)
            rep_changed = old_rep != new_rep
            days_changed = old_days != new_days
            order_changed = customer in moved_order
            if not (rep_changed or days_changed or order_changed):
                continue
            if customer not in current.index:
                reason, detail = "removed customer", "no longer in the customers table"
            elif old_days is None:
                reason, detail = "new customer", "inserted where it costs least"
            elif old_rep is not None and old_rep not in reps:
                reason, detail = "rep removed", f"rep {old_rep} is no longer in the reps table"
            elif len(old_days) != frequency[customer]:
                reason = "frequency changed"
                detail = f"{len(old_days)} -> {frequency[customer]} visits per cycle"
            elif customer in unplanned.index:
                reason = str(unplanned.at[customer, "reason"])
                detail = str(unplanned.at[customer, "detail"])
            else:
                reason, detail = "travel saved", "moved by the search to shorten routes"
                if old_rep == new_rep and old_days and new_days:
                    moves[customer] = (str(new_rep), old_days, new_days)
            locked = customer in before.locked
            if locked and (rep_changed or days_changed):
                detail = f"lock not kept: {detail}"
            rows.append(
                (
                    customer,
                    old_rep,
                    new_rep,
                    _day_text(old_days),
                    _day_text(new_days),
                    rep_changed,
                    days_changed,
                    order_changed,
                    locked,
                    reason,
                    detail,
                )
            )
        table = pd.DataFrame(rows, columns=list(CHANGE_COLUMNS[:-1]))
        saved = travel_saved_minutes(moves, after.routes, self.customers, self.reps, self.travel)
        table["travel_saved_minutes"] = table["customer_id"].map(saved).astype(float)
        for k in np.flatnonzero(table["customer_id"].isin(saved).to_numpy()):
            minutes = saved[str(table.at[k, "customer_id"])]
            table.at[k, "detail"] = (
                f"moved by the search: {minutes:.0f} min less travel on its new days"
                if minutes >= 0.5
                else "moved by the search to make room for its neighbours "
                f"(on its own {-minutes:.0f} min more travel than on its old days)"
            )
        return table

    def _frequency(self) -> dict[str, int]:
        ids = self.customers["customer_id"].astype(str)
        return {c: int(f) for c, f in zip(ids, self.customers["visits_per_cycle"], strict=True)}

    def change_summary(self, previous: Any) -> str:
        """One line: customers changed, and how many returning customers kept their days.

        Returning customers are those in both plans with the same number of visits and
        a rep that still exists; they keep their days when rep and days are the same.
        """
        before, after = self._plans_by_customer(previous)
        changed = self._change_table(before, after)
        reps = set(self.reps["rep_id"].astype(str))
        frequency = self._frequency()
        returning = [
            c
            for c, days in before.days.items()
            if c in frequency and len(days) == frequency[c] and before.rep[c] in reps
        ]
        kept = sum(
            before.days[c] == after.days.get(c) and before.rep[c] == after.rep.get(c)
            for c in returning
        )
        share = 100.0 * kept / len(returning) if returning else 100.0
        total = len(set(self.customers["customer_id"].astype(str)) | before.customers)
        return (
            f"{len(changed):,} of {total:,} customers changed; {share:.0f} % of "
            f"{len(returning):,} returning customers kept their rep and days"
        )

    def violations(self) -> list[str]:
        """Every broken rule, re-checked from the tables and the travel model.

        See :func:`territory.routing.violations.find_violations`.
        """
        return find_violations(self)

    def is_feasible(self) -> bool:
        """Whether :meth:`violations` finds nothing."""
        return not self.violations()


CHANGE_COLUMNS = (
    "customer_id",
    "old_rep_id",
    "new_rep_id",
    "old_days",
    "new_days",
    "rep_changed",
    "days_changed",
    "order_changed",
    "locked",
    "reason",
    "detail",
    "travel_saved_minutes",
)


def _day_text(days: frozenset[int] | None) -> str | None:
    return None if days is None else ",".join(str(d + 1) for d in sorted(days))


def _order_changes(before: PreviousPlan, after: PreviousPlan) -> set[str]:
    """Customers whose place among the customers shared by a rep-day moved."""
    moved: set[str] = set()
    for key, new_order in after.routes.items():
        old_order = before.routes.get(key)
        if not old_order:
            continue
        shared = set(old_order) & set(new_order)
        old = [c for c in old_order if c in shared]
        new = [c for c in new_order if c in shared]
        moved.update(a for a, b in zip(old, new, strict=True) if a != b)
    return moved


def regularity_metrics(visits: pd.DataFrame, cycle: Cycle) -> dict[str, float]:
    """How regular a plan is.

    ``constant_weekday_share``: multi-visit customers on the fewest weekdays possible
    (one weekday for a weekly customer); ``even_spacing_share``: multi-visit customers
    whose cyclic gaps differ by at most one day; ``route_repeat_share``: mean overlap
    (Jaccard) of a rep's customers on the same weekday in consecutive weeks;
    ``multi_visit_customers``: how many customers have two or more visits.
    """
    constant = even = multi = 0
    for _, group in visits.groupby("customer_id", sort=False):
        days = sorted(int(d) - 1 for d in group["day"])
        if len(days) < 2:
            continue
        multi += 1
        weekdays = {d % cycle.days for d in days}
        if len(weekdays) <= max(1, math.ceil(len(days) / cycle.weeks)):
            constant += 1
        gaps = cyclic_gaps(days, cycle.n_days)
        if max(gaps) - min(gaps) <= 1:
            even += 1
    overlaps: list[float] = []
    if cycle.weeks > 1 and len(visits):
        sets = visits.groupby(["rep_id", "weekday", "week"])["customer_id"].agg(frozenset)
        for key, members in sets.items():
            rep, wd, week = cast(tuple[str, str, int], key)
            later = (rep, wd, week + 1)
            if later in sets.index:
                other = sets[later]
                overlaps.append(len(members & other) / max(1, len(members | other)))
    return {
        "multi_visit_customers": float(multi),
        "constant_weekday_share": constant / multi if multi else 1.0,
        "even_spacing_share": even / multi if multi else 1.0,
        "route_repeat_share": float(np.mean(overlaps)) if overlaps else 1.0,
    }
