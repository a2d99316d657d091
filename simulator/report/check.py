"""``dipsim check`` output: a block per scenario for people, or JSON for programs."""

from __future__ import annotations

from typing import Any

from simulator.check.checker import CheckReport
from simulator.check.explore import Counterexample
from simulator.core.text import json_text
from simulator.engine.trace import parties_text

_MARK = {True: "PASS", False: "FAIL"}


def check_text(report: CheckReport, strict: bool = False, notes: bool = False) -> str:
    """One scenario's findings, verdicts and counterexamples, ending in a result line.

    Notes (``info`` findings) are counted, and listed only with ``notes``: a replay records
    events that move no state on purpose, and a page of notes would bury the warnings.
    """
    lines = [str(report.path)]
    if report.findings:
        counts = {s: sum(f.severity == s for f in report.findings) for s in ("error", "warning")}
        count = len(report.findings) - counts["error"] - counts["warning"]
        hint = "" if notes or not count else " (--notes lists them)"
        lines.append(
            f"  analysis: {counts['error']} error(s), {counts['warning']} warning(s), "
            f"{count} note(s){hint}"
        )
        lines.extend(f"    {f}" for f in report.findings if notes or f.severity != "info")
    else:
        lines.append("  analysis: nothing found")
    if report.results:
        how = (
            f"{report.runs:,} runs, seeds derived from {report.seed}"
            if report.stochastic
            else f"one run, seed {report.seed}: nothing in the scenario is random"
        )
        lines.append(f"  expectations and invariants ({how}):")
        for r in report.results:
            lines.append(f"    {_MARK[r.passed]}  {r.name} {r.label}")
            lines.append(f"          {r.evidence}")
            if r.note and not r.passed:
                lines.append(f"          note: {' '.join(r.note.split())}")
    else:
        lines.append("  expectations and invariants: none declared")
    if report.draw_runs:
        lines.extend(_draw_lines(report))
    if report.explored is not None:
        lines.extend(_explored_lines(report))
    failed = report.failures(strict)
    lines.append(f"  result: {'ok' if not failed else f'FAILED ({failed} failing)'}")
    return "\n".join(lines) + "\n"


def _draw_lines(report: CheckReport) -> list[str]:
    head = (
        f"  uncertain dates ({report.draw_runs:,} runs with the dates drawn, seeds derived from "
        f"{report.seed}): "
    )
    if not report.draw_dependent:
        return [head + "every claim that holds at the replay point held on every draw"]
    lines = [head + f"{len(report.draw_dependent)} claim(s) depend on the draw"]
    for r in report.draw_dependent:
        lines.append(f"    DRAW  {r.name} {r.label}")
        lines.append(f"          holds at the replay point; {r.evidence}")
    return lines


def _explored_lines(report: CheckReport) -> list[str]:
    ex = report.explored
    assert ex is not None
    head = (
        f"  explore: {ex.sequences:,} random sequences of {ex.templates} kinds of event, "
        f"seed {ex.seed}: "
    )
    if ex.invariants == 0 and not ex.counterexamples:
        return [head + "no invariants declared; every run finished without error"]
    if not ex.counterexamples:
        return [head + f"no counterexample to {ex.invariants} invariant(s)"]
    lines = [head + f"{len(ex.counterexamples)} broken"]
    for c in ex.counterexamples:
        lines.extend(_counterexample_lines(c))
    return lines


def _counterexample_lines(c: Counterexample) -> list[str]:
    name = "run error" if c.invariant < 0 else f"invariants[{c.invariant}]"
    lines = [
        f"    FAIL  {name} {c.label}",
        f"          broken by {c.found:,} sequence(s); shortest counterexample: "
        f"{len(c.events)} event(s), run seed {c.seed} (sequence {c.sequence})",
    ]
    if c.trace is not None:
        for r in c.trace.records:
            lines.append(
                f"            {r.date_text}  {r.event}  {r.type}  {parties_text(r, '->')}"
                f"  {r.relation}: {r.before} -> {r.after} ({r.outcome})"
            )
    lines.append(f"          broken: {c.violation}")
    return lines


def check_dict(report: CheckReport, strict: bool = False) -> dict[str, Any]:
    """The report as plain data."""
    return {
        "scenario": str(report.path),
        "ok": report.failures(strict) == 0,
        "failures": report.failures(strict),
        "findings": [
            {
                "severity": f.severity,
                "code": f.code,
                "location": str(f.location),
                "key_path": list(f.key_path),
                "message": f.message,
            }
            for f in report.findings
        ],
        "runs": report.runs,
        "stochastic": report.stochastic,
        "seed": report.seed,
        "results": [
            {
                "item": r.name,
                "label": r.label,
                "passed": r.passed,
                "evidence": r.evidence,
                "runs": r.runs,
                "held": r.held,
                "share": None if r.share is None else r.share.share,
                "interval": None if r.share is None else [r.share.low, r.share.high],
                "inconclusive": r.inconclusive,
                "note": r.note,
            }
            for r in report.results
        ],
        "draw_runs": report.draw_runs,
        "draw_dependent": [
            {"item": r.name, "label": r.label, "evidence": r.evidence, "held": r.held}
            for r in report.draw_dependent
        ],
        "explore": None
        if report.explored is None
        else {
            "sequences": report.explored.sequences,
            "seed": report.explored.seed,
            "counterexamples": [
                {
                    "invariant": c.invariant,
                    "label": c.label,
                    "seed": c.seed,
                    "sequences_broken": c.found,
                    "events": [e.model_dump(mode="json", exclude_defaults=True) for e in c.events],
                    "violation": c.violation,
                }
                for c in report.explored.counterexamples
            ],
        },
    }


def check_json(reports: list[CheckReport], strict: bool = False) -> str:
    return json_text([check_dict(r, strict) for r in reports], ascii_only=True) + "\n"


__all__ = ["check_dict", "check_json", "check_text"]
