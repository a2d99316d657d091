"""The exercises of docs/exercises/ are checkable, and `dipsim check` tells right from wrong.

An exercise is three files with the same name ``NN-name``:

* ``scenarios/exercises/NN-name.yaml``, the starter the student edits. Its goals (``expect``
  items, invariants, premises) come after a line containing ``Goals — do not edit``, and the
  student edits only what is above that line;
* ``docs/exercises/NN-name.md``, the page: question, background, what to edit, how to check,
  hints, questions for discussion;
* ``docs/exercises/solutions/NN-name.yaml``, a reference solution. The students' copy of the
  repository has no ``solutions/`` (and their site never shows it: see ``tests/test_site.py``),
  so the tests that need the solutions are skipped, saying why, when the folder is absent.

A starter whose check needs options says so in its first line, ``# check: --explore 300``.
Batch specs that exercises use live in ``scenarios/exercises/batches/``.

What is checked: an untouched starter fails ``dipsim check`` with the exit status listed in
:data:`STARTERS` and names the goal it fails; each solution passes; the goals block of a
solution is the starter's, character for character (so a solution cannot pass by editing its
goals); every exercise has its page and solution, and its page names the starter; and the
command sessions shown on the pages print what the pages say.

Console blocks of the pages (```console) hold ``$ dipsim ...`` commands, each followed by lines
of its output; a line ``…`` stands for any number of lines left out. Commands run from the
repository root, with the repository's path removed from the output (dipsim prints the files a
what-if extends with their full path). ``DIPSIM_UPDATE_DOCS=1`` rewrites the blocks that have no
``…`` with what dipsim prints now.
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from simulator.batch.runner import run_batch
from simulator.batch.spec import load_batch_spec
from simulator.cli import cli
from tests.conftest import EXERCISES, ROOT

DOCS = ROOT / "docs" / "exercises"
SOLUTIONS = DOCS / "solutions"
#: A teacher's copy has the reference solutions; a student's has not, and the rest still runs.
needs_solutions = pytest.mark.skipif(
    not SOLUTIONS.is_dir(),
    reason="no reference solutions: docs/exercises/solutions/ is absent (a student's copy)",
)
EXERCISE_BATCHES = EXERCISES / "batches"
MARKER = "Goals — do not edit"
ELLIPSIS = "…"
UPDATE = os.environ.get("DIPSIM_UPDATE_DOCS") == "1"


@dataclass(frozen=True)
class Failing:
    """How an untouched starter fails: the exit status, and what the check output must say."""

    status: int
    says: tuple[str, ...]


#: Every exercise, with how its untouched starter fails. Status 1: a goal fails (the output has
#: its FAIL line). Status 2: the file does not load yet, because a goal names an event the
#: student is asked to add (the page says so).
STARTERS: dict[str, Failing] = {
    "01-reading-the-replay": Failing(1, ("FAIL  expect[0] the-event-that-recalled-the-envoys:",)),
    "02-phone-calls": Failing(
        2,
        (
            "expect[0].event: unknown event 'first-phone-call'",
            "expect[1].event: unknown event 'second-phone-call'",
        ),
    ),
    "03-attack-re-strains": Failing(1, ("FAIL  expect[0] the-attack-re-strains:",)),
    "04-late-return": Failing(1, ("FAIL  expect[0] still-away-when-the-attack-comes:",)),
    "05-counter-strike-odds": Failing(1, ("FAIL  expect[0] nineteen-to-one-for-normal:",)),
    "06-return-threshold": Failing(1, ("FAIL  expect[0] normal-in-at-least-half-the-runs:",)),
    "07-machine-bug": Failing(
        1, ("explore: 300 random sequences", "FAIL  invariants[0] restored-only-after-a-recall:")
    ),
    "08-pilot-comes-home": Failing(
        2,
        (
            "expect[0].event: unknown event 'khan-announces-release'",
            "expect[1].event: unknown event 'pilot-handed-over'",
        ),
    ),
}


def starters() -> list[Path]:
    """The starter files (``NN-name.yaml`` directly under scenarios/exercises/)."""
    return sorted(EXERCISES.glob("[0-9][0-9]-*.yaml"))


def _name(path: Path) -> str:
    return path.stem


def goals_block(path: Path) -> str:
    """The text from the line that marks the goals to the end of the file."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    marks = [i for i, line in enumerate(lines) if MARKER in line]
    assert len(marks) == 1, f"{path.name}: {len(marks)} lines say {MARKER!r}; want exactly one"
    return "".join(lines[marks[0] :])


def check_options(path: Path) -> list[str]:
    """The options a file's first line asks `dipsim check` for (``# check: --explore 300``)."""
    first = path.read_text(encoding="utf-8").split("\n", 1)[0]
    return shlex.split(first.removeprefix("# check:")) if first.startswith("# check:") else []


def dipsim(argv: list[str]) -> Result:
    """Run ``dipsim ARGV`` from the repository root (stdout and stderr together in .output)."""
    cwd = Path.cwd()
    os.chdir(ROOT)
    try:
        result = CliRunner().invoke(cli, argv, prog_name="dipsim", terminal_width=100)
    finally:
        os.chdir(cwd)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def check(path: Path) -> Result:
    return dipsim(["check", str(path.relative_to(ROOT)), *check_options(path)])


# --- The set of exercises -------------------------------------------------------------------


def test_there_are_at_least_six_exercises_and_each_is_listed() -> None:
    names = [_name(p) for p in starters()]
    assert len(names) >= 6
    assert names == sorted(STARTERS), "list each starter in STARTERS (and only those)"


@pytest.mark.parametrize("starter", starters(), ids=_name)
def test_exercise_has_a_page(starter: Path) -> None:
    page = DOCS / f"{starter.stem}.md"
    assert page.is_file(), f"no page {page.relative_to(ROOT)}"
    rel = starter.relative_to(ROOT).as_posix()
    assert rel in page.read_text(encoding="utf-8"), f"{page.name} does not name {rel}"


@needs_solutions
@pytest.mark.parametrize("starter", starters(), ids=_name)
def test_exercise_has_a_solution(starter: Path) -> None:
    assert (SOLUTIONS / starter.name).is_file(), f"no solution for {starter.name}"


def test_index_links_every_page() -> None:
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    for starter in starters():
        assert f"({starter.stem}.md)" in index, f"index.md does not link {starter.stem}.md"


@needs_solutions
def test_solutions_have_a_readme_and_one_file_per_exercise() -> None:
    assert (SOLUTIONS / "README.md").is_file()
    assert sorted(p.name for p in SOLUTIONS.glob("*.yaml")) == [p.name for p in starters()]


# --- Starters fail, solutions pass, goals are the same --------------------------------------


@pytest.mark.parametrize("starter", starters(), ids=_name)
def test_untouched_starter_fails_and_names_the_goal(starter: Path) -> None:
    failing = STARTERS[starter.stem]
    result = check(starter)
    assert result.exit_code == failing.status, result.output
    for text in failing.says:
        assert text in result.output, f"{starter.name}: {text!r} not in\n{result.output}"
    if failing.status == 1:
        assert "result: FAILED" in result.output


@needs_solutions
@pytest.mark.parametrize("starter", starters(), ids=_name)
def test_reference_solution_passes(starter: Path) -> None:
    solution = SOLUTIONS / starter.name
    result = check(solution)
    assert result.exit_code == 0, result.output
    assert "FAIL" not in result.output
    assert result.output.rstrip().endswith("result: ok")


@needs_solutions
@pytest.mark.parametrize("starter", starters(), ids=_name)
def test_solution_differs_from_its_starter_only_above_the_goals(starter: Path) -> None:
    solution = SOLUTIONS / starter.name
    assert goals_block(solution) == goals_block(starter)
    assert check_options(solution) == check_options(starter)


@pytest.mark.parametrize("starter", starters(), ids=_name)
def test_goals_are_checkable(starter: Path) -> None:
    """The goals block holds something `dipsim check` judges (expect items or invariants)."""
    goals = goals_block(starter)
    assert re.search(r"^(expect|invariants):", goals, re.MULTILINE) or re.search(
        r"^ +(outcome|to):", goals, re.MULTILINE
    ), f"{starter.name}: the goals block has no expect item or invariant"


# --- Batch specs of the exercises -------------------------------------------------------------


def batch_specs() -> list[Path]:
    return sorted(EXERCISE_BATCHES.glob("*.yaml"))


@pytest.mark.parametrize("spec", batch_specs(), ids=lambda p: p.name)
def test_exercise_batch_spec_runs_a_starter(spec: Path, tmp_path: Path) -> None:
    loaded = load_batch_spec(spec)
    assert loaded.scenario_path.resolve() in {p.resolve() for p in starters()}
    rel = spec.relative_to(ROOT).as_posix()
    assert spec.read_text(encoding="utf-8").split("\n", 1)[0] == f"# {rel}"
    result = run_batch(spec, "sequential", out=tmp_path / "results.csv")
    assert result.errors == 0
    assert result.runs > 0


# --- What the pages show ----------------------------------------------------------------------


_FENCE = re.compile(r"^(`{3,})(\w*)\s*$")


@dataclass(frozen=True)
class Session:
    """One ``$ dipsim ...`` command of a page's console block, with the lines shown after it."""

    page: Path
    line: int
    command: str
    shown: tuple[str, ...]

    @property
    def where(self) -> str:
        return f"{self.page.name}:{self.line}"


def sessions() -> list[Session]:
    """Every command of every ```console block of docs/exercises/*.md."""
    found: list[Session] = []
    for page in sorted(DOCS.glob("*.md")):
        lines = page.read_text(encoding="utf-8").split("\n")
        fence: str | None = None
        for i, line in enumerate(lines):
            opening = _FENCE.match(line)
            if fence is None and opening is not None and opening[2] == "console":
                fence = opening[1]
            elif fence is not None and line.rstrip() == fence:
                fence = None
            elif fence is not None and line.startswith("$ "):
                found.append(Session(page, i + 1, line[2:], ()))
            elif fence is not None:
                assert found, f"{page.name}:{i + 1}: a console block starts with a '$ ' line"
                last = found[-1]
                found[-1] = Session(last.page, last.line, last.command, (*last.shown, line))
    return found


def printed(command: str) -> list[str]:
    """What ``command`` prints, line by line, without the repository's path."""
    argv = shlex.split(command)
    assert argv[0] == "dipsim", f"only dipsim commands are checked, not {command!r}"
    output = dipsim(argv[1:]).output.replace(f"{ROOT}/", "")
    lines = [line.rstrip() for line in output.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _chunks(shown: tuple[str, ...]) -> list[list[str]]:
    """The shown lines split at ``…`` lines: each chunk must appear contiguously, in order."""
    chunks: list[list[str]] = [[]]
    for line in shown:
        if line.strip() == ELLIPSIS:
            chunks.append([])
        else:
            chunks[-1].append(line.rstrip())
    return [c for c in chunks if c]


def _find(have: list[str], chunk: list[str], start: int) -> int | None:
    """Where ``chunk`` first appears, whole, in ``have`` at or after ``start``."""
    last = len(have) - len(chunk)
    return next((i for i in range(start, last + 1) if have[i : i + len(chunk)] == chunk), None)


def _contains_in_order(have: list[str], chunks: list[list[str]]) -> bool:
    at = 0
    for chunk in chunks:
        found = _find(have, chunk, at)
        if found is None:
            return False
        at = found + len(chunk)
    return True


def _update(session: Session, now: list[str]) -> None:
    text = session.page.read_text(encoding="utf-8")
    old = "\n".join([f"$ {session.command}", *session.shown])
    assert text.count(old) == 1, f"{session.where}: block not found once (edited meanwhile?)"
    session.page.write_text(text.replace(old, "\n".join([f"$ {session.command}", *now])))


SESSIONS = sessions()

_YAML_FENCE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,})yaml\s*$")
_WHOLE = re.compile(r"^# (?P<path>(scenarios|docs)/\S+\.yaml)$")
_EXCERPT = re.compile(r"^# excerpt of (?P<path>(scenarios|docs)/\S+\.yaml)$")


def yaml_blocks() -> list[tuple[str, list[str]]]:
    """Every ```yaml block of docs/exercises/*.md (indented ones too): (where, its lines)."""
    found: list[tuple[str, list[str]]] = []
    for page in sorted(DOCS.glob("*.md")):
        lines = page.read_text(encoding="utf-8").split("\n")
        i = 0
        while i < len(lines):
            opening = _YAML_FENCE.match(lines[i])
            if opening is None:
                i += 1
                continue
            indent, fence = opening["indent"], opening["fence"]
            j = i + 1
            while lines[j].rstrip() != indent + fence:
                j += 1
            body = [line.removeprefix(indent) for line in lines[i + 1 : j]]
            found.append((f"{page.name}:{i + 1}", body))
            i = j + 1
    return found


YAML_BLOCKS = yaml_blocks()


@pytest.mark.parametrize("block", YAML_BLOCKS, ids=[where for where, _ in YAML_BLOCKS])
def test_page_yaml_is_a_file_or_an_excerpt(block: tuple[str, list[str]]) -> None:
    """A ```yaml block starts with ``# PATH`` (the whole file) or ``# excerpt of PATH`` (lines
    found together in the file), so that what a page shows is what the files say."""
    where, lines = block
    whole, excerpt = _WHOLE.match(lines[0]), _EXCERPT.match(lines[0])
    match = whole or excerpt
    assert match is not None, f"{where}: a yaml block starts with '# PATH' or '# excerpt of PATH'"
    text = (ROOT / match["path"]).read_text(encoding="utf-8")
    have = [line.rstrip() for line in text.rstrip("\n").split("\n")]
    if whole is not None:  # the file starts with the same "# PATH" line
        assert [line.rstrip() for line in lines] == have, f"{where}: paste {match['path']} again"
    else:
        want = [line.rstrip() for line in lines[1:]]
        assert _contains_in_order(have, [want]), f"{where}: not in {match['path']}"


def test_pages_show_sessions() -> None:
    assert len(SESSIONS) >= len(STARTERS)


@pytest.mark.parametrize("session", SESSIONS, ids=[s.where for s in SESSIONS])
def test_page_session_prints_what_the_page_shows(session: Session) -> None:
    now = printed(session.command)
    whole = ELLIPSIS not in {line.strip() for line in session.shown}
    if UPDATE and whole:
        _update(session, now)
        return
    shown = [line.rstrip() for line in session.shown]
    while shown and not shown[-1]:
        shown.pop()
    if whole:
        assert now == shown, f"{session.where}: `{session.command}` prints something else"
    else:
        assert _contains_in_order(now, _chunks(session.shown)), (
            f"{session.where}: `{session.command}` does not print these lines (in this order):\n"
            + "\n".join(session.shown)
            + "\n--- it prints:\n"
            + "\n".join(now)
        )
