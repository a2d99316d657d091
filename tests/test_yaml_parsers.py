"""libyaml's parser and PyYAML's give dipsim the same node graph, or libyaml's is not used.

dipsim reads YAML events from libyaml (C) where PyYAML was built with it, under its own Python
composer; anything libyaml refuses is parsed again by PyYAML's Python parser, whose words and
positions every message keeps (``simulator.scenario.yamlread._compose``). So a difference can
only matter where libyaml *accepts* a text: then both must give the same nodes, tags, values
and marks, and dipsim's own refusals (depth, events, self-containing aliases) the same
message at the same place. Checked on every YAML file the repository holds and on the fuzz
tests' generated texts.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, note
from hypothesis import strategies as st

from simulator.core.errors import ScenarioError
from simulator.scenario import yamlread
from simulator.scenario.yamlread import DEFAULT_LIMITS, Limits, read_yaml
from tests.conftest import ROOT
from tests.test_fuzz import YAML_ALPHABET, documents, mutated_scenario

C_LOADER = yamlread._CLoader
pytestmark = pytest.mark.skipif(C_LOADER is None, reason="PyYAML was built without libyaml")

ALL_YAML = sorted(p for p in ROOT.rglob("*.yaml") if ".ci" not in p.parts and "site" not in p.parts)


def shape(node: Any, seen: dict[int, int] | None = None) -> Any:
    """What dipsim reads of a node: its kind, tag, value and where it starts, recursively; a
    node met again (an alias) is its number in the walk, so an alias bomb is not expanded."""
    seen = {} if seen is None else seen
    if node is None:
        return None
    if id(node) in seen:
        return ("again", seen[id(node)])
    seen[id(node)] = len(seen)
    where = (node.start_mark.line, node.start_mark.column)
    if isinstance(node, yaml.ScalarNode):
        return ("scalar", node.tag, node.value, where)
    if isinstance(node, yaml.SequenceNode):
        return ("seq", node.tag, where, [shape(n, seen) for n in node.value])
    return ("map", node.tag, where, [(shape(k, seen), shape(v, seen)) for k, v in node.value])


def outcome(loader: Any, text: str, limits: Limits) -> tuple[str, Any]:
    try:
        return "nodes", shape(loader(text, limits).get_single_node())
    except yamlread._RefusedError as err:
        return "refused", (err.message, err.path, err.mark.line, err.mark.column)
    except Exception as err:
        return "error", type(err).__name__


def assert_same_where_libyaml_accepts(text: str, limits: Limits = DEFAULT_LIMITS) -> str:
    assert C_LOADER is not None
    if not yamlread._for_libyaml(text):
        return "python"  # known to differ: parsed in Python only
    c_kind, c_value = outcome(C_LOADER, text, limits)
    if c_kind == "error":
        return c_kind  # parsed again in Python: nothing of libyaml's reaches the user
    py_kind, py_value = outcome(yamlread._Loader, text, limits)
    assert (py_kind, py_value) == (c_kind, c_value), text[:300]
    return c_kind


@pytest.mark.parametrize("path", ALL_YAML, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_yaml_file_of_the_repository(path: Path) -> None:
    text = path.read_bytes().decode("utf-8-sig", errors="replace")
    assert_same_where_libyaml_accepts(text)


def test_every_shipped_scenario_is_read_by_libyaml() -> None:
    """The fast path is the one taken: every scenario and spec under scenarios/ goes through C."""
    for path in sorted((ROOT / "scenarios").rglob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        assert yamlread._for_libyaml(text), path
        assert outcome(C_LOADER, text, DEFAULT_LIMITS)[0] == "nodes", path


def test_texts_known_to_differ_go_to_python() -> None:
    """A tab after a value is refused by PyYAML and taken by libyaml: never read by libyaml."""
    assert outcome(C_LOADER, "0\t", DEFAULT_LIMITS)[0] == "nodes"
    assert outcome(yamlread._Loader, "0\t", DEFAULT_LIMITS)[0] == "error"
    with pytest.raises(ScenarioError, match="invalid YAML"):
        read_yaml("a: 0\t\n", "x.yaml")
    assert not yamlread._for_libyaml("\ufeffa: 1")
    assert not yamlread._for_libyaml("a: 1\n?")
    assert not yamlread._for_libyaml("a: !x 1")
    assert yamlread._for_libyaml("summary: what if? Stop! Nothing.\n")


@given(st.text(st.sampled_from(" \n\t\u2028[]{},?!a:-"), max_size=10))
def test_apart_indicators_where_a_token_can_start(text: str) -> None:
    """``_APART`` finds a ``?`` or ``!`` at the start or after a space, ``[``, ``{`` or ``,``
    (its plain spelling here; the module's is written to search faster)."""
    plain = re.search(r"(?:^|[\s\[{,])[?!]", text)
    assert bool(yamlread._APART.search(text)) == bool(plain)


def test_refusals_while_composing_match() -> None:
    """Depth, the events limit and a value containing itself: same message, same mark."""
    deep = "a:\n" + "".join("  " * i + "- \n" for i in range(1, 60)) + "  " * 60 + "- x\n"
    events = "events:\n" + "".join(f"  - id: e{i}\n" for i in range(5))
    loop = "a: &x [1, *x]\n"
    small = Limits(max_depth=10, max_events=3)
    for text in (deep, events, loop, "x: " + "[" * 200 + "]" * 200):
        assert assert_same_where_libyaml_accepts(text, small) == "refused", text[:40]


def test_the_same_document_either_way(tmp_path: Path) -> None:
    """read_yaml through C or through Python gives the same data and positions."""
    text = (ROOT / "scenarios" / "jan2024.yaml").read_text(encoding="utf-8")
    fast = read_yaml(text, "x.yaml")
    saved = yamlread._CLoader
    try:
        yamlread._CLoader = None
        slow = read_yaml(text, "x.yaml")
    finally:
        yamlread._CLoader = saved
    assert (fast.data, fast.positions, fast.key_positions) == (
        slow.data,
        slow.positions,
        slow.key_positions,
    )


@given(mutated_scenario())
def test_mutated_scenarios(case: tuple[Path, str]) -> None:
    note(case[1])
    assert_same_where_libyaml_accepts(case[1])


@given(documents.map(lambda d: yaml.safe_dump(d, allow_unicode=True)))
def test_random_documents(text: str) -> None:
    note(text)
    assert_same_where_libyaml_accepts(text)


@given(st.text(YAML_ALPHABET, max_size=60))
def test_random_text(text: str) -> None:
    note(repr(text))
    assert_same_where_libyaml_accepts(text)
