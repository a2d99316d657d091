"""Setting values by path without a round trip through the whole scenario: a batch's design
points.

:func:`~simulator.scenario.whatif.set_values` dumps the scenario to plain data, sets the values
and validates everything again: about a millisecond for January 2024, many runs' worth. Here
each value is validated where it lives instead: the model that holds it is copied and the value
assigned through pydantic's ``validate_assignment`` (the field's own checks and the model's
``after`` checks), then each model above it, up to the scenario, is copied and given its new
child the same way, so that every check a whole validation would make on the changed branch is
made again (the models have no ``before`` checks of their own). Nothing else is touched: the
untouched parts of the scenario are the very same objects, which
:meth:`~simulator.engine.simulation.Simulator.derive` uses to keep what it built from them.

Anything this does not handle, or any value it refuses, goes to ``set_values``, so that the
result, or the error and its words, are always those of the reference path
(``tests/test_assign.py`` holds the two to the same scenarios).

A batch sets the same paths at every design point of one scenario: an :class:`Assigner` reads
the paths once (which list item each selects, which field each names) and checks each value
with the field's own validator, made once (its type, bounds and before/after checks, as the
model's field has them), then runs the checks of the whole of each model it copies; the copies
are made without pydantic's copy machinery. What it cannot do so, or a value it refuses, goes
to ``assign_values`` as a whole, and so to the reference path.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Iterable, Sequence
from typing import Annotated, Any, cast, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainValidator,
    TypeAdapter,
    WrapValidator,
)

from simulator.scenario.model import Scenario
from simulator.scenario.whatif import parse_path, select, set_values


class _UnhandledError(Exception):
    """Not a change this module makes: the reference path makes it."""


def assign_values(scenario: Scenario, changes: Iterable[tuple[str, Any]]) -> Scenario:
    """``scenario`` with each value set at its path, as ``set_values`` would give it."""
    changes = list(changes)
    try:
        return assign_values_only(scenario, changes)
    except Exception:  # any refusal, or a path this does not handle: the reference decides
        return set_values(scenario, changes)


def assign_values_only(scenario: Scenario, changes: Iterable[tuple[str, Any]]) -> Scenario:
    """The fast path alone: raises where it cannot, or will not, set a value (for tests)."""
    out = scenario
    for path, value in changes:
        out, _ = _assign(out, parse_path(path), value)
    if not isinstance(out, Scenario):
        raise _UnhandledError(path)
    return out


def _assign(node: Any, parts: list[str | int], value: Any) -> tuple[Any, bool]:
    """``node`` with ``value`` set at ``parts``, and whether the changed item was validated
    by the model that holds it (a model, not a number in a list or a mapping)."""
    part, rest = parts[0], parts[1:]
    if isinstance(node, BaseModel):
        name = _field(type(node), part)
        child, checked = (value, False) if not rest else _assign(getattr(node, name), rest, value)
        if checked and not _has_model_checks(type(node)) and part not in _KEYS:
            # The new child is a model validated where it lives, put in place of one of the
            # same kind in a list or mapping whose keys and length stay as they were: the
            # field's own checks would pass it as it is (pydantic does not validate a model
            # instance again), and this model has no checks of the whole to run again.
            return node.model_copy(update={name: child}), True
        copy = node.model_copy()
        type(node).__pydantic_validator__.validate_assignment(copy, name, child)
        return copy, True
    if isinstance(node, dict):
        key = str(part)
        if rest and key not in node:
            raise _UnhandledError(key)
        changed = dict(node)
        changed[key], checked = (value, False) if not rest else _assign(node[key], rest, value)
        return changed, checked
    if isinstance(node, list | tuple):
        if part == "+":
            raise _UnhandledError(part)
        index = select([_names_of(item) for item in node], part, "")
        items = list(node)
        items[index], checked = (value, False) if not rest else _assign(node[index], rest, value)
        return type(node)(items), checked
    raise _UnhandledError(part)


#: The fields by which a path selects list items: changing one is always validated in full.
_KEYS = frozenset({"id", "pair", "trigger", "name"})


@functools.lru_cache(maxsize=256)
def _has_model_checks(model: type[BaseModel]) -> bool:
    """Whether the model has checks of the whole (``model_validator``) besides its fields'."""
    return bool(model.__pydantic_decorators__.model_validators)


@functools.lru_cache(maxsize=256)
def _field(model: type[BaseModel], part: str | int) -> str:
    """The field a path part names: by its name in the file (alias) or in Python."""
    for name, info in model.model_fields.items():
        if part in (info.alias, name):
            return name
    raise _UnhandledError(part)


def _names_of(item: Any) -> Any:
    """What ``select`` reads of a list item: the keys it selects by, as the file writes them."""
    if not isinstance(item, BaseModel):
        return item
    found = {}
    for key in ("id", "pair", "trigger", "name"):
        if key not in type(item).model_fields:  # a property of that name is not in the file
            continue
        value = getattr(item, key)
        if isinstance(value, str | tuple | list):
            found[key] = list(value) if isinstance(value, tuple) else value
    return found


class Assigner:
    """Sets one scenario's values at fixed paths, point after point: ``assigner(values)`` is
    ``assign_values(scenario, zip(paths, values))``, the same scenario, made faster (see the
    module's note)."""

    def __init__(self, scenario: Scenario, paths: Sequence[str]) -> None:
        self.scenario = scenario
        self.paths = tuple(paths)
        try:
            root = _Node(scenario)
            for slot, path in enumerate(self.paths):
                root.add(parse_path(path), slot)
            root.check()
            self._made: Callable[[Sequence[Any]], Any] | None = root.maker()
        except Exception:  # a path this cannot read once for all: every point goes the long way
            self._made = None

    @property
    def compiled(self) -> bool:
        """Whether the paths were read once for all (else every point takes ``assign_values``)."""
        return self._made is not None

    def __call__(self, values: Sequence[Any]) -> Scenario:
        if self._made is not None and len(values) == len(self.paths):
            try:
                made = self._made(values)
            except Exception:  # a value refused: the reference path says how, in its words
                pass
            else:
                assert isinstance(made, Scenario)
                return made
        return assign_values(self.scenario, zip(self.paths, values, strict=True))


#: What a leaf's check is: the value as the field validates it (coerced), or an exception.
_Check = Callable[[Any], Any]
#: Model settings that shape how a field validates a value (the rest are the model's own).
_FIELD_SETTINGS = frozenset(
    {"strict", "str_strip_whitespace", "str_to_lower", "str_to_upper", "str_min_length",
     "str_max_length", "allow_inf_nan", "coerce_numbers_to_str", "arbitrary_types_allowed",
     "regex_engine"}
)  # fmt: skip
_VALIDATORS = (AfterValidator, BeforeValidator, PlainValidator, WrapValidator)


class _Node:
    """A model, list, tuple or mapping on the way to the values set, as the base scenario has
    it, with what is set below it: for each key (field, index, mapping key), a deeper node or
    the slot of the value set there, with that value's check."""

    def __init__(self, base: Any, holder: tuple[type[BaseModel], str] | None = None) -> None:
        self.base = base
        #: The model and field that hold this node, when a model does.
        self.holder = holder
        self.below: dict[Any, _Node] = {}
        self.leaves: dict[Any, tuple[int, _Check]] = {}
        self.after: tuple[Callable[[Any], Any], ...] = ()

    def add(self, parts: list[str | int], slot: int) -> None:
        part, rest = parts[0], parts[1:]
        key = self._key(part)
        if key in self.leaves or (not rest and key in self.below):
            raise _UnhandledError(part)  # two values at one place: the reference decides
        if rest:
            child = self.below.get(key)
            if child is None:
                holder = (type(self.base), key) if isinstance(self.base, BaseModel) else None
                child = self.below[key] = _Node(self._child(key), holder)
            child.add(rest, slot)
        else:
            self.leaves[key] = (slot, self._leaf_check(key))

    def _key(self, part: str | int) -> Any:
        node = self.base
        if isinstance(node, BaseModel):
            name = _field(type(node), part)
            if name in _KEYS:  # a selecting key: the reference validates the whole
                raise _UnhandledError(part)
            return str(name)
        if isinstance(node, dict):
            if str(part) not in node:  # a new key is the whole mapping's to check
                raise _UnhandledError(part)
            return str(part)
        if isinstance(node, list | tuple) and part != "+":
            return select([_names_of(item) for item in node], part, "")
        raise _UnhandledError(part)

    def _child(self, key: Any) -> Any:
        node = self.base
        return getattr(node, key) if isinstance(node, BaseModel) else node[key]

    def _leaf_check(self, key: Any) -> _Check:
        node = self.base
        if isinstance(node, BaseModel):
            return _field_check(type(node), key)
        if isinstance(node, dict) and self.holder is not None:
            # A value in a mapping a model's field holds: checked by the type of its values.
            return _item_check(*self.holder)
        raise _UnhandledError(key)  # an item of a list, or of a mapping in a mapping

    def check(self) -> None:
        """Make ready what each level checks, or raise if the reference must do it."""
        if isinstance(self.base, BaseModel):
            self.after = _after_checks(type(self.base))
        # A field given a model checked in its place (or a list or mapping of them) passes its
        # field's validation as it is, as in ``_assign``; values in a mapping are checked by
        # its type of values (``_item_check``).
        for child in self.below.values():
            child.check()

    def maker(self) -> Callable[[Sequence[Any]], Any]:
        """What makes this node anew from a point's values: a function made once, which
        does at each point only the copying and the checks (the kind of node, the keys and
        what the copies' other fields are were settled here)."""
        leaves = tuple((key, slot, check) for key, (slot, check) in self.leaves.items())
        below = tuple((key, child.maker()) for key, child in self.below.items())

        def changes(values: Sequence[Any]) -> dict[Any, Any]:
            out = {key: check(values[slot]) for key, slot, check in leaves}
            for key, make in below:
                out[key] = make(values)
            return out

        node = self.base
        if isinstance(node, dict):
            return lambda values: {**node, **changes(values)}
        if not isinstance(node, BaseModel):
            kind = type(node)

            def items(values: Sequence[Any]) -> Any:
                made = list(node)
                for key, value in changes(values).items():
                    made[key] = value
                return kind(made)

            return items
        model, after, fields = type(node), self.after, node.__dict__
        fields_set = node.__pydantic_fields_set__ | self.leaves.keys() | self.below.keys()
        setattr_ = object.__setattr__

        def copied(values: Sequence[Any]) -> Any:
            # ``node.model_copy(update=...)``, without its generic copying.
            copy = model.__new__(model)
            setattr_(copy, "__dict__", {**fields, **changes(values)})
            setattr_(copy, "__pydantic_fields_set__", set(fields_set))
            setattr_(copy, "__pydantic_extra__", None)
            setattr_(copy, "__pydantic_private__", None)
            for check in after:
                if check(copy) is not copy:
                    raise _UnhandledError("an after check that replaces the model")
            return copy

        return copied


@functools.lru_cache(maxsize=256)
def _after_checks(model: type[BaseModel]) -> tuple[Callable[[Any], Any], ...]:
    """The model's checks of the whole, as functions of an instance (``after`` ones only)."""
    if model.model_config.get("extra") == "allow" or model.__private_attributes__:
        raise _UnhandledError(model.__name__)
    checks = []
    for decorator in model.__pydantic_decorators__.model_validators.values():
        if decorator.info.mode != "after" or decorator.shim is not None:
            raise _UnhandledError(model.__name__)
        checks.append(decorator.func)
    return tuple(checks)


def _settings(model: type[BaseModel]) -> ConfigDict:
    config = {k: v for k, v in model.model_config.items() if k in _FIELD_SETTINGS}
    return cast(ConfigDict, config)


@functools.lru_cache(maxsize=256)
def _field_check(model: type[BaseModel], name: str) -> _Check:
    """The field's own validation of a value, as the model makes it on assignment."""
    _no_field_validators(model, name)
    info = model.model_fields[name]
    if info.alias is not None:  # how the key is written, not how its value is validated (an
        info = copy.copy(info)  # alias here has no effect, and pydantic warns that it has none)
        info.alias = info.validation_alias = info.serialization_alias = None
    annotated: Any = Annotated[info.annotation, info]  # the field as the model declares it
    adapter: TypeAdapter[Any] = TypeAdapter(annotated, config=_settings(model))
    return adapter.validate_python


@functools.lru_cache(maxsize=256)
def _item_check(model: type[BaseModel], name: str) -> _Check:
    """The validation of one value of a mapping field (``dict[K, V]``: ``V``'s)."""
    _plain_container(model, name)
    annotation = model.model_fields[name].annotation
    if get_origin(annotation) is not dict:
        raise _UnhandledError(name)
    adapter: TypeAdapter[Any] = TypeAdapter(get_args(annotation)[1], config=_settings(model))
    return adapter.validate_python


def _plain_container(model: type[BaseModel], name: str) -> None:
    """Refuse a field whose validation could change what it holds (its own validators)."""
    _no_field_validators(model, name)
    if any(isinstance(m, _VALIDATORS) for m in model.model_fields[name].metadata):
        raise _UnhandledError(name)


def _no_field_validators(model: type[BaseModel], name: str) -> None:
    for decorator in model.__pydantic_decorators__.field_validators.values():
        if name in decorator.info.fields or "*" in decorator.info.fields:
            raise _UnhandledError(name)


__all__ = ["Assigner", "assign_values", "assign_values_only"]
