"""The report page's small pieces of markup: escaping, names, dates, states, sections, tables.

Every piece of text from a scenario goes through :func:`esc` (:func:`html.escape`, quotes
included) before it becomes part of the page; the sections build on these pieces.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

from simulator.engine.trace import parties_text

if TYPE_CHECKING:
    from simulator.engine.trace import Record, Trace

ARROW: Final = "→"
MINUS: Final = "\u2212"


def esc(text: object) -> str:
    """``text`` escaped for HTML text and attribute values (quotes included)."""
    return html.escape(str(text), quote=True)


def breakable(name: str) -> str:
    """A name (event id, type, state) escaped, with a break allowed after each ``_``, ``-``
    and ``.``: in a narrow column (on paper, say) ``envoys_recalled`` then breaks where a
    reader would, not at whichever letter the column ends."""
    return re.sub(r"([_.-])(?=.)", r"\1<wbr>", esc(name))


def signed(value: float | None) -> str:
    """A Goldstein value: ``+5``, ``−10`` (a true minus), ``0``; ``""`` for none."""
    if value is None:
        return ""
    return "0" if value == 0 else f"{value:+g}".replace("-", MINUS)


def state_change(r: Record) -> str:
    """The state cell, in the words of ``dipsim run``'s table."""
    if r.outcome == "transition" and r.before != r.after:
        return f"{breakable(r.before)} {ARROW} <strong>{breakable(r.after)}</strong>"
    if r.outcome == "transition":
        return f"{breakable(r.after)} (again)"
    if r.outcome == "guard_failed":
        return f"{breakable(r.after)} (guard not met)"
    return f"{breakable(r.after)} (unchanged)"


def date_cell(r: Record) -> str:
    """The day, and under it the time of day when there is one (a response's, say)."""
    day = r.when.date().isoformat()
    clock = r.date_text[len(day) + 1 :]
    shown = f"{day}<br><small>{esc(clock)}</small>" if clock else day
    return f'<time datetime="{esc(r.when.isoformat())}">{shown}</time>'


def parties(r: Record) -> str:
    """Every party of the act, as the table shows them (``GULF for SAU``), escaped."""
    return esc(parties_text(r, f" {ARROW} "))


def main_variable(trace: Trace) -> str | None:
    """The variable of the table's last column: tension, else the first one, as ``dipsim run``."""
    if not trace.variables:
        return None
    return "tension" if "tension" in trace.variables else trace.variables[0]


def web_url(url: str | None) -> str | None:
    """``url`` if it is an http(s) address; anything else (``javascript:``...) is not a link."""
    if url and re.match(r"https?://[^\s<>\"']+$", url.strip(), re.IGNORECASE):
        return url.strip()
    return None


def section(ident: str, heading: str, body: str, *, level: int = 2, extra: str = "") -> str:
    return (
        f'<section id="{esc(ident)}" aria-labelledby="{esc(ident)}-h"{extra}>\n'
        f'<h{level} id="{esc(ident)}-h">{heading}</h{level}>\n{body}</section>\n'
    )


def small_table(caption: str, columns: Sequence[str], body: str, width: int) -> str:
    head = "".join(f'<th scope="col">{esc(c)}</th>' for c in columns)
    if not body:
        body = f'<tr><td colspan="{width}" class="none">none</td></tr>'
    return (
        f'<table class="compact"><caption>{esc(caption)}</caption><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table>\n"
    )


__all__ = [
    "ARROW",
    "MINUS",
    "breakable",
    "date_cell",
    "esc",
    "main_variable",
    "parties",
    "section",
    "signed",
    "small_table",
    "state_change",
    "web_url",
]
