"""Command-line interface: ``territory --help`` lists the commands.

The CLI is a thin layer over the library's functions. A user error (bad input, or
outputs that exist already) prints the message and exits with status 2, never a
traceback.

Outputs are written all or nothing (:class:`territory.io.OutputSet`): a command that
fails leaves the output folder exactly as it was, and no command replaces an existing
file unless ``--force`` is given. Output names are checked before the work starts, so a
refusal comes at once.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from territory.errors import TerritoryError

if TYPE_CHECKING:
    import pandas as pd

    from territory.io import OutputSet

__all__ = ["main"]


def _demo(args: argparse.Namespace) -> int:
    from territory.demo import run_demo

    result = run_demo(
        args.out,
        n_customers=args.customers,
        seed=args.seed,
        route_seconds=args.route_seconds,
        overwrite=args.force,
    )
    print(result.summary())
    return 0


def _check_outputs(args: argparse.Namespace, names: Sequence[str]) -> None:
    """Refuse at once when outputs exist (before any work), unless ``--force``."""
    from pathlib import Path

    from territory.io import check_not_existing

    check_not_existing([Path(args.out) / name for name in names], overwrite=args.force)


def _write_outputs(outputs: OutputSet, tables: Mapping[str, pd.DataFrame], fmt: str) -> None:
    for name, table in tables.items():
        outputs.table(table, f"{name}.{fmt}")


def _report_written(outputs: OutputSet) -> None:
    for path in outputs.written:
        print(f"wrote {path}")


def _grade(args: argparse.Namespace) -> int:
    from territory.errors import ValidationError
    from territory.grading import ParetoABC, RelationshipPotentialMatrix, RFMGrading, VisitPolicy
    from territory.io import OutputSet, read_table

    _check_outputs(args, [f"grades.{args.format}", f"visit_requirements.{args.format}"])
    customers = read_table(args.customers)
    sales = read_table(args.sales) if args.sales else None
    if args.scheme in ("pareto", "rfm") and sales is None:
        raise ValidationError(f"territory grade: --scheme {args.scheme} needs --sales")
    if args.scheme == "matrix":
        grades = RelationshipPotentialMatrix(
            good_relationship=args.good_relationship,
            high_potential_quantile=args.high_potential_quantile,
        ).grade(customers, sales=sales)
    elif args.scheme == "pareto":
        assert sales is not None
        grades = ParetoABC().grade(customers, sales)
    else:
        assert sales is not None
        grades = RFMGrading(time_column="month", amount_column="sales").grade(customers, sales)
    requirements = VisitPolicy.default().requirements(grades)
    print(grades.summary().to_string(index=False))
    with OutputSet(args.out, overwrite=args.force) as outputs:
        _write_outputs(
            outputs, {"grades": grades.to_frame(), "visit_requirements": requirements}, args.format
        )
    _report_written(outputs)
    return 0


def _parse_methods(text: str | None) -> str | dict[str, str]:
    """``"history"`` or ``"team=history,customer_id=untapped"``."""
    if not text:
        return "history"
    if "=" not in text:
        return text
    pairs = [part.split("=", 1) for part in text.split(",") if part]
    return {level.strip(): method.strip() for level, method in pairs}


def _allocate(args: argparse.Namespace) -> int:
    from territory.allocation import Bounds, allocate
    from territory.io import OutputSet, read_table

    _check_outputs(args, [f"targets.{args.format}"])
    hierarchy = read_table(args.hierarchy)
    history = read_table(args.history) if args.history else None
    levels = [level.strip() for level in args.levels.split(",") if level.strip()]
    bounds = None
    if args.growth:
        low, high = (float(v) for v in args.growth.split(","))
        bounds = {levels[-1]: Bounds(growth=(low, high))}
    allocation = allocate(
        args.target,
        hierarchy,
        levels=levels,
        history=history,
        potential=args.potential,
        methods=_parse_methods(args.methods),
        bounds=bounds,
        step=args.step,
        rounding=args.rounding,
    )
    print(allocation.summary())
    with OutputSet(args.out, overwrite=args.force) as outputs:
        _write_outputs(outputs, {"targets": allocation.to_frame()}, args.format)
    _report_written(outputs)
    return 0


class _ProgressBar:
    """A one-line progress bar on stderr, for ``progress(done, total)`` callbacks."""

    def __init__(self, label: str, *, enabled: bool) -> None:
        self.label = label
        self.enabled = enabled

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total <= 0:
            return
        width = 30
        filled = round(width * done / total)
        bar = "#" * filled + "-" * (width - filled)
        end = "\n" if done >= total else ""
        print(f"\r{self.label} [{bar}] {done}/{total}", end=end, file=sys.stderr, flush=True)


def _plan(args: argparse.Namespace) -> int:
    from territory.io import OutputSet, read_table
    from territory.routing import Cycle, PlanOptions, plan_routes

    table_format = "csv" if args.format == "geojson" else args.format
    names = [f"{name}.{table_format}" for name in ("visits", "days", "unplanned")]
    if args.previous is not None:
        names.append(f"changes.{table_format}")
    if args.format != "csv":
        names.append(f"routes.{args.format}")
    _check_outputs(args, names)
    customers = read_table(args.customers)
    reps = read_table(args.reps)
    previous = None
    if args.previous is not None:
        from pathlib import Path

        source = Path(args.previous)
        previous = read_table(source / "visits.csv" if source.is_dir() else source)
    plan = plan_routes(
        customers,
        reps,
        cycle=Cycle(weeks=args.weeks, days=args.days),
        engine=args.engine,
        time_limit=args.time_limit,
        seed=args.seed,
        progress=_ProgressBar("planning reps", enabled=not args.quiet and sys.stderr.isatty()),
        options=PlanOptions(iterations=args.iterations),
        previous=previous,
    )
    print(plan.summary())
    tables = {"visits": plan.to_frame(), "days": plan.days, "unplanned": plan.unplanned}
    if previous is not None:
        print(plan.change_summary(previous))
        tables["changes"] = plan.changes(previous)
    with OutputSet(args.out, overwrite=args.force) as outputs:
        _write_outputs(outputs, tables, table_format)
        if args.format != "csv":
            routes = plan.to_geodataframe()
            if args.format == "geojson":
                outputs.file("routes.geojson", lambda p: routes.to_file(p, driver="GeoJSON"))
            else:
                outputs.file(f"routes.{args.format}", routes.to_parquet)
    _report_written(outputs)
    return 0


def _territories(args: argparse.Namespace) -> int:
    from territory.io import OutputSet, read_table
    from territory.territories import design_territories

    table_format = "csv" if args.format == "geojson" else args.format
    names = [f"assignment.{table_format}", f"territories.{table_format}"]
    if args.format == "geojson":
        names.append("territories.geojson")
    _check_outputs(args, names)
    customers = read_table(args.customers)
    reps = read_table(args.reps)
    balance: dict[str, float] = {}
    for part in args.balance.split(","):
        measure, _, tolerance = part.partition("=")
        balance[measure.strip()] = float(tolerance) if tolerance else 0.05
    plan = design_territories(
        customers, reps, balance=balance, seed=args.seed, time_limit=args.time_limit
    )
    print(plan.summary())
    with OutputSet(args.out, overwrite=args.force) as outputs:
        _write_outputs(
            outputs, {"assignment": plan.to_frame(), "territories": plan.territories}, table_format
        )
        if args.format == "geojson":
            shapes = plan.to_geodataframe()
            outputs.file("territories.geojson", lambda p: shapes.to_file(p, driver="GeoJSON"))
    _report_written(outputs)
    return 0


def _review(args: argparse.Namespace) -> int:
    from pathlib import Path

    from territory.io import OutputSet, read_table
    from territory.review import write_review

    out = Path(args.out)  # the review's file names are known only once it is written
    log = read_table(args.log)
    log["timestamp"] = log["timestamp"].astype("datetime64[ns]")
    with OutputSet(out, overwrite=args.force) as outputs:
        report = write_review(
            outputs.folder(),
            visits=read_table(args.visits),
            visit_log=log,
            customers=read_table(args.customers),
            reps=read_table(args.reps),
            targets=read_table(args.targets),
            sales=read_table(args.sales),
            cycle_start=args.cycle_start,
            seed=args.seed,
            tolerance_days=args.tolerance_days,
            pictures=not args.no_pictures,
        )
    print(report.summary())
    return 0


def _serve(args: argparse.Namespace) -> int:
    from territory.service import serve
    from territory.service._config import ServiceConfig

    serve(args.host, args.port, config=ServiceConfig.from_env(), insecure=args.insecure)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``territory`` command."""
    parser = argparse.ArgumentParser(
        prog="territory",
        description="Sales territory and route planning: grading, territories, routing, "
        "target allocation and review.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = commands.add_parser(
        "demo",
        help="run every stage on the embedded sample region",
        description="Run every stage on the embedded sample region "
        "and write tables, charts and maps to an output folder.",
    )
    demo.add_argument("--out", default="demo-output", help="output folder (default: %(default)s)")
    demo.add_argument(
        "--customers",
        type=int,
        default=2000,
        help="customers in the sample region (default: %(default)s)",
    )
    demo.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    demo.add_argument(
        "--route-seconds",
        type=float,
        default=60.0,
        help="time budget of route planning (default: %(default)s)",
    )
    _add_force_argument(demo)
    demo.set_defaults(handler=_demo)

    grade = commands.add_parser(
        "grade",
        help="grade customers A-D and derive visit requirements",
        description="Grade customers and write grades and visit requirements.",
    )
    grade.add_argument(
        "--customers", required=True, help="customers table (.csv/.geojson/.parquet)"
    )
    grade.add_argument("--sales", help="sales history: customer_id, month, sales")
    grade.add_argument(
        "--scheme",
        choices=("matrix", "pareto", "rfm"),
        default="matrix",
        help="grading scheme (default: %(default)s)",
    )
    grade.add_argument(
        "--good-relationship",
        type=float,
        default=4.0,
        help="matrix: relationship score that counts as good (default: %(default)s)",
    )
    grade.add_argument(
        "--high-potential-quantile",
        type=float,
        default=0.7,
        help="matrix: potential quantile that counts as high (default: %(default)s)",
    )
    _add_output_arguments(grade)
    grade.set_defaults(handler=_grade)

    plan = commands.add_parser(
        "plan",
        help="plan each rep's repeating visit cycle",
        description="Plan each rep's repeating visit cycle: which customers on which day, "
        "in which order. Customers need visits_per_cycle and service_minutes (see "
        "'territory grade'); reps need home_lon/home_lat.",
    )
    plan.add_argument("--customers", required=True, help="customers table")
    plan.add_argument("--reps", required=True, help="reps table")
    plan.add_argument("--weeks", type=int, default=4, help="weeks in the cycle (default: 4)")
    plan.add_argument("--days", type=int, default=5, help="working days a week (default: 5)")
    plan.add_argument(
        "--engine",
        choices=("ortools", "pyvrp", "local"),
        default="ortools",
        help="day engine of the optional polish (default: %(default)s)",
    )
    plan.add_argument(
        "--previous",
        help="last cycle's plan to re-plan from: its output folder (visits.csv) or a visits "
        "table; writes changes.csv with every change and its reason",
    )
    plan.add_argument(
        "--iterations",
        type=int,
        default=None,
        help="search rounds per rep, for reproducible plans (default: until the time limit)",
    )
    plan.add_argument(
        "--time-limit",
        type=float,
        default=60.0,
        help="seconds for the whole plan (default: %(default)s)",
    )
    plan.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    plan.add_argument("--quiet", action="store_true", help="no progress bar")
    _add_output_arguments(plan)
    plan.set_defaults(handler=_plan)

    terr = commands.add_parser(
        "territories",
        help="split customers among reps in balanced, contiguous territories",
        description="Assign every customer to one rep: balanced measures, compact and "
        "contiguous areas, dealer stores to their dealer's reps.",
    )
    terr.add_argument("--customers", required=True, help="customers table")
    terr.add_argument("--reps", required=True, help="reps table")
    terr.add_argument(
        "--balance",
        default="workload=0.05,count=0.10",
        help="measure=tolerance pairs (default: %(default)s)",
    )
    terr.add_argument("--time-limit", type=float, default=None, help="seconds (default: none)")
    terr.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    _add_output_arguments(terr)
    terr.set_defaults(handler=_territories)

    alloc = commands.add_parser(
        "allocate",
        help="split a target down a hierarchy and across months",
        description="Split a regional target level by level down a hierarchy table, then "
        "across months, with exact integer totals at every level.",
    )
    alloc.add_argument("--target", type=float, required=True, help="the top-level target")
    alloc.add_argument(
        "--hierarchy",
        required=True,
        help="table with one column per level, one row per bottom unit",
    )
    alloc.add_argument(
        "--levels",
        required=True,
        help="level columns from top to bottom, e.g. region,team,customer_id",
    )
    alloc.add_argument("--history", help="sales history: customer_id, month, sales")
    alloc.add_argument("--potential", help="column of the hierarchy table with potential")
    alloc.add_argument(
        "--methods",
        help="one method, or level=method pairs, e.g. "
        "team=history,customer_id=untapped (default: history)",
    )
    alloc.add_argument("--growth", help="growth bounds of the bottom level, e.g. --growth=-0.1,0.3")
    alloc.add_argument("--step", type=float, default=1.0, help="rounding step (default: 1)")
    alloc.add_argument(
        "--rounding",
        default="largest_remainder",
        choices=("largest_remainder", "webster", "jefferson"),
        help="rounding method (default: %(default)s)",
    )
    _add_output_arguments(alloc)
    alloc.set_defaults(handler=_allocate)

    review = commands.add_parser(
        "review",
        help="review a month: targets vs actuals, visit compliance, scorecards, audits",
        description="Compare plan and actuals and write the review tables, charts and maps.",
    )
    review.add_argument("--visits", required=True, help="planned visits (territory plan)")
    review.add_argument(
        "--log", required=True, help="executed visits: customer_id, rep_id, timestamp[, order]"
    )
    review.add_argument(
        "--customers",
        required=True,
        help="customers with rep_id, grade, visits_per_cycle and the target levels",
    )
    review.add_argument("--reps", required=True, help="reps table")
    review.add_argument("--targets", required=True, help="targets (territory allocate)")
    review.add_argument("--sales", required=True, help="sales history and actuals")
    review.add_argument("--cycle-start", required=True, help="Monday of the plan's week 1")
    review.add_argument(
        "--tolerance-days",
        type=int,
        default=1,
        help="days a visit may move and still count (default: 1)",
    )
    review.add_argument("--seed", type=int, default=0, help="seed of the audit sample")
    review.add_argument("--no-pictures", action="store_true", help="tables only")
    review.add_argument("--out", required=True, help="output folder")
    _add_force_argument(review)
    review.set_defaults(handler=_review)

    serve = commands.add_parser(
        "serve",
        help="serve the planning stages over HTTP",
        description="Serve the planning stages over HTTP (pip install 'territory[service]'); "
        "limits and the API key come from TERRITORY_* environment variables.",
    )
    serve.add_argument(
        "--host", default="127.0.0.1", help="interface to bind (default: %(default)s)"
    )
    serve.add_argument("--port", type=int, default=8000, help="TCP port (default: %(default)s)")
    serve.add_argument(
        "--insecure",
        action="store_true",
        help="allow a non-loopback --host without TERRITORY_API_KEY (only behind a proxy that "
        "authenticates)",
    )
    serve.set_defaults(handler=_serve)
    return parser


def _add_force_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace outputs that exist already (by default the command refuses and "
        "changes nothing)",
    )


def _add_output_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument(
        "--format",
        choices=("csv", "geojson", "parquet"),
        default="csv",
        help="output format (default: %(default)s)",
    )
    _add_force_argument(parser)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``territory`` command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        status: int = args.handler(args)
    except TerritoryError as exc:
        print(f"territory {args.command}: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into a program that stopped reading (e.g. head)
        sys.stderr.close()
        return 0
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
