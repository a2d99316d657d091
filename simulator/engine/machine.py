"""The relation state machine: a scenario's states and transitions, as a ``transitions`` Machine.

This is the only module that imports ``transitions``. One :class:`RelationMachine` is built
per scenario (building costs ~100 µs) and shared by every relation of every run: each relation
of a run is a tiny :class:`RelationModel` holding only its state, and firing a trigger on the
shared machine through it costs a few microseconds. The machine knows nothing of time.

``transitions`` validates nothing itself (a missing destination or an unknown initial state is
accepted silently); the loader has already checked all names, so a machine built here from a
validated scenario is well formed.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from transitions import Machine

from simulator.core.errors import KeyPath
from simulator.core.expressions import Expression, as_guard

if TYPE_CHECKING:  # not at run time: a cached scenario is run without pydantic (see cache)
    from simulator.scenario.model import MachineSpec


class Outcome(StrEnum):
    """What an event did to its relation's state."""

    #: A transition fired (the state may be the same, for a self-transition).
    TRANSITION = "transition"
    #: Transitions for this trigger leave the current state, but every guard was false.
    GUARD_FAILED = "guard_failed"
    #: No transition for this trigger leaves the current state.
    NO_TRANSITION = "no_transition"


class RelationModel:
    """One relation's state within one run; the object ``transitions`` moves between states."""

    __slots__ = ("state",)

    def __init__(self, state: str) -> None:
        self.state = state


class RelationMachine:
    """A scenario's machine, built once and shared by every relation and run."""

    def __init__(
        self,
        spec: MachineSpec,
        constants: Mapping[str, float] | None = None,
        where: KeyPath = ("machine",),
    ) -> None:
        """``where``: the key path of ``spec`` in the scenario (a track's is ``tracks.NAME``),
        which a guard that cannot be evaluated names."""
        self.spec = spec
        self.states: tuple[str, ...] = spec.state_names
        self.initial = spec.initial
        self._machine = Machine(
            model=None,
            states=list(self.states),
            initial=spec.initial,
            auto_transitions=False,
            send_event=False,
            ignore_invalid_triggers=False,
        )
        handled: set[tuple[str, str]] = set()
        # Each condition's guard as written (before the constants are compiled in), for rebound,
        # and what was compiled into it (``Expression.bound``).
        self._written: dict[int, Expression] = {}
        self._bindings: dict[int, tuple[tuple[str, float], ...]] = {}
        self._paths: dict[int, KeyPath] = {}
        for i, t in enumerate(spec.transitions):
            sources = list(self.states) if "*" in t.source else list(t.source)
            guard = t.guard.bind(constants or {}) if t.guard is not None else None
            path: KeyPath = (*where, "transitions", i, "guard")
            conditions = [as_guard(guard, path)] if guard is not None else []
            if t.guard is not None and guard is not None:
                self._paths[id(conditions[0])] = path
                self._written[id(conditions[0])] = t.guard
                self._bindings[id(conditions[0])] = guard.bound
            self._machine.add_transition(
                t.trigger,
                sources,  # type: ignore[arg-type]  # transitions' stub wants list[str | Enum | State]
                t.dest,
                conditions=conditions,  # type: ignore[arg-type]
            )
            handled.update((src, t.trigger) for src in sources)
        self._handled = frozenset(handled)
        self._events: dict[str, Any] | None = dict(self._machine.events)
        self._triggers = frozenset(self._machine.events)
        # The table as built, whose conditions ``_written`` knows; a rebound copy keeps it.
        self._built = self._table = self._dispatch_table()
        # The callable now standing for each condition of the table as built (see rebound).
        self._bound: dict[int, Any] = {
            id(check): check for options in self._built.values() for check, _ in options if check
        }
        # The table entries each condition appears in: a rebound changes only those.
        self._uses: dict[int, list[tuple[str, str]]] = {key: [] for key in self._bound}
        for entry, options in self._built.items():
            for check, _ in options:
                if check is not None:
                    self._uses[id(check)].append(entry)

    def rebound(self, constants: Mapping[str, float]) -> RelationMachine:
        """This machine with other values of the constants its guards read (a batch's design
        point varying a parameter): the ``transitions`` Machine and the table's order are kept,
        only the guards that read a changed constant are compiled again. The result fires as
        ``RelationMachine(spec, constants)`` would; it has no ``transitions`` path of its own
        (``fire_through_transitions`` is for the machine as built)."""
        # Only the guards whose compiled-in constants change are compiled again (a design point
        # usually moves one threshold of many), and a machine none of whose guards change is
        # this one.
        bindings = dict(self._bindings)
        bound = dict(self._bound)
        changed = []
        for key, written in self._written.items():
            binding = written.binding(constants)
            if binding != bindings[key]:
                bindings[key] = binding
                bound[key] = as_guard(written.bind(constants), self._paths[key])
                changed.append(key)
        if not changed:
            return self
        other = RelationMachine.__new__(RelationMachine)
        other.__dict__.update(self.__dict__)
        other._events = None
        other._bindings, other._bound = bindings, bound
        table = dict(self._table)
        for entry in {entry for key in changed for entry in self._uses[key]}:
            table[entry] = tuple(
                (bound[id(check)] if check is not None else None, dest)
                for check, dest in self._built[entry]
            )
        other._table = table
        return other

    def _dispatch_table(self) -> dict[tuple[str, str], tuple[tuple[Any, str], ...]]:
        """``transitions``' own transitions, read back from the Machine once it is built: per
        (state, trigger), the transitions it would try, in the order it tries them, each as
        (its condition or None, its destination). Firing then walks this table instead of
        ``Event.trigger``, whose bookkeeping (event data, callbacks resolved by name, logging)
        cost most of a run; ``fire_through_transitions`` keeps the original way, which
        ``tests/test_dispatch.py`` holds this one to."""
        table: dict[tuple[str, str], tuple[tuple[Any, str], ...]] = {}
        for trigger, event in self._machine.events.items():
            for source, transitions in event.transitions.items():
                options: list[tuple[Any, str]] = []
                for t in transitions:
                    # Built above with at most one condition, its target True (no "unless").
                    assert len(t.conditions) <= 1, "a transition with more than one guard"
                    assert all(c.target for c in t.conditions), "an 'unless' condition"
                    check = t.conditions[0].func if t.conditions else None
                    options.append((check, str(t.dest)))
                table[(source, trigger)] = tuple(options)
        return table

    @property
    def triggers(self) -> frozenset[str]:
        """Every trigger some transition handles."""
        return self._triggers

    def handles(self, state: str, trigger: str) -> bool:
        """Whether some transition for ``trigger`` leaves ``state`` (guards aside)."""
        return (state, trigger) in self._handled

    def new_model(self, state: str | None = None) -> RelationModel:
        """A fresh relation in ``state`` (default: the machine's initial state)."""
        return RelationModel(state or self.initial)

    def fire(self, model: RelationModel, trigger: str, variables: Mapping[str, float]) -> Outcome:
        """Fire ``trigger`` on ``model``; guards read ``variables``.

        Transitions are tried in declaration order and the first whose guard holds fires, as in
        ``transitions`` itself.
        """
        options = self._table.get((model.state, trigger))
        if options is None:
            return Outcome.NO_TRANSITION
        for check, dest in options:
            if check is None or check(variables):
                model.state = dest
                return Outcome.TRANSITION
        return Outcome.GUARD_FAILED

    def fire_through_transitions(
        self, model: RelationModel, trigger: str, variables: Mapping[str, float]
    ) -> Outcome:
        """:meth:`fire` as ``transitions`` itself does it (``Event.trigger``): the reference
        that the dispatch table is tested against."""
        if self._events is None:
            raise RuntimeError("a rebound machine fires through its table only")
        if (model.state, trigger) not in self._handled:
            # Checked here rather than by ``transitions``, which would log a warning per event.
            return Outcome.NO_TRANSITION
        moved = self._events[trigger].trigger(model, variables)
        return Outcome.TRANSITION if moved else Outcome.GUARD_FAILED
