"""MkDocs hooks: the notebook and the command-line reference, taken from the code.

* ``notebooks/walkthrough.ipynb`` joins the site as ``walkthrough.ipynb`` (rendered by
  mkdocs-jupyter from its stored outputs, never executed at build time), so the
  notebook lives in one place.
* A page holding ``<!-- cli-reference -->`` gets the ``--help`` text of ``territory``
  and of every subcommand, from :func:`territory.cli.build_parser` itself: the
  reference cannot drift from the CLI.
"""

from __future__ import annotations

import argparse
import functools
from pathlib import Path
from typing import Any

from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "walkthrough.ipynb"
CLI_MARKER = "<!-- cli-reference -->"
HELP_WIDTH = 96


@event_priority(100)  # before mkdocs-jupyter turns notebooks into pages
def on_files(files: Files, config: Any) -> Files:
    """Add the walkthrough notebook to the site's files."""
    files.append(
        File(
            NOTEBOOK.name,
            src_dir=str(NOTEBOOK.parent),
            dest_dir=config["site_dir"],
            use_directory_urls=config["use_directory_urls"],
        )
    )
    return files


def _help(parser: argparse.ArgumentParser) -> str:
    parser.formatter_class = functools.partial(  # type: ignore[assignment]
        argparse.RawDescriptionHelpFormatter, width=HELP_WIDTH
    )
    return parser.format_help()


def cli_reference() -> str:
    """Markdown: the top-level help, then one section per subcommand."""
    from territory.cli import build_parser

    parser = build_parser()
    parts = ["## territory", "", "```text", _help(parser).rstrip(), "```", ""]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                parts += [f"## territory {name}", "", "```text", _help(sub).rstrip(), "```", ""]
    return "\n".join(parts)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Files) -> str:
    """Fill the CLI reference into the page that asks for it."""
    if CLI_MARKER in markdown:
        return markdown.replace(CLI_MARKER, cli_reference())
    return markdown
