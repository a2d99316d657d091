r"""The user documentation (``docs/*.md``) is kept true by these tests.

What the docs show must be what dipsim does: every YAML snippet is a real scenario or batch spec
file (or a verbatim excerpt of one), every key of both formats is documented, every Python example
runs and prints what the page says, and every ``$ dipsim ...`` session (help texts included)
prints what the page says.

Conventions the tests rely on (see docs/design.md, "Documentation"):

* a fenced ```yaml block starts with ``# scenarios/NAME.yaml`` (the whole file) or
  ``# excerpt of scenarios/NAME.yaml`` (lines that appear contiguously in that file); files
  under ``scenarios/batches/`` are batch specs, every other one is a scenario;
* a fenced ```python block in docs/python-api.md runs on its own from the repository root; a
  ```text block right after it (nothing but blank lines between) is its expected output;
* a fenced ```console block holds ``$ dipsim ...`` commands, each followed by its output, as
  click's test runner produces it with a 100-column terminal; a line ``…`` stands for lines left
  out (the rest must then appear in order, each stretch between two ``…`` together);
* a figure in prose is followed by an HTML comment naming the command it comes from and a
  regular expression whose first group must be that figure in the command's output:
  ``10.8%<!-- dipsim run X.yaml --runs 1000 | envoys_recalled +([\d.]+%) -->`` (invisible on
  the rendered page).
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import re
import shlex
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import BaseModel

from simulator import load_scenario, simulate
from simulator.batch.spec import METRICS, BatchSpec, DesignSpec, load_batch_spec
from simulator.cli import cli
from simulator.scenario.loading import WHATIF_KEYS
from simulator.scenario.model import EDIT_KINDS, Scenario
from tests.test_exercises import ELLIPSIS, _chunks, _contains_in_order

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
EXAMPLES = ROOT / "scenarios" / "examples"
BATCHES = ROOT / "scenarios" / "batches"
TERMINAL_WIDTH = 100

_FENCE = re.compile(r"^(?P<fence>`{3,})(?P<lang>[\w+-]*)\s*$")
_WHOLE_FILE = re.compile(r"^# (?P<path>scenarios/\S+\.ya?ml)\s*$")
_EXCERPT = re.compile(
    r"^# excerpt of (?P<path>(scenarios|simulator/eventdata/mappings)/\S+\.ya?ml)\s*$"
)


@dataclass(frozen=True)
class Block:
    """A fenced code block of a Markdown file."""

    doc: Path
    start: int  # 1-based line of the opening fence
    end: int  # 1-based line of the closing fence
    lang: str
    text: str

    @property
    def where(self) -> str:
        return f"{self.doc.relative_to(ROOT).as_posix()}:{self.start}"

    @property
    def lines(self) -> list[str]:
        return self.text.split("\n") if self.text else []


def fenced_blocks(doc: Path) -> list[Block]:
    """Every fenced code block of ``doc``, in order."""
    lines = doc.read_text(encoding="utf-8").split("\n")
    found: list[Block] = []
    i = 0
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        if opening is None:
            i += 1
            continue
        fence = opening["fence"]
        j = i + 1
        while j < len(lines) and lines[j].rstrip() != fence:
            j += 1
        if j == len(lines):
            raise AssertionError(f"{doc.name}:{i + 1}: code block is never closed")
        found.append(Block(doc, i + 1, j + 1, opening["lang"], "\n".join(lines[i + 1 : j])))
        i = j + 1
    return found


def _all_blocks() -> list[Block]:
    return [b for doc in sorted(DOCS.rglob("*.md")) for b in fenced_blocks(doc)]


def _normalised(text: str) -> list[str]:
    """Lines without trailing whitespace, trailing blank lines dropped."""
    lines = [line.rstrip() for line in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _blocks_of(lang: str, doc: str | None = None) -> list[Block]:
    return [b for b in _all_blocks() if b.lang == lang and (doc is None or b.doc.name == doc)]


def _ids(blocks: list[Block]) -> list[str]:
    return [b.where for b in blocks]


YAML_BLOCKS = _blocks_of("yaml")
PYTHON_BLOCKS = _blocks_of("python", "python-api.md")
# Exercise pages elide output with "…" lines; tests/test_exercises.py checks their sessions.
CONSOLE_BLOCKS = [b for b in _blocks_of("console") if b.doc.parent == DOCS]


def test_docs_have_the_expected_pages_and_blocks() -> None:
    """The pages exist and the block parser finds their examples (so the checks below bite)."""
    pages = {p.name for p in DOCS.glob("*.md")}
    assert {
        "getting-started.md",
        "scenario-format.md",
        "cli.md",
        "python-api.md",
        "design.md",
        "batches.md",
    } <= pages
    assert len(YAML_BLOCKS) >= 5
    assert len(PYTHON_BLOCKS) >= 3
    assert len(CONSOLE_BLOCKS) >= 3


# --- (a) YAML in the docs is real, loadable scenario text -------------------------------------


@pytest.mark.parametrize("block", YAML_BLOCKS, ids=_ids(YAML_BLOCKS))
def test_yaml_block_is_a_real_file_or_excerpt(block: Block) -> None:
    """A ```yaml block is a whole scenario or batch spec file (which must load) or an excerpt.

    ``# scenarios/X.yaml`` as first line: the block equals the file (trailing whitespace aside)
    and the file loads — with ``load_batch_spec`` under ``scenarios/batches/``, else with
    ``load_scenario``. ``# excerpt of scenarios/X.yaml``: the block's
    other lines appear contiguously in the file. Any other ```yaml block fails, so the docs hold
    no YAML that nothing checks.
    """
    first = block.lines[0] if block.lines else ""
    whole = _WHOLE_FILE.match(first)
    excerpt = _EXCERPT.match(first)
    if whole is not None:
        path = ROOT / whole["path"]
        assert path.is_file(), f"{block.where}: {whole['path']} does not exist"
        assert _normalised(block.text) == _normalised(path.read_text(encoding="utf-8")), (
            f"{block.where}: the block differs from {whole['path']}; paste the file again"
        )
        _load(path)
    elif excerpt is not None:
        path = ROOT / excerpt["path"]
        assert path.is_file(), f"{block.where}: {excerpt['path']} does not exist"
        wanted = _normalised("\n".join(block.lines[1:]))
        assert wanted, f"{block.where}: empty excerpt"
        have = _normalised(path.read_text(encoding="utf-8"))
        starts = [
            i for i in range(len(have) - len(wanted) + 1) if have[i : i + len(wanted)] == wanted
        ]
        assert starts, f"{block.where}: these lines are not contiguous in {excerpt['path']}"
    else:
        pytest.fail(
            f"{block.where}: a ```yaml block must start with '# scenarios/NAME.yaml' or "
            f"'# excerpt of scenarios/NAME.yaml', not {first!r}"
        )


def _load(path: Path) -> None:
    """Load a file of ``scenarios/`` as what it is: a batch spec or a scenario."""
    if "batches" in path.resolve().relative_to(ROOT / "scenarios").parts:  # any batches/ folder
        load_batch_spec(path)
    else:
        load_scenario(path)


def _shown_in_docs(rel: str) -> bool:
    """Whether some ```yaml block of docs/ is the file ``rel`` or an excerpt of it."""
    return any(b.lines and b.lines[0] in (f"# {rel}", f"# excerpt of {rel}") for b in YAML_BLOCKS)


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_example_scenarios_load_run_and_are_shown(path: Path) -> None:
    """Every example scenario loads, runs, starts with its own path and is shown in the docs."""
    text = path.read_text(encoding="utf-8")
    rel = path.relative_to(ROOT).as_posix()
    assert text.split("\n", 1)[0] == f"# {rel}"
    trace = simulate(load_scenario(path))
    assert len(trace.records) == len(load_scenario(path).events)
    assert _shown_in_docs(rel), f"{rel} is not shown in any page of docs/"


@pytest.mark.parametrize("path", sorted(BATCHES.glob("*.yaml")), ids=lambda p: p.name)
def test_batch_specs_load_and_are_shown(path: Path) -> None:
    """Every batch spec of scenarios/batches/ loads, starts with its own path and is shown whole
    in the docs (so a reader sees each example spec as it is)."""
    text = path.read_text(encoding="utf-8")
    rel = path.relative_to(ROOT).as_posix()
    assert text.split("\n", 1)[0] == f"# {rel}"
    assert load_batch_spec(path).scenario_path.is_file()
    whole = any(b.lines and b.lines[0] == f"# {rel}" for b in YAML_BLOCKS)
    assert whole, f"{rel} is not shown whole in any page of docs/"


def test_batch_specs_exist() -> None:
    """The parametrised test above has specs to check (an empty folder would pass silently)."""
    assert len(list(BATCHES.glob("*.yaml"))) >= 2


# --- (b) every key of the format is documented ------------------------------------------------


def _models_in(annotation: object) -> Iterator[type[BaseModel]]:
    """The pydantic models inside an annotation (through Optional, tuple, dict, Annotated)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        return
    for arg in typing.get_args(annotation):
        yield from _models_in(arg)


def model_keys(root: type[BaseModel]) -> dict[str, list[str]]:
    """Every field of every model reachable from ``root``, by the name written in YAML (its
    alias: ``from``): name -> ["Model.field", ...]."""
    keys: dict[str, list[str]] = {}
    seen: set[type[BaseModel]] = set()
    todo: list[type[BaseModel]] = [root]
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        for name, info in model.model_fields.items():
            written = info.alias or name
            keys.setdefault(written, []).append(f"{model.__name__}.{written}")
            todo.extend(_models_in(info.annotation))
    return keys


def scenario_keys() -> dict[str, list[str]]:
    """Every field of every model reachable from ``Scenario``: name -> ["Model.field", ...]."""
    return model_keys(Scenario)


def test_walk_reaches_every_model() -> None:
    """The field walk itself reaches the nested models (a guard on the test below)."""
    owners = {owner.split(".")[0] for names in scenario_keys().values() for owner in names}
    assert {
        "Scenario",
        "Source",
        "Actor",
        "EventType",
        "Codes",
        "MachineSpec",
        "StateSpec",
        "TransitionSpec",
        "VariableSpec",
        "RelationSpec",
        "EventSpec",
        "Citation",
    } <= owners


def test_every_scenario_key_is_documented() -> None:
    """docs/scenario-format.md mentions every key the loader accepts, as `key` in backticks."""
    text = (DOCS / "scenario-format.md").read_text(encoding="utf-8")
    missing = sorted(
        owner
        for name, owners in scenario_keys().items()
        if f"`{name}`" not in text
        for owner in owners
    )
    assert not missing, f"keys not documented in docs/scenario-format.md: {', '.join(missing)}"


def whatif_keys() -> dict[str, list[str]]:
    """Every key of a what-if file besides the scenario's: ``extends``, ``edits``, and every
    field (by the name written in YAML) of every edit kind: name -> ["Model.field", ...]."""
    keys: dict[str, list[str]] = {k: [f"what-if.{k}"] for k in WHATIF_KEYS}
    for model in EDIT_KINDS.values():
        for name, info in model.model_fields.items():
            written = info.alias or name
            keys.setdefault(written, []).append(f"{model.__name__}.{written}")
    return keys


def test_every_whatif_key_is_documented() -> None:
    """docs/scenario-format.md mentions every key of a what-if file and of every edit kind."""
    text = (DOCS / "scenario-format.md").read_text(encoding="utf-8")
    assert {"remove", "keep", "with", "by", "to", "with_consequences", "value"} <= set(
        whatif_keys()
    )
    missing = sorted(
        owner
        for name, owners in whatif_keys().items()
        if f"`{name}`" not in text
        for owner in owners
    )
    assert not missing, f"what-if keys not documented in docs/scenario-format.md: {missing}"


def test_every_batch_key_is_documented() -> None:
    """docs/batches.md mentions every key of a batch spec (``BatchSpec`` and the models it
    reaches: ``ParameterSpec``, ``DesignSpec``), every metric and every kind of design, each as
    `name` in backticks."""
    keys = model_keys(BatchSpec)
    owners = {owner.split(".")[0] for names in keys.values() for owner in names}
    assert {"BatchSpec", "ParameterSpec", "DesignSpec"} <= owners
    text = (DOCS / "batches.md").read_text(encoding="utf-8")
    missing = sorted(
        owner for name, names in keys.items() if f"`{name}`" not in text for owner in names
    )
    assert not missing, f"batch spec keys not documented in docs/batches.md: {missing}"
    kinds = typing.get_args(DesignSpec.model_fields["kind"].annotation)
    assert kinds, "DesignSpec.kind is no longer a Literal: update this test"
    words = [*METRICS, *kinds]
    undocumented = [w for w in words if f"`{w}`" not in text]
    assert not undocumented, f"metrics or designs not documented in docs/batches.md: {undocumented}"


# --- (c) Python examples run ------------------------------------------------------------------


def _expected_output(block: Block) -> str | None:
    """The ```text block right after ``block`` (only blank lines between), if any."""
    blocks = fenced_blocks(block.doc)
    lines = block.doc.read_text(encoding="utf-8").split("\n")
    for nxt in blocks:
        if nxt.start > block.end:
            between = lines[block.end : nxt.start - 1]
            if nxt.lang == "text" and all(not line.strip() for line in between):
                return nxt.text
            return None
    return None


@pytest.mark.parametrize("block", PYTHON_BLOCKS, ids=_ids(PYTHON_BLOCKS))
def test_python_example_runs(block: Block, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each ```python block of docs/python-api.md runs on its own from the repository root.

    When a ```text block follows it directly, the example prints exactly that text.
    """
    monkeypatch.chdir(ROOT)
    code = compile(block.text, block.where, "exec")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(code, {"__name__": "__docs__"})
    expected = _expected_output(block)
    if expected is not None:
        assert _normalised(out.getvalue()) == _normalised(expected), (
            f"{block.where}: the example prints something else than the page shows"
        )


# --- (d) command-line sessions and help texts ---------------------------------------------------


def _commands(block: Block) -> list[tuple[str, list[str]]]:
    """The ``$ dipsim ...`` commands of a console block, each with its expected output lines."""
    sessions: list[tuple[str, list[str]]] = []
    for line in block.lines:
        if line.startswith("$ "):
            sessions.append((line[2:], []))
        else:
            assert sessions, f"{block.where}: a console block starts with a '$ dipsim' line"
            sessions[-1][1].append(line)
    return sessions


#: Files a page's session writes live here (``dipsim batch --out /tmp/dipsim-docs/x.csv``, then
#: ``dipsim analyze /tmp/dipsim-docs/x.csv``): the test gives each block a fresh folder instead.
DOCS_FILES = "/tmp/dipsim-docs/"


def run_dipsim(command: str, files: Path | None = None) -> str:
    """What ``command`` (``dipsim ...``) prints, stdout and stderr as a terminal shows them."""
    if files is not None:
        command = command.replace(DOCS_FILES, f"{files}/")
    argv = shlex.split(command)
    assert argv[0] == "dipsim", f"only dipsim commands are checked, not {command!r}"
    result = CliRunner().invoke(cli, argv[1:], prog_name="dipsim", terminal_width=TERMINAL_WIDTH)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.output if files is None else result.output.replace(f"{files}/", DOCS_FILES)


#: ``DIPSIM_UPDATE_DOCS=1 python -m pytest tests/test_docs.py`` rewrites every console block with
#: what dipsim prints now (review the diff in git before committing it).
UPDATE = os.environ.get("DIPSIM_UPDATE_DOCS") == "1"


def _elided(block: Block) -> bool:
    """Whether the block leaves lines out (``…``): it is then checked, never rewritten."""
    return any(line.strip() == ELLIPSIS for line in block.lines)


def _update_console_block(block: Block, files: Path) -> None:
    fresh = []
    for command, _ in _commands(block):
        fresh.append(f"$ {command}")
        fresh.extend(_normalised(run_dipsim(command, files)))
    text = block.doc.read_text(encoding="utf-8")
    old = f"```console\n{block.text}\n```"
    assert old in text, f"{block.where}: block not found (was the page edited meanwhile?)"
    block.doc.write_text(text.replace(old, "```console\n" + "\n".join(fresh) + "\n```", 1))
    object.__setattr__(block, "text", "\n".join(fresh))


@pytest.mark.parametrize("block", CONSOLE_BLOCKS, ids=_ids(CONSOLE_BLOCKS))
def test_console_block_matches_dipsim(
    block: Block, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Each ``$ dipsim ...`` command in a ```console block prints exactly what follows it.

    Commands run from the repository root through click's test runner with a 100-column
    terminal; trailing whitespace is ignored.
    """
    monkeypatch.chdir(ROOT)
    if UPDATE and not _elided(block):
        _update_console_block(block, tmp_path / "update")
    for command, expected in _commands(block):
        printed = _normalised(run_dipsim(command, tmp_path))
        if _elided(block):
            assert _contains_in_order(printed, _chunks(tuple(expected))), (
                f"{block.where}: `{command}` does not print these lines (in this order):\n"
                + "\n".join(expected)
                + "\n--- it prints:\n"
                + "\n".join(printed)
            )
            continue
        assert printed == _normalised("\n".join(expected)), (
            f"{block.where}: `{command}` prints something else than the page shows; "
            f"regenerate it with CliRunner().invoke(cli, ..., terminal_width={TERMINAL_WIDTH})"
        )


# --- (e) figures in prose ----------------------------------------------------------------------

#: A figure typed in prose, and where it comes from (see the module's docstring).
_INLINE = re.compile(
    r"(?P<value>[-+−]?\d[\d.,]*%?)<!-- (?P<command>dipsim [^|]+?) \| (?P<pattern>.+?) -->"
)


@dataclass(frozen=True)
class Figure:
    """A figure in a page's prose, with the command and pattern that produce it."""

    doc: Path
    line: int
    value: str
    command: str
    pattern: str

    @property
    def where(self) -> str:
        return f"{self.doc.relative_to(ROOT).as_posix()}:{self.line}"


def inline_figures() -> list[Figure]:
    """Every figure of every page that names its source, outside code blocks."""
    found: list[Figure] = []
    for doc in sorted(DOCS.rglob("*.md")):
        inside = {n for b in fenced_blocks(doc) for n in range(b.start, b.end + 1)}
        for n, line in enumerate(doc.read_text(encoding="utf-8").split("\n"), start=1):
            if n in inside:
                continue
            # A figure written as code (`…`) is an example of the syntax, not a figure.
            for m in _INLINE.finditer(re.sub(r"`[^`]*`", "", line)):
                found.append(Figure(doc, n, m["value"], m["command"].strip(), m["pattern"]))
    return found


FIGURES = inline_figures()


@functools.cache
def _printed(command: str) -> str:
    """What a figure's command prints (once per command: several figures share one)."""
    return run_dipsim(command)


def _produced(figure: Figure) -> str:
    match = re.search(figure.pattern, _printed(figure.command), re.MULTILINE)
    assert match is not None, (
        f"{figure.where}: /{figure.pattern}/ matches nothing `{figure.command}` prints"
    )
    return match[1]


def test_pages_name_the_source_of_their_figures() -> None:
    """The parser finds the figures (so the check below bites)."""
    assert len(FIGURES) >= 5


@pytest.mark.parametrize("figure", FIGURES, ids=[f.where for f in FIGURES])
def test_figure_in_prose_is_what_dipsim_prints(
    figure: Figure, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A figure in prose is the one its command prints now (``DIPSIM_UPDATE_DOCS=1`` writes
    the number printed into the page)."""
    monkeypatch.chdir(ROOT)
    now = _produced(figure)
    if UPDATE and now != figure.value:
        text = figure.doc.read_text(encoding="utf-8")
        old = f"{figure.value}<!-- {figure.command} | {figure.pattern} -->"
        new = f"{now}<!-- {figure.command} | {figure.pattern} -->"
        assert text.count(old) == 1, f"{figure.where}: the figure is not found once"
        figure.doc.write_text(text.replace(old, new), encoding="utf-8")
        return
    assert now == figure.value, (
        f"{figure.where}: the page says {figure.value}, `{figure.command}` gives {now}"
    )


@pytest.mark.parametrize(
    "command",
    [
        "dipsim --help",
        "dipsim run --help",
        "dipsim check --help",
        "dipsim graph --help",
        "dipsim diff --help",
        "dipsim report --help",
        "dipsim schema --help",
        "dipsim batch --help",
        "dipsim summarize --help",
        "dipsim import --help",
    ],
)
def test_cli_page_shows_every_help_text(command: str) -> None:
    """docs/cli.md pastes the help of the group and of every command (checked above)."""
    shown = {c for b in CONSOLE_BLOCKS if b.doc.name == "cli.md" for c, _ in _commands(b)}
    assert command in shown, f"docs/cli.md does not show `{command}`"


def test_cli_page_covers_every_command_and_option() -> None:
    """docs/cli.md names every command and every option click knows about."""
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    for name, command in cli.commands.items():
        assert f"dipsim {name}" in text, f"docs/cli.md does not document `dipsim {name}`"
        for param in command.params:
            for opt in param.opts:
                if opt.startswith("-"):
                    assert f"`{opt}" in text, f"docs/cli.md does not document {name} {opt}"
