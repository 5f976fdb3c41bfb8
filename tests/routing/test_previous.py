"""Reading last cycle's plan: its day and seq columns go through the shared number check."""

from __future__ import annotations

import pandas as pd
import pytest

from territory.errors import ValidationError
from territory.routing.cycle import Cycle
from territory.routing.previous import read_previous


def _visits(**columns: list[object]) -> pd.DataFrame:
    base: dict[str, list[object]] = {
        "rep_id": ["r1", "r1", "r1"],
        "day": [1, 2, 3],
        "seq": [1, 2, 1],
        "customer_id": ["a", "b", "c"],
    }
    return pd.DataFrame({**base, **columns})


def test_read_previous_reports_bad_seq_and_days_with_the_shared_messages() -> None:
    """Text and fractions in 'seq', a day outside the cycle: table, column and ids."""
    visits = _visits(seq=["x", 1.5, 1], day=[1, 2, 99])
    with pytest.raises(ValidationError) as caught:
        read_previous(visits, Cycle(weeks=1, days=5))
    text = str(caught.value)
    assert "previous: column 'seq' has 1 non-numeric values (customer_id: 'a')" in text
    assert "previous: column 'seq' has 1 non-integer values (customer_id: 'b')" in text
    assert "previous: column 'day' has 1 values that are not cycle days 1..5" in text
    assert "(customer_id: 'c')" in text


def test_read_previous_reads_numbers_given_as_text() -> None:
    """Days and orders given as text read as before: 0-based days, the order kept."""
    plan = read_previous(_visits(day=["1", "2", "2"], seq=["2", "1", "3"]), Cycle())
    assert plan.days == {"a": frozenset({0}), "b": frozenset({1}), "c": frozenset({1})}
    assert plan.routes[("r1", 1)] == ["b", "c"]
