"""Plain data straight from a YAML parser's events: the fast way to read a file that is fine.

:mod:`simulator.scenario.yamlread` reads YAML by composing a node graph and converting it,
which keeps the line and column of every value and lets every refusal name its place. For a
big file, most of the time and memory went into that graph: a Python node and two marks per
value, the resolver called on each, then a table of positions that a file without problems
never consults. This module builds the same lists, dicts and scalars directly from the
parser's events, in one loop, keeping no position at all.

It never refuses anything itself. It applies every rule ``yamlread`` applies (the limits,
duplicate keys, null and merge keys, tags, aliases, unreadable numbers, ``.nan``), but where
``yamlread`` would report a problem, it gives up (returns ``None``) and the file is read again
the located way, whose words and positions every message keeps; where a rule is costly to
mirror exactly (anchors and aliases, tags) it gives up at the first sign of one. So it says
either "this is the data the located reading gives" or "read it the located way".

It does not import ``yaml``: the events, the resolver and the constructor are ``yamlread``'s,
passed in as a :class:`Grammar`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from simulator.core.errors import KeyPath
from simulator.scenario.limits import Limits

STR = "tag:yaml.org,2002:str"
INT = "tag:yaml.org,2002:int"
FLOAT = "tag:yaml.org,2002:float"
BOOL = "tag:yaml.org,2002:bool"
NULL = "tag:yaml.org,2002:null"


@dataclass(frozen=True)
class Grammar:
    """What the YAML library provides: its event classes, how it resolves a plain scalar and
    how it reads a number."""

    scalar: type
    sequence_start: type
    sequence_end: type
    mapping_start: type
    mapping_end: type
    document_start: type
    stream_end: type
    #: Events that carry nothing to build (the stream's start, a document's end).
    skipped: tuple[type, ...]
    #: The resolver ``yamlread`` installs, as PyYAML keeps it: by a plain scalar's first
    #: character (``""`` for an empty one), the tags to try in order and their patterns; a
    #: plain scalar that none matches is text, as is every quoted one.
    resolvers: Mapping[str, Sequence[tuple[str, re.Pattern[str]]]]
    #: An int or a float from its tag and text, as the constructor reads it (or an error).
    construct: Callable[[str, str], Any]
    #: The errors that mean "the located reading will say what is wrong".
    errors: tuple[type[BaseException], ...]


class _GiveUpError(Exception):
    """The located reading must decide (it will refuse, or it must place what it reads)."""


_NO_KEY = object()

#: Nesting past which this reading gives up whatever ``max_depth`` allows. It never recurses,
#: but the located reading does, and runs out of Python's stack a few hundred levels down
#: (where it refuses the file, "nested too deeply for Python to read"): past this depth,
#: twice the default limit, it is left to decide.
DEEPEST = 100


def plain_data(
    next_event: Callable[[], Any], grammar: Grammar, limits: Limits
) -> tuple[Any, set[KeyPath]] | None:
    """The data read from ``next_event`` (a parser's events, one call each), exactly as
    ``yamlread`` converts the node graph of the same events, and the key paths of its unquoted
    digits read as text (``Document.plain_digits``); ``None`` when ``yamlread`` would report
    a problem, or might (then it must read the text itself)."""
    try:
        data, digits = _build(next_event, grammar, limits)
    except _GiveUpError:
        return None
    except grammar.errors:  # libyaml refuses the text, or a number cannot be read
        return None
    # The composer refuses the item past max_events of the top-level events list.
    events = data.get("events") if isinstance(data, dict) else None
    if isinstance(events, list) and len(events) > limits.max_events:
        return None
    return data, set(digits)


def _build(  # noqa: PLR0915
    next_event: Callable[[], Any], g: Grammar, limits: Limits
) -> tuple[Any, list[KeyPath]]:
    # One loop with its state in locals: this runs once per value of a file of a million.
    scalar, resolvers = g.scalar, g.resolvers
    # One string per distinct key: a file of many events repeats the same few keys, and the
    # parser makes each occurrence a new string (20 MB of a 145 MB peak in bench_load).
    known: dict[str, str] = {}
    names = known.setdefault
    max_depth, max_string = min(limits.max_depth, DEEPEST), limits.max_string
    root: Any = _NO_KEY
    documents = 0
    nodes = 0  # as yamlread's converter counts: every value, and every key read as a number
    top: Any = None  # the innermost open collection (None at the top)
    in_map = False
    key: Any = _NO_KEY  # in a mapping, the key read whose value comes next
    enclosing: list[tuple[Any, bool]] = []
    parts: list[Any] = []  # the key path of ``top``
    digits: list[KeyPath] = []
    # Whether a value here is nested deeper than max_depth (it has more ancestors than that).
    deep = max_depth < 0
    while True:
        event = next_event()
        kind = event.__class__
        if kind is scalar:
            if deep or event.anchor is not None or event.tag is not None:
                raise _GiveUpError
            text = event.value
            tag = STR
            if event.implicit[0]:  # plain: resolved as PyYAML's resolver does (no method call)
                for candidate, pattern in resolvers.get(text[:1], ()):
                    if pattern.match(text):
                        tag = candidate
                        break
            if in_map and key is _NO_KEY:
                # A key: kept as written ("1" and 1 name the same key); text and booleans are
                # keys as they are, numbers must be readable, anything else is refused.
                if tag in (STR, BOOL):
                    if len(text) > max_string:
                        raise _GiveUpError
                elif tag in (INT, FLOAT):
                    nodes += 1
                    _number(g, tag, text)
                else:
                    raise _GiveUpError
                if text in top:
                    raise _GiveUpError
                key = names(text, text)
                continue
            nodes += 1
            value: Any
            if tag == STR:
                if len(text) > max_string:
                    raise _GiveUpError
                value = text
                if event.implicit[0] and text.isdigit() and text.isascii():  # plain, [0-9]+
                    at = len(top) if top is not None and not in_map else key
                    digits.append(() if top is None else (*parts, at))
            elif tag == NULL:
                value = None
            elif tag == BOOL:
                value = text[0] in "tT"
            elif tag in (INT, FLOAT):
                value = _number(g, tag, text)
            else:
                raise _GiveUpError
        elif kind is g.mapping_start or kind is g.sequence_start:
            if event.anchor is not None or event.tag is not None:
                raise _GiveUpError
            if in_map and key is _NO_KEY:
                raise _GiveUpError  # a collection as a key
            if deep:
                raise _GiveUpError
            nodes += 1
            value = {} if kind is g.mapping_start else []
        elif kind is g.mapping_end or kind is g.sequence_end:
            top, in_map = enclosing.pop()
            if top is not None:
                parts.pop()
            deep = len(enclosing) > max_depth
            continue
        elif kind is g.document_start:
            documents += 1
            if documents > 1:
                raise _GiveUpError
            continue
        elif kind is g.stream_end:
            break
        elif kind in g.skipped:
            continue
        else:  # an alias, or an event this loop does not know
            raise _GiveUpError
        if top is None:
            root = value
        elif in_map:
            top[key] = value
            if kind is not scalar:
                parts.append(key)
            key = _NO_KEY
        else:
            if kind is not scalar:
                parts.append(len(top))
            top.append(value)
        if kind is not scalar:
            enclosing.append((top, in_map))
            top, in_map = value, kind is g.mapping_start
            deep = len(enclosing) > max_depth
    if root is _NO_KEY or nodes > limits.max_nodes:
        raise _GiveUpError  # an empty file, or too many values
    return root, digits


def _number(g: Grammar, tag: str, text: str) -> Any:
    value = g.construct(tag, text)
    if isinstance(value, float) and math.isnan(value):
        raise _GiveUpError
    return value


def plain_positions(
    next_event: Callable[[], Any], grammar: Grammar
) -> tuple[dict[KeyPath, tuple[int, int]], dict[KeyPath, tuple[int, int]]] | None:
    """The positions of the values and of the keys (1-based line and column) of a text that
    :func:`plain_data` read, from the same events: those the located reading gives (its nodes
    start where their events do), without its nodes. ``None`` if the events are not those of
    such a text (then the located reading must place them)."""
    try:
        return _place(next_event, grammar)
    except _GiveUpError:
        return None
    except grammar.errors:
        return None


def _place(
    next_event: Callable[[], Any], g: Grammar
) -> tuple[dict[KeyPath, tuple[int, int]], dict[KeyPath, tuple[int, int]]]:
    values: dict[KeyPath, tuple[int, int]] = {}
    keys: dict[KeyPath, tuple[int, int]] = {}
    # Per open collection: whether it is a mapping, its path, and the key read whose value
    # comes next (a mapping) or the index of the next item (a list).
    frames: list[tuple[bool, KeyPath, list[Any]]] = []
    while True:
        event = next_event()
        kind = event.__class__
        if kind is g.scalar or kind is g.mapping_start or kind is g.sequence_start:
            mark = event.start_mark
            where = (mark.line + 1, mark.column + 1)
            path: KeyPath = ()
            if frames:
                in_map, at, state = frames[-1]
                if in_map and state[0] is _NO_KEY:
                    if kind is not g.scalar:
                        raise _GiveUpError  # a collection as a key: plain_data gave up
                    state[0] = event.value
                    keys[(*at, event.value)] = where
                    continue
                path = (*at, state[0])
                state[0] = _NO_KEY if in_map else state[0] + 1
            values[path] = where
            if kind is not g.scalar:
                frames.append(
                    (kind is g.mapping_start, path, [_NO_KEY if kind is g.mapping_start else 0])
                )
        elif kind is g.mapping_end or kind is g.sequence_end:
            frames.pop()
        elif kind is g.stream_end:
            return values, keys
        elif kind not in g.skipped and kind is not g.document_start:
            raise _GiveUpError  # an alias: plain_data gave up
