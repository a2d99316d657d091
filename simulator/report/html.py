"""A scenario's run as one self-contained HTML page: the report of ``dipsim report``.

:func:`report_page` builds the page from what it is given — a trace, its scenario, the state
diagram (a :class:`~simulator.graph.Diagram`, drawn as SVG or not), the timeline figure as SVG
text, the verdicts of ``dipsim check`` and, for a what-if, its base's run and the diff of the
two — and runs nothing itself: :mod:`simulator.reporting` loads, runs, checks and draws, then
calls it. Data flows one way.

The page must open from a USB stick with no network, on a projector and on paper:

* **Self-contained.** The style sheet is inline, there is no script at all, figures are inline
  SVG (their ids prefixed per figure so that two figures never share one), and nothing is
  fetched: no fonts, images or style sheets. The only URLs are the sources' own, as links
  (``<a href>``, followed only when clicked, and only ``http``/``https`` ones).
* **Escaped.** Every piece of text that comes from a scenario (titles, summaries, quotes,
  sources, notes) goes through :func:`html.escape`: scenario files are passed from person to
  person, and a summary must never become markup.
* **Deterministic.** The same inputs give the same bytes; the only clock reading is the
  ``generated`` text a caller may pass.
* **Countable.** Each event row is ``<tr class="event">``, each state of the diagram a
  ``<g class="node" data-state="...">`` (and a ``<tr class="state">`` in the list beside it),
  both with ``data-run`` naming the run (``run`` or ``base``), and each verdict a
  ``<tr class="verdict">``: tests and readers' own tools can count them (docs/report.md).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from simulator.graph import Diagram, to_mermaid
from simulator.report.diff import Departure, TraceDiff, record_key
from simulator.trace import Record, RelationEnd, Trace

if TYPE_CHECKING:
    from simulator.check import CheckReport
    from simulator.model import Citation, Codes, Scenario, Source

ARROW: Final = "→"
MINUS: Final = "\u2212"


@dataclass(frozen=True, slots=True)
class RunView:
    """One run of one scenario, as the page shows it.

    Attributes:
        role: ``run`` (the scenario reported on) or ``base`` (a what-if's base): the prefix of
            the section ids and the value of the rows' ``data-run``.
        file: The scenario file, as the reader should see its name.
        scenario: The scenario that was run.
        trace: Its run.
        relation: The relation the diagram and the timeline follow.
        diagram: The state machine with the relation's path (``graph.diagram(..., trace)``).
        diagram_svg: Graphviz's SVG of ``diagram``; ``None`` shows its Mermaid text instead.
        diagram_note: Why the diagram is not drawn (shown with the Mermaid text).
        timeline_svg: The timeline figure as an ``<svg>`` element (``plots.svg_element``).
        timeline_note: Why there is no timeline figure (shown in its place).
    """

    role: str
    file: str
    scenario: Scenario
    trace: Trace
    relation: str
    diagram: Diagram
    diagram_svg: str | None = None
    diagram_note: str = ""
    timeline_svg: str | None = None
    timeline_note: str = ""


def report_page(
    run: RunView,
    *,
    check: CheckReport | None = None,
    base: RunView | None = None,
    diff: TraceDiff | None = None,
    version: str = "",
    generated: str | None = None,
) -> str:
    """The whole page, as text (UTF-8 when written).

    Args:
        run: The scenario reported on, and its run.
        check: Its verdicts and analysis (``check.check_scenario``); ``None`` leaves them out.
        base: For a what-if, the run of the scenario it extends (same seed).
        diff: For a what-if, ``report.diff.diff_traces(base.trace, run.trace)``.
        version: dipsim's version, named in the header and the footer.
        generated: When the page was made, as text to show; ``None`` (the default) shows
            nothing, so that the same inputs give the same bytes.
    """
    scenario = run.scenario
    whatif = base is not None and diff is not None
    sections = [
        _summary(run, check, base, diff),
        _diagram_section(run, "The state machine and the run's path"),
        _timeline_section(run),
        _events_section(run, diff),
    ]
    if base is not None and diff is not None:
        sections.append(_diff_section(diff))
        sections.append(_base_section(base, diff))
    if check is not None:
        sections.append(_checks_section(check))
    sections.append(_sources_section(run, base))
    kind = "what-if report" if whatif else "report"
    title = f"{scenario.title} — dipsim {kind}"
    head = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="dipsim {_e(version)}">\n'
        f"<title>{_e(title)}</title>\n"
        # An empty icon: otherwise a browser asks the server (or the disk) for /favicon.ico.
        '<link rel="icon" href="data:,">\n'
        f"<style>\n{STYLE}</style>\n</head>\n"
    )
    body = (
        f'<body data-kind="{"whatif" if whatif else "scenario"}">\n'
        + _header(run, base, kind, version, generated)
        + '<main id="main">\n'
        + "".join(sections)
        + "</main>\n"
        + _footer(run, base, version)
        + "</body>\n</html>\n"
    )
    return head + body


# --- small pieces ---------------------------------------------------------------------------------


def _e(text: object) -> str:
    """``text`` escaped for HTML text and attribute values (quotes included)."""
    return html.escape(str(text), quote=True)


def _ident(name: str) -> str:
    """A name (event id, type, state) escaped, with a break allowed after each ``_``, ``-``
    and ``.``: in a narrow column (on paper, say) ``envoys_recalled`` then breaks where a
    reader would, not at whichever letter the column ends."""
    return re.sub(r"([_.-])(?=.)", r"\1<wbr>", _e(name))


def _signed(value: float | None) -> str:
    """A Goldstein value: ``+5``, ``−10`` (a true minus), ``0``; ``""`` for none."""
    if value is None:
        return ""
    return "0" if value == 0 else f"{value:+g}".replace("-", MINUS)


def _state_change(r: Record) -> str:
    """The state cell, in the words of ``dipsim run``'s table."""
    if r.outcome == "transition" and r.before != r.after:
        return f"{_ident(r.before)} {ARROW} <strong>{_ident(r.after)}</strong>"
    if r.outcome == "transition":
        return f"{_ident(r.after)} (again)"
    if r.outcome == "guard_failed":
        return f"{_ident(r.after)} (guard not met)"
    return f"{_ident(r.after)} (unchanged)"


def _date_cell(r: Record) -> str:
    """The day, and under it the time of day when there is one (a response's, say)."""
    day = r.when.date().isoformat()
    clock = r.date_text[len(day) + 1 :]
    shown = f"{day}<br><small>{_e(clock)}</small>" if clock else day
    return f'<time datetime="{_e(r.when.isoformat())}">{shown}</time>'


def _parties(r: Record) -> str:
    return f"{_e(r.actor)} {ARROW} {_e(', '.join(r.target))}"


def _main_variable(trace: Trace) -> str | None:
    """The variable of the table's last column: tension, else the first one, as ``dipsim run``."""
    if not trace.variables:
        return None
    return "tension" if "tension" in trace.variables else trace.variables[0]


def _value(r: Record | None, variable: str | None) -> str:
    if r is None or variable is None or variable not in r.variables:
        return ""
    return f"{r.variables[variable]:.2f}"


def _web_url(url: str | None) -> str | None:
    """``url`` if it is an http(s) address; anything else (``javascript:``...) is not a link."""
    if url and re.match(r"https?://[^\s<>\"']+$", url.strip(), re.IGNORECASE):
        return url.strip()
    return None


def _section(ident: str, heading: str, body: str, *, level: int = 2, extra: str = "") -> str:
    return (
        f'<section id="{_e(ident)}" aria-labelledby="{_e(ident)}-h"{extra}>\n'
        f'<h{level} id="{_e(ident)}-h">{heading}</h{level}>\n{body}</section>\n'
    )


# --- header, summary and footer -----------------------------------------------------------------


def _header(
    run: RunView, base: RunView | None, kind: str, version: str, generated: str | None
) -> str:
    s, t = run.scenario, run.trace
    facts = [
        ("span", f"{t.start.isoformat()} .. {t.stop.isoformat()}"),
        ("seed", str(t.seed)),
        ("relation drawn", run.relation),
        ("scenario file", run.file),
    ]
    if base is not None:
        facts.append(("extends", base.file))
    if version:
        facts.append(("made with", f"dipsim {version}"))
    if generated:
        facts.append(("generated", generated))
    items = "".join(f"<div><dt>{_e(k)}</dt><dd>{_e(v)}</dd></div>" for k, v in facts)
    description = (
        "".join(f"<p>{_e(p.strip())}</p>" for p in s.description.split("\n\n") if p.strip())
        if s.description
        else ""
    )
    return (
        '<header class="page">\n'
        f'<p class="kicker">dipsim {_e(kind)}</p>\n'
        f"<h1>{_e(s.title)}</h1>\n"
        f'<div class="description">{description}</div>\n'
        f'<dl class="facts">{items}</dl>\n'
        f"{_contents(base is not None)}"
        "</header>\n"
    )


def _contents(whatif: bool) -> str:
    entries = [
        ("summary", "At a glance"),
        ("run-diagram", "State machine"),
        ("run-timeline", "Timeline"),
        ("run-events", "Events"),
    ]
    if whatif:
        entries += [("diff", "Against the base"), ("base", "The base's run")]
    entries += [("checks", "Checks"), ("sources", "Sources")]
    links = "".join(f'<li><a href="#{i}">{_e(label)}</a></li>' for i, label in entries)
    return f'<nav aria-label="Contents"><ol>{links}</ol></nav>\n'


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


def _summary(
    run: RunView, check: CheckReport | None, base: RunView | None, diff: TraceDiff | None
) -> str:
    t = run.trace
    variable = _main_variable(t)
    rows = []
    for end in t.final:
        value = f"{end.variables[variable]:.2f}" if variable and variable in end.variables else ""
        path = f" {ARROW} ".join(_e(s) for s in _path_of(t, end.relation))
        rows.append(
            f'<tr class="final" data-relation="{_e(end.relation)}">'
            f'<th scope="row">{_e(end.relation)}</th>'
            f'<td><span class="state-name ended">{_e(end.state)}</span></td>'
            f'<td class="num">{value}</td><td class="path">{path}</td></tr>'
        )
    var_head = f'<th scope="col" class="num">{_e(variable)}</th>' if variable else "<th></th>"
    table = (
        '<table class="finals"><caption>How the run ended</caption>'
        f'<thead><tr><th scope="col">relation</th><th scope="col">final state</th>{var_head}'
        '<th scope="col">path</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>\n"
    )
    counts = _Counts.of(t.records)
    facts = [f"{len(t.records)} events recorded: {counts.phrase()}."]
    if check is not None:
        facts.append(_check_phrase(check))
    if diff is not None and base is not None:
        facts.append(_departure_phrase(diff))
    lead = "".join(f"<p>{f}</p>\n" for f in facts)
    return _section("summary", "At a glance", lead + table)


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


def _check_phrase(check: CheckReport) -> str:
    failed = sum(not r.passed for r in check.results)
    total = len(check.results)
    warnings = sum(f.severity in {"error", "warning"} for f in check.findings)
    notes = len(check.findings) - warnings
    if total:
        verdict = (
            f'<span class="badge pass">all {total} hold</span>'
            if not failed
            else f'<span class="badge fail">{failed} of {total} fail</span>'
        )
        claims = f'Expectations and invariants: {verdict} (<a href="#checks">details</a>).'
    else:
        claims = "The scenario states no expectations or invariants."
    return (
        f"{claims} Static analysis of the machine: {warnings} error(s) or warning(s), "
        f"{notes} note(s)."
    )


def _footer(run: RunView, base: RunView | None, version: str) -> str:
    files = ", ".join(_e(v.file) for v in (run, base) if v is not None)
    made = f"dipsim {_e(version)}" if version else "dipsim"
    return (
        '<footer class="page"><p>Made by '
        f"{made} from {files}. This page is self-contained: it loads nothing from the network "
        "and runs no script.</p></footer>\n"
    )


# --- the state diagram ----------------------------------------------------------------------------

_SVG_JUNK: Final = re.compile(r"<!--.*?-->|<metadata>.*?</metadata>", re.DOTALL)
_SVG_ID: Final = re.compile(r'(?<=\s)id="([^"]+)"')
_SVG_HREF: Final = re.compile(r'(?<=[\s:])href="#([^"]+)"')
_SVG_URL: Final = re.compile(r"url\(#([^)]+)\)")
_GRAPHVIZ_NODE: Final = re.compile(r'<g id="([^"]+)" class="node">(\s*<title>)([^<]*)(</title>)')


def inline_svg(svg: str, prefix: str) -> str:
    """An SVG document as an element to inline in the page.

    The XML prolog, doctype, comments and metadata go (the metadata names the drawing program
    and its version, which would make the page's bytes depend on them); every id is prefixed,
    and every reference to one (``href="#..."``, ``url(#...)``) with it, so that two figures of
    one page never share an id (matplotlib numbers its groups ``figure_1``, ``axes_1``... in
    every figure).
    """
    start = svg.find("<svg")
    body = _SVG_JUNK.sub("", svg[start:] if start >= 0 else svg).strip()
    ids = set(_SVG_ID.findall(body))

    def new(name: str) -> str:
        return f"{prefix}-{name}" if name in ids else name

    body = _SVG_ID.sub(lambda m: f'id="{new(m.group(1))}"', body)
    body = _SVG_HREF.sub(lambda m: f'href="#{new(m.group(1))}"', body)
    return _SVG_URL.sub(lambda m: f"url(#{new(m.group(1))})", body)


def _mark_states(svg: str, diagram: Diagram) -> str:
    """Graphviz's node groups tagged with the state they draw and its part in the run."""
    nodes = {n.name: n for n in diagram.nodes}

    def tag(match: re.Match[str]) -> str:
        ident, opening, title, closing = match.groups()
        node = nodes.get(html.unescape(title))
        if node is None:  # the initial pseudo-state's dot
            return match.group(0)
        return (
            f'<g id="{ident}" class="node {_node_class(node.visited, node.ended)}" '
            f'data-state="{_e(node.name)}">{opening}{title}{closing}'
        )

    return _GRAPHVIZ_NODE.sub(tag, svg)


def _node_class(visited: bool, ended: bool) -> str:
    return "ended" if ended else "visited" if visited else "unvisited"


def _diagram_section(view: RunView, heading: str) -> str:
    d = view.diagram
    role = view.role
    if view.diagram_svg is not None:
        svg = _mark_states(inline_svg(view.diagram_svg, f"{role}-machine"), d)
        drawing = f'<div class="svg-wrap diagram">{svg}</div>'
    else:
        note = f'<p class="note">{_e(view.diagram_note)}</p>' if view.diagram_note else ""
        drawing = f'{note}<pre class="mermaid-text" data-run="{role}">{_e(to_mermaid(d))}</pre>'
    taken = sum(len(e.firings) for e in d.edges)
    caption = (
        f"Every state and transition of the machine. Highlighted: the path {_e(view.relation)} "
        f"took in this run ({taken} transition(s), numbered in order, with the events that "
        "fired them); its last state has the thickest border. Transitions are labelled with "
        "their trigger and guard."
    )
    body = (
        f'<figure class="machine" data-run="{role}">{drawing}'
        f"<figcaption>{caption}</figcaption></figure>\n{_states_table(view)}"
    )
    return _section(f"{role}-diagram", heading, body)


def _states_table(view: RunView) -> str:
    rows = []
    entered = _first_entered(view.trace, view.relation)
    entered.setdefault(view.diagram.initial, "at the start")
    for n in view.diagram.nodes:
        part = "ended here" if n.ended else "visited" if n.visited else "not visited"
        when = entered.get(n.name, "")
        rows.append(
            f'<tr class="state {_node_class(n.visited, n.ended)}" data-run="{view.role}" '
            f'data-state="{_e(n.name)}"><th scope="row"><span class="state-name">'
            f"{_e(n.name)}</span>{' <small>(final)</small>' if n.final else ''}</th>"
            f"<td>{_e(n.description)}</td><td>{part}</td><td>{_e(when)}</td></tr>"
        )
    return (
        f'<table class="states"><caption>The states of the machine, and {_e(view.relation)} in '
        "this run</caption><thead><tr>"
        '<th scope="col">state</th><th scope="col">meaning</th>'
        '<th scope="col">in this run</th><th scope="col">first entered</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>\n"
    )


def _first_entered(trace: Trace, relation: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for r in trace.records:
        if r.relation == relation and r.outcome == "transition":
            found.setdefault(r.after, f"{r.date_text} ({r.event})")
    return found


# --- the timeline ---------------------------------------------------------------------------------


def _timeline_section(view: RunView) -> str:
    if view.timeline_svg is not None:
        svg = inline_svg(view.timeline_svg, f"{view.role}-timeline")
        drawing = f'<div class="svg-wrap timeline">{svg}</div>'
    else:
        drawing = f'<p class="note missing-figure">{_e(view.timeline_note)}</p>'
    caption = (
        f"{_e(view.relation)} over the run. Top: its state (a step band, states in the "
        "machine's order) and tension. Bottom: each event at its Goldstein value, red for "
        "conflict, green for cooperation, ringed when it changed the state; the numbers are "
        "those of the event table's first column."
    )
    body = (
        f'<figure class="timeline" data-run="{view.role}">{drawing}'
        f"<figcaption>{caption}</figcaption></figure>\n"
    )
    return _section(f"{view.role}-timeline", "Timeline", body)


# --- the events -----------------------------------------------------------------------------------


def _codes_by_cause(scenario: Scenario) -> dict[tuple[str, str], Codes]:
    """Each event's and each rule's codes, keyed (``script``, id) or (``rule:ID``, ``""``):
    the trace keeps CAMEO and Goldstein, but PLOVER only the scenario knows."""
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
    if r.cameo:
        parts.append(
            f'<span class="code"><abbr title="CAMEO event code">CAMEO</abbr> {_e(r.cameo)}</span>'
        )
    if r.goldstein is not None:
        tone = "conflict" if r.goldstein < 0 else "coop" if r.goldstein > 0 else "neutral"
        parts.append(
            f'<span class="code gs {tone}"><abbr title="Goldstein scale, −10 to +10">G</abbr> '
            f"{_signed(r.goldstein)}</span>"
        )
    if codes is not None and codes.plover:
        # A break allowed after the slash: ``ASSAULT/heavy-weapons`` is wider than its cell.
        plover = _e(codes.plover).replace("/", "/<wbr>")
        parts.append(f'<span class="code">PLOVER {plover}</span>')
    return "<br>".join(parts) if parts else '<span class="none">—</span>'


def _citations_by_cause(scenario: Scenario) -> dict[tuple[str, str], tuple[Citation, ...]]:
    """Every citation of each event and rule, keyed as :func:`_codes_by_cause`: a trace keeps
    only the first (the quote an event rests on); the others, often the public source of a
    date, are worth showing too."""
    found: dict[tuple[str, str], tuple[Citation, ...]] = {}
    for e in scenario.events:
        found[("script", e.id)] = e.source
    for rule in scenario.rules:
        found[(f"rule:{rule.id}", "")] = rule.source or ()
    return found


def _source_line(ref: str, sources: dict[str, Source]) -> str:
    """A source's title, publisher, date and web address, then its id linking to the list."""
    src = sources.get(ref)
    parts = []
    if src is not None:
        if src.title:
            parts.append(f"<cite>{_e(src.title)}</cite>")
        parts += [_e(x) for x in (src.publisher, src.published) if x]
        url = _web_url(src.url)
        if url is not None:
            parts.append(f'<a class="url" href="{_e(url)}" rel="noreferrer">{_e(url)}</a>')
    return f'{", ".join(parts)} <a href="#source-{_e(ref)}">[{_e(ref)}]</a>'


def _citation(r: Record, more: Sequence[Citation], sources: dict[str, Source]) -> str:
    """The record's quote and source, then the event's other citations (smaller)."""
    out = ""
    if r.quote:
        out += f'<blockquote class="quote">“{_e(r.quote)}”</blockquote>'
    if r.source is not None:
        out += f'<p class="cite">— {_source_line(r.source, sources)}</p>'
    for c in more:
        if (c.ref, c.quote) == (r.source, r.quote):
            continue  # the one shown above
        quote = f"“{_e(c.quote)}” " if c.quote else ""
        note = f" — {_e(c.note)}" if c.note else ""
        out += f'<p class="cite also">also: {quote}{_source_line(c.ref, sources)}{note}</p>'
    return out


def _event_row(
    r: Record,
    view: RunView,
    number: int | None,
    codes: dict[tuple[str, str], Codes],
    citations: dict[tuple[str, str], tuple[Citation, ...]],
    mark: str,
) -> str:
    variable = _main_variable(view.trace)
    key = (r.cause, r.event if r.cause == "script" else "")
    cause = ""
    if r.cause != "script":
        after = f" to {', '.join(_ident(c) for c in r.caused_by)}" if r.caused_by else ""
        cause = f'<br><small class="cause">response{after} ({_ident(r.cause)})</small>'
    elif r.caused_by:
        causes = ", ".join(_ident(c) for c in r.caused_by)
        cause = f'<br><small class="cause">caused by {causes}</small>'
    badge = f' <span class="badge diff-{mark}">{_DIFF_LABEL[mark]}</span>' if mark else ""
    data = f' data-diff="{mark}"' if mark else ""
    return (
        f'<tr class="event {_e(r.outcome)}" data-run="{view.role}" data-event="{_e(r.event)}" '
        f'data-relation="{_e(r.relation)}" data-outcome="{_e(r.outcome)}"{data}>'
        f'<td class="num marker">{number if number is not None else ""}</td>'
        f'<td class="date">{_date_cell(r)}<br><span class="relation">{_ident(r.relation)}'
        "</span></td>"
        f'<th scope="row" class="event-id">{_ident(r.event)}{badge}<br>'
        f'<span class="type">{_ident(r.type)}</span><br>'
        f'<span class="parties">{_parties(r)}</span>{cause}</th>'
        f'<td class="change">{_state_change(r)}<br>'
        f'<small class="outcome">{_e(r.outcome)}</small></td>'
        f'<td class="num">{_value(r, variable)}</td>'
        f'<td class="codes">{_codes_cell(r, codes.get(key))}</td>'
        f'<td class="what"><p class="summary">{_e(r.summary)}</p>'
        f"{_citation(r, citations.get(key, ()), view.scenario.sources)}</td></tr>"
    )


_DIFF_LABEL: Final = {"only": "only here", "changed": "changed"}
#: The event table's columns (their widths are in the style sheet: a fixed layout that fits
#: the page's width whatever the length of a quote).
_EVENT_COLUMNS: Final = ("c-num", "c-date", "c-event", "c-change", "c-value", "c-codes", "c-what")


def _events_section(view: RunView, diff: TraceDiff | None) -> str:
    t = view.trace
    marks = _diff_marks(diff, base=view.role == "base")
    codes = _codes_by_cause(view.scenario)
    citations = _citations_by_cause(view.scenario)
    variable = _main_variable(t)
    rows = []
    number = 0
    for r in t.records:
        shown: int | None = None
        if r.relation == view.relation:
            number += 1
            shown = number
        mark = marks.get(record_key(r), "")
        rows.append(_event_row(r, view, shown, codes, citations, mark))
    columns = "".join(f'<col class="{name}">' for name in _EVENT_COLUMNS)
    head = (
        f"<colgroup>{columns}</colgroup>"
        '<thead><tr><th scope="col" class="num" title="number on the timeline">#</th>'
        '<th scope="col">date, relation</th>'
        '<th scope="col">event, type, actor → target</th>'
        '<th scope="col">state change and outcome</th>'
        f'<th scope="col" class="num">{_e(variable or "")}</th><th scope="col">codes</th>'
        '<th scope="col">what happened, and the source</th></tr></thead>'
    )
    empty = (
        '<tr><td colspan="7" class="none">No event happened in this run.</td></tr>'
        if not rows
        else ""
    )
    caption = (
        f"Every event of the run, in order ({len(t.records)}). # numbers the events of "
        f"{_e(view.relation)} as on the timeline. Codes: CAMEO event code, Goldstein value "
        "(G), PLOVER type."
    )
    if marks:
        caption += " A badge marks an event that differs from the other run."
    table = (
        f'<div class="table-wrap"><table class="events" data-run="{view.role}">'
        f"<caption>{caption}</caption>{head}"
        f"<tbody>{''.join(rows)}{empty}</tbody></table></div>\n"
    )
    return _section(f"{view.role}-events", "Events", table)


def _diff_marks(diff: TraceDiff | None, *, base: bool) -> dict[tuple[object, ...], str]:
    """Which records of one side of a diff are in it only (``only``) or changed."""
    if diff is None:
        return {}
    only = diff.only_in_base if base else diff.only_in_whatif
    marks = {record_key(r): "only" for r in only}
    for c in diff.changed:
        marks[record_key(c.base if base else c.whatif)] = "changed"
    return marks


# --- the diff and the base ------------------------------------------------------------------------


def _record_phrase(r: Record | None) -> str:
    if r is None:
        return "nothing more"
    return (
        f"<strong>{_e(r.event)}</strong> ({_e(r.type)}, {_parties(r)}): {_e(r.relation)} "
        f"{_state_change(r)}"
    )


def _departure_phrase(diff: TraceDiff, *, link: bool = True) -> str:
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
    where = f"after {_e(var.event)}" if var.event else "at the end"
    values = ", ".join(
        f"{_e(k)} {var.base.get(k, 0.0):.2f} | {var.whatif.get(k, 0.0):.2f}" for k in var.whatif
    )
    return (
        f"The same events and states, but the values differ from {var.date.isoformat()} "
        f"{where} on {_e(var.relation)} (base | what-if: {values})."
    )


def _diff_section(diff: TraceDiff) -> str:
    departure = _departure_phrase(diff, link=False)
    lead = f'<p class="lead">Both run with seed {diff.whatif.seed}. {departure}</p>\n'
    parts = [
        lead,
        _only_table(diff),
        _changed_table(diff),
        _gaps_table(diff),
        _finals_table(diff),
    ]
    return _section("diff", "The what-if against its base", "".join(parts))


def _only_table(diff: TraceDiff) -> str:
    rows = [("base", r) for r in diff.only_in_base] + [("what-if", r) for r in diff.only_in_whatif]
    rows.sort(key=lambda item: item[1].when)
    body = "".join(
        f'<tr class="diff-only" data-side="{side}"><td>{_e(r.date_text)}</td>'
        f'<th scope="row">{_e(r.event)}</th><td>{_e(r.relation)}</td><td>{_e(r.type)}</td>'
        f"<td>{_state_change(r)}</td><td>{side}</td></tr>"
        for side, r in rows
    )
    return _small_table(
        "Events in one run only",
        ["date", "event", "relation", "type", "state change", "only in"],
        body,
        6,
    )


def _changed_table(diff: TraceDiff) -> str:
    body = "".join(
        f'<tr class="diff-changed"><th scope="row">{_e(c.base.event)}</th>'
        f"<td>{_e(c.base.relation)}</td><td>{_e(', '.join(c.changed))}</td>"
        f"<td>{_e(c.base.date_text)}: {_state_change(c.base)}</td>"
        f"<td>{_e(c.whatif.date_text)}: {_state_change(c.whatif)}</td></tr>"
        for c in diff.changed
    )
    return _small_table(
        "Events in both runs that differ",
        ["event", "relation", "what differs", "base", "what-if"],
        body,
        5,
    )


def _gaps_table(diff: TraceDiff) -> str:
    body = "".join(
        f'<tr class="diff-state"><td>{g.first.isoformat()}</td><td>{g.last.isoformat()}</td>'
        f'<th scope="row">{_e(g.relation)}</th><td>{_e(g.base or "—")}</td>'
        f"<td>{_e(g.whatif or '—')}</td></tr>"
        for g in diff.states
    )
    return _small_table(
        "States that differ, at the end of each day",
        ["from", "to", "relation", "base", "what-if"],
        body,
        5,
    )


def _finals_table(diff: TraceDiff) -> str:
    variable = _main_variable(diff.whatif) or _main_variable(diff.base)

    def end(e: RelationEnd | None) -> str:
        if e is None:
            return "—"
        shown = f" ({variable} {e.variables[variable]:.2f})" if variable in e.variables else ""
        return _e(e.state + shown)

    body = "".join(
        f'<tr class="diff-final"><th scope="row">{_e(f.relation)}</th><td>{end(f.base)}</td>'
        f"<td>{end(f.whatif)}</td><td>{'same' if f.same else '<strong>differs</strong>'}</td></tr>"
        for f in diff.final
    )
    return _small_table("Final states", ["relation", "base", "what-if", ""], body, 4)


def _small_table(caption: str, columns: Sequence[str], body: str, width: int) -> str:
    head = "".join(f'<th scope="col">{_e(c)}</th>' for c in columns)
    if not body:
        body = f'<tr><td colspan="{width}" class="none">none</td></tr>'
    return (
        f'<table class="compact"><caption>{_e(caption)}</caption><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table>\n"
    )


def _base_section(base: RunView, diff: TraceDiff) -> str:
    inner = "".join(
        _demote(part)
        for part in (
            _diagram_section(base, "The state machine and the base's path"),
            _timeline_section(base),
            _events_section(base, diff),
        )
    )
    intro = (
        f'<p class="lead">The scenario the what-if extends, <strong>{_e(base.scenario.title)}'
        f"</strong> ({_e(base.file)}), run with the same seed.</p>\n"
    )
    return _section("base", "The base's run", intro + inner, extra=' data-run="base"')


def _demote(section: str) -> str:
    """A section's ``<h2>`` as ``<h3>``: the base's parts sit inside its own section."""
    return re.sub(r"<(/?)h2\b", r"<\1h3", section)


# --- checks and sources ---------------------------------------------------------------------------


def _checks_section(check: CheckReport) -> str:
    how = (
        f"{check.runs:,} runs, run k seeded from {check.seed} and k (its rules draw at random)"
        if check.stochastic
        else f"one run, seed {check.seed} (nothing in the scenario is random)"
    )
    rows = []
    for r in check.results:
        mark = "pass" if r.passed else "fail"
        note = (
            f'<p class="note">{_e(" ".join(r.note.split()))}</p>' if r.note and not r.passed else ""
        )
        unsure = (
            " <small>(the 95% interval includes the bound: more runs would settle it)</small>"
            if r.inconclusive
            else ""
        )
        rows.append(
            f'<tr class="verdict {mark}" data-item="{_e(r.name)}">'
            f'<td><span class="badge {mark}">{mark.upper()}</span></td>'
            f'<th scope="row">{_e(r.name)}</th><td>{_e(r.label)}</td>'
            f'<td class="evidence">{_e(r.evidence)}{unsure}{note}</td></tr>'
        )
    if rows:
        verdicts = (
            f"<p>Judged on {_e(how)}.</p>\n"
            '<table class="verdicts"><caption>Expectations (expect) and invariants</caption>'
            '<thead><tr><th scope="col">result</th><th scope="col">item</th>'
            '<th scope="col">claim</th><th scope="col">evidence</th></tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>\n"
        )
    else:
        verdicts = "<p>The scenario states no expectations (expect) or invariants.</p>\n"
    return _section("checks", "Checks", verdicts + _findings_table(check))


def _findings_table(check: CheckReport) -> str:
    if not check.findings:
        return "<p>Static analysis of the machine and the rules: nothing found.</p>\n"
    order = {"error": 0, "warning": 1, "info": 2}
    rows = "".join(
        f'<tr class="finding {_e(f.severity)}"><td><span class="badge sev-{_e(f.severity)}">'
        f"{'note' if f.severity == 'info' else _e(f.severity)}</span></td>"
        f'<th scope="row"><code>{_e(f.code)}</code><br>'
        f'<small class="where">{_e(f.location)}</small></th><td>{_e(f.message)}</td></tr>'
        for f in sorted(check.findings, key=lambda f: order.get(f.severity, 3))
    )
    return (
        '<table class="findings"><caption>Static analysis of the machine and the rules '
        "(docs/checking.md explains each code)</caption>"
        '<thead><tr><th scope="col">severity</th><th scope="col">finding, and where</th>'
        '<th scope="col">message</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>\n"
    )


def _sources_section(run: RunView, base: RunView | None) -> str:
    sources: dict[str, Source] = dict(run.scenario.sources)
    if base is not None:
        for key, src in base.scenario.sources.items():
            sources.setdefault(key, src)
    cited = _cited(v.scenario for v in (run, base) if v is not None)
    items = []
    for key, src in sources.items():
        parts = [f"<cite>{_e(src.title)}</cite>"] if src.title else []
        parts += [_e(x) for x in (src.publisher, src.published) if x]
        if src.file:
            parts.append(f"file <code>{_e(src.file)}</code>")
        url = _web_url(src.url)
        if url is not None:
            parts.append(f'<a class="url" href="{_e(url)}" rel="noreferrer">{_e(url)}</a>')
        elif src.url:
            parts.append(_e(src.url))
        note = f"<br><small>{_e(src.note)}</small>" if src.note else ""
        uses = cited.get(key, 0)
        items.append(
            f'<li id="source-{_e(key)}"><strong>[{_e(key)}]</strong> {", ".join(parts)} '
            f'<small class="uses">(cited by {uses} event(s))</small>{note}</li>'
        )
    body = f'<ol class="sources">{"".join(items)}</ol>\n' if items else "<p>No sources.</p>\n"
    return _section("sources", "Sources", body)


def _cited(scenarios: Iterable[Scenario]) -> dict[str, int]:
    """How many events (of the scenarios together, an event id counted once) cite each source."""
    citing: dict[str, set[str]] = {}
    for scenario in scenarios:
        for e in scenario.events:
            for c in e.source:
                citing.setdefault(c.ref, set()).add(e.id)
    return {ref: len(ids) for ref, ids in citing.items()}


# --- the style sheet ------------------------------------------------------------------------------

#: Inline, system fonts only (nothing to fetch); sized for a projector at the back of a room,
#: with a print style sheet (landscape, no navigation, links written out, rows kept whole).
STYLE: Final = """\
:root { --ink: #1b1b1b; --muted: #5a5a5a; --line: #d0d0d0; --zebra: #f6f6f4;
  --accent: #b35900; --pass: #1b6e20; --fail: #b71c1c; --conflict: #c62828; --coop: #2e7d32; }
* { box-sizing: border-box; }
html { font-size: 18px; }
body { margin: 0 auto; max-width: 1500px; padding: 1.5rem 2rem 3rem; color: var(--ink);
  background: #fff; line-height: 1.45;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans",
    "Liberation Sans", Arial, sans-serif; }
h1 { font-size: 2.1rem; line-height: 1.2; margin: .2rem 0 .6rem; }
h2 { font-size: 1.55rem; margin: 2.4rem 0 .8rem; padding-bottom: .25rem;
  border-bottom: 3px solid var(--accent); }
h3 { font-size: 1.25rem; margin: 1.8rem 0 .6rem; }
a { color: #0b57a4; }
.kicker { margin: 0; text-transform: uppercase; letter-spacing: .08em; font-weight: 700;
  color: var(--accent); font-size: .85rem; }
.description p { max-width: 62rem; margin: .4rem 0; font-size: 1.05rem; }
dl.facts { display: flex; flex-wrap: wrap; gap: .4rem 2rem; margin: 1rem 0; }
dl.facts div { display: flex; gap: .5rem; }
dl.facts dt { color: var(--muted); }
dl.facts dt::after { content: ":"; }
dl.facts dd { margin: 0; font-weight: 600; }
nav ol { list-style: none; display: flex; flex-wrap: wrap; gap: .3rem 1.2rem; padding: .5rem 0;
  margin: 0; border-top: 1px solid var(--line); border-bottom: 1px solid var(--line); }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1.2rem; }
caption { text-align: left; color: var(--muted); padding: .3rem 0; caption-side: top; }
th, td { text-align: left; vertical-align: top; padding: .35rem .5rem;
  border-bottom: 1px solid var(--line); }
thead th { background: #ececea; border-bottom: 2px solid #999; font-size: .9rem; }
tbody tr:nth-child(even) { background: var(--zebra); }
tbody th { font-weight: 600; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.none { color: var(--muted); }
.note { color: var(--muted); font-style: italic; }
.lead { font-size: 1.05rem; }
.table-wrap { overflow-x: auto; }
table.events { font-size: .92rem; table-layout: fixed; }
table.events td, table.events th { overflow-wrap: anywhere; }
col.c-num { width: 2.6%; } col.c-date { width: 9.4%; } col.c-event { width: 17.5%; }
col.c-change { width: 13%; } col.c-value { width: 6.5%; } col.c-codes { width: 10.5%; }
col.c-what { width: 40.5%; }
table.events .date { white-space: nowrap; }
table.events .num { padding-right: .7rem; }
table.events .relation, table.events .parties { font-weight: 400; }
table.events .type, .cause, .outcome { color: var(--muted); font-weight: 400; }
table.events .marker { font-weight: 700; color: var(--accent); }
tr.event.guard_failed .change { color: var(--fail); }
.summary { margin: 0 0 .3rem; }
blockquote.quote { margin: .2rem 0 .2rem .2rem; padding: .1rem 0 .1rem .7rem;
  border-left: 4px solid #c9b48a; font-style: italic; color: #333; }
p.cite { margin: .1rem 0 0; font-size: .85rem; color: var(--muted); }
p.cite a.url, ol.sources a.url { word-break: break-all; }
.codes { font-size: .85rem; }
.gs.conflict { color: var(--conflict); font-weight: 700; }
.gs.coop { color: var(--coop); font-weight: 700; }
abbr { text-decoration: none; }
.badge { display: inline-block; padding: .05rem .45rem; border-radius: .3rem; font-size: .8rem;
  font-weight: 700; color: #fff; background: #777; white-space: nowrap; }
.badge.pass { background: var(--pass); }
.badge.fail, .badge.sev-error { background: var(--fail); }
.badge.sev-warning { background: #a35200; }
.badge.sev-info { background: #6b6b6b; }
.badge.diff-only { background: #6a1b9a; }
.badge.diff-changed { background: #00695c; }
.state-name { font-family: ui-monospace, "DejaVu Sans Mono", "Liberation Mono", monospace;
  font-weight: 700; }
.state-name.ended { background: #ffd966; padding: 0 .3rem; border-radius: .2rem; }
tr.state.unvisited { color: var(--muted); }
tr.state.ended th .state-name { background: #ffd966; padding: 0 .3rem; border-radius: .2rem; }
tr.verdict.fail { background: #fdecea; }
tr.finding.info { color: #444; }
.where { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: .8rem;
  font-weight: 400; color: var(--muted); }
td.path { font-size: .9rem; }
figure { margin: .5rem 0 1rem; }
figcaption { color: var(--muted); font-size: .9rem; margin-top: .4rem; max-width: 70rem; }
.svg-wrap { border: 1px solid var(--line); border-radius: .3rem; padding: .5rem;
  background: #fff; overflow-x: auto; }
.svg-wrap svg { display: block; max-width: 100%; height: auto; margin: 0 auto; }
pre.mermaid-text { background: #f4f4f4; padding: .8rem; overflow-x: auto; font-size: .85rem; }
section[data-run="base"] > h2 { border-bottom-color: #555; }
ol.sources li { margin: .3rem 0; }
footer.page { margin-top: 3rem; padding-top: .6rem; border-top: 1px solid var(--line);
  color: var(--muted); font-size: .85rem; }
@media (max-width: 900px) { html { font-size: 16px; } body { padding: 1rem; } }
@media print {
  @page { size: landscape; margin: 12mm; }
  html { font-size: 10pt; }
  body { max-width: none; padding: 0; }
  nav { display: none; }
  h2 { break-after: avoid; margin-top: 1.2rem; }
  h3 { break-after: avoid; }
  section#run-diagram, section#run-timeline, section#run-events, section#diff, section#base,
  section#checks { break-before: page; }
  figure, tr, blockquote { break-inside: avoid; }
  thead { display: table-header-group; }
  .table-wrap, .svg-wrap { overflow: visible; border: none; padding: 0; }
  a { color: inherit; text-decoration: none; }
  .badge, .state-name.ended, tr.verdict.fail, thead th { print-color-adjust: exact;
    -webkit-print-color-adjust: exact; }
  tbody tr:nth-child(even) { background: none; }
  /* Paper is narrower than a screen for the same type: quotes give way to the other columns. */
  col.c-num { width: 3%; } col.c-date { width: 10.5%; } col.c-event { width: 19%; }
  col.c-change { width: 14%; } col.c-value { width: 7%; } col.c-codes { width: 11%; }
  col.c-what { width: 35.5%; }
}
"""


__all__ = ["STYLE", "RunView", "inline_svg", "report_page"]
