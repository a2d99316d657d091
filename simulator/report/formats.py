"""A trace as JSON or CSV text, for programs."""

from __future__ import annotations

import csv
import io

from simulator.core.text import csv_cell, json_text
from simulator.engine.trace import Trace

CSV_FIELDS = (
    "t",
    "date",
    "date_basis",
    "event_id",
    "type",
    "actor",
    "target",
    "relation",
    "before",
    "after",
    "outcome",
)
CSV_TAIL = (
    "cameo",
    "goldstein",
    "source",
    "cause",
    "summary",
    "quote",
    "date_note",
    "note",
    "citations",
)

#: The columns after ``CSV_TAIL`` of a trace with a joint or third-party act (see
#: ``trace_to_csv``): its stance, the sides it names, and ``bearing``, the Goldstein value the
#: engine applied to the row's relation (the coded one but for a third party taking sides).
CSV_PARTIES = ("stance", "sides", "bearing")


_TRACK_FIELDS = ("before", "after", "outcome")


def trace_to_json(trace: Trace) -> str:
    """The whole trace as indented JSON, byte for byte the same for the same run (a value that
    is not finite, such as a variable at an infinite bound, is ``null``)."""
    return json_text(trace.to_dict()) + "\n"


def trace_to_csv(trace: Trace) -> str:
    """One CSV row per record; each variable is a column; actors and targets are joined with
    ``;``. A trace with a joint or third-party act has the columns ``CSV_PARTIES`` too; each
    parallel track has three columns after ``outcome``: ``TRACK.before``, ``.after``, ``.outcome``.

    A trace with a WEIS-coded event has a ``weis`` column after ``cameo``.

    ``source`` and ``quote`` are the event's first citation, the one it rests on; ``citations``
    holds them all, as the JSON trace has them (a list of ``ref``, ``quote``, ``note``) on one
    line: a quote may hold any character, so no separator could join them safely. A citation of
    a data file's rows or records has no quote: ``citations`` names them (its ``where``).

    A text cell a spreadsheet would take for a formula (``=1+1``, ``-x``, ``@x``) has a ``'``
    before it (:func:`~simulator.core.text.csv_cell`); numbers are never guarded.
    """
    parties = any(r.actors or r.stance or r.tone is not None for r in trace.records)
    tail = (*CSV_TAIL, *CSV_PARTIES) if parties else CSV_TAIL
    if any(r.weis is not None for r in trace.records):  # beside cameo, never under its name
        tail = ("cameo", "weis", *tail[1:])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    # Each parallel track's state before and after, and the outcome there: TRACK.before, ...
    on_tracks = [f"{t}.{k}" for t in trace.tracks for k in _TRACK_FIELDS]
    header = (*CSV_FIELDS, *on_tracks, *trace.variables, *tail)
    writer.writerow([csv_cell(name) for name in header])
    for r in trace.records:
        d = r.to_dict()
        d["actor"] = ";".join(r.parties)
        d["target"] = ";".join(r.target)
        d["citations"] = json_text(d["citations"], indent=None) if r.citations else None
        d["sides"] = ";".join(r.sides)
        d["bearing"] = r.bearing
        row = [d[k] for k in CSV_FIELDS]
        for track in trace.tracks:
            step = r.track_step(track)
            row += [getattr(step, k) if step is not None else "" for k in _TRACK_FIELDS]
        row += [r.variables.get(v, "") for v in trace.variables]
        row += ["" if d.get(k) is None else d[k] for k in tail]
        writer.writerow([csv_cell(v) if isinstance(v, str) else v for v in row])
    return out.getvalue()
