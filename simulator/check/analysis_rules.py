"""Static analysis of a scenario's rules: rules that never fire, unused event types, cascades.

Part of :func:`simulator.check.analysis.analyse`; what is approximated is said there.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import NamedTuple

from simulator.check.analysis_base import Context, Raw, may_match_type, quote_names
from simulator.scenario.model import EventPattern, RuleSpec


def rule_findings(ctx: Context) -> Iterator[Raw]:
    active = {i for i, _ in ctx.active}
    for i, r in ctx.live:
        if i in active:
            continue
        wanted = quote_names(r.when.type or ())
        yield Raw(
            "warning",
            "rule-never-matches",
            ("rules", i, "when"),
            f"rule {r.id!r} never fires: "
            + (
                f"no event has type {wanted} and no rule that can fire responds with it"
                if r.when.type
                else "the scenario has no events"
            ),
        )
    used = {e.type for e in ctx.s.events} | ctx.handled
    for r in ctx.s.rules:
        used.add(r.respond.type)
        used.update(r.when.type or ())
        if r.cancel_on is not None:
            used.update(r.cancel_on.type or ())
    for name in ctx.s.event_types:
        if name not in used:
            yield Raw(
                "info",
                "unused-event-type",
                ("event_types", name),
                f"event type {name!r} is declared but no event, transition or rule uses it",
            )


# --- Cascades of rules ------------------------------------------------------------------------


class _Out(NamedTuple):
    """What a rule's responses can look like; None means "any"."""

    type: str
    actors: frozenset[str] | None
    targets: frozenset[str] | None
    relation: frozenset[str] | None


def cascade_findings(ctx: Context) -> Iterator[Raw]:
    rules = dict(ctx.active)
    outs = {i: _response_shape(ctx, r) for i, r in rules.items()}
    # A rule with max_fires stops any cycle through it: leave those out of the graph.
    unlimited = [i for i, r in rules.items() if r.max_fires is None]
    edges = {i: {k for k in unlimited if _may_match(outs[i], rules[k].when)} for i in unlimited}
    for cycle in _cycles(unlimited, edges):
        names = [rules[i].id for i in cycle]
        if len(cycle) == 1:
            r = rules[cycle[0]]
            what = (
                f"rule {r.id!r} can answer its own responses ({r.respond.type!r} matches its "
                "when) without end"
            )
        else:
            what = f"rules {quote_names(names, 6)} can set each other off in a cycle without end"
        yield Raw(
            "warning",
            "unbounded-cascade",
            ("rules", cycle[0]),
            f"{what}: none has max_fires, so only max_responses ({ctx.s.max_responses}) stops "
            "the cascade; set max_fires, or a cancel_on that ends the exchange",
        )


def _response_shape(ctx: Context, r: RuleSpec) -> _Out:
    several = _several_targets_may_match(ctx, r.when)

    def resolve(role: str) -> frozenset[str] | None:
        if role == "actor":
            return frozenset(r.when.actor) if r.when.actor else None
        if role == "target":
            # The response takes the trigger's *first* target; the pattern only says that one
            # of its targets matches, which fixes the first only for single-target events.
            return frozenset(r.when.target) if r.when.target and not several else None
        return frozenset({role})

    targets: frozenset[str] | None = frozenset()
    for role in r.respond.target:
        one = resolve(role)
        targets = None if one is None or targets is None else targets | one
    pair = r.respond.relation or r.when.relation
    return _Out(
        r.respond.type,
        resolve(r.respond.actor),
        targets,
        frozenset(pair) if pair else None,
    )


def _several_targets_may_match(ctx: Context, p: EventPattern) -> bool:
    events = any(len(e.target) > 1 and may_match_type(p, {e.type}) for e in ctx.s.events)
    responses = any(
        len(r.respond.target) > 1 and may_match_type(p, {r.respond.type}) for _, r in ctx.active
    )
    return events or responses


def _may_match(out: _Out, p: EventPattern) -> bool:
    def meets(have: frozenset[str] | None, want: tuple[str, ...] | None) -> bool:
        return want is None or have is None or not have.isdisjoint(want)

    return (
        may_match_type(p, {out.type})
        and meets(out.actors, p.actor)
        and meets(out.targets, p.target)
        and (p.relation is None or out.relation is None or out.relation == frozenset(p.relation))
    )


def _cycles(nodes: Sequence[int], edges: Mapping[int, set[int]]) -> list[list[int]]:
    """The strongly connected components that hold a cycle, each sorted, in node order."""
    reach = {n: _reach(n, edges) for n in nodes}
    seen: set[int] = set()
    out: list[list[int]] = []
    for n in nodes:
        if n in seen:
            continue
        component = sorted(m for m in nodes if m in reach[n] and n in reach[m])
        seen.update(component)
        if len(component) > 1 or n in edges[n]:
            out.append(component)
    return out


def _reach(start: int, edges: Mapping[int, set[int]]) -> set[int]:
    """Every node reachable from ``start`` by one edge or more."""
    seen: set[int] = set()
    todo = list(edges[start])
    while todo:
        n = todo.pop()
        if n not in seen:
            seen.add(n)
            todo.extend(edges[n])
    return seen


__all__ = ["cascade_findings", "rule_findings"]
