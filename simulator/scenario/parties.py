"""Who takes part in an act, which relations it reaches, and how: the one home of that rule.

An event names its actors (one, or several acting together) and its targets, and may name a
third party's stance: ``supports: X`` or ``opposes: X`` (it takes sides in X's relation with the
other side) or ``mediates: [A, B]`` (an appeal to both sides), or ``joint: true`` (the actors
act as one, on the relation between them, with no direction). From these, :func:`reach` finds
the declared relations the act reaches and the *tone* it has on each:

- ``coded``: the Goldstein value as coded (a plain act, a joint act, a mediation);
- ``hostile``: minus its size — a third party taking sides raises tension on the relation it
  takes sides in (the supported side's with its opponent), whatever the sign of its coded
  value (backing one side is cooperation with that side, not détente between the two);
- ``friendly``: plus its size — the same act on the relation between the third party and the
  side it supports, when that relation is named.

A group (an actor with ``members``) is one party where a relation is declared with it, and its
members where none is: an act of the GCC towards Canada reaches GCC–CAN if that is declared,
else each member's relation with Canada that is. The engine applies what this module finds
(``Simulator``), validation reports an act that reaches nothing (``references``), and outputs
read the tone from the trace (``Record.bearing``): none of them works it out again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from simulator.scenario.model.events import EventSpec
    from simulator.scenario.model.scenario import Scenario

Tone = Literal["coded", "hostile", "friendly"]


@dataclass(frozen=True, slots=True)
class Reach:
    """A relation an act reaches (its ``pair`` as declared), and the act's tone on it."""

    pair: tuple[str, str]
    tone: Tone

    def goldstein(self, coded: float | None) -> float | None:
        """The Goldstein value the act has on this relation, from its coded value."""
        if coded is None or self.tone == "coded":
            return coded
        return -abs(coded) if self.tone == "hostile" else abs(coded)


def stance_of(e: EventSpec) -> str | None:
    """``joint``, ``supports``, ``opposes`` or ``mediates``; None for a plain act."""
    if e.joint:
        return "joint"
    for key in ("supports", "opposes", "mediates"):
        if getattr(e, key) is not None:
            return key
    return None


def parties_problem(e: EventSpec) -> str | None:
    """What is wrong with an event's parties on their own (before names are resolved)."""
    named = [k for k in ("supports", "opposes", "mediates") if getattr(e, k) is not None]
    named += ["joint"] * e.joint
    if len(named) > 1:
        return f"an act takes one stance: give only one of {', '.join(named)}"
    if e.relation is not None and e.relations:
        return "give 'relation' (one) or 'relations' (several), not both"
    if e.joint and len(e.actor) < 2:
        return "a joint act has two or more actors, written 'actor: [A, B]'"
    if not e.target and not named:
        if len(e.actor) > 1:
            return (
                "an event of several actors needs a 'target', or 'joint: true' for an act "
                "between them (a joint statement, a call)"
            )
        return (
            "an event needs a 'target' (or, for a third party, a stance: 'supports', "
            "'opposes' or 'mediates')"
        )
    side = e.supports or e.opposes
    if side is not None and side in e.actor:
        return f"{side} cannot take sides with or against itself: it is one of the actors"
    if e.mediates is not None and e.mediates[0] == e.mediates[1]:
        return f"'mediates' names two different sides (got {e.mediates[0]} twice)"
    return None


def members(s: Scenario, code: str) -> tuple[str, ...]:
    """A group's members, or the actor itself."""
    actor = s.actors.get(code)
    return actor.members if actor is not None and actor.members else (code,)


def _expanded(s: Scenario, codes: Iterable[str]) -> set[str]:
    out: set[str] = set()
    for code in codes:
        out.add(code)
        out.update(members(s, code))
    return out


def _between(s: Scenario, a: str, b: str) -> list[tuple[str, str]]:
    """The declared relations between ``a`` and ``b``: theirs, else their members'."""
    declared = s.relation((a, b))
    if declared is not None:
        return [declared.pair]
    out: list[tuple[str, str]] = []
    for m in members(s, a):
        for n in members(s, b):
            r = s.relation((m, n)) if m != n else None
            if r is not None and r.pair not in out:
                out.append(r.pair)
    return out


def _tone(e: EventSpec, actors: set[str], pair: tuple[str, str]) -> Tone:
    if e.opposes is not None:
        return "hostile"
    if e.supports is not None:
        other = pair[1] if pair[0] == e.supports else pair[0]
        return "friendly" if e.supports in pair and other in actors else "hostile"
    return "coded"


def reach(s: Scenario, e: EventSpec) -> tuple[tuple[Reach, ...], str | None]:
    """The declared relations ``e`` reaches, in order, with its tone on each; and, when it
    reaches none (or cannot say which), why, in words for the author."""
    actors = _expanded(s, e.actor)
    named = [e.relation] if e.relation is not None else list(e.relations)
    pairs: list[tuple[str, str]] = []
    why: str | None = None
    if named:
        for pair in named:
            declared = s.relation(pair)
            if declared is not None and declared.pair not in pairs:
                pairs.append(declared.pair)
    elif e.supports is not None or e.opposes is not None:
        pairs, why = _sided(s, e, actors)
    elif e.mediates is not None:
        a, b = e.mediates
        pairs = _between(s, a, b)
        if not pairs:
            pairs = [p for x in e.actor for side in (a, b) for p in _between(s, x, side)]
        if not pairs:
            why = (
                f"no relation {a}-{b} is declared, nor one between "
                f"{'/'.join(e.actor)} and {a} or {b}: declare one under relations"
            )
    else:
        ends = e.target or ()
        if e.joint and not ends:
            couples = [(x, y) for i, x in enumerate(e.actor) for y in e.actor[i + 1 :]]
        else:
            couples = [(x, y) for x in e.actor for y in ends]
        for x, y in couples:
            pairs += [p for p in _between(s, x, y) if p not in pairs]
        if not pairs:
            shown = ", ".join(f"{x}-{y}" for x, y in couples[:4]) + ", ..." * (len(couples) > 4)
            appeal = (
                f"; for an appeal to both sides, 'mediates: [{ends[0]}, {ends[1]}]'"
                if len(ends) == 2 and not e.joint
                else ""
            )
            why = (
                f"no relation between its parties is declared ({shown}): declare one under "
                f"relations, or say which it acts on with 'relation'{appeal}"
            )
    return tuple(Reach(p, _tone(e, actors, p)) for p in pairs), why


def _sided(s: Scenario, e: EventSpec, actors: set[str]) -> tuple[list[tuple[str, str]], str | None]:
    """The relation a third party takes sides in: the side's relation with another actor who
    is not one of the act's own (and is among its targets, when it has any)."""
    side = e.supports or e.opposes
    assert side is not None
    sides = _expanded(s, [side])
    aimed = _expanded(s, e.target) if e.target else None
    found: list[tuple[str, str]] = []
    missed: list[tuple[str, str]] = []  # the side's relations its targets leave out
    for r in s.relations:
        inside = [c for c in r.pair if c in sides]
        if len(inside) != 1:
            continue
        other = r.pair[1] if r.pair[0] in sides else r.pair[0]
        if other in actors:
            continue
        if aimed is not None and other not in aimed:
            missed.append(r.pair)
            continue
        found.append(r.pair)
    key = "supports" if e.supports is not None else "opposes"
    if not found and missed:
        # An act against the side it strikes (actor: JEM, target: IND, opposes: IND) reads
        # naturally, and the relation is there: say why it was passed over, and what to write.
        shown = ", ".join(f"{a}-{b}" for a, b in missed[:4])
        return [], (
            f"{side}'s relation {shown} is declared, but its other side is not among the act's "
            f"targets ({', '.join(e.target)}): a stance needs no target ('{key}: {side}' alone "
            "reaches it), or name the other side as 'target'"
        )
    if not found:
        return [], (
            f"no declared relation of {side} to take sides in ('{key}: {side}'): declare it "
            "under relations, or name it with 'relation'"
        )
    if len(found) > 1:
        shown = ", ".join(f"{a}-{b}" for a, b in found[:4])
        return [], (
            f"{side} has {len(found)} relations this act may take sides in ({shown}): name "
            "the other side as 'target', or the relation with 'relation'"
        )
    return found, None
