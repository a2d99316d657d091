"""The report page's "At a glance" section: how the run ended, in numbers and in words."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from simulator.report.html.checks import check_phrase
from simulator.report.html.diff import departure_phrase
from simulator.report.html.parts import ARROW, esc, main_variable, section

if TYPE_CHECKING:
    from collections.abc import Sequence

    from simulator.check.checker import CheckReport
    from simulator.engine.trace import Record, Trace
    from simulator.report.diff import TraceDiff
    from simulator.report.html.view import RunView


def _path_of(trace: Trace, relation: str) -> list[str]:
    """The states ``relation`` went through (a state repeated by consecutive events once)."""
    states: list[str] = []
    for r in trace.records:
        if r.relation != relation:
            continue
        for state in (r.before, r.after):
            if not states or states[-1] != state:
                states.append(state)
    if not states:
        states = [f.state for f in trace.final if f.relation == relation][:1]
    return states


def _track_row(trace: Trace, relation: str, track: str) -> str:
    """A relation's place on a parallel track at the end, and its path there (as a row of
    its own, ``SAU-CAN:economic``, under the relation's)."""
    seen = trace.on_track(track)
    end = next(f.state for f in seen.final if f.relation == relation)
    path = f" {ARROW} ".join(esc(s) for s in _path_of(seen, relation))
    return (
        f'<tr class="final track" data-relation="{esc(relation)}" data-track="{esc(track)}">'
        f'<th scope="row">{esc(relation)}<br><small>track {esc(track)}</small></th>'
        f'<td><span class="state-name ended">{esc(end)}</span></td>'
        f'<td class="num"></td><td class="path">{path}</td></tr>'
    )


def glance_section(
    run: RunView, check: CheckReport | None, base: RunView | None, diff: TraceDiff | None
) -> str:
    t = run.trace
    variable = main_variable(t)
    rows = []
    for end in t.final:
        value = f"{end.variables[variable]:.2f}" if variable and variable in end.variables else ""
        path = f" {ARROW} ".join(esc(s) for s in _path_of(t, end.relation))
        rows.append(
            f'<tr class="final" data-relation="{esc(end.relation)}">'
            f'<th scope="row">{esc(end.relation)}</th>'
            f'<td><span class="state-name ended">{esc(end.state)}</span></td>'
            f'<td class="num">{value}</td><td class="path">{path}</td></tr>'
        )
        rows += [_track_row(t, end.relation, track) for track in end.tracks]
    var_head = f'<th scope="col" class="num">{esc(variable)}</th>' if variable else "<th></th>"
    table = (
        '<table class="finals"><caption>How the run ended</caption>'
        f'<thead><tr><th scope="col">relation</th><th scope="col">final state</th>{var_head}'
        '<th scope="col">path</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>\n"
    )
    counts = _Counts.of(t.records)
    facts = [f"{len(t.records)} events recorded: {counts.phrase()}."]
    if t.tracks:
        # The counts above are the machine's; an event may have moved a track all the same.
        on_tracks = sum(any(x.before != x.after for x in r.tracks) for r in t.records)
        facts[0] = facts[0][:-1] + f" on the machine; {on_tracks} moved a track's state."
    if check is not None:
        facts.append(check_phrase(check))
    if diff is not None and base is not None:
        facts.append(departure_phrase(diff))
    lead = "".join(f"<p>{f}</p>\n" for f in facts)
    return section("summary", "At a glance", lead + table)


@dataclass(frozen=True, slots=True)
class _Counts:
    """How many records of each outcome a run has."""

    moved: int
    rejected: int
    unchanged: int

    @classmethod
    def of(cls, records: Sequence[Record]) -> _Counts:
        return cls(
            sum(r.outcome == "transition" for r in records),
            sum(r.outcome == "guard_failed" for r in records),
            sum(r.outcome == "no_transition" for r in records),
        )

    def phrase(self) -> str:
        return (
            f"{self.moved} fired a transition, {self.rejected} met a guard that did not hold, "
            f"{self.unchanged} moved no state"
        )


__all__ = ["glance_section"]
