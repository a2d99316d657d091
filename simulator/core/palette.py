"""One colour per state, the same in the terminal, every figure, the diagram and the report.

A scenario lists its machine's states from calm to crisis (``machine.state_names``); the
palette is derived from that order alone, so every output that knows the machine gives a state
the same colour. The colours are Okabe and Ito's (https://jfly.uni-koeln.de/color/), chosen to
stay apart for the common kinds of colour blindness: the calm first state bluish green, the
crisis (the last state) vermillion, the states between them from sky blue through blue and
reddish purple to orange as they get graver. Yellow is kept for machines of more than six
states: it is hard to read on white. Beyond eight states the colours repeat.

The terminal cannot show any colour: each one comes with the nearest of the 256 colours of
xterm's palette (the 6 x 6 x 6 cube and the grey ramp; ``ESC[38;5;Nm``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

#: Okabe-Ito, by name.
BLUISH_GREEN: Final = "#009e73"
SKY_BLUE: Final = "#56b4e9"
BLUE: Final = "#0072b2"
REDDISH_PURPLE: Final = "#cc79a7"
ORANGE: Final = "#e69f00"
VERMILLION: Final = "#d55e00"
YELLOW: Final = "#f0e442"
BLACK: Final = "#000000"

CALM: Final = BLUISH_GREEN
CRISIS: Final = VERMILLION
#: The colours of the states between the first and the last, calmer to graver.
_BETWEEN: Final = (SKY_BLUE, BLUE, REDDISH_PURPLE, ORANGE)
#: Only for machines with more than four states between the first and the last.
_MORE: Final = (SKY_BLUE, BLUE, YELLOW, REDDISH_PURPLE, ORANGE, BLACK)


@dataclass(frozen=True, slots=True)
class StateColour:
    """A state's colour: ``hex`` (``#rrggbb``) for figures, diagrams and pages, ``ansi256`` the
    nearest of xterm's 256 colours, ``ink`` the text colour (black or white) readable on it."""

    hex: str
    ansi256: int
    ink: str


def rgb(hex_colour: str) -> tuple[int, int, int]:
    """``#rrggbb`` as three 0-255 numbers."""
    h = hex_colour.removeprefix("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def _xterm(index: int) -> tuple[int, int, int]:
    """The colour of xterm's 256-colour index ``index`` (16 to 255)."""
    if index >= 232:  # the grey ramp
        v = 8 + 10 * (index - 232)
        return v, v, v
    levels = (0, 95, 135, 175, 215, 255)
    i = index - 16
    return levels[i // 36], levels[i // 6 % 6], levels[i % 6]


def nearest_ansi256(hex_colour: str) -> int:
    """The xterm 256-colour index nearest to ``hex_colour`` (the 16 basic colours are left out:
    terminals' themes redefine them)."""
    target = rgb(hex_colour)
    return min(
        range(16, 256),
        key=lambda k: sum((a - b) ** 2 for a, b in zip(_xterm(k), target, strict=True)),
    )


def _luminance(hex_colour: str) -> float:
    """WCAG relative luminance."""

    def lin(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (lin(c) for c in rgb(hex_colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def ink_on(hex_colour: str) -> str:
    """Black or white, whichever contrasts more with ``hex_colour`` (WCAG contrast ratio)."""
    lum = _luminance(hex_colour)
    return "#000000" if (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) else "#ffffff"


def _ramp(n: int) -> list[str]:
    if n <= 0:
        return []
    if n == 1:
        return [CALM]
    m = n - 2
    if m == 0:
        between: list[str] = []
    elif m == 1:
        between = [ORANGE]
    elif m <= len(_BETWEEN):
        last = len(_BETWEEN) - 1
        between = [_BETWEEN[round(j * last / (m - 1))] for j in range(m)]
    else:
        between = [_MORE[j % len(_MORE)] for j in range(m)]
    return [CALM, *between, CRISIS]


def state_palette(states: Sequence[str]) -> dict[str, StateColour]:
    """Each of ``states`` (the machine's, listed calm to crisis) with its colour."""
    return {
        s: StateColour(h, nearest_ansi256(h), ink_on(h))
        for s, h in zip(states, _ramp(len(states)), strict=True)
    }


def state_hex(states: Sequence[str]) -> dict[str, str]:
    """Each of ``states`` with its ``#rrggbb`` colour (see :func:`state_palette`)."""
    return {s: c.hex for s, c in state_palette(states).items()}


__all__ = ["StateColour", "ink_on", "nearest_ansi256", "rgb", "state_hex", "state_palette"]
