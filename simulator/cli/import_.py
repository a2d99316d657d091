"""``dipsim import``: coded event records (KEDS/TABARI, ICEWS, GDELT) → a scenario file."""

from __future__ import annotations

import datetime as dt
import os
import shlex
import sys
import textwrap
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING

import click

from simulator.cli.common import (
    DateType,
    OutputPath,
    allow_path_option,
    echo,
    fail,
    limit_option,
    limits_from,
    write,
)
from simulator.cli.run import Progress
from simulator.core.errors import DipsimError
from simulator.core.text import printable

if TYPE_CHECKING:
    from simulator.eventdata.importer import Imported


#: The share of malformed rows that makes a file refused (see ``--max-bad``).
DEFAULT_MAX_BAD = 0.05


class ByteProgress(Progress):
    """Progress through a big file on standard error: `` 41% of 3.8 MB read``, shown as
    :class:`~simulator.cli.run.Progress` shows runs (rewritten in place, only on a terminal and
    once the work has taken half a second)."""

    def text(self, done: int, total: int, elapsed: float) -> str:  # noqa: ARG002  # no rate shown
        share = f"{done / total:4.0%}" if total else ""
        return f" {share} of {total / 1e6:,.1f} MB read"


def _dyads(
    _ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]
) -> tuple[tuple[str, str], ...]:
    from simulator.eventdata.select import parse_dyad

    try:
        return tuple(parse_dyad(v) for v in values)
    except ValueError as err:
        raise click.BadParameter(str(err)) from None


def _actors(
    _ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]
) -> tuple[str, ...]:
    from simulator.eventdata.select import ACTOR

    codes = [v.strip().upper() for v in values]  # as --dyad reads its codes
    for v in codes:
        if not ACTOR.match(v):
            raise click.BadParameter(
                f"{v[:20]!r} is not an actor code (capital letters and digits, at most 16)"
            )
    return tuple(dict.fromkeys(codes))


@click.command("import")
@click.argument("records", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--out",
    "-o",
    type=OutputPath(dash="stdout"),
    required=True,
    help="The scenario file to write (atomically); - is standard output.",
)
@click.option(
    "--dyad",
    "dyads",
    multiple=True,
    callback=_dyads,
    metavar="A-B",
    help="A relation to import, by actor codes: the records between A and B, both ways "
    "(repeatable). Codes match by prefix: EGY takes EGYGOV and EGYMIL too.",
)
@click.option(
    "--actor",
    "actors",
    multiple=True,
    callback=_actors,
    metavar="CODE",
    help="An actor whose relations with the other --actor codes are imported (repeatable).",
)
@click.option(
    "--exact-actors",
    is_flag=True,
    help="Match actor codes whole: EGY is Egypt as a state, not EGYGOV (ICEWS: the country "
    "itself, not its ministries or citizens).",
)
@click.option("--from", "first", type=DateType(), help="Leave out records before this day.")
@click.option("--until", "last", type=DateType(), help="Leave out records after this day.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["keds", "icews", "gdelt"]),
    help="The file's format (default: told from its first line).",
)
@click.option(
    "--codebook",
    type=click.Choice(["cameo", "weis"]),
    help="What the codes are (default: the mapping's; the shipped mapping for it otherwise).",
)
@click.option(
    "--mapping",
    type=click.Path(path_type=Path, dir_okay=False),
    help="A mapping file: codes → event types, and the machine (default: the shipped four-state "
    "mapping of the codebook; see docs/event-data.md).",
)
@click.option("--title", help="The scenario's title (default: the dyads and the file's name).")
@click.option(
    "--max-bad",
    type=click.FloatRange(0.0, 1.0),
    default=DEFAULT_MAX_BAD,
    show_default=True,
    help="Refuse a file whose unreadable rows (malformed, unknown codes) are more than this "
    "share of its rows: it is most likely in another format or codebook.",
)
@limit_option
@allow_path_option
def import_records(
    records: Path,
    out: Path | None,
    dyads: tuple[tuple[str, str], ...],
    actors: tuple[str, ...],
    exact_actors: bool,
    first: dt.date | None,
    last: dt.date | None,
    fmt: str | None,
    codebook: str | None,
    mapping: Path | None,
    title: str | None,
    max_bad: float,
    limits: tuple[tuple[str, int], ...],
    allow_paths: tuple[Path, ...],
) -> None:
    """Make a scenario of coded event records (KEDS, ICEWS, GDELT).

    KEDS/TABARI, ICEWS and GDELT 1.0/2.0 rows, CAMEO or WEIS codes.

    \b
    The records between the actors asked for become events (a day's records of one act are one
    event, citing its rows), typed by a mapping of codes; every line is accounted for, and bad
    rows are counted and shown. The scenario then checks, runs and batches like any other:
      dipsim import levant.csv --dyad EGY-ISR --from 1982-01-01 --until 1987-12-31 -o egy-isr.yaml
      dipsim check egy-isr.yaml
    """
    from simulator.eventdata.importer import import_records as run_import
    from simulator.eventdata.importer import scenario_text
    from simulator.eventdata.mapping import MappingFile, default_mapping_path
    from simulator.eventdata.select import Selection
    from simulator.eventdata.tables import code_table

    if not dyads and len(actors) < 2:
        raise click.UsageError("name the relation to import: --dyad A-B, or two or more --actor")
    if first is not None and last is not None and last < first:
        raise click.UsageError(f"--until {last} is before --from {first}")
    limits_ = limits_from(limits, allow_paths)
    if out is not None and _same_file(out, records, mapping):
        raise click.UsageError(
            f"--out {printable(str(out))[:80]} is the records or the mapping file itself; "
            "write the scenario to another file"
        )
    progress = ByteProgress(sys.stderr)
    try:
        path = mapping or default_mapping_path("weis" if codebook == "weis" else "cameo")
        read = MappingFile.read(path, limits_)
        # Codes of neither codebook first, then the codebook asked for, then the mapping's own.
        read.check_codes(set(code_table("cameo").names) | set(code_table("weis").names))
        if codebook is not None and read.mapping.codebook != codebook:
            raise click.UsageError(
                f"the mapping {path.name} is for {read.mapping.codebook.upper()} codes, not "
                f"{codebook.upper()} (--codebook)"
            )
        read.check_codes(set(code_table(read.mapping.codebook).names))
        loaded = read.mapping
        selection = Selection(dyads, actors, exact_actors, first, last)
        folder = Path.cwd() if out is None else out.absolute().parent
        made = run_import(
            records,
            loaded,
            selection,
            fmt=fmt,  # type: ignore[arg-type]  # click's Choice: one of Format's values
            relative_to=folder,
            title=title,
            max_bad=max_bad,
            progress=progress,
        )
        progress.close()
        body = scenario_text(made, path, limits_)
    except DipsimError as err:
        progress.close()
        fail(err)
    dyad_words = [("--dyad", "-".join(d)) for d in dyads] + [("--actor", a) for a in actors]
    options: list[tuple[str, object]] = [
        *dyad_words,
        ("--exact-actors", exact_actors),
        ("--from", first),
        ("--until", last),
        ("--format", fmt),
        ("--codebook", codebook),
        ("--mapping", mapping),
        ("--title", title),
        ("--max-bad", None if max_bad == DEFAULT_MAX_BAD else max_bad),
    ]
    header = _header(command_line(records, options), made)
    write(header + body, out)
    _report(made, out)
    _reachable(records, out, allow_paths)


def _same_file(out: Path, *inputs: Path | None) -> bool:
    """Whether writing ``out`` would replace one of ``inputs`` (links and ``..`` resolved)."""
    for given in inputs:
        try:
            if given is not None and out.exists() and os.path.samefile(out, given):
                return True
        except OSError:  # an input that is not there: said when it is read
            continue
    return False


def _reachable(records: Path, out: Path | None, allow_paths: tuple[Path, ...]) -> None:
    """Say so when the scenario cites its records in a folder that check and run will not read
    without ``--allow-path`` (paths inside files stay in the working folder and the file's own,
    unless allowed)."""
    from simulator.core.files import allowed_roots, outside

    top = Path.cwd() / "scenario.yaml" if out is None else out.absolute()
    escaped = outside(records, allowed_roots(top, allow_paths))
    if escaped is not None:
        folder = shlex.quote(str(escaped.parent))
        # The paths are shown whole (as core.files.outside_message does): a cut one is no use.
        echo(
            f"  note: the scenario cites {printable(str(records))}, outside the folders dipsim "
            f"reads from by default: check and run it with --allow-path {printable(folder)}",
            err=True,
        )


def command_line(records: Path, options: list[tuple[str, object]]) -> str:
    """The command that makes the file again, as a shell reads it (options left at their
    defaults left out), on one line whatever the values hold."""
    words = ["dipsim", "import", str(records)]
    for name, value in options:
        if value is True:
            words.append(name)
        elif value not in (None, False):
            words += [name, str(value)]
    line = " ".join(shlex.quote(w) for w in words)
    # A line break in a value (a title) would end the comment it is written in.
    return "".join(
        f"\\u{ord(c):04x}" if unicodedata.category(c)[0] == "C" or c in "\x85\u2028\u2029" else c
        for c in line
    )


def _header(command: str, made: Imported) -> str:
    from simulator.eventdata.importer import bad_summary, counted

    t = made.tally
    codes = made.table.codebook.upper()
    lines = [
        f"Made by dipsim import ({made.fmt} records, {codes} codes); to make it again:",
        f"  {command}",
        *textwrap.wrap(
            f"{t.rows:,} rows: {t.kept:,} kept as {counted(t.events)}; {t.outside:,} of other "
            f"actors; {t.out_of_window:,} outside the dates; {sum(t.not_mapped.values()):,} with "
            f"codes the mapping leaves out; {t.bad_total:,} bad"
            + (f": {bad_summary(t)}." if t.bad_total else "."),
            width=96,
        ),
    ]
    return "".join(f"# {line}\n" for line in lines)


def _report(made: Imported, out: Path | None) -> None:
    from simulator.eventdata.importer import bad_summary, counted

    t = made.tally
    where = "standard output" if out is None else str(out)
    echo(f"imported {t.kept:,} of {t.rows:,} rows as {counted(t.events)} → {where}", err=True)
    left = sum(t.not_mapped.values())
    if left:
        common = ", ".join(f"{c} ×{n:,}" for c, n in t.not_mapped.most_common(5))
        echo(f"  codes the mapping leaves out: {left:,} rows ({common})", err=True)
    echo(f"  of other actors: {t.outside:,}; outside the dates: {t.out_of_window:,}", err=True)
    if t.bad_total:
        echo(f"  bad rows: {t.bad_total:,}: {bad_summary(t)}", err=True)
        if t.unknown:
            common = ", ".join(f"{u} ×{n:,}" for u, n in t.unknown.most_common(5))
            echo(f"  unknown: {common}", err=True)
        if t.bad_first:  # why, in the words of the first row of each kind
            echo(f"  the first of each: {'; '.join(t.bad_first.values())}", err=True)


__all__ = ["ByteProgress", "import_records"]
