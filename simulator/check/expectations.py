"""Judging a scenario's ``expect`` items and ``invariants`` against traces.

Pure functions of the scenario and the traces: :func:`judge` says whether an expectation holds
in one run and why (the date and state seen), :func:`first_violation` finds where a run breaks
an invariant, and :class:`Tally` folds many runs into a verdict per item with its evidence —
the share of runs and its 95% Wilson interval for a bound, a failing run for the rest.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from simulator.engine.outcomes import Proportion
from simulator.engine.trace import Record, Trace
from simulator.scenario.model import ExpectSpec, InvariantSpec, Scenario

_ACCEPTED = frozenset({"transition"})
_REJECTED = frozenset({"guard_failed", "no_transition"})


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether a statement held in one run, and what the run showed."""

    held: bool
    evidence: str


def relation_of(scenario: Scenario, pair: tuple[str, str] | None) -> str:
    """The recorded id of the relation a claim names (the first relation when it names none)."""
    if pair is None:
        return scenario.relations[0].id
    found = scenario.relation(pair)
    if found is None:
        raise ValueError(f"no relation {pair}; validate the scenario first")
    return found.id


def _initial_state(scenario: Scenario, relation: str, track: str | None = None) -> str:
    if track is not None and track in scenario.tracks:
        return scenario.tracks[track].initial
    return scenario.initial_state(next(r for r in scenario.relations if r.id == relation))


def _records(trace: Trace, relation: str) -> Iterator[Record]:
    return (r for r in trace.records if r.relation == relation)


def _entries(trace: Trace, relation: str) -> Iterator[Record]:
    """Records in which the relation entered a state it was not in."""
    return (r for r in _records(trace, relation) if r.before != r.after)


def _path(trace: Trace, relation: str, start: str, by: dt.date | None = None) -> str:
    """The states the relation went through (up to the end of day ``by``, if given)."""
    states = [start] + [
        r.after for r in _entries(trace, relation) if by is None or r.when.date() <= by
    ]
    return " -> ".join(states)


def describe(item: ExpectSpec, scenario: Scenario) -> str:
    """The expectation as a sentence: ``PAK-IRN reaches restored by 2024-01-31``."""
    rel = relation_of(scenario, item.relation) if item.kind != "event" else ""
    if item.track is not None:
        rel += f" ({item.track})"
    if item.kind == "state":
        text = f"{rel} is {item.state} on {item.date}"
    elif item.kind == "stays":
        text = f"{rel} stays {item.stays} from {item.from_} until {item.until}"
    elif item.kind == "not_before":
        text = f"{rel} does not enter {item.state} before {item.not_before}"
    elif item.kind == "reaches":
        text = f"{rel} reaches {item.reaches}" + (f" by {item.by}" if item.by else "")
    elif item.kind == "never":
        text = f"{rel} never enters {item.never}" + (f" by {item.by}" if item.by else "")
    elif item.kind == "event":
        text = f"event {item.event} is {item.outcome}" + (
            f" and leaves its relation {item.to}" if item.to else ""
        )
    else:
        text = f"{rel} ends in {item.final}"
    bounds = []
    if item.at_least is not None:
        bounds.append(f"at least {item.at_least:.0%}")
    if item.at_most is not None:
        bounds.append(f"at most {item.at_most:.0%}")
    return text + (f" in {' and '.join(bounds)} of runs" if bounds else "")


def judge(item: ExpectSpec, trace: Trace, scenario: Scenario) -> Verdict:
    """Whether ``item``'s statement holds in the run ``trace`` (bounds are for :class:`Tally`)."""
    if item.kind == "event":
        return _judge_event(item, trace, scenario)
    rel = relation_of(scenario, item.relation)
    start = _initial_state(scenario, rel, item.track)
    if item.track is not None and item.track in scenario.tracks:
        # A claim about a track reads the run as seen on it; the evidence names the track.
        trace = trace.on_track(item.track)
    who = rel if item.track is None else f"{rel} ({item.track})"
    if item.kind == "state":
        assert item.date is not None
        day: dt.date = item.date
        seen = trace.states_on(day)[rel]
        return Verdict(seen == item.state, f"{who} on {day}: {seen}{_since(trace, rel, day)}")
    if item.kind == "stays":
        return _judge_stays(item, trace, rel, start, who)
    if item.kind == "not_before":
        return _judge_not_before(item, trace, rel, start, who)
    if item.kind == "final":
        end = next(f.state for f in trace.final if f.relation == rel)
        return Verdict(end == item.final, f"{who} ended in {end}: {_path(trace, rel, start)}")
    target = item.reaches if item.kind == "reaches" else item.never
    by = item.by or trace.stop
    entered = next(
        (r for r in _entries(trace, rel) if r.after == target and r.when.date() <= by), None
    )
    if start == target:
        found = f"{who} starts in {target}"
    elif entered is not None:
        found = f"{who} entered {target} on {entered.date_text} ({entered.event})"
    else:
        found = f"{who} did not enter {target} by {by}: {_path(trace, rel, start, by)}"
    reached = start == target or entered is not None
    return Verdict(reached if item.kind == "reaches" else not reached, found)


def _since(trace: Trace, relation: str, day: dt.date) -> str:
    """Since when the relation has been in its state at the end of ``day``, and why."""
    since = [r for r in _entries(trace, relation) if r.when.date() <= day]
    return f" (since {since[-1].date_text}, {since[-1].event})" if since else " (from the start)"


def _judge_stays(item: ExpectSpec, trace: Trace, rel: str, start: str, who: str) -> Verdict:
    """In ``stays`` at the end of ``from``, and no record of a later day up to and including
    ``until`` leaves it (not even one undone later that day: the relation did leave)."""
    assert item.stays is not None
    assert item.from_ is not None
    assert item.until is not None
    wanted, first, last = item.stays, item.from_, item.until
    records = list(_records(trace, rel))
    # Each record's ``after`` is the state from then on: the last one by ``first`` is the state
    # at the end of that day (the start state before any).
    upto = [r for r in records if r.when.date() <= first]
    at_first = upto[-1].after if upto else start
    since = _since(trace, rel, first)
    if at_first != wanted:
        return Verdict(False, f"{who} was {at_first} at the end of {first}{since}, not {wanted}")
    left = next((r for r in records if r.when.date() > first and r.after != wanted), None)
    if left is not None and left.when.date() <= last:
        return Verdict(
            False, f"{who} left {wanted} for {left.after} on {left.date_text} ({left.event})"
        )
    held = f"{who} in {wanted} from {first}{since} to the end of {last}"
    if left is not None:  # when it did leave, after the claim: what ended the spell
        held += f"; left for {left.after} on {left.date_text} ({left.event})"
    return Verdict(True, held)


def _judge_not_before(item: ExpectSpec, trace: Trace, rel: str, start: str, who: str) -> Verdict:
    """Never in ``state`` on a day before ``not_before``: not entered then, nor in it from the
    start (unless ``not_before`` is the first day, when nothing comes before it)."""
    assert item.state is not None
    assert item.not_before is not None
    wanted, day = item.state, item.not_before
    if start == wanted:
        # In it from the start: only a claim from the first day on can hold.
        return Verdict(trace.start >= day, f"{who} starts in {wanted} on {trace.start}")
    entered = next((r for r in _entries(trace, rel) if r.after == wanted), None)
    if entered is None:
        return Verdict(True, f"{who} did not enter {wanted}")
    when = f"{who} entered {wanted} on {entered.date_text} ({entered.event})"
    if entered.when.date() < day:
        return Verdict(False, f"{when}, before {day}")
    return Verdict(True, when)


def _judge_event(item: ExpectSpec, trace: Trace, scenario: Scenario) -> Verdict:
    record = next((r for r in trace.records if r.event == item.event), None)
    if record is None:
        return Verdict(False, f"event {item.event} did not happen in this run")
    wanted = {
        "accepted": _ACCEPTED,
        "rejected": _REJECTED,
    }.get(item.outcome or "", frozenset({item.outcome}))
    moved = (
        f"{record.before} -> {record.after}"
        if record.outcome == "transition"
        else f"state stayed {record.before}"
    )
    if record.outcome == "guard_failed":
        moved += _guards_failed(record, scenario)
    return Verdict(
        record.outcome in wanted and item.to in (None, record.after),
        f"event {item.event} on {record.date_text}: {record.outcome} ({moved})",
    )


def _guards_failed(record: Record, scenario: Scenario) -> str:
    """Why no transition fired: the guards of those that could have, and the values they saw."""
    guards = [
        t.guard.text
        for t in scenario.machine.transitions
        if t.trigger == record.type
        and t.guard is not None
        and ("*" in t.source or record.before in t.source)
    ]
    values = ", ".join(f"{k} {v:g}" for k, v in record.variables.items())
    return f"; guard {' / '.join(guards)} false with {values}" if guards else ""


def describe_invariant(item: InvariantSpec, scenario: Scenario) -> str:
    """The invariant as a sentence: ``restored is only entered from envoys_recalled``."""
    where = relation_of(scenario, item.relation) + ": " if item.relation else ""
    if item.kind == "enter":
        return f"{where}{item.enter} is only entered from {' or '.join(item.only_from or ())}"
    if item.kind == "never":
        return f"{where}{item.never} is never entered"
    assert item.always is not None
    scope = f" while in {' or '.join(item.while_in)}" if item.while_in else ""
    return f"{where}{item.always.text} holds after every event{scope}"


def first_violation(item: InvariantSpec, trace: Trace, scenario: Scenario) -> str | None:
    """Where ``trace`` first breaks the invariant (a sentence), or ``None`` if it never does."""
    relations = {relation_of(scenario, item.relation)} if item.relation else None
    check = item.always.bind(scenario.parameters) if item.always is not None else None
    for r in trace.records:
        if relations is not None and r.relation not in relations:
            continue
        entered = r.after if r.before != r.after else None
        moved = f"{r.date_text} {r.event} moved {r.relation} from {r.before} to {r.after}"
        if (
            item.kind == "enter"
            and entered == item.enter
            and r.before not in (item.only_from or ())
        ):
            return moved
        if item.kind == "never" and entered == item.never:
            return moved
        in_scope = item.while_in is None or r.after in item.while_in
        if check is not None and in_scope and not check(r.variables):
            values = ", ".join(f"{k}={v:g}" for k, v in r.variables.items())
            return (
                f"{r.date_text} after {r.event}: {check.text} is false on {r.relation} "
                f"in {r.after} ({values})"
            )
    return None


@dataclass(frozen=True, slots=True)
class ItemResult:
    """The verdict on one ``expect`` item or invariant over the runs made."""

    section: str  # "expect" or "invariants"
    index: int
    label: str
    passed: bool
    evidence: str
    runs: int
    held: int
    share: Proportion | None = None
    inconclusive: bool = False
    note: str = ""  # the item's own note: the author's hint, shown when it fails

    @property
    def name(self) -> str:
        return f"{self.section}[{self.index}]"


class Tally:
    """Folds runs, one trace at a time, into a verdict per expectation and invariant.

    Keeps counts and the first failing run's evidence only, so memory does not grow with the
    number of runs.
    """

    def __init__(self, scenario: Scenario, planned: int = 1) -> None:
        self.scenario = scenario
        self.planned = planned  # runs to come: with more than one, evidence names the run
        self.runs = 0
        self._held = [0] * len(scenario.expect)
        self._kept = [0] * len(scenario.invariants)
        self._last: list[str] = [""] * len(scenario.expect)
        self._failed: list[str | None] = [None] * len(scenario.expect)
        self._example_held: list[str | None] = [None] * len(scenario.expect)
        self._broken: list[str | None] = [None] * len(scenario.invariants)

    def add(self, trace: Trace, run: int) -> None:
        """Count the run ``trace`` (numbered ``run``, for the evidence of a failure)."""
        self.runs += 1
        for i, item in enumerate(self.scenario.expect):
            verdict = judge(item, trace, self.scenario)
            self._last[i] = verdict.evidence
            if verdict.held:
                self._held[i] += 1
                if self._example_held[i] is None:
                    self._example_held[i] = self._run_label(trace, run) + verdict.evidence
            elif self._failed[i] is None:
                self._failed[i] = self._run_label(trace, run) + verdict.evidence
        for i, inv in enumerate(self.scenario.invariants):
            broken = first_violation(inv, trace, self.scenario)
            if broken is None:
                self._kept[i] += 1
            elif self._broken[i] is None:
                self._broken[i] = self._run_label(trace, run) + broken

    def _run_label(self, trace: Trace, run: int) -> str:
        return f"run {run} (seed {trace.seed}): " if self.planned > 1 else ""

    def results(self) -> list[ItemResult]:
        """A verdict per ``expect`` item, then per invariant, in file order."""
        out = [self._expect_result(i, item) for i, item in enumerate(self.scenario.expect)]
        for i, inv in enumerate(self.scenario.invariants):
            kept, broken = self._kept[i], self._broken[i]
            evidence = (
                f"held in {_of(kept, self.runs)}"
                if broken is None
                else f"broken in {_of(self.runs - kept, self.runs)}; first: {broken}"
            )
            out.append(
                ItemResult(
                    "invariants",
                    i,
                    invariant_label(inv, self.scenario),
                    broken is None,
                    evidence,
                    self.runs,
                    kept,
                    note=inv.note,
                )
            )
        return out

    def _expect_result(self, i: int, item: ExpectSpec) -> ItemResult:
        held, n = self._held[i], self.runs
        label = _label(item.id, describe(item, self.scenario))
        if not item.bounded:
            passed = held == n
            if n == 1:
                evidence = self._last[i]
            elif passed:
                evidence = f"held in {_of(held, n)}"
            else:
                evidence = f"failed in {_of(n - held, n)}; first: {self._failed[i]}"
            return ItemResult("expect", i, label, passed, evidence, n, held, note=item.note)
        share = Proportion.of(held, n)
        low_ok = item.at_least is None or share.share >= item.at_least
        high_ok = item.at_most is None or share.share <= item.at_most
        bounds = [b for b in (item.at_least, item.at_most) if b is not None]
        # A share on the right side of its bound whose interval still reaches across it is a
        # pass that more runs could overturn: say so rather than hide it.
        inconclusive = n > 1 and any(share.low < b < share.high for b in bounds)
        # An example run on the side that is too common: one where the claim failed when it
        # holds too rarely, one where it held when it holds too often.
        example = self._failed[i] if not low_ok else self._example_held[i] if not high_ok else None
        evidence = (
            f"{share.share:.1%} of {n:,} runs (95% interval {share.low:.1%}-{share.high:.1%})"
            + (f"; e.g. {example}" if example else "")
            + ("; the interval includes the bound: run more to be sure" if inconclusive else "")
        )
        return ItemResult(
            "expect",
            i,
            label,
            low_ok and high_ok,
            evidence,
            n,
            held,
            share,
            inconclusive,
            note=item.note,
        )


def invariant_label(item: InvariantSpec, scenario: Scenario) -> str:
    """How reports name an invariant: ``id: sentence``, or the sentence alone."""
    return _label(item.id, describe_invariant(item, scenario))


def _label(name: str | None, sentence: str) -> str:
    return f"{name}: {sentence}" if name else sentence


def _of(count: int, runs: int) -> str:
    return f"{count:,} of {runs:,} runs" if runs > 1 else ("the run" if count else "no run")


def is_stochastic(scenario: Scenario) -> bool:
    """Whether runs can differ: an enabled rule draws a probability strictly between 0 and 1 (or
    one given by an expression) or a delay that is not fixed."""
    for rule in scenario.rules:
        if not rule.enabled:
            continue
        p = rule.probability
        if not isinstance(p, float) or 0.0 < p < 1.0:
            return True
        if p > 0.0 and rule.delay.fixed is None:
            return True
    return False


def check_runs(scenario: Scenario, traces: Sequence[tuple[int, Trace]]) -> list[ItemResult]:
    """Verdicts over the given ``(run number, trace)`` pairs (a convenience for tests)."""
    tally = Tally(scenario, len(traces))
    for run, trace in traces:
        tally.add(trace, run)
    return tally.results()


__all__ = [
    "ItemResult",
    "Tally",
    "Verdict",
    "check_runs",
    "describe",
    "describe_invariant",
    "first_violation",
    "invariant_label",
    "is_stochastic",
    "judge",
    "relation_of",
]
