"""The house keeps its shape: imports point down, and no modules import each other in a circle.

bot/ (composition root) → handlers/ → views/, services/ → governance/, storage/, delivery/ → i18n/.
Walked with `ast`, so a violation fails here before anyone has to find it in review.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = (
    "bot",
    "fakeapi",
    "handlers",
    "views",
    "services",
    "governance",
    "storage",
    "delivery",
    "i18n",
)

# What each package may not import (its own package and the standard library always allowed).
FORBIDDEN: dict[str, set[str]] = {
    # The fake Telegram knows nothing of the bot it talks to (the demo and the tests drive both).
    "fakeapi": {
        "bot",
        "handlers",
        "views",
        "services",
        "governance",
        "storage",
        "delivery",
        "i18n",
        "telegram",
    },
    "i18n": {"bot", "handlers", "views", "services", "governance", "storage", "delivery"},
    "governance": {"bot", "handlers", "views", "services", "storage", "delivery", "telegram"},
    "storage": {"bot", "handlers", "views", "services", "delivery", "telegram"},
    "delivery": {"bot", "handlers", "views", "services"},
    "services": {"bot", "handlers", "views", "telegram"},
    "views": {"bot", "handlers"},
    "handlers": {"bot"},
}

# Circles that were there before this test; each entry must go, none may be added.
KNOWN_CYCLES: set[frozenset[str]] = set()


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts and "versions" in path.parts:
                continue
            found[_module_name(path)] = path
    return found


def _imports(path: Path, module: str, is_package: bool) -> Iterator[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                if not is_package:
                    base = base[:-1]
                base = base[: len(base) - (node.level - 1)]
                prefix = ".".join(base)
                target = f"{prefix}.{node.module}" if node.module else prefix
            else:
                target = node.module or ""
            yield target
            for alias in node.names:
                yield f"{target}.{alias.name}"


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = set()
        for imported in _imports(path, name, path.name == "__init__.py"):
            if imported in modules and imported != name:
                targets.add(imported)
        graph[name] = targets
    return graph


def _all_imports() -> Iterator[tuple[str, str]]:
    for name, path in _modules().items():
        for imported in _imports(path, name, path.name == "__init__.py"):
            yield name, imported


def test_imports_point_down() -> None:
    wrong = sorted(
        {
            f"{module} imports {imported}"
            for module, imported in _all_imports()
            if imported.split(".")[0] in FORBIDDEN.get(module.split(".")[0], set())
        }
    )
    assert not wrong, "upward imports:\n" + "\n".join(wrong)


def _cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[frozenset[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(frozenset(component))
    return found


def test_no_import_circles() -> None:
    cycles = [c for c in _cycles(_graph()) if c not in KNOWN_CYCLES]
    assert not cycles, "import circles:\n" + "\n".join(" ↔ ".join(sorted(c)) for c in cycles)


def test_known_cycles_are_still_there() -> None:
    # An entry that no longer exists must leave KNOWN_CYCLES, so the list only shrinks.
    present = set(_cycles(_graph()))
    assert KNOWN_CYCLES <= present, sorted(map(sorted, KNOWN_CYCLES - present))
