"""The corpus of bad scenario files (``tests/bad/``): each is refused with exactly the problems
it declares, located, and the CLI prints them as ``error:`` lines with exit status 2.

Each corpus file opens with comment lines; those of the form ``# expect: LINE:COL: key.path:
message`` are the problems the loader must report, in order (the file's path and a colon are
put in front; ``{bad}`` stands for the corpus folder as dipsim shows it: relative to the
working folder when inside it). See tests/bad/README.md.
Inputs that cannot carry comments (binary, invalid UTF-8, oversized) are generated below
(:data:`GENERATED`), each with its expectation beside it.
"""

from __future__ import annotations

import functools
import re
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from simulator import simulate
from simulator.cli import cli
from simulator.core.errors import Problem, ScenarioError, shown_path
from simulator.scenario.loading import load_scenario, scenario_from_text
from simulator.scenario.yamlread import DEFAULT_LIMITS, Limits

BAD = Path(__file__).resolve().parent / "bad"
CORPUS = sorted(BAD.glob("*.yaml"))
EXAMPLES = Path(__file__).resolve().parent.parent / "scenarios" / "examples"
_NAME = re.compile(r"^\d{2,3}-[a-z0-9]+(?:-[a-z0-9]+)*\.yaml$")
_EXPECT = "# expect: "


def expectations(path: Path) -> list[str]:
    """The problems ``path`` declares in its leading comment lines, as the loader prints them."""
    lines = path.read_text(encoding="utf-8").split("\n")
    header = []
    for line in lines:
        if not line.startswith("#"):
            break
        header.append(line)
    return [
        f"{path}:{line[len(_EXPECT) :]}".replace("{bad}", shown_path(BAD))
        for line in header
        if line.startswith(_EXPECT)
    ]


@functools.cache
def refusal(path: Path) -> tuple[Problem, ...]:
    """The problems loading ``path`` reports (it must be refused)."""
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return info.value.problems


def assert_located(problems: tuple[Problem, ...]) -> None:
    """Every problem has a line and a column (1-based)."""
    for p in problems:
        assert p.location.line is not None, f"no line: {p}"
        assert p.location.column is not None, f"no column: {p}"
        assert p.location.line >= 1
        assert p.location.column >= 1


# --- the corpus -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_corpus_file_is_refused_with_exactly_its_expected_problems(path: Path) -> None:
    """The problems printed are the declared ones, in order, each with a line and column."""
    expected = expectations(path)
    assert expected, f"{path.name} declares no '# expect:' line"
    problems = refusal(path)
    assert [str(p) for p in problems] == expected
    assert_located(problems)


def test_corpus_is_large_and_well_named() -> None:
    """At least 40 files, named NN-short-kind.yaml (or NNN-) with distinct numbers."""
    assert len(CORPUS) >= 40
    bad_names = [p.name for p in CORPUS if not _NAME.match(p.name)]
    assert not bad_names, f"not named NN-short-kind.yaml: {bad_names}"
    numbers = [int(p.name.split("-")[0]) for p in CORPUS]
    assert len(numbers) == len(set(numbers)), "two corpus files share a number"


def message_kind(message: str) -> str:
    """A message with its particulars taken out: quoted values, numbers and the lists of known
    names. Two messages of one kind differ only in what they are about."""
    kind = re.sub(
        r"; (?:known|allowed here|declared|functions|it may set):.*?(?= \(|$)", "", message
    )
    kind = re.sub(r"'[^']*'|\"[^\"]*\"", "Q", kind)
    kind = re.sub(r"\*\w+|&\w+", "A", kind)  # YAML aliases and anchors
    return re.sub(r"-?\d[\d,._]*", "N", kind)


def test_message_kind_ignores_particulars() -> None:
    """The normalisation above folds what varies between messages of one kind."""
    assert message_kind(
        "unknown actor 'AAB' (did you mean 'AAA'?); known: AAA, BBB, CCC"
    ) == message_kind("unknown actor 'X' (did you mean 'Y'?); known: X1")
    assert message_kind("input should be less than or equal to 10 (got 12)") == message_kind(
        "input should be less than or equal to 1 (got 1.5)"
    )
    assert message_kind("unknown actor 'A'") != message_kind("unknown state 'A'")


def test_no_two_corpus_files_expect_the_same_kind_of_message() -> None:
    """One file per kind of mistake: no two files expect the same set of message kinds."""
    owner: dict[tuple[str, ...], str] = {}
    clashes = []
    for path in CORPUS:
        kinds = tuple(sorted({message_kind(p.message) for p in refusal(path)}))
        if kinds in owner:
            clashes.append(f"{path.name} and {owner[kinds]}: {kinds}")
        owner.setdefault(kinds, path.name)
    assert not clashes, "files expecting the same kind of message:\n" + "\n".join(clashes)


# --- inputs that cannot carry their expectation as a comment ---------------------------------


def _events(n: int) -> str:
    """A valid scenario with ``n`` events."""
    event = (
        "  - {{id: e{i}, date: 2024-01-02, type: talk, actor: AAA, target: BBB, summary: Talks.,"
        " source: {{ref: wire}}}}\n"
    )
    return (
        "dipsim: 1\ntitle: Many events\nstart: 2024-01-01\nend: 2024-01-31\n"
        "sources: {wire: {publisher: Example Wire}}\n"
        "actors: {AAA: {name: A}, BBB: {name: B}}\nevent_types: {talk: {}}\n"
        "machine: {states: [calm], initial: calm}\nrelations: [{pair: [AAA, BBB]}]\n"
        "events:\n" + "".join(event.format(i=i) for i in range(n))
    )


MINIMAL = (EXAMPLES / "minimal.yaml").read_text(encoding="utf-8")


@dataclass(frozen=True)
class Generated:
    """A bad input made here: its bytes, the limits it is read with, the problems expected
    (``LINE:COL: ...``, the file's path is put in front)."""

    id: str
    content: Callable[[], bytes]
    expected: tuple[str, ...]
    limits: Limits = DEFAULT_LIMITS


GENERATED = [
    Generated(
        "binary",
        lambda: b"dipsim: 1\ntitle: a\x00b\n",
        ("2:9: this is a binary file, not YAML text (a NUL byte at offset 18)",),
    ),
    Generated(
        "invalid-utf8",
        lambda: b"dipsim: 1\ntitle: caf\xe9 au lait\n",
        ("2:11: not valid UTF-8 (byte 0xe9 at offset 20)",),
    ),
    Generated(
        "utf16",
        lambda: MINIMAL.encode("utf-16"),
        ("1:1: the file is UTF-16 text; save it as UTF-8",),
    ),
    Generated(
        "control-character",
        lambda: b"dipsim: 1\ntitle: a\x1bb\n",
        ("2:9: invalid YAML: the character U+001B is not allowed in YAML text",),
    ),
    Generated(
        "over-max-bytes",
        lambda: b"#" * (DEFAULT_LIMITS.max_bytes + 1),
        (
            "1:1: the file is 5,000,001 bytes, too big "
            "(limit max_bytes=5000000; raise it with --limit max_bytes=N)",
        ),
    ),
    Generated(
        "over-max-string",
        lambda: MINIMAL.replace(
            "title: The smallest", "description: " + "x" * 100_001 + "\ntitle: The smallest"
        ).encode(),
        (
            "4:14: description: text of 100,001 characters is too long "
            "(limit max_string=100000; raise it with --limit max_string=N)",
        ),
    ),
    Generated(
        "over-max-events",
        lambda: _events(4).encode(),
        (
            "14:5: events: more than 3 events "
            "(limit max_events=3; raise it with --limit max_events=N)",
        ),
        Limits(max_events=3),
    ),
    Generated(
        "over-max-depth",
        lambda: b"a: " + b"[" * 100_000 + b"]" * 100_000 + b"\n",
        (
            "1:54: a: nested deeper than 50 levels (limit max_depth=50; raise it with --limit "
            "max_depth=N)",
        ),
    ),
]


@pytest.mark.parametrize("case", GENERATED, ids=lambda c: c.id)
def test_generated_bad_input_is_refused(case: Generated, tmp_path: Path) -> None:
    """Binary, non-UTF-8 and oversized inputs get their message, located, quickly."""
    path = tmp_path / f"{case.id}.yaml"
    path.write_bytes(case.content())
    started = time.perf_counter()
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, limits=case.limits)
    assert time.perf_counter() - started < 2.0
    assert [str(p) for p in info.value.problems] == [f"{path}:{e}" for e in case.expected]
    assert_located(info.value.problems)


def test_alias_bomb_is_refused_quickly_in_bounded_memory() -> None:
    """The corpus's billion laughs (10^9 values once expanded) is refused within a second,
    using a few megabytes: aliases are counted, never expanded."""
    (bomb,) = [p for p in CORPUS if "alias-bomb" in p.name]
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(ScenarioError):
            load_scenario(bomb)
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert elapsed < 1.0
    assert peak < 20_000_000


@pytest.mark.parametrize(
    ("text", "tight", "field"),
    [
        (_events(4), Limits(max_events=3), "max_events"),
        (MINIMAL, Limits(max_depth=2), "max_depth"),
        (MINIMAL, Limits(max_string=10), "max_string"),
        (MINIMAL, Limits(max_bytes=100), "max_bytes"),
        (MINIMAL, Limits(max_nodes=10), "max_nodes"),
    ],
)
def test_every_limit_can_be_lowered_and_raised(text: str, tight: Limits, field: str) -> None:
    """Each limit trips with a message naming it and how to raise it; the same input loads
    with the default limits."""
    with pytest.raises(ScenarioError) as info:
        scenario_from_text(text, "s.yaml", tight)
    (problem,) = info.value.problems
    value = getattr(tight, field)
    assert problem.message.endswith(f"(limit {field}={value}; raise it with --limit {field}=N)")
    scenario_from_text(text, "s.yaml", DEFAULT_LIMITS)


# --- the command line --------------------------------------------------------------------------

CLI_SAMPLES = [
    "duplicate-key",
    "tags",
    "misspelt-required-key",
    "impossible-date",
    "guard-call",
    "unknown-state",
    "whatif-unknown-event",
]


@pytest.mark.parametrize("kind", CLI_SAMPLES)
def test_cli_prints_the_problems_and_exits_2(kind: str) -> None:
    """``dipsim run FILE`` prints each problem as ``error: ...`` on stderr (then how many when
    there are several) and exits with status 2, without a traceback."""
    (path,) = [p for p in CORPUS if p.name[3:] == f"{kind}.yaml"]
    result = CliRunner().invoke(cli, ["run", str(path)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    expected = [f"error: {line}" for line in expectations(path)]
    if len(expected) > 1:
        expected.append(f"{len(expected)} problems found")
    assert result.stderr.splitlines() == expected
    assert result.stdout == ""


def test_cli_limit_option_raises_the_limit_its_message_names(tmp_path: Path) -> None:
    """The advice of a limit's message works: ``--limit max_events=N`` lets the file through."""
    path = tmp_path / "events.yaml"
    path.write_text(_events(4), encoding="utf-8")
    refused = CliRunner().invoke(cli, ["run", str(path), "--limit", "max_events=3"])
    assert refused.exit_code == 2, refused.output
    assert refused.stderr == (
        f"error: {path}:14:5: events: more than 3 events "
        "(limit max_events=3; raise it with --limit max_events=N)\n"
    )
    accepted = CliRunner().invoke(cli, ["run", str(path), "--limit", "max_events=4"])
    assert accepted.exit_code == 0, accepted.output


# --- YAML 1.1's booleans do not corrupt names ---------------------------------------------------

NORWAY = """\
dipsim: 1
title: Names that YAML 1.1 would read as booleans
start: 2024-01-01
end: 2024-01-31
sources: {wire: {publisher: Example Wire}}
actors:
  NO: {name: Norway}
  ON: {name: Ontario}
  Y: {name: Yemen}
event_types:
  yes: {}
  off: {}
machine:
  states: [off, on, n]
  initial: off
  transitions:
    - {trigger: yes, source: off, dest: on}
    - {trigger: off, source: on, dest: n}
relations:
  - pair: NO-ON
  - pair: [Y, NO]
    initial: on
events:
  - {id: e1, date: 2024-01-02, type: yes, actor: NO, target: ON, summary: Yes., source: {ref: wire}}
  - {id: e2, date: 2024-01-03, type: off, actor: Y, target: NO, summary: Off., source: {ref: wire}}
"""


def test_yaml11_boolean_words_stay_names() -> None:
    """An actor coded NO (Norway), states called off/on/n and event types yes/off stay text,
    in keys, lists, pairs and values alike, and the scenario runs with them."""
    scenario = scenario_from_text(NORWAY, "s.yaml")
    assert list(scenario.actors) == ["NO", "ON", "Y"]
    assert scenario.machine.state_names == ("off", "on", "n")
    assert scenario.machine.initial == "off"
    assert list(scenario.event_types) == ["yes", "off"]
    assert [r.pair for r in scenario.relations] == [("NO", "ON"), ("Y", "NO")]
    assert [(e.type, e.actor, e.target) for e in scenario.events] == [
        ("yes", ("NO",), ("ON",)),
        ("off", ("Y",), ("NO",)),
    ]
    trace = simulate(scenario, seed=0)
    assert [(r.relation, r.before, r.after) for r in trace.records] == [
        ("NO-ON", "off", "on"),
        ("Y-NO", "on", "n"),
    ]


# --- the catalogue in the docs -----------------------------------------------------------------


def test_every_corpus_file_is_in_the_catalogue_of_messages() -> None:
    """docs/checking.md shows a message of every corpus file, naming the file, so that the
    catalogue of messages grows with the corpus."""
    text = (BAD.parent.parent / "docs" / "checking.md").read_text(encoding="utf-8")
    missing = [p.name for p in CORPUS if f"`{p.name}`" not in text]
    assert not missing, f"corpus files not in docs/checking.md: {missing}"
