"""The demo: every stage of the pipeline on the embedded sample region.

``territory demo --out DIR`` calls :func:`run_demo`, which writes the tables of each
stage (CSV, plus GeoParquet for located tables), an HTML map, and returns a short
text summary.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from territory.datasets import SampleRegion, sample_region
from territory.tables import validate_customers, validate_dealers, validate_reps

__all__ = ["DemoResult", "run_demo"]

logger = logging.getLogger("territory")


@dataclass(frozen=True)
class DemoResult:
    """What the demo produced.

    Attributes
    ----------
    out_dir
        The output folder.
    files
        Files written, relative to ``out_dir``.
    lines
        Summary lines, one block per stage.
    """

    out_dir: Path
    files: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """The summary as text."""
        return "\n".join([*self.lines, f"wrote {len(self.files)} files to {self.out_dir}"])


def _write_table(frame: pd.DataFrame, out_dir: Path, name: str, files: list[str]) -> None:
    frame.to_csv(out_dir / f"{name}.csv", index=False)
    files.append(f"{name}.csv")


def _write_points(
    frame: pd.DataFrame, out_dir: Path, name: str, files: list[str], lon: str, lat: str
) -> None:
    import geopandas as gpd

    _write_table(frame, out_dir, name, files)
    table = frame.copy()
    for column in table.columns:
        if table[column].map(lambda v: isinstance(v, tuple)).any():
            table[column] = table[column].map(str)
    gdf = gpd.GeoDataFrame(
        table, geometry=gpd.points_from_xy(table[lon], table[lat]), crs="EPSG:4326"
    )
    gdf.to_parquet(out_dir / f"{name}.parquet")
    files.append(f"{name}.parquet")


def _region_map(region: SampleRegion, out_dir: Path, files: list[str]) -> None:
    """Customers coloured by supply channel and rep homes, as a folium HTML map."""
    try:
        import folium
    except ImportError:
        logger.warning("folium is not installed: no HTML map (pip install 'territory[plot]')")
        return
    c = region.customers
    fmap = folium.Map(
        location=[float(c["lat"].mean()), float(c["lon"].mean())],
        zoom_start=9,
        tiles="OpenStreetMap",
    )
    colours = {"dealer": "black", "key_account": "red", "direct": "blue", "dealer_store": "green"}
    channel = pd.Series("dealer_store", index=c.index)
    channel[c["dealer_id"].isna()] = "direct"
    channel[c["key_account"]] = "key_account"
    channel[c["kind"] == "dealer"] = "dealer"
    lats, lons = c["lat"].to_numpy(dtype=float), c["lon"].to_numpy(dtype=float)
    for i, (cid, name, ch) in enumerate(zip(c["customer_id"], c["name"], channel, strict=True)):
        folium.CircleMarker(
            [lats[i], lons[i]],
            radius=3,
            color=colours[ch],
            fill=True,
            tooltip=f"{cid} {name} ({ch})",
        ).add_to(fmap)
    r = region.reps
    home_lats, home_lons = r["home_lat"].to_numpy(dtype=float), r["home_lon"].to_numpy(dtype=float)
    for i, (rid, kind) in enumerate(zip(r["rep_id"], r["kind"], strict=True)):
        folium.Marker(
            [home_lats[i], home_lons[i]],
            tooltip=f"{rid} ({kind})",
            icon=folium.Icon(color="gray", icon="home"),
        ).add_to(fmap)
    fmap.save(str(out_dir / "region_map.html"))
    files.append("region_map.html")


def run_demo(out_dir: str | Path, *, n_customers: int = 2000, seed: int = 0) -> DemoResult:
    """Run every stage on the sample region and write the results to ``out_dir``.

    Parameters
    ----------
    out_dir
        Output folder (created when missing).
    n_customers
        Size of the sample region.
    seed
        Seed of the sample region and of every stage.

    Returns
    -------
    DemoResult
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files: list[str] = []
    lines: list[str] = []

    region = sample_region(n_customers, seed=seed)
    dealers = validate_dealers(region.dealers)
    customers = validate_customers(region.customers, dealers=dealers)
    reps = validate_reps(region.reps, dealers=dealers)
    lines.append(region.summary())
    _write_points(customers, out, "customers", files, "lon", "lat")
    _write_points(reps, out, "reps", files, "home_lon", "home_lat")
    _write_points(dealers, out, "dealers", files, "lon", "lat")
    _write_table(region.sales, out, "sales", files)
    _region_map(region, out, files)
    requirements = _grading_stage(region, out, files, lines)
    del requirements
    _allocation_stage(region, out, files, lines)
    return DemoResult(out_dir=out, files=files, lines=lines)


def _allocation_stage(region: SampleRegion, out: Path, files: list[str], lines: list[str]) -> None:
    """Split next year's regional target (last 12 months + 10 %) down to customers and months."""
    from territory.allocation import Bounds, allocate

    hierarchy = region.customers.assign(
        region="region", team=region.customers["dealer_id"].fillna("company")
    )
    last_12 = region.sales.loc[region.sales["month"] > _month_before(region.sales, 12), "sales"]
    target = round(float(last_12.sum()) * 1.10, -3)
    allocation = allocate(
        target,
        hierarchy,
        levels=["region", "team", "customer_id"],
        history=region.sales,
        potential="potential",
        methods={"team": "history", "customer_id": "untapped"},
        bounds={"customer_id": Bounds(growth=(-0.10, 0.30))},
        step=100,
    )
    _write_table(allocation.to_frame(), out, "targets", files)
    lines += ["", "allocation:", allocation.summary()]


def _month_before(sales: pd.DataFrame, months: int) -> str:
    """The month ``months`` before the last month of a ``month`` column ("YYYY-MM")."""
    last = pd.Period(str(sales["month"].max()), freq="M")
    return str(last - months)


def _grading_stage(
    region: SampleRegion, out: Path, files: list[str], lines: list[str]
) -> pd.DataFrame:
    """Grade the customers and derive their visit requirements."""
    from territory.grading import VisitPolicy, demo_grades

    grades, requirements = demo_grades(region)
    _write_table(grades.to_frame(), out, "grades", files)
    _write_table(requirements, out, "visit_requirements", files)
    check = VisitPolicy.default().capacity_check(requirements, region.customers, region.reps)
    lines += [
        "",
        "grading (relationship x potential):",
        grades.summary().to_string(index=False),
        check.summary(),
    ]
    return requirements
