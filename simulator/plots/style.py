"""matplotlib (imported lazily, or the ``plot`` extra named), dipsim's figure style and colours,
and figures turned into bytes and files.

matplotlib is imported only inside functions, so that ``import simulator.plots`` costs nothing.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simulator.core.errors import DipsimError
from simulator.core.files import save_bytes
from simulator.core.palette import state_hex

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.typing import RcKeyType

#: What installs matplotlib; named in the error when it is missing.
PLOT_EXTRA = "pip install 'dipsim[plot]'"
#: The figure formats, by file suffix.
FORMATS = {".png": "png", ".svg": "svg"}
#: 16 x 9 inches at 120 dots per inch: a 1920 x 1080 PNG, a projector's native size.
SIZE = (16.0, 9.0)
DPI = 120

#: Event colours: conflict (Goldstein < 0), cooperation (> 0), neither (0 or no value).
CONFLICT, COOPERATION, NEUTRAL = "#c62828", "#2e7d32", "#8a8a8a"
#: Colours of categories that are not states (a PRIM box's restricted parameters), Okabe-Ito:
#: told apart by colour-blind eyes. States have their own colours: :func:`state_colours`.
CATEGORY_COLOURS = (
    "#0072b2",
    "#e69f00",
    "#d55e00",
    "#009e73",
    "#cc79a7",
    "#56b4e9",
    "#000000",
    "#f0e442",
)
BAND = "#1f3a68"
VARIABLE_COLOURS = ("#e07b00", "#7b3294", "#008837", "#5e3c99")

#: Style of every figure: large type, for a projector at the back of a room.
STYLE: dict[RcKeyType, Any] = {
    "font.size": 15,
    "axes.titlesize": 17,
    "axes.titlelocation": "left",
    "axes.labelsize": 15,
    "xtick.labelsize": 14,
    "ytick.labelsize": 14,
    "legend.fontsize": 14,
    "figure.titlesize": 22,
    "axes.spines.top": False,
    "axes.spines.right": False,
    # SVG output the same byte for byte: a fixed salt for the ids matplotlib hashes, text as
    # paths (the figure looks the same wherever it is embedded, whatever fonts are installed).
    "svg.hashsalt": "dipsim",
    "svg.fonttype": "path",
}


# --- matplotlib, formats and files ---------------------------------------------------------------


def require_matplotlib() -> None:
    """Raise :class:`DipsimError` naming the ``plot`` extra if matplotlib cannot be imported."""
    try:
        import matplotlib
        import matplotlib.figure  # noqa: F401
    except ImportError as err:
        raise DipsimError(f"figures need matplotlib: {PLOT_EXTRA}") from err


def figure_format(path: Path | str) -> str:
    """The format a figure file's suffix asks for (``png`` or ``svg``); anything else is refused."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        shown = f"not {suffix}" if suffix else "and this name has none"
        raise DipsimError(f"{path}: a figure file ends in .png or .svg, {shown}")
    return FORMATS[suffix]


def figure_bytes(fig: Figure, fmt: str, salt: str = "dipsim") -> bytes:
    """The figure as PNG or SVG bytes; the same figure (and ``salt``) gives the same bytes.

    ``salt`` seeds the ids of an SVG's clip paths and markers: figures inlined in one HTML page
    can be given different salts so that their ids never meet.
    """
    if fmt not in FORMATS.values():
        raise DipsimError(f"a figure is rendered as png or svg, not {fmt!r}")
    import matplotlib

    buf = io.BytesIO()
    # Without a date (SVG) or software version (PNG) in the metadata, the output depends on the
    # figure alone, so tests and reports can compare it.
    metadata: dict[str, str | None] = {"Date": None} if fmt == "svg" else {"Software": None}
    with matplotlib.rc_context({**STYLE, "svg.hashsalt": salt}):
        fig.savefig(buf, format=fmt, dpi=DPI, metadata=metadata)
    return buf.getvalue()


def svg_element(fig: Figure, salt: str = "dipsim") -> str:
    """The figure as an ``<svg>`` element, without the XML prolog: ready to inline in HTML."""
    text = figure_bytes(fig, "svg", salt).decode("utf-8")
    return text[text.index("<svg") :]


def save(fig: Figure, path: Path | str) -> Path:
    """Write the figure to ``path`` (``.png`` or ``.svg``), atomically; returns the path."""
    path = Path(path)
    return save_bytes(path, figure_bytes(fig, figure_format(path)))


@contextmanager
def styled() -> Iterator[None]:
    """matplotlib imported (or the extra named) and dipsim's style in force, for this block only.

    Artists read most style settings when they are made, so figures are built inside this block;
    ``rc_context`` restores the caller's settings on the way out.
    """
    require_matplotlib()
    import matplotlib

    with matplotlib.rc_context(STYLE):
        yield


def new_figure() -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=SIZE, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)  # attaches itself: rendering needs no backend chosen globally
    return fig


#: Characters of a figure's title on one line: the 1920-pixel figure holds about 88 at the
#: title's size; a longer title (a scenario's own) is wrapped, not cut off at the edge.
TITLE_WIDTH = 85


def title_text(text: str) -> str:
    """A figure title wrapped to :data:`TITLE_WIDTH` characters a line."""
    import textwrap

    return "\n".join(textwrap.wrap(text, TITLE_WIDTH)) or text


def percent_axis(ax: Axes, axis: str = "y") -> None:
    from matplotlib.ticker import PercentFormatter

    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))


def category_colour(index: int) -> str:
    return CATEGORY_COLOURS[index % len(CATEGORY_COLOURS)]


def state_colours(states: Sequence[str]) -> dict[str, str]:
    """Each of the machine's ``states`` (listed calm to crisis) with its colour: the colour the
    terminal, the diagram and the report give it too (:mod:`simulator.core.palette`)."""
    return state_hex(states)


def goldstein_colour(goldstein: float | None) -> str:
    """Red for conflict (< 0), green for cooperation (> 0), grey for neither or no value."""
    if goldstein is None or goldstein == 0:
        return NEUTRAL
    return CONFLICT if goldstein < 0 else COOPERATION
