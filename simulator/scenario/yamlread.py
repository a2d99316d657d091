"""Reading YAML safely, keeping where every value came from.

This is the only module that imports ``yaml``. It composes the YAML node graph with a safe
loader and converts it to plain Python data itself, so that it can

* record the line and column of every key and value (for ``file:line:col`` messages),
* reject duplicate keys (PyYAML silently keeps the last one, which loses data),
* keep YAML 1.1's ``yes``/``no``/``on``/``off`` as strings (an actor coded ``NO`` is Norway,
  not ``False``) and dates as text (so an impossible date gets a clear message later),
* refuse tags other than YAML's plain ones (``!!python/object`` and friends), null keys,
  recursive aliases and ``.nan``, and
* bound the input (:class:`Limits`): file size, nesting depth (checked while composing, so a
  deeply nested file never reaches Python's recursion limit), the number of values with aliases
  expanded (which defuses alias bombs, "billion laughs", without expanding them), the length of
  text and the number of a scenario's events.

Every limit's message names the limit and how to raise it (:func:`limit_hint`).

A text is first read the fast way (:mod:`simulator.scenario.yamlplain`: libyaml's events
straight to plain data, the same rules, no positions), which gives up wherever this reading
would report a problem; the node graph is then built (:func:`_read_located`). A fast
document's positions are the node graph's too, read from its text's events the first time one
is asked for (:class:`~simulator.scenario.document.Written`): most files never need them.
"""

from __future__ import annotations

import functools
import math
import re
import sys
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from simulator.core.errors import KeyPath, Location, Problem, ScenarioError
from simulator.core.files import NotRegularFileError, read_bounded
from simulator.scenario.document import Document, Positions, Written
from simulator.scenario.limits import DEFAULT_LIMITS, Limits, limit_hint
from simulator.scenario.textfile import decode, read_source_text, scan_source_data, too_big
from simulator.scenario.yamlplain import Grammar, plain_data, plain_positions

# Re-exported: the limits are read with the YAML, and callers have always found them here.
__all__ = [
    "DEFAULT_LIMITS",
    "Document",
    "Limits",
    "dump_yaml",
    "limit_hint",
    "read_source_text",
    "read_yaml",
    "read_yaml_file",
    "scan_source_data",
]


class _Resolver(yaml.resolver.BaseResolver):
    """YAML 1.2-style plain scalars: only ``true``/``false`` are booleans; no timestamps."""


_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
for _tag, _regexp in (
    ("tag:yaml.org,2002:bool", _BOOL),
    ("tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9_]*|0x[0-9a-fA-F_]+|0o[0-7_]+)$")),
    (
        "tag:yaml.org,2002:float",
        re.compile(
            r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?"
            r"|[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)"
            r"|\.[0-9_]+(?:[eE][-+]?[0-9]+)?"
            r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
        ),
    ),
    ("tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$")),
):
    _Resolver.add_implicit_resolver(_tag, _regexp, [*"-+0123456789.tTfFnN~", ""])


# Recognised only so that it can be refused with a clear message (see _Converter._mapping).
_Resolver.add_implicit_resolver("tag:yaml.org,2002:merge", re.compile(r"^<<$"), ["<"])


class _RefusedError(Exception):
    """Raised while composing: the input breaks a rule that makes going on pointless or unsafe
    (too deep, too many events, a recursive alias). Becomes a located :class:`Problem`."""

    def __init__(self, mark: Any, path: KeyPath, message: str) -> None:
        super().__init__(message)
        self.mark = mark
        self.path = path
        self.message = message


class _Composing(yaml.composer.Composer):
    """PyYAML's composer, with dipsim's checks made while the node graph is built: the depth,
    the number of events and aliases that would make a value contain itself. It reads events
    from whichever parser it is mixed with: libyaml's (C) or PyYAML's own (Python)."""

    # Provided by the parser mixed in (libyaml's or PyYAML's).
    peek_event: typing.Callable[[], Any]
    get_event: typing.Callable[[], Any]

    def _start_composing(self, limits: Limits) -> None:
        self.limits = limits
        # The key path of the node being composed, and the anchors whose values are still open
        # (an alias to one of them would make a value that contains itself).
        self.path: list[str | int] = []
        self.open_anchors: list[str] = []
        # Ancestors of the node being composed. Counted apart from ``path``, which leaves out
        # keys: a key that is itself a mapping with mapping keys nests without adding to it.
        self.depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        # PyYAML's composer recurses once per level of nesting; checking the depth here refuses
        # a deeply nested file with its position long before Python's recursion limit.
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            if event.anchor in self.open_anchors:
                raise _RefusedError(
                    event.start_mark,
                    tuple(self.path),
                    f"the alias *{event.anchor} is used inside the value it names "
                    f"(&{event.anchor}); a value cannot contain itself",
                )
            return super().compose_node(parent, index)
        part = index.value if isinstance(index, yaml.ScalarNode) else index
        pushed = isinstance(part, str | int)
        if pushed:
            self.path.append(part)
        if self.depth > self.limits.max_depth:
            raise _RefusedError(event.start_mark, _shown_path(self.path), _too_deep(self.limits))
        if (
            len(self.path) == 2
            and self.path[0] == "events"
            and isinstance(part, int)
            and part >= self.limits.max_events
        ):
            raise _RefusedError(
                event.start_mark,
                ("events",),
                f"more than {self.limits.max_events:,} events "
                f"{limit_hint('max_events', self.limits)}",
            )
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            self.open_anchors.append(anchor)
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1
            if anchor is not None:
                self.open_anchors.pop()
            if pushed:
                self.path.pop()


class _Loader(
    yaml.reader.Reader,
    yaml.scanner.Scanner,
    yaml.parser.Parser,
    _Composing,
    yaml.constructor.SafeConstructor,
    _Resolver,
):
    """Pure Python throughout: the reference, and the one whose words every refusal is in."""

    def __init__(self, stream: str, limits: Limits) -> None:
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        yaml.constructor.SafeConstructor.__init__(self)
        _Resolver.__init__(self)
        self._start_composing(limits)


def _c_loader() -> typing.Callable[[str, Limits], _Composing] | None:
    """libyaml's scanner and parser (C, 7-8 times faster) under the same Python composer, or
    ``None`` where PyYAML was built without libyaml.

    Only the events come from C. libyaml's parser keeps its state on a heap stack rather than
    recursing, so a deeply nested file cannot overflow the C stack; the nesting is still
    counted, and refused, by :class:`_Composing` as events arrive, exactly as with the Python
    parser (libyaml's own composer, which would recurse in C, is never used).
    """
    try:
        from yaml._yaml import CParser
    except ImportError:  # PyYAML without libyaml
        return None

    class _CLoader(_Composing, CParser, yaml.constructor.SafeConstructor, _Resolver):
        def __init__(self, stream: str, limits: Limits) -> None:
            CParser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            yaml.constructor.SafeConstructor.__init__(self)
            _Resolver.__init__(self)
            self._start_composing(limits)

    return _CLoader


_CLoader = _c_loader()


def _grammar() -> Grammar:
    """PyYAML's events, dipsim's resolver and the safe constructor's numbers, for
    :func:`plain_data` (which reads ``_CLoader``'s events without composing nodes)."""
    constructor = yaml.constructor.SafeConstructor()
    # yamlplain resolves a plain scalar as BaseResolver.resolve does, from the same table,
    # which holds as long as no resolver applies to any first character or to a path
    # (tests/test_yamlplain.py checks both).

    def construct(tag: str, text: str) -> Any:
        return constructor.yaml_constructors[tag](constructor, yaml.ScalarNode(tag, text))

    return Grammar(
        scalar=yaml.ScalarEvent,
        sequence_start=yaml.SequenceStartEvent,
        sequence_end=yaml.SequenceEndEvent,
        mapping_start=yaml.MappingStartEvent,
        mapping_end=yaml.MappingEndEvent,
        document_start=yaml.DocumentStartEvent,
        stream_end=yaml.StreamEndEvent,
        skipped=(yaml.StreamStartEvent, yaml.DocumentEndEvent),
        resolvers=_Resolver.yaml_implicit_resolvers,
        construct=construct,
        errors=(yaml.YAMLError, ValueError, OverflowError),
    )


_GRAMMAR = _grammar()


#: Indicators of YAML features the two parsers were found to read apart: an explicit key
#: (``? key``: libyaml places an empty value after it at the start of the next line, PyYAML
#: right after the ``?``) and a tag (``!``: libyaml resolves an empty ``!`` value as text,
#: PyYAML as null). Matched only where a token can start (the text's start, or after a space,
#: ``[``, ``{`` or ``,``), so prose ("what if?") does not count. Written as the indicator
#: first, its start checked behind it, so that the search skips to each ``?`` or ``!``
#: (5 times faster on a 4.7 MB file than trying the start at every character).
_APART = re.compile(r"[?!](?<![^\s\[{,][?!])")


def _for_libyaml(text: str) -> bool:
    """Whether ``text`` is one libyaml and PyYAML read alike, as far as is known (see
    :func:`_compose`)."""
    return "\t" not in text and not text.startswith("\ufeff") and not _APART.search(text)


def _compose(text: str, limits: Limits) -> yaml.Node | None:
    """The node graph of ``text``: through libyaml when it is there and the text is well
    formed, else through PyYAML's Python parser.

    Anything libyaml refuses (or cannot take, such as a lone surrogate) is parsed again in
    Python, so that every refusal keeps PyYAML's words and position. Two kinds of text go to
    Python directly, where the parsers were found to differ (tests/test_yaml_parsers.py):
    text with a tab (libyaml accepts tabs after a value, ``0\t``, that PyYAML refuses), a
    byte-order mark (libyaml drops it before counting columns, PyYAML counts it), an explicit
    key or a tag (see ``_APART``). All are rare in scenarios; dipsim's own
    refusals (depth, events, self-containing aliases) are made by the same composer on either
    path, at the same marks.
    """
    if _CLoader is not None and _for_libyaml(text):
        try:
            return _CLoader(text, limits).get_single_node()
        except _RefusedError:
            raise
        except Exception:  # any refusal: told in Python's words, below
            pass
    return _Loader(text, limits).get_single_node()


def _shown_path(path: typing.Sequence[str | int]) -> KeyPath:
    """A key path for a too-deep value, without its run of trailing list indices: the line and
    column say where the value is, and ``a[0][0][0]…`` fifty times says nothing more."""
    shown = list(path)
    while shown and isinstance(shown[-1], int):
        shown.pop()
    return tuple(shown)


def _too_deep(limits: Limits) -> str:
    return f"nested deeper than {limits.max_depth} levels {limit_hint('max_depth', limits)}"


_STR = "tag:yaml.org,2002:str"
_PLAIN_TAGS = {
    _STR,
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
}


def read_yaml(text: str | bytes, file: str, limits: Limits = DEFAULT_LIMITS) -> Document:
    """Parse YAML text into a :class:`Document`.

    Raises:
        ScenarioError: The text is not YAML dipsim accepts; every problem is located (with a
            line and column, 1:1 for what concerns the whole file, such as its size).
    """
    if isinstance(text, bytes):
        text = decode(text, file, limits)
    # A character is 1 to 4 bytes in UTF-8: encode only when the length alone cannot decide.
    size = len(text) if len(text) > limits.max_bytes else None
    if size is None and 4 * len(text) > limits.max_bytes:
        size = len(text.encode("utf-8", errors="surrogatepass"))
    if size is not None and size > limits.max_bytes:
        raise ScenarioError([Problem(Location(file, 1, 1), (), too_big(size, limits))])
    if _CLoader is not None and _for_libyaml(text):
        # The fast way first: libyaml's events straight to data, positions only if asked for.
        read = plain_data(_CLoader(text, limits).get_event, _GRAMMAR, limits)
        if read is not None:
            data, digits = read
            locate_all = functools.partial(_positions_of, text, file, limits)
            return Document(file, data, written=Written(data, locate_all), plain_digits=digits)
    return _read_located(text, file, limits)


def _positions_of(text: str, file: str, limits: Limits) -> tuple[Positions, Positions]:
    """The positions of values and keys of a text read the fast way: from its events again
    (those the located reading gives), else by the located reading itself."""
    if _CLoader is not None:
        found = plain_positions(_CLoader(text, limits).get_event, _GRAMMAR)
        if found is not None:
            return found
    doc = _read_located(text, file, limits)
    return doc.positions, doc.key_positions


def _read_located(text: str, file: str, limits: Limits) -> Document:
    """``text`` read through the node graph, every value's position kept: the reading whose
    refusals and positions every message gives."""
    try:
        node = _compose(text, limits)
    except _RefusedError as err:
        loc = Location(file, err.mark.line + 1, err.mark.column + 1)
        raise ScenarioError([Problem(loc, err.path, err.message)]) from None
    except yaml.MarkedYAMLError as err:  # with a fix, and the syntax errors after it
        # Imported only for a file with a syntax error: every other start skips it.
        from simulator.scenario.yamlsyntax import syntax_problems

        find = lambda fragment: _syntax_error(fragment, limits)  # noqa: E731
        raise ScenarioError(syntax_problems(text, file, err, find)) from None
    except yaml.reader.ReaderError as err:
        # PyYAML's reader refuses control characters (NUL, escape, ...) with an offset only.
        from simulator.scenario.yamlsyntax import reader_problem

        raise ScenarioError([reader_problem(text, file, err.position, err.character)]) from None
    except yaml.YAMLError as err:
        raise ScenarioError([Problem(Location(file, 1, 1), (), f"invalid YAML: {err}")]) from None
    except RecursionError:
        # Only reachable when max_depth is raised past what Python's stack allows.
        message = f"nested too deeply for Python to read {limit_hint('max_depth', limits)}"
        raise ScenarioError([Problem(Location(file, 1, 1), (), message)]) from None
    doc = Document(file, None)
    if node is None:
        raise ScenarioError([Problem(Location(file, 1, 1), (), "the file is empty")])
    converter = _Converter(doc, limits)
    doc.data = converter.convert(node, (), 0)
    if converter.problems:
        raise ScenarioError(converter.problems)
    return doc


def _syntax_error(text: str, limits: Limits) -> yaml.MarkedYAMLError | None:
    """The first syntax error of ``text``, read as :func:`read_yaml` reads (for yamlsyntax)."""
    try:
        _compose(text, limits)
    except yaml.MarkedYAMLError as err:
        return err
    except (yaml.YAMLError, _RefusedError, RecursionError):
        pass  # not a syntax error: the search for more stops here
    return None


def read_yaml_file(
    path: Path, limits: Limits = DEFAULT_LIMITS, kind: str = "scenario file"
) -> Document:
    """Read a YAML file into a :class:`Document`; a file that cannot be read is a located
    problem like any other (scenarios and batch specs are read this way). Only a regular file is
    read (a FIFO or a device, say ``/dev/zero``, is refused before it is read: it could block
    or never end), and at most ``limits.max_bytes`` bytes of it."""
    shown = str(path)
    try:
        raw, size = read_bounded(path, limits.max_bytes)
    except FileNotFoundError:
        raise ScenarioError([Problem(Location(shown), (), "no such file")]) from None
    except NotRegularFileError as err:
        message = f"is {err.kind}, not a {kind}"  # refused unread: only regular files are
        raise ScenarioError([Problem(Location(shown), (), message)]) from None
    except OSError as err:
        raise ScenarioError(
            [Problem(Location(shown), (), f"cannot read: {err.strerror}")]
        ) from None
    except ValueError:  # a NUL character in the path
        raise ScenarioError(
            [Problem(Location(shown), (), "cannot read: the path has a NUL character")]
        ) from None
    if size > limits.max_bytes:
        raise ScenarioError([Problem(Location(shown, 1, 1), (), too_big(size, limits))])
    return read_yaml(raw, shown, limits)


class _Converter:
    def __init__(self, doc: Document, limits: Limits) -> None:
        self.doc = doc
        self.limits = limits
        self.nodes = 0
        self.problems: list[Problem] = []
        self.constructor = yaml.constructor.SafeConstructor()
        # Converted collections by node identity, with their size in values. An alias is the same
        # node again: it is converted once and then counted, not walked, so an alias bomb
        # ("billion laughs") trips max_nodes after a handful of visits, in bounded memory.
        self.converted: dict[int, tuple[Any, int]] = {}

    def _fail(self, node: yaml.Node, path: KeyPath, message: str) -> None:
        loc = Location(self.doc.file, node.start_mark.line + 1, node.start_mark.column + 1)
        self.problems.append(Problem(loc, path, message))

    def convert(self, node: yaml.Node, path: KeyPath, depth: int) -> Any:
        seen = self.converted.get(id(node))
        self.nodes += seen[1] if seen else 1
        if self.nodes > self.limits.max_nodes:
            # Aliases share nodes, so an alias bomb shows up here as a node count that explodes.
            self._fail(
                node,
                path,
                f"more than {self.limits.max_nodes:,} YAML values, each use of an alias "
                f"counted in full {limit_hint('max_nodes', self.limits)}",
            )
            raise ScenarioError(self.problems)
        if depth > self.limits.max_depth:
            # The composer bounds the nesting of what is written; an alias can still place a
            # deep value deep down.
            self._fail(node, _shown_path(path), _too_deep(self.limits))
            raise ScenarioError(self.problems)
        self.doc.positions.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        if node.tag not in _PLAIN_TAGS:
            self._fail(
                node,
                path,
                f"YAML tag {_written(node.tag)!r} is not allowed (dipsim reads plain YAML only)",
            )
            return None
        if seen:
            return seen[0]
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode):
            before = self.nodes
            value: Any = (
                self._mapping(node, path, depth)
                if isinstance(node, yaml.MappingNode)
                else [
                    self.convert(item, (*path, i), depth + 1) for i, item in enumerate(node.value)
                ]
            )
            self.converted[id(node)] = (value, self.nodes - before + 1)
            return value
        if node.tag == _STR:
            self._check_length(node, path)
            plain = isinstance(node, yaml.ScalarNode) and not node.style  # None or "": plain
            if plain and re.fullmatch(r"[0-9]+", node.value):
                self.doc.plain_digits.add(path)
            return node.value
        try:
            value = self.constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, OverflowError) as err:
            self._fail(node, path, _unreadable(node.value, err))
            return None
        if isinstance(value, float) and math.isnan(value):
            # Every comparison with NaN is false, so a NaN bound or value would pass range
            # checks and poison arithmetic silently.
            self._fail(node, path, f"{node.value!r} (not a number) is not allowed; write a number")
            return None
        return value

    def _check_length(self, node: yaml.Node, path: KeyPath) -> None:
        if len(node.value) > self.limits.max_string:
            self._fail(
                node,
                path,
                f"text of {len(node.value):,} characters is too long "
                f"{limit_hint('max_string', self.limits)}",
            )

    def _mapping(self, node: yaml.MappingNode, path: KeyPath, depth: int) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                self._fail(
                    key_node, path, "YAML merge keys ('<<') are not supported; write the keys out"
                )
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self._fail(key_node, path, "a mapping key must be a plain name, not a collection")
                continue
            if key_node.tag == "tag:yaml.org,2002:null":
                # ``~:`` or ``null:`` would become the key None, which no name can be.
                shown = f" ({key_node.value!r})" if key_node.value else ""
                self._fail(
                    key_node,
                    path,
                    f"a mapping key cannot be null{shown}; to use the word as a name, quote it",
                )
                continue
            if key_node.tag in (_STR, "tag:yaml.org,2002:bool"):
                self._check_length(key_node, path)
                key: Any = key_node.value
            elif self.convert(key_node, path, depth + 1) is None:
                continue  # a tag or number that cannot be read: reported by convert
            else:
                key = key_node.value  # keys are names; "1" and 1 mean the same here
            child = (*path, key)
            if key in out:
                first = self.doc.key_positions.get(child)
                where = f" (first at line {first[0]})" if first else ""
                self._fail(key_node, child, f"duplicate key {key!r}{where}")
                continue
            self.doc.key_positions[child] = (
                key_node.start_mark.line + 1,
                key_node.start_mark.column + 1,
            )
            out[key] = self.convert(value_node, child, depth + 1)
        return out


def _written(tag: str) -> str:
    """A tag as it is written in the file: ``!!binary`` rather than ``tag:yaml.org,2002:binary``."""
    prefix = "tag:yaml.org,2002:"
    return "!!" + tag[len(prefix) :] if tag.startswith(prefix) else tag


def _unreadable(text: str, err: Exception) -> str:
    """Why a plain number could not be read, without echoing thousands of digits."""
    shown = repr(text) if len(text) <= 40 else repr(f"{text[:18]}...{text[-18:]}")
    digits = text.lstrip("+-").replace("_", "")
    most = sys.get_int_max_str_digits()
    if digits.isdigit() and most and len(digits) > most:
        return f"the number {shown} has {len(digits):,} digits, too many to read (at most {most:,})"
    return f"cannot read {shown}: {err}"


class _Dumper(yaml.SafeDumper):
    """PyYAML's safe dumper, quoting the texts dipsim would not read back as the same text."""

    def ignore_aliases(self, _data: Any) -> bool:
        # A value written twice is written twice: an anchor and its alias (``&id001`` when a
        # date object is both the span's start and its first event's date) puzzle people, and
        # make the fast reading (yamlplain) give up on the file.
        return True


def _represent_text(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    # PyYAML quotes what its YAML 1.1 resolver would take for another type; dipsim's resolver
    # differs (0o17 is a number to it), and unquoted digits are refused where text is meant
    # (a CAMEO code 039): quoted, both read back as the text they are.
    plain = next(
        (t for t, p in _Resolver.yaml_implicit_resolvers.get(text[:1], ()) if p.match(text)), _STR
    )
    quote = plain != _STR or (text.isdigit() and text.isascii())
    return dumper.represent_scalar(_STR, text, style="'" if quote else None)


_Dumper.add_representer(str, _represent_text)


class _FlowListDumper(_Dumper):
    """The same, with each list of scalars written in flow style."""


def _represent_list(dumper: yaml.SafeDumper, items: list[Any]) -> yaml.SequenceNode:
    scalars = all(not isinstance(i, dict | list | tuple) for i in items)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", items, flow_style=scalars or None)


_FlowListDumper.add_representer(list, _represent_list)


def dump_yaml(data: Mapping[str, Any], *, flow_lists: bool = False) -> str:
    """Plain data as block-style YAML that dipsim reads back as the same data (used by tests
    and tools that write scenarios); ``flow_lists``: a list of scalars on one line, ``[1, 2]``
    (an imported event's hundred cited rows are one line, not a hundred)."""
    dumper = _FlowListDumper if flow_lists else _Dumper
    return yaml.dump(dict(data), Dumper=dumper, sort_keys=False, allow_unicode=True, width=100)
