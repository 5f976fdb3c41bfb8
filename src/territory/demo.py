"""The demo: every stage of the pipeline on the embedded sample region.

``territory demo --out DIR`` calls :func:`run_demo`, which writes the tables of each
stage (CSV, plus GeoParquet for located tables), an HTML map, and returns a short
text summary. Each stage's files have the names its own subcommand writes
(:data:`territory.io.OUTPUT_NAMES`: ``grades``, ``visit_requirements``, ``assignment``,
``territories``, ``visits``, ``days``, ``unplanned``, ``routes``, ``targets``), so the
demo's folder feeds any subcommand (``territory plan --previous DIR`` included).

Every file is first written to a temporary folder inside ``DIR`` and moved into place
only when the whole demo has run (:class:`territory.io.OutputSet`): a demo that fails
or is interrupted leaves ``DIR`` as it was, and existing files are replaced only with
``overwrite=True`` (``--force``).
"""

from __future__ import annotations

import dataclasses
import logging
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from territory.datasets import SampleRegion, sample_region
from territory.grading import Grades, RelationshipPotentialMatrix, VisitPolicy
from territory.io import OUTPUT_NAMES, OutputSet, check_not_existing, write_table
from territory.progress import Progress, ProgressCallback, nested_progress, resolve_progress
from territory.routing import RoutePlan
from territory.tables import validate_customers, validate_dealers, validate_reps
from territory.tables.months import shift_month

__all__ = ["DEMO_OUTPUTS", "DemoResult", "demo_grades", "run_demo"]

logger = logging.getLogger("territory")

#: Top-level files and folders the demo writes; checked before it starts.
DEMO_OUTPUTS: tuple[str, ...] = (
    "customers.csv",
    "customers.parquet",
    "reps.csv",
    "reps.parquet",
    "dealers.csv",
    "dealers.parquet",
    "sales.csv",
    "region_map.html",
    *(f"{name}.csv" for name in OUTPUT_NAMES["grade"]),
    *(f"{name}.csv" for name in OUTPUT_NAMES["territories"]),
    "territories.geojson",
    "route_input.csv",
    *(f"{name}.csv" for name in OUTPUT_NAMES["plan"] if name != "routes"),
    "routes.geojson",
    "route_map.html",
    "targets.csv",
    "visit_log.csv",
    "sales_with_actuals.csv",
    "review",
)


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
    write_table(frame, out_dir / f"{name}.csv")
    files.append(f"{name}.csv")


def _write_points(
    frame: pd.DataFrame, out_dir: Path, name: str, files: list[str], lon: str, lat: str
) -> None:
    _write_table(frame, out_dir, name, files)
    write_table(frame, out_dir / f"{name}.parquet", lon=lon, lat=lat)
    files.append(f"{name}.parquet")


def _region_map(region: SampleRegion, out_dir: Path, files: list[str]) -> None:
    """Customers coloured by supply channel (dealer, key account, direct, dealer-supplied)."""
    try:
        from territory.review import customer_map

        c = region.customers
        channel = pd.Series("dealer-supplied", index=c.index)
        channel[c["dealer_id"].isna()] = "direct"
        channel[c["key_account"]] = "key account"
        channel[c["kind"] == "dealer"] = "dealer"
        customer_map(
            c.assign(channel=channel), color_by="channel", path=out_dir / "region_map.html"
        )
    except ImportError:
        logger.warning("folium is not installed: no HTML map (pip install 'territory[plot]')")
        return
    files.append("region_map.html")


def run_demo(
    out_dir: str | Path,
    *,
    n_customers: int = 2000,
    seed: int = 0,
    time_limit: float = 60.0,
    overwrite: bool = False,
    progress: Progress = None,
    route_seconds: float | None = None,
) -> DemoResult:
    """Run every stage on the sample region and write the results to ``out_dir``.

    Grading, territory design, route planning, target allocation and review, in
    that order, each feeding the next.

    Parameters
    ----------
    out_dir
        Output folder (created when missing).
    n_customers
        Size of the sample region.
    seed
        Seed of the sample region and of every stage.
    time_limit
        Seconds for route planning (``time_limit`` of
        :func:`~territory.routing.plan_routes`).
    overwrite
        Replace files of an earlier demo in ``out_dir``; by default the demo refuses
        to start when any of :data:`DEMO_OUTPUTS` exists there.
    progress
        Called as ``progress(done, total)`` after each of the six stages (sample
        region, grading, territories, routes, targets, review); ``True`` shows a tqdm
        bar, plus inner bars for the territories' parts and the routes' reps.
    route_seconds
        Deprecated name of ``time_limit``.

    Returns
    -------
    DemoResult

    Raises
    ------
    OutputError
        When outputs exist and ``overwrite`` is false (nothing is computed or written),
        or moving the files into place failed (``out_dir`` is then unchanged).
    """
    if route_seconds is not None:
        warnings.warn(
            "run_demo(route_seconds=...) is deprecated; use time_limit=...",
            DeprecationWarning,
            stacklevel=2,
        )
        time_limit = route_seconds
    final = Path(out_dir)
    check_not_existing([final / name for name in DEMO_OUTPUTS], overwrite=overwrite)
    report = resolve_progress(progress, desc="demo", unit="stage")
    with OutputSet(final, overwrite=overwrite) as outputs:
        result = _run_stages(
            outputs.folder(),
            n_customers=n_customers,
            seed=seed,
            time_limit=time_limit,
            report=report,
        )
    return DemoResult(out_dir=final, files=result.files, lines=result.lines)


def _run_stages(
    out: Path,
    *,
    n_customers: int,
    seed: int,
    time_limit: float,
    report: ProgressCallback | None = None,
) -> DemoResult:
    """Every stage, writing into ``out`` (the output set's temporary folder)."""

    def stage(done: int) -> None:
        if report is not None:
            report(done, 6)

    region = sample_region(n_customers, seed=seed)
    files: list[str] = []
    lines: list[str] = []

    dealers = validate_dealers(region.dealers)
    validate_customers(region.customers, dealers=dealers)
    validate_reps(region.reps, dealers=dealers)
    lines.append(region.summary())
    _write_points(region.customers, out, "customers", files, "lon", "lat")
    _write_points(region.reps, out, "reps", files, "home_lon", "home_lat")
    _write_points(region.dealers, out, "dealers", files, "lon", "lat")
    _write_table(region.sales, out, "sales", files)
    _region_map(region, out, files)
    stage(1)

    requirements = _grading_stage(region, out, files, lines)
    stage(2)
    planned = region.customers.merge(requirements, on="customer_id", how="left", validate="1:1")
    planned["workload"] = planned["visits_per_cycle"] * planned["service_minutes"]
    planned["region"] = "region"
    planned["rep_id"] = _territory_stage(
        planned,
        region.reps,
        out,
        files,
        lines,
        seed=seed,
        progress=nested_progress(report, "designing territories", unit="part"),
    )
    # The team is the rep's: a dealer's reps, or the company's (which also serve key
    # accounts supplied by a dealer), so that every rep has one team.
    team_of = dict(zip(region.reps["rep_id"], region.reps["dealer_id"], strict=True))
    planned["team"] = planned["rep_id"].map(team_of).fillna("company")
    stage(3)
    _write_table(planned, out, "route_input", files)
    route_plan = _routing_stage(
        planned,
        region.reps,
        out,
        files,
        lines,
        seed=seed,
        time_limit=time_limit,
        progress=nested_progress(report, "planning reps", unit="rep"),
    )
    stage(4)
    targets = _allocation_stage(region, planned, out, files, lines)
    stage(5)
    _review_stage(
        region, planned, region.reps, route_plan.to_frame(), targets, out, files, lines, seed=seed
    )
    stage(6)
    return DemoResult(out_dir=out, files=files, lines=lines)


def demo_grades(region: SampleRegion) -> tuple[Grades, pd.DataFrame]:
    """Grade the sample region with the relationship x potential matrix.

    Relationship 4-5 (of 1-5) is good; potential in the top 30 % is high.
    The last 12 months of sales give the share of sales per grade.

    Parameters
    ----------
    region
        From :func:`territory.datasets.sample_region`.

    Returns
    -------
    tuple of (Grades, pandas.DataFrame)
        The grades and the visit requirements of
        :meth:`territory.grading.VisitPolicy.default`.

    Examples
    --------
    >>> grades, requirements = demo_grades(sample_region(200, seed=0))
    >>> sorted(requirements["grade"].unique().tolist())
    ['A', 'B', 'C', 'D']
    """
    grades = RelationshipPotentialMatrix(good_relationship=4.0, high_potential_quantile=0.7).grade(
        region.customers, sales=region.sales, window_months=12
    )
    return grades, VisitPolicy.default().requirements(grades)


def _grading_stage(
    region: SampleRegion, out: Path, files: list[str], lines: list[str]
) -> pd.DataFrame:
    """Grade the customers and derive their visit requirements."""
    grades, requirements = demo_grades(region)
    _write_table(grades.to_frame(), out, "grades", files)
    _write_table(requirements, out, "visit_requirements", files)
    check = VisitPolicy.default().capacity_check(requirements, region.customers, region.reps)
    lines += [
        "",
        "grading (relationship x potential):",
        grades.summary(),
        check.summary(),
    ]
    return requirements


def _territory_stage(
    customers: pd.DataFrame,
    reps: pd.DataFrame,
    out: Path,
    files: list[str],
    lines: list[str],
    *,
    seed: int,
    progress: ProgressCallback | None = None,
) -> pd.Series:
    """Split the region among the reps: balanced workload, potential and counts."""
    from territory.territories import design_territories

    plan = design_territories(
        customers,
        reps,
        balance={"workload": 0.05, "potential": 0.10, "count": 0.10},
        seed=seed,
        time_limit=60.0,
        progress=progress,
    )
    _write_table(plan.to_frame(), out, "assignment", files)
    _write_table(plan.territories, out, "territories", files)
    plan.to_geodataframe().to_file(out / "territories.geojson", driver="GeoJSON")
    files.append("territories.geojson")
    lines += ["", "territories:", plan.summary()]
    rep_of = dict(zip(plan.assignment["customer_id"], plan.assignment["rep_id"], strict=True))
    return customers["customer_id"].map(rep_of)


def _routing_stage(
    customers: pd.DataFrame,
    reps: pd.DataFrame,
    out: Path,
    files: list[str],
    lines: list[str],
    *,
    seed: int,
    time_limit: float,
    progress: ProgressCallback | None = None,
) -> RoutePlan:
    """Plan every rep's 4-week cycle and draw the first rep's first week on a map."""
    from territory.routing import plan_routes

    plan = plan_routes(customers, reps, time_limit=time_limit, seed=seed, progress=progress)
    _write_table(plan.to_frame(), out, "visits", files)
    _write_table(plan.days.round(2), out, "days", files)
    _write_table(plan.unplanned, out, "unplanned", files)
    plan.to_geodataframe().to_file(out / "routes.geojson", driver="GeoJSON")
    files.append("routes.geojson")
    try:
        from territory.review import route_map

        rep_id = str(plan.visits["rep_id"].iloc[0])
        route_map(
            plan.to_frame(), customers, reps, rep_id=rep_id, week=1, path=out / "route_map.html"
        )
        files.append("route_map.html")
    except ImportError:
        logger.warning("folium is not installed: no route map (pip install 'territory[plot]')")
    lines += ["", "routes:", plan.summary()]
    return plan


def _allocation_stage(
    region: SampleRegion,
    customers: pd.DataFrame,
    out: Path,
    files: list[str],
    lines: list[str],
) -> pd.DataFrame:
    """Split next calendar year's target (last 12 months + 10 %) down to reps and customers."""
    from territory.allocation import Bounds, allocate

    last_12 = region.sales.loc[region.sales["month"] > _month_before(region.sales, 12), "sales"]
    target = round(float(last_12.sum()) * 1.10, -3)
    allocation = allocate(
        target,
        customers,
        levels=["region", "team", "rep_id", "customer_id"],
        sales=region.sales,
        potential="potential",
        methods={"team": "history", "rep_id": "history", "customer_id": "untapped"},
        bounds={"customer_id": Bounds(growth=(-0.10, 0.30))},
        months=[f"{_plan_year(region.sales)}-{m:02d}" for m in range(1, 13)],
        step=100,
    )
    targets = allocation.to_frame()
    _write_table(targets, out, "targets", files)
    lines += ["", "allocation:", allocation.summary()]
    return targets


def _review_stage(
    region: SampleRegion,
    customers: pd.DataFrame,
    reps: pd.DataFrame,
    visits: pd.DataFrame,
    targets: pd.DataFrame,
    out: Path,
    files: list[str],
    lines: list[str],
    *,
    seed: int,
) -> None:
    """Simulate January of the plan year and review it against targets and the plan."""
    from territory.datasets import simulate_execution, simulate_sales
    from territory.review import write_review

    first_month = f"{_plan_year(region.sales)}-01"
    cycle_start = _first_monday(first_month)
    log = simulate_execution(visits, customers, cycle_start=cycle_start, seed=seed)
    _write_table(log, out, "visit_log", files)
    actuals = simulate_sales(
        region.sales,
        month=first_month,
        seed=seed,
        targets=targets,
        hierarchy=customers[["customer_id", "rep_id"]],
        level="rep_id",
    )
    sales = pd.concat([region.sales, actuals], ignore_index=True)
    _write_table(sales, out, "sales_with_actuals", files)
    report = write_review(
        out / "review",
        visits=visits,
        visit_log=log,
        customers=customers,
        reps=reps,
        targets=targets,
        sales=sales,
        cycle_start=cycle_start,
        seed=seed,
    )
    files += [f"review/{name}" for name in report.files]
    lines += ["", "review:", dataclasses.replace(report, out_dir=Path("review")).summary()]


def _month_before(sales: pd.DataFrame, months: int) -> str:
    """The month ``months`` before the last month of a ``month`` column ("YYYY-MM")."""
    return shift_month(str(sales["month"].max()), -months)


def _plan_year(sales: pd.DataFrame) -> int:
    """The calendar year after the last month of sales history."""
    return int(str(sales["month"].max())[:4]) + 1


def _first_monday(month: str) -> str:
    """The first Monday of a month ``"YYYY-MM"``, as ``"YYYY-MM-DD"``."""
    first = pd.Timestamp(f"{month}-01")
    return str((first + pd.Timedelta(days=(7 - first.weekday()) % 7)).date())
