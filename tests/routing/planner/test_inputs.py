"""The planner's inputs: a customer 'priority' is read by the shared number check."""

from __future__ import annotations

import pandas as pd
import pytest

from territory.errors import ValidationError
from territory.routing.cycle import Cycle
from territory.routing.planner.inputs import prepare_inputs

CUSTOMERS = pd.DataFrame(
    {
        "customer_id": ["a", "b", "c"],
        "lon": [9.0, 9.02, 9.01],
        "lat": [48.0, 48.0, 48.02],
        "visits_per_cycle": [1, 1, 1],
        "service_minutes": [20, 30, 15],
    }
)
REPS = pd.DataFrame(
    {
        "rep_id": ["r1"],
        "home_lon": [9.01],
        "home_lat": [48.01],
        "day_start": ["08:00"],
        "day_end": ["17:00"],
        "weekdays": ["Mon-Fri"],
    }
)


def test_bad_priorities_name_table_column_and_customers() -> None:
    """Text, missing and infinite priorities are each one problem with their ids."""
    customers = CUSTOMERS.assign(priority=["high", None, float("inf")])
    with pytest.raises(ValidationError) as caught:
        prepare_inputs(customers, REPS, Cycle())
    text = str(caught.value)
    assert "customers: column 'priority' has 1 non-numeric values (customer_id: 'a')" in text
    assert "customers: column 'priority' has 1 missing values (customer_id: 'b')" in text
    assert "customers: column 'priority' has 1 infinite values (customer_id: 'c')" in text


def test_negative_priorities_are_kept_and_weighted() -> None:
    """Priorities -1, 0, 1 stay as given; drop weights run 1, sqrt(1000), 1000."""
    inputs, _ = prepare_inputs(CUSTOMERS.assign(priority=[-1, 0, "1"]), REPS, Cycle())
    assert inputs.priority.tolist() == [-1.0, 0.0, 1.0]
    assert inputs.weight.tolist() == pytest.approx([1.0, 1000**0.5, 1000.0])
