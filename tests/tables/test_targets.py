"""Tests of territory.tables.targets: target tables."""

import pandas as pd
import pytest

from territory.errors import ValidationError
from territory.tables.targets import validate_targets


def _targets(periods: list[object], values: list[object]) -> pd.DataFrame:
    n = len(periods)
    return pd.DataFrame(
        {"level": ["rep"] * n, "unit": [f"R{i + 1}" for i in range(n)], "period": periods}
    ).assign(value=values)


def test_periods_become_year_or_month_labels() -> None:
    """'year' stays; every month form becomes 'YYYY-MM'; values become floats."""
    out = validate_targets(
        _targets(["year", "2026-1", pd.Period("2026-02", freq="M")], [120, 10, 10.5])
    )
    assert out["period"].tolist() == ["year", "2026-01", "2026-02"]
    assert out["value"].tolist() == [120.0, 10.0, 10.5]
    assert out["parent"].tolist() == [None, None, None]


def test_bare_years_and_negative_values_are_named() -> None:
    """'2026' is neither 'year' nor a month; a negative target names its unit."""
    with pytest.raises(ValidationError) as info:
        validate_targets(_targets(["2026", "2026-03"], [1.0, -5.0]))
    text = str(info.value)
    assert "targets: column 'period' has 1 values that are not 'year' or months" in text
    assert "(unit: 'R1')" in text
    assert "targets: column 'value' has 1 negative values (unit: 'R2')" in text
