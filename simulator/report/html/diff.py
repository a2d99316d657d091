"""The report page's comparison of a what-if with its base: where they part, and the events,
states and finals that differ."""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.report.html.parts import (
    esc,
    main_variable,
    parties,
    section,
    small_table,
    state_change,
)

if TYPE_CHECKING:
    from simulator.engine.trace import Record, RelationEnd
    from simulator.report.diff import Departure, TraceDiff


def _record_phrase(r: Record | None) -> str:
    if r is None:
        return "nothing more"
    return (
        f"<strong>{esc(r.event)}</strong> ({esc(r.type)}, {parties(r)}): {esc(r.relation)} "
        f"{state_change(r)}"
    )


def departure_phrase(diff: TraceDiff, *, link: bool = True) -> str:
    if diff.identical:
        return (
            "The what-if and its base give the same trace: same events, same states, same values."
        )
    dep: Departure | None = diff.departure
    if dep is not None:
        return (
            f"The what-if departs from its base on <strong>{dep.date.isoformat()}</strong>. "
            f"Base: {_record_phrase(dep.base)}. What-if: {_record_phrase(dep.whatif)}."
            + (' (<a href="#diff">The differences.</a>)' if link else "")
        )
    var = diff.variable_departure
    assert var is not None  # not identical, yet no record differs: the values do
    where = f"after {esc(var.event)}" if var.event else "at the end"
    values = ", ".join(
        f"{esc(k)} {var.base.get(k, 0.0):.2f} | {var.whatif.get(k, 0.0):.2f}" for k in var.whatif
    )
    return (
        f"The same events and states, but the values differ from {var.date.isoformat()} "
        f"{where} on {esc(var.relation)} (base | what-if: {values})."
    )


def diff_section(diff: TraceDiff) -> str:
    departure = departure_phrase(diff, link=False)
    lead = f'<p class="lead">Both run with seed {diff.whatif.seed}. {departure}</p>\n'
    parts = [
        lead,
        _only_table(diff),
        _changed_table(diff),
        _gaps_table(diff),
        _finals_table(diff),
    ]
    return section("diff", "The what-if against its base", "".join(parts))


def _only_table(diff: TraceDiff) -> str:
    rows = [("base", r) for r in diff.only_in_base] + [("what-if", r) for r in diff.only_in_whatif]
    rows.sort(key=lambda item: item[1].when)
    body = "".join(
        f'<tr class="diff-only" data-side="{side}"><td>{esc(r.date_text)}</td>'
        f'<th scope="row">{esc(r.event)}</th><td>{esc(r.relation)}</td><td>{esc(r.type)}</td>'
        f"<td>{state_change(r)}</td><td>{side}</td></tr>"
        for side, r in rows
    )
    return small_table(
        "Events in one run only",
        ["date", "event", "relation", "type", "state change", "only in"],
        body,
        6,
    )


def _changed_table(diff: TraceDiff) -> str:
    body = "".join(
        f'<tr class="diff-changed"><th scope="row">{esc(c.base.event)}</th>'
        f"<td>{esc(c.base.relation)}</td><td>{esc(', '.join(c.changed))}</td>"
        f"<td>{esc(c.base.date_text)}: {state_change(c.base)}</td>"
        f"<td>{esc(c.whatif.date_text)}: {state_change(c.whatif)}</td></tr>"
        for c in diff.changed
    )
    return small_table(
        "Events in both runs that differ",
        ["event", "relation", "what differs", "base", "what-if"],
        body,
        5,
    )


def _gaps_table(diff: TraceDiff) -> str:
    body = "".join(
        f'<tr class="diff-state"><td>{g.first.isoformat()}</td><td>{g.last.isoformat()}</td>'
        f'<th scope="row">{esc(g.relation)}</th><td>{esc(g.base or "—")}</td>'
        f"<td>{esc(g.whatif or '—')}</td></tr>"
        for g in diff.states
    )
    return small_table(
        "States that differ, at the end of each day",
        ["from", "to", "relation", "base", "what-if"],
        body,
        5,
    )


def _finals_table(diff: TraceDiff) -> str:
    variable = main_variable(diff.whatif) or main_variable(diff.base)

    def end(e: RelationEnd | None) -> str:
        if e is None:
            return "—"
        shown = f" ({variable} {e.variables[variable]:.2f})" if variable in e.variables else ""
        return esc(e.state + shown)

    body = "".join(
        f'<tr class="diff-final"><th scope="row">{esc(f.relation)}</th><td>{end(f.base)}</td>'
        f"<td>{end(f.whatif)}</td><td>{'same' if f.same else '<strong>differs</strong>'}</td></tr>"
        for f in diff.final
    )
    return small_table("Final states", ["relation", "base", "what-if", ""], body, 4)


__all__ = ["departure_phrase", "diff_section"]
