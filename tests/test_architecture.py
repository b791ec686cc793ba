"""The shape of the code, checked over the source's own imports (ast): every package depends
only on the packages below it (the table), the packages form no cycle, and no module imports
itself round a circle."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import veertien

ROOT = Path(veertien.__file__).resolve().parent

# What each package may import (besides itself). Lower floors first; `server` is the composition
# root, `cli` and `recognise` the commands. Adding an arrow here is a design decision.
ALLOWED: dict[str, set[str]] = {
    "numbering": set(),
    "sip": set(),
    "media": set(),
    "records": set(),
    "platform": set(),  # the settings that are not routing's
    "directory": {"numbering", "sip"},
    "routing": {"directory", "numbering", "sip", "platform"},
    "speech": {"directory", "media"},
    "ivr": {"routing", "speech", "directory"},
    "learning": {"directory", "speech", "platform"},  # pure: examples, the alias learner
    "storage": {"directory", "routing", "records", "platform", "learning"},
    "reports": {"storage", "records", "dutch"},
    "call": {
        "ivr", "media", "numbering", "records", "routing", "sip", "speech", "directory",
        "platform", "learning",
    },
    "testcall": {"directory", "media", "sip", "speech"},
    "portal": {  # ivr and media: the sentences callers hear, recorded at /opnames
        "directory", "reports", "routing", "storage", "records", "platform", "dutch", "learning",
        "ivr", "media",
    },
    "server": {
        "call", "portal", "records", "routing", "sip", "speech", "storage", "directory", "ivr",
        "media", "numbering", "platform", "learning",
    },
    "recognise": {"directory", "routing", "speech", "platform", "media"},
    "cli": {
        "directory", "ivr", "recognise", "routing", "server", "speech", "storage", "testcall",
        "numbering",
    },
    "errors": set(),  # the exception tree: importable from every floor
    "dutch": set(),  # how times and numbers are written for people
    "__init__": set(),
}  # fmt: skip


def _modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]
        yield "veertien." + ".".join(parts), path


def _imports(path: Path, *, top_level_only: bool) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            if node.module != "veertien":  # `from veertien import __version__` is no module
                found.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return {name for name in found if name.startswith("veertien.")}


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_every_package_is_in_the_table() -> None:
    packages = {_package(module) for module, _ in _modules()}
    assert packages <= set(ALLOWED), sorted(packages - set(ALLOWED))


def test_packages_import_only_what_the_table_allows() -> None:
    wrong = []
    for module, path in _modules():
        own = _package(module)
        for name in _imports(path, top_level_only=False):
            other = _package(name)
            if other not in (own, "__init__", "errors") and other not in ALLOWED.get(own, set()):
                wrong.append(f"{module} imports {name} ({own} → {other})")
    assert not wrong, "\n".join(wrong)


def test_the_table_itself_has_no_cycle() -> None:
    done: set[str] = set()

    def visit(package: str, path: tuple[str, ...]) -> None:
        assert package not in path, " → ".join((*path, package))
        if package in done:
            return
        for below in ALLOWED[package]:
            visit(below, (*path, package))
        done.add(package)

    for package in ALLOWED:
        visit(package, ())


def test_no_module_imports_itself_round_a_circle() -> None:
    """Over module-level imports (an import inside a function that works around a circle
    counts too: it is written at top level here)."""
    known = {module for module, _ in _modules()}
    graph: dict[str, set[str]] = {}
    for module, path in _modules():
        names = _imports(path, top_level_only=False)
        graph[module] = {n for n in names if n in known and n != module}
    packages_init = {m for m in known if (ROOT / m.split(".", 1)[1].replace(".", "/")).is_dir()}
    state: dict[str, int] = {}
    cycles: list[str] = []

    def visit(module: str, stack: list[str]) -> None:
        state[module] = 1
        for other in sorted(graph.get(module, ())):
            if other in packages_init and module.startswith(other + "."):
                continue  # a module importing its own package's __init__ re-exports
            if state.get(other) == 1:
                cycles.append(" → ".join([*stack[stack.index(other) :], other]))
            elif other not in state:
                visit(other, [*stack, other])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert not cycles, "\n".join(cycles)
