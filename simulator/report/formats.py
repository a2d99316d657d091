"""A trace as JSON or CSV text, for programs."""

from __future__ import annotations

import csv
import io
import json

from simulator.engine.trace import Trace

CSV_FIELDS = (
    "t",
    "date",
    "event",
    "type",
    "actor",
    "target",
    "relation",
    "before",
    "after",
    "outcome",
)
CSV_TAIL = ("cameo", "goldstein", "source", "cause", "summary", "quote")


def trace_to_json(trace: Trace) -> str:
    """The whole trace as indented JSON, byte for byte the same for the same run."""
    return json.dumps(trace.to_dict(), indent=2, ensure_ascii=False) + "\n"


def trace_to_csv(trace: Trace) -> str:
    """One CSV row per record; each variable is a column; targets are joined with ``;``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*CSV_FIELDS, *trace.variables, *CSV_TAIL])
    for r in trace.records:
        d = r.to_dict()
        d["target"] = ";".join(r.target)
        row = [d[k] for k in CSV_FIELDS]
        row += [r.variables.get(v, "") for v in trace.variables]
        row += ["" if d[k] is None else d[k] for k in CSV_TAIL]
        writer.writerow(row)
    return out.getvalue()
