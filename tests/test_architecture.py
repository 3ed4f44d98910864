"""The house's layering, checked statically over ``src/sunlight`` (every import, including
ones inside functions: a function-local import that hides a cycle still counts).

- No import cycles between Sunlight's modules.
- Only the faces (the web app, the CLI, and each domain's ``api``/``pages``/``cli`` modules)
  import ``sunlight.web``, ``sunlight.cli`` or FastAPI; the rules underneath never do.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "sunlight"

#: Module names (last part) that are faces of a domain package.
FACE_MODULES = {
    "api",
    "pages",
    "public_api",
    "public_pages",
    "actions",
    "web_common",
    "complaints_api",
    "cli",
    "__main__",
}
#: Packages that are faces as a whole.
FACE_PACKAGES = ("sunlight.web", "sunlight.cli", "sunlight.access.cli")
FACE_IMPORTS = ("sunlight.web", "sunlight.cli", "fastapi", "starlette")


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in SRC.rglob("*.py"):
        parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(path: Path) -> set[str]:
    """Every module or name imported anywhere in the file (Sunlight uses only absolute
    imports). ``from sunlight.x import y`` is module ``sunlight.x.y`` when that module
    exists (the package's ``__init__`` is not what is asked for), else ``sunlight.x``."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                names.add(full if full in MODULES else node.module)
    return names


def _resolve(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        targets = {_resolve(n) for n in _imports(path) if n.startswith("sunlight")}
        graph[module] = {t for t in targets if t is not None and t != module}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
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

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def _is_face(module: str) -> bool:
    if any(module == p or module.startswith(p + ".") for p in FACE_PACKAGES):
        return True
    return module.rpartition(".")[2] in FACE_MODULES


def test_the_checker_sees_the_package() -> None:
    assert "sunlight.evidence.custody" in MODULES
    assert "sunlight.web.app" in MODULES
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycles() -> None:
    assert _cycles(_graph()) == []


@pytest.mark.parametrize("module", sorted(m for m in MODULES if not _is_face(m)))
def test_rules_do_not_import_the_faces(module: str) -> None:
    bad = sorted(
        name
        for name in _imports(MODULES[module])
        if any(name == f or name.startswith(f + ".") for f in FACE_IMPORTS)
    )
    assert bad == [], f"{module} imports a face: {bad}"
