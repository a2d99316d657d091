"""The README's test command passes on a machine with Python only: no Graphviz, no chromium.

CI installs both programs and requires their tests (tests/programs.py), so the skips a newcomer
meets would never run there. This test runs every test module that can reach a system program
again, in a subprocess whose ``PATH`` holds nothing but this Python, with CI's requirements
lifted: it must pass, and what it skips must say which Debian package to install.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT
from tests.programs import BROWSER, GRAPHVIZ

#: A test module that can reach Graphviz or a browser names one of these.
REACHES_A_PROGRAM = re.compile(
    r"tests\.programs|simulator\.graph|simulator\.report\.html|\"(report|graph)\""
)


def modules_that_reach_a_program() -> list[str]:
    here = Path(__file__).name
    return sorted(
        f"tests/{p.name}"
        for p in (ROOT / "tests").glob("test_*.py")
        if p.name != here and REACHES_A_PROGRAM.search(p.read_text(encoding="utf-8"))
    )


def test_the_selection_covers_graphviz_and_the_browser() -> None:
    chosen = modules_that_reach_a_program()
    assert {"tests/test_graph.py", "tests/test_report_html.py"} <= set(chosen)


def test_without_graphviz_and_chromium_the_suite_passes(tmp_path: Path) -> None:
    bare = tmp_path / "bin"
    bare.mkdir()
    for name in ("python", "python3"):
        (bare / name).symlink_to(sys.executable)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {GRAPHVIZ.require_variable, BROWSER.require_variable, "DIPSIM_CHROMIUM"}
    }
    env["PATH"] = str(bare)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-rs",
            "-p",
            "no:cacheprovider",
            *modules_that_reach_a_program(),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    tail = result.stdout[-3000:]
    assert result.returncode == 0, tail
    skips = [line for line in result.stdout.splitlines() if line.startswith("SKIPPED")]
    reasons = {line.split(": ", 1)[1] for line in skips}
    assert reasons == {
        "Graphviz's dot is not on PATH: apt-get install graphviz",
        "chromium is not on PATH: apt-get install chromium",
    }, tail
    assert re.search(r"\d+ passed", tail)
