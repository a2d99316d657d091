"""The architecture holds: data flows one way, each library has one home, start-up is light."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "simulator"

#: What each module may import from the package. Anything missing here is a new module that
#: must be placed in the flow (add it deliberately).
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "files": {"errors"},
    "expressions": {"errors"},
    "yamlread": {"errors"},
    "model": {"errors", "expressions"},
    "references": {"errors", "expect_refs", "expressions", "model", "yamlread"},
    "expect_refs": {"errors", "model", "yamlread"},
    "validation": {"errors", "model", "references", "yamlread"},
    "whatif": {"errors", "model"},
    "loading": {"errors", "model", "references", "validation", "whatif", "yamlread"},
    "machine": {"errors", "expressions", "model"},
    "intervals": {"errors", "expressions"},
    "analysis": {"errors", "expressions", "intervals", "model"},
    "trace": set(),
    "responses": {"expressions", "model"},
    "engine": {"errors", "machine", "model", "responses", "trace"},
    "seeds": set(),
    "outcomes": set(),
    "montecarlo": {"engine", "errors", "model", "outcomes", "seeds", "trace"},
    "testing": {"model"},
    "report": set(),
    "report.formats": {"trace"},
    "report.table": {"trace"},
    "report.diff": {"trace"},
    "report.diff_table": {"report.diff", "trace"},
    "report.outcomes": {"outcomes"},
    "plots": {"batch.summary", "errors", "files", "outcomes", "trace"},
    "report.check": {"check", "explore"},
    "expectations": {"model", "outcomes", "trace"},
    "explore": {"engine", "errors", "expectations", "model", "seeds", "trace"},
    "graph": {"errors", "model", "trace"},
    "report.html_view": {"graph", "model", "trace"},
    "report.html_parts": {"trace"},
    "report.html_style": set(),
    "report.html_figures": {"graph", "report.html_parts", "report.html_view", "trace"},
    "report.html_events": {
        "model",
        "report.diff",
        "report.html_parts",
        "report.html_view",
        "trace",
    },
    "report.html_diff": {"report.diff", "report.html_parts", "trace"},
    "report.html_checks": {"check", "report.html_parts"},
    "report.html_glance": {
        "check",
        "report.diff",
        "report.html_checks",
        "report.html_diff",
        "report.html_parts",
        "report.html_view",
        "trace",
    },
    "report.html": {
        "check",
        "report.diff",
        "report.html_checks",
        "report.html_diff",
        "report.html_events",
        "report.html_figures",
        "report.html_glance",
        "report.html_parts",
        "report.html_style",
        "report.html_view",
    },
    "reporting": {
        "check",
        "engine",
        "errors",
        "graph",
        "loading",
        "model",
        "plots",
        "report.diff",
        "report.html",
        "trace",
        "yamlread",
    },
    "check": {
        "analysis",
        "engine",
        "errors",
        "expectations",
        "explore",
        "loading",
        "seeds",
        "yamlread",
    },
    "batch": {"batch.runner", "batch.spec"},
    "batch.formats": {"errors"},
    "batch.sinks": {"batch.formats", "errors", "files"},
    "batch.backends": {"errors"},
    "batch.spec": {"errors", "model", "validation", "yamlread"},
    "batch.design": {"batch.spec", "errors"},
    "batch.job": {
        "engine",
        "errors",
        "expectations",
        "model",
        "montecarlo",
        "seeds",
        "trace",
        "whatif",
    },
    "batch.summary": {"outcomes"},
    "batch.runner": {
        "batch.backends",
        "batch.design",
        "batch.job",
        "batch.sinks",
        "batch.spec",
        "batch.summary",
        "errors",
        "loading",
        "model",
        "whatif",
    },
    "cli": {
        "files",
        "check",
        "yamlread",
        "batch.runner",
        "batch.sinks",
        "batch.summary",
        "errors",
        "engine",
        "graph",
        "loading",
        "model",
        "montecarlo",
        "plots",
        "report.diff",
        "report.check",
        "report.diff_table",
        "report.formats",
        "report.outcomes",
        "report.table",
        "reporting",
        "report.html",
    },
    "__init__": {"batch.runner", "errors", "engine", "loading", "model", "trace"},
    "__main__": {"cli"},
}

#: Each third-party library is imported by one module only (so swapping it touches one file).
OWNERS: dict[str, set[str]] = {
    "yaml": {"yamlread"},
    # loading and whatif only catch pydantic's ValidationError, to locate what it reports.
    "pydantic": {"model", "validation", "loading", "whatif", "batch.spec"},
    "pydantic_core": {"model"},
    "transitions": {"machine"},
    "simpy": {"engine"},
    "click": {"cli"},
    "pyarrow": {"batch.formats"},
    "dask": {"batch.backends"},
    "distributed": {"batch.backends"},
    "matplotlib": {"plots"},
}


#: Packages whose modules form one layer (they may import each other freely).
LAYERS = ("model", "cli", "plots")


def _layer(name: str) -> str:
    top = name.split(".", maxsplit=1)[0]
    return top if top in LAYERS else name


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return _layer(".".join(parts))


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_one_way(path: Path) -> None:
    """A module imports only the package modules upstream of it in the data flow."""
    name = _module_name(path)
    assert name in ALLOWED, f"new module simulator.{name}: add it to ALLOWED in this test"
    internal = {
        _layer(m.removeprefix("simulator.")) for m in _imports(path) if m.startswith("simulator.")
    } - {name}
    assert internal <= ALLOWED[name], f"simulator.{name} imports {sorted(internal - ALLOWED[name])}"


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_each_library_has_one_home(path: Path) -> None:
    """yaml, pydantic, transitions, simpy and click are each imported by their own module only."""
    name = _module_name(path)
    for module in _imports(path):
        top = module.split(".")[0]
        if top in OWNERS:
            assert name in OWNERS[top], f"simulator.{name} imports {top}"


def test_library_never_prints_or_exits() -> None:
    """Only the CLI prints or exits; the library raises."""
    for path in modules():
        if _module_name(path) in {"cli", "__main__"}:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in {"print", "exit", "quit"}, (
                    f"{path.name} calls {node.func.id}"
                )
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                assert (node.value.id, node.attr) != ("sys", "exit"), f"{path.name} calls sys.exit"


def test_no_eval_or_exec() -> None:
    """No module calls eval, exec or compile: expressions are compiled to closures, never eval'd."""
    for path in modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in {"eval", "exec", "compile"}, (
                    f"{path.name}: {node.func.id}"
                )


def test_cli_start_up_imports_stay_light() -> None:
    """Importing the CLI (what `dipsim --help` does) pulls in none of the heavy libraries."""
    code = "import sys, simulator.cli; print('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout.split()
    heavy = {"yaml", "pydantic", "simpy", "transitions", "numpy", "pandas", "matplotlib", "dask"}
    assert heavy.isdisjoint({m.split(".")[0] for m in out}), sorted(heavy & set(out))
    assert "click" in out  # the check runs in a real interpreter that did import the CLI


def test_importing_the_package_changes_no_global_state() -> None:
    """`import simulator` adds no logging handler, warnings filter or multiprocessing start method.

    The third-party libraries are imported first: ``transitions`` adds a warnings filter of its
    own at import, which is not ours to answer for.
    """
    code = (
        "import logging, multiprocessing, warnings, yaml, pydantic, simpy, transitions; "
        "before = (list(logging.root.handlers), list(warnings.filters)); "
        "import simulator, simulator.engine, simulator.loading, simulator.cli; "
        "import simulator.montecarlo; "
        "assert list(logging.root.handlers) == before[0], 'logging handlers changed'; "
        "assert list(warnings.filters) == before[1], 'warnings filters changed'; "
        "assert multiprocessing.get_start_method(allow_none=True) is None; print('ok')"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
