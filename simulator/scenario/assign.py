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
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel

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


__all__ = ["assign_values", "assign_values_only"]
