"""The shape of the code: imports go one way (no cycle between modules), and the repository
stands alone (nothing reads or cites files outside it)."""

from __future__ import annotations

import ast
import re
import subprocess
from pathlib import Path

from conftest import REPO

PACKAGE = REPO / "fiscal_opt"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_imports(path: Path) -> set[str]:
    """Modules of fiscal_opt that ``path`` imports when it runs (``if TYPE_CHECKING:`` blocks left out)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = _module_name(path)
    package = here if path.name == "__init__.py" else here.rsplit(".", 1)[0]
    skip = {id(node) for parent in ast.walk(tree) if isinstance(parent, ast.If)
            and "TYPE_CHECKING" in ast.unparse(parent.test) for node in ast.walk(parent)}
    found = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("fiscal_opt")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module.startswith("fiscal_opt"):
                found.add(module)
                found |= {f"{module}.{alias.name}" for alias in node.names}
    return found


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {name: {m for m in _runtime_imports(path) if m in modules and m != name} for name, path in modules.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_import_graph_has_no_cycle() -> None:
    graph = _graph()
    assert len(graph) > 30
    assert _cycle(graph) is None, " → ".join(_cycle(graph) or [])


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_results_and_reports_never_reach_the_solver() -> None:
    graph = _graph()
    for name in graph:
        if name.startswith(("fiscal_opt.report", "fiscal_opt.results")):
            assert not {m for m in graph[name] if m.startswith("fiscal_opt.solver")}, name
    assert not {m for m in graph["fiscal_opt.model.build"] if m.startswith(("fiscal_opt.solver", "fiscal_opt.report"))}


def test_nothing_reads_or_cites_a_file_outside_the_repository() -> None:
    files = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout.split()
    folder = "sha" + "red"  # spelt in two parts, so that this test names no outside path itself
    pattern = re.compile(re.escape("../" + folder) + "|" + folder + "/(?:spec|data)")
    offenders = []
    for name in files:
        path = REPO / name
        if path.suffix in {".py", ".md", ".yaml", ".toml", ".txt", ""} and path.is_file():
            text = path.read_text(encoding="utf-8", errors="ignore")
            offenders += [f"{name}:{i + 1}" for i, line in enumerate(text.splitlines()) if pattern.search(line)]
    assert not offenders, offenders
