"""Business rules of territory design: rep capacity is read by the shared number check."""

from __future__ import annotations

import pytest

from territory.errors import ValidationError
from territory.territories import design_territories
from territory_cases import company_reps, grid_customers


def test_bad_capacities_name_table_column_and_reps() -> None:
    """Text, missing, zero and negative capacities are each reported with their reps."""
    reps = company_reps(4)
    reps["capacity"] = ["full", None, 0.0, -0.5]
    with pytest.raises(ValidationError) as caught:
        design_territories(grid_customers(4, 4), reps, balance={"count": 0.1})
    text = str(caught.value)
    assert "reps: column 'capacity' has 1 non-numeric values (rep_id: 'R0')" in text
    assert "reps: column 'capacity' has 1 missing values (rep_id: 'R1')" in text
    assert "reps: column 'capacity' has 2 values that are not positive numbers" in text
    assert "(rep_id: 'R2', 'R3')" in text
