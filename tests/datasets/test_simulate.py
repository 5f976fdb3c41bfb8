"""Tests of the simulated actuals: executed-visit logs and a month of sales."""

import numpy as np
import pandas as pd
import pytest

from territory.datasets import simulate_execution, simulate_sales
from territory.errors import ValidationError
from territory.review import plan_calendar, visit_execution

START = "2026-11-02"


def _plan(n_reps: int = 40, per_day: int = 8, weeks: int = 4) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = []
    for r in range(n_reps):
        for w in range(1, weeks + 1):
            for d in range(5):
                for s in range(per_day):
                    rows.append((f"R{r:02d}", w, d + 1, d, s + 1, f"C{r:02d}{d}{s}", 480 + 45 * s))
    visits = pd.DataFrame(
        rows, columns=["rep_id", "week", "day", "weekday", "seq", "customer_id", "arrival"]
    )
    ids = visits["customer_id"].unique()
    customers = pd.DataFrame(
        {
            "customer_id": ids,
            "potential": np.linspace(20_000, 200_000, len(ids)),
            "visits_per_cycle": 4,
        }
    )
    return visits, customers


def test_same_seed_same_log_and_row_order_does_not_matter() -> None:
    """The log is a function of the plan (as a set) and the seed."""
    visits, customers = _plan(n_reps=3)
    a = simulate_execution(visits, customers, cycle_start=START, seed=4)
    b = simulate_execution(
        visits.sample(frac=1.0, random_state=9), customers, cycle_start=START, seed=4
    )
    pd.testing.assert_frame_equal(a, b)
    c = simulate_execution(visits, customers, cycle_start=START, seed=5)
    assert not a.equals(c)


def test_realistic_misses_reschedules_and_extras() -> None:
    """Misses near the rate, worse on Fridays, reps differ, shifts of 1-2 days, extras."""
    visits, customers = _plan()
    log = simulate_execution(visits, customers, cycle_start=START, seed=0)
    review = visit_execution(visits, log, cycle_start=START, tolerance_days=2)
    planned = review.planned
    miss = (planned["status"] == "missed").mean()
    assert 0.06 < miss < 0.10
    by_day = planned.assign(m=planned["status"] == "missed").groupby("weekday")["m"].mean()
    assert by_day.loc[4] > 1.4 * by_day.loc[[0, 1, 2, 3]].mean()
    rep_miss = planned.assign(m=planned["status"] == "missed").groupby("rep_id")["m"].mean()
    assert rep_miss.max() > 2 * rep_miss.min()
    shifted = planned.loc[planned["status"] == "shifted", "shift_days"]
    assert 0.04 < len(shifted) / len(planned) < 0.09
    assert set(shifted.abs().unique()) <= {1.0, 2.0}
    assert set(review.executed["date"].dt.day_of_week.unique()) <= {0, 1, 2, 3, 4}
    extras = (~review.executed["planned"]).sum()
    assert 0.015 * len(planned) < extras < 0.045 * len(planned)
    strike = review.overall["strike_rate"]
    assert 0.45 < strike < 0.65
    assert (log.loc[~log["order"], "order_value"] == 0).all()
    assert (log.loc[log["order"], "order_value"] > 0).all()


def test_zero_rates_reproduce_the_plan() -> None:
    """With no misses, reschedules or extras, every planned visit happens on its day."""
    visits, customers = _plan(n_reps=2)
    log = simulate_execution(
        visits, customers, cycle_start=START, seed=1, miss_rate=0, reschedule_rate=0, extra_rate=0
    )
    assert len(log) == len(visits)
    review = visit_execution(visits, log, cycle_start=START)
    assert review.overall["compliance"] == 1.0
    dated = plan_calendar(visits, cycle_start=START)
    assert sorted(log["timestamp"].dt.normalize()) == sorted(dated["date"])


def test_simulate_execution_rejects_bad_input() -> None:
    """Unknown plan customers and out-of-range rates raise ValidationError."""
    visits, customers = _plan(n_reps=1)
    with pytest.raises(ValidationError, match="unknown customers"):
        simulate_execution(visits, customers.iloc[1:], cycle_start=START, seed=0)
    with pytest.raises(ValidationError, match="miss_rate"):
        simulate_execution(visits, customers, cycle_start=START, seed=0, miss_rate=1.5)
    with pytest.raises(ValidationError, match="seed"):
        simulate_execution(visits, customers, cycle_start=START, seed=None)  # type: ignore[arg-type]


HISTORY = pd.DataFrame(
    {
        "customer_id": ["C1"] * 15 + ["C2"] * 3,
        "month": [f"2025-{m:02d}" for m in range(8, 13)]
        + [f"2026-{m:02d}" for m in range(1, 11)]
        + ["2026-08", "2026-09", "2026-10"],
        "sales": [100.0] * 5 + [110.0] * 7 + [120.0, 120.0, 120.0] + [30.0, 60.0, 90.0],
    }
)


def test_sales_follow_last_year_times_trend() -> None:
    """Without noise: C1 = Nov 2025 (100) x trend 360/300; C2 (short history) = mean 60."""
    sales = simulate_sales(HISTORY, month="2026-11", seed=0, noise=0, unit_spread=0, churn_rate=0)
    got = sales.set_index("customer_id")["sales"]
    assert got.loc["C1"] == pytest.approx(100.0 * 360.0 / 300.0)
    assert got.loc["C2"] == pytest.approx(60.0)
    again = simulate_sales(HISTORY, month="2026-11", seed=0)
    pd.testing.assert_frame_equal(again, simulate_sales(HISTORY, month="2026-11", seed=0))
    assert not again.equals(simulate_sales(HISTORY, month="2026-11", seed=1))


def test_sales_follow_unit_targets_and_as_of() -> None:
    """Rep targets are spread over customers; as_of scales to the elapsed working days."""
    hierarchy = pd.DataFrame({"customer_id": ["C1", "C2"], "rep_id": ["R1", "R1"]})
    targets = pd.DataFrame([{"level": "rep", "unit": "R1", "period": "2026-11", "value": 900.0}])
    sales = simulate_sales(
        HISTORY,
        month="2026-11",
        seed=0,
        targets=targets,
        hierarchy=hierarchy,
        noise=0,
        unit_spread=0,
        churn_rate=0,
    )
    assert sales["sales"].sum() == pytest.approx(900.0)
    assert sales.set_index("customer_id").loc["C1", "sales"] == pytest.approx(900.0 * 120 / 180)
    partial = simulate_sales(
        HISTORY,
        month="2026-11",
        seed=0,
        targets=targets,
        hierarchy=hierarchy,
        noise=0,
        unit_spread=0,
        churn_rate=0,
        as_of="2026-11-13",  # 10 of 21 working days
    )
    assert partial["sales"].sum() == pytest.approx(900.0 * 10 / 21, abs=0.02)
    with pytest.raises(ValidationError, match="hierarchy"):
        simulate_sales(HISTORY, month="2026-11", seed=0, targets=targets)
    with pytest.raises(ValidationError, match="not in 2026-11"):
        simulate_sales(HISTORY, month="2026-11", seed=0, as_of="2026-12-01")


def test_unit_spread_makes_reps_differ() -> None:
    """With a rep effect, reps' achievement against the same plan differs."""
    customers = [f"C{i}" for i in range(200)]
    history = pd.DataFrame({"customer_id": customers, "month": "2026-10", "sales": 100.0})
    hierarchy = pd.DataFrame(
        {"customer_id": customers, "rep_id": [f"R{i % 10}" for i in range(200)]}
    )
    sales = simulate_sales(
        history, month="2026-11", seed=3, hierarchy=hierarchy, noise=0.01, churn_rate=0
    )
    per_rep = sales.merge(hierarchy).groupby("rep_id")["sales"].sum()
    assert per_rep.std() / per_rep.mean() > 0.03
