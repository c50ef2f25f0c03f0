"""The library's import graph has no circles: every module-level import of a mosecrot module
(imports inside functions are how a module reaches one that imports it back, lazily)."""

from __future__ import annotations

import ast
from pathlib import Path

LIBRARY = Path(__file__).resolve().parents[1] / "workflow" / "lib"


def _module_name(path: Path) -> str:
    parts = path.relative_to(LIBRARY).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _top_level_imports(path: Path, modules: set[str]) -> set[str]:
    found = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            # `from mosecrot import stats` imports the module mosecrot.stats.
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        found.update(name for name in names if name in modules)
    return found


def import_graph() -> dict[str, set[str]]:
    paths = {_module_name(p): p for p in (LIBRARY / "mosecrot").rglob("*.py")}
    return {name: _top_level_imports(path, set(paths)) for name, path in paths.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = 2
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_cycle_finder_finds_a_circle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_the_library_has_no_import_circle():
    graph = import_graph()
    assert "mosecrot.analysis.claims" in graph and "mosecrot.stats" in graph["mosecrot.analysis.claims"]
    assert _cycle(graph) is None, " -> ".join(_cycle(graph))


def test_faiss_is_imported_only_through_load_faiss():
    """mosecrot.blas chooses faiss's BLAS kernel before faiss loads: an `import faiss`
    anywhere else would load it first and the choice would silently do nothing."""
    root = LIBRARY.parents[1]
    offenders = []
    for path in [*(root / "workflow").rglob("*.py"), *(root / "bench").rglob("*.py"), *(root / "tests").rglob("*.py")]:
        if path.name == "blas.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(name == "faiss" or name.startswith("faiss.") for name in names):
                offenders.append(f"{path.relative_to(root)}:{node.lineno}")
    assert not offenders, f"import faiss outside mosecrot.blas: {offenders}"
