"""Hypothesis properties of plan_routes on small random instances."""

from __future__ import annotations

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from territory.routing import Cycle, PlanOptions, plan_routes
from territory.routing.patterns import cyclic_gaps, required_gap

WEEKDAY_SETS = ("Mon-Fri", "Mon,Wed,Fri", "Tue,Thu", "Mon")


@st.composite
def instances(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Up to 8 customers and 2 reps in a small area, with windows and weekdays."""
    n = draw(st.integers(1, 8))
    customers = []
    for i in range(n):
        opens = draw(st.sampled_from([0, 480, 540, 600, 780]))
        customers.append(
            {
                "customer_id": f"c{i}",
                "lon": draw(st.floats(8.9, 9.1)),
                "lat": draw(st.floats(47.95, 48.05)),
                "visits_per_cycle": draw(st.integers(0, 4)),
                "service_minutes": draw(st.sampled_from([10, 30, 60, 120])),
                "opens": opens,
                "closes": opens + draw(st.sampled_from([60, 180, 600])),
                "allowed_days": draw(st.sampled_from(WEEKDAY_SETS)),
                "grade": draw(st.sampled_from("ABCD")),
            }
        )
    if all(c["visits_per_cycle"] == 0 for c in customers):
        customers[0]["visits_per_cycle"] = 1
    reps = [
        {
            "rep_id": f"r{j}",
            "home_lon": draw(st.floats(8.9, 9.1)),
            "home_lat": draw(st.floats(47.95, 48.05)),
            "day_start": draw(st.sampled_from(["07:00", "08:00"])),
            "day_end": draw(st.sampled_from(["12:00", "17:00"])),
            "lunch_start": "12:00",
            "lunch_minutes": draw(st.sampled_from([0, 30])),
            "weekdays": draw(st.sampled_from(("Mon-Fri", "Mon-Thu"))),
        }
        for j in range(draw(st.integers(1, 2)))
    ]
    return pd.DataFrame(customers), pd.DataFrame(reps)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_every_rule_holds_on_random_instances(data: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    """Visits are planned or unplanned (never both); days, windows and spacing hold."""
    customers, reps = data
    cycle = Cycle(weeks=2, days=5)
    try:
        plan = plan_routes(
            customers, reps, cycle=cycle, time_limit=5, seed=0, options=PlanOptions(iterations=100)
        )
    except Exception as error:  # only the documented errors are allowed
        from territory.errors import InfeasibleError

        assert isinstance(error, InfeasibleError), error
        return
    # planned + missing == required, and unplanned only when something is missing
    planned = plan.visits.groupby("customer_id").size()
    missing = plan.unplanned.set_index("customer_id")["visits_missing"]
    for row in customers.itertuples():
        got = int(planned.get(row.customer_id, 0))
        assert got + int(missing.get(row.customer_id, 0)) == row.visits_per_cycle
        assert (row.customer_id in missing.index) == (got < row.visits_per_cycle)
    # no rep-day beyond working hours
    hours = reps.set_index("rep_id")
    for day in plan.days.itertuples():
        start = int(hours.at[day.rep_id, "day_start"][:2]) * 60
        end = int(hours.at[day.rep_id, "day_end"][:2]) * 60
        assert start - 1e-6 <= day.start and day.end <= end + 1e-6
    # arrivals within opening hours
    merged = plan.visits.merge(customers, on="customer_id")
    assert (merged["arrival"] >= merged["opens"] - 1e-6).all()
    assert (merged["arrival"] <= merged["closes"] + 1e-6).all()
    # spacing
    for customer_id, group in plan.visits.groupby("customer_id"):
        days = sorted(int(d) - 1 for d in group["day"])
        if len(days) > 1:
            need = int(customers.set_index("customer_id").at[customer_id, "visits_per_cycle"])
            assert min(cyclic_gaps(days, cycle.n_days)) >= required_gap(cycle.n_days, need)
    assert plan.violations() == []
