"""The scenario's event codes held against the codebooks shipped in ``check/codebooks/``.

Three findings: a CAMEO code not in the CAMEO list (``unknown-cameo``, an error: the code means
nothing, or something else, to every tool that reads it), a Goldstein value other than GDELT's
for its code (``goldstein-differs``, a warning, unless the event type says why it overrides the
table with ``goldstein_override``), and a PLOVER type or mode that the CAMEO→PLOVER table
contradicts (``plover-differs``, information: PLOVER's reading of a CAMEO code is a convention,
and a coder may have reason to depart from it).

A WEIS code (``codes: {weis: ...}``, KEDS data such as the Gulf file) is held against the WEIS
tables the same way: not in either (``unknown-weis``, an error), a Goldstein value other than
the WEIS table's (``goldstein-differs``, the same override rule). The two WEIS tables do not
cover the same codes (see ``codebooks/README.md``): a code in either is known, and a known code
without a Goldstein value in the table (``130``, KEDS's extensions ``114 143 199 204 214 215``)
has no Goldstein check. WEIS has no PLOVER mapping, so a WEIS code's PLOVER type is not checked.

The tables are read on first use only, so that commands which never check codes (``dipsim run``
above all) do not pay for them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from simulator.check.analysis_base import Finding, Raw
from simulator.core.errors import KeyPath, Location
from simulator.scenario.model import Codes, Scenario


@dataclass(frozen=True, slots=True)
class Codebooks:
    """The tables: CAMEO code → name, → Goldstein value, → PLOVER (type, mode); WEIS code →
    Goldstein value, → name (empty where KEDS gives none). The importer reads them here too."""

    names: dict[str, str]
    goldstein: dict[str, float]
    plover: dict[str, tuple[str, str]]
    weis_goldstein: dict[str, float]
    weis_names: dict[str, str]

    def weis_known(self, code: str) -> bool:
        """Whether ``code`` is a WEIS code: in either WEIS table (they differ by a few codes)."""
        return code in self.weis_names or code in self.weis_goldstein


def _text(name: str) -> str:
    return files("simulator.check").joinpath("codebooks", name).read_text(encoding="utf-8")


def _rows(name: str) -> Iterator[list[str]]:
    for line in _text(name).splitlines()[1:]:  # the first line is a header
        if line.strip():
            yield line.split("\t")


def _csv_rows(name: str) -> Iterator[list[str]]:
    # The WEIS tables are CSV, a name quoted where it holds a comma ("VOTE, ELECT").
    yield from list(csv.reader(io.StringIO(_text(name))))[1:]


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
        weis_goldstein={r[0]: float(r[1]) for r in _csv_rows("weis-goldstein.csv")},
        weis_names={r[0]: r[1] for r in _csv_rows("weis-codes.csv")},
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
            r
            for r in _of_codes(whole, where, reason)
            if given & {"cameo", "weis"} or r.path[-1] in given
        ]
    return [Finding(r.severity, r.code, locate(r.path), r.path, r.message) for r in raw]


def _of_codes(codes: Codes, at: KeyPath, override: str | None) -> list[Raw]:
    if codes.weis is not None:
        return _of_weis(codes, codes.weis, at, override)
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
                f"CAMEO code {cameo!r} is not in the CAMEO event-code list{_as_weis(cameo, books)}",
            )
        ]
    found = _goldstein(codes, books.goldstein.get(cameo), f"CAMEO {cameo}", books.names[cameo], at)
    found = found if override is None else []  # the event type says why it departs
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


def _as_weis(code: str, books: Codebooks) -> str:
    """What to say of a code CAMEO lacks that WEIS has (KEDS data is coded in either)."""
    if not books.weis_known(code):
        return ""
    name = books.weis_names.get(code)
    named = f"WEIS {code} ({name})" if name else f"WEIS {code}"
    return f'; it is {named}: for WEIS-coded data write weis: "{code}"'


def _as_cameo(code: str, books: Codebooks) -> str:
    """What to say of a code WEIS lacks that CAMEO has."""
    name = books.names.get(code)
    return (
        f'; it is CAMEO {code} ({name}): for CAMEO-coded data write cameo: "{code}"' if name else ""
    )


def _of_weis(codes: Codes, weis: str, at: KeyPath, override: str | None) -> list[Raw]:
    books = codebooks()
    if not books.weis_known(weis):
        return [
            Raw(
                "error",
                "unknown-weis",
                (*at, "weis"),
                f"WEIS code {weis!r} is not in the WEIS tables (KEDS's code names and "
                f"Goldstein values){_as_cameo(weis, books)}",
            )
        ]
    table = books.weis_goldstein.get(weis)
    found = _goldstein(codes, table, f"WEIS {weis}", books.weis_names.get(weis), at)
    return found if override is None else []


def _goldstein(
    codes: Codes, table: float | None, code: str, name: str | None, at: KeyPath
) -> list[Raw]:
    """A warning when the codes' Goldstein value is not the table's for their code (nothing
    when the table has none: a WEIS code KEDS added)."""
    if codes.goldstein is None or table is None or codes.goldstein == table:
        return []
    named = f"{code} ({name})" if name else code
    return [
        Raw(
            "warning",
            "goldstein-differs",
            (*at, "goldstein"),
            f"Goldstein {codes.goldstein:g} differs from the table's {table:g} for {named}; "
            f"use {table:g}, or say why in the event type's 'goldstein_override'",
        )
    ]


__all__ = ["Codebooks", "codebook_findings", "codebooks"]
