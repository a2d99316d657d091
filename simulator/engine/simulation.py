"""The engine: plays a scenario forward in simulated days with SimPy and records a trace.

This is the only module that imports ``simpy``. The SimPy clock counts days since the
scenario's ``start`` (midnight). A :class:`Simulator` prepares everything that does not
change between runs once — the shared machine, events sorted into time order with their
variable effects worked out, rules compiled — so that a run only replays them.

Order of events: by time; an event without a time of day is at 00:00 of its date; scripted
events at the same time keep the order in which the file lists them. A rule's response is a
SimPy process waiting out its delay; responses due at the same moment as scripted events come
after them, in the order they were scheduled.

Each event, on its relation: (1) variables decay from the relation's last event to now,
(2) the event's effects are added and clamped to each variable's bounds, (3) the event's type
fires as a trigger, whose guards read the variables after (2), (4) a record is written,
(5) pending responses on the relation whose rule's ``cancel_on`` matches are cancelled, and
(6) every rule whose ``when`` matches draws once from the run's generator and, if the draw is
below its probability, schedules its response after a delay drawn from its distribution.
"""

from __future__ import annotations

import datetime as dt
import os
import random
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import simpy

from simulator.core.errors import ExpressionError, SimulationError
from simulator.engine.dates import Draws, date_note, drawn_steps, scripted_steps
from simulator.engine.decays import decaying_by_state, dynamics, variable_decay
from simulator.engine.machine import Outcome, RelationMachine, RelationModel
from simulator.engine.responses import (
    LAST_SECOND,
    Happening,
    Pending,
    Rule,
    RulesByType,
    compile_rules,
    due_text,
    effects_for,
    rules_by_type,
    sample_delay,
)
from simulator.engine.scenarios import DAY_SECONDS, as_scenario, days_since, event_effects
from simulator.engine.summary import outline_counts
from simulator.engine.trace import (
    LogEntry,
    Outline,
    Record,
    RelationEnd,
    Trace,
    TrackStep,
    decayed,
)
from simulator.engine.tracks import fire_tracks, moved, on_tracks, track_machines

if TYPE_CHECKING:  # not at run time: a cached scenario is run without pydantic (see cache)
    from simulator.scenario.model import EventSpec, Reach, Scenario, VariableSpec

#: The fields of a scenario that each part a Simulator prepares is made from (see ``derive``).
_MACHINE_FROM = ("machine", "parameters")
_RULES_FROM = ("rules", "parameters", "event_types", "variables", "relations", "sources")
# actors: blocs; sources: the files a citation of rows names
_STEPS_FROM = ("events", "event_types", "relations", "start", "actors", "sources")
_FIELDS = frozenset((*_MACHINE_FROM, *_RULES_FROM, *_STEPS_FROM, "tracks"))


def _moves(scenario: Scenario) -> tuple[tuple[str, float | None], ...]:
    """What the scripted steps read of the variables: their names and ``per_goldstein`` (see
    ``effects_for``), so that a variant that only changes, say, a decay keeps its steps."""
    return tuple((name, spec.per_goldstein) for name, spec in scenario.variables.items())


class Simulator:
    """A scenario prepared for running, any number of times.

    Build one per scenario (per worker, in a batch) and call :meth:`run` per seed.
    """

    scenario: Scenario
    _draws: Draws | None  # what a run that draws its uncertain dates needs (engine.dates)
    _rules_for: RulesByType  # see rules_by_type, with _kinds_of
    _kinds_of: tuple[tuple[str, ...], ...]
    _script_counts: dict[int, dict[str, int]]  # see outline_counts

    def __init__(self, scenario: Scenario | str | os.PathLike[str]) -> None:
        self._prepare(as_scenario(scenario), None)

    def derive(self, scenario: Scenario) -> Simulator:
        """The Simulator of ``scenario``, a variant of this one's (a batch's design point).

        What this one built from parts of its scenario — the machine, the compiled rules, the
        scripted steps — is kept where the variant's parts are the very same objects (as
        :func:`~simulator.scenario.assign.assign_values` leaves what it does not change), and
        built anew otherwise: the result runs exactly as ``Simulator(scenario)`` does.
        """
        derived = Simulator.__new__(Simulator)
        derived._prepare(scenario, self)
        return derived

    def _prepare(self, scenario: Scenario, like: Simulator | None) -> None:
        if like is None:
            kept: frozenset[str] = frozenset()
        else:
            base, new = like.scenario.__dict__, scenario.__dict__  # pydantic keeps fields there
            kept = frozenset([f for f in _FIELDS if new[f] is base[f]])

        def same(*fields: str) -> bool:
            return kept.issuperset(fields)

        # What the steps' and the rules' effects read of the variables (see ``_moves``).
        moves = like is not None and (
            same("variables") or _moves(scenario) == _moves(like.scenario)
        )

        self.scenario = scenario
        self.machine: RelationMachine
        if like is not None and same(*_MACHINE_FROM):
            self.machine = like.machine
        elif like is not None and same("machine"):  # other parameters: the same machine, rebound
            self.machine = like.machine.rebound(scenario.parameters)
        else:
            self.machine = RelationMachine(scenario.machine, scenario.parameters)
        # The parallel tracks, one machine each (none: the diplomatic machine's path alone).
        self.tracks: tuple[tuple[str, RelationMachine], ...] = track_machines(
            scenario, like.tracks if like is not None and same("tracks") else None
        )
        # Each part below is built anew unless the scenario's fields it is made from are the
        # very objects ``like`` made it from (mypy reads a type from the first assignment).
        if like is None or not same("relations"):
            self.relation_ids = tuple(r.id for r in scenario.relations)
            self.relation_pairs = tuple(frozenset(r.pair) for r in scenario.relations)
            self._index = {pair: i for i, pair in enumerate(self.relation_pairs)}
        else:
            self.relation_ids, self.relation_pairs = like.relation_ids, like.relation_pairs
            self._index = like._index
        self._origin = dt.datetime.combine(scenario.start, dt.time())
        self._last_t = days_since(scenario.start, LAST_SECOND)
        if like is None or not same("variables"):
            self._variables: tuple[tuple[str, VariableSpec], ...] = tuple(
                scenario.variables.items()
            )
            self._bounds = {name: (spec.min, spec.max) for name, spec in self._variables}
            # The variables that decay, with their resting value and the share kept per day.
            self._decaying = tuple((name, *d) for name, d in variable_decay(scenario).items())
        else:
            self._variables = like._variables
            self._bounds, self._decaying = like._bounds, like._decaying
        # Per diplomatic state, when some variable decays by state; else None (``_decaying``).
        self._decaying_in = decaying_by_state(scenario)
        if like is None or not same("relations", "variables", "machine"):
            self._initial_states = tuple(scenario.initial_state(r) for r in scenario.relations)
            self._initial_values = tuple(scenario.initial_values(r) for r in scenario.relations)
        else:
            self._initial_states, self._initial_values = like._initial_states, like._initial_values
        if like is not None and same(*_RULES_FROM):
            self.rules: tuple[Rule, ...] = like.rules
        elif like is not None and moves and same("event_types", "relations"):
            # Rules or parameters changed: only the rules they touch are compiled again.
            old = like.scenario.parameters
            self.rules = compile_rules(scenario, self._index, like.rules, old)
        else:
            self.rules = compile_rules(scenario, self._index)
        prev = like if same("event_types") else None
        was = (prev.rules, prev._rules_for, prev._kinds_of) if prev is not None else None
        self._rules_for, self._kinds_of = rules_by_type(self.rules, scenario.event_types, was)
        self._prepare_steps(scenario, like if moves and same(*_STEPS_FROM) else None)

    def _prepare_steps(self, scenario: Scenario, like: Simulator | None) -> None:
        """The scripted steps: ``like``'s (a variant whose steps are the same), or made."""
        if like is not None:
            self._steps: tuple[Happening, ...] = like._steps
            self._draws, self._script_counts = like._draws, like._script_counts
        else:  # sorted in time (file order at equal times), and what a run that draws needs
            events = scenario.events
            self._steps, self._draws = scripted_steps(events, [self._scripted(e) for e in events])
            self._script_counts = {}

    def _scripted(self, e: EventSpec) -> list[Happening]:
        """An event as the engine applies it: once on each relation it reaches, one after
        the other at its moment, with the Goldstein value it has on each (its tone)."""
        reached = self.scenario.reach(e)
        if not reached or any(frozenset(r.pair) not in self._index for r in reached):
            raise ValueError(f"event {e.id!r} has no declared relation; validate first")
        return [self._on(e, r) for r in reached]

    def _on(self, e: EventSpec, reach: Reach) -> Happening:
        codes = self.scenario.codes_of(e)
        applied = reach.goldstein(codes.goldstein)
        tone = None if applied == codes.goldstein else applied
        moving = codes if tone is None else codes.with_goldstein(applied)
        citation = e.source[0]
        return Happening(
            id=e.id,
            type=e.type,
            actor=e.actor[0],
            target=e.target,
            relation=self._index[frozenset(reach.pair)],
            when=e.when,
            t=days_since(self.scenario.start, e.when),
            effects=effects_for(self.scenario, moving, e.effects),
            cameo=codes.cameo,
            weis=codes.weis,
            goldstein=codes.goldstein,
            source=citation.ref,
            quote=citation.quote,
            summary=e.summary,
            cause="script",
            caused_by=e.caused_by,
            date_basis=e.date_basis,
            date_note=date_note(e),
            note=e.note or None,
            citations=tuple(self.scenario.cited(c) for c in e.source),
            actors=e.actor if len(e.actor) > 1 else (),
            stance=e.stance,
            sides=e.sides,
            tone=tone,
        )

    def when(self, t: float) -> dt.datetime:
        """The calendar moment of simulated time ``t``, to the second; at most the calendar's
        last second (only the stop of a run ending on 9999-12-31 lies past it)."""
        seconds = round(min(t, self._last_t) * DAY_SECONDS)
        return min(self._origin + dt.timedelta(seconds=seconds), LAST_SECOND)

    def due_text(self, t: float) -> str:
        """When a response is due, for the log: ``YYYY-MM-DD HH:MM``, or, for a delay that
        lands past the calendar's last day (31 December 9999), how far it is. Such a response
        never comes within a run (a run ends by ``end``); it stays pending and is logged so."""
        return due_text(self._origin, t)

    def run(self, seed: int = 0, until: dt.date | None = None, draw_dates: bool = False) -> Trace:
        """Run once.

        Args:
            seed: Seeds the run's own random generator; recorded in the trace.
            until: Stop at the end of this day (default: the scenario's ``end``).
            draw_dates: Draw each uncertain date's day (:mod:`simulator.engine.dates`).
        """
        stop, horizon, run = self._play(seed, until, outline=False, draw_dates=draw_dates)
        return Trace(
            title=self.scenario.title,
            seed=seed,
            start=self.scenario.start,
            stop=stop,
            records=tuple(run.records),
            final=self._final(run),
            variables=tuple(name for name, _ in self._variables),
            log=run.closing_log(max(horizon, 0.0)),
            tracks=tuple(name for name, _ in self.tracks),
        )

    def outline(
        self, seed: int = 0, until: dt.date | None = None, draw_dates: bool = False
    ) -> Outline:
        """Run once, as :meth:`run` does, keeping only what a row of metrics needs: the state
        changes, the counts of records by type and cause, the final states and the log. No
        record is made (nor its variables rounded): about a third of a run's cost."""
        stop, horizon, run = self._play(seed, until, outline=True, draw_dates=draw_dates)
        return Outline(
            seed=seed,
            start=self.scenario.start,
            stop=stop,
            final=self._final(run),
            moves=tuple(run.moves),
            # The script's records by type come from how many steps the run played, counted
            # once per prefix and kept (a Simulator's steps are fixed).
            **outline_counts(run.steps, run.steps_done, run.counts, run.responses),
            log=run.closing_log(max(horizon, 0.0)),
            track_moves=tuple(run.track_moves),
        )

    def _play(
        self, seed: int, until: dt.date | None, outline: bool, draw_dates: bool = False
    ) -> tuple[dt.date, float, _Run]:
        stop = self.scenario.end if until is None else min(until, self.scenario.end)
        horizon = float((stop - self.scenario.start).days + 1)
        env = simpy.Environment()
        run = _Run(self, env, random.Random(seed), outline)
        if draw_dates and self._draws is not None:
            run.steps, run.counts = drawn_steps(self._draws, self.scenario.start, seed), {}
        env.process(run.script())
        if horizon > 0:
            env.run(until=horizon)
        run.decay_all(max(horizon, 0.0))
        return stop, horizon, run

    def _final(self, run: _Run) -> tuple[RelationEnd, ...]:
        ends = zip(self.relation_ids, run.models, run.values, strict=True)
        if not self.tracks:  # the usual case, kept to what it costs without tracks
            return tuple(RelationEnd(rid, m.state, _rounded(values)) for rid, m, values in ends)
        return tuple(
            RelationEnd(rid, m.state, _rounded(values), {on.track: on.model.state for on in at})
            for (rid, m, values), at in zip(ends, run.track_models, strict=True)
        )


#: An outcome's text, looked up rather than read through the enum's descriptor on every event.
_OUTCOME_TEXT = {o: o.value for o in Outcome}


def _rounded(values: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 6) for k, v in values.items()}


class _Run:
    """The mutable state of one run; lives only as long as the run."""

    def __init__(
        self, sim: Simulator, env: simpy.Environment, rng: random.Random, outline: bool = False
    ) -> None:
        self.sim = sim
        self.env = env
        self.rng = rng  # the run's only source of randomness
        self.models: list[RelationModel] = [sim.machine.new_model(s) for s in sim._initial_states]
        self.values: list[dict[str, float]] = [dict(v) for v in sim._initial_values]
        self.last_t: list[float] = [0.0] * len(self.models)
        # Per relation, its place on each parallel track (none without tracks).
        self.track_models = [on_tracks(sim.tracks) for _ in self.models] if sim.tracks else []
        self.track_moves: list[tuple[str, str, float, str, str]] = []
        self.records: list[Record] = []
        # An outline keeps, instead of records, the state changes and the counts (see outline).
        self.outline = outline
        self.moves: list[tuple[str, float, str, str]] = []
        # How many scripted steps were applied, and the responses applied per (type, cause).
        self.steps_done = 0
        self.responses: dict[tuple[str, str], int] = {}
        self.log: list[LogEntry] = []
        self.pending: list[Pending] = []
        self.fired: dict[str, int] = {}
        self.scheduled = 0
        self.suppressed = 0
        self.cap_hit_at: float | None = None
        # What every event reads of the Simulator, looked up once per run rather than per event.
        self._fire = sim.machine.fire
        self._bounds = sim._bounds
        self._decaying = self._usual = sim._decaying
        self._decaying_in = sim._decaying_in or {}
        if sim._decaying_in is not None:  # else advance stays the plain one
            self.advance = self._advance_in_state  # type: ignore[method-assign]
        self._has_tracks = bool(sim.tracks)
        self._has_rules = bool(sim.rules)
        self.steps, self.counts = sim._steps, sim._script_counts  # unless it draws its dates

    def script(self) -> Generator[simpy.Event, Any, None]:
        env, apply = self.env, self.apply
        for done, step in enumerate(self.steps, 1):
            now = env.now  # a property: read once a step
            if step.t > now:
                yield env.timeout(step.t - now)
            apply(step)
            self.steps_done = done

    def advance(self, relation: int, now: float) -> dict[str, float]:
        values = self.values[relation]
        gap = now - self.last_t[relation]
        if gap > 0.0:
            for name, rest, keep in self._decaying:
                values[name] = decayed(values[name], rest, keep, gap)
            self.last_t[relation] = now
        return values

    def _advance_in_state(self, relation: int, now: float) -> dict[str, float]:
        """:meth:`advance` when some variable decays by state: the relation has been in its
        present state since its last event, and decays as in it."""
        self._decaying = self._decaying_in.get(self.models[relation].state, self._usual)
        return _Run.advance(self, relation, now)

    def decay_all(self, now: float) -> None:
        for i in range(len(self.models)):
            self.advance(i, now)

    def apply(self, h: Happening) -> None:
        values = self.advance(h.relation, h.t)
        bounds = self._bounds
        for name, delta in h.effects:
            low, high = bounds[name]
            value = values[name] + delta  # clamped as min(high, max(low, v)) is, NaN included
            value = value if value > low else low
            values[name] = value if value < high else high
        model = self.models[h.relation]
        before = model.state
        steps: tuple[TrackStep, ...] = ()
        try:
            outcome = self._fire(model, h.type, values)
            if self._has_tracks:
                steps = fire_tracks(self.track_models[h.relation], h.type, values)
        except ExpressionError as err:
            raise SimulationError(
                f"event {h.id!r} ({h.when:%Y-%m-%d}): {err}", err.key_path
            ) from None
        if self.outline:
            after = model.state
            if after != before:
                self.moves.append((self.sim.relation_ids[h.relation], h.t, before, after))
            if steps:
                rid = self.sim.relation_ids[h.relation]
                self.track_moves += [(rid, x.track, h.t, x.before, x.after) for x in moved(steps)]
        else:
            self._record(h, before, model.state, outcome, values, steps)
        if self._has_rules:
            try:
                if self.pending:
                    self.cancel(h, model.state, values)
                self.react(h, model.state, values)
            except ExpressionError as err:
                raise SimulationError(
                    f"event {h.id!r} ({h.when:%Y-%m-%d}): {err}", err.key_path
                ) from None

    def _record(
        self,
        h: Happening,
        before: str,
        after: str,
        outcome: Outcome,
        values: dict[str, float],
        steps: tuple[TrackStep, ...],
    ) -> None:
        # Positional, in Record's field order: a named tuple is made faster so, once per event
        # of every run.
        self.records.append(
            Record(
                h.t,
                h.when,
                h.id,
                h.type,
                h.actor,
                h.target,
                self.sim.relation_ids[h.relation],
                before,
                after,
                _OUTCOME_TEXT[outcome],
                _rounded(values),
                h.cameo,
                h.goldstein,
                h.source,
                h.quote,
                h.summary,
                h.cause,
                h.caused_by,
                h.date_basis,
                h.date_note,
                h.note,
                h.citations,
                h.actors,
                h.stance,
                h.sides,
                h.tone,
                steps,
                h.weis,
            )
        )

    def cancel(self, h: Happening, state: str, values: dict[str, float]) -> None:
        for p in list(self.pending):
            cancel = p.rule.cancel
            if p.relation == h.relation and cancel is not None and cancel.matches(h, state, values):
                self.pending.remove(p)
                p.process.interrupt(h.id)
                self.log.append(
                    LogEntry(
                        t=h.t,
                        when=h.when,
                        kind="cancelled",
                        rule=p.rule.id,
                        event=p.id,
                        message=f"{p.id} (due {self.sim.due_text(p.due)}) cancelled by {h.id}",
                    )
                )

    def react(self, h: Happening, state: str, values: dict[str, float]) -> None:
        for rule in self.sim._rules_for.get(h.type, self.sim.rules):
            if not rule.when.matches(h, state, values):
                continue
            limit = rule.spec.max_fires
            if limit is not None and self.fired.get(rule.id, 0) >= limit:
                continue
            # One draw per matching rule, whatever its probability: raising a probability then
            # only adds responses for the same seed, and p = 0 / p = 1 never / always fire.
            if not self.rng.random() < rule.probability(values):
                continue
            if self.scheduled >= self.sim.scenario.max_responses:
                self.suppressed += 1
                if self.cap_hit_at is None:
                    self.cap_hit_at = h.t
                continue
            self.scheduled += 1
            self.fired[rule.id] = self.fired.get(rule.id, 0) + 1
            delay = sample_delay(rule.spec.delay, self.rng)
            relation = h.relation if rule.relation is None else rule.relation
            pending = Pending(rule, f"{rule.id}#{self.fired[rule.id]}", relation, h, h.t + delay)
            pending.process = self.env.process(self.respond(pending, delay))
            self.pending.append(pending)

    def respond(self, p: Pending, delay: float) -> Generator[simpy.Event, Any, None]:
        try:
            yield self.env.timeout(delay)
            # SimPy runs what is due at one moment first in, first out. The script scheduled its
            # wake-up for this moment before now, so yielding once more puts this response
            # after the scripted events of the same moment, whatever the delays.
            yield self.env.timeout(0)
        except simpy.Interrupt:
            return
        self.pending.remove(p)
        actor, targets = p.rule.roles(p.trigger)
        rule = p.rule
        kind = (rule.spec.respond.type, f"rule:{rule.id}")
        self.apply(
            Happening(
                id=p.id,
                type=kind[0],
                actor=actor,
                target=targets,
                relation=p.relation,
                when=self.sim.when(p.due),
                t=p.due,
                effects=rule.effects,
                cameo=rule.codes.cameo,
                weis=rule.codes.weis,
                goldstein=rule.codes.goldstein,
                source=rule.source,
                quote=rule.quote,
                summary=rule.summary,
                cause=kind[1],
                caused_by=(p.trigger.id,),
                date_basis="simulated",
                citations=rule.citations,
            )
        )
        if self.outline:
            self.responses[kind] = self.responses.get(kind, 0) + 1

    def closing_log(self, horizon: float) -> tuple[LogEntry, ...]:
        log = list(self.log)
        for p in self.pending:
            log.append(
                LogEntry(
                    t=horizon,
                    when=self.sim.when(horizon),
                    kind="pending",
                    rule=p.rule.id,
                    event=p.id,
                    message=f"{p.id} was still pending at the stop (due "
                    f"{self.sim.due_text(p.due)})",
                )
            )
        if self.cap_hit_at is not None:
            cap = self.sim.scenario.max_responses
            log.append(
                LogEntry(
                    t=self.cap_hit_at,
                    when=self.sim.when(self.cap_hit_at),
                    kind="cap",
                    rule="",
                    event="",
                    message=f"the run reached its cap of {cap} responses (max_responses); "
                    f"{self.suppressed} more {'was' if self.suppressed == 1 else 'were'} not "
                    "scheduled",
                    count=self.suppressed,
                )
            )
        return tuple(sorted(log, key=lambda e: e.t))


def simulate(
    scenario: Scenario | str | os.PathLike[str], seed: int = 0, until: dt.date | None = None
) -> Trace:
    """Run a scenario (or the scenario file at a path) once and return its trace.

    For many runs of one scenario, build a :class:`Simulator` once and call ``run`` per seed.

    Raises:
        TypeError: ``scenario`` is neither a Scenario nor a path.
        ScenarioError: The file at the path is not a valid scenario.
        SimulationError: The run could not go on.
    """
    return Simulator(scenario).run(seed=seed, until=until)


__all__ = [
    "Simulator",
    "as_scenario",
    "days_since",
    "dynamics",
    "event_effects",
    "simulate",
    "variable_decay",
]
