"""The documentation site builds with ``mkdocs build --strict`` and is what it claims to be.

Strict mode fails on a broken link or anchor, a page missing from the navigation, or a page the
navigation names that does not exist. On top of that: the command reference is generated from
the click commands (every command and option appears, so it cannot drift), and the site loads
nothing from the network (it works offline, like the HTML report).
"""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.cli import cli
from tests.conftest import ROOT

pytest.importorskip("mkdocs", reason="the docs extra is not installed")

#: Resource-loading attributes pointing off the site (links to sources in text are fine).
_EXTERNAL_LOAD = re.compile(
    r"<(?:script|img|iframe)\b[^>]*\ssrc=\"https?://|<link\b[^>]*\shref=\"https?://"
    r"|@import\s+url\(\"?https?://|fonts\.googleapis"
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return out


def _text(page: Path) -> str:
    """The visible text of a built page's article, whitespace collapsed."""
    source = page.read_text(encoding="utf-8")
    article = source[source.index("<article") : source.index("</article>")]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", article)).split())


def test_every_page_is_built(site: Path) -> None:
    pages = sorted(p.relative_to(ROOT / "docs") for p in (ROOT / "docs").rglob("*.md"))
    assert len(pages) >= 10
    for page in pages:
        stem = page.with_suffix("")
        # index.md and README.md become their folder's index.html; other pages a folder each.
        folder = stem.parent if stem.name in {"index", "README"} else stem
        assert (site / folder / "index.html").is_file(), f"{page} was not built"


def _words(text: str) -> str:
    """Text reduced to its words (markup turns `code` into separate tokens)."""
    return " ".join(re.findall(r"[\w.-]+", text))


def test_the_command_reference_is_generated_from_the_commands(site: Path) -> None:
    text = _text(site / "cli-reference" / "index.html")
    for name, command in cli.commands.items():
        assert f"dipsim {name}" in text, f"the reference lacks `dipsim {name}`"
        first_line = (command.help or "").strip().split("\n")[0]
        assert _words(first_line) in _words(text), f"the reference lacks {name}'s help"
        for param in command.params:
            for opt in param.opts:
                if opt.startswith("-"):
                    assert opt in text, f"the reference lacks {name} {opt}"


def test_the_site_loads_nothing_from_the_network(site: Path) -> None:
    offenders = [
        str(page.relative_to(site))
        for page in site.rglob("*.html")
        if _EXTERNAL_LOAD.search(page.read_text(encoding="utf-8"))
    ]
    assert not offenders, f"pages load external resources: {offenders}"
