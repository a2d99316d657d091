"""Static analysis of a scenario: what its machine and rules can and cannot do, without a run.

``analyse`` looks at a validated scenario and returns located :class:`Finding` s — things that
are legal but probably not what the author meant. Their codes, by severity:

- warning: ``unreachable-state``, ``dead-end-state`` (reachable, not ``final``, no way out),
  ``unhandled-trigger`` (an event or rule response no transition takes, which moves no variable
  and matches no rule either: it is only recorded), ``unsatisfiable-guard``,
  ``nondeterministic-transitions`` (same trigger, shared source, guards that can hold at once;
  or a transition shadowed by an earlier one), ``unbounded-cascade``, ``rule-never-matches``;
- warning, for a what-if checked against its base: ``premise-gone`` (a scripted event that may
  fire a transition in the base can fire none here: what it rested on was removed, so it is
  only recorded, e.g. a return of ambassadors to a relation that never recalled them);
- info: ``final-state-has-exits``, ``unhandled-trigger`` (the event still moves a variable or
  matches a rule — the replay's appeals and calls are written so), ``unfired-trigger`` (a
  transition no event or rule can fire), ``always-true-guard``, ``nondeterministic-transitions``
  (an unguarded transition after a guarded one: the "otherwise" branch), ``unused-event-type``.

What is decided, and what is approximated (always in the direction of saying less):

- **Reachability** follows transitions from the machine's and the relations' initial states and
  ignores guards, so a state reported unreachable is unreachable in every run; a state reported
  reachable may still never be entered (its only way in may have a guard that never holds).
- **Guards** are read by :mod:`simulator.check.intervals` as sets of values of the variables within
  their declared ``[min, max]``: comparisons (chained too) of a linear expression of *one*
  variable with constants or parameters, ``and``/``or``/``not`` and ``a if c else b`` are
  decided; anything else (two variables in one comparison, ``min``, ``abs`` of a variable, ...)
  counts as "may or may not hold". A guard is reported unsatisfiable only when it surely holds
  nowhere, always true only when it surely holds everywhere within the bounds (boundaries that
  had to be computed are widened so that rounding cannot produce a wrong finding).
- **Competing transitions** (same trigger, overlapping sources) are reported when both guards
  can, or may, hold for the same values (an undecided guard may hold anywhere); the engine then
  fires the first declared. A later one is reported shadowed entirely only when the earlier
  one's guard surely holds wherever the later one's may.
- **Triggers and rules**: the event types a run can produce are the scripted events' types and,
  to a fixed point, the response types of rules whose ``when.type`` can match them. Actors,
  targets, relations and states of patterns are ignored there (over-approximated).
- **Premises**: which states a relation may be in when a scripted event comes is followed event
  by event in time order, from the relations' initial states: a transition whose guard may hold
  may fire (a guarded one may also not), and rule responses, which can come at any time, may
  fire their transitions anywhere in between (actors, relations, chances and delays ignored).
  An event is said to fire nothing only when none of those states has a transition for it, so
  ``premise-gone`` is reported only where the what-if surely took the premise away and the base
  may have had it.
- **Cascades**: rule R may set off rule R' when R's response can match R''s ``when`` by type,
  and by actor, target and relation as far as the patterns fix them (a role ``target`` is
  resolved to ``when.target`` only if no event with several targets can match ``when``; ``state``
  and guards are ignored). A cycle of such rules none of which has ``max_fires`` is reported:
  only ``max_responses`` stops it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import NamedTuple

from simulator.check.analysis_base import (
    Context,
    Finding,
    Raw,
    Severity,
    describe,
    may_match_type,
    quote_names,
)
from simulator.check.analysis_rules import cascade_findings, rule_findings
from simulator.check.intervals import may_overlap, surely_overlap
from simulator.core.errors import KeyPath, Location
from simulator.core.expressions import Expression
from simulator.scenario.model import Codes, Scenario, TransitionSpec


def analyse(
    scenario: Scenario,
    locate: Callable[[KeyPath], Location],
    base: Scenario | None = None,
) -> list[Finding]:
    """All findings, sorted by (location line, column), then code.

    Args:
        scenario: A validated scenario.
        locate: Turns a key path (``("machine", "states", 3)``) into where it is written.
        base: For a what-if, the scenario it extends: events whose premise the what-if removed
            are then reported (``premise-gone``).
    """
    ctx = Context(scenario)
    raw = [
        *_state_findings(ctx),
        *_trigger_findings(ctx),
        *_guard_findings(ctx),
        *_overlap_findings(ctx),
        *rule_findings(ctx),
        *cascade_findings(ctx),
        *(_premise_findings(ctx, Context(base)) if base is not None else ()),
    ]
    found = [Finding(r.severity, r.code, locate(r.path), r.path, r.message) for r in raw]
    # A stable sort: findings at one place keep the order they were made in (file order).
    return sorted(found, key=lambda f: (f.location.line or 0, f.location.column or 0, f.code))


# --- States -----------------------------------------------------------------------------------


def _state_findings(ctx: Context) -> Iterator[Raw]:
    machine = ctx.s.machine
    starts = [machine.initial, *(r.initial for r in ctx.s.relations if r.initial)]
    starts = sorted(set(starts), key=ctx.states.index)
    reachable = _reachable(ctx, starts)
    exits = {
        name: [
            (i, t)
            for i, t in enumerate(machine.transitions)
            if name in ctx.sources(t) and t.dest != name
        ]
        for name in ctx.states
    }
    origin = (
        f"the initial state {starts[0]!r}"
        if len(starts) == 1
        else f"the initial states {quote_names(starts)}"
    )
    for i, state in enumerate(machine.states):
        at: KeyPath = ("machine", "states", i)
        if state.name not in reachable:
            yield Raw(
                "warning",
                "unreachable-state",
                at,
                f"state {state.name!r} cannot be reached: no chain of transitions leads to it "
                f"from {origin}, so no relation is ever in it; add a transition into it or "
                "remove it",
            )
        elif not state.final and not exits[state.name] and len(ctx.states) > 1:
            # (A one-state machine has nowhere to go: a dead end there says nothing.)
            yield Raw(
                "warning",
                "dead-end-state",
                at,
                f"state {state.name!r} is a dead end: no transition leads out of it, so a "
                "relation that enters it stays there; add a way out, or mark it 'final: true' "
                "if that is intended",
            )
        if state.final and exits[state.name]:
            leaving = [describe(j, t) for j, t in exits[state.name]]
            yield Raw(
                "info",
                "final-state-has-exits",
                at,
                f"state {state.name!r} is marked final, yet {', '.join(leaving[:3])}"
                f"{' and more' if len(leaving) > 3 else ''} lead(s) out of it: the engine does "
                "not stop at final states",
            )


def _reachable(ctx: Context, starts: Sequence[str]) -> set[str]:
    # Guards are ignored: a state unreachable here is unreachable whatever the variables do.
    successors: dict[str, set[str]] = {}
    for t in ctx.s.machine.transitions:
        for source in ctx.sources(t):
            successors.setdefault(source, set()).add(t.dest)
    seen = set(starts)
    todo = list(starts)
    while todo:
        for nxt in successors.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


# --- Premises a what-if took away -------------------------------------------------------------


class _Found(NamedTuple):
    """What a relation may be in when a scripted event comes, and whether it may move it."""

    relation: str
    states: frozenset[str]
    may_fire: bool


def _may_fire(ctx: Context) -> dict[str, _Found]:
    """For each scripted event (by id): the states its relation may be in when it comes, and
    whether one of them has a transition for it whose guard may hold. Over-approximated (see the
    module's notes), so ``may_fire`` false means no run fires anything with the event."""
    s = ctx.s
    # A transition whose guard surely never holds fires in no run: left out.
    live = [t for t in s.machine.transitions if not ctx.guards.never(ctx.approx(t.guard))]
    by_rules = {r.respond.type for _, r in ctx.active}
    initial = {frozenset(r.pair): r.initial or s.machine.initial for r in s.relations}
    possible = {key: frozenset({state}) for key, state in initial.items()}
    # Reported under the name the scenario declares (an event may name the pair either way).
    names = {frozenset(r.pair): r.id for r in s.relations}
    found: dict[str, _Found] = {}
    # The engine plays scripted events in time order, ties in file order.
    for _, e in sorted(enumerate(s.events), key=lambda ie: (ie[1].when, ie[0])):
        # An act reaching several relations (a third party's, a bloc's) is found on the first
        # it reaches, and fires if it may fire on any.
        for reach in s.reach(e):
            key = frozenset(reach.pair)
            if key not in possible:
                continue
            here = _closed(ctx, possible[key], live, by_rules)
            after: set[str] = set()
            fires = False
            for state in here:
                taking = [t for t in live if t.trigger == e.type and state in ctx.sources(t)]
                fires = fires or bool(taking)
                after.update(t.dest for t in taking)
                # The state stays if every transition that could take it is guarded.
                if all(t.guard is not None for t in taking):
                    after.add(state)
            first = found.get(e.id)
            found[e.id] = (
                _Found(names[key], here, fires)
                if first is None
                else _Found(first.relation, first.states, first.may_fire or fires)
            )
            possible[key] = frozenset(after)
    return found


def _closed(
    ctx: Context, states: frozenset[str], live: Sequence[TransitionSpec], triggers: set[str]
) -> frozenset[str]:
    """``states`` and what rule responses (``triggers``) may move them to, at any time."""
    seen = set(states)
    todo = list(states)
    while todo:
        here = todo.pop()
        for t in live:
            if t.trigger in triggers and here in ctx.sources(t) and t.dest not in seen:
                seen.add(t.dest)
                todo.append(t.dest)
    return frozenset(seen)


def premise_findings(
    scenario: Scenario, base: Scenario, locate: Callable[[KeyPath], Location]
) -> list[Finding]:
    """The ``premise-gone`` warnings of ``scenario`` against ``base`` alone (for ``dipsim
    diff``, which compares two files without checking them), in file order."""
    raw = _premise_findings(Context(scenario), Context(base))
    return [Finding(r.severity, r.code, locate(r.path), r.path, r.message) for r in raw]


def _premise_findings(ctx: Context, base: Context) -> Iterator[Raw]:
    """Events the base may let fire a transition and this what-if surely does not.

    A what-if that removes an event and keeps (or never removes) what rested on it leaves a
    husk: the return of ambassadors nobody recalled is recorded and moves nothing. It is
    legal, and sometimes meant; it is worth a warning, since the causes rule cannot see a
    premise that no ``caused_by`` names."""
    here, before = _may_fire(ctx), _may_fire(base)
    present = {e.id for e in ctx.s.events}
    removed = [e for e in base.s.events if e.id not in present]
    causes = {e.id: e.caused_by for e in base.s.events}
    for i, e in enumerate(ctx.s.events):
        now, then = here.get(e.id), before.get(e.id)
        # Only a removal takes a premise away: a what-if that moves events (return-delayed.yaml)
        # means the new order, and its events meeting other states is its point.
        earlier = [r.id for r in removed if r.when <= e.when]
        if now is None or then is None or now.may_fire or not then.may_fire or not earlier:
            continue
        gone = [c for c in causes.get(e.id, ()) if c not in present]
        why = (
            f"its cause {quote_names(gone)} was removed"
            if len(gone) == 1
            else f"its causes {quote_names(gone)} were removed"
            if gone
            else f"{quote_names(earlier)} {_was(earlier)} removed before it"
        )
        yield Raw(
            "warning",
            "premise-gone",
            ("events", i),
            f"event {e.id!r} ({e.type}) fires a transition in the base but none here: "
            f"{now.relation} can only be {quote_names(sorted(now.states, key=ctx.states.index))} "
            f"when it comes, and {why}; remove it too, keep what it rests on, or say why in a "
            "note",
        )


# --- Triggers ---------------------------------------------------------------------------------


def _trigger_findings(ctx: Context) -> Iterator[Raw]:
    s = ctx.s
    for i, e in enumerate(s.events):
        if e.type not in ctx.handled:
            subject = f"event {e.id!r} is"
            yield _unhandled(
                ctx, ("events", i, "type"), subject, e.type, e.codes, e.effects, scripted=True
            )
    for i, r in ctx.active:
        if r.respond.type not in ctx.handled:
            path: KeyPath = ("rules", i, "respond", "type")
            subject = f"the responses of rule {r.id!r} are"
            respond = r.respond
            yield _unhandled(ctx, path, subject, respond.type, respond.codes, respond.effects)
    for i, t in enumerate(s.machine.transitions):
        if t.trigger not in ctx.produced:
            yield Raw(
                "info",
                "unfired-trigger",
                ("machine", "transitions", i),
                f"{describe(i, t)} never fires: no event has type {t.trigger!r} and no rule "
                "that can fire responds with it",
            )


def _unhandled(
    ctx: Context,
    path: KeyPath,
    subject: str,
    trigger: str,
    codes: Codes | None,
    explicit: Mapping[str, float],
    *,
    scripted: bool = False,
) -> Raw:
    """An event type no transition takes. Worth a warning only when a rule's response does
    nothing else either: a type without transitions that moves a variable or sets off a rule is
    a documented way of writing scenarios (jan2024.yaml's appeals and calls), and a scripted
    event that does nothing at all still records what happened (jan2024.yaml's statement that
    the dead were not Iranian) — a note, not a warning. A rule that schedules an inert response,
    though, is almost surely a mistake."""
    base = ctx.s.event_types[trigger].codes if trigger in ctx.s.event_types else Codes()
    moved = _moved(ctx.s, base.merged(codes), explicit)
    rules = [
        r.id
        for _, r in ctx.live
        if may_match_type(r.when, {trigger})
        or (r.cancel_on is not None and may_match_type(r.cancel_on, {trigger}))
    ]
    does = [f"moving {quote_names(moved)}"] if moved else []
    does += [f"matching rule {quote_names(rules, 2)}"] if rules else []
    if does:
        return Raw(
            "info",
            "unhandled-trigger",
            path,
            f"no transition takes trigger {trigger!r}, so {subject} always recorded as "
            f"no_transition (still {' and '.join(does)})",
        )
    return Raw(
        "info" if scripted else "warning",
        "unhandled-trigger",
        path,
        f"{subject} only recorded: no transition takes trigger {trigger!r}, no variable moves "
        "and no rule matches"
        + ("" if scripted else "; add a transition, effects or codes, or drop the rule"),
    )


def _moved(s: Scenario, codes: Codes, explicit: Mapping[str, float]) -> list[str]:
    """The variables an event changes (as ``responses.effects_for`` computes it)."""
    moved = []
    for name, spec in s.variables.items():
        if name in explicit:
            change = explicit[name]
        else:
            change = spec.per_goldstein * (codes.goldstein or 0.0)
        if change != 0.0:
            moved.append(name)
    return moved


# --- Guards -----------------------------------------------------------------------------------


def _guard_findings(ctx: Context) -> Iterator[Raw]:
    for i, t in enumerate(ctx.s.machine.transitions):
        at: KeyPath = ("machine", "transitions", i, "guard")
        yield from _judge(ctx, at, t.guard, f"{describe(i, t)} never fires")
    for i, r in enumerate(ctx.s.rules):
        yield from _judge(
            ctx, ("rules", i, "when", "guard"), r.when.guard, f"rule {r.id!r} never fires"
        )
        if r.cancel_on is not None:
            yield from _judge(
                ctx,
                ("rules", i, "cancel_on", "guard"),
                r.cancel_on.guard,
                f"rule {r.id!r}'s cancel_on never cancels anything",
            )


def _judge(ctx: Context, at: KeyPath, guard: Expression | None, effect: str) -> Iterator[Raw]:
    if guard is None:
        return
    a = ctx.approx(guard)
    if ctx.guards.never(a):
        yield Raw(
            "warning",
            "unsatisfiable-guard",
            at,
            f"guard {guard.text!r} can never hold {_given(ctx, guard)}: {effect}; correct the "
            "guard or the bounds",
        )
    elif ctx.guards.always(a):
        yield Raw(
            "info",
            "always-true-guard",
            at,
            f"guard {guard.text!r} always holds {_given(ctx, guard)}, so it decides nothing; "
            "drop it or correct it",
        )


def _given(ctx: Context, guard: Expression) -> str:
    facts = [
        f"{name} in [{spec.min:g}, {spec.max:g}]"
        for name, spec in ctx.s.variables.items()
        if name in guard.names
    ]
    facts += [f"{name} = {v:g}" for name, v in ctx.s.parameters.items() if name in guard.names]
    return f"given {', '.join(facts)}" if facts else "whatever the variables' values"


# --- Competing transitions --------------------------------------------------------------------


def _overlap_findings(ctx: Context) -> Iterator[Raw]:
    transitions = ctx.s.machine.transitions
    for j, later in enumerate(transitions):
        for i, earlier in enumerate(transitions[:j]):
            if earlier.trigger != later.trigger:
                continue
            shared = [s for s in ctx.sources(earlier) if s in ctx.sources(later)]
            if shared:
                yield from _compete(ctx, (i, earlier), (j, later), shared)


def _compete(
    ctx: Context,
    first: tuple[int, TransitionSpec],
    second: tuple[int, TransitionSpec],
    shared: Sequence[str],
) -> Iterator[Raw]:
    (i, t1), (j, t2) = first, second
    g1, g2 = ctx.approx(t1.guard), ctx.approx(t2.guard)
    if not may_overlap(g1, g2):
        return  # the guards exclude each other
    at: KeyPath = ("machine", "transitions", j)
    where = f"from {quote_names(shared)}"
    order = "transitions are tried in the order declared and the first whose guard holds fires"
    if ctx.guards.covers(g1, g2):
        yield Raw(
            "warning",
            "nondeterministic-transitions",
            at,
            f"{describe(j, t2)} can never fire {where}: {describe(i, t1)} takes the same "
            f"trigger and its guard holds whenever this one's does ({order}); remove one, or "
            "make their guards exclusive",
        )
    elif t1.guard is not None and t2.guard is None:
        yield Raw(
            "info",
            "nondeterministic-transitions",
            at,
            f"{describe(j, t2)} is the fallback of {describe(i, t1)} {where}: it fires only "
            f"when {t1.guard.text!r} does not hold ({order})",
        )
    else:
        can = "can" if surely_overlap(g1, g2) else "may"
        yield Raw(
            "warning",
            "nondeterministic-transitions",
            at,
            f"{describe(j, t2)} and {describe(i, t1)} both take trigger {t1.trigger!r} "
            f"{where}, and their guards {can} hold at once: then transitions[{i}] fires "
            f"({order}); make the guards exclusive, or check the order is the one you mean",
        )


def _was(items: Sequence[str]) -> str:
    return "was" if len(items) == 1 else "were"


__all__ = ["Finding", "Severity", "analyse", "premise_findings"]
