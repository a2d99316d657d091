"""Monte Carlo outcomes as a table for people, as JSON and as CSV for programs.

Everything here reads an :class:`~simulator.engine.outcomes.Outcomes` object only.
"""

from __future__ import annotations

import csv
import io
import math
import textwrap

from simulator.core.text import csv_cell, json_text
from simulator.engine.outcomes import (
    QUANTILE_LEVELS,
    Outcomes,
    Proportion,
    RelationOutcomes,
    StateOutcome,
)
from simulator.report.table_layout import GAP, fit

ARROW = "→"

#: Columns of ``outcomes_csv``: one row per (relation, state).
CSV_FIELDS = (
    "seed",
    "runs",
    "relation",
    "state",
    "ended",
    "ended_share",
    "ended_low",
    "ended_high",
    "reached",
    "reached_share",
    "reached_low",
    "reached_high",
    "mean_days",
    *(f"days_to_reach_p{q}" for q in QUANTILE_LEVELS),
)

_LEGEND = (
    "ended in: share of runs that ended in the state; reached: share of runs that were in it at "
    "some time; 95% CI: Wilson score interval; mean days: days in the state, averaged over all "
    "runs; days to reach: median (5th–95th percentile) of the days from the start until the state "
    "was first entered, over the runs that reached it."
)


def _share(p: Proportion, runs: int) -> str:
    text = f"{p.share:.1%}"
    # 1,999 runs of 2,000 are not "100.0%", nor 1 of 2,000 "0.0%".
    if text == "100.0%" and p.count < runs:
        return ">99.9%"
    if text == "0.0%" and p.count > 0:
        return "<0.1%"
    return text


def _interval(p: Proportion) -> str:
    # Rounded outwards, so that the printed interval contains the computed one: 9,999 of
    # 10,000 reads 99.9–100.0%, not a misleading 100.0–100.0%.
    low = math.floor(1000 * p.low + 1e-9) / 10
    high = math.ceil(1000 * p.high - 1e-9) / 10
    return f"{low:.1f}–{high:.1f}%"


def _days_to_reach(s: StateOutcome) -> str:
    reach = s.days_to_reach
    if reach is None:
        return "–"
    if reach.p5 == reach.p95:
        return f"{reach.p50:.1f}"
    return f"{reach.p50:.1f} ({reach.p5:.1f}–{reach.p95:.1f})"


def _wrap_items(items: list[str], separator: str, indent: int, width: int) -> list[str]:
    """``items`` joined by ``separator`` and wrapped to ``width``, never inside an item.

    The first line is meant to follow ``indent`` columns of text; so are the others.
    """
    lines: list[str] = []
    line = ""
    for i, item in enumerate(items):
        piece = item + (separator.rstrip() if i < len(items) - 1 else "")
        if line and indent + len(line) + 1 + len(piece) > width:
            lines.append(line)
            line = piece
        else:
            line = f"{line} {piece}" if line else piece
    lines.append(line)
    return lines


#: The state table's columns: key, heading on the row, heading on the details line.
_COLUMNS = (
    ("state", "state", "state"),
    ("ended", "ended in", "ended in"),
    ("ended_ci", "95% CI", "ended in 95% CI"),
    ("reached", "reached", "reached"),
    ("reached_ci", "95% CI", "reached 95% CI"),
    ("mean", "mean days", "mean days"),
    ("reach", "days to reach", "days to reach"),
)
#: Alignment of the state table's columns: the name and the intervals to the left.
_LEFT = (True, False, True, False, True, False, True)
#: The columns that leave the row for the line under it when the row is wider than the table
#: may be (about 86 columns): first the two intervals together (one without the other would
#: read as if it belonged to the share beside it), then the days to reach, the mean days and
#: the share that reached the state. The state and the share that ended in it always stay.
_DROP_ORDER = (("ended_ci", "reached_ci"), "reach", "mean", "reached")


def outcomes_table(outcomes: Outcomes, width: int = 100) -> str:
    """Render ``outcomes`` as text: per relation, a table of its states, then its commonest paths.

    Args:
        outcomes: The outcomes.
        width: Columns to fit. The title, state paths and the legend are wrapped to it; the
            state table's columns that do not fit on a state's row go, in the same order, on
            a line under it (headed by a line under the heading row).
    """
    runs = outcomes.runs
    # An empty title keeps its (empty) line, as it always had.
    lines = textwrap.wrap(outcomes.title, width, subsequent_indent="  ") or [""]
    lines += textwrap.wrap(
        f"{runs:,} runs from seed {outcomes.seed} (run k: derive_seed({outcomes.seed}, k)), "
        f"{outcomes.start.isoformat()} .. {outcomes.stop.isoformat()}",
        width,
        subsequent_indent="  ",
    )
    for rel in outcomes.relations:
        rows = [
            [
                s.state,
                _share(s.ended, runs),
                _interval(s.ended),
                _share(s.reached, runs),
                _interval(s.reached),
                f"{s.mean_days:.1f}",
                _days_to_reach(s),
            ]
            for s in rel.states
        ]
        lines += ["", rel.relation, *_state_table(rows, width)]
        lines += _paths(rel, runs, width)
    lead = "records per run (mean), by cause: "
    causes = [f"{name} {count / runs:.2f}" for name, count in outcomes.by_cause] or ["none"]
    wrapped = _wrap_items(causes, ", ", len(lead), width)
    if len(lead) + len(wrapped[0]) > width:  # the lead alone, the causes under it
        lines += ["", lead.rstrip()] + ["  " + c for c in _wrap_items(causes, ", ", 2, width)]
    else:
        lines += ["", lead + wrapped[0]] + [" " * len(lead) + rest for rest in wrapped[1:]]
    for kind, count in outcomes.log_runs:
        if kind == "cap":
            warning = (
                f"warning: {count:,} of {runs:,} runs ({count / runs:.1%}) hit the cap on "
                "responses per run (max_responses); responses beyond it were not scheduled."
            )
            lines += textwrap.wrap(warning, width, subsequent_indent="  ")
    lines.append("")
    lines += textwrap.wrap(_LEGEND, width, break_on_hyphens=False)
    return "\n".join(lines) + "\n"


def _state_table(rows: list[list[str]], width: int) -> list[str]:
    """The heading, rule and rows of a relation's states, the columns that do not fit
    ``width`` on a line under each row (and under the heading)."""
    names = [key for key, _, _ in _COLUMNS]
    header = [head for _, head, _ in _COLUMNS]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(header)]
    layout = fit(names, widths, width, _DROP_ORDER)
    kept = [widths[i] for i in layout.row]
    left = [_LEFT[i] for i in layout.row]

    def row_lines(cells: list[str], details: list[str]) -> list[str]:
        shown = [_join([cells[i] for i in layout.row], kept, left)]
        if layout.details:
            indent = kept[0] + GAP
            shown += [" " * indent + d for d in _wrap_items(details, ", ", indent, width)]
        return shown

    lines = row_lines(header, [_COLUMNS[i][2] for i in layout.details])
    lines.append(_join(["-" * w for w in kept], kept, left))
    for row in rows:
        lines += row_lines(row, [row[i] for i in layout.details])
    return lines


def _paths(rel: RelationOutcomes, runs: int, width: int) -> list[str]:
    """The lines of a relation's commonest paths, each with its share and count."""
    shown = len(rel.paths)
    lines = [""]
    if shown == rel.distinct_paths:
        lines.append(f"paths ({rel.distinct_paths:,} distinct):")
    else:
        lines.append(f"paths ({rel.distinct_paths:,} distinct; the {shown} commonest):")
    count_width = max(len(f"{p.count:,}") for p in rel.paths)
    for p in rel.paths:
        share = _share(Proportion(p.count, p.share, 0.0, 1.0), runs)
        lead = f"  {share:>6}  {p.count:>{count_width},}  "
        wrapped = _wrap_items(list(p.path), f" {ARROW} ", len(lead), width)
        lines.append(lead + wrapped[0])
        lines += [" " * len(lead) + rest for rest in wrapped[1:]]
    others = runs - sum(p.count for p in rel.paths)
    if others:
        share = _share(Proportion(others, others / runs, 0.0, 1.0), runs)
        lines.append(f"  {share:>6}  {others:>{count_width},}  (other paths)")
    return lines


def _join(cells: list[str], widths: list[int], left: list[bool]) -> str:
    parts = [c.ljust(w) if lf else c.rjust(w) for c, w, lf in zip(cells, widths, left, strict=True)]
    return (" " * GAP).join(parts).rstrip()


def outcomes_json(outcomes: Outcomes) -> str:
    """The outcomes as indented JSON (``Outcomes.to_dict``), the same bytes for the same runs
    (a number that is not finite is ``null``)."""
    return json_text(outcomes.to_dict()) + "\n"


def outcomes_csv(outcomes: Outcomes) -> str:
    """One CSV row per (relation, state) with its numbers (``CSV_FIELDS``).

    The days-to-reach columns are empty for a state no run reached.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for rel in outcomes.relations:
        for s in rel.states:
            reach = s.days_to_reach
            quantiles = (
                [""] * len(QUANTILE_LEVELS)
                if reach is None
                else [getattr(reach, f"p{q}") for q in QUANTILE_LEVELS]
            )
            writer.writerow(
                [
                    outcomes.seed,
                    outcomes.runs,
                    csv_cell(rel.relation),
                    csv_cell(s.state),
                    s.ended.count,
                    s.ended.share,
                    s.ended.low,
                    s.ended.high,
                    s.reached.count,
                    s.reached.share,
                    s.reached.low,
                    s.reached.high,
                    s.mean_days,
                    *quantiles,
                ]
            )
    return out.getvalue()


__all__ = ["CSV_FIELDS", "outcomes_csv", "outcomes_json", "outcomes_table"]
