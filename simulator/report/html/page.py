"""A scenario's run as one self-contained HTML page: the report of ``dipsim report``.

:func:`report_page` builds the page from what it is given — a trace, its scenario, the state
diagram (a :class:`~simulator.graph.Diagram`, drawn as SVG or not), the timeline figure as SVG
text, the verdicts of ``dipsim check`` and, for a what-if, its base's run and the diff of the
two — and runs nothing itself: :mod:`simulator.report.html.build` loads, runs, checks and draws,
then
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

Each part of the page has a module of its own; this one assembles them (data flows one way,
from the top of this list down to here):

* :mod:`~simulator.report.html.view`: :class:`RunView`, one run as the page shows it;
* :mod:`~simulator.report.html.parts`: escaping and the small pieces of markup;
* :mod:`~simulator.report.html.style`: the inline style sheet;
* :mod:`~simulator.report.html.figures`: the state diagram and the timeline (inlined SVG);
* :mod:`~simulator.report.html.events`: the events, and the sources they cite;
* :mod:`~simulator.report.html.diff`: a what-if against its base;
* :mod:`~simulator.report.html.checks`: the verdicts and the static analysis;
* :mod:`~simulator.report.html.glance`: "At a glance";
* this module: the page, its header and footer, and the base's run of a what-if.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from simulator.report.html.checks import checks_section
from simulator.report.html.diff import diff_section
from simulator.report.html.events import events_section, sources_section
from simulator.report.html.figures import (
    diagram_section,
    inline_svg,
    state_css,
    timeline_section,
)
from simulator.report.html.glance import glance_section
from simulator.report.html.parts import esc, section
from simulator.report.html.style import STYLE
from simulator.report.html.view import RunView

if TYPE_CHECKING:
    from simulator.check.checker import CheckReport
    from simulator.report.diff import TraceDiff


def _coloured(run: RunView, base: RunView | None) -> list[RunView]:
    """The views whose states the page colours: each run's, and each of its tracks'."""
    return [t for v in (run, base) if v for t in (v, *v.tracks)]


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
        glance_section(run, check, base, diff),
        diagram_section(run, "The state machine and the run's path"),
        *(
            diagram_section(view, f"Track {name} and the run's path")
            for name, view in zip(run.scenario.tracks, run.tracks, strict=True)
        ),
        timeline_section(run),
        events_section(run, diff),
    ]
    if base is not None and diff is not None:
        sections.append(diff_section(diff))
        sections.append(_base_section(base, diff))
    if check is not None:
        sections.append(checks_section(check))
    sections.append(sources_section(run, base))
    kind = "what-if report" if whatif else "report"
    title = f"{scenario.title} — dipsim {kind}"
    head = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="dipsim {esc(version)}">\n'
        f"<title>{esc(title)}</title>\n"
        # An empty icon: otherwise a browser asks the server (or the disk) for /favicon.ico.
        '<link rel="icon" href="data:,">\n'
        f"<style>\n{STYLE}{''.join(state_css(v) for v in _coloured(run, base))}</style>\n"
        "</head>\n"
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
    items = "".join(f"<div><dt>{esc(k)}</dt><dd>{esc(v)}</dd></div>" for k, v in facts)
    description = (
        "".join(f"<p>{esc(p.strip())}</p>" for p in s.description.split("\n\n") if p.strip())
        if s.description
        else ""
    )
    return (
        '<header class="page">\n'
        f'<p class="kicker">dipsim {esc(kind)}</p>\n'
        f"<h1>{esc(s.title)}</h1>\n"
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
    links = "".join(f'<li><a href="#{i}">{esc(label)}</a></li>' for i, label in entries)
    return f'<nav aria-label="Contents"><ol>{links}</ol></nav>\n'


def _footer(run: RunView, base: RunView | None, version: str) -> str:
    files = ", ".join(esc(v.file) for v in (run, base) if v is not None)
    made = f"dipsim {esc(version)}" if version else "dipsim"
    return (
        '<footer class="page"><p>Made by '
        f"{made} from {files}. This page is self-contained: it loads nothing from the network "
        "and runs no script.</p></footer>\n"
    )


def _base_section(base: RunView, diff: TraceDiff) -> str:
    inner = "".join(
        _demote(part)
        for part in (
            diagram_section(base, "The state machine and the base's path"),
            timeline_section(base),
            events_section(base, diff),
        )
    )
    intro = (
        f'<p class="lead">The scenario the what-if extends, <strong>{esc(base.scenario.title)}'
        f"</strong> ({esc(base.file)}), run with the same seed.</p>\n"
    )
    return section("base", "The base's run", intro + inner, extra=' data-run="base"')


def _demote(part: str) -> str:
    """A section's ``<h2>`` as ``<h3>``: the base's parts sit inside its own section."""
    return re.sub(r"<(/?)h2\b", r"<\1h3", part)


__all__ = ["STYLE", "RunView", "inline_svg", "report_page"]
