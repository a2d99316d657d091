"""The report page's events: one row per record (codes, quote, citations, a what-if's marks)
and the list of sources they cite."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Final

from simulator.engine.trace import UNCERTAIN_NOTE, bearing_text, same_act
from simulator.report.diff import record_key
from simulator.report.html.parts import (
    ARROW,
    breakable,
    date_cell,
    esc,
    main_variable,
    parties,
    section,
    signed,
    state_change,
    web_url,
)

if TYPE_CHECKING:
    from simulator.engine.trace import Record
    from simulator.report.diff import TraceDiff
    from simulator.report.html.view import RunView
    from simulator.scenario.model import Codes, Scenario, Source


def _codes_by_cause(scenario: Scenario) -> dict[tuple[str, str], Codes]:
    """Each event's and each rule's codes, keyed (``script``, id) or (``rule:ID``, ``""``):
    the trace keeps CAMEO (or WEIS) and Goldstein, but PLOVER only the scenario knows."""
    found: dict[tuple[str, str], Codes] = {}
    for e in scenario.events:
        found[("script", e.id)] = scenario.codes_of(e)
    for rule in scenario.rules:
        kind = scenario.event_types.get(rule.respond.type)
        if kind is not None:
            found[(f"rule:{rule.id}", "")] = kind.codes.merged(rule.respond.codes)
    return found


def _codes_cell(r: Record, codes: Codes | None) -> str:
    parts = []
    if r.code is not None:  # CAMEO or WEIS, each under its own name
        scheme, code = r.code
        parts.append(
            f'<span class="code"><abbr title="{scheme} event code">{scheme}</abbr> '
            f"{esc(code)}</span>"
        )
    bearing = r.bearing
    if r.goldstein is not None and bearing is not None:
        # Coloured by what the act does on this relation, as the engine applied it: a third
        # party backing one side is conflict here, though its coded value is positive.
        tone = "conflict" if bearing < 0 else "coop" if bearing > 0 else "neutral"
        sided = bearing_text(r)
        here = (
            f' <span class="sided" title="{esc(sided)}">→ {signed(bearing)} here</span>'
            if sided is not None
            else ""
        )
        parts.append(
            f'<span class="code gs {tone}"><abbr title="Goldstein scale, −10 to +10">G</abbr> '
            f"{signed(r.goldstein)}{here}</span>"
        )
    if codes is not None and codes.plover:
        # A break allowed after the slash: ``ASSAULT/heavy-weapons`` is wider than its cell.
        plover = esc(codes.plover).replace("/", "/<wbr>")
        parts.append(f'<span class="code">PLOVER {plover}</span>')
    return "<br>".join(parts) if parts else '<span class="none">—</span>'


def _schemes(records: Iterable[Record]) -> str:
    """The event-code schemes the table shows: CAMEO, and WEIS where a record is WEIS-coded (a
    WEIS code is never shown as CAMEO's: KEDS data of the 1980s use it)."""
    weis = any(r.weis is not None for r in records)
    return "CAMEO or WEIS event code" if weis else "CAMEO event code"


def _value(r: Record | None, variable: str | None) -> str:
    if r is None or variable is None or variable not in r.variables:
        return ""
    return f"{r.variables[variable]:.2f}"


def _source_line(ref: str, sources: dict[str, Source]) -> str:
    """A source's title, publisher, date and web address, then its id linking to the list."""
    src = sources.get(ref)
    parts = []
    if src is not None:
        if src.title:
            parts.append(f"<cite>{esc(src.title)}</cite>")
        parts += [esc(x) for x in (src.publisher, src.published) if x]
        url = web_url(src.url)
        if url is not None:
            parts.append(f'<a class="url" href="{esc(url)}" rel="noreferrer">{esc(url)}</a>')
    return f'{", ".join(parts)} <a href="#source-{esc(ref)}">[{esc(ref)}]</a>'


def _citation(r: Record, sources: dict[str, Source]) -> str:
    """The record's quote and source, then the event's other citations (smaller), often the
    public source of a date."""
    out = ""
    if r.quote:
        out += f'<blockquote class="quote">“{esc(r.quote)}”</blockquote>'
    elif r.where:  # a data file's rows or records: not a quote, so not in quotation marks
        out += f'<p class="cite rows">{esc(r.where)}</p>'
    if r.source is not None:
        out += f'<p class="cite">— {_source_line(r.source, sources)}</p>'
    for ref, said, remark, where in r.citations:
        if (ref, said, where) == (r.source, r.quote, r.where):
            continue  # the one shown above
        quote = f"“{esc(said)}” " if said else f"{esc(where)}, " if where else ""
        note = f" — {esc(remark)}" if remark else ""
        out += f'<p class="cite also">also: {quote}{_source_line(ref, sources)}{note}</p>'
    return out


def _dating(r: Record) -> str:
    """The mark after an inferred date, its title saying so (the note is under the summary)."""
    if r.date_basis != "inferred":
        return ""
    return ' <abbr class="inferred" title="date inferred, not reported: see the note">*</abbr>'


def _notes(r: Record) -> str:
    """How an inferred date was worked out, and the event's note, under its citations."""
    out = ""
    if r.date_basis == "inferred":
        why = f": {esc(r.date_note)}" if r.date_note else ""
        out += f'<p class="cite date-note">* Date inferred, not reported{why}</p>'
    elif r.date_note and UNCERTAIN_NOTE in r.date_note:
        out += f'<p class="cite date-note">{esc(r.date_note[0].upper() + r.date_note[1:])}</p>'
    if r.note:
        out += f'<p class="cite note">Note: {esc(r.note)}</p>'
    return out


def _tracks(r: Record) -> str:
    """The event's step on each parallel track: ``economic: normal → restricted``, or the
    track's state where the event left it as it was."""
    return "".join(
        f'<br><small class="track" data-track="{esc(x.track)}">{breakable(x.track)}: '
        + (
            f"{breakable(x.before)} {ARROW} <strong>{breakable(x.after)}</strong>"
            if x.before != x.after
            else breakable(x.after)
        )
        + "</small>"
        for x in r.tracks
    )


def _event_row(
    r: Record,
    view: RunView,
    number: int | None,
    codes: dict[tuple[str, str], Codes],
    mark: str,
    again: bool = False,
) -> str:
    """A record's row; ``again``: the act of the row before, on another relation (an act that
    reaches several is shown once: its summary and sources are in its first row)."""
    variable = main_variable(view.trace)
    key = (r.cause, r.event if r.cause == "script" else "")
    cause = ""
    if r.cause != "script":
        after = f" to {', '.join(breakable(c) for c in r.caused_by)}" if r.caused_by else ""
        cause = f'<br><small class="cause">response{after} ({breakable(r.cause)})</small>'
    elif r.caused_by:
        causes = ", ".join(breakable(c) for c in r.caused_by)
        cause = f'<br><small class="cause">caused by {causes}</small>'
    badge = f' <span class="badge diff-{mark}">{_DIFF_LABEL[mark]}</span>' if mark else ""
    data = f' data-diff="{mark}"' if mark else ""
    return (
        f'<tr class="event {esc(r.outcome)}" data-run="{view.role}" '
        f'data-event-id="{esc(r.event)}" data-type="{esc(r.type)}" '
        f'data-date-basis="{esc(r.date_basis)}" data-relation="{esc(r.relation)}" '
        f'data-outcome="{esc(r.outcome)}"{data}>'
        f'<td class="num marker">{number if number is not None else ""}</td>'
        f'<td class="date">{date_cell(r)}{_dating(r)}<br>'
        f'<span class="relation">{breakable(r.relation)}</span></td>'
        f'<th scope="row" class="event-id">{breakable(r.event)}{badge}<br>'
        f'<span class="type">{breakable(r.type)}</span><br>'
        f'<span class="parties">{parties(r)}</span>{cause}</th>'
        f'<td class="change">{state_change(r)}<br>'
        f'<small class="outcome">{esc(r.outcome)}</small>{_tracks(r)}</td>'
        f'<td class="num">{_value(r, variable)}</td>'
        f'<td class="codes">{_codes_cell(r, codes.get(key))}</td>'
        f'<td class="what">{_what(r, view, again)}</td></tr>'
    )


def _what(r: Record, view: RunView, again: bool) -> str:
    if again:
        return '<p class="summary again">The same act, on this relation too (see above).</p>'
    sided = bearing_text(r)
    effect = f'<p class="cite sided">{esc(sided)}</p>' if sided is not None else ""
    return (
        f'<p class="summary">{esc(r.summary)}</p>{effect}'
        f"{_citation(r, view.scenario.sources)}{_notes(r)}"
    )


_DIFF_LABEL: Final = {"only": "only here", "changed": "changed"}
#: The event table's columns (their widths are in the style sheet: a fixed layout that fits
#: the page's width whatever the length of a quote).
_EVENT_COLUMNS: Final = ("c-num", "c-date", "c-event", "c-change", "c-value", "c-codes", "c-what")


def events_section(view: RunView, diff: TraceDiff | None) -> str:
    t = view.trace
    marks = _diff_marks(diff, base=view.role == "base")
    codes = _codes_by_cause(view.scenario)
    variable = main_variable(t)
    rows = []
    number = 0
    before: Record | None = None
    for r in t.records:
        shown: int | None = None
        if r.relation == view.relation:
            number += 1
            shown = number
        mark = marks.get(record_key(r), "")
        rows.append(_event_row(r, view, shown, codes, mark, same_act(before, r)))
        before = r
    columns = "".join(f'<col class="{name}">' for name in _EVENT_COLUMNS)
    head = (
        f"<colgroup>{columns}</colgroup>"
        '<thead><tr><th scope="col" class="num" title="number on the timeline">#</th>'
        '<th scope="col">date, relation</th>'
        '<th scope="col">event id, type, actor → target</th>'
        '<th scope="col">state change and outcome</th>'
        f'<th scope="col" class="num">{esc(variable or "")}</th><th scope="col">codes</th>'
        '<th scope="col">what happened, and the source</th></tr></thead>'
    )
    empty = (
        '<tr><td colspan="7" class="none">No event happened in this run.</td></tr>'
        if not rows
        else ""
    )
    caption = (
        f"Every event of the run, in order ({len(t.records)}). # numbers the events of "
        f"{esc(view.relation)} as on the timeline. Codes: {_schemes(t.records)}, Goldstein "
        "value (G), PLOVER type. * after a date: no source reports it; it was inferred (the "
        "note under the event says how)."
    )
    if marks:
        caption += " A badge marks an event that differs from the other run."
    table = (
        f'<div class="table-wrap"><table class="events" data-run="{view.role}">'
        f"<caption>{caption}</caption>{head}"
        f"<tbody>{''.join(rows)}{empty}</tbody></table></div>\n"
    )
    return section(f"{view.role}-events", "Events", table)


def _diff_marks(diff: TraceDiff | None, *, base: bool) -> dict[tuple[object, ...], str]:
    """Which records of one side of a diff are in it only (``only``) or changed."""
    if diff is None:
        return {}
    only = diff.only_in_base if base else diff.only_in_whatif
    marks = {record_key(r): "only" for r in only}
    for c in diff.changed:
        marks[record_key(c.base if base else c.whatif)] = "changed"
    return marks


def sources_section(run: RunView, base: RunView | None) -> str:
    sources: dict[str, Source] = dict(run.scenario.sources)
    if base is not None:
        for key, src in base.scenario.sources.items():
            sources.setdefault(key, src)
    cited = _cited(v.scenario for v in (run, base) if v is not None)
    items = []
    for key, src in sources.items():
        parts = [f"<cite>{esc(src.title)}</cite>"] if src.title else []
        parts += [esc(x) for x in (src.publisher, src.published) if x]
        if src.file:
            parts.append(f"file <code>{esc(src.file)}</code>")
        url = web_url(src.url)
        if url is not None:
            parts.append(f'<a class="url" href="{esc(url)}" rel="noreferrer">{esc(url)}</a>')
        elif src.url:
            parts.append(esc(src.url))
        note = f"<br><small>{esc(src.note)}</small>" if src.note else ""
        uses = cited.get(key, 0)
        items.append(
            f'<li id="source-{esc(key)}"><strong>[{esc(key)}]</strong> {", ".join(parts)} '
            f'<small class="uses">(cited by {uses} event(s))</small>{note}</li>'
        )
    body = f'<ol class="sources">{"".join(items)}</ol>\n' if items else "<p>No sources.</p>\n"
    return section("sources", "Sources", body)


def _cited(scenarios: Iterable[Scenario]) -> dict[str, int]:
    """How many events (of the scenarios together, an event id counted once) cite each source."""
    citing: dict[str, set[str]] = {}
    for scenario in scenarios:
        for e in scenario.events:
            for c in e.source:
                citing.setdefault(c.ref, set()).add(e.id)
    return {ref: len(ids) for ref, ids in citing.items()}


__all__ = ["events_section", "sources_section"]
