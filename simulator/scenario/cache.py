"""The validated-scenario cache of ``dipsim run``: a scenario validated once is not validated again.

Loading a scenario (YAML, pydantic, the reference checks) costs more than running it, and its
imports more than both. :func:`load_for_run` keeps, per scenario, what loading it produced, as
plain data (:mod:`simulator.scenario.records`), in the user's cache folder. On a hit it rebuilds
the scenario from that data without YAML, without pydantic and without checks: the entry is
only used when everything loading depended on is the same —

* the bytes of the scenario file, and of every file loading read for it (the files it
  ``extends``, its source texts), or the same failure to read one;
* its resolved path, the input limits, the folders paths inside files may reach;
* dipsim's scenario code (every module of ``simulator/scenario/`` and ``simulator/core/``,
  hashed, so a changed format never reads an old entry), the installed pydantic and PyYAML,
  and the Python that runs.

An entry is JSON behind a line with its own BLAKE2b hash: a damaged, foreign or mismatched
entry is ignored and replaced, never trusted. Entries are written atomically, one per file and
options (an edited file replaces its entry). Errors found while running a cached scenario are
still located: the CLI loads the file again, with positions, to place them
(``cli.common.located``).

The folder: ``$DIPSIM_CACHE_DIR``, else ``$XDG_CACHE_HOME/dipsim``, else ``~/.cache/dipsim``.
``DIPSIM_NO_CACHE=1`` (or ``dipsim run --no-cache``) turns the cache off.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simulator.core.files import (
    NotRegularFileError,
    Read,
    allowed_roots,
    data_digest,
    read_bounded,
    write_atomically,
)

try:  # CPython's own BLAKE2: importing hashlib loads OpenSSL first, ~8 ms of every start
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - a Python without it
    from hashlib import blake2b

if TYPE_CHECKING:
    from simulator.scenario.limits import Limits
    from simulator.scenario.model import Scenario

#: The layout of an entry; a change makes every older entry a miss.
FORMAT = 1
#: The first line of an entry, before the BLAKE2b hash (32 bytes) of the rest.
MAGIC = b"dipsim-scenario-cache"
#: An entry larger than this is not read (it cannot be one dipsim wrote for a file within limits).
MOST_ENTRY_BYTES = 200_000_000
#: What loading a scenario depends on besides its files: these folders' modules, by content.
CODE = (Path(__file__).resolve().parent, Path(__file__).resolve().parent.parent / "core")
#: Libraries whose version decides what validates, located without importing them.
LIBRARIES = ("pydantic", "pydantic_core", "yaml")


def cache_folder() -> Path | None:
    """Where entries live, or None when the cache is off (``DIPSIM_NO_CACHE`` set, not ``0``)."""
    if os.environ.get("DIPSIM_NO_CACHE", "") not in ("", "0"):
        return None
    explicit = os.environ.get("DIPSIM_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    # The XDG specification: a relative value is invalid and is ignored.
    if os.path.isabs(xdg):
        return Path(xdg) / "dipsim"
    try:
        return Path.home() / ".cache" / "dipsim"
    except RuntimeError:  # no home folder to be found: no cache
        return None


def load_for_run(path: Path, limits: Limits, use_cache: bool = True) -> Scenario:
    """The scenario in ``path``, from the cache when it holds it; else loaded (and validated)
    as :func:`~simulator.scenario.loading.load_scenario` does, and stored.

    What is returned on a hit is a tree of records (:mod:`simulator.scenario.records`), which
    runs, prints and draws as the validated ``Scenario`` it was made from.

    Raises:
        ScenarioError: The file is missing or invalid (from loading it: never from the cache).
    """
    folder = cache_folder() if use_cache else None
    if folder is None:
        return _load(path, limits)
    try:
        where = _Where(path, limits)
    except (OSError, ValueError, RuntimeError):  # a path loading will say is unusable
        return _load(path, limits)
    hit = where.lookup(folder)
    if hit is not None:
        return hit
    from simulator.core.files import recording_reads

    with recording_reads() as reads:
        scenario = _load(path, limits)
    where.store(folder, scenario, reads)
    return scenario


def _load(path: Path, limits: Limits) -> Scenario:
    from simulator.scenario.loading import load_scenario

    return load_scenario(path, limits)


class _Where:
    """One scenario file under given limits: its entry's name and what it must match."""

    def __init__(self, path: Path, limits: Limits) -> None:
        self.path = path
        self.limits = limits
        self.context = {
            "format": FORMAT,
            "python": [sys.version, sys.implementation.cache_tag],
            "code": _code_version(),
            "path": os.path.realpath(path),
            "limits": repr(dataclasses.astuple(limits)),
            "roots": [str(r) for r in allowed_roots(path, limits.allow_paths)],
        }

    def _key(self, digest: str) -> str:
        text = json.dumps({**self.context, "file": digest}, sort_keys=True, allow_nan=False)
        return _hash(text.encode("ascii")).hexdigest()

    def _entry(self, folder: Path) -> Path:
        """The file of this scenario's entry: named by everything but the file's content, so
        that an edited scenario replaces its entry rather than adding one."""
        text = json.dumps(self.context, sort_keys=True, allow_nan=False)
        return folder / f"{_hash(text.encode('ascii')).hexdigest()[:40]}.json"

    def lookup(self, folder: Path) -> Scenario | None:
        """The cached scenario, or None (no entry, or one that does not match in every way)."""
        try:
            digest = _digest(self.path, self.limits.max_bytes)
            key = self._key(digest)
            raw, size = read_bounded(self._entry(folder), MOST_ENTRY_BYTES)
            if size > MOST_ENTRY_BYTES:
                return None
            entry = _opened(raw)
            if entry is None or entry.get("key") != key or not self._same_files(entry["files"]):
                return None
            from simulator.scenario.records import from_plain

            scenario: Scenario = from_plain(entry["scenario"], entry["defaults"], entry["fields"])
            if type(scenario).__name__ != "Scenario":
                return None
        except Exception:  # no entry, or a damaged one (whatever it breaks): a miss
            return None
        return scenario

    def _same_files(self, files: Any) -> bool:
        most = self.limits.max_bytes
        return all(
            os.path.realpath(written) == real and _digest(Path(written), most, digest) == digest
            for written, real, digest in files
        )

    def store(self, folder: Path, scenario: Scenario, reads: list[Read]) -> None:
        """Write the entry of ``scenario``, loaded from ``reads``; silently nothing when it
        cannot be (a value the plain form does not hold, a folder that cannot be written)."""
        try:
            data = self._entry_bytes(scenario, reads)
            if data is not None:
                folder.mkdir(mode=0o700, parents=True, exist_ok=True)
                write_atomically(self._entry(folder), lambda f: f.write(data))
        except Exception:  # a cache that cannot be written is only a slower next run
            return

    def _entry_bytes(self, scenario: Scenario, reads: list[Read]) -> bytes | None:
        from simulator.scenario.records import NotPlainError, defaults_of, to_plain

        if not reads or os.path.realpath(reads[0].path) != self.context["path"]:
            return None
        try:
            plain = to_plain(scenario)
        except NotPlainError:
            return None
        kinds = _model_types(scenario)
        entry = {
            "key": self._key(_digest_of(reads[0])),
            "files": [[str(r.path), os.path.realpath(r.path), _digest_of(r)] for r in reads[1:]],
            "defaults": {kind.__name__: defaults_of(kind) for kind in kinds},
            "fields": {kind.__name__: list(kind.model_fields) for kind in kinds},
            "scenario": plain,
        }
        body = json.dumps(entry, allow_nan=False).encode("ascii")
        return MAGIC + b" " + _hash(body).hexdigest().encode() + b"\n" + body


def _hash(data: bytes = b"") -> blake2b:
    """A BLAKE2b hash of 32 bytes (``.update``, ``.hexdigest()``)."""
    return blake2b(data, digest_size=32)


def _opened(raw: bytes) -> dict[str, Any] | None:
    """An entry's data, if its first line vouches for the rest."""
    head, _, body = raw.partition(b"\n")
    if head != MAGIC + b" " + _hash(body).hexdigest().encode():
        return None
    entry = json.loads(body.decode("ascii"))
    return entry if isinstance(entry, dict) else None


def _digest(path: Path, most: int, was: str = "") -> str:
    """What reading ``path`` as loading does gives, in short (see :func:`_digest_of`); a data
    file loading scanned a line at a time (its digest ``was`` says so) is scanned again."""
    if was.startswith("stream "):
        return data_digest(path)
    try:
        raw, size = read_bounded(path, most)
    except (OSError, ValueError, NotRegularFileError) as err:  # the same failure, the same input
        return f"error {type(err).__name__}"
    return _digest_of(Read(path, raw, size))


def _digest_of(read: Read) -> str:
    if read.digest is not None:
        return read.digest
    if read.data is None:
        return f"error {read.error}"
    return f"{read.size} {_hash(read.data).hexdigest()}"


def _model_types(scenario: Any) -> list[Any]:
    """The model types in the tree of ``scenario`` (their defaults go with the entry)."""
    found: dict[str, Any] = {}
    stack = [scenario]
    while stack:
        value = stack.pop()
        kind = type(value)
        fields = getattr(kind, "model_fields", None)
        if isinstance(fields, dict):
            stack.extend(getattr(value, k) for k in fields)
            if kind.__name__ in found:
                continue
            found[kind.__name__] = kind
            # Once per type: a default may be a model of a type the tree does not hold.
            for info in fields.values():
                if info.is_required():
                    continue
                default = info.get_default(call_default_factory=True)
                if getattr(type(default), "model_fields", None) is not None:
                    stack.append(default)
        elif isinstance(value, tuple | list):
            stack.extend(value)
        elif isinstance(value, dict):
            stack.extend(value.values())
    return list(found.values())


def _code_version() -> str:
    """A hash of dipsim's scenario code and of the libraries that validate (their versions)."""
    digest = _hash()
    for folder in CODE:
        start = len(str(folder.parent)) + 1
        for module in _modules(str(folder)):  # os.scandir: a third of rglob's time
            with open(module, "rb") as file:
                digest.update(module[start:].encode() + b"\0")
                digest.update(file.read())
    for name in LIBRARIES:
        for entry in sys.path:
            init = Path(entry or ".") / name / "__init__.py"
            try:
                info = init.stat()
            except OSError:
                continue
            digest.update(f"{init} {info.st_size} {info.st_mtime_ns}".encode())
            break
    return digest.hexdigest()


def _modules(folder: str) -> list[str]:
    """The ``.py`` files under ``folder``, sorted (``__pycache__`` left out)."""
    found: list[str] = []
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False) and entry.name != "__pycache__":
                found.extend(_modules(entry.path))
            elif entry.name.endswith(".py"):
                found.append(entry.path)
    return sorted(found)
