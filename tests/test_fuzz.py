"""Fuzzing the loader: whatever the input, it returns a scenario or raises a located
:class:`~simulator.core.errors.ScenarioError` — never any other exception.

Four sources of input: the real scenarios with random mutations (lines deleted, duplicated,
swapped or re-indented, characters inserted or deleted, values replaced by random scalars);
random YAML documents (generated data rendered with ``yaml.safe_dump``, and valid scenarios
with one value replaced by random data); random text over YAML's punctuation; random bytes.

The hypothesis profile decides how hard to look (tests/conftest.py): ``ci`` is derandomised and
keeps this file to a few seconds; ``HYPOTHESIS_PROFILE=deep`` runs twenty times as many
examples.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from simulator.core.errors import ScenarioError
from simulator.scenario.loading import load_scenario, scenario_from_text
from simulator.scenario.model import Scenario
from tests.conftest import JAN2024, SCENARIOS
from tests.strategies import scenario_data

#: Real scenarios to mutate (what-ifs are left out: ``scenario_from_text`` reads one file).
SEEDS = (JAN2024, *sorted((SCENARIOS / "examples").glob("*.yaml")))

#: Scalars that mean something special to YAML, to dipsim, or to both.
SPECIAL_SCALARS = (
    "~",
    "null",
    "",
    "yes",
    "NO",
    "on",
    "true",
    "False",
    ".nan",
    ".inf",
    "-.inf",
    "1e999",
    "0x1f",
    "0o17",
    "0256",
    "1_000",
    "9" * 5000,
    "2024-02-30",
    "2024-13-01",
    "2024-01-15T10:00:00Z",
    "25:61",
    "'quoted'",
    '"dq\\u0000"',
    "[a, b]",
    "{a: 1}",
    "&anchor x",
    "*anchor",
    "*undefined",
    "!!python/object/apply:os.system ['true']",
    "!!binary aGk=",
    "!custom x",
    "<<",
    "|",
    ">-",
    "- item",
    "a: b: c",
    "# comment",
    "%YAML 1.1",
    "---",
    "...",
    "tension.real > 0",
    "__import__('os')",
    "-" * 40 + "1",
    "x" * 600,
    "\t",
    "\x00",
    "\x1b",
    "\ud800",
    "é",
    "\u2028",
)

#: Keys of a scenario (and a few of its parts), so random mappings sometimes look like one.
SCENARIO_KEYS = (
    "dipsim",
    "title",
    "start",
    "end",
    "sources",
    "actors",
    "event_types",
    "machine",
    "states",
    "initial",
    "transitions",
    "trigger",
    "source",
    "dest",
    "guard",
    "variables",
    "relations",
    "pair",
    "events",
    "id",
    "date",
    "time",
    "type",
    "actor",
    "target",
    "summary",
    "codes",
    "effects",
    "caused_by",
    "parameters",
    "rules",
    "when",
    "respond",
    "delay",
    "probability",
    "extends",
    "edits",
    "expect",
    "stays",
    "from",
    "until",
    "not_before",
    "invariants",
)

YAML_ALPHABET = st.sampled_from(list(":-[]{},&*!|>'\"#%@`?~ \n\t.0123456789aZ_é")) | st.characters()


@functools.cache
def seed_lines(path: Path) -> tuple[str, ...]:
    return tuple(path.read_text(encoding="utf-8").split("\n"))


def accepted_or_located(load: Callable[[], Scenario]) -> Scenario | None:
    """Run ``load``: a scenario, or a ScenarioError whose every problem has a line and column.
    Any other exception fails the test (hypothesis then shrinks the input)."""
    try:
        return load()
    except ScenarioError as err:
        for p in err.problems:
            assert p.location.line is not None, f"problem without a line: {p}"
            assert p.location.column is not None, f"problem without a column: {p}"
            assert p.message, f"problem without a message: {p}"
        return None


def load_text_beside(seed: Path, text: str) -> Scenario | None:
    """Load ``text`` as if it were ``seed`` (its file sources resolve from the seed's folder)."""
    with contextlib.chdir(seed.parent):
        return accepted_or_located(lambda: scenario_from_text(text, seed.name))


# --- (a) mutations of real scenarios -----------------------------------------------------------

scalar_text = st.one_of(
    st.sampled_from(SPECIAL_SCALARS),
    st.integers().map(str),
    st.floats().map(repr),
    st.text(YAML_ALPHABET, max_size=12),
)


@st.composite
def mutated_scenario(draw: st.DrawFn) -> tuple[Path, str]:
    """A real scenario with one to four random edits of its text."""
    seed = draw(st.sampled_from(SEEDS))
    lines = list(seed_lines(seed))
    for _ in range(draw(st.integers(1, 4))):
        if not lines:
            lines.append("")
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(
            st.sampled_from(
                ["delete", "duplicate", "swap", "insert", "cut", "indent", "value", "item"]
            )
        )
        line = lines[i]
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, line)
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "insert":
            at = draw(st.integers(0, len(line)))
            lines[i] = line[:at] + draw(st.text(YAML_ALPHABET, min_size=1, max_size=4)) + line[at:]
        elif op == "cut":
            at = draw(st.integers(0, len(line)))
            lines[i] = line[:at] + line[at + draw(st.integers(1, 6)) :]
        elif op == "indent":
            body = line.lstrip(" ")
            lines[i] = draw(st.sampled_from(["", " ", "  ", "   ", "    ", "\t", "      "])) + body
        elif op == "value" and ": " in line:
            key, _ = line.split(": ", 1)
            lines[i] = f"{key}: {draw(scalar_text)}"
        elif op == "item" and line.lstrip().startswith("- "):
            lines[i] = line[: line.index("- ") + 2] + draw(scalar_text)
    return seed, "\n".join(lines)


@given(mutated_scenario())
def test_mutated_real_scenarios_load_or_are_refused_with_locations(
    case: tuple[Path, str],
) -> None:
    """Real scenarios with random edits: loaded, or refused with located problems."""
    seed, text = case
    note(text)
    load_text_beside(seed, text)


def test_unmutated_seeds_load() -> None:
    """The seeds themselves load this way (so the mutations start from valid scenarios)."""
    for seed in SEEDS:
        text = "\n".join(seed_lines(seed))
        assert isinstance(load_text_beside(seed, text), Scenario), seed


# --- (b) random YAML documents ---------------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=20),
    st.sampled_from(SPECIAL_SCALARS),
    st.dates().map(str),
)
keys = st.one_of(st.sampled_from(SCENARIO_KEYS), st.text(max_size=10))
documents = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5), st.dictionaries(keys, children, max_size=6)
    ),
    max_leaves=40,
)


@given(documents)
def test_random_documents_load_or_are_refused_with_locations(data: Any) -> None:
    """Random YAML data (mappings that look like scenarios, lists, scalars)."""
    text = yaml.safe_dump(data, allow_unicode=True)
    note(text)
    accepted_or_located(lambda: scenario_from_text(text, "fuzz.yaml"))


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside ``data``."""
    found = [prefix]
    if isinstance(data, dict):
        for k, v in data.items():
            found.extend(_paths(v, (*prefix, k)))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            found.extend(_paths(v, (*prefix, i)))
    return found


@st.composite
def damaged_scenario(draw: st.DrawFn) -> dict[str, Any]:
    """A valid generated scenario with one to three values replaced by random data."""
    data = draw(scenario_data(max_events=5))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(data)[1:]))
        node: Any = data
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = draw(documents)
    return data


@given(damaged_scenario())
def test_damaged_scenarios_load_or_are_refused_with_locations(data: dict[str, Any]) -> None:
    """Scenario-shaped data with random values in random places: this reaches the model's
    validators and the whole-scenario checks, not just the reader."""
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    note(text)
    accepted_or_located(lambda: scenario_from_text(text, "fuzz.yaml"))


# --- (c) random text and bytes ---------------------------------------------------------------


@given(st.text(YAML_ALPHABET, max_size=300))
def test_random_text_loads_or_is_refused_with_locations(text: str) -> None:
    """Random text over YAML's punctuation."""
    accepted_or_located(lambda: scenario_from_text(text, "fuzz.yaml"))


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    prefix=st.sampled_from([b"", b"dipsim: 1\n", b"\xef\xbb\xbf", b"\xff\xfe"]),
    body=st.binary(max_size=300),
)
def test_random_bytes_load_or_are_refused_with_locations(
    tmp_path: Path, prefix: bytes, body: bytes
) -> None:
    """Random bytes in a file (binary, broken UTF-8, byte-order marks)."""
    path = tmp_path / "fuzz.yaml"
    path.write_bytes(prefix + body)
    accepted_or_located(lambda: load_scenario(path))


@pytest.mark.parametrize(
    "text",
    [
        "a: &a [*a]",
        "&a {x: *a}",
        "? [a]\n: 1",
        "{" * 5000,
        "[" * 5000 + "]" * 5000,
        "- " * 2000 + "x",
        "a:\n" + "".join("  " * i + "b:\n" for i in range(1, 200)),
        "dipsim: 1\ntitle: x\nmachine: {transitions: [{guard: '" + "9" * 400 + "'}]}",
    ],
    ids=[
        "recursive-list",
        "recursive-map",
        "collection-key",
        "open-braces",
        "deep-brackets",
        "deep-dashes",
        "deep-block",
        "huge-guard-number",
    ],
)
def test_known_hard_inputs_are_refused_with_locations(text: str) -> None:
    """Inputs that once crashed the loader or could: each is refused, located."""
    with pytest.raises(ScenarioError) as info:
        scenario_from_text(text, "hard.yaml")
    for p in info.value.problems:
        assert p.location.line is not None
        assert p.location.column is not None
