"""Tests of the documentation site's sources: nav, API coverage, README links, CLI reference.

The full ``mkdocs build --strict`` runs in CI (``.ci/run``); these checks are fast and say
which page or module is missing.
"""

from __future__ import annotations

import importlib.util
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import territory

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def _config() -> dict[str, Any]:
    config: dict[str, Any] = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    return config


def _nav_files(nav: object) -> Iterator[str]:
    if isinstance(nav, str):
        yield nav
    elif isinstance(nav, list):
        for item in nav:
            yield from _nav_files(item)
    elif isinstance(nav, dict):
        for value in nav.values():
            yield from _nav_files(value)


def test_every_nav_page_exists() -> None:
    """Each page named in the nav is a file in docs/ or the notebook the hook adds."""
    pages = list(_nav_files(_config()["nav"]))
    assert "concepts.md" in pages and "walkthrough.ipynb" in pages
    missing = [p for p in pages if not (DOCS / p).exists() and p != "walkthrough.ipynb"]
    assert missing == []
    assert (ROOT / "notebooks" / "walkthrough.ipynb").exists()


def test_every_public_package_has_an_api_page() -> None:
    """Every public module or package of territory is rendered by a ``:::`` directive."""
    text = "\n".join(p.read_text() for p in DOCS.rglob("*.md"))
    documented = set(re.findall(r"^::: (territory[\w.]*)", text, flags=re.MULTILINE))
    public = {
        f"territory.{m.name}"
        for m in pkgutil.iter_modules(territory.__path__)
        if not m.name.startswith("_") and m.name not in ("cli",)
    }
    assert public - documented == set()


def test_readme_links_every_site_page() -> None:
    """The README's Documentation section links each page of the nav."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Documentation", 1)[1].split("\n## ", 1)[0]
    links = set(re.findall(r"\]\(([^)]+)\)", section))
    for page in _nav_files(_config()["nav"]):
        if page == "walkthrough.ipynb":
            assert "notebooks/walkthrough.ipynb" in links
        elif page == "changelog.md":
            assert "CHANGELOG.md" in links
        else:
            assert f"docs/{page}" in links, page


def test_cli_reference_covers_every_subcommand() -> None:
    """The generated CLI reference has a section with the usage of every subcommand."""
    pytest.importorskip("mkdocs")
    spec = importlib.util.spec_from_file_location("territory_docs_hooks", DOCS / "_hooks.py")
    assert spec is not None and spec.loader is not None
    hooks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hooks)
    text = hooks.cli_reference()
    from territory.cli import build_parser

    parser = build_parser()
    names = [
        name
        for action in parser._actions
        if hasattr(action, "choices") and isinstance(action.choices, dict)
        for name in action.choices
    ]
    assert {"demo", "plan", "territories", "review"} <= set(names)
    for name in names:
        assert f"## territory {name}" in text
        assert f"usage: territory {name}" in text


def test_changelog_keeps_a_changelog_shape() -> None:
    """CHANGELOG.md has Unreleased and 0.1.0 sections, and the site includes it."""
    text = (ROOT / "CHANGELOG.md").read_text()
    assert "## [Unreleased]" in text and "## [0.1.0]" in text
    assert '--8<-- "CHANGELOG.md"' in (DOCS / "changelog.md").read_text()
