"""Smoke tests of the review charts (Agg backend) and folium maps."""

import subprocess
import sys
from pathlib import Path

import matplotlib
import pandas as pd
import pytest

matplotlib.use("Agg")

from matplotlib.figure import Figure

from territory.errors import ValidationError
from territory.review import (
    achievement_chart,
    compliance_heatmap,
    customer_map,
    grade_mix_chart,
    route_map,
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
REPS = pd.DataFrame({"rep_id": ["R1", "R2"], "home_lon": [9.11, 9.21], "home_lat": [48.71, 48.70]})
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
    assert [round(p.get_width()) for p in ax.patches] == [60, 120]
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
    assert image.get_array().shape == (2, 2)
    assert _png(fig, tmp_path / "h.png") > 1000
    mix = grade_mix_chart(CUSTOMERS, by="rep_id")
    assert len(mix.axes[0].patches) == 2 * 4  # 2 reps x 4 grades incl. "(none)"
    assert _png(mix, tmp_path / "g.png") > 1000


def test_customer_map_has_one_marker_per_customer(tmp_path: Path) -> None:
    """The HTML holds five circle markers and one layer per grade."""
    path = tmp_path / "customers.html"
    fmap = customer_map(CUSTOMERS, color_by="grade", path=path, tiles=None)
    html = fmap.get_root().render()
    assert html.count("L.circleMarker(") == 5
    assert "grade (none)" in html and "grade A" in html
    assert path.exists() and path.stat().st_size > 1000


def test_route_map_draws_each_day_from_home(tmp_path: Path) -> None:
    """R1 has three route days: three lines, four stop markers and a home marker."""
    fmap = route_map(VISITS, CUSTOMERS, REPS, rep_id="R1", path=tmp_path / "r.html", tiles=None)
    html = fmap.get_root().render()
    assert html.count("L.polyline(") == 3
    assert html.count("L.circleMarker(") == 4
    assert html.count("L.marker(") == 1
    assert "W1 Mon #1 C2 09:00" in html  # seq 1 first
    week1 = route_map(VISITS, CUSTOMERS, REPS, rep_id="R1", week=1, tiles=None)
    assert week1.get_root().render().count("L.polyline(") == 2
    with pytest.raises(ValidationError, match="no rep 'R9'"):
        route_map(VISITS, CUSTOMERS, REPS, rep_id="R9")
    with pytest.raises(ValidationError, match="without a location"):
        route_map(VISITS, CUSTOMERS[CUSTOMERS["customer_id"] != "C3"], REPS, rep_id="R1")
