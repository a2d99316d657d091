"""The report page's checks: the verdicts of ``dipsim check`` and the static analysis."""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.report.html.parts import esc, section

if TYPE_CHECKING:
    from simulator.check.checker import CheckReport


def check_phrase(check: CheckReport) -> str:
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


def checks_section(check: CheckReport) -> str:
    how = (
        f"{check.runs:,} runs, run k seeded from {check.seed} and k (its rules draw at random)"
        if check.stochastic
        else f"one run, seed {check.seed} (nothing in the scenario is random)"
    )
    rows = []
    for r in check.results:
        mark = "pass" if r.passed else "fail"
        note = (
            f'<p class="note">{esc(" ".join(r.note.split()))}</p>'
            if r.note and not r.passed
            else ""
        )
        unsure = (
            " <small>(the 95% interval includes the bound: more runs would settle it)</small>"
            if r.inconclusive
            else ""
        )
        rows.append(
            f'<tr class="verdict {mark}" data-item="{esc(r.name)}">'
            f'<td><span class="badge {mark}">{mark.upper()}</span></td>'
            f'<th scope="row">{esc(r.name)}</th><td>{esc(r.label)}</td>'
            f'<td class="evidence">{esc(r.evidence)}{unsure}{note}</td></tr>'
        )
    if rows:
        verdicts = (
            f"<p>Judged on {esc(how)}.</p>\n"
            '<table class="verdicts"><caption>Expectations (expect) and invariants</caption>'
            '<thead><tr><th scope="col">result</th><th scope="col">item</th>'
            '<th scope="col">claim</th><th scope="col">evidence</th></tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>\n"
        )
    else:
        verdicts = "<p>The scenario states no expectations (expect) or invariants.</p>\n"
    return section("checks", "Checks", verdicts + _draws(check) + _findings_table(check))


def _draws(check: CheckReport) -> str:
    """The claims that hold at the replay point but not on every draw of the uncertain dates."""
    if not check.draw_runs:
        return ""
    head = f"On {check.draw_runs:,} runs with the uncertain dates drawn"
    if not check.draw_dependent:
        return f"<p>{head}, every claim that holds at the replay point held on every draw.</p>\n"
    items = "".join(
        f'<li data-item="{esc(r.name)}"><strong>{esc(r.name)}</strong> {esc(r.label)}: '
        f"holds at the replay point; {esc(r.evidence)}</li>"
        for r in check.draw_dependent
    )
    return f'<p>{head}, these claims depend on the draw:</p>\n<ul class="draws">{items}</ul>\n'


def _findings_table(check: CheckReport) -> str:
    if not check.findings:
        return "<p>Static analysis of the machine and the rules: nothing found.</p>\n"
    order = {"error": 0, "warning": 1, "info": 2}
    rows = "".join(
        f'<tr class="finding {esc(f.severity)}"><td><span class="badge sev-{esc(f.severity)}">'
        f"{'note' if f.severity == 'info' else esc(f.severity)}</span></td>"
        f'<th scope="row"><code>{esc(f.code)}</code><br>'
        f'<small class="where">{esc(f.location)}</small></th><td>{esc(f.message)}</td></tr>'
        for f in sorted(check.findings, key=lambda f: order.get(f.severity, 3))
    )
    return (
        '<table class="findings"><caption>Static analysis of the machine and the rules '
        "(docs/checking.md explains each code)</caption>"
        '<thead><tr><th scope="col">severity</th><th scope="col">finding, and where</th>'
        '<th scope="col">message</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>\n"
    )


__all__ = ["check_phrase", "checks_section"]
