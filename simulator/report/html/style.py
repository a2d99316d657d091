"""The report page's style sheet, inline in its ``<head>``."""

from __future__ import annotations

from typing import Final

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
/* Each state's colour, as in the terminal, the figures and the diagram (rules after these). */
.state-name { white-space: nowrap; }
.swatch { display: inline-block; width: .9em; height: .9em; margin-right: .35em;
  vertical-align: -.1em; border: 1px solid #1b1b1b; border-radius: .15em; }
.machine-body { display: flex; flex-wrap: wrap; gap: 1rem; align-items: flex-start; }
.machine-body > .svg-wrap { flex: 1 1 40rem; min-width: 0; }
ol.steps { flex: 1 1 22rem; margin: 0; padding-left: 2rem; }
ol.steps li { margin: 0 0 .5rem; }
ol.steps .date { white-space: nowrap; color: var(--muted); }
ol.steps .event { font-weight: 600; overflow-wrap: anywhere; }
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
  .badge, .state-name.ended, .swatch, tr.verdict.fail, thead th { print-color-adjust: exact;
    -webkit-print-color-adjust: exact; }
  tbody tr:nth-child(even) { background: none; }
  /* Paper is narrower than a screen for the same type: quotes give way to the other columns. */
  col.c-num { width: 3%; } col.c-date { width: 10.5%; } col.c-event { width: 19%; }
  col.c-change { width: 14%; } col.c-value { width: 7%; } col.c-codes { width: 11%; }
  col.c-what { width: 35.5%; }
}
"""


__all__ = ["STYLE"]
