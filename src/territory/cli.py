"""Command-line interface: ``territory --help`` lists the commands.

The CLI is a thin layer over the library's functions, with the library's vocabulary
(``docs/concepts.md``): the same table names, column names and defaults.

No dead ends. A user error -- a bad flag value, an unreadable or malformed input
file, a table that fails validation, outputs that exist already, an output folder
that is a file -- prints one message naming what is wrong and exits with status 2,
never a traceback. Global flags (``-v``, ``--version``) are accepted before or after the
subcommand. An unexpected error (a bug) prints one line and exits with status 1; ``-v``
shows its traceback.

Outputs are written all or nothing (:class:`territory.io.OutputSet`): a command that
fails leaves the output folder exactly as it was, and no command replaces an existing
file unless ``--force`` is given. Output names are checked before the work starts, so a
refusal comes at once. Every stage writes the same file names
(:data:`territory.io.OUTPUT_NAMES`) whether ``territory demo`` or its own subcommand
writes them; ``--format`` picks the suffix.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from territory import __version__
from territory.errors import TerritoryError, ValidationError
from territory.io import FORMATS, OUTPUT_NAMES, TABLE_FORMATS

if TYPE_CHECKING:
    import pandas as pd

    from territory.io import OutputSet

__all__ = ["build_parser", "main"]

logger = logging.getLogger("territory")

#: Formats that carry geometry: located tables get points, territories polygons,
#: routes lines.
GEO_FORMATS = ("parquet", "geoparquet", "geojson", "gpkg")

#: Default balance of ``territory territories`` when the customers carry a workload
#: (or the visit requirements to estimate it) and otherwise.
BALANCE_WITH_WORKLOAD = "workload=0.05,count=0.10"
BALANCE_WITHOUT_WORKLOAD = "potential=0.05,count=0.10"


# -- argument types: a bad value is an argparse error (usage line, exit 2) ------------------


def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def _positive_int(text: str) -> int:
    value = _whole(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}")
    return value


def _non_negative_int(text: str) -> int:
    value = _whole(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected 0 or more, got {text!r}")
    return value


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def _positive_number(text: str) -> float:
    value = _number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def _growth(text: str) -> tuple[float, float]:
    """``LOW,HIGH`` growth bounds, e.g. ``-0.1,0.3``."""
    parts = [part.strip() for part in text.split(",")]
    if len(parts) != 2:
        raise argparse.ArgumentTypeError(
            f"expected LOW,HIGH growth bounds such as --growth=-0.1,0.3, got {text!r}"
        )
    low, high = (_number(part) for part in parts)
    if low > high:
        raise argparse.ArgumentTypeError(f"LOW must not exceed HIGH, got {text!r}")
    return low, high


def _balance(text: str) -> dict[str, float]:
    """``measure=tolerance`` pairs, e.g. ``workload=0.05,count=0.10``."""
    balance: dict[str, float] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        measure, sep, tolerance = part.partition("=")
        if not measure.strip() or not sep:
            raise argparse.ArgumentTypeError(
                f"expected measure=tolerance pairs such as workload=0.05,count=0.10, got {part!r}"
            )
        try:
            value = float(tolerance)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"tolerance of {measure.strip()!r} must be a number such as 0.05, got {tolerance!r}"
            ) from None
        if not 0 <= value < 1:
            raise argparse.ArgumentTypeError(
                f"tolerance of {measure.strip()!r} must be a share from 0 to 1, got {value}"
            )
        balance[measure.strip()] = value
    if not balance:
        raise argparse.ArgumentTypeError("give at least one measure=tolerance pair")
    return balance


def _port(text: str) -> int:
    """A TCP port number, 0 to 65535."""
    port = _non_negative_int(text)
    if port > 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 0 to 65535, got {text!r}")
    return port


def _names(text: str) -> list[str]:
    """A comma-separated list of names (levels, months)."""
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names:
        raise argparse.ArgumentTypeError(f"expected a comma-separated list, got {text!r}")
    return names


def _methods(text: str) -> str | dict[str, str]:
    """``"history"`` or ``"team=history,customer_id=untapped"``."""
    from territory.allocation import METHODS

    def known(method: str) -> str:
        if method not in METHODS:
            raise argparse.ArgumentTypeError(
                f"unknown method {method!r}; use one of {', '.join(METHODS)}"
            )
        return method

    if "=" not in text:
        return known(text.strip())
    methods: dict[str, str] = {}
    for part in (p.strip() for p in text.split(",") if p.strip()):
        level, sep, method = part.partition("=")
        if not sep or not level.strip() or not method.strip():
            raise argparse.ArgumentTypeError(
                f"expected level=method pairs such as team=history,customer_id=untapped, "
                f"got {part!r}"
            )
        methods[level.strip()] = known(method.strip())
    return methods


def _measure(text: str) -> tuple[str, float, str]:
    """``NAME=TARGET[:COLUMN]``, e.g. ``value=1000000`` or ``quantity=5000:quantity``."""
    name, sep, rest = text.partition("=")
    target, _, column = rest.partition(":")
    if not sep or not name.strip() or not target.strip():
        raise argparse.ArgumentTypeError(
            f"expected NAME=TARGET[:COLUMN] such as value=1000000 or quantity=5000:quantity, "
            f"got {text!r}"
        )
    value = _number(target.strip())
    if value < 0:
        raise argparse.ArgumentTypeError(f"target of {name.strip()!r} must be 0 or more")
    return name.strip(), value, column.strip() or "sales"


def _market_share(text: str) -> tuple[str, float, str, str]:
    """``NAME=SHARE:MARKET[:COLUMN]``, e.g. ``share=0.25:market_size``."""
    name, sep, rest = text.partition("=")
    parts = [p.strip() for p in rest.split(":")]
    if not sep or not name.strip() or len(parts) not in (2, 3) or not all(parts):
        raise argparse.ArgumentTypeError(
            f"expected NAME=SHARE:MARKET[:COLUMN] such as share=0.25:market_size, got {text!r}"
        )
    share = _number(parts[0])
    if not 0 < share <= 1:
        raise argparse.ArgumentTypeError(
            f"market share of {name.strip()!r} must lie in (0, 1], got {parts[0]!r}"
        )
    return name.strip(), share, parts[1], parts[2] if len(parts) == 3 else "sales"


def _new_product(text: str) -> tuple[str, float, str | None]:
    """``NAME=SHARE[:LIKE]``, e.g. ``soda=0.1`` or ``soda=0.1:juice``."""
    name, sep, rest = text.partition("=")
    share, _, like = rest.partition(":")
    if not sep or not name.strip() or not share.strip():
        raise argparse.ArgumentTypeError(
            f"expected NAME=SHARE[:LIKE] such as soda=0.1 or soda=0.1:juice, got {text!r}"
        )
    value = _number(share.strip())
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(
            f"share of new product {name.strip()!r} must lie in [0, 1), got {share.strip()!r}"
        )
    return name.strip(), value, like.strip() or None


class _DeprecatedFlag(argparse.Action):
    """An old flag name: works as before, with a note on stderr naming the new one."""

    def __init__(self, *args: Any, new: str, **kwargs: Any) -> None:
        self.new = new
        super().__init__(*args, **kwargs)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        print(f"{parser.prog}: {option_string} is deprecated; use {self.new}", file=sys.stderr)
        setattr(namespace, self.dest, values)


# -- outputs --------------------------------------------------------------------------------


def _out_dir(args: argparse.Namespace) -> Path:
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise ValidationError(f"--out {out}: exists and is not a folder; name a folder")
    return out


def _file_names(stage: str, fmt: str, *, extra: Sequence[str] = ()) -> list[str]:
    """The files ``stage`` writes in format ``fmt`` (routes only where geometry fits)."""
    stems = [*OUTPUT_NAMES[stage], *extra]
    if fmt not in GEO_FORMATS:
        stems = [s for s in stems if s != "routes"]
    return [f"{stem}{FORMATS[fmt]}" for stem in stems]


def _check_outputs(args: argparse.Namespace, names: Sequence[str]) -> None:
    """Refuse at once when outputs exist (before any work), unless ``--force``."""
    from territory.io import check_not_existing

    out = _out_dir(args)
    check_not_existing([out / name for name in names], overwrite=args.force)


def _located(table: pd.DataFrame, customers: pd.DataFrame, fmt: str) -> pd.DataFrame:
    """``table`` with the customers' ``lon``/``lat`` when ``fmt`` holds geometry."""
    if fmt not in GEO_FORMATS or "customer_id" not in table.columns:
        return table
    if {"lon", "lat"} <= set(table.columns) or not {"lon", "lat"} <= set(customers.columns):
        return table
    where = customers[["customer_id", "lon", "lat"]].drop_duplicates("customer_id")
    return table.merge(where, on="customer_id", how="left")


def _write_outputs(outputs: OutputSet, tables: Mapping[str, pd.DataFrame], fmt: str) -> None:
    for name, table in tables.items():
        outputs.table(table, f"{name}{FORMATS[fmt]}")


def _report_written(outputs: OutputSet) -> None:
    for path in outputs.written:
        print(f"wrote {path}")


def _read(path: str, flag: str) -> pd.DataFrame:
    """Read the table given by ``flag``; errors name the flag."""
    from territory.io import read_table

    try:
        return read_table(path)
    except ValidationError as error:
        raise ValidationError(f"{flag}: {error}") from None


# -- commands -------------------------------------------------------------------------------


def _demo(args: argparse.Namespace) -> int:
    from territory.demo import run_demo
    from territory.progress import terminal_progress

    result = run_demo(
        args.out,
        n_customers=args.n_customers,
        seed=args.seed,
        time_limit=args.time_limit,
        overwrite=args.force,
        progress=terminal_progress("demo", quiet=args.quiet, unit="stage"),
    )
    print(result.summary())
    return 0


def _grade(args: argparse.Namespace) -> int:
    from territory.grading import ParetoABC, RelationshipPotentialMatrix, RFMGrading, VisitPolicy
    from territory.io import OutputSet

    _check_outputs(args, _file_names("grade", args.format))
    customers = _read(args.customers, "--customers")
    sales = _read(args.sales, "--sales") if args.sales else None
    if args.scheme in ("pareto", "rfm") and sales is None:
        raise ValidationError(f"--scheme {args.scheme} needs --sales (customer_id, month, sales)")
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
        grades = RFMGrading().grade(customers, sales)
    requirements = VisitPolicy.default().requirements(grades)
    print(grades.summary())
    tables = {"grades": grades.to_frame(), "visit_requirements": requirements}
    with OutputSet(args.out, overwrite=args.force) as outputs:
        _write_outputs(
            outputs,
            {name: _located(t, customers, args.format) for name, t in tables.items()},
            args.format,
        )
    _report_written(outputs)
    return 0


def _allocate(args: argparse.Namespace) -> int:
    from territory.allocation import Bounds, allocate
    from territory.io import OutputSet

    _check_outputs(args, _file_names("allocate", args.format))
    hierarchy = _read(args.hierarchy, "--hierarchy")
    sales = _read(args.sales, "--sales") if args.sales else None
    levels: list[str] = args.levels
    bounds = {levels[-1]: Bounds(growth=args.growth)} if args.growth else None
    months: int | list[str] | None = args.year if args.year is not None else args.months
    allocation = allocate(
        args.target,
        hierarchy,
        levels=levels,
        sales=sales,
        potential=args.potential,
        methods=args.methods,
        bounds=bounds,
        months=months,
        step=args.step,
        rounding=args.rounding,
        crossing=args.crossing or (),
    )
    print(allocation.summary())
    with OutputSet(args.out, overwrite=args.force) as outputs:
        _write_outputs(outputs, {"targets": allocation.to_frame()}, args.format)
    _report_written(outputs)
    return 0


def _allocate_plan(args: argparse.Namespace) -> int:
    from territory.allocation import Measure, NewProduct, allocate_plan
    from territory.io import OutputSet

    _check_outputs(args, _file_names("allocate", args.format, extra=["target_lines"]))
    if not args.measure and not args.market_share:
        raise ValidationError("give at least one --measure NAME=TARGET or --market-share")
    if args.new_product and args.product_column is None:
        raise ValidationError("--new-product needs --product-column (the sales column of lines)")
    hierarchy = _read(args.hierarchy, "--hierarchy")
    sales = _read(args.sales, "--sales") if args.sales else None
    measures = [
        Measure(name, target, column=column, step=args.step)
        for name, target, column in args.measure or ()
    ]
    measures += [
        Measure(name, share=share, market=market, column=column, step=args.step)
        for name, share, market, column in args.market_share or ()
    ]
    months: int | list[str] | None = args.year if args.year is not None else args.months
    plan = allocate_plan(
        hierarchy,
        levels=args.levels,
        measures=measures,
        sales=sales,
        product_column=args.product_column,
        new_products=[
            NewProduct(name, share=share, like=like) for name, share, like in args.new_product or ()
        ],
        potential=args.potential,
        methods=args.methods,
        months=months,
        rounding=args.rounding,
        crossing=args.crossing or (),
    )
    print(plan.summary())
    tables = {"targets": plan.to_frame(), "target_lines": plan.lines}
    with OutputSet(args.out, overwrite=args.force) as outputs:
        _write_outputs(outputs, tables, args.format)
    _report_written(outputs)
    return 0


def _plan(args: argparse.Namespace) -> int:
    from territory.io import OutputSet
    from territory.progress import terminal_progress
    from territory.routing import Cycle, PlanOptions, plan_routes

    fmt = args.format
    extra = ["changes"] if args.previous is not None else []
    _check_outputs(args, _file_names("plan", fmt, extra=extra))
    customers = _read(args.customers, "--customers")
    reps = _read(args.reps, "--reps")
    previous = None
    if args.previous is not None:
        source = Path(args.previous)
        previous = _read(str(_previous_visits(source)), "--previous")
    plan = plan_routes(
        customers,
        reps,
        cycle=Cycle(weeks=args.weeks, days=args.days),
        engine=args.engine,
        time_limit=args.time_limit,
        seed=args.seed,
        progress=terminal_progress("planning reps", quiet=args.quiet, unit="rep"),
        options=PlanOptions(iterations=args.iterations),
        previous=previous,
    )
    print(plan.summary())
    tables = {
        "visits": _located(plan.to_frame(), customers, fmt),
        "days": plan.days.round(2),  # minutes to 0.01, km to 10 m: no float noise
        "unplanned": _located(plan.unplanned, customers, fmt),
    }
    if previous is not None:
        print(plan.change_summary(previous))
        tables["changes"] = plan.changes(previous)
    with OutputSet(args.out, overwrite=args.force) as outputs:
        _write_outputs(outputs, tables, fmt)
        if fmt in GEO_FORMATS:
            outputs.table(plan.to_geodataframe(), f"routes{FORMATS[fmt]}")
    _report_written(outputs)
    return 0


def _previous_visits(source: Path) -> Path:
    """The visits table of a previous plan: a file, or a folder's ``visits.*``."""
    if not source.is_dir():
        return source
    for suffix in FORMATS.values():
        candidate = source / f"visits{suffix}"
        if candidate.exists():
            return candidate
    raise ValidationError(f"--previous {source}: the folder has no visits table (visits.csv)")


def _territories(args: argparse.Namespace) -> int:
    from territory.io import OutputSet
    from territory.progress import terminal_progress
    from territory.territories import design_territories

    fmt = args.format
    _check_outputs(args, _file_names("territories", fmt))
    customers = _read(args.customers, "--customers")
    reps = _read(args.reps, "--reps")
    balance: dict[str, float] = args.balance or _default_balance(customers)
    plan = design_territories(
        customers,
        reps,
        balance=balance,
        seed=args.seed,
        time_limit=args.time_limit,
        progress=terminal_progress("designing territories", quiet=args.quiet, unit="part"),
    )
    print(plan.summary())
    territories = plan.to_geodataframe() if fmt in GEO_FORMATS else plan.territories
    with OutputSet(args.out, overwrite=args.force) as outputs:
        _write_outputs(
            outputs,
            {"assignment": _located(plan.to_frame(), customers, fmt), "territories": territories},
            fmt,
        )
    _report_written(outputs)
    return 0


def _default_balance(customers: pd.DataFrame) -> dict[str, float]:
    """Workload and count when the workload is known or can be estimated, else potential."""
    columns = set(customers.columns)
    if "workload" in columns or {"visits_per_cycle", "service_minutes"} <= columns:
        text = BALANCE_WITH_WORKLOAD
    elif "potential" in columns:
        text = BALANCE_WITHOUT_WORKLOAD
    else:
        text = "count=0.10"
    logger.info("balancing %s (pass --balance to choose)", text)
    return _balance(text)


def _review(args: argparse.Namespace) -> int:
    from territory.io import OutputSet
    from territory.review import write_review

    out = _out_dir(args)  # the review's file names are known only once it is written
    visits = _read(args.visits, "--visits")
    visit_log = _read(args.log, "--log")
    customers = _read(args.customers, "--customers")
    reps = _read(args.reps, "--reps")
    targets = _read(args.targets, "--targets")
    sales = _read(args.sales, "--sales")
    with OutputSet(out, overwrite=args.force) as outputs:
        report = write_review(
            outputs.folder(),
            visits=visits,
            visit_log=visit_log,
            customers=customers,
            reps=reps,
            targets=targets,
            sales=sales,
            cycle_start=args.cycle_start,
            seed=args.seed,
            tolerance_days=args.tolerance_days,
            year=args.year,
            pictures=not args.no_pictures,
        )
    print(dataclasses.replace(report, out_dir=out).summary())  # not the staging folder
    return 0


def _serve(args: argparse.Namespace) -> int:
    from territory.service import serve
    from territory.service.config import ServiceConfig

    serve(args.host, args.port, config=ServiceConfig.from_env(), insecure=args.insecure)
    return 0


# -- the parser -----------------------------------------------------------------------------


def _global_flags(*, in_subcommand: bool) -> argparse.ArgumentParser:
    """Flags accepted before and after the subcommand.

    In a subcommand the default is ``SUPPRESS``, so that a flag given before the
    subcommand is not reset by the subcommand's own default.
    """
    flags = argparse.ArgumentParser(add_help=False)
    flags.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=argparse.SUPPRESS if in_subcommand else False,
        help="log progress to stderr; show the traceback of an unexpected error",
    )
    flags.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=argparse.SUPPRESS if in_subcommand else False,
        help="no progress bars (they show only on a terminal anyway)",
    )
    return flags


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``territory`` command."""
    parser = argparse.ArgumentParser(
        prog="territory",
        description="Sales territory and route planning: grading, territories, routing, "
        "target allocation and review. Tables and columns: docs/concepts.md.",
        parents=[_global_flags(in_subcommand=False)],
    )
    parser.add_argument("--version", action="version", version=f"territory {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    flags = [_global_flags(in_subcommand=True)]

    def command(name: str, **kwargs: Any) -> argparse.ArgumentParser:
        sub: argparse.ArgumentParser = commands.add_parser(name, parents=flags, **kwargs)
        return sub

    _demo_parser(command)
    _grade_parser(command)
    _plan_parser(command)
    _territories_parser(command)
    _allocate_parser(command)
    _allocate_plan_parser(command)
    _review_parser(command)
    _serve_parser(command)
    return parser


def _demo_parser(command: Any) -> None:
    demo = command(
        "demo",
        help="run every stage on the embedded sample region",
        description="Run every stage on the embedded sample region "
        "and write tables, charts and maps to an output folder.",
    )
    demo.add_argument("--out", default="demo-output", help="output folder (default: %(default)s)")
    demo.add_argument(
        "--n-customers",
        type=_positive_int,
        default=2000,
        help="number of customers in the sample region (default: %(default)s)",
    )
    demo.add_argument(
        "--customers",
        dest="n_customers",
        type=_positive_int,
        action=_DeprecatedFlag,
        new="--n-customers",
        help=argparse.SUPPRESS,
    )
    demo.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    demo.add_argument(
        "--time-limit",
        type=_positive_number,
        default=60.0,
        help="seconds for route planning (default: %(default)s)",
    )
    demo.add_argument(
        "--route-seconds",
        dest="time_limit",
        type=_positive_number,
        action=_DeprecatedFlag,
        new="--time-limit",
        help=argparse.SUPPRESS,
    )
    _add_force_argument(demo)
    demo.set_defaults(handler=_demo)


def _grade_parser(command: Any) -> None:
    grade = command(
        "grade",
        help="grade customers A-D and derive visit requirements",
        description="Grade customers and write grades and visit requirements.",
    )
    grade.add_argument("--customers", required=True, help="customers table file")
    grade.add_argument("--sales", help="sales table file: customer_id, month, sales")
    grade.add_argument(
        "--scheme",
        choices=("matrix", "pareto", "rfm"),
        default="matrix",
        help="grading scheme (default: %(default)s)",
    )
    grade.add_argument(
        "--good-relationship",
        type=_number,
        default=4.0,
        help="matrix: relationship score that counts as good (default: %(default)s)",
    )
    grade.add_argument(
        "--high-potential-quantile",
        type=_number,
        default=0.7,
        help="matrix: potential quantile that counts as high (default: %(default)s)",
    )
    _add_output_arguments(grade, tuple(FORMATS))
    grade.set_defaults(handler=_grade)


def _plan_parser(command: Any) -> None:
    plan = command(
        "plan",
        help="plan each rep's repeating visit cycle",
        description="Plan each rep's repeating visit cycle: which customers on which day, "
        "in which order. Customers need visits_per_cycle and service_minutes (see "
        "'territory grade'); reps need home_lon/home_lat.",
    )
    plan.add_argument("--customers", required=True, help="customers table file")
    plan.add_argument("--reps", required=True, help="reps table file")
    plan.add_argument(
        "--weeks", type=_positive_int, default=4, help="weeks in the cycle (default: 4)"
    )
    plan.add_argument(
        "--days", type=_positive_int, default=5, help="working days a week (default: 5)"
    )
    plan.add_argument(
        "--engine",
        choices=("ortools", "pyvrp", "local"),
        default="ortools",
        help="day engine of the optional polish (default: %(default)s)",
    )
    plan.add_argument(
        "--previous",
        help="last cycle's plan to re-plan from: its output folder (visits.csv) or a visits "
        "table; writes changes with every change and its reason",
    )
    plan.add_argument(
        "--iterations",
        type=_positive_int,
        default=None,
        help="search rounds per rep, for reproducible plans (default: until the time limit)",
    )
    plan.add_argument(
        "--time-limit",
        type=_positive_number,
        default=60.0,
        help="seconds for the whole plan (default: %(default)s)",
    )
    plan.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    _add_output_arguments(plan, tuple(FORMATS))
    plan.set_defaults(handler=_plan)


def _territories_parser(command: Any) -> None:
    terr = command(
        "territories",
        help="split customers among reps in balanced, contiguous territories",
        description="Assign every customer to one rep: balanced measures, compact and "
        "contiguous areas, dealer stores to their dealer's reps.",
    )
    terr.add_argument("--customers", required=True, help="customers table file")
    terr.add_argument("--reps", required=True, help="reps table file")
    terr.add_argument(
        "--balance",
        type=_balance,
        default=None,
        help=f"measure=tolerance pairs (default: {BALANCE_WITH_WORKLOAD} when the customers "
        "have workload or visits_per_cycle and service_minutes, else "
        f"{BALANCE_WITHOUT_WORKLOAD})",
    )
    terr.add_argument(
        "--time-limit", type=_positive_number, default=None, help="seconds (default: none)"
    )
    terr.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    _add_output_arguments(terr, tuple(FORMATS))
    terr.set_defaults(handler=_territories)


def _allocate_parser(command: Any) -> None:
    alloc = command(
        "allocate",
        help="split a target down a hierarchy and across months",
        description="Split a regional target level by level down a hierarchy table, then "
        "across months, with exact integer totals at every level.",
    )
    alloc.add_argument("--target", type=_positive_number, required=True, help="the target")
    alloc.add_argument(
        "--hierarchy",
        required=True,
        help="table file with one column per level, one row per bottom unit",
    )
    alloc.add_argument(
        "--levels",
        type=_names,
        required=True,
        help="level columns from top to bottom, e.g. region,team,customer_id",
    )
    alloc.add_argument("--sales", help="sales table file: customer_id, month, sales")
    alloc.add_argument(
        "--history",
        dest="sales",
        action=_DeprecatedFlag,
        new="--sales",
        help=argparse.SUPPRESS,
    )
    alloc.add_argument("--potential", help="column of the hierarchy table with potential")
    alloc.add_argument(
        "--crossing",
        type=_names,
        help="levels whose units sit under several parents, e.g. rep_id for a company rep "
        "serving stores of two dealers (allocated on parent/unit pairs)",
    )
    alloc.add_argument(
        "--methods",
        type=_methods,
        default="history",
        help="one method, or level=method pairs, e.g. "
        "team=history,customer_id=untapped (default: %(default)s)",
    )
    alloc.add_argument(
        "--growth", type=_growth, help="growth bounds of the bottom level, e.g. --growth=-0.1,0.3"
    )
    when = alloc.add_mutually_exclusive_group()
    when.add_argument(
        "--year",
        type=_positive_int,
        help="plan the 12 months of this calendar year "
        "(default: the 12 months after the last sales month)",
    )
    when.add_argument("--months", type=_names, help="plan months, e.g. 2027-01,2027-02")
    alloc.add_argument("--step", type=_positive_number, default=1.0, help="rounding step (1)")
    alloc.add_argument(
        "--rounding",
        default="largest_remainder",
        choices=("largest_remainder", "webster", "jefferson"),
        help="rounding method (default: %(default)s)",
    )
    _add_output_arguments(alloc, TABLE_FORMATS)
    alloc.set_defaults(handler=_allocate)


def _allocate_plan_parser(command: Any) -> None:
    plan = command(
        "allocate-plan",
        help="split targets of several measures and product lines down a hierarchy",
        description="Split targets for several measures (value, quantity, market share) "
        "and product lines, with new products, down a hierarchy table and across months, "
        "with exact totals at every level (territory.allocation.allocate_plan). Writes "
        "targets (with measure and product_line) and target_lines (each line's total).",
    )
    plan.add_argument(
        "--measure",
        type=_measure,
        action="append",
        help="NAME=TARGET[:COLUMN], repeatable: a measure, its total and its sales column "
        "(default sales), e.g. --measure value=1000000 --measure quantity=5000:quantity",
    )
    plan.add_argument(
        "--market-share",
        type=_market_share,
        action="append",
        help="NAME=SHARE:MARKET[:COLUMN], repeatable: a market-share target in (0, 1] of the "
        "market size in hierarchy column MARKET, e.g. share=0.25:market_size",
    )
    plan.add_argument(
        "--hierarchy",
        required=True,
        help="table file with one column per level, one row per bottom unit",
    )
    plan.add_argument(
        "--levels",
        type=_names,
        required=True,
        help="level columns from top to bottom, e.g. region,team,customer_id",
    )
    plan.add_argument(
        "--sales", help="sales table file: customer_id, month and a column per measure"
    )
    plan.add_argument(
        "--product-column",
        help="sales column naming the product line (default: no product dimension)",
    )
    plan.add_argument(
        "--new-product",
        type=_new_product,
        action="append",
        help="NAME=SHARE[:LIKE], repeatable: a line without history taking SHARE of every "
        "measure, spread like line LIKE (default: all lines), e.g. soda=0.1:juice",
    )
    plan.add_argument("--potential", help="column of the hierarchy table with potential")
    plan.add_argument(
        "--crossing",
        type=_names,
        help="levels whose units sit under several parents (allocated on parent/unit pairs)",
    )
    plan.add_argument(
        "--methods",
        type=_methods,
        default="history",
        help="one method, or level=method pairs (default: %(default)s)",
    )
    when = plan.add_mutually_exclusive_group()
    when.add_argument(
        "--year",
        type=_positive_int,
        help="plan the 12 months of this calendar year "
        "(default: the 12 months after the last sales month)",
    )
    when.add_argument("--months", type=_names, help="plan months, e.g. 2027-01,2027-02")
    plan.add_argument(
        "--step", type=_positive_number, default=1.0, help="rounding step of every measure (1)"
    )
    plan.add_argument(
        "--rounding",
        default="largest_remainder",
        choices=("largest_remainder", "webster", "jefferson"),
        help="rounding method (default: %(default)s)",
    )
    _add_output_arguments(plan, TABLE_FORMATS)
    plan.set_defaults(handler=_allocate_plan)


def _review_parser(command: Any) -> None:
    review = command(
        "review",
        help="review a month: targets vs actuals, visit compliance, scorecards, audits",
        description="Compare plan and actuals and write the review tables, charts and maps.",
    )
    review.add_argument("--visits", required=True, help="planned visits (territory plan)")
    review.add_argument(
        "--log",
        required=True,
        help="visit log: executed visits customer_id, rep_id, timestamp[, order]",
    )
    review.add_argument(
        "--customers",
        required=True,
        help="customers with rep_id, grade, visits_per_cycle and the target levels",
    )
    review.add_argument("--reps", required=True, help="reps table file")
    review.add_argument("--targets", required=True, help="targets (territory allocate)")
    review.add_argument("--sales", required=True, help="sales table: history and actuals")
    review.add_argument("--cycle-start", required=True, help="Monday of the plan's week 1")
    review.add_argument(
        "--year",
        type=_positive_int,
        default=None,
        help="plan year of the targets (default: the year of the monthly targets)",
    )
    review.add_argument(
        "--tolerance-days",
        type=_non_negative_int,
        default=0,
        help="days a visit may move and still count as on plan (default: 0)",
    )
    review.add_argument("--seed", type=int, default=0, help="seed of the audit sample")
    review.add_argument("--no-pictures", action="store_true", help="tables only")
    review.add_argument("--out", required=True, help="output folder")
    _add_force_argument(review)
    review.set_defaults(handler=_review)


def _serve_parser(command: Any) -> None:
    serve = command(
        "serve",
        help="serve the planning stages over HTTP",
        description="Serve the planning stages over HTTP (pip install 'territory[service]'); "
        "limits and the API key come from TERRITORY_* environment variables.",
    )
    serve.add_argument(
        "--host", default="127.0.0.1", help="interface to bind (default: %(default)s)"
    )
    serve.add_argument("--port", type=_port, default=8000, help="TCP port (default: %(default)s)")
    serve.add_argument(
        "--insecure",
        action="store_true",
        help="allow a non-loopback --host without TERRITORY_API_KEY (only behind a proxy that "
        "authenticates)",
    )
    serve.set_defaults(handler=_serve)


def _add_force_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace outputs that exist already (by default the command refuses and "
        "changes nothing)",
    )


def _add_output_arguments(parser: argparse.ArgumentParser, formats: Sequence[str]) -> None:
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument(
        "--format",
        choices=formats,
        default="csv",
        help="format of every output file (default: %(default)s); geo formats "
        f"({', '.join(f for f in formats if f in GEO_FORMATS) or 'none here'}) "
        "keep points, polygons and routes",
    )
    _add_force_argument(parser)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``territory`` command; returns the exit status.

    Parameters
    ----------
    argv
        The arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 2 on a user error (one message on stderr), 1 on an unexpected
        error (one line; ``-v`` adds the traceback).
    """
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
    except KeyboardInterrupt:
        print(f"territory {args.command}: interrupted; no output was changed", file=sys.stderr)
        return 130
    except OSError as exc:  # the system refused: permissions, disk full, ...
        print(f"territory {args.command}: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # a bug: one line, the traceback only when asked for
        if args.verbose:
            traceback.print_exc()
        print(
            f"territory {args.command}: unexpected error ({type(exc).__name__}: {exc}); "
            "please report it, with the output of the same command run with -v",
            file=sys.stderr,
        )
        return 1
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
