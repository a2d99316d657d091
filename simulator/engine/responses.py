"""Response rules made ready for the engine: matching events, drawing chances and delays.

Everything random here draws from the run's generator through ``random()`` only, and turns
that uniform number into a delay by the distribution's inverse CDF. ``random()``'s output for
a given seed is the one part of Python's ``random`` module guaranteed never to change across
Python versions, so a seed replays the same on any supported Python.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

from simulator.core.errors import KeyPath
from simulator.core.expressions import EVALUATION_ERRORS, Expression, as_guard, evaluation_error

if TYPE_CHECKING:  # not at run time: a cached scenario is run without pydantic (see cache)
    from simulator.scenario.model import Codes, Delay, EventPattern, RuleSpec, Scenario

_STANDARD_NORMAL = NormalDist()

#: A citation as the trace carries it (``engine.trace.Cited``, which this module may not import):
#: source id, quote, note, and where in a data file its rows or records are.
Cited = tuple[str, str | None, str | None, str | None]


@dataclass(frozen=True, slots=True)
class Happening:
    """An event as the engine applies it: scripted, or scheduled by a rule."""

    id: str
    type: str
    actor: str
    target: tuple[str, ...]
    relation: int
    when: dt.datetime
    t: float
    effects: tuple[tuple[str, float], ...]
    cameo: str | None
    goldstein: float | None
    source: str | None
    quote: str | None
    summary: str
    cause: str
    caused_by: tuple[str, ...]
    # What the trace says of the event besides what the engine does with it (see Record).
    date_basis: str = "reported"
    date_note: str | None = None
    note: str | None = None
    citations: tuple[Cited, ...] = ()
    # Who else acted, the stance, and the Goldstein value as applied here (see Record).
    actors: tuple[str, ...] = ()
    stance: str | None = None
    sides: tuple[str, ...] = ()
    tone: float | None = None
    weis: str | None = None


def effects_for(
    scenario: Scenario, codes: Codes, explicit: Mapping[str, float]
) -> tuple[tuple[str, float], ...]:
    """The change an event makes to each variable.

    An explicit effect wins; otherwise a variable with ``per_goldstein`` set changes by
    ``per_goldstein × goldstein`` (no Goldstein value, no change).
    """
    out: list[tuple[str, float]] = []
    for name, spec in scenario.variables.items():
        if name in explicit:
            out.append((name, explicit[name]))
        elif spec.per_goldstein and codes.goldstein is not None:
            out.append((name, spec.per_goldstein * codes.goldstein))
    return tuple(out)


def sample_delay(delay: Delay, rng: random.Random) -> float:
    """A delay in days drawn from ``delay``'s distribution (one ``rng.random()`` draw, or none
    for a fixed delay): a number of days, or ``math.inf`` for one too long for floating point
    (a wide log-normal's far tail), never NaN."""
    drawn = _draw(delay, rng)
    # A response due at infinity simply never comes within a run; NaN would corrupt SimPy's
    # queue (it compares due times), so it cannot be let through either.
    return math.inf if math.isnan(drawn) else drawn


def _draw(delay: Delay, rng: random.Random) -> float:
    if delay.fixed is not None:
        return delay.fixed
    u = rng.random()
    if delay.uniform is not None:
        low, high = delay.uniform
        return low + (high - low) * u
    if delay.triangular is not None:
        low, mode, high = delay.triangular
        if high == low:
            return low
        split = (mode - low) / (high - low)
        if u < split:
            return low + math.sqrt(u * (high - low) * (mode - low))
        return high - math.sqrt((1.0 - u) * (high - low) * (high - mode))
    if delay.exponential is not None:
        return -delay.exponential * math.log(1.0 - u)
    assert delay.lognormal is not None
    # random() is in [0, 1); inv_cdf needs (0, 1): nudge an exact 0 to the smallest double.
    z = _STANDARD_NORMAL.inv_cdf(u or 5e-324)
    exponent = delay.lognormal.sigma * z
    # exp() overflows past e**709: such a delay is longer than any calendar.
    return delay.lognormal.median * math.exp(exponent) if exponent < 709.0 else math.inf


#: The last moment the calendar can name (``datetime`` ends with the year 9999).
LAST_SECOND = dt.datetime.combine(dt.date.max, dt.time(23, 59, 59))


def due_text(origin: dt.datetime, t: float) -> str:
    """The moment ``t`` days after ``origin`` as ``YYYY-MM-DD HH:MM`` (to the second, as the
    engine's dates are), or, past the calendar, how many days after ``origin`` it is."""
    if t <= (LAST_SECOND - origin).total_seconds() / 86_400.0:
        return f"{origin + dt.timedelta(seconds=round(t * 86_400.0)):%Y-%m-%d %H:%M}"
    if math.isinf(t):
        return "beyond any date: the delay drawn is too long for floating point"
    return f"{t:,.0f} days after the start, past the calendar's last day, 9999-12-31"


@dataclass(frozen=True, slots=True)
class Pattern:
    """An :class:`~simulator.scenario.model.EventPattern` ready to test events against."""

    types: frozenset[str] | None
    actors: frozenset[str] | None
    targets: frozenset[str] | None
    relation: int | None
    states: frozenset[str] | None
    guard: Callable[[Mapping[str, float]], bool] | None

    def matches(
        self, h: Happening, state: str, values: Mapping[str, float], relation: int | None = None
    ) -> bool:
        """Whether ``h`` (on ``relation``, default its own) in ``state`` after it matches."""
        return (
            (self.types is None or h.type in self.types)
            and (
                self.actors is None
                or h.actor in self.actors
                or (bool(h.actors) and not self.actors.isdisjoint(h.actors))
            )
            and (self.targets is None or not self.targets.isdisjoint(h.target))
            and (
                self.relation is None
                or self.relation == (h.relation if relation is None else relation)
            )
            and (self.states is None or state in self.states)
            and (self.guard is None or self.guard(values))
        )


@dataclass(frozen=True, slots=True)
class Rule:
    """A response rule ready for the engine."""

    spec: RuleSpec
    #: Its place in the scenario's ``rules``: where its errors are located.
    index: int
    when: Pattern
    cancel: Pattern | None
    probability: Callable[[Mapping[str, float]], float]
    relation: int | None
    codes: Codes
    effects: tuple[tuple[str, float], ...]
    summary: str
    source: str | None
    quote: str | None
    citations: tuple[Cited, ...] = ()

    @property
    def id(self) -> str:
        return self.spec.id

    def roles(self, trigger: Happening) -> tuple[str, tuple[str, ...]]:
        """The responding actor and its targets, with ``actor``/``target`` resolved."""

        def resolve(role: str) -> str:
            if role == "actor":
                return trigger.actor
            if role == "target":
                return _first_target(trigger)
            return role

        return resolve(self.spec.respond.actor), tuple(resolve(r) for r in self.spec.respond.target)


@dataclass(slots=True)
class Pending:
    """A response waiting out its delay (its SimPy process, to cancel it)."""

    rule: Rule
    id: str
    relation: int
    trigger: Happening
    due: float
    process: Any = None


def _first_target(h: Happening) -> str:
    """Whom a rule's ``target`` means: the act's first target; for a joint act, which has
    none, its last actor; for a third party's act without a target, the first side named."""
    if h.target:
        return h.target[0]
    if h.actors:
        return h.actors[-1]
    return h.sides[0] if h.sides else h.actor


def compile_rules(
    scenario: Scenario,
    index: Mapping[frozenset[str], int],
    previous: tuple[Rule, ...] = (),
    previous_parameters: Mapping[str, float] | None = None,
    constants: Mapping[str, float] | None = None,
) -> tuple[Rule, ...]:
    """The scenario's enabled rules, with parameters compiled into their expressions
    (``constants`` instead of the scenario's ``parameters`` when given: a worker's
    :class:`~simulator.core.expressions.Slots`, read at run time).

    ``previous`` are rules compiled from a variant of this scenario with the same event types
    and relations, and variables whose names and ``per_goldstein`` are the same (what
    ``effects_for`` reads), and ``previous_parameters`` its parameters (a batch's design
    point): of the rule with the same id, what its spec's parts that are the very same objects
    made — the patterns, the chance, the response — is kept where the expressions in them read
    the same constants, and the rest compiled again.
    """
    kept = {r.spec.id: r for r in previous} if previous_parameters is not None else {}
    rules = []
    for i, spec in enumerate(scenario.rules):
        if not spec.enabled:
            continue
        old = kept.get(spec.id)
        # A rule kept from a variant must sit at the same place: its errors name its index.
        if old is not None and old.index == i and previous_parameters is not None:
            rules.append(_recompiled(old, spec, scenario, index, previous_parameters))
        else:
            rules.append(_compiled(spec, scenario, index, i, constants))
    return tuple(rules)


#: The rules an event of each type can match, in rule order.
RulesByType = dict[str, tuple[Rule, ...]]


def rules_by_type(
    rules: tuple[Rule, ...],
    event_types: Iterable[str],
    was: tuple[tuple[Rule, ...], RulesByType, tuple[tuple[str, ...], ...]] | None = None,
) -> tuple[RulesByType, tuple[tuple[str, ...], ...]]:
    """The rules an event of each type can match, in rule order (a rule with no type in its
    ``when`` can match any: the others would be tested on every event for nothing), and for
    each rule, by its place, the types whose list has it.

    ``was``: the same of a variant with the same event types (its rules, and these two): where
    its rules are these, or these with some compiled again in their place (a design point
    moving a chance), only the types whose rules changed are listed again.
    """
    if was and rules is was[0]:
        return was[1], was[2]
    if was and _aligned(rules, was[0]):
        by_type, kinds_of = dict(was[1]), was[2]
        for i, (rule, old) in enumerate(zip(rules, was[0], strict=True)):
            if rule is not old:
                for kind in kinds_of[i]:
                    by_type[kind] = tuple(rule if r is old else r for r in by_type[kind])
        return by_type, kinds_of
    by_type = {
        kind: tuple(r for r in rules if r.when.types is None or kind in r.when.types)
        for kind in event_types
    }
    kinds_of = tuple(
        tuple(kind for kind, listed in by_type.items() if any(x is r for x in listed))
        for r in rules
    )
    return by_type, kinds_of


def _aligned(rules: tuple[Rule, ...], was: tuple[Rule, ...]) -> bool:
    """Whether each rule sits where ``was`` has one of the same id matching the same types."""
    return len(rules) == len(was) and all(
        r is w or (r.spec.id == w.spec.id and (r.when is w.when or r.when.types == w.when.types))
        for r, w in zip(rules, was, strict=True)
    )


def _compiled(
    spec: RuleSpec,
    scenario: Scenario,
    index: Mapping[frozenset[str], int],
    i: int,
    constants: Mapping[str, float] | None = None,
) -> Rule:
    params = scenario.parameters if constants is None else constants
    respond = spec.respond
    base = scenario.event_types[respond.type].codes
    codes = base.merged(respond.codes)
    citation = spec.source[0] if spec.source else None
    return Rule(
        spec=spec,
        index=i,
        when=_pattern(spec.when, index, params, ("rules", i, "when", "guard")),
        cancel=(
            _pattern(spec.cancel_on, index, params, ("rules", i, "cancel_on", "guard"))
            if spec.cancel_on
            else None
        ),
        probability=_chance(spec.probability, params, ("rules", i, "probability")),
        relation=index[frozenset(respond.relation)] if respond.relation else None,
        codes=codes,
        effects=effects_for(scenario, codes, respond.effects),
        summary=respond.summary or f"{respond.type} (response rule {spec.id})",
        source=citation.ref if citation else None,
        quote=citation.quote if citation else None,
        citations=tuple(scenario.cited(c) for c in spec.source or ()),
    )


def _recompiled(
    old: Rule,
    spec: RuleSpec,
    scenario: Scenario,
    index: Mapping[frozenset[str], int],
    old_params: Mapping[str, float],
) -> Rule:
    """``spec`` compiled, reusing what ``old`` (the same rule in a variant) made from the very
    same parts of its spec, when the expressions there read the same constants."""
    params, was, i = scenario.parameters, old.spec, old.index

    def unchanged(e: object) -> bool:
        return not isinstance(e, Expression) or e.binding(old_params) == e.binding(params)

    if was is spec and all(unchanged(e) for e in _expressions(spec)):
        return old
    if was.respond is not spec.respond or was.source is not spec.source:
        return _compiled(spec, scenario, index, i)
    when = (
        old.when
        if spec.when is was.when and unchanged(spec.when.guard)
        else _pattern(spec.when, index, params, ("rules", i, "when", "guard"))
    )
    if spec.cancel_on is None:
        cancel = None
    elif spec.cancel_on is was.cancel_on and unchanged(spec.cancel_on.guard):
        cancel = old.cancel
    else:
        cancel = _pattern(spec.cancel_on, index, params, ("rules", i, "cancel_on", "guard"))
    same_chance = (
        spec.probability is was.probability
        if isinstance(spec.probability, Expression)
        else type(spec.probability) is type(was.probability) and spec.probability == was.probability
    )
    chance = (
        old.probability
        if same_chance and unchanged(spec.probability)
        else _chance(spec.probability, params, ("rules", i, "probability"))
    )
    return Rule(
        spec=spec,
        index=i,
        when=when,
        cancel=cancel,
        probability=chance,
        relation=old.relation,
        codes=old.codes,
        effects=old.effects,
        summary=old.summary,
        source=old.source,
        quote=old.quote,
        citations=old.citations,
    )


def _expressions(spec: RuleSpec) -> list[Expression]:
    """The expressions of a rule, whose constants compile_rules compiles in."""
    found = [p.guard for p in (spec.when, spec.cancel_on) if p is not None and p.guard is not None]
    if isinstance(spec.probability, Expression):
        found.append(spec.probability)
    return found


def _pattern(
    p: EventPattern,
    index: Mapping[frozenset[str], int],
    params: Mapping[str, float],
    key_path: KeyPath,
) -> Pattern:
    return Pattern(
        types=frozenset(p.type) if p.type else None,
        actors=frozenset(p.actor) if p.actor else None,
        targets=frozenset(p.target) if p.target else None,
        relation=index[frozenset(p.relation)] if p.relation else None,
        states=frozenset(p.state) if p.state else None,
        guard=as_guard(p.guard.bind(params), key_path) if p.guard is not None else None,
    )


def _chance(
    probability: float | Expression, params: Mapping[str, float], key_path: KeyPath
) -> Callable[[Mapping[str, float]], float]:
    if isinstance(probability, Expression):
        expr = probability.bind(params)

        # Expressions are clamped to [0, 1], so a sweep may push "0.2 + tension" past 1.
        def chance(values: Mapping[str, float]) -> float:
            try:
                p = float(expr(values))
            except EVALUATION_ERRORS as err:
                raise evaluation_error("probability", expr, values, err, key_path) from None
            if math.isnan(p):  # NaN (inf - inf, 0 * inf): no chance can be read from it
                nan = ValueError("the result is not a number (NaN)")
                raise evaluation_error("probability", expr, values, nan, key_path)
            return min(1.0, max(0.0, p))

        return chance
    fixed = float(probability)
    return lambda _values: fixed
