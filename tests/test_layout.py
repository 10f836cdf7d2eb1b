"""The house: no module imports one that imports it back, and each subpackage exports exactly
its modules' public names, each from one home."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import mockrt

ROOT = Path(mockrt.__file__).parent
SUBPACKAGES = ("core", "serve", "contract", "diagnosis", "cli")
# Hooks: a name every module of a kind defines by design, called through a registry, never
# through the package. mockrt.cli.main calls register(subparsers) of each SUBCOMMANDS module.
HOOKS = {"cli": {"register"}}


def module_files() -> dict[str, Path]:
    """Every module of mockrt by dotted name (a package by its ``__init__``)."""
    out: dict[str, Path] = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def import_graph() -> dict[str, set[str]]:
    """Module → the mockrt modules it imports, anywhere in it (module level, in functions,
    under TYPE_CHECKING)."""
    files = module_files()
    graph: dict[str, set[str]] = {name: set() for name in files}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")
                    anchor = anchor[: len(anchor) - (node.level - 1)]
                    base = ".".join([*anchor, base] if base else anchor)
                for alias in node.names:
                    # ``from mockrt.core import errors`` imports the module mockrt.core.errors
                    sub = f"{base}.{alias.name}"
                    targets.append(sub if sub in files else base)
            for target in targets:
                if target in files and target != name:
                    graph[name].add(target)
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (as a path a → … → a) per strongly connected component of more than one
    module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

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
                components.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return [_a_cycle_through(graph, set(c)) for c in components]


def _a_cycle_through(graph: dict[str, set[str]], component: set[str]) -> list[str]:
    start = min(component)
    paths = {start: [start]}
    queue = [start]
    while queue:
        v = queue.pop(0)
        for w in sorted(graph[v] & component):
            if w == start:
                return [*paths[v], start]
            if w not in paths:
                paths[w] = [*paths[v], w]
                queue.append(w)
    raise AssertionError("a strongly connected component always has a cycle")


def test_the_import_graph_is_walked_from_the_source() -> None:
    graph = import_graph()
    assert "mockrt.core.audio" in graph["mockrt.core.turns"]
    assert "mockrt.core.errors" in graph["mockrt.core.session"]  # from mockrt.core import errors
    assert import_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]


# Loops left in folders other work owns (issue 9), each a function-level import: listed so that a
# new loop fails at once, and an entry whose loop is gone fails until it is removed here.
KNOWN_CYCLES: set[tuple[str, ...]] = set()


def test_no_module_imports_one_that_imports_it_back() -> None:
    cycles = {tuple(c) for c in import_cycles(import_graph())}
    new = sorted(cycles - KNOWN_CYCLES)
    assert not new, "import cycles:\n" + "\n".join(" -> ".join(c) for c in new)
    assert not KNOWN_CYCLES - cycles, f"gone, remove from KNOWN_CYCLES: {KNOWN_CYCLES - cycles}"


def submodules(package: str) -> list[str]:
    path = importlib.import_module(package).__path__
    return sorted(m.name for m in pkgutil.iter_modules(path, f"{package}."))


@pytest.mark.parametrize("package", SUBPACKAGES)
def test_each_subpackage_exports_the_union_of_its_modules_each_name_from_one_home(
    package: str,
) -> None:
    dotted = f"mockrt.{package}"
    modules = submodules(dotted)
    short = {m.rpartition(".")[2] for m in modules}
    homes: dict[str, list[str]] = {}
    for name in modules:
        for public in importlib.import_module(name).__all__:
            # A name that is also a module's name (render, main) is the module on the package.
            if public not in HOOKS.get(package, set()) and public not in short:
                homes.setdefault(public, []).append(name)
    twice = {public: where for public, where in homes.items() if len(where) > 1}
    assert not twice, f"names exported by more than one module: {twice}"
    pkg = importlib.import_module(dotted)
    assert len(pkg.__all__) == len(set(pkg.__all__))
    missing = {n: homes[n][0] for n in homes if n not in pkg.__all__}
    extra = set(pkg.__all__) - set(homes)
    assert not missing and not extra, (
        f"{dotted}.__all__ lacks {missing} and has {extra} no module exports "
        "(add each to _MODULES in its __init__)"
    )
    for public, (home,) in homes.items():
        assert getattr(pkg, public) is getattr(importlib.import_module(home), public), public


def test_every_subcommand_module_has_its_register_hook() -> None:
    from mockrt.cli.main import SUBCOMMANDS

    for name in SUBCOMMANDS:
        assert callable(importlib.import_module(name).register), name


@pytest.mark.parametrize(
    ("module", "heavy"),
    [
        ("mockrt.core.session", ("aiohttp", "openai", "yaml", "jsonschema")),
        ("mockrt.core", ("aiohttp", "openai", "yaml", "jsonschema", "mockrt.core.session")),
        ("mockrt.contract", ("openai", "aiohttp", "jsonschema")),
        ("mockrt.serve", ("aiohttp",)),
        ("mockrt.diagnosis", ("aiohttp", "openai")),
        ("mockrt.cli", ("aiohttp", "openai")),
    ],
)
def test_importing_a_package_loads_its_modules_only_when_a_name_is_asked_for(
    module: str, heavy: tuple[str, ...]
) -> None:
    code = f"import sys, {module}\nprint(','.join(m for m in {heavy!r} if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "", f"importing {module} loaded {out}"


PRIVATE_TO_THE_SESSION = {
    "outbox",
    "_outbox",
    "emit",
    "_emit",
    "fire",
    "_fire",
    "reject",
    "_reject",
}


def test_outside_the_core_nothing_schedules_on_a_session_but_through_its_public_drains() -> None:
    from mockrt.core.session import Session

    assert not {"outbox", "emit", "fire", "reject"} & set(dir(Session))  # private: _emit, ...
    reached: list[str] = []
    for name, path in module_files().items():
        if name.startswith("mockrt.core"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in PRIVATE_TO_THE_SESSION:
                reached.append(f"{name}:{node.lineno} .{node.attr}")
    assert not reached, reached
