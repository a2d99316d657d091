"""Loading a scenario file: read, parse safely, validate, and keep where things came from."""

from __future__ import annotations

import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from simulator.core.errors import (
    DipsimError,
    Location,
    Problem,
    ScenarioError,
    did_you_mean,
    printable,
    quoted,
    shown_path,
)
from simulator.core.files import DataFile, allowed_roots, kind_of, outside, outside_message
from simulator.scenario.model import EDIT_KINDS, Scenario, ShiftEvents, parse_edit
from simulator.scenario.references import check_references, in_file_order
from simulator.scenario.validation import translate_errors, unquoted_codes, validate_document
from simulator.scenario.whatif import InvalidResultError, apply_edit, cause_order_hint
from simulator.scenario.yamlread import (
    DEFAULT_LIMITS,
    Document,
    Limits,
    dump_yaml,
    read_source_text,
    read_yaml,
    read_yaml_file,
    scan_source_data,
)

#: Keys of a what-if file besides the scenario keys it overrides.
WHATIF_KEYS = ("extends", "edits")
#: Scenario sections a what-if merges key by key (its entries add to or replace the base's).
MERGED = ("sources", "actors", "event_types", "variables", "parameters", "tracks")
#: Scenario keys a what-if replaces whole.
REPLACED = (
    "dipsim",
    "title",
    "description",
    "start",
    "end",
    "machine",
    "relations",
    "max_responses",
    "invariants",
    "expect",
)


@dataclass(frozen=True)
class LoadedScenario:
    """A scenario with the document it was read from (for locating later findings) and, for a
    what-if, the loaded scenario it extends (``base``), which carries its own base in turn."""

    scenario: Scenario
    document: Document
    path: Path
    source_texts: dict[str, str | DataFile | None] = field(default_factory=dict)
    base: LoadedScenario | None = None

    @property
    def bases(self) -> tuple[LoadedScenario, ...]:
        """What this what-if extends, nearest first (empty for a plain scenario)."""
        chain: list[LoadedScenario] = []
        base = self.base
        while base is not None:
            chain.append(base)
            base = base.base
        return tuple(chain)

    @property
    def extends(self) -> tuple[Path, ...]:
        """The files this what-if extends, nearest first (resolved paths)."""
        return tuple(b.path for b in self.bases)


def load_scenario(path: str | Path, limits: Limits = DEFAULT_LIMITS) -> Scenario:
    """Load and validate a scenario file.

    Args:
        path: The YAML file.
        limits: Bounds on the input (size, depth, values, text length).

    Raises:
        ScenarioError: The file is missing or invalid; every problem is located.
    """
    return load_scenario_with_origin(path, limits).scenario


def load_scenario_with_origin(path: str | Path, limits: Limits = DEFAULT_LIMITS) -> LoadedScenario:
    """Like :func:`load_scenario`, also returning the document with positions."""
    path = Path(path)
    return _load(path, limits, (), allowed_roots(path, limits.allow_paths))


def _load(
    path: Path, limits: Limits, chain: tuple[Path, ...], roots: tuple[Path, ...]
) -> LoadedScenario:
    """``roots``: the folders the paths written in the file may reach (those of the file named
    first, wherever in its chain of ``extends`` a file is)."""
    doc = read_yaml_file(path, limits)
    texts = _source_texts(doc, path.parent, limits, roots)
    if isinstance(doc.data, dict) and "extends" in doc.data:
        return _load_whatif(path, doc, texts, limits, (chain, roots))
    return LoadedScenario(validate_document(doc, texts), doc, path, texts)


def _load_whatif(
    path: Path,
    doc: Document,
    texts: dict[str, str | DataFile | None],
    limits: Limits,
    where: tuple[tuple[Path, ...], tuple[Path, ...]],
) -> LoadedScenario:
    """A what-if: load what it extends, apply its overrides, then its edits in order."""
    chain, roots = where
    base_path = _base_path(path, doc, chain, roots)
    here = path.resolve()
    base = _load(base_path, limits, (*chain, here), roots)
    all_texts = {**base.source_texts, **texts}
    # Every problem of the what-if's own keys and edits is reported in one pass.
    key_problems = in_file_order([*_unknown_override_keys(doc), *unquoted_codes(doc)])
    try:
        edits = _parse_edits(doc)
    except ScenarioError as err:
        raise ScenarioError(in_file_order([*key_problems, *err.problems])) from None
    if key_problems:
        raise ScenarioError(key_problems)
    scenario = _override(base.scenario, doc, all_texts)
    for i, edit in edits:
        at = doc.locate(("edits", i))
        try:
            changed = apply_edit(scenario, edit)
        except InvalidResultError as err:
            view = _at(doc, err.data, at)
            problems = list(translate_errors(err.error, view, Scenario))
            raise ScenarioError(_after_edit(problems, i)) from None
        except DipsimError as err:
            raise ScenarioError([Problem(at, ("edits", i), str(err))]) from None
        problems = check_references(changed, _at(doc, doc.data, at), all_texts)
        if problems:
            if isinstance(edit, ShiftEvents):
                problems = _shift_hints(problems, edit, scenario, changed)
            raise ScenarioError(_after_edit(problems, i))
        scenario = changed
    if "expect" in doc.data:
        scenario = _claims_after_edits(scenario, doc, all_texts)
    return LoadedScenario(scenario, doc, path, all_texts, base)


def _claims_after_edits(
    scenario: Scenario, doc: Document, texts: dict[str, str | DataFile | None]
) -> Scenario:
    """The edited scenario with the what-if's own ``expect``, checked against it: a claim may
    name an event an edit added, and not one an edit removed."""
    data = scenario.model_dump(mode="json", by_alias=True)
    data["expect"] = doc.data["expect"]
    return validate_document(doc.moved_to(data), texts)


def _base_path(path: Path, doc: Document, chain: tuple[Path, ...], roots: tuple[Path, ...]) -> Path:
    """The file ``extends`` names, checked: a usable path, no cycle, inside the allowed folders
    (before the file is even looked at, so nothing outside is read or said to exist), and a
    regular file."""
    extends = doc.data["extends"]
    if not isinstance(extends, str) or not extends.strip():
        raise ScenarioError(
            [doc.problem(("extends",), "extends needs the path of a scenario file")]
        )
    try:
        base_path = (path.parent / extends).resolve()
        here = path.resolve()
        escaped = outside(base_path, roots)
    except (OSError, ValueError, RuntimeError) as err:  # a NUL, a name too long, a link loop
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        raise ScenarioError(
            [doc.problem(("extends",), f"extends is not a usable path ({printable(reason)})")]
        ) from None
    if base_path in (*chain, here):
        cycle = " -> ".join(shown_path(p) for p in (*chain, here, base_path))
        raise ScenarioError([doc.problem(("extends",), f"extends makes a cycle: {cycle}")])
    if escaped is not None:
        message = f"extends {outside_message(extends, escaped, roots)}"
        raise ScenarioError([doc.problem(("extends",), message)])
    try:
        mode: int | None = base_path.stat().st_mode
    except (OSError, ValueError):
        mode = None
    if mode is None:
        message = f"no scenario file {quoted(extends)} (paths are relative to this file)"
        raise ScenarioError([doc.problem(("extends",), message)])
    if not stat.S_ISREG(mode):
        message = f"extends {quoted(extends)} is {kind_of(mode)}, not a regular file"
        raise ScenarioError([doc.problem(("extends",), message)])
    return base_path


def _at(doc: Document, data: Any, location: Location) -> Document:
    """``data`` as if written in ``doc``, every key path placed at ``location`` (an edit's)."""
    return Document(doc.file, data, {(): (location.line or 1, location.column or 1)})


def _shift_hints(
    problems: list[Problem], edit: ShiftEvents, before: Scenario, after: Scenario
) -> list[Problem]:
    """A shift that leaves an event before its cause: each such problem says how to move the
    two together. A problem's key path names the event (and the cause's index when the file
    wrote one); its late causes are reported in ``caused_by`` order, so they are taken in turn."""
    late: dict[int, list[str]] = {}
    hinted = []
    for p in problems:
        hint = None
        if len(p.key_path) >= 3 and p.key_path[0] == "events" and p.key_path[2] == "caused_by":
            i = int(p.key_path[1])
            event = after.events[i]
            if i not in late:
                when = {e.id: e.when for e in after.events}
                late[i] = [c for c in event.caused_by if when.get(c, event.when) > event.when]
            cause = event.caused_by[int(p.key_path[3])] if len(p.key_path) > 3 else None
            if cause is None and late[i]:
                cause = late[i].pop(0)
            if cause is not None:
                hint = cause_order_hint(before, edit.shift, edit.with_consequences, event.id, cause)
        message = p.message if hint is None else f"{p.message}; {hint}"
        hinted.append(Problem(p.location, p.key_path, message))
    return hinted


def _after_edit(problems: list[Problem], index: int) -> list[Problem]:
    return [Problem(p.location, p.key_path, f"after edits[{index}]: {p.message}") for p in problems]


def _parse_edits(doc: Document) -> list[tuple[int, Any]]:
    edits = doc.data.get("edits", [])
    if not isinstance(edits, list):
        raise ScenarioError([doc.problem(("edits",), "edits is a list of edits")])
    parsed: list[tuple[int, Any]] = []
    problems: list[Problem] = []
    for i, item in enumerate(edits):
        try:
            parsed.append((i, parse_edit(item)))
        except ValueError as err:
            if isinstance(err, ValidationError):
                problems.extend(_edit_errors(err, doc, i))
            else:
                problems.append(doc.problem(("edits", i), str(err)))
    if problems:
        raise ScenarioError(problems)
    return parsed


def _edit_errors(err: ValidationError, doc: Document, index: int) -> list[Problem]:
    """Errors of one edit, located inside it (its own data is the root of pydantic's paths)."""
    item = doc.data["edits"][index]
    view = Document(
        doc.file,
        item,
        {p[2:]: v for p, v in doc.positions.items() if p[:2] == ("edits", index)},
        {p[2:]: v for p, v in doc.key_positions.items() if p[:2] == ("edits", index)},
    )
    kind = next(k for k in item if k in EDIT_KINDS)
    return [
        Problem(p.location, ("edits", index, *p.key_path), p.message)
        for p in translate_errors(err, view, EDIT_KINDS[kind])
    ]


def _merge_entries(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """Entries of a merged section: a new key is added; an existing entry gets the keys given
    (``variables: {tension: {decay_per_day: 0.2}}`` changes only the decay)."""
    out = dict(base)
    for key, value in changes.items():
        old = out.get(key)
        out[key] = {**old, **value} if isinstance(old, dict) and isinstance(value, dict) else value
    return out


def _merge_rules(base: list[Any], changes: list[Any]) -> list[Any]:
    """A rule with a base rule's id replaces it where it stands (rule order is draw order);
    new rules are appended."""
    by_id = {r.get("id"): r for r in changes if isinstance(r, dict)}
    kept = [by_id.pop(r["id"], r) for r in base]
    return kept + [r for r in changes if not isinstance(r, dict) or r.get("id") in by_id]


def _unknown_override_keys(doc: Document) -> list[Problem]:
    known = [*MERGED, *REPLACED, "rules"]
    return [
        doc.problem(
            (k,),
            f"a what-if cannot set {k!r}"
            + (
                ": add events with edits ('add: {...}')"
                if k == "events"
                else did_you_mean(k, known) + f"; it may set: {', '.join(known)}, extends, edits"
            ),
            key=True,
        )
        for k in doc.data
        if k not in known and k not in WHATIF_KEYS
    ]


def _override(base: Scenario, doc: Document, texts: dict[str, str | DataFile | None]) -> Scenario:
    """The base with the what-if's own top-level keys on top (merged or replaced)."""
    # Its own expectations may name events its edits add: they are judged after the edits
    # (_claims_after_edits), not against the base.
    overrides = {k: v for k, v in doc.data.items() if k not in (*WHATIF_KEYS, "expect")}
    data = base.model_dump(mode="json", by_alias=True)
    # The base's expectations are claims about the base's runs, which a what-if sets out to
    # change: they are not inherited (its invariants, rules of the model, are).
    data["expect"] = []
    for key, value in overrides.items():
        if key in MERGED and isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = _merge_entries(data[key], value)
        elif key == "rules" and isinstance(value, list):
            data["rules"] = _merge_rules(data["rules"], value)
        else:
            data[key] = value
    # The merged data, located by the what-if's own positions (where its keys are written).
    return validate_document(doc.moved_to(data), texts)


def _source_texts(
    doc: Document, base: Path, limits: Limits, roots: tuple[Path, ...] | None
) -> dict[str, str | DataFile | None]:
    """The text of every file source, read relative to the scenario's folder, bounded like the
    scenario itself (``None`` for one that cannot be read; the reference checks say so). A file
    outside ``roots`` is refused unread (``roots`` is None for text that has no file)."""
    texts: dict[str, str | DataFile | None] = {}
    sources = doc.data.get("sources") if isinstance(doc.data, dict) else None
    if not isinstance(sources, dict):
        return texts
    problems = []
    # The walk over every citation is paid only by a scenario with a file to cite.
    has_files = any(
        isinstance(v, dict) and isinstance(v.get("file"), str) for v in sources.values()
    )
    cited = _data_only(doc.data) if has_files else {}
    for sid, spec in sources.items():
        if isinstance(spec, dict) and isinstance(spec.get("file"), str):
            file = base / spec["file"]
            try:
                escaped = None if roots is None else outside(file, roots)
            except (OSError, ValueError, RuntimeError):  # unusable: read_source_text says so
                escaped = None
            if escaped is not None:
                message = f"source file {outside_message(spec['file'], escaped, roots or ())}"
                problems.append(doc.problem(("sources", sid, "file"), message))
                continue
            data = cited.get(str(sid))
            texts[str(sid)] = (
                read_source_text(file, limits)
                if data is None
                else scan_source_data(file, frozenset(data))
            )
    if problems:
        raise ScenarioError(problems)
    return texts


def _data_only(data: Any) -> dict[str, set[str]]:
    """The sources cited by ``rows`` or ``records`` and never by a quote, each with the record
    ids cited of it: such a file is scanned a line at a time, not read whole as text."""
    cited: dict[str, set[str]] = {}
    quoted_: set[str] = set()
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, dict):
            ref = value.get("ref")
            if isinstance(ref, str) and ("rows" in value or "records" in value):
                ids = value.get("records")
                cited.setdefault(ref, set()).update(
                    str(i) for i in (ids if isinstance(ids, list) else [])
                )
            elif isinstance(ref, str):
                quoted_.add(ref)
            stack.extend(value.values())
    return {ref: ids for ref, ids in cited.items() if ref not in quoted_}


def scenario_to_yaml(scenario: Scenario) -> str:
    """A scenario as YAML text that loads back to an equal scenario (defaults left out)."""
    # by_alias: a key that is a Python word is a field under another name (``from`` is from_).
    return dump_yaml(scenario.model_dump(mode="json", exclude_defaults=True, by_alias=True))


def scenario_from_text(
    text: str, file: str = "<text>", limits: Limits = DEFAULT_LIMITS, *, base: Path = Path(".")
) -> Scenario:
    """Load a scenario from YAML text; its file sources are read relative to ``base`` (the
    folder it is to be written in; by default the working folder), from any folder."""
    doc = read_yaml(text, file, limits)
    return validate_document(doc, _source_texts(doc, base, limits, None))


__all__ = [
    "DEFAULT_LIMITS",
    "Limits",
    "LoadedScenario",
    "load_scenario",
    "load_scenario_with_origin",
    "scenario_from_text",
    "scenario_to_yaml",
]
