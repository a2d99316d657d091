"""YAML syntax errors come with their fix, and all of a file's come out in one pass.

Each common mistake gets PyYAML's words, then how to mend it; after an error the reading goes
on from the next line that starts an entry, so further syntax errors are reported with their
true lines, up to :data:`MOST_ERRORS`, in at most :data:`MOST_ATTEMPTS` further parses (a file
full of errors costs a few parses, not one per line). The limits of ``yamlread`` hold on the
way, and libyaml's path and PyYAML's give the same messages.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, note
from hypothesis import strategies as st

from simulator.cli import cli
from simulator.core.errors import ScenarioError
from simulator.scenario import yamlread
from simulator.scenario.yamlread import Limits, read_yaml
from simulator.scenario.yamlsyntax import MOST_ATTEMPTS, MOST_ERRORS

FILE = "s.yaml"
QUOTE_IT = "quote the value: a ': ' inside a plain value starts a mapping"


def problems(text: str, limits: Limits | None = None) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        read_yaml(text, FILE, limits or Limits())
    return [str(p) for p in info.value.problems]


@pytest.fixture(params=["libyaml", "python"])
def parser(request: pytest.FixtureRequest) -> Iterator[str]:
    """Each test twice: through libyaml where the text allows, and through PyYAML only."""
    saved = yamlread._CLoader
    if request.param == "python":
        yamlread._CLoader = None
    elif saved is None:
        pytest.skip("PyYAML was built without libyaml")
    try:
        yield request.param
    finally:
        yamlread._CLoader = saved


#: A common mistake, and what dipsim says of it (the first line of the problems, or all).
HINTS: dict[str, tuple[str, list[str]]] = {
    "a ': ' in a plain value": (
        'date_note: says "In a tweet on Friday": 3 August\n',
        [
            f"s.yaml:1:39: invalid YAML: mapping values are not allowed here; {QUOTE_IT} "
            """(date_note: 'says "In a tweet on Friday": 3 August')"""
        ],
    ),
    "a ' in the value to quote is doubled": (
        "note: it's: here\n",
        [
            f"s.yaml:1:11: invalid YAML: mapping values are not allowed here; {QUOTE_IT} "
            "(note: 'it''s: here')"
        ],
    ),
    "a line indented more than its sibling": (
        "a:\n  b: 1\n   c: 2\n",
        [
            "s.yaml:3:5: invalid YAML: mapping values are not allowed here; this line is "
            "indented more than the one above, so it goes on with that value: line the keys of "
            "one mapping up in the same column"
        ],
    ),
    "a tab": (
        "a:\n\tb: 1\n",
        [
            "s.yaml:2:1: invalid YAML: found character '\\t' that cannot start any token; use "
            "spaces instead: YAML does not allow tabs for indentation"
        ],
    ),
    "an unclosed double quote": (
        'title: "A crisis\nstart: 2024-01-01\n',
        [
            's.yaml:1:8: invalid YAML: found unexpected end of stream; this " is never closed: '
            "end the value with the same quote"
        ],
    ),
    "an unclosed single quote": (
        "title: 'A crisis\n",
        [
            "s.yaml:1:8: invalid YAML: found unexpected end of stream; this ' is never closed: "
            "end the value with the same quote"
        ],
    ),
    "text after a closing quote": (
        "title: 'it's here'\n",
        [
            "s.yaml:1:12: invalid YAML: expected <block end>, but found '<scalar>'; a quoted "
            "value ends at its closing quote, so text after it is out of place: quote the whole "
            "value (a quote inside single quotes is written twice), or close a quote left open "
            "above"
        ],
    ),
    "a value starting with @": (
        "actor: @handle\n",
        [
            "s.yaml:1:8: invalid YAML: found character '@' that cannot start any token; quote "
            "the value: YAML does not allow @ to start a plain value"
        ],
    ),
    "a value starting with a backtick": (
        "guard: `tension > 1`\n",
        [
            "s.yaml:1:8: invalid YAML: found character '`' that cannot start any token; quote "
            "the value: YAML does not allow ` to start a plain value"
        ],
    ),
    "a value starting with %": (
        "share: %50\n",
        [
            "s.yaml:1:8: invalid YAML: found character '%' that cannot start any token; quote "
            "the value: YAML does not allow % to start a plain value"
        ],
    ),
    "a list item among keys": (
        "actors:\n  AAA: {name: A}\n  - BBB\n",
        [
            "s.yaml:3:3: invalid YAML: expected <block end>, but found '-'; a '- ' item among "
            "the keys of a mapping: make every entry here a key, or put the list under a key of "
            "its own, indented"
        ],
    ),
    "a key among list items": (
        "events:\n  - id: a\n  note: x\n",
        [
            "s.yaml:3:3: invalid YAML: expected <block end>, but found '?'; a key at the "
            "indentation of the list's '- ' items: indent it like the keys of its item, or "
            "start a new item with '- '"
        ],
    ),
    "a list on its key's line": (
        "states: - calm\n",
        [
            "s.yaml:1:9: invalid YAML: sequence entries are not allowed here; start the list on "
            "the line after its key, indented, or write it as [a, b]"
        ],
    ),
    "a key less indented than its siblings": (
        "a:\n    b: 1\n  c: 2\n",
        [
            "s.yaml:3:3: invalid YAML: expected <block end>, but found '<block mapping start>'; "
            "check the indentation: the keys of one mapping start in the same column"
        ],
    ),
    "a line without its colon": (
        "a:\n  summary: a long\n  text going on\n  date: x\n",
        [
            "s.yaml:3:3: invalid YAML: could not find expected ':'; this line is neither 'key: "
            "value' nor a '- ' item: to go on with the value above, indent it more than its "
            "key, or quote the value"
        ],
    ),
    "an unclosed bracket": (
        "states: [calm, tense\ninitial: calm\n",
        [
            "s.yaml:2:8: invalid YAML: expected ',' or ']', but got ':'; the [ at line 1, "
            "column 9 is not closed where it should be (a text that starts with it is quoted)"
        ],
    ),
}


@pytest.mark.parametrize("case", HINTS.values(), ids=list(HINTS))
def test_a_common_mistake_gets_its_fix(case: tuple[str, list[str]], parser: str) -> None:
    text, said = case
    assert problems(text) == said


TWO_EVENTS = """\
events:
  - id: a
    date_note: says "In a tweet on Friday": 3 August
    summary: x
  - id: b
    causes:
      - a: b: c
      - fine
    note: also: this
rules:
\t- x
end: 2024-01-31
"""


def test_every_syntax_error_in_one_pass(parser: str) -> None:
    """After an error, reading goes on at the next entry (a sibling key, the next item, the
    next top-level key): each error is found with its own line, nested or not."""
    said = problems(TWO_EVENTS)
    assert [p.split(": invalid YAML: ")[0] for p in said] == [
        "s.yaml:3:43",
        "s.yaml:7:13",
        "s.yaml:9:15",
        "s.yaml:11:1",
    ]
    assert "(date_note: 'says \"In a tweet on Friday\": 3 August')" in said[0]
    assert "(note: 'also: this')" in said[2]
    assert "tabs" in said[3]


def test_what_an_unclosed_quote_swallowed_is_read_again(parser: str) -> None:
    text = 'title: "A crisis\nstart: 2024-01-01\nnote: a: b\n'
    assert [p.split(": invalid YAML: ")[0] for p in problems(text)] == ["s.yaml:1:8", "s.yaml:3:8"]


def test_an_anchor_above_the_new_start_is_no_error(parser: str) -> None:
    """Reading again from a later line, an alias to an anchor above it is not 'undefined'."""
    text = "x: &a 1\ny: b: c\nz: *a\nw: q: r\n"
    assert [p.split(": invalid YAML: ")[0] for p in problems(text)] == ["s.yaml:2:5", "s.yaml:4:5"]


def test_a_block_text_is_not_read_as_keys(parser: str) -> None:
    """Starting again is not done inside a block text, whose lines may look like keys."""
    text = (
        "a:\n  b:\n    c:\n      d: e: f\n  note: |\n    Note: see above.\n    More text.\n"
        "g: h: i\n"
    )
    assert [p.split(": invalid YAML: ")[0] for p in problems(text)] == ["s.yaml:4:11", "s.yaml:8:5"]


def test_a_list_of_items_among_keys_is_one_error(parser: str) -> None:
    text = "actors:\n  A: x\n  - B\n  - C\n  - D\nend: 1\n"
    assert len(problems(text)) == 1


def test_the_same_messages_either_way() -> None:
    """libyaml's path and PyYAML's give the same problems, word for word and place for place."""
    if yamlread._CLoader is None:
        pytest.skip("PyYAML was built without libyaml")
    texts = [case[0] for case in HINTS.values()] + [TWO_EVENTS.replace("\t", "  ")]
    fast = [problems(text) for text in texts]
    saved = yamlread._CLoader
    try:
        yamlread._CLoader = None
        slow = [problems(text) for text in texts]
    finally:
        yamlread._CLoader = saved
    assert fast == slow


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The length of every text parsed again after the first error."""
    sizes: list[int] = []
    original = yamlread._syntax_error

    def counted(text: str, limits: Limits) -> Any:
        sizes.append(len(text))
        return original(text, limits)

    monkeypatch.setattr(yamlread, "_syntax_error", counted)
    return sizes


def test_a_file_full_of_errors_is_read_a_bounded_number_of_times(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sizes = _counting(monkeypatch)
    text = "".join(f"k{i}: a: b\n" for i in range(20_000))
    said = problems(text)
    assert len(said) == MOST_ERRORS
    assert [p.split(": invalid YAML: ")[0] for p in said[:3]] == [
        "s.yaml:1:6",
        "s.yaml:2:6",
        "s.yaml:3:6",
    ]
    assert len(sizes) <= MOST_ATTEMPTS
    assert sum(sizes) <= (MOST_ATTEMPTS + 1) * len(text)


def test_errors_that_are_not_new_starts_are_read_a_bounded_number_of_times(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Lines that each restart and each fail with an alias (not reported) still stop."""
    sizes = _counting(monkeypatch)
    text = "x: &a 1\ny: b: c\n" + "".join(f"z{i}: *a\n" for i in range(5_000))
    assert len(problems(text)) == 1
    assert len(sizes) <= MOST_ATTEMPTS


def test_the_limits_hold_after_a_syntax_error() -> None:
    """What follows an error is read under the same limits: too deep a value, or an alias
    bomb, ends the search (the syntax error is still told), without a crash or an expansion."""
    limits = Limits(max_depth=10, max_nodes=1_000)
    deep = "a: b: c\nd:\n" + "".join("  " * i + "- \n" for i in range(1, 40)) + "x: y: z\n"
    assert len(problems(deep, limits)) == 1
    bomb = "a: b: c\n" + "".join(
        f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9 if i else ["x"] * 9) + "]\n"
        for i in range(12)
    )
    assert len(problems(bomb, limits)) == 1


def test_the_command_prints_every_syntax_error_and_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(TWO_EVENTS, encoding="utf-8")
    result = CliRunner().invoke(cli, ["run", str(path)])
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert [line.split(": invalid YAML: ")[0] for line in lines[:-1]] == [
        f"error: {path}:3:43",
        f"error: {path}:7:13",
        f"error: {path}:9:15",
        f"error: {path}:11:1",
    ]
    assert lines[-1] == "4 problems found"
    assert "Traceback" not in result.output


#: Lines to build files from: good ones, and each common mistake, at several indentations.
LINES = [
    "a: 1",
    "events:",
    "  - id: x",
    "    note: fine",
    "    date_note: says: this",
    "  note: a: b",
    "- item",
    "  - item: 'it's'",
    "\tb: 1",
    "c: @x",
    'd: "open',
    "e: [1, 2",
    "   deeper: 1",
    "x: &a 1",
    "y: *a",
    "# a comment",
    "",
]


def _read_either_way(text: str) -> tuple[list[str], list[str]]:
    def read() -> list[str]:
        try:
            read_yaml(text, FILE)
        except ScenarioError as err:
            return [str(p) for p in err.problems]
        return []

    fast = read()
    saved = yamlread._CLoader
    try:
        yamlread._CLoader = None
        slow = read()
    finally:
        yamlread._CLoader = saved
    return fast, slow


@given(st.lists(st.sampled_from(LINES), min_size=1, max_size=12))
def test_random_broken_files_get_the_same_problems_either_way(lines: list[str]) -> None:
    """Lines of good and broken YAML in any order: the same problems through libyaml and
    PyYAML, never a crash, at most MOST_ERRORS syntax errors."""
    text = "\n".join(lines) + "\n"
    note(text)
    fast, slow = _read_either_way(text)
    assert fast == slow
    assert sum("invalid YAML" in p for p in fast) <= MOST_ERRORS
