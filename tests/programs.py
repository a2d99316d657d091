"""System programs some tests drive, and how a test asks for one.

A fresh machine with only Python has neither Graphviz nor a browser: the tests that need one
skip, with a reason that names the Debian package to install. CI installs both and sets
``DIPSIM_REQUIRE_GRAPHVIZ=1`` and ``DIPSIM_REQUIRE_BROWSER=1``, so that there a missing program
fails the test instead of hiding it (``tests/test_fresh_machine.py`` runs those tests again with
the programs hidden, to prove the skips).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass

import pytest


@dataclass(frozen=True)
class Program:
    """A program on ``PATH`` that some tests need, and what installs it."""

    what: str
    names: tuple[str, ...]
    debian_package: str
    require_variable: str

    def path(self) -> str | None:
        return next((found for name in self.names if (found := shutil.which(name))), None)

    def missing(self, why: str | None = None, remedy: str | None = None) -> None:
        """Skip the calling test, or fail it where CI requires the program."""
        why = why or f"{self.what} is not on PATH"
        if os.environ.get(self.require_variable) == "1":
            pytest.fail(f"{self.require_variable}=1, but {why}")
        pytest.skip(f"{why}: {remedy or f'apt-get install {self.debian_package}'}")

    def require(self) -> str:
        """The program's path; skips (or fails, under CI) when it is missing."""
        found = self.path()
        if found is None:
            self.missing()
        assert found is not None
        return found


GRAPHVIZ = Program("Graphviz's dot", ("dot",), "graphviz", "DIPSIM_REQUIRE_GRAPHVIZ")
#: Where Debian (and others) put chromium; ``DIPSIM_CHROMIUM`` names another.
BROWSER = Program(
    "chromium",
    (os.environ.get("DIPSIM_CHROMIUM") or "chromium", "chromium-browser", "google-chrome"),
    "chromium",
    "DIPSIM_REQUIRE_BROWSER",
)
