"""The mapping file: which event codes are which of a machine's event types, and the machine.

A mapping file (``dipsim_mapping: 1``) names its codebook (``cameo`` or ``weis``: the table
every code of the data is read against, for its name and its Goldstein value), takes codes and
code prefixes to event types, and carries the rest of the scenario the import writes (the
machine, its variables, invariants ...). The default mappings ship in ``eventdata/mappings/``
and document their reasoning; see docs/event-data.md for the format.

A code written whole (``"161"``) matches that code only; a code ending in ``*`` (``"19*"``)
matches every code that starts with its digits. The longest match wins; a code that nothing
matches is "not mapped" and left out of the scenario (and counted).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, model_validator

from simulator.core.errors import Problem, ScenarioError
from simulator.scenario.model.base import Frozen, Name, Text, invalid
from simulator.scenario.validation import translate_errors
from simulator.scenario.yamlread import DEFAULT_LIMITS, Document, Limits, read_yaml_file

Codebook = Literal["cameo", "weis"]

#: What a mapping's ``scenario`` part may hold: the machine and what runs it, not what happened
#: (the import writes the title, span, actors, relations, sources and events).
TEMPLATE_KEYS = frozenset(
    {"machine", "variables", "rules", "parameters", "max_responses", "invariants", "tracks"}
)

CodePattern = Annotated[str, Field(pattern=r"^[0-9]{2,4}\*?$")]


class TypeMapping(Frozen):
    """One event type: the codes that are it, and what it means."""

    codes: Annotated[tuple[CodePattern, ...], Field(min_length=1)]
    description: Text = ""
    #: The act counts only when both sides' records of it fall on the same day (a mutual
    #: restoration of relations); a one-sided record is the ``otherwise`` type.
    both_sides: bool = False
    otherwise: Name | None = None

    @model_validator(mode="after")
    def _otherwise_with_both_sides(self) -> TypeMapping:
        if self.both_sides and self.otherwise is None:
            raise invalid(
                "a type with 'both_sides' needs 'otherwise': the type of a one-sided record"
            )
        if self.otherwise is not None and not self.both_sides:
            raise invalid("'otherwise' goes with 'both_sides: true'")
        return self


class Mapping(Frozen):
    """A mapping file, validated."""

    dipsim_mapping: Literal[1] = Field(description="format version")
    title: Annotated[str, Field(min_length=1, max_length=500)]
    description: Text = ""
    codebook: Codebook = "cameo"
    types: Annotated[dict[Name, TypeMapping], Field(min_length=1)]
    scenario: dict[str, Any]


def _whole_problems(mapping: Mapping) -> Iterator[tuple[tuple[str | int, ...], str, bool]]:
    """What is wrong with the mapping as a whole, each at the key path where it is written
    (``True``: at the key itself), so the message points at the second code, not the file."""
    seen: dict[str, str] = {}
    for name, mapped in mapping.types.items():
        for i, code in enumerate(mapped.codes):
            if code in seen and seen[code] != name:
                yield (
                    ("types", name, "codes", i),
                    f"code {code!r} is mapped to both {seen[code]!r} and {name!r}",
                    False,
                )
            seen.setdefault(code, name)
    for name, mapped in mapping.types.items():
        other = mapped.otherwise
        if other is not None and (other not in mapping.types or mapping.types[other].both_sides):
            yield (
                ("types", name, "otherwise"),
                f"type {name!r}: 'otherwise' names {other!r}, which is not a type of this "
                "mapping without 'both_sides'",
                False,
            )
    for key in mapping.scenario:
        if key not in TEMPLATE_KEYS:
            yield (
                ("scenario", key),
                f"'scenario' may hold {', '.join(sorted(TEMPLATE_KEYS))}; not {key!r} "
                "(the import writes the rest)",
                True,
            )
    if "machine" not in mapping.scenario:
        yield ("scenario",), "'scenario' needs the 'machine' the events drive", True


@dataclass
class CodeMap:
    """Codes to event types, the longest match first; answers are kept (a file repeats codes)."""

    mapping: Mapping
    _exact: dict[str, str] = field(init=False)
    _prefixes: list[tuple[str, str]] = field(init=False)
    _seen: dict[str, str | None] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self._exact = {}
        prefixes: list[tuple[str, str]] = []
        for name, mapped in self.mapping.types.items():
            for code in mapped.codes:
                if code.endswith("*"):
                    prefixes.append((code[:-1], name))
                else:
                    self._exact[code] = name
        self._prefixes = sorted(prefixes, key=lambda p: -len(p[0]))

    def type_of(self, code: str) -> str | None:
        """The event type of ``code``, or ``None`` when the mapping leaves it out."""
        if code not in self._seen:
            found = self._exact.get(code)
            if found is None:
                found = next((name for p, name in self._prefixes if code.startswith(p)), None)
            self._seen[code] = found
        return self._seen[code]


def default_mapping_path(codebook: Codebook) -> Path:
    """The shipped mapping for the four-state machine, for CAMEO- or WEIS-coded records."""
    return Path(
        str(files("simulator.eventdata").joinpath("mappings", f"four-state-{codebook}.yaml"))
    )


def load_mapping(path: Path, known: set[str], limits: Limits = DEFAULT_LIMITS) -> Mapping:
    """Read and validate a mapping file; ``known`` is its codebook's codes, which every code
    and prefix must name (a mapping of codes that do not exist maps nothing).

    Raises:
        ScenarioError: The file is missing or invalid; every problem is located.
    """
    read = MappingFile.read(path, limits)
    read.check_codes(known)
    return read.mapping


@dataclass(frozen=True)
class MappingFile:
    """A mapping file read and validated as a model, its codes not yet held against a codebook
    (the command line learns from it which codebook it is for): read once, checked as needed.
    The problems of the whole mapping wait to be said with those of its codes, all at once."""

    mapping: Mapping
    doc: Document
    pending: tuple[Problem, ...] = ()

    @classmethod
    def read(cls, path: Path, limits: Limits = DEFAULT_LIMITS) -> MappingFile:
        """The file's mapping; ``ScenarioError`` (located) if it is no valid model."""
        doc = read_yaml_file(path, limits, kind="mapping file")
        if not isinstance(doc.data, dict):
            raise ScenarioError([doc.problem((), "a mapping file is a mapping of keys")])
        try:
            mapping = Mapping.model_validate(doc.data)
        except ValidationError as err:
            raise ScenarioError(list(translate_errors(err, doc, Mapping))) from None
        pending = tuple(
            doc.problem(at, message, key=key) for at, message, key in _whole_problems(mapping)
        )
        return cls(mapping, doc, pending)

    def check_codes(self, known: set[str]) -> None:
        """Every code and prefix names one of ``known``; ``ScenarioError`` with every problem
        (located) if not, or if the mapping has others."""
        problems: list[Problem] = list(self.pending)
        for name, mapped in self.mapping.types.items():
            for i, code in enumerate(mapped.codes):
                stem = code.rstrip("*")
                exists = stem in known if stem == code else any(k.startswith(stem) for k in known)
                if not exists:
                    what = "code" if stem == code else "prefix of any code"
                    problems.append(
                        self.doc.problem(
                            ("types", name, "codes", i),
                            f"{code!r} is not a {self.mapping.codebook.upper()} {what}",
                        )
                    )
        if problems:
            raise ScenarioError(problems)


def template_problems(
    path: Path, problems: list[Problem], limits: Limits = DEFAULT_LIMITS
) -> ScenarioError:
    """The problems of a scenario an import made, placed in the mapping file where they come
    from: a key of its ``scenario`` part (``machine.transitions[0].trigger``), or one of its
    ``types``; any other (the events, made from the records) is left where it was found."""
    try:
        doc = read_yaml_file(path, limits, kind="mapping file")
    except ScenarioError as err:  # the file changed since it was read: say that instead
        return err
    placed = []
    for p in problems:
        head = p.key_path[0] if p.key_path else None
        if head in TEMPLATE_KEYS:
            placed.append(doc.problem(("scenario", *p.key_path), p.message))
        elif head == "event_types" and len(p.key_path) >= 2:
            placed.append(doc.problem(("types", *p.key_path[1:2]), p.message))
        else:
            placed.append(p)
    return ScenarioError(placed)


__all__ = [
    "TEMPLATE_KEYS",
    "CodeMap",
    "Codebook",
    "Mapping",
    "MappingFile",
    "TypeMapping",
    "default_mapping_path",
    "load_mapping",
    "template_problems",
]
