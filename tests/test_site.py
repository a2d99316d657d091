"""The documentation site builds with ``mkdocs build --strict`` and is what it claims to be.

There are two editions: the students' (``mkdocs.yml``, the default) leaves the exercises'
reference solutions out — no page, no file, no sentence of them in the built site — and builds
the same in a copy of the repository without ``docs/exercises/solutions/`` (where the exercise
tests that need them are skipped and the others pass); the teachers' (``mkdocs-teacher.yml``)
inherits it and adds the solutions under Exercises → For teachers. Both are built here.

Strict mode fails on a broken link or anchor, a page missing from the navigation, or a page the
navigation names that does not exist. On top of that: the command reference is generated from
the click commands (every command and option appears, so it cannot drift), and the site loads
nothing from the network (it works offline, like the HTML report).
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
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


SOLUTIONS = ROOT / "docs" / "exercises" / "solutions"
TEACHER_CONFIG = "mkdocs-teacher.yml"


def build(root: Path, out: Path, config: str = "mkdocs.yml") -> Path:
    """``mkdocs build --strict`` of ``root``'s site with ``config``, into ``out``."""
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", config, "--site-dir", str(out)],
        cwd=root,
        capture_output=True,
        text=True,
        # mkdocs-click imports the commands from the simulator package of `root`.
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONPATH": str(root)},
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return out


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The students' edition."""
    return build(ROOT, tmp_path_factory.mktemp("site"))


@pytest.fixture(scope="module")
def teacher_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The teachers' edition."""
    if not SOLUTIONS.is_dir():
        pytest.skip("no reference solutions: docs/exercises/solutions/ is absent")
    return build(ROOT, tmp_path_factory.mktemp("teacher-site"), TEACHER_CONFIG)


def _text(page: Path) -> str:
    """The visible text of a built page's article, whitespace collapsed."""
    source = page.read_text(encoding="utf-8")
    article = source[source.index("<article") : source.index("</article>")]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", article)).split())


def _built(site: Path, page: Path) -> Path:
    stem = page.with_suffix("")
    # index.md and README.md become their folder's index.html; other pages a folder each.
    folder = stem.parent if stem.name in {"index", "README"} else stem
    return site / folder / "index.html"


def _pages() -> list[Path]:
    return sorted(p.relative_to(ROOT / "docs") for p in (ROOT / "docs").rglob("*.md"))


def _for_teachers(page: Path) -> bool:
    return (ROOT / "docs" / page).is_relative_to(SOLUTIONS)


def test_every_page_is_built(site: Path) -> None:
    pages = _pages()
    assert len(pages) >= 10
    for page in pages:
        built = _built(site, page)
        assert built.is_file() != _for_teachers(page), f"{page}: built {built.is_file()}"


def test_the_teachers_site_has_every_page_and_the_solutions_in_its_navigation(
    teacher_site: Path,
) -> None:
    for page in _pages():
        assert _built(teacher_site, page).is_file(), f"{page} was not built"
    for solution in SOLUTIONS.glob("*.yaml"):
        built = teacher_site / solution.relative_to(ROOT / "docs")
        assert built.read_bytes() == solution.read_bytes(), f"{built} is not {solution.name}"
    # What the students' site is searched for (below) is here: the search would find a leak.
    words = _site_words(teacher_site)
    assert [s for s in _solution_sentences() if s not in words] == []
    home = (teacher_site / "index.html").read_text(encoding="utf-8")
    assert re.search(r'href="exercises/solutions/"[^>]*>\s*(<[^>]+>\s*)*For teachers', home)


def _solution_sentences() -> list[str]:
    """Lines only a solution has: its comments (the answers, argued) that its starter lacks, and
    the answers-in-short page's lines, as words (markup and escaping set aside)."""
    starters = ROOT / "scenarios" / "exercises"
    found: list[str] = []
    for solution in sorted(SOLUTIONS.glob("*.yaml")):
        starter = (starters / solution.name).read_text(encoding="utf-8")
        for line in solution.read_text(encoding="utf-8").splitlines():
            if line.lstrip().startswith("#") and line.strip() not in starter:
                found.append(_words(line.lstrip().removeprefix("#")))
    readme = (SOLUTIONS / "README.md").read_text(encoding="utf-8")
    found += [_words(line) for line in readme.splitlines() if line.startswith("| ")]
    return [words for words in found if len(words) >= 40]


def _site_words(site: Path) -> str:
    """Every text file of a built site, as words (JSON strings decoded, HTML unescaped)."""
    parts: list[str] = []
    for path in sorted(site.rglob("*")):
        if path.suffix not in {".html", ".json", ".yaml", ".md", ".txt", ".xml"}:
            continue
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".json":
            text = json.dumps(json.loads(text), ensure_ascii=False)
        parts.append(_words(html.unescape(re.sub(r"<[^>]+>", " ", text))))
    return "\n".join(parts)


def test_the_students_site_has_no_solutions(site: Path) -> None:
    if not SOLUTIONS.is_dir():
        pytest.skip("no reference solutions to look for: docs/exercises/solutions/ is absent")
    assert not (site / "exercises" / "solutions").exists()
    sentences = _solution_sentences()
    assert len(sentences) >= 20, "too few lines to recognise a solution by"
    words = _site_words(site)
    leaked = [s for s in sentences if s in words]
    assert not leaked, f"the students' site shows solutions: {leaked[:3]}"


@pytest.mark.slow
def test_a_copy_without_solutions_builds_and_passes_its_tests(tmp_path: Path) -> None:
    """What a student gets: the repository without docs/exercises/solutions/. Its site builds
    (--strict: no page links to the solutions) and the exercise tests pass, those that need the
    solutions skipped."""
    copy = tmp_path / "repo"
    for name in ("simulator", "scenarios", "tests", "docs"):
        shutil.copytree(ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("mkdocs.yml", "pyproject.toml"):
        shutil.copy2(ROOT / name, copy / name)
    shutil.rmtree(copy / "docs" / "exercises" / "solutions", ignore_errors=True)
    build(copy, tmp_path / "site")
    pytest_args = ["-q", "-p", "no:cacheprovider", "-rs", "tests/test_exercises.py"]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", *pytest_args],
        cwd=copy,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(copy)},
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "docs/exercises/solutions/ is absent" in done.stdout, done.stdout
    assert " failed" not in done.stdout


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


@pytest.mark.parametrize("edition", ["site", "teacher_site"])
def test_the_site_loads_nothing_from_the_network(
    edition: str, request: pytest.FixtureRequest
) -> None:
    site: Path = request.getfixturevalue(edition)
    offenders = [
        str(page.relative_to(site))
        for page in site.rglob("*.html")
        if _EXTERNAL_LOAD.search(page.read_text(encoding="utf-8"))
    ]
    assert not offenders, f"pages load external resources: {offenders}"
