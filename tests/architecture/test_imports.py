"""The package's shape: no import circles, private modules stay private, short entry points.

Read from the source with :mod:`ast` (nothing is imported), so a failure names the modules
and lines to look at. Imports inside functions count like those at the top of a module:
a lazy import still ties the two modules together.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "src"
PACKAGE = SOURCE / "territory"

#: Longest public function, in lines of code after its docstring.
LONGEST_PUBLIC_FUNCTION = 120


def module_name(path: Path) -> str:
    """Dotted name of a source file under ``src``."""
    parts = list(path.relative_to(SOURCE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    """Every module of the package, by dotted name."""
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imported(path: Path, name: str, known: set[str]) -> Iterator[tuple[str, int]]:
    """Modules of the package that ``path`` (module ``name``) imports, with line numbers.

    ``from a.b import c`` counts as importing ``a.b.c`` when that is a module, else
    ``a.b``; relative imports are resolved against ``name``.
    """
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                yield (full if full in known else base), node.lineno


def package_graph() -> dict[str, set[str]]:
    """Module -> modules of the package it imports (the package ``__init__`` files too)."""
    found = modules()
    known = set(found)
    graph: dict[str, set[str]] = {}
    for name, path in found.items():
        graph[name] = {
            target
            for target, _ in imported(path, name, known)
            if target in known and target != name
        }
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def without_package_inits(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """The graph between modules, leaving out edges into package ``__init__`` files.

    Importing ``territory.grading`` from inside ``territory.grading.x`` is how Python runs
    a package's ``__init__`` before its modules; such edges are about loading order, not
    design, and would make every package with a re-exporting ``__init__`` a circle.
    """
    packages = {module_name(p) for p in PACKAGE.rglob("__init__.py")}
    return {
        v: {w for w in targets if w not in packages or not v.startswith(w + ".")}
        for v, targets in graph.items()
    }


def private_owner(module: str) -> str | None:
    """The package a private module belongs to, or ``None`` for a public module.

    ``territory.review._ratios`` belongs to ``territory.review``: only modules of that
    package may import it. A ``_`` module at the top (``territory._html``) belongs to the
    whole library.
    """
    parts = module.split(".")
    for k, part in enumerate(parts):
        if part.startswith("_") and not part.startswith("__"):
            return ".".join(parts[:k])
    return None


def test_a_hand_made_circle_is_found() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_private_owner_of_names() -> None:
    assert private_owner("territory.review._ratios") == "territory.review"
    assert private_owner("territory._html") == "territory"
    assert private_owner("territory.routing.planner.assign") is None
    assert private_owner("territory.routing.__init__") is None


def test_the_package_has_no_import_circle() -> None:
    circles = cycles(without_package_inits(package_graph()))
    assert circles == [], f"import circles: {circles}"


def test_no_module_imports_another_package_private_module() -> None:
    found = modules()
    known = set(found)
    offences = []
    for name, path in found.items():
        for target, line in imported(path, name, known):
            owner = private_owner(target)
            inside = owner is None or name == owner or name.startswith(owner + ".")
            if target in known and not inside:
                offences.append(f"{path.relative_to(ROOT)}:{line} imports {target}")
    assert offences == [], "\n".join(sorted(set(offences)))


@pytest.mark.parametrize("folder", ["tests", "benchmarks", "notebooks"])
def test_tests_and_benchmarks_use_public_modules(folder: str) -> None:
    known = set(modules())
    offences = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        name = path.stem
        for target, line in imported(path, name, known):
            if target.split(".")[0] == "territory" and private_owner(target) is not None:
                offences.append(f"{path.relative_to(ROOT)}:{line} imports {target}")
    assert offences == [], "\n".join(sorted(set(offences)))


def code_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines of a function from its first statement after the docstring to its end."""
    body = node.body
    first = body[0]
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
        and len(body) > 1
    ):
        first = body[1]
    return (node.end_lineno or node.lineno) - first.lineno + 1


def test_no_public_function_is_a_hall() -> None:
    long = []
    for name, path in modules().items():  # private modules define public functions too
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if (
                isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                and not node.name.startswith("_")
                and code_lines(node) > LONGEST_PUBLIC_FUNCTION
            ):
                long.append(f"{name}.{node.name}: {code_lines(node)} lines")
    assert long == [], "\n".join(long)
