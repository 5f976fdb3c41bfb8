"""Smoke tests of territory.review.charts (Agg backend); the review core loads no plotting."""

import subprocess
import sys
from pathlib import Path

import matplotlib
import pandas as pd
import pytest

matplotlib.use("Agg")

from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from territory.errors import ValidationError
from territory.review import (
    achievement_chart,
    compliance_heatmap,
    grade_mix_chart,
    target_achievement,
    visit_execution,
)

CUSTOMERS = pd.DataFrame(
    {
        "customer_id": ["C1", "C2", "C3", "C4", "C5"],
        "name": ["Store 1", "Store 2", "Store 3", "Store 4", "Store 5"],
        "lon": [9.10, 9.12, 9.15, 9.20, 9.22],
        "lat": [48.70, 48.72, 48.74, 48.71, 48.69],
        "grade": ["A", "B", "B", "C", None],
        "rep_id": ["R1", "R1", "R1", "R2", "R2"],
    }
)
VISITS = pd.DataFrame(
    {
        "rep_id": ["R1", "R1", "R1", "R1", "R2"],
        "week": [1, 1, 1, 2, 1],
        "day": [1, 1, 2, 1, 3],
        "weekday": [0, 0, 1, 0, 2],
        "seq": [2, 1, 1, 1, 1],
        "customer_id": ["C1", "C2", "C3", "C1", "C4"],
        "arrival": [600.0, 540.0, 560.0, 600.0, 610.0],
    }
)


def _png(fig: Figure, path: Path) -> int:
    fig.savefig(path)
    return path.stat().st_size


def test_core_package_does_not_import_matplotlib_or_folium() -> None:
    """Importing territory.review loads neither matplotlib nor folium."""
    code = (
        "import sys, territory.review; "
        "print([m for m in ('matplotlib', 'folium') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_achievement_chart_draws_one_bar_per_unit(tmp_path: Path) -> None:
    """The chart has a bar per rep, lowest achievement first, and saves as PNG."""
    targets = pd.DataFrame(
        {
            "level": ["rep", "rep"],
            "unit": ["R1", "R2"],
            "period": ["2026-01"] * 2,
            "value": [100.0, 100.0],
        }
    )
    sales = pd.DataFrame(
        {"customer_id": ["C1", "C4"], "month": ["2026-01"] * 2, "sales": [120.0, 60.0]}
    )
    review = target_achievement(targets, sales, CUSTOMERS[["customer_id", "rep_id"]])
    fig = achievement_chart(review, period="2026-01")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["R2", "R1"]
    bars = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert [round(p.get_width()) for p in bars] == [60, 120]
    assert _png(fig, tmp_path / "a.png") > 1000
    with pytest.raises(ValidationError, match="no rows"):
        achievement_chart(review, period="year")


def test_compliance_heatmap_and_grade_mix(tmp_path: Path) -> None:
    """The heat map is reps x weeks; the grade mix stacks one bar segment per grade and rep."""
    log = pd.DataFrame(
        {"rep_id": ["R1"], "customer_id": ["C2"], "timestamp": pd.to_datetime(["2026-11-02 09:00"])}
    )
    review = visit_execution(VISITS, log, cycle_start="2026-11-02")
    fig = compliance_heatmap(review)
    image = fig.axes[0].images[0]
    values = image.get_array()
    assert values is not None and values.shape == (2, 2)
    assert _png(fig, tmp_path / "h.png") > 1000
    mix = grade_mix_chart(CUSTOMERS, by="rep_id")
    assert len(mix.axes[0].patches) == 2 * 4  # 2 reps x 4 grades incl. "(none)"
    assert _png(mix, tmp_path / "g.png") > 1000
