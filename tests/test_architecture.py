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
    # core/ — bottom: used by all
    "core": set(),
    "core.errors": set(),
    "core.dates": set(),
    "core.text": set(),
    "core.files": {"core.errors"},
    "core.expressions": {"core.errors"},
    "core.palette": set(),
    # scenario/ — file → Scenario
    "scenario": set(),
    "scenario.limits": set(),
    "scenario.yamlread": {
        "core.errors",
        "core.files",
        "scenario.document",
        "scenario.limits",
        "scenario.textfile",
        "scenario.yamlplain",
        "scenario.yamlsyntax",
    },
    "scenario.textfile": {"core.errors", "core.files", "scenario.limits"},
    "scenario.yamlplain": {"core.errors", "scenario.limits"},
    "scenario.document": {"core.errors"},
    "scenario.yamlsyntax": {"core.errors"},
    # scenario: model itself, from the package (Frozen._sibling finds a type by name there)
    "scenario.model": {
        "core.dates",
        "core.errors",
        "core.expressions",
        "scenario",
        "scenario.parties",
        "scenario.traits",
    },
    # parties and traits: outside model/, without pydantic (a cache hit applies them); they
    # name the models for typing only.
    "scenario.parties": {"scenario.model"},
    "scenario.traits": {"core.dates", "scenario.citing", "scenario.parties"},
    # citing: a data file's cited rows and records, named for outputs and looked for in the file
    "scenario.citing": {"core.files"},
    "scenario.records": {"core.expressions", "scenario.traits"},
    "scenario.cache": {
        "core.files",
        "scenario.limits",
        "scenario.loading",
        "scenario.model",
        "scenario.records",
    },
    "scenario.references": {
        "core.errors",
        "core.expressions",
        "core.files",
        "scenario.citing",
        "scenario.expect_refs",
        "scenario.model",
        "scenario.parties",
        "scenario.traits",
        "scenario.yamlread",
    },
    "scenario.expect_refs": {"core.errors", "scenario.model", "scenario.yamlread"},
    "scenario.validation": {
        "core.dates",
        "core.errors",
        "core.files",
        "scenario.model",
        "scenario.references",
        "scenario.yamlread",
    },
    "scenario.whatif": {"core.errors", "scenario.model"},
    "scenario.assign": {"scenario.model", "scenario.whatif"},
    "scenario.loading": {
        "core.errors",
        "core.files",
        "scenario.model",
        "scenario.references",
        "scenario.validation",
        "scenario.whatif",
        "scenario.yamlread",
    },
    "scenario.schema": {"scenario.loading", "scenario.model"},
    # engine/ — Scenario → Trace, many runs → Outcomes
    "engine": set(),
    "engine.machine": {"core.errors", "core.expressions", "scenario.model"},
    "engine.trace": set(),
    "engine.responses": {"core.errors", "core.expressions", "scenario.model"},
    "engine.dates": {
        "engine.responses",
        "engine.seeds",
        "engine.trace",
        "scenario.model",
        "scenario.traits",
    },
    "engine.decays": {"engine.trace", "scenario.model"},
    "engine.scenarios": {
        "engine.responses",
        "scenario.loading",
        "scenario.model",
        "scenario.traits",
    },
    "engine.tracks": {"engine.machine", "engine.trace", "scenario.model"},
    "engine.simulation": {
        "core.errors",
        "engine.dates",
        "engine.decays",
        "engine.machine",
        "engine.responses",
        "engine.scenarios",
        "engine.summary",
        "engine.tracks",
        "engine.trace",
        "scenario.loading",
        "scenario.model",
        "scenario.traits",
    },
    "engine.slots": {
        "core.expressions",
        "engine.decays",
        "engine.machine",
        "engine.responses",
        "engine.simulation",
        "scenario.model",
    },
    "engine.seeds": set(),
    "engine.outcomes": set(),
    "engine.summary": {"engine.trace"},
    "engine.tally": {"engine.outcomes", "engine.summary", "scenario.model"},
    "engine.montecarlo": {
        "core.errors",
        "engine.outcomes",
        "engine.seeds",
        "engine.simulation",
        "engine.summary",
        "engine.tally",
        "scenario.model",
    },
    "engine.reference": {"scenario.model"},
    # check/ — dipsim check
    "check": set(),
    "check.intervals": {"core.errors", "core.expressions"},
    "check.analysis_base": {"check.intervals", "core.errors", "core.expressions", "scenario.model"},
    "check.analysis_rules": {"check.analysis_base", "scenario.model"},
    "check.analysis": {
        "check.analysis_base",
        "check.analysis_rules",
        "check.intervals",
        "core.errors",
        "core.expressions",
        "scenario.model",
    },
    "check.tracks": {"check.analysis", "core.errors", "scenario.model"},
    "check.codebook": {"check.analysis_base", "core.errors", "scenario.model"},
    "check.expectations": {"engine.outcomes", "engine.trace", "scenario.model"},
    "check.explore": {
        "check.expectations",
        "core.errors",
        "engine.seeds",
        "engine.simulation",
        "engine.trace",
        "scenario.model",
    },
    "check.checker": {
        "check.analysis",
        "check.codebook",
        "check.expectations",
        "check.explore",
        "check.tracks",
        "core.errors",
        "engine.seeds",
        "engine.simulation",
        "scenario.loading",
        "scenario.yamlread",
    },
    # batch/ — dipsim batch
    "batch": {"batch.runner", "batch.spec"},
    "batch.formats": {"core.errors", "core.files", "core.text"},
    "batch.journal": {"batch.formats", "core.files"},
    "batch.prim": {"batch.design", "core.errors"},
    "batch.paired": {"batch.design", "core.errors"},
    "batch.analysis_table": {"batch.analysis", "batch.prim"},
    "batch.analysis": {
        "batch.design",
        "batch.paired",
        "batch.prim",
        "batch.runner",
        "batch.spec",
        "batch.summary",
        "core.errors",
        "scenario.yamlread",
    },
    "batch.sinks": {"batch.formats", "batch.journal", "core.errors", "core.files"},
    "batch.backends": {"core.errors"},
    "batch.spec": {
        "core.errors",
        "core.files",
        "scenario.model",
        "scenario.validation",
        "scenario.yamlread",
    },
    "batch.design": {"batch.spec", "core.errors", "scenario.yamlread"},
    "batch.job": {
        "check.expectations",
        "core.errors",
        "engine.montecarlo",
        "engine.seeds",
        "engine.simulation",
        "engine.slots",
        "engine.trace",
        "scenario.assign",
        "scenario.model",
        "scenario.whatif",
    },
    "batch.summary": {"batch.sinks", "engine.outcomes"},
    "batch.runner": {
        "batch.backends",
        "batch.design",
        "batch.journal",
        "batch.job",
        "batch.sinks",
        "batch.spec",
        "batch.summary",
        "core.errors",
        "core.files",
        "scenario.loading",
        "scenario.model",
        "scenario.whatif",
    },
    # graph/ — diagrams
    "graph": {"core.errors", "core.palette", "core.text", "engine.trace", "scenario.model"},
    # plots/ — figures
    "plots": {
        "batch.analysis",
        "batch.prim",
        "batch.summary",
        "core.errors",
        "core.files",
        "core.palette",
        "engine.outcomes",
        "engine.trace",
    },
    # report/ — outputs
    "report": set(),
    "report.html": set(),
    "report.formats": {"core.text", "engine.trace"},
    "report.table": {"core.text", "engine.trace", "report.table_layout"},
    "report.table_layout": set(),
    "report.diff": {"core.text", "engine.trace"},
    "report.diff_table": {"engine.trace", "report.diff"},
    "report.outcomes": {"core.text", "engine.outcomes", "report.table_layout"},
    "report.check": {"check.checker", "check.explore", "core.text", "engine.trace"},
    "report.html.view": {"engine.trace", "graph", "scenario.model"},
    "report.html.parts": {"engine.trace"},
    "report.html.style": set(),
    "report.html.figures": {
        "core.palette",
        "engine.trace",
        "graph",
        "report.html.parts",
        "report.html.view",
    },
    "report.html.events": {
        "engine.trace",
        "report.diff",
        "report.html.parts",
        "report.html.view",
        "scenario.model",
    },
    "report.html.diff": {"engine.trace", "report.diff", "report.html.parts"},
    "report.html.checks": {"check.checker", "report.html.parts"},
    "report.html.glance": {
        "check.checker",
        "engine.trace",
        "report.diff",
        "report.html.checks",
        "report.html.diff",
        "report.html.parts",
        "report.html.view",
    },
    "report.html.page": {
        "check.checker",
        "report.diff",
        "report.html.checks",
        "report.html.diff",
        "report.html.events",
        "report.html.figures",
        "report.html.glance",
        "report.html.parts",
        "report.html.style",
        "report.html.view",
    },
    "report.html.build": {
        "check.checker",
        "core.dates",
        "core.errors",
        "engine.simulation",
        "engine.trace",
        "graph",
        "plots",
        "report.diff",
        "report.html.page",
        "scenario.loading",
        "scenario.model",
        "scenario.yamlread",
    },
    # cli/ — the command
    "cli": {
        "eventdata.importer",
        "eventdata.mapping",
        "eventdata.select",
        "eventdata.tables",
        "core.dates",
        "core.palette",
        "batch.analysis",
        "batch.analysis_table",
        "batch.runner",
        "batch.sinks",
        "batch.spec",
        "batch.summary",
        "check.checker",
        "core.errors",
        "core.files",
        "core.text",
        "engine.montecarlo",
        "engine.simulation",
        "engine.trace",
        "graph",
        "plots",
        "report.check",
        "report.diff",
        "report.diff_table",
        "report.formats",
        "report.html.build",
        "report.html.page",
        "report.outcomes",
        "report.table",
        "scenario.cache",
        "scenario.loading",
        "scenario.model",
        "scenario.limits",
        "scenario.schema",
        "scenario.yamlread",
    },
    # the package's public names, and python -m simulator
    "__init__": {
        "batch.runner",
        "core.errors",
        "engine.simulation",
        "engine.trace",
        "scenario.loading",
        "scenario.model",
    },
    # eventdata/ — coded event records → a scenario's plain data (dipsim import)
    "eventdata": set(),
    "eventdata.formats": set(),
    "eventdata.mapping": {
        "core.errors",
        "scenario.model",
        "scenario.validation",
        "scenario.yamlread",
    },
    "eventdata.tables": {"check.codebook", "eventdata.mapping"},
    "eventdata.select": {"eventdata.formats"},
    "eventdata.build": {"eventdata.mapping", "eventdata.tables", "scenario.model"},
    "eventdata.importer": {
        "scenario.limits",
        "scenario.loading",
        "scenario.yamlread",
        "core.errors",
        "core.files",
        "eventdata.build",
        "eventdata.formats",
        "eventdata.mapping",
        "eventdata.select",
        "eventdata.tables",
    },
    "__main__": {"cli"},
}

#: Each third-party library is imported by one module only (so swapping it touches one file).
OWNERS: dict[str, set[str]] = {
    "yaml": {"scenario.yamlread"},
    # loading and whatif only catch pydantic's ValidationError, to locate what it reports.
    "pydantic": {
        "eventdata.mapping",
        "scenario.assign",
        "scenario.model",
        "scenario.validation",
        "scenario.loading",
        "scenario.whatif",
        "batch.spec",
    },
    "pydantic_core": {"scenario.model"},
    "transitions": {"engine.machine"},
    "simpy": {"engine.simulation"},
    "click": {"cli"},
    "pyarrow": {"batch.formats"},
    "dask": {"batch.backends"},
    "distributed": {"batch.backends"},
    "matplotlib": {"plots"},
    # Imported through batch.design.require (importlib), named here for the record.
    "SALib": {"batch.design", "batch.analysis"},
    "sklearn": {"batch.analysis"},
}


#: Packages whose modules form one layer (they may import each other freely).
LAYERS = ("scenario.model", "cli", "plots")

#: The sub-packages in the order data flows through them (docs/design.md): a module may import
#: from its own sub-package and from those before it, never from one after it.
PIPELINE = (
    "core",
    "scenario",
    "engine",
    "check",
    "eventdata",
    "batch",
    "graph",
    "plots",
    "report",
    "cli",
)


def _layer(name: str) -> str:
    return next((layer for layer in LAYERS if name.startswith(f"{layer}.")), name)


def _stage(name: str) -> int:
    """Where a module's sub-package stands in the flow (``__init__``/``__main__`` stand last)."""
    top = name.split(".", maxsplit=1)[0]
    return PIPELINE.index(top) if top in PIPELINE else len(PIPELINE)


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
def test_sub_packages_import_only_upstream(path: Path) -> None:
    """A module imports only from its own sub-package and from those before it in PIPELINE."""
    name = _module_name(path)
    later = sorted(
        m
        for m in _imports(path)
        if m.startswith("simulator.") and _stage(m.removeprefix("simulator.")) > _stage(name)
    )
    assert not later, f"simulator.{name} imports downstream {later}"


def test_the_top_level_reads_as_the_pipeline() -> None:
    """`ls simulator/` shows the stages of the flow and little else; each package says its job."""
    entries = {p.name for p in PACKAGE.iterdir() if p.name != "__pycache__"}
    stages = {f"{s}.py" if (PACKAGE / f"{s}.py").exists() else s for s in PIPELINE}
    assert entries == stages | {"__init__.py", "__main__.py", "py.typed"}
    for init in PACKAGE.rglob("__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc, f"{init.relative_to(PACKAGE)} has no docstring saying what the package does"


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
        "import simulator, simulator.engine.simulation, simulator.scenario.loading, simulator.cli; "
        "import simulator.engine.montecarlo; "
        "assert list(logging.root.handlers) == before[0], 'logging handlers changed'; "
        "assert list(warnings.filters) == before[1], 'warnings filters changed'; "
        "assert multiprocessing.get_start_method(allow_none=True) is None; print('ok')"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
