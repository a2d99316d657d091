"""MkDocs hook of the teachers' edition (mkdocs-teacher.yml): the solutions in the navigation.

The teachers' site is the students' site plus ``exercises/solutions/``. MkDocs' ``INHERIT``
replaces a list such as ``nav`` whole, so rather than repeat the students' navigation (and
have the two drift apart), this hook appends one entry to its ``Exercises`` section.
"""

from __future__ import annotations

from typing import Any

#: The section the solutions go under, and their entry.
SECTION = "Exercises"
ENTRY = {"For teachers": "exercises/solutions/README.md"}


def on_config(config: Any) -> Any:
    """Append :data:`ENTRY` to the ``Exercises`` section of the inherited navigation."""
    for item in config["nav"]:
        if isinstance(item, dict) and SECTION in item:
            item[SECTION].append(ENTRY)
            return config
    raise ValueError(f"mkdocs.yml has no {SECTION!r} section in its nav for the solutions")
