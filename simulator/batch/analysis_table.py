"""An analysis (:mod:`simulator.batch.analysis`) as text for people: a table per kind of
result, for a PRIM box its trajectory where it turns and the chosen box's limits, and the
paired differences from a baseline point."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulator.batch.analysis import Analysis
    from simulator.batch.prim import Prim


#: Each table of an analysis: its title and its columns (header, key of the row, or None for
#: the parameter's name).
_SECTIONS = (
    (
        "sobol",
        "Sobol indices (95% intervals): S1 first order, ST total",
        (("S1", "S1"), ("±", "S1_conf"), ("ST", "ST"), ("±", "ST_conf")),
    ),
    (
        "morris",
        "Morris elementary effects: μ* (95% interval), μ, σ",
        (("μ*", "mu_star"), ("±", "mu_star_conf"), ("μ", "mu"), ("σ", "sigma")),
    ),
    ("scores", "Feature scores (extra trees; they add up to 1)", (("score", "score"),)),
)


def analysis_table(found: Analysis) -> str:
    """The analysis as text for people."""
    lines = [
        f"outcome: {found.outcome} — mean {found.mean:.3f} over {found.points:,} design points "
        f"({found.runs:,} runs, {found.design} design)",
    ]
    for name, title, columns in _SECTIONS:
        rows = getattr(found, name)
        if rows:
            header = ["parameter", *(h for h, _ in columns)]
            cells = [[r["parameter"], *(f"{r[k]:.3f}" for _, k in columns)] for r in rows]
            lines += ["", title, "", *_table(header, cells)]
    if found.prim is not None:
        lines += ["", *_prim_table(found.prim, found.outcome)]
    elif found.prim_note is not None:
        lines += ["", f"No PRIM box: {found.prim_note}."]
    if found.baseline is not None:
        lines += ["", *_paired_table(found.baseline, found.paired)]
    return "\n".join(lines) + "\n"


#: Paired differences shown in the table at most (--format json has them all).
PAIRED_ROWS = 50


def _paired_table(baseline: dict[str, Any], rows: list[dict[str, Any]]) -> list[str]:
    """Each point's difference from the baseline, its paired interval and the unpaired width."""
    names = list(baseline["parameters"])
    values = ", ".join(f"{k} = {v}" for k, v in baseline["parameters"].items())
    cells = [
        [
            str(r["point"]),
            *(str(r["parameters"][n]) for n in names),
            f"{r['pairs']:,}",
            *(_number(r[k]) for k in ("difference", "paired_low", "paired_high")),
            *(_number(r[k]) for k in ("paired_half_width", "unpaired_half_width", "correlation")),
        ]
        for r in rows[:PAIRED_ROWS]
    ]
    header = ["point", *names, "pairs", "difference", "low", "high", "±", "± unpaired", "r"]
    more = len(rows) - PAIRED_ROWS
    return [
        f"Paired differences from point {baseline['point']}, run by run on common random numbers",
        f"baseline: {values}",
        "difference: point − baseline, with its 95% t-interval (low, high, ±); ± unpaired: the",
        "half-width were the runs not paired (Welch); r: the correlation of the two points' runs",
        "",
        *_table(header, cells),
        *([f"... {more:,} more points (see --format json)"] if more > 0 else []),
    ]


def _number(x: float) -> str:
    return "–" if math.isnan(x) else f"{x:.3f}"


def _prim_table(found: Prim, outcome: str) -> list[str]:
    """The trajectory where it turns (a parameter more or less restricted), the chosen box and
    the last; then the chosen box's limits."""
    box, every = found.box, found.trajectory
    shown = [
        b
        for b in every
        if b.index in (0, box.index, len(every) - 1)
        or len(b.restricted) != len(every[b.index - 1].restricted)
    ]
    cells = [
        [
            f"{b.index}{'*' if b is box else ''}",
            *(f"{v:.3f}" for v in (b.coverage, b.density, b.mass)),
            str(len(b.restricted)),
        ]
        for b in shown
    ]
    why = (
        "as asked"
        if found.asked
        else f"the first of density ≥ {found.threshold:g}"
        if found.meets_threshold
        else f"none reaches density {found.threshold:g}: the densest"
    )
    limits = [
        [
            r["parameter"],
            f"{r['low']:.4g} – {r['high']:.4g}" if "low" in r else ", ".join(map(str, r["values"])),
            f"{r['min']:.4g} – {r['max']:.4g}" if "low" in r else f"{r['of']} values",
        ]
        for r in found.box_rows()
    ]
    return [
        f"PRIM: where {outcome} is 1 ({every[0].of_interest:,} of {every[0].runs:,} runs); "
        f"alpha {found.alpha:g}, minimum mass {found.mass_min:g}, no pasting",
        "",
        *_table(["box", "coverage", "density", "mass", "restricted"], cells),
        f"({len(every)} boxes, all in --format json; shown: the first, the last, the chosen (*) "
        "and each",
        "where the number restricted changes)",
        "",
        f"Box {box.index} ({why}): coverage {box.coverage:.3f}, density {box.density:.3f}, "
        f"mass {box.mass:.3f} ({box.of_interest:,} of its {box.runs:,} runs)",
        "",
        *_table(["parameter", "in the box", "in all runs"], limits),
    ]


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=True)]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return [line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)]


__all__ = ["analysis_table"]
