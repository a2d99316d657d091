"""The scenario's event codes held against the codebooks shipped in ``check/codebooks/``.

Three findings: a CAMEO code not in the CAMEO list (``unknown-cameo``, an error: the code means
nothing, or something else, to every tool that reads it), a Goldstein value other than GDELT's
for its code (``goldstein-differs``, a warning, unless the event type says why it overrides the
table with ``goldstein_override``), and a PLOVER type or mode that the CAMEO→PLOVER table
contradicts (``plover-differs``, information: PLOVER's reading of a CAMEO code is a convention,
and a coder may have reason to depart from it).

The tables are read on first use only, so that commands which never check codes (``dipsim run``
above all) do not pay for them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from simulator.check.analysis_base import Finding, Raw
from simulator.core.errors import KeyPath, Location
from simulator.scenario.model import Codes, Scenario


@dataclass(frozen=True, slots=True)
class Codebooks:
    """The three tables: CAMEO code → name, → Goldstein value, → PLOVER (type, mode)."""

    names: dict[str, str]
    goldstein: dict[str, float]
    plover: dict[str, tuple[str, str]]


def _rows(name: str) -> Iterator[list[str]]:
    text = files("simulator.check").joinpath("codebooks", name).read_text(encoding="utf-8")
    for line in text.splitlines()[1:]:  # the first line is a header
        if line.strip():
            yield line.split("\t")


def _plover_rows() -> Iterator[tuple[str, tuple[str, str]]]:
    text = files("simulator.check").joinpath("codebooks", "cameo-to-plover.txt")
    for line in text.read_text(encoding="utf-8").splitlines():
        code, colon, rest = line.partition(":")
        if not colon or not code.strip().isdigit():
            continue  # comments and blank lines
        fields = [f.strip() for f in rest.split("#", 1)[0].split(",")]
        yield code.strip(), (fields[0], fields[1] if len(fields) > 1 else "")


@cache
def codebooks() -> Codebooks:
    """The tables, read once."""
    return Codebooks(
        names={r[0]: r[1] for r in _rows("cameo-eventcodes.txt")},
        goldstein={r[0]: float(r[1]) for r in _rows("cameo-goldstein.txt")},
        plover=dict(_plover_rows()),
    )


def codebook_findings(scenario: Scenario, locate: Callable[[KeyPath], Location]) -> list[Finding]:
    """Every code of ``scenario`` (event types', events', rules' responses') against the tables."""
    raw: list[Raw] = []
    for name, declared in scenario.event_types.items():
        at: KeyPath = ("event_types", name, "codes")
        raw += _of_codes(declared.codes, at, declared.goldstein_override)
    own: list[tuple[str, Codes | None, KeyPath]]
    own = [(e.type, e.codes, ("events", i, "codes")) for i, e in enumerate(scenario.events)]
    own += [
        (r.respond.type, r.respond.codes, ("rules", i, "respond", "codes"))
        for i, r in enumerate(scenario.rules)
    ]
    for kind, codes, where in own:
        if codes is None:
            continue
        et = scenario.event_types.get(kind)
        # An event's codes are its type's with its own on top: held against the tables whole,
        # but only what the event itself sets is its finding (the rest is the type's, above).
        whole = codes if et is None else et.codes.merged(codes)
        given = {k for k, v in codes._field_values().items() if v is not None}
        reason = et.goldstein_override if et is not None else None
        raw += [
            r for r in _of_codes(whole, where, reason) if "cameo" in given or r.path[-1] in given
        ]
    return [Finding(r.severity, r.code, locate(r.path), r.path, r.message) for r in raw]


def _of_codes(codes: Codes, at: KeyPath, override: str | None) -> list[Raw]:
    cameo = codes.cameo
    if cameo is None:
        return []
    books = codebooks()
    if cameo not in books.names:
        return [
            Raw(
                "error",
                "unknown-cameo",
                (*at, "cameo"),
                f"CAMEO code {cameo!r} is not in the CAMEO event-code list (is it a WEIS code?)",
            )
        ]
    found: list[Raw] = []
    table = books.goldstein.get(cameo)
    if (
        codes.goldstein is not None
        and table is not None
        and codes.goldstein != table
        and override is None  # the event type says why it departs from the table
    ):
        found.append(
            Raw(
                "warning",
                "goldstein-differs",
                (*at, "goldstein"),
                f"Goldstein {codes.goldstein:g} differs from the table's {table:g} for "
                f"CAMEO {cameo} ({books.names[cameo]}); use {table:g}, or say why in the "
                "event type's 'goldstein_override'",
            )
        )
    mapped = books.plover.get(cameo)
    if codes.plover is not None and mapped is not None:
        kind, mode = mapped
        ours = codes.plover_mode
        if codes.plover_type != kind or (ours is not None and mode and ours != mode):
            want = f"{kind}/{mode}" if mode else kind
            found.append(
                Raw(
                    "info",
                    "plover-differs",
                    (*at, "plover"),
                    f"PLOVER {codes.plover} differs from the CAMEO→PLOVER table's {want} for "
                    f"CAMEO {cameo}",
                )
            )
    return found


__all__ = ["Codebooks", "codebook_findings", "codebooks"]
