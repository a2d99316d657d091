"""Uncertain dates in a run: the note a replay records, and the days a run draws.

An event whose date is a month, a range or disputed is played at its replay point, unless the
run draws its dates (Monte Carlo runs, batches, ``dipsim run --draw-dates``): then each such
event gets a day drawn from a generator of its own, seeded ``derive_seed(seed, DATES)``, so that
the rules' draws, from the run's generator (``seed``), are the same whichever days come up, and
a scenario whose dates are all days draws nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from collections.abc import Sequence
from typing import TYPE_CHECKING

from simulator.engine.responses import Happening
from simulator.engine.seeds import derive_seed
from simulator.engine.trace import UNCERTAIN_NOTE

if TYPE_CHECKING:  # typing only: a cache hit runs without pydantic
    from simulator.scenario.model import EventSpec
    from simulator.scenario.traits import UncertainDateTraits as UncertainDate

#: The key of the generator that draws uncertain dates: ``derive_seed(seed, DATES)``, apart from
#: the run's own generator (``seed``). Part of what a seed means: never change it.
DATES = 0x64617465  # "date"

_DAY_SECONDS = 86_400.0

#: The events whose date is uncertain: the positions of their steps among the steps in file
#: order (an act that reaches several relations is one step on each), their date, their time.
Uncertain = tuple[tuple[tuple[int, ...], "UncertainDate", dt.time], ...]


def uncertain_of(events: Sequence[EventSpec], steps: Sequence[int]) -> Uncertain:
    """The events of ``events`` whose date is uncertain (see :data:`Uncertain`); ``steps[i]``
    is how many steps event ``i`` makes."""
    out = []
    first = 0
    for e, n in zip(events, steps, strict=True):
        date = e.uncertain_date()
        if date is not None:
            out.append((tuple(range(first, first + n)), date, e.time or dt.time()))
        first += n
    return tuple(out)


#: What a run that draws dates needs: the scripted steps in file order, and where the events
#: with uncertain dates are among them (:data:`Uncertain`).
Draws = tuple[tuple[Happening, ...], Uncertain]


def scripted_steps(
    events: Sequence[EventSpec], per_event: Sequence[Sequence[Happening]]
) -> tuple[tuple[Happening, ...], Draws | None]:
    """The scripted steps (``per_event[i]``: event ``i``'s, one per relation it reaches) in
    time order; and, if some event's date is uncertain, what :func:`drawn_steps` needs."""
    steps = [h for hs in per_event for h in hs]
    uncertain = uncertain_of(events, [len(hs) for hs in per_event])
    # sorted() is stable: events at the same time keep their file order.
    in_order = tuple(sorted(steps, key=lambda h: h.t))
    return in_order, ((tuple(steps), uncertain) if uncertain else None)


def date_note(e: EventSpec) -> str | None:
    """An event's date note; for an uncertain date, the possible days said after it."""
    date = e.uncertain_date()
    if date is None:
        return e.date_note
    said = f"{UNCERTAIN_NOTE}: {date.describe()}; a replay plays it on {e.day.isoformat()}"
    return f"{e.date_note} ({said})" if e.date_note else said


def drawn_steps(draws: Draws, start: dt.date, seed: int) -> tuple[Happening, ...]:
    """The scripted steps with a day drawn for each uncertain date (see :data:`Draws`), in
    time order, file order at equal times."""
    in_file_order, uncertain = draws
    rng = random.Random(derive_seed(seed, DATES))
    origin = dt.datetime.combine(start, dt.time())
    steps = list(in_file_order)
    for positions, date, time in uncertain:
        # One day per event: an act that reaches several relations happens once.
        when = dt.datetime.combine(date.draw(rng), time)
        t = (when - origin).total_seconds() / _DAY_SECONDS
        for i in positions:
            steps[i] = dataclasses.replace(steps[i], when=when, t=t)
    return tuple(sorted(steps, key=lambda h: h.t))


__all__ = [
    "DATES",
    "Draws",
    "Uncertain",
    "date_note",
    "drawn_steps",
    "scripted_steps",
    "uncertain_of",
]
