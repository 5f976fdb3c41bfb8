"""Tests of the stop rule: three visits without an order since the first of them."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from territory.errors import ValidationError
from territory.review import stop_rule


def _log(rows: list[tuple[str, str, str, object]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["customer_id", "rep_id", "timestamp", "order"])
    frame["timestamp"] = pd.to_datetime(frame["timestamp"])
    return frame


def test_three_visits_after_the_last_order_are_flagged_with_the_numbers():
    """C1 ordered on 10-01 then had 3 visits without: flagged, 14 days; C2 ordered last."""
    log = _log(
        [
            ("C1", "R1", "2026-10-01 09:00", True),
            ("C1", "R1", "2026-10-08 09:00", False),
            ("C1", "R2", "2026-10-15 09:00", False),
            ("C1", "R1", "2026-10-22 09:00", False),
            ("C2", "R1", "2026-10-01 09:00", False),
            ("C2", "R1", "2026-10-08 09:00", False),
            ("C2", "R1", "2026-10-15 09:00", True),
        ]
    )
    review = stop_rule(log)
    row = review.flagged().iloc[0]
    assert len(review.flagged()) == 1
    assert row["customer_id"] == "C1" and row["visits_without_order"] == 3
    assert row["rep_id"] == "R1, R2" and row["days"] == 14
    assert row["first_visit"] == pd.Timestamp("2026-10-08")
    assert row["last_order"] == pd.Timestamp("2026-10-01")
    assert "C1: 3 visits 2026-10-08 .. 2026-10-22 (14 days) by R1, R2" in review.summary()
    json.dumps(review.to_dict())


def test_never_ordered_and_same_day_rows_count_once():
    """Two log rows on one day are one visit; a customer that never ordered counts them all."""
    log = _log(
        [
            ("C3", "R1", "2026-10-01 09:00", False),
            ("C3", "R1", "2026-10-01 15:00", False),
            ("C3", "R1", "2026-10-05 09:00", None),
        ]
    )
    review = stop_rule(log)
    assert review.table.loc[0, "visits_without_order"] == 2
    assert review.flagged().empty
    assert stop_rule(log, visits=2).flagged()["customer_id"].tolist() == ["C3"]
    assert "never ordered" in stop_rule(log, visits=2).summary()


def test_orders_outside_visits_and_as_of():
    """A phoned-in order resets the count; as_of ignores later rows."""
    log = _log([("C4", "R1", f"2026-10-{d:02d} 10:00", False) for d in (1, 8, 15, 22)])
    assert stop_rule(log).flagged()["visits_without_order"].tolist() == [4]
    orders = pd.DataFrame({"customer_id": ["C4"], "date": ["2026-10-10"]})
    assert stop_rule(log, orders=orders).flagged().empty
    assert stop_rule(log, as_of="2026-10-09").flagged().empty
    without_order_column = log.drop(columns="order").assign(order_value=[0, 0, 120.0, 0])
    assert stop_rule(without_order_column).table.loc[0, "visits_without_order"] == 1


def test_bad_inputs():
    """Bad thresholds, missing columns and unreadable orders are validation errors."""
    log = _log([("C1", "R1", "2026-10-01", False)])
    with pytest.raises(ValidationError, match="visits: expected"):
        stop_rule(log, visits=0)
    with pytest.raises(ValidationError, match="'timestamp' is missing"):
        stop_rule(log.drop(columns="timestamp"))
    with pytest.raises(ValidationError, match="'order' has 1 values that are not true/false"):
        stop_rule(log.assign(order="maybe"))
    with pytest.raises(ValidationError, match="orders: column 'date'"):
        stop_rule(log, orders=pd.DataFrame({"customer_id": ["C1"], "date": ["soon"]}))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 28), st.booleans()), min_size=1, max_size=20))
def test_count_equals_visit_days_after_the_last_order(visits):
    """The count is the number of distinct visit days after the last order day."""
    log = _log([("C1", "R1", f"2026-10-{d:02d} 10:00", o) for d, o in visits])
    order_days = [d for d, o in visits if o]
    last = max(order_days) if order_days else 0
    expected = len({d for d, _ in visits if d > last})
    review = stop_rule(log)
    assert review.table.loc[0, "visits_without_order"] == expected
    assert bool(review.table.loc[0, "flagged"]) == (expected >= 3)


def test_order_values_are_read_by_the_shared_number_check():
    """Without 'order', order_value > 0 is progress; text or negative values are errors."""
    log = _log(
        [
            ("C1", "R1", "2026-10-01 09:00", None),
            ("C1", "R1", "2026-10-08 09:00", None),
            ("C1", "R1", "2026-10-15 09:00", None),
            ("C2", "R1", "2026-10-01 09:00", None),
            ("C2", "R1", "2026-10-08 09:00", None),
            ("C2", "R1", "2026-10-15 09:00", None),
        ]
    ).drop(columns="order")
    log["order_value"] = [None, 0.0, "0", 120.0, None, 0]
    assert stop_rule(log).flagged()["customer_id"].tolist() == ["C1"]  # C2: 2 visits after
    log["order_value"] = [None, "lots", 0.0, -5.0, None, 0]
    with pytest.raises(ValidationError) as caught:
        stop_rule(log)
    text = str(caught.value)
    assert "visit_log: column 'order_value' has 1 non-numeric values (customer_id: 'C1')" in text
    assert "visit_log: column 'order_value' has 1 negative values (customer_id: 'C2')" in text
