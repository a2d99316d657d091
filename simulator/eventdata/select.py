"""Which records an import keeps: the dyads (or actors) asked for, and a date window.

Actor codes of event data are hierarchical (CAMEO's ``EGYGOV`` is Egypt's government, ``ISRMIL``
Israel's military): by default a code counts as the actor whose code it starts with, so
``--dyad EGY-ISR`` takes every Egyptian and Israeli actor; with ``exact`` only the codes
themselves count (the states, not their parts). When two asked-for codes both fit, the longer
one is taken (``ISR`` and ``ISRMIL`` asked for: ``ISRMIL`` is ``ISRMIL``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from itertools import combinations

from simulator.eventdata.formats import Row

#: What an actor code on the command line may be (a scenario's actor code).
ACTOR = re.compile(r"^[A-Z][A-Z0-9_]{0,15}$")


def parse_dyad(text: str) -> tuple[str, str]:
    """``A-B`` (or ``A,B``) as two actor codes; ``ValueError`` saying what is wrong."""
    parts = re.split(r"[-,]", text.strip())
    if len(parts) != 2:
        raise ValueError(f"{text[:40]!r} is not a dyad written A-B (e.g. EGY-ISR)")
    a, b = (p.strip().upper() for p in parts)
    for code in (a, b):
        if not ACTOR.match(code):
            raise ValueError(
                f"{code[:20]!r} is not an actor code (capital letters and digits, at most 16)"
            )
    if a == b:
        raise ValueError(f"a dyad is two actors, not {a} with itself")
    return a, b


@dataclass
class Selection:
    """The dyads asked for (and the pairs of the actors asked for), exact or by prefix, and the
    window; :meth:`pick` says which relation a row belongs to, if any."""

    dyads: tuple[tuple[str, str], ...] = ()
    actors: tuple[str, ...] = ()
    exact: bool = False
    first: dt.date | None = None
    last: dt.date | None = None
    _pairs: dict[frozenset[str], tuple[str, str]] = field(init=False)
    _codes: list[str] = field(init=False)
    _seen: dict[str, str | None] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        pairs = list(self.dyads) + list(combinations(self.actors, 2))
        self._pairs = {}
        for pair in pairs:
            self._pairs.setdefault(frozenset(pair), pair)
        codes = {c for pair in pairs for c in pair}
        self._codes = sorted(codes, key=lambda c: (-len(c), c))

    @property
    def relations(self) -> tuple[tuple[str, str], ...]:
        """The relations of the scenario, in the order asked for."""
        return tuple(self._pairs.values())

    def actor(self, code: str, whole: bool | None = None) -> str | None:
        """The asked-for actor ``code`` counts as, or ``None``. ``whole`` (ICEWS): whether the
        row's actor is the state itself, which ``exact`` requires."""
        if self.exact:
            if whole is False:
                return None
            return code if code in self._codes else None
        if code not in self._seen:
            self._seen[code] = next((c for c in self._codes if code.startswith(c)), None)
        return self._seen[code]

    def in_window(self, day: dt.date) -> bool:
        """Whether ``day`` is inside the window."""
        return (self.first is None or day >= self.first) and (self.last is None or day <= self.last)

    def pick(self, row: Row, source: str, target: str) -> tuple[str, str] | None:
        """The (source, target) actors of ``row`` when it belongs to a relation asked for;
        ``source``/``target`` are its actor codes (ICEWS: looked up from country names)."""
        whole = row.whole or (None, None)
        a, b = self.actor(source, whole[0]), self.actor(target, whole[1])
        if a is None or b is None or a == b or frozenset((a, b)) not in self._pairs:
            return None
        return a, b


__all__ = ["ACTOR", "Selection", "parse_dyad"]
