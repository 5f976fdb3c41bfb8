"""Tests of territory.review.drift: territory balance drift."""

import json

import pandas as pd
import pytest

from territory.errors import ValidationError
from territory.review import (
    balance_drift,
)

MONTHLY = pd.DataFrame(
    {
        "rep_id": ["A", "B", "C"] * 4,
        "month": ["2026-01"] * 3 + ["2026-02"] * 3 + ["2026-03"] * 3 + ["2026-04"] * 3,
        # A drifts above the mean from February on; B dips once.
        "sales": [100, 100, 100, 130, 100, 70, 140, 70, 90, 150, 100, 50],
        "workload": [10, 10, 10] * 4,
    }
)


def test_drift_flags_three_months_running() -> None:
    """A is over the mean by more than 20 % from Feb to Apr: flagged at 3 months."""
    drift = balance_drift(MONTHLY, tolerance=0.2, months=3)
    flags = drift.flags.set_index(["rep_id", "measure"])
    assert flags.loc[("A", "sales"), "run"] == 3
    assert bool(flags.loc[("A", "sales"), "flagged"])
    assert flags.loc[("A", "sales"), "direction"] == "over"
    assert flags.loc[("A", "sales"), "last_deviation"] == pytest.approx(0.5)
    # C: Feb -30 % (out), Mar -10 % (in), Apr -50 % (out)
    assert flags.loc[("C", "sales"), "run"] == 1
    assert flags.loc[("C", "sales"), "longest_run"] == 1
    assert flags.loc[("C", "sales"), "direction"] == "under"
    assert not flags.loc[("C", "sales"), "flagged"]
    assert not flags.xs("workload", level="measure")["flagged"].any()
    assert drift.flagged()[["rep_id", "measure"]].values.tolist() == [["A", "sales"]]
    json.dumps(drift.to_dict(), allow_nan=False)


def test_drift_missing_month_breaks_run_and_is_reported() -> None:
    """A territory-month without data is not evaluated and is reported."""
    monthly = MONTHLY.drop(index=6)  # A in March
    drift = balance_drift(monthly, measures=["sales"], months=2)
    assert drift.flags.set_index("rep_id").loc["A", "run"] == 1
    assert any("A/2026-03" in issue for issue in drift.issues)
    with pytest.raises(ValidationError, match="duplicate"):
        balance_drift(pd.concat([MONTHLY, MONTHLY.iloc[[0]]]))
    with pytest.raises(ValidationError, match="months"):
        balance_drift(MONTHLY, months=0)
