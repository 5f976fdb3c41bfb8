"""Command-line interface: ``territory --help`` lists the commands.

The CLI is a thin layer over the library's functions. A user error (bad input)
prints the validation message and exits with status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from territory.errors import TerritoryError

__all__ = ["main"]


def _demo(args: argparse.Namespace) -> int:
    from territory.demo import run_demo

    result = run_demo(args.out, n_customers=args.customers, seed=args.seed)
    print(result.summary())
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
    demo.set_defaults(handler=_demo)
    return parser


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
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
