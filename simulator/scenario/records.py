"""A validated scenario as plain data, and back as records that behave like its models.

:func:`to_plain` walks a validated model (any pydantic model: it reads each type's
``model_fields``, so a key added to a model is carried without a change here) and gives JSON
data: a model is ``{"$m": type name, "f": {field: value}}``, a mapping ``{"$d": [[key,
value], ...]}`` (keys keep their type and order), a tuple a JSON list, and dates, times and
guard expressions tagged with their text. :func:`from_plain` makes that data a tree of
:class:`Record` objects: frozen, with the same fields, and with the behaviour of their model
(:mod:`simulator.scenario.traits`); guard texts are compiled again. Neither imports pydantic:
a cache hit (:mod:`simulator.scenario.cache`) runs a scenario without it.

A record is not a model: it has no ``model_dump`` and no validation. It serves ``dipsim run``,
whose engine, tables and figures read fields and traits only.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from simulator.core.expressions import Expression, parse_expression
from simulator.scenario.traits import TRAITS, Traits

if TYPE_CHECKING:
    from simulator.scenario.traits import Kind


class NotPlainError(ValueError):
    """A value that the plain form does not hold (the scenario is then not cached)."""


class Record(Traits):
    """A validated model's fields as read-only attributes, with its type's traits."""

    #: The record types of one tree by name (``_sibling``), and each type's field defaults.
    _family: ClassVar[dict[str, type[Record]]]
    _defaults: ClassVar[dict[str, Any]] = {}
    _values: dict[str, Any]

    def __init__(self, **fields: Any) -> None:
        missing = self._defaults.keys() - fields.keys()
        values = {**{k: self._defaults[k] for k in missing}, **fields} if missing else fields
        # Through __dict__: __setattr__ refuses every change once made.
        self.__dict__.update(values)
        self.__dict__["_values"] = values

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen: {name} cannot be set")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen: {name} cannot be deleted")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Record):
            return NotImplemented
        return type(self).__name__ == type(other).__name__ and self._values == other._values

    def __hash__(self) -> int:
        return hash((type(self).__name__, tuple(self._values.values())))

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self._values.items())
        return f"{type(self).__name__}({inner})"

    def __reduce__(self) -> tuple[Callable[..., Record], tuple[Any, ...]]:
        # Picklable (worker processes of ``run --runs`` receive the scenario) by name and
        # values; the family is rebuilt on the other side.
        return (_unpickled, (type(self).__name__, self._values, type(self)._defaults))

    def _field_values(self) -> dict[str, Any]:
        return dict(self._values)

    def _copy(self, **changes: Any) -> Any:
        return type(self)(**{**self._values, **changes})

    def _sibling(self, name: str) -> Kind:
        return self._family.get(name) or _record_type(name, {}, self._family)


def _record_type(
    name: str, defaults: dict[str, Any], family: dict[str, type[Record]]
) -> type[Record]:
    """The record type of model type ``name`` in ``family`` (made on first use)."""
    if name not in family:
        bases = (TRAITS[name], Record) if name in TRAITS else (Record,)
        family[name] = type(name, bases, {"_family": family, "_defaults": defaults})
    return family[name]


def _unpickled(name: str, values: dict[str, Any], defaults: dict[str, Any]) -> Record:
    return _record_type(name, defaults, _PICKLED)(**values)


#: The family of the records unpickled in this process.
_PICKLED: dict[str, type[Record]] = {}


def to_plain(value: Any) -> Any:
    """``value`` (a validated model, or anything in one) as JSON data; ``NotPlainError`` for a
    value it cannot hold exactly."""
    fields = getattr(type(value), "model_fields", None)
    if isinstance(fields, dict):
        return {"$m": type(value).__name__, "f": {k: to_plain(getattr(value, k)) for k in fields}}
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"$float": repr(value)}
    if isinstance(value, tuple):
        return [to_plain(v) for v in value]
    if isinstance(value, dict):
        return {"$d": [[to_plain(k), to_plain(v)] for k, v in value.items()]}
    if isinstance(value, dt.datetime):  # before date: a datetime is a date
        raise NotPlainError("a datetime")
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, dt.time):
        if value.tzinfo is not None:
            raise NotPlainError("a time with a zone")
        return {"$time": value.isoformat()}
    if isinstance(value, Expression):
        if value.bound:
            raise NotPlainError("an expression with constants bound")
        return {"$expr": value.text}
    raise NotPlainError(f"a value of type {type(value).__name__}")


def defaults_of(kind: type) -> dict[str, Any]:
    """The plain defaults of a model type's fields that have one (for ``Record`` types)."""
    out: dict[str, Any] = {}
    for name, info in getattr(kind, "model_fields", {}).items():
        if info.is_required():
            continue
        try:
            out[name] = to_plain(info.get_default(call_default_factory=True))
        except NotPlainError:
            continue
    return out


def from_plain(
    data: Any, defaults: dict[str, dict[str, Any]], fields: dict[str, list[str]] | None = None
) -> Any:
    """Records from :func:`to_plain`'s data; ``defaults`` by type name, from
    :func:`defaults_of`; ``fields``, if given, the field names of each type, which every record
    of the type must have, no more and no fewer. Data that is not of that form raises
    ``ValueError`` or ``TypeError``."""
    shape = None if fields is None else {k: frozenset(v) for k, v in fields.items()}
    into = _Into({}, shape)
    # Every type first, its defaults filled in after: a default may be a record itself.
    filled = {name: _record_type(name, {}, into.family)._defaults for name in defaults}
    for name, values in defaults.items():
        if not isinstance(values, dict):
            raise ValueError("not the plain form of a type's defaults")
        filled[name].update({k: _value(v, into) for k, v in values.items()})
    return _value(data, into)


class _Into(NamedTuple):
    """Where plain data becomes records: their types, and each type's field names (if known,
    every record must have exactly those)."""

    family: dict[str, type[Record]]
    shape: dict[str, frozenset[str]] | None


def _value(data: Any, into: _Into) -> Any:
    # JSON gives str, int, float, bool, None, list and dict only: type() tells them apart.
    kind = type(data)
    if kind is list:
        return tuple([_value(v, into) for v in data])
    if kind is not dict:
        return data
    if "$m" in data:
        return _record(data, into)
    if len(data) != 1:
        raise ValueError("not the plain form of a scenario")
    ((tag, text),) = data.items()
    if tag == "$d":
        return {_value(k, into): _value(v, into) for k, v in text}
    if not isinstance(text, str):
        raise ValueError(f"not the plain form of {tag}")
    if tag == "$float":
        return float(text)
    if tag == "$date":
        return dt.date.fromisoformat(text)
    if tag == "$time":
        return dt.time.fromisoformat(text)
    if tag == "$expr":
        return parse_expression(text)
    raise ValueError(f"unknown tag {tag!r}")


def _record(data: dict[str, Any], into: _Into) -> Record:
    name, fields = data["$m"], data["f"]
    if len(data) != 2 or type(name) is not str or type(fields) is not dict:
        raise ValueError("not the plain form of a model")
    if into.shape is not None and fields.keys() != into.shape.get(name):
        raise ValueError(f"a {name} without its fields")
    kind = _record_type(name, {}, into.family)
    return kind(**{k: _value(v, into) for k, v in fields.items()})
