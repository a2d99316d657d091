"""Figures: a crisis timeline for one run, outcome charts for many runs and for batches.

The only package that imports matplotlib (the ``plot`` extra), and only inside its functions, so
that ``import simulator.plots`` costs nothing and a missing matplotlib is reported, when a figure
is asked for, as a :class:`~simulator.core.errors.DipsimError` naming the extra.

Figures are built as ``matplotlib.figure.Figure`` objects on an Agg canvas, never through
``pyplot``: no global figure registry, no backend switch, nothing left behind in the caller's
matplotlib. Each function returns the Figure, so a report can restyle it or turn it into bytes
with :func:`figure_bytes` (PNG or SVG, the SVG byte-for-byte the same for the same input);
:func:`save` writes it to a file whose suffix picks the format.

Like the reports, the figures read only traces (:mod:`simulator.engine.trace`), Monte Carlo outcomes
(:mod:`simulator.engine.outcomes`) and batch result rows (dicts, as ``batch.sinks.read_rows`` yields
them); they never need the engine.

One module per job: :mod:`~simulator.plots.style` (matplotlib, style, colours, bytes and
files), :mod:`~simulator.plots.timeline` (with its :mod:`~simulator.plots.key` and
:mod:`~simulator.plots.labels`), :mod:`~simulator.plots.outcomes`, and
:mod:`~simulator.plots.batch` (with :mod:`~simulator.plots.batch_counts`).
"""

from __future__ import annotations

from simulator.plots.analysis import analysis_figure
from simulator.plots.batch import MAX_CURVES as MAX_CURVES
from simulator.plots.batch import batch_figure
from simulator.plots.batch_counts import MAX_X_VALUES as MAX_X_VALUES
from simulator.plots.batch_counts import X_BINS as X_BINS
from simulator.plots.key import KEY_ROWS as KEY_ROWS
from simulator.plots.outcomes import outcomes_figure
from simulator.plots.style import BAND as BAND
from simulator.plots.style import CATEGORY_COLOURS as CATEGORY_COLOURS
from simulator.plots.style import CONFLICT as CONFLICT
from simulator.plots.style import COOPERATION as COOPERATION
from simulator.plots.style import DPI as DPI
from simulator.plots.style import (
    FORMATS,
    PLOT_EXTRA,
    STYLE,
    figure_bytes,
    figure_format,
    goldstein_colour,
    require_matplotlib,
    save,
    state_colours,
    svg_element,
)
from simulator.plots.style import NEUTRAL as NEUTRAL
from simulator.plots.style import SIZE as SIZE
from simulator.plots.style import VARIABLE_COLOURS as VARIABLE_COLOURS
from simulator.plots.timeline import timeline_figure

#: The rc settings every figure is made and rendered in (tests check that none leak out).
_STYLE = STYLE

__all__ = [
    "FORMATS",
    "PLOT_EXTRA",
    "analysis_figure",
    "batch_figure",
    "figure_bytes",
    "figure_format",
    "goldstein_colour",
    "outcomes_figure",
    "require_matplotlib",
    "save",
    "state_colours",
    "svg_element",
    "timeline_figure",
]
