"""docs/concepts.md lists every column the code reads or writes.

Columns are gathered three ways, so that a new column cannot slip past:

* the column constants the validators and results use (every module-level ``*COLUMNS``
  sequence of names in the library, the HTTP service's database aside);
* the input columns the table validators accept (the names in ``territory.tables``'
  module docstring, which documents them);
* every column of every table the demo reads and writes (the sample region, each stage's
  outputs and the review's tables).
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import pandas as pd
import pytest

import territory
from territory.demo import run_demo
from territory.io import read_table

CONCEPTS = Path(__file__).resolve().parents[1] / "docs" / "concepts.md"


def documented_columns() -> set[str]:
    """Names in the first cell of the Markdown tables of concepts.md (`name` in backticks)."""
    names: set[str] = set()
    for line in CONCEPTS.read_text(encoding="utf-8").splitlines():
        if not line.startswith("| `"):
            continue
        first_cell = line.split("|")[1]
        names.update(re.findall(r"`([A-Za-z_<>][\w<>]*)`", first_cell))
    return names


def _expand(name: str, documented: set[str]) -> bool:
    """Whether ``name`` is documented, directly or by a ``<placeholder>`` pattern."""
    if name in documented:
        return True
    for pattern in (d for d in documented if "<" in d):
        regex = re.sub(
            r"<\w+>", r"\\w+", re.escape(pattern).replace(r"\<", "<").replace(r"\>", ">")
        )
        if re.fullmatch(regex, name):
            return True
    return False


def constant_columns() -> dict[str, str]:
    """Column name -> where it is defined, from every ``*COLUMNS`` constant of the library."""
    found: dict[str, str] = {}
    for info in pkgutil.walk_packages(territory.__path__, "territory."):
        if info.name.startswith("territory.service") or info.name.endswith("__main__"):
            continue  # the service's ``_COLUMNS`` are SQL columns of its job store
        module = importlib.import_module(info.name)
        for attribute, value in vars(module).items():
            if not attribute.endswith("COLUMNS") or not isinstance(value, tuple | list):
                continue
            if all(isinstance(v, str) for v in value):
                for column in value:
                    found.setdefault(column, f"{info.name}.{attribute}")
    return found


def validator_columns() -> set[str]:
    """The input columns ``territory.tables`` documents (``name`` in its docstring)."""
    import territory.tables

    doc = territory.tables.__doc__ or ""
    schema = doc.split("Each ``validate_*``")[0]
    return {
        name
        for name in re.findall(r"``([a-z][a-z0-9_]*)``", schema)
        if name not in ("customers", "reps", "dealers")  # the table names themselves
    }


def test_the_page_documents_the_input_tables() -> None:
    """concepts.md has a section for each input table and each output file."""
    text = CONCEPTS.read_text(encoding="utf-8")
    for heading in ("### customers", "### reps", "### dealers", "### sales", "### visit log"):
        assert heading in text
    for heading in ("### grades", "### targets", "### review tables"):
        assert heading in text
    for new in ("supervisor_id", "key_account", "min_visits_per_day", "product_line"):
        assert new in documented_columns()


def test_every_column_constant_is_documented() -> None:
    """Every column of every ``*COLUMNS`` constant is listed in concepts.md."""
    documented = documented_columns()
    missing = {c: where for c, where in constant_columns().items() if not _expand(c, documented)}
    assert not missing, f"add to docs/concepts.md: {missing}"


def test_every_validated_input_column_is_documented() -> None:
    """Every input column the table validators accept is listed in concepts.md."""
    documented = documented_columns()
    missing = sorted(c for c in validator_columns() if not _expand(c, documented))
    assert not missing, f"add to docs/concepts.md: {missing}"


@pytest.fixture(scope="module")
def demo_tables(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    """Every table the demo reads and writes, by file name."""
    folder = tmp_path_factory.mktemp("demo")
    run_demo(folder, n_customers=60, time_limit=2)
    return {
        str(path.relative_to(folder)): read_table(path)
        for path in sorted(folder.rglob("*"))
        if path.suffix in (".csv", ".parquet", ".geojson")
    }


def test_every_column_of_the_demo_is_documented(demo_tables: dict[str, pd.DataFrame]) -> None:
    """Every column of every table of the pipeline is listed in concepts.md."""
    documented = documented_columns()
    assert len(demo_tables) >= 20
    missing = {
        f"{name}: {column}"
        for name, table in demo_tables.items()
        for column in table.columns
        if not _expand(str(column), documented)
    }
    assert not missing, f"add to docs/concepts.md: {sorted(missing)}"


def test_an_undocumented_column_is_caught() -> None:
    """The check is not vacuous: a made-up column is not documented, a pattern matches."""
    documented = documented_columns()
    assert not _expand("colour_of_the_door", documented)
    assert _expand("score_achievement", documented)
    assert _expand("turnover_points", documented)  # <attribute>_points
