"""Unit tests of safe YAML reading with positions (:mod:`simulator.scenario.yamlread`)."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from types import FrameType

import pytest

from simulator.core.errors import Location, ScenarioError
from simulator.scenario.yamlread import (
    DEFAULT_LIMITS,
    Limits,
    dump_yaml,
    read_source_text,
    read_yaml,
    read_yaml_file,
)

FILE = "s.yaml"


def problems(text: str | bytes, limits: Limits = DEFAULT_LIMITS) -> list[str]:
    """Read ``text`` expecting a refusal; return its problems as the user sees them."""
    with pytest.raises(ScenarioError) as info:
        read_yaml(text, FILE, limits)
    return [str(p) for p in info.value.problems]


def alias_bomb(levels: int = 9, width: int = 10) -> str:
    """A "billion laughs" document: each level lists ``width`` aliases of the level below."""
    lines = [f"a0: &a0 [{', '.join(['lol'] * width)}]"]
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]")
    return "\n".join(lines) + "\n"


# --- positions --------------------------------------------------------------------------------

NESTED = """\
a: 1
b:
  c: [x, y]
  d: hello
"""


def test_data_is_plain_python() -> None:
    """Mappings, sequences and scalars become dicts, lists and plain values."""
    assert read_yaml(NESTED, FILE).data == {"a": 1, "b": {"c": ["x", "y"], "d": "hello"}}


def test_value_positions_are_one_based_line_and_column() -> None:
    """Every value's key path maps to the 1-based line and column where the value starts."""
    doc = read_yaml(NESTED, FILE)
    assert doc.positions[()] == (1, 1)
    assert doc.positions[("a",)] == (1, 4)
    assert doc.positions[("b", "c")] == (3, 6)
    assert doc.positions[("b", "c", 0)] == (3, 7)
    assert doc.positions[("b", "c", 1)] == (3, 10)
    assert doc.positions[("b", "d")] == (4, 6)


def test_key_positions_are_one_based_line_and_column() -> None:
    """Every key's path maps to the 1-based line and column where the key is written."""
    doc = read_yaml(NESTED, FILE)
    assert doc.key_positions == {
        ("a",): (1, 1),
        ("b",): (2, 1),
        ("b", "c"): (3, 3),
        ("b", "d"): (4, 3),
    }


def test_locate_falls_back_to_the_nearest_enclosing_path() -> None:
    """Locating a path that has no position of its own gives its nearest enclosing value's."""
    doc = read_yaml(NESTED, FILE)
    assert doc.locate(("b", "c", 1)) == Location(FILE, 3, 10)
    assert doc.locate(("b", "c", 7, "deeper")) == Location(FILE, 3, 6)
    assert doc.locate(("b", "d"), key=True) == Location(FILE, 4, 3)
    assert doc.locate(("zzz",)) == Location(FILE, 1, 1)


def test_problem_is_located_and_keeps_its_key_path() -> None:
    """A problem made at a path prints as ``file:line:col: key.path: message``."""
    doc = read_yaml(NESTED, FILE)
    assert str(doc.problem(("b", "c", 1), "bad")) == "s.yaml:3:10: b.c[1]: bad"
    assert str(doc.problem(("b", "d"), "bad key", key=True)) == "s.yaml:4:3: b.d: bad key"


# --- what plain scalars mean ------------------------------------------------------------------


def test_duplicate_key_is_refused_with_first_line() -> None:
    """A key written twice in one mapping is refused at its second place, naming the first."""
    assert problems("a: 1\nb: 2\na: 3\n") == ["s.yaml:3:1: a: duplicate key 'a' (first at line 1)"]


def test_duplicate_nested_key_is_refused() -> None:
    """Duplicate keys are found at any depth, with the full key path."""
    assert problems("top:\n  x: 1\n  x: 2\n") == [
        "s.yaml:3:3: top.x: duplicate key 'x' (first at line 2)"
    ]


@pytest.mark.parametrize("word", ["yes", "no", "on", "off", "NO", "Yes", "OFF", "y", "n"])
def test_yaml11_booleans_stay_strings(word: str) -> None:
    """YAML 1.1's yes/no/on/off words stay text: an actor coded NO is Norway, not False."""
    assert read_yaml(f"a: {word}\n", FILE).data == {"a": word}


@pytest.mark.parametrize(
    ("word", "value"),
    [("true", True), ("false", False), ("True", True), ("FALSE", False)],
)
def test_true_and_false_are_booleans(word: str, value: bool) -> None:
    """Only true and false (in any of YAML's three casings) are booleans."""
    assert read_yaml(f"a: {word}\n", FILE).data["a"] is value


@pytest.mark.parametrize("text", ["2024-01-15", "2024-02-30", "2024-01-15T10:00:00", "10:30"])
def test_dates_and_times_stay_strings(text: str) -> None:
    """Dates, timestamps and sexagesimal-looking times stay text (checked later, with clear
    messages), never YAML timestamps or base-60 numbers."""
    assert read_yaml(f"a: {text}\n", FILE).data == {"a": text}


def test_leading_zero_number_stays_text() -> None:
    """A number written with a leading zero (the CAMEO code 0256) stays the text "0256"."""
    assert read_yaml("a: 0256\n", FILE).data == {"a": "0256"}


@pytest.mark.parametrize(
    ("text", "value"),
    [("256", 256), ("-3", -3), ("1.5", 1.5), ("1e3", 1000.0), ("0x1F", 31), ("1_000", 1000)],
)
def test_numbers_are_numbers(text: str, value: float) -> None:
    """Plain decimal, exponent, hexadecimal and underscored numbers are numbers."""
    read = read_yaml(f"a: {text}\n", FILE).data["a"]
    assert read == value
    assert type(read) is type(value)


@pytest.mark.parametrize("text", ["~", "null", ""])
def test_null(text: str) -> None:
    """``~``, ``null`` and nothing at all are None."""
    assert read_yaml(f"a: {text}\n", FILE).data == {"a": None}


def test_numeric_and_boolean_keys_are_names() -> None:
    """Mapping keys are names: ``1:`` and ``true:`` are the keys "1" and "true"."""
    assert read_yaml("1: a\ntrue: b\n", FILE).data == {"1": "a", "true": "b"}


def test_explicit_string_tag_is_plain() -> None:
    """YAML's own ``!!str`` tag is plain YAML and allowed."""
    assert read_yaml("a: !!str 1\n", FILE).data == {"a": "1"}


def test_a_simple_alias_is_read() -> None:
    """An ordinary anchor and alias are read as the same value twice."""
    assert read_yaml("a: &x 1\nb: *x\n", FILE).data == {"a": 1, "b": 1}


# --- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        (
            "a: !!python/object/apply:os.system ['touch x']\n",
            "!!python/object/apply:os.system",
        ),
        ("a: !!python/name:os.system\n", "!!python/name:os.system"),
        ("a: !!binary aGk=\n", "!!binary"),
        ("a: !!timestamp 2024-01-01\n", "!!timestamp"),
        ("a: !custom 1\n", "!custom"),
    ],
)
def test_non_plain_tags_are_refused(text: str, tag: str) -> None:
    """Tags other than YAML's plain ones (python objects, custom tags) are refused, located,
    and shown as written (``!!binary``, not ``tag:yaml.org,2002:binary``)."""
    assert problems(text) == [
        f"s.yaml:1:4: a: YAML tag {tag!r} is not allowed (dipsim reads plain YAML only)"
    ]


def test_merge_keys_are_refused() -> None:
    """The merge key ``<<`` is refused (dipsim asks for keys written out)."""
    text = "base: &b {x: 1}\nc:\n  <<: *b\n  y: 2\n"
    assert problems(text) == [
        "s.yaml:3:3: c: YAML merge keys ('<<') are not supported; write the keys out"
    ]


def test_collection_key_is_refused() -> None:
    """A mapping key that is itself a collection is refused."""
    assert problems("? [a, b]\n: 1\n") == [
        "s.yaml:1:3: a mapping key must be a plain name, not a collection"
    ]


def test_alias_bomb_is_refused() -> None:
    """A "billion laughs" alias bomb is refused as too many values, not expanded."""
    small = Limits(max_nodes=10_000)
    started = time.perf_counter()
    found = problems(alias_bomb(), small)
    elapsed = time.perf_counter() - started
    assert len(found) == 1
    assert found[0].endswith(
        "more than 10,000 YAML values, each use of an alias counted in full "
        "(limit max_nodes=10000; raise it with --limit max_nodes=N)"
    )
    assert elapsed < 2.0


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs signal.setitimer")
def test_alias_bomb_is_refused_quickly_with_default_limits() -> None:
    """With the default limits, a 9-level alias bomb is refused within a second.

    This is a safety bound, not a benchmark: refusing a 600-byte file should cost about what
    reading it does. It is 1 s rather than 2 s because the current cost straddles 2 s, which
    would make this expected failure flaky; the alarm also keeps the test itself short.
    """

    def too_slow(signum: int, frame: FrameType | None) -> None:
        raise TimeoutError("the alias bomb was not refused within 1 s")

    previous = signal.signal(signal.SIGALRM, too_slow)
    signal.setitimer(signal.ITIMER_REAL, 1.0)
    try:
        with pytest.raises(ScenarioError):
            read_yaml(alias_bomb(), FILE)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0.0)
        signal.signal(signal.SIGALRM, previous)


def test_nesting_deeper_than_the_limit_is_refused() -> None:
    """Values nested deeper than ``max_depth`` are refused at the first too-deep value (the key
    path leaves out the run of list indices that leads there)."""
    assert problems("a: [[[[[1]]]]]\n", Limits(max_depth=3)) == [
        "s.yaml:1:7: a: nested deeper than 3 levels (limit max_depth=3; raise it with --limit "
        "max_depth=N)"
    ]
    assert read_yaml("a: [[1]]\n", FILE, Limits(max_depth=3)).data == {"a": [[1]]}


def test_default_depth_limit_refuses_deep_nesting() -> None:
    """With the default limits, 60 levels of nesting are refused, not a RecursionError."""
    found = problems("a: " + "[" * 60 + "]" * 60 + "\n")
    assert len(found) == 1
    assert f"nested deeper than {DEFAULT_LIMITS.max_depth} levels" in found[0]


def test_very_deep_nesting_is_refused_while_composing() -> None:
    """100,000 levels are refused at the first level too deep, located, in well under a second:
    the depth is checked while composing, before PyYAML's recursion could hit Python's limit."""
    started = time.perf_counter()
    found = problems("a:\n  b: " + "{c: " * 100_000 + "1" + "}" * 100_000 + "\n")
    assert time.perf_counter() - started < 1.0
    assert found == [
        # The 49th mapping starts at column 6 + 4 * 48 = 198; its key "c", one column on, is the
        # first value 51 levels down.
        "s.yaml:2:199: a.b" + ".c" * 48 + ": nested deeper than 50 levels "
        "(limit max_depth=50; raise it with --limit max_depth=N)"
    ]


def test_mapping_keys_that_nest_count_towards_the_depth() -> None:
    """Mapping keys that are themselves mappings nest too (and are refused as keys anyway)."""
    found = problems("{" * 100 + "}" * 100, Limits(max_depth=5))
    assert len(found) == 1
    assert "nested deeper than 5 levels" in found[0]


def test_recursive_alias_is_refused_at_the_alias() -> None:
    """An alias used inside the value it names would make a value that contains itself."""
    assert problems("a: &x [1, [2, *x]]\n") == [
        "s.yaml:1:15: a[1]: the alias *x is used inside the value it names (&x); a value "
        "cannot contain itself"
    ]


def test_an_alias_after_its_value_is_closed_is_fine() -> None:
    """The same anchor name used again after its value is closed is an ordinary alias."""
    assert read_yaml("a: &x [1]\nb: [*x, *x]\n", FILE).data == {"a": [1], "b": [[1], [1]]}


def test_events_over_max_events_are_refused_while_composing() -> None:
    """A top-level ``events`` list longer than ``max_events`` is refused at the first event
    over the limit; ``events`` elsewhere is not counted."""
    text = "events:\n" + "".join(f"  - e{i}\n" for i in range(5))
    assert problems(text, Limits(max_events=4)) == [
        "s.yaml:6:5: events: more than 4 events "
        "(limit max_events=4; raise it with --limit max_events=N)"
    ]
    assert len(read_yaml(text, FILE, Limits(max_events=5)).data["events"]) == 5
    nested = "x:\n  events: [1, 2, 3]\n"
    assert read_yaml(nested, FILE, Limits(max_events=1)).data == {"x": {"events": [1, 2, 3]}}


@pytest.mark.parametrize("text", ["a: .nan\n", "a: [.NaN]\n", ".nan: 1\n"])
def test_nan_is_refused(text: str) -> None:
    """``.nan`` is refused: NaN passes every range check (all its comparisons are false)."""
    (found,) = problems(text)
    assert "(not a number) is not allowed; write a number" in found


def test_infinity_is_a_number() -> None:
    """``.inf`` stays a number (an unbounded ``max``)."""
    assert read_yaml("a: .inf\nb: -.inf\n", FILE).data == {"a": float("inf"), "b": float("-inf")}


@pytest.mark.parametrize(
    ("text", "where", "shown"),
    [("~: 1\n", "1:1", " ('~')"), ("null: 1\n", "1:1", " ('null')"), ("? \n: 1\n", "1:2", "")],
)
def test_null_key_is_refused(text: str, where: str, shown: str) -> None:
    """A null key (``~``, ``null`` or nothing) is refused: no name is null."""
    assert problems(text) == [
        f"s.yaml:{where}: a mapping key cannot be null{shown}; to use the word as a name, quote it"
    ]


def test_huge_integer_is_refused_without_echoing_it() -> None:
    """An integer with more digits than Python reads is refused with its length, not its text."""
    (found,) = problems("a: " + "7" * 5000 + "\n")
    assert found == (
        "s.yaml:1:4: a: the number '777777777777777777...777777777777777777' has 5,000 digits, "
        "too many to read (at most 4,300)"
    )


def test_long_key_is_refused() -> None:
    """``max_string`` applies to keys too."""
    assert problems("k" * 20 + ": 1\n", Limits(max_string=10)) == [
        "s.yaml:1:1: text of 20 characters is too long "
        "(limit max_string=10; raise it with --limit max_string=N)"
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "a: b\x00c\n",
            "s.yaml:1:5: invalid YAML: the character U+0000 is not allowed in YAML text",
        ),
        (
            "a: 1\nb: \x07\n",
            "s.yaml:2:4: invalid YAML: the character U+0007 is not allowed in YAML text",
        ),
    ],
)
def test_control_characters_in_text_are_located(text: str, message: str) -> None:
    """Control characters in text (not bytes) are refused at their line and column."""
    assert problems(text) == [message]


@pytest.mark.parametrize("as_bytes", [True, False])
def test_file_over_max_bytes_is_refused(as_bytes: bool) -> None:
    """A file over ``max_bytes`` is refused before it is parsed, naming the limit to raise."""
    text = "a: 12345678901\n"
    assert problems(text.encode() if as_bytes else text, Limits(max_bytes=10)) == [
        "s.yaml:1:1: the file is 15 bytes, too big "
        "(limit max_bytes=10; raise it with --limit max_bytes=N)"
    ]


def test_text_is_measured_in_utf8_bytes() -> None:
    """Text given as ``str`` is measured as the UTF-8 bytes it would be in a file."""
    assert problems("a: ééééé\n", Limits(max_bytes=12)) == [
        "s.yaml:1:1: the file is 14 bytes, too big "
        "(limit max_bytes=12; raise it with --limit max_bytes=N)"
    ]


def test_string_over_max_string_is_refused() -> None:
    """Text longer than ``max_string`` characters is refused at its place."""
    assert problems("a: ok\nb: " + "x" * 20 + "\n", Limits(max_string=10)) == [
        "s.yaml:2:4: b: text of 20 characters is too long "
        "(limit max_string=10; raise it with --limit max_string=N)"
    ]


def test_invalid_utf8_is_refused_with_line_and_byte() -> None:
    """Bytes that are not UTF-8 are refused with the line, the column (in characters), the byte
    and its offset."""
    assert problems(b"a: 1\nb: \xff\n") == ["s.yaml:2:4: not valid UTF-8 (byte 0xff at offset 8)"]
    assert problems("é: \xff".encode("utf-8", "surrogateescape").replace(b"\xc3\xbf", b"\xff")) == [
        "s.yaml:1:4: not valid UTF-8 (byte 0xff at offset 4)"
    ]


def test_binary_input_is_refused() -> None:
    """Input with NUL bytes is refused as binary, located at the first one."""
    assert problems(b"a: 1\nb: \x00\n") == [
        "s.yaml:2:4: this is a binary file, not YAML text (a NUL byte at offset 8)"
    ]


@pytest.mark.parametrize("bom", [b"\xff\xfe", b"\xfe\xff"])
def test_utf16_is_refused_with_a_hint(bom: bytes) -> None:
    """A UTF-16 file (say, saved by a Windows editor) is told to be saved as UTF-8."""
    assert problems(bom + "a: 1\n".encode("utf-16-le")) == [
        "s.yaml:1:1: the file is UTF-16 text; save it as UTF-8"
    ]


def test_utf8_byte_order_mark_is_accepted() -> None:
    """A UTF-8 byte-order mark is skipped."""
    assert read_yaml(b"\xef\xbb\xbfa: 1\n", FILE).data == {"a": 1}


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_empty_file_is_refused(text: str) -> None:
    """A file with no YAML document is refused as empty."""
    assert problems(text) == ["s.yaml:1:1: the file is empty"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "a: [1, 2\n",
            "s.yaml:2:1: invalid YAML: expected ',' or ']', but got '<stream end>'; the [ at line"
            " 1, column 4 is not closed where it should be (a text that starts with it is quoted)",
        ),
        (
            "a: b: c\n",
            "s.yaml:1:5: invalid YAML: mapping values are not allowed here; quote the value: a"
            " ': ' inside a plain value starts a mapping (a: 'b: c')",
        ),
        ("a: 1\n---\nb: 2\n", "s.yaml:2:1: invalid YAML: but found another document"),
    ],
)
def test_invalid_yaml_is_located(text: str, message: str) -> None:
    """YAML syntax errors are refused with the line and column where the parser stopped."""
    assert problems(text) == [message]


def test_every_conversion_problem_is_reported() -> None:
    """Problems found while converting are all reported, in file order."""
    text = "a: 1\na: 2\nb: !custom x\n"
    assert problems(text) == [
        "s.yaml:2:1: a: duplicate key 'a' (first at line 1)",
        "s.yaml:3:4: b: YAML tag '!custom' is not allowed (dipsim reads plain YAML only)",
    ]


def test_dump_yaml_round_trips_plain_data() -> None:
    """Plain data dumped as YAML reads back the same (leading-zero text stays text)."""
    data = {"title": "T", "codes": {"cameo": "0256", "goldstein": -0.3}, "on": "NO", "n": [1, 2]}
    assert read_yaml(dump_yaml(data), FILE).data == data


# --- reading files ------------------------------------------------------------------------------


def test_file_over_max_bytes_is_not_read(tmp_path: Path) -> None:
    """A regular file over ``max_bytes`` is refused from its size, with the exact size."""
    path = tmp_path / "big.yaml"
    path.write_bytes(b"a: 1\n" * 10)
    with pytest.raises(ScenarioError) as info:
        read_yaml_file(path, Limits(max_bytes=20))
    assert str(info.value) == (
        f"{path}:1:1: the file is 50 bytes, too big (limit max_bytes=20; raise it with "
        "--limit max_bytes=N)"
    )


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_endless_device_is_refused_before_it_is_read() -> None:
    """A file that never ends (a device) is refused as not a regular file, unread, rather than
    read until memory runs out (or, for a FIFO, waited on for ever)."""
    started = time.perf_counter()
    with pytest.raises(ScenarioError) as info:
        read_yaml_file(Path("/dev/zero"), Limits(max_bytes=1000))
    assert time.perf_counter() - started < 1.0
    assert str(info.value) == ("/dev/zero: is a character device, not a scenario file")


def test_path_with_nul_is_a_problem_not_a_crash() -> None:
    """A path with a NUL character (possible in YAML text) cannot be opened: a problem."""
    with pytest.raises(ScenarioError) as info:
        read_yaml_file(Path("a\x00b.yaml"))
    # The NUL is shown escaped, as every control character in a name is.
    assert str(info.value) == "a\\x00b.yaml: cannot read: the path has a NUL character"


def test_source_text_is_read_as_utf8_with_universal_newlines(tmp_path: Path) -> None:
    """A source's text: UTF-8, byte-order mark dropped, line ends made ``\\n``."""
    path = tmp_path / "a.txt"
    path.write_bytes(b"\xef\xbb\xbfOne\r\ntwo\rthree\n")
    assert read_source_text(path) == "One\ntwo\nthree\n"


@pytest.mark.parametrize(
    "name", ["missing.txt", "folder", "big.txt", "latin1.txt", "nul\x00.txt", "/dev/zero"]
)
def test_unreadable_source_text_is_none(tmp_path: Path, name: str) -> None:
    """A source that is missing, a folder, too big, not UTF-8, badly named or a device has no
    text (the loader then reports it as a file that cannot be read)."""
    (tmp_path / "folder").mkdir()
    (tmp_path / "big.txt").write_text("x" * 100, encoding="utf-8")
    (tmp_path / "latin1.txt").write_bytes(b"caf\xe9")
    assert read_source_text(tmp_path / name, Limits(max_bytes=50)) is None


def test_dump_yaml_writes_texts_that_read_back_as_the_same_texts() -> None:
    """Texts dipsim's resolver would read as another type (``0o17`` is a number to it, not to
    YAML 1.1, so PyYAML wrote it plain), and unquoted digits, which are refused where text is
    meant (a CAMEO code ``039``): dump_yaml quotes them, so the data reads back the same."""
    data = {"a": "0o17", "b": "039", "c": "x", "d": "yes", "e": "1", "f": "", "g": "~", "h": ".5"}
    text = dump_yaml(data)
    assert "b: '039'" in text
    assert "c: x" in text  # plain where plain reads back
    assert read_yaml(text, FILE).data == data
    assert read_yaml(text, FILE).plain_digits == set()


def test_a_scenario_written_out_loads_back_equal(monkeypatch: pytest.MonkeyPatch) -> None:
    """scenario_to_yaml of a shipped scenario whose CAMEO codes have leading zeros (039)."""
    from simulator.scenario.loading import load_scenario, scenario_from_text, scenario_to_yaml

    scenarios = Path(__file__).resolve().parent.parent / "scenarios"
    monkeypatch.chdir(scenarios)  # its source files are read relative to the working folder
    scenario = load_scenario(scenarios / "jan2024.yaml")
    assert scenario_from_text(scenario_to_yaml(scenario)) == scenario
