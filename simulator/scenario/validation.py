"""From plain YAML data to a valid :class:`~simulator.scenario.model.Scenario`, all located.

Two passes, both collecting every problem rather than stopping at the first: pydantic
checks shapes and types (its errors are translated into ``file:line:col: key.path: message``),
then :func:`check_references` checks what needs the whole scenario — names that must resolve,
dates inside the scenario's span, quotes that must be verbatim in their source.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from simulator.core.dates import why_not_a_date
from simulator.core.errors import QUOTED_MOST, KeyPath, Problem, ScenarioError, did_you_mean
from simulator.core.files import DataFile
from simulator.scenario.model import Scenario
from simulator.scenario.model.events import unquoted_cameo
from simulator.scenario.references import check_references, in_file_order
from simulator.scenario.yamlread import Document


def validate_document(doc: Document, source_texts: Mapping[str, str | DataFile | None]) -> Scenario:
    """Validate a document as a scenario.

    Args:
        doc: The YAML document with positions.
        source_texts: For each source id with a ``file``, the file's text (``None`` if the file
            could not be read).

    Raises:
        ScenarioError: With every problem found.
    """
    if not isinstance(doc.data, dict):
        raise ScenarioError(
            [
                doc.problem(
                    (),
                    "a scenario must be a mapping of keys "
                    f"(title, machine, events, ...), not {_kind(doc.data)}",
                )
            ]
        )
    unquoted = unquoted_codes(doc)
    try:
        scenario = Scenario.model_validate(doc.data)
    except ValidationError as err:
        problems = [*unquoted, *translate_errors(err, doc, Scenario)]
        raise ScenarioError(in_file_order(problems)) from None
    if unquoted:
        raise ScenarioError(unquoted)
    problems = check_references(scenario, doc, source_texts)
    if problems:
        raise ScenarioError(problems)
    return scenario


#: Keys one might write for the end (or start) of a date known only as a range: "did you mean
#: 'date'?" would send the writer back to one date; the hint says how to write the range.
_RANGE_KEYS = frozenset(
    {"end_date", "date_end", "date_to", "to_date", "until", "end", "to", "date_until"}
    | {"start_date", "date_start", "date_from", "from_date", "from", "date_range"}
)
_RANGE_HINT = (
    "an event has one 'date'; for a date known only within a range write "
    "'date: {between: [FIRST, LAST]}' (a month: 'date: 2018-10'; sources that disagree: "
    "'date: {disputed: [...]}')"
)


def translate_errors(
    err: ValidationError, doc: Document, root: type[BaseModel]
) -> Iterator[Problem]:
    """Turn pydantic's errors into located problems, in file order."""
    found = []
    errors = err.errors(include_url=False)
    paths = [_data_path(doc.data, e["loc"]) for e in errors]
    for e, (path, missing_key, at_key) in zip(errors, paths, strict=True):
        kind = e["type"]
        if kind == "too_short" and any(
            len(other) > len(path) and other[: len(path)] == path for other, _, _ in paths
        ):
            continue  # pydantic's echo of a bad item: "should have at least 1 item ... not 0"
        if kind == "extra_forbidden":
            key = path[-1]
            allowed = _fields_at(root, path[:-1])
            msg = f"unknown key {key!r}{did_you_mean(str(key), allowed)}"
            if {"date", "summary"} <= set(allowed) and str(key).lower() in _RANGE_KEYS:
                msg = f"unknown key {key!r}: {_RANGE_HINT}"
            if allowed:
                msg += f"; allowed here: {', '.join(allowed)}"
            found.append(doc.problem(path, _with_home(msg, str(key), allowed), key=True))
            continue
        if kind == "missing":
            name = missing_key if missing_key is not None else e["loc"][-1]
            found.append(doc.problem(path, f"missing required key {name!r}"))
            continue
        found.append(doc.problem(path, _message(e), key=at_key))
    # pydantic may report one bad value once per union member; keep the first of each.
    seen: set[str] = set()
    unique = []
    for p in in_file_order(found):
        if str(p) not in seen:
            seen.add(str(p))
            unique.append(p)
    return iter(unique)


def _message(e: Any) -> str:
    msg = str(e["msg"])
    msg = re.sub(r"^(Value error|Assertion failed), ", "", msg)
    value = e.get("input")
    if e["type"] == "dipsim":
        return msg
    if e["type"].startswith("date") and isinstance(value, str):
        return why_not_a_date(value)
    if e["type"] == "bool_type":
        # YAML 1.1 read yes/no/on/off as booleans; dipsim reads them as text (so that an actor
        # coded NO stays Norway), which makes a flag written `yes` an error, not a silent True.
        return f"write true or false (got {_yaml_repr(value)[:60]})"
    if isinstance(value, str | int | float | bool) or value is None:
        msg = f"{msg[0].lower()}{msg[1:]} (got {_kind(value)})"
    else:
        msg = f"{msg[0].lower()}{msg[1:]} (got {_kind(value)})"
    return msg


def _yaml_repr(value: str | float | bool | None) -> str:
    """A value as the YAML file spells it (``null``, ``true``), text quoted."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str | int | float | bool) or value is None:
        shown = _yaml_repr(value)  # cut: a file read by mistake is one long text
        return shown if len(shown) <= QUOTED_MOST else shown[: QUOTED_MOST - 3] + "..."
    return type(value).__name__


def _data_path(data: Any, loc: tuple[Any, ...]) -> tuple[KeyPath, str | None, bool]:
    """The part of a pydantic ``loc`` that names real places in the data.

    pydantic puts validator and union-member names into ``loc``; they are skipped. Returns the
    path, the name of a missing key (so the problem points at the mapping that lacks it), and
    whether the problem is with the last key itself rather than its value.
    """
    path: list[str | int] = []
    current = data
    for part in loc:
        if (isinstance(current, dict) and part in current) or (
            isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current)
        ):
            path.append(part)
            current = current[part]
        elif part == "[key]":
            return tuple(path), None, True
        elif isinstance(current, dict) and isinstance(part, str) and part == loc[-1]:
            return tuple(path), part, False
    return tuple(path), None, False


def _fields_at(root: type[BaseModel], path: KeyPath) -> list[str]:
    """The keys allowed in the mapping at ``path`` (for "did you mean")."""
    annotation: Any = root
    for part in path:
        model = _model_in(annotation)
        field = _written_keys(model).get(part) if isinstance(part, str) else None
        if model is not None and field is not None:
            annotation = model.model_fields[field].annotation
            continue
        annotation = _element(annotation, part)
        if annotation is None:
            return []
    return list(_written_keys(_model_in(annotation)))


def _written_keys(model: type[BaseModel] | None) -> dict[str, str]:
    """A model's keys as a file writes them (a field's alias: ``from``, ``with``), to its
    fields' names."""
    if model is None:
        return {}
    return {info.alias or name: name for name, info in model.model_fields.items()}


def _unwrap(annotation: Any) -> list[Any]:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [a for arg in typing.get_args(annotation) for a in _unwrap(arg)]
    return [annotation]


def _model_in(annotation: Any) -> type[BaseModel] | None:
    for a in _unwrap(annotation):
        if isinstance(a, type) and issubclass(a, BaseModel):
            return a
    return None


def _element(annotation: Any, part: str | int) -> Any:
    for a in _unwrap(annotation):
        origin = typing.get_origin(a)
        args = typing.get_args(a)
        if origin is dict and args:
            return args[1]
        if origin in (tuple, list) and args and isinstance(part, int):
            return args[0]
    return None


#: Keys written one level too high, or by another name, and how to write them where they are
#: met (when the place named first is allowed there): a spelling suggestion would mislead
#: ("quote" on an event is not "note", "goldstein" has no neighbour at all).
_MISPLACED = {
    "cameo": ("codes", "codes: {cameo: ...}"),
    "weis": ("codes", "codes: {weis: ...}"),
    "goldstein": ("codes", "codes: {goldstein: ...}"),
    "plover": ("codes", "codes: {plover: ...}"),
    "quote": ("source", "a citation, source: {ref: ..., quote: ...}"),
    "ref": ("source", "a citation, source: {ref: ...}"),
    "date_inferred": ("date_basis", "date_basis: inferred, with a date_note saying why"),
    "inferred": ("date_basis", "date_basis: inferred, with a date_note saying why"),
    # A relation's two actors; a shift's amount and day; a removal's consequences.
    "actors": ("pair", "pair: [A, B]"),
    "days": ("by", "by: N (days; negative moves earlier)"),
    "date": ("to", "to: YYYY-MM-DD (the day the first event named moves to)"),
    "with_consequences": (
        "keep",
        "keep: [EVENT-ID, ...] (a removal always takes the events that name it as a cause, "
        "except those listed in keep)",
    ),
}


def unquoted_codes(doc: Document) -> list[Problem]:
    """CAMEO (or WEIS) codes written as unquoted digits with a leading zero (``cameo: 050``).
    YAML read them as text, but they are refused as ``cameo: 111`` is, which it reads as a
    number: one rule for both (quote the code), wherever the file writes codes (what-if edits
    included)."""
    found = []
    for path in doc.plain_digits:
        if path[-2:] in (("codes", "cameo"), ("codes", "weis")):
            written = doc.data
            for part in path:
                written = written[part]
            scheme = "CAMEO" if path[-1] == "cameo" else "WEIS"
            found.append(doc.problem(path, unquoted_cameo(str(written), str(written), scheme)))
    return in_file_order(found)


def _with_home(msg: str, key: str, allowed: list[str]) -> str:
    """An unknown key's message, saying what to write instead when the key is one written where
    another belongs (:data:`_MISPLACED`) and that other is allowed here."""
    home = _MISPLACED.get(key)
    if home is None or home[0] not in allowed:
        return msg
    listed = f"; allowed here: {', '.join(allowed)}" if allowed else ""
    return f"unknown key {key!r}: write it as {home[1]}{listed}"
