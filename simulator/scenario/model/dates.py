"""Uncertain event dates: a month, a range of days, or dates the sources dispute.

An event's ``date`` is a day (``2018-08-05``), a month (``2018-10``: any day of it), or a
mapping: ``{between: [FIRST, LAST]}``, ``{month: 2018-10}`` or ``{disputed: [...]}`` (each
alternative a day or a month, with the sources that give it), with an optional ``replay:``
point. A replay plays the event at its replay point (the earliest possible day unless
``replay`` says otherwise); Monte Carlo runs and batches draw a day per run (the engine).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BeforeValidator, WithJsonSchema

from simulator.core.dates import looks_like_month, parse_date, parse_month, span_of
from simulator.scenario.model.base import invalid

#: The JSON Schema of a month or a day written as text.
_DAY_OR_MONTH_SCHEMA = {
    "type": "string",
    "pattern": r"^\d{4}-\d{2}(-\d{2})?$",
    "description": "a day YYYY-MM-DD or a month YYYY-MM",
}


def _day_or_month(value: Any) -> Any:
    """A day or a month written as text, checked (kept as text: the span is worked out later)."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if not isinstance(value, str):
        raise invalid(f"expected a day YYYY-MM-DD or a month YYYY-MM, got {value!r}"[:120])
    try:
        if looks_like_month(value):
            parse_month(value)
        else:
            parse_date(value)
    except ValueError as err:
        raise invalid(str(err)) from None
    return value


#: A day (``2018-08-05``) or a month (``2018-10``), as text.
DayOrMonth = Annotated[str, BeforeValidator(_day_or_month), WithJsonSchema(_DAY_OR_MONTH_SCHEMA)]


def _month(value: Any) -> Any:
    if isinstance(value, str) and not looks_like_month(value):
        try:
            parse_date(value)
        except ValueError:
            pass
        else:
            raise invalid(f"month {value!r} is a day: write it as 'date: {value}'")
    return _day_or_month(value)


#: A month (``2018-10``), as text.
Month = Annotated[
    str,
    BeforeValidator(_month),
    WithJsonSchema({"type": "string", "pattern": r"^\d{4}-\d{2}$", "description": "YYYY-MM"}),
]


def event_date_form(value: Any) -> Any:
    """A month written as text (``2018-10``) is the mapping ``{month: 2018-10}``."""
    if isinstance(value, str) and looks_like_month(value):
        return {"month": value}
    return value


__all__ = ["DayOrMonth", "Month", "event_date_form", "span_of"]
