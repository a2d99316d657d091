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

from simulator.engine.responses import Happening
from simulator.engine.seeds import derive_seed
from simulator.engine.trace import UNCERTAIN_NOTE
from simulator.scenario.model import EventSpec, UncertainDate

#: The key of the generator that draws uncertain dates: ``derive_seed(seed, DATES)``, apart from
#: the run's own generator (``seed``). Part of what a seed means: never change it.
DATES = 0x64617465  # "date"

_DAY_SECONDS = 86_400.0

#: The events whose date is uncertain: the positions of their steps among the steps in file
#: order (an act that reaches several relations is one step on each), their date, their time.
Uncertain = tuple[tuple[tuple[int, ...], UncertainDate, dt.time], ...]


def uncertain_of(events: Sequence[EventSpec], steps: Sequence[int]) -> Uncertain:
    """The events of ``events`` whose date is uncertain (see :data:`Uncertain`); ``steps[i]``
    is how many steps event ``i`` makes."""
    out = []
    first = 0
    for e, n in zip(events, steps, strict=True):
        if e.uncertain is not None:
            out.append((tuple(range(first, first + n)), e.uncertain, e.time or dt.time()))
        first += n
    return tuple(out)


def scripted_steps(
    events: Sequence[EventSpec], per_event: Sequence[Sequence[Happening]]
) -> tuple[tuple[Happening, ...], Uncertain, tuple[Happening, ...]]:
    """The scripted steps (``per_event[i]``: event ``i``'s, one per relation it reaches) in
    time order; the events whose date is uncertain; and, if there are any, the steps in file
    order, which a run that draws dates redates (:func:`drawn_steps`)."""
    steps = [h for hs in per_event for h in hs]
    uncertain = uncertain_of(events, [len(hs) for hs in per_event])
    # sorted() is stable: events at the same time keep their file order.
    return tuple(sorted(steps, key=lambda h: h.t)), uncertain, tuple(steps) if uncertain else ()


def date_note(e: EventSpec) -> str | None:
    """An event's date note; for an uncertain date, the possible days said after it."""
    if e.uncertain is None:
        return e.date_note
    said = f"{UNCERTAIN_NOTE}: {e.uncertain.describe()}; a replay plays it on {e.day.isoformat()}"
    return f"{e.date_note} ({said})" if e.date_note else said


def drawn_steps(
    in_file_order: Sequence[Happening],
    uncertain: Uncertain,
    start: dt.date,
    seed: int,
) -> tuple[Happening, ...]:
    """The scripted steps (``in_file_order``) with a day drawn for each uncertain date (see
    :data:`Uncertain`), in time order, file order at equal times."""
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


__all__ = ["DATES", "Uncertain", "date_note", "drawn_steps", "scripted_steps", "uncertain_of"]
