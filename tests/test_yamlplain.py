"""The fast reading (libyaml's events straight to data) gives the located reading's data, or
gives up: never other data, and never a refusal of its own.

``read_yaml`` first reads a text with :func:`simulator.scenario.yamlplain.plain_data`, which
keeps no positions; when that gives up, the text is read through the node graph
(``yamlread._read_located``), whose refusals and positions every message keeps, and a fast
document's positions are that same reading's, made when first asked for. So what must hold:
wherever the located reading refuses a text, the fast one gives up; wherever the fast one
accepts, both give the same data (same types, same key order); and the positions worked out
later are those the located reading gives.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, note
from hypothesis import strategies as st

from simulator.core.errors import ScenarioError
from simulator.scenario import yamlread
from simulator.scenario.loading import load_scenario, load_scenario_with_origin
from simulator.scenario.yamlplain import DEEPEST, plain_data, plain_positions
from simulator.scenario.yamlread import DEFAULT_LIMITS, Limits, read_yaml
from tests.conftest import ROOT
from tests.test_bad_inputs import CORPUS, expectations
from tests.test_fuzz import YAML_ALPHABET, documents, mutated_scenario
from tests.test_yaml_parsers import ALL_YAML

pytestmark = pytest.mark.skipif(yamlread._CLoader is None, reason="PyYAML without libyaml")

SMALL = Limits(max_depth=3, max_events=2, max_nodes=25, max_string=12)


def typed(value: Any) -> Any:
    """``value`` with every type spelled out: 1, 1.0 and True are equal in Python, not here,
    and neither are two mappings with their keys in another order."""
    if isinstance(value, dict):
        return ("map", [(typed(k), typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("seq", [typed(v) for v in value])
    return (type(value).__name__, repr(value))


def fast(text: str, limits: Limits = DEFAULT_LIMITS) -> tuple[Any, set[Any]] | None:
    assert yamlread._CLoader is not None
    return plain_data(yamlread._CLoader(text, limits).get_event, yamlread._GRAMMAR, limits)


def located(text: str, limits: Limits = DEFAULT_LIMITS) -> tuple[str, Any]:
    try:
        doc = yamlread._read_located(text, "x.yaml", limits)
    except ScenarioError as err:
        return "refused", [str(p) for p in err.problems]
    return "data", doc


def assert_agrees(text: str, limits: Limits = DEFAULT_LIMITS) -> str:
    """The fast reading of ``text`` against the located one: which way it went."""
    if not yamlread._for_libyaml(text):
        return "python"  # read_yaml never reads it the fast way
    got = fast(text, limits)
    kind, expected = located(text, limits)
    if got is None:
        return "gave up"
    assert kind == "data", (text[:300], expected)
    assert typed(got[0]) == typed(expected.data), text[:300]
    assert got[1] == expected.plain_digits, text[:300]
    # Document.has answers from the data what ``in positions`` answers: it relies on this
    # (true of what the fast reading accepts: no aliases, whose insides have no positions).
    assert set(expected.positions) == written_paths(got[0]), text[:300]
    # The positions read again from the events are the located reading's.
    assert yamlread._CLoader is not None
    events = yamlread._CLoader(text, limits).get_event
    placed = plain_positions(events, yamlread._GRAMMAR)
    assert placed == (expected.positions, expected.key_positions), text[:300]
    return "same"


def written_paths(data: Any, prefix: tuple[Any, ...] = ()) -> set[tuple[Any, ...]]:
    found = {prefix}
    if isinstance(data, dict):
        for k, v in data.items():
            found |= written_paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            found |= written_paths(v, (*prefix, i))
    return found


@pytest.mark.parametrize("path", ALL_YAML, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_yaml_file_of_the_repository(path: Path) -> None:
    text = path.read_bytes().decode("utf-8-sig", errors="replace")
    assert_agrees(text)
    assert_agrees(text, SMALL)


def test_every_shipped_file_is_read_the_fast_way() -> None:
    """The fast reading is the one taken for the scenarios and specs dipsim ships."""
    for path in sorted((ROOT / "scenarios").rglob("*.yaml")):
        assert assert_agrees(path.read_text(encoding="utf-8")) == "same", path


def test_positions_come_later_and_are_the_located_ones() -> None:
    """A fast document reads no positions until asked; then it has the located reading's, and
    ``has`` answers as ``in positions`` does (every written path, no other)."""
    text = (ROOT / "scenarios" / "jan2024.yaml").read_text(encoding="utf-8")
    doc = read_yaml(text, "x.yaml")
    reference = yamlread._read_located(text, "x.yaml", DEFAULT_LIMITS)
    paths = written_paths(doc.data)
    assert all(doc.has(p) for p in paths)
    assert not doc.has(("events", len(doc.data["events"])))
    assert not doc.has(("title", 0))
    assert doc._written._tables is None  # has() did not need them
    assert doc.positions == reference.positions
    assert doc.key_positions == reference.key_positions
    assert set(doc.positions) == paths


def test_positions_are_placed_by_the_located_reading_when_the_events_do_not_serve(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """plain_positions gives up on events plain_data would not have read (an alias, a
    collection as a key); a document then takes its positions from the located reading."""
    assert yamlread._CLoader is not None
    for text in ("a: &x [1]\nb: *x\n", "[a]: 1\n"):
        events = yamlread._CLoader(text, DEFAULT_LIMITS).get_event
        assert plain_positions(events, yamlread._GRAMMAR) is None
    text = (ROOT / "scenarios" / "jan2024.yaml").read_text(encoding="utf-8")
    doc = read_yaml(text, "x.yaml")
    monkeypatch.setattr(yamlread, "plain_positions", lambda *_: None)
    reference = yamlread._read_located(text, "x.yaml", DEFAULT_LIMITS)
    assert (doc.positions, doc.key_positions) == (reference.positions, reference.key_positions)


def test_a_scenario_that_loads_reads_no_positions() -> None:
    """Loading a valid scenario (validation and every reference check) never asks where a
    value is written, so the text is read once; asked later, the positions are there."""
    path = ROOT / "scenarios" / "jan2024.yaml"
    loaded = load_scenario_with_origin(path)
    assert loaded.document._written._tables is None
    text = path.read_text(encoding="utf-8")
    reference = yamlread._read_located(text, str(path), DEFAULT_LIMITS)
    where = ("events", 3, "date")
    assert loaded.document.locate(where) == reference.locate(where)


@pytest.mark.parametrize(
    ("text", "limits"),
    [
        ("a: 1\na: 2\n", DEFAULT_LIMITS),  # a duplicate key
        ("~: 1\n", DEFAULT_LIMITS),  # a null key
        ("<<: {a: 1}\n", DEFAULT_LIMITS),  # a merge key
        ("[a]: 1\n", DEFAULT_LIMITS),  # a collection as a key
        ("a: .nan\n", DEFAULT_LIMITS),
        (".NaN: 1\n", DEFAULT_LIMITS),
        ("a: 0x_\n", DEFAULT_LIMITS),  # an int that cannot be read
        ("0o_: 1\n", DEFAULT_LIMITS),
        ("a: " + "9" * 5000 + "\n", DEFAULT_LIMITS),  # too many digits
        ("a: &x 1\nb: *x\n", DEFAULT_LIMITS),  # anchors and aliases: left to the located way
        ("a: 1\n---\nb: 2\n", DEFAULT_LIMITS),  # two documents
        ("", DEFAULT_LIMITS),  # empty
        ("# only a comment\n", DEFAULT_LIMITS),
        ("a: [1, 2\n", DEFAULT_LIMITS),  # a syntax error
        ("a: b\x07\n", DEFAULT_LIMITS),  # a control character
        ("a: [[[[1]]]]\n", SMALL),  # too deep
        ("a: [[[1]]]\n", SMALL),  # a value too deep in collections that are not
        ("a: " + "[" * 400 + "]" * 400, Limits(max_depth=1000)),  # too deep for Python
        ("events: [1, 2, 3]\n", SMALL),  # too many events
        ("a: [" + ", ".join(["1"] * 30) + "]\n", SMALL),  # too many values
        ("a: thirteen chars\n", SMALL),  # a text too long
        ("thirteen chars: 1\n", SMALL),  # a key too long
    ],
)
def test_it_gives_up_wherever_the_located_reading_refuses(text: str, limits: Limits) -> None:
    assert yamlread._for_libyaml(text)
    assert fast(text, limits) is None
    if "&x" not in text:
        assert located(text, limits)[0] == "refused"


def test_the_limits_hold_at_their_edge() -> None:
    """At a limit exactly the fast reading still accepts, as the located one does."""
    assert assert_agrees("a: [[[]]]\n", SMALL) == "same"
    wide = Limits(max_depth=1000)  # the fast reading gives up past DEEPEST whatever the limit
    assert assert_agrees("a: " + "[" * DEEPEST + "]" * DEEPEST, wide) == "same"
    assert assert_agrees("a: " + "[" * (DEEPEST + 1) + "]" * (DEEPEST + 1), wide) == "gave up"
    assert assert_agrees("events: [1, 2]\n", SMALL) == "same"
    assert assert_agrees("a: twelve chars\n".replace("twelve chars", "x" * 12), SMALL) == "same"
    values = "a: [" + ", ".join(["1"] * 23) + "]\n"  # the root, a's list and 23 items: 25
    assert assert_agrees(values, SMALL) == "same"
    assert assert_agrees(values.replace("[1", "[1, 1"), SMALL) == "gave up"
    keys = "{" + ", ".join(f"{i}: x" for i in range(12)) + "}\n"  # a number as a key counts
    assert assert_agrees(keys, SMALL) == "same"
    assert assert_agrees(keys.replace("{0: x", "{0: x, 12: x"), SMALL) == "gave up"


def test_scalars_read_as_the_located_reading_reads_them() -> None:
    text = (
        "a: [true, True, FALSE, yes, no, on, NO, ~, null, '', 0, -0, +12, 0x1F, 0o17, 1_000,"
        " 1.5, -0.0, 1e3, .inf, -.Inf, 1., .5, 2024-01-03, 12:30, '1', \"x\", -, <, <<a]\n"
        "1: int key\n2.5: float key\ntrue: bool key\nb: |\n  block\nc:\n"
        # Unquoted digits read as text (a leading zero), which Document.plain_digits names.
        "codes: {cameo: 050}\nd: [0123, '0123', \"007\", 007, [x, 09]]\n050: 060\n"
    )
    assert assert_agrees(text) == "same"
    got = fast(text)
    assert got is not None
    assert got[1] == {("codes", "cameo"), ("d", 0), ("d", 3), ("d", 4, 1), ("050",)}
    assert fast("0123\n") == ("0123", {()})


@pytest.mark.parametrize("reading", ["nodes", "python"])
@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_the_bad_input_corpus_is_refused_alike_every_way(
    path: Path, reading: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """tests/bad/ checks the reading dipsim takes (fast, then located); the same problems come
    from libyaml's events under the composer alone, and from PyYAML's Python parser."""
    if reading == "nodes":
        monkeypatch.setattr(yamlread, "plain_data", lambda *_: None)
    else:
        monkeypatch.setattr(yamlread, "_CLoader", None)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert [str(p) for p in info.value.problems] == expectations(path)


def test_the_resolver_table_is_all_the_resolving_there_is() -> None:
    """yamlplain resolves plain scalars from the resolver's table by first character, as
    BaseResolver.resolve does; that is the same only while no resolver takes any first
    character (None) or applies by path."""
    assert None not in yamlread._Resolver.yaml_implicit_resolvers
    assert not yamlread._Resolver.yaml_path_resolvers
    assert yamlread._GRAMMAR.resolvers is yamlread._Resolver.yaml_implicit_resolvers


@given(mutated_scenario())
def test_mutated_scenarios(case: tuple[Path, str]) -> None:
    note(case[1])
    assert_agrees(case[1])
    assert_agrees(case[1], SMALL)


@given(documents.map(lambda d: yaml.safe_dump(d, allow_unicode=True)))
def test_random_documents(text: str) -> None:
    note(text)
    assert_agrees(text)
    assert_agrees(text, SMALL)


@given(st.text(YAML_ALPHABET, max_size=60))
def test_random_text(text: str) -> None:
    note(repr(text))
    assert_agrees(text)
    assert_agrees(text, SMALL)
