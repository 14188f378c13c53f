"""The layout a newcomer can live in (issue 9): no import cycles between modules, no module over about 400 lines
without a reason at its top, numbers read in one module only."""

import ast
import re
from pathlib import Path

BOT = Path(__file__).resolve().parents[1] / "bot"
MAX_LINES = 420
LONG_REASON = "Why this module is long:"


def _module(path: Path) -> str:
    parts = list(path.relative_to(BOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module(p): p for p in BOT.rglob("*.py")}


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Every bot module ``name`` imports, at the top, inside functions or under TYPE_CHECKING alike."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        else:
            continue
        out |= {t for t in targets if t in known and t != name}
    return out


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    # A package imports nothing by being a package; its __init__ is a module like any other.
    return {name: _imports(name, path, set(modules)) for name, path in modules.items()}


def test_the_scan_sees_imports():
    graph = _graph()
    assert "bot.kernel.figures" in graph["bot.kernel.text"]
    assert "bot.kernel.router" in graph["bot.dialog"]


def test_no_import_cycles():
    assert _cycles(_graph()) == []


def test_the_cycle_finder_finds_one():
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]


def test_no_module_over_about_400_lines_without_a_reason():
    long = [f"{_module(p)}: {n} lines" for p in BOT.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
            and LONG_REASON not in "\n".join(p.read_text(encoding="utf-8").splitlines()[:30])]
    assert long == []


def test_numbers_are_read_in_the_figures_module_only():
    """Chinese numerals and cn2an appear nowhere else; number patterns come from bot.kernel.figures."""
    offenders = []
    for path in BOT.rglob("*.py"):
        if path.name == "figures.py":
            continue
        text = path.read_text(encoding="utf-8")
        if "cn2an" in text or re.search(r"[一二三四五六七八九十百千万]{5,}", text):
            offenders.append(_module(path))
        if re.search(r're\.\w+\(r?"\\d\+\(\?:\\\.\\d\+\)\?"', text):
            offenders.append(_module(path))
    assert offenders == []
