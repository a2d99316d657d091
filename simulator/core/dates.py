"""Dates as written in scenario files and on the command line: ``YYYY-MM-DD``, said in words
when they are not one (shared by the loader and the CLI, so both explain a bad date alike)."""

from __future__ import annotations

import calendar
import datetime as dt
import re

_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")

#: Longest text quoted whole in a message; longer text is cut (it may be anything).
_SHOWN = 40


def why_not_a_date(text: str) -> str:
    """Why ``text`` is not a date, in words: the day past the end of its month, the month past
    12, or the form (``YYYY-MM-DD``, zero-padded)."""
    shown = repr(text) if len(text) <= _SHOWN else f"{text[: _SHOWN - 3]!r}..."
    found = _DATE.match(text)
    if found is None or len(found[2]) != 2 or len(found[3]) != 2:
        return f"{shown} is not a date written YYYY-MM-DD (e.g. 2024-01-07)"
    year, month, day = int(found[1]), int(found[2]), int(found[3])
    if not 1 <= month <= 12:
        return f"{shown} is not a date: there is no month {month}"
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        return f"{shown} is not a date: {calendar.month_name[month]} {year} has {last} days"
    return f"{shown} is not a date"


def parse_date(text: str) -> dt.date:
    """``YYYY-MM-DD`` as a date; ``ValueError`` with :func:`why_not_a_date`'s words if it is not.

    Only the written form is accepted (``fromisoformat`` would also take ``20240115``).
    """
    found = _DATE.match(text)
    if found is not None and len(found[2]) == 2 and len(found[3]) == 2:
        try:
            return dt.date(int(found[1]), int(found[2]), int(found[3]))
        except ValueError:
            pass
    raise ValueError(why_not_a_date(text))


_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


def looks_like_month(text: str) -> bool:
    """Whether ``text`` is written as a month, ``YYYY-MM`` (right or wrong: ``2018-13`` too)."""
    return _MONTH.match(text) is not None


def parse_month(text: str) -> tuple[dt.date, dt.date]:
    """``YYYY-MM`` as the first and last day of that month; ``ValueError`` saying why not."""
    shown = repr(text) if len(text) <= _SHOWN else f"{text[: _SHOWN - 3]!r}..."
    found = _MONTH.match(text)
    if found is None or len(found[2]) != 2:
        raise ValueError(f"{shown} is not a month written YYYY-MM (e.g. 2018-10)")
    year, month = int(found[1]), int(found[2])
    if not 1 <= month <= 12:
        raise ValueError(f"{shown} is not a month: there is no month {month}")
    if year < 1:
        raise ValueError(f"{shown} is not a month: there is no year 0")
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, 1), dt.date(year, month, last)


def span_of(text: str) -> tuple[dt.date, dt.date]:
    """The first and last day a day (``YYYY-MM-DD``) or a month (``YYYY-MM``) stands for."""
    if looks_like_month(text):
        return parse_month(text)
    day = parse_date(text)
    return day, day


def window_problem(
    since: dt.date | None, until: dt.date | None, start: dt.date, end: dt.date
) -> str | None:
    """What is wrong with ``--from since``/``--until until`` for a scenario spanning
    ``start``..``end`` (outside it, or out of order), or ``None``."""
    if until is not None and until < start:
        return f"--until {until.isoformat()} is before the scenario's start {start.isoformat()}"
    if since is not None and not start <= since <= end:
        return (
            f"--from {since.isoformat()} is outside the scenario's span "
            f"{start.isoformat()}..{end.isoformat()}"
        )
    if since is not None and until is not None and until < since:
        return f"--until {until.isoformat()} is before --from {since.isoformat()}"
    return None


__all__ = [
    "looks_like_month",
    "parse_date",
    "parse_month",
    "span_of",
    "why_not_a_date",
    "window_problem",
]
