"""``dipsim report``: the HTML page, parsed, and opened in a real headless browser.

The unit tests parse the page with :mod:`html.parser` (every event a row, every state drawn,
scenario text escaped, nothing loaded from outside, the same bytes twice). The browser tests
open it in Debian's chromium, driven by Playwright (``executable_path``: Playwright's own
browser builds are never downloaded), with the network off: no console error, no request but
the page itself, the rows and states visible, and a screenshot in pytest's ``tmp_path``.

The diagram is Graphviz's SVG when ``dot`` is installed and Mermaid text otherwise: the tests of
the SVG skip without ``dot``, the browser tests without chromium or Playwright (the reason names
the package), unless CI requires them (``DIPSIM_REQUIRE_GRAPHVIZ``/``_BROWSER=1``, see
tests/programs.py). ``DIPSIM_CHROMIUM`` names another browser.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner

from simulator.check.checker import CLAIM_RUNS
from simulator.cli import cli, common
from simulator.core.errors import DipsimError
from simulator.engine.simulation import simulate
from simulator.engine.trace import Trace
from simulator.report.html import build as reporting
from simulator.report.html.build import build_report
from simulator.report.html.page import inline_svg
from simulator.scenario.loading import load_scenario
from tests.conftest import JAN2024, SCENARIOS
from tests.programs import BROWSER, GRAPHVIZ

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Dialog, Page, Request

WHATIF = SCENARIOS / "whatif" / "retaliation-kills-iranians.yaml"
#: Seed 4 of the what-if draws a counter-strike: an event only in the what-if, at a time of day.
WHATIF_SEED = 4
FIRST = SCENARIOS / "examples" / "first.yaml"
SOURCES = SCENARIOS / "sources"


# --- a small DOM from html.parser -----------------------------------------------------------------

#: Elements without an end tag in HTML.
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    children: list[Element | str] = field(default_factory=list)

    def iter(self) -> Iterator[Element]:
        yield self
        for child in self.children:
            if isinstance(child, Element):
                yield from child.iter()

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def select(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> list[Element]:
        """Descendants by tag, class and attributes (``data_run="run"`` is ``data-run``)."""
        wanted = {k.replace("_", "-"): v for k, v in attrs.items()}
        return [
            e
            for e in self.iter()
            if (tag is None or e.tag == tag)
            and (cls is None or cls in e.attrs.get("class", "").split())
            and all(e.attrs.get(k) == v for k, v in wanted.items())
        ]

    def one(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> Element:
        found = self.select(tag, cls, **attrs)
        assert len(found) == 1, f"{len(found)} <{tag} class={cls} {attrs}>"
        return found[0]


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Element(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        tags = [e.tag for e in self.stack]
        assert tag in tags, f"</{tag}> closes nothing open"
        while self.stack[-1].tag != tag:
            self.stack.pop()
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(page: str) -> Element:
    builder = _Builder()
    builder.feed(page)
    builder.close()
    assert [e.tag for e in builder.stack] == ["#document"], "elements left open"
    return builder.root


# --- the pages ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Made:
    """A report and the runs it shows."""

    html: str
    trace: Trace
    states: tuple[str, ...]
    base: Trace | None = None
    base_states: tuple[str, ...] = ()

    @property
    def dom(self) -> Element:
        return parse(self.html)


@pytest.fixture(scope="module")
def jan() -> Made:
    scenario = load_scenario(JAN2024)
    page = build_report(JAN2024).html
    return Made(page, simulate(scenario, seed=0), scenario.machine.state_names)


@pytest.fixture(scope="module")
def whatif() -> Made:
    scenario, base = load_scenario(WHATIF), load_scenario(JAN2024)
    page = build_report(WHATIF, seed=WHATIF_SEED).html
    return Made(
        page,
        simulate(scenario, seed=WHATIF_SEED),
        scenario.machine.state_names,
        simulate(base, seed=WHATIF_SEED),
        base.machine.state_names,
    )


#: Markup in every kind of text a scenario carries. None of it may become markup in the page.
EVIL_SUMMARY = "<script>alert(1)</script>"
EVIL_QUOTE = '<img src=x onerror="alert(2)">'


def evil_scenario(folder: Path) -> Path:
    (folder / "sources").mkdir()
    (folder / "sources" / "evil.txt").write_text(
        f"A file that says {EVIL_QUOTE} in so many words.\n", encoding="utf-8"
    )
    path = folder / "evil.yaml"
    path.write_text(
        textwrap.dedent(
            """\
            dipsim: 1
            title: "</title><script>alert(3)</script>"
            description: '"><script>alert(4)</script> & more'
            start: 2030-01-01
            end: 2030-01-05
            sources:
              file-source:
                file: sources/evil.txt
                title: "<b onmouseover=alert(5)>bold</b>"
              web:
                publisher: "<iframe src=https://example.org>"
                url: "javascript:alert(6)"
            actors:
              RED: {name: Red}
              BLU: {name: Blue}
            event_types:
              strike:
                codes: {cameo: "190", goldstein: -10.0, plover: ASSAULT}
              talk:
                codes: {cameo: "040", goldstein: 1.0}
            machine:
              states:
                - {name: calm, description: "<svg onload=alert(7)>"}
                - tense
              initial: calm
              transitions:
                - {trigger: strike, source: calm, dest: tense, guard: "tension < 0.5"}
                - {trigger: talk, source: tense, dest: calm}
            variables:
              tension: {initial: 0.1, per_goldstein: -0.03}
            relations:
              - pair: [RED, BLU]
            events:
              - id: e1
                date: 2030-01-02
                type: strike
                actor: RED
                target: BLU
                summary: "<script>alert(1)</script>"
                source:
                  ref: file-source
                  quote: '<img src=x onerror="alert(2)">'
              - id: e2
                date: 2030-01-03
                type: talk
                actor: BLU
                target: RED
                summary: "Talks </td></tr></table> end the table?"
                source: {ref: web, quote: "</blockquote><script>alert(8)</script>"}
            expect:
              - {id: "x", relation: RED-BLU, final: tense, note: "<script>alert(9)</script>"}
            """
        ),
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="module")
def evil(tmp_path_factory: pytest.TempPathFactory) -> Made:
    path = evil_scenario(tmp_path_factory.mktemp("evil"))
    scenario = load_scenario(path)
    return Made(build_report(path).html, simulate(scenario, seed=0), scenario.machine.state_names)


# --- what the page holds --------------------------------------------------------------------------


def test_every_event_of_the_trace_is_a_row_in_order(jan: Made) -> None:
    rows = jan.dom.select("tr", "event", data_run="run")
    assert [r.attrs["data-event-id"] for r in rows] == [r.event for r in jan.trace.records]
    assert [r.attrs["data-outcome"] for r in rows] == [r.outcome for r in jan.trace.records]
    # Each row carries the codes, the summary and the source's quote of its record.
    for row, record in zip(rows, jan.trace.records, strict=True):
        text = " ".join(row.text().split())
        assert " ".join(record.summary.split()) in text
        if record.quote:
            assert " ".join(record.quote.split()) in text
        if record.cameo:
            assert f"CAMEO {record.cameo}" in text


def test_rows_say_how_each_date_is_known_and_carry_the_notes(jan: Made) -> None:
    """An inferred date is marked, with how it was inferred under its row; the event's note
    and every citation are shown; the rows name the id and the type as every output does."""
    rows = jan.dom.select("tr", "event", data_run="run")
    inferred = 0
    for row, r in zip(rows, jan.trace.records, strict=True):
        assert (row.attrs["data-type"], row.attrs["data-date-basis"]) == (r.type, r.date_basis)
        text = " ".join(row.text().split())
        date = row.one("td", "date")
        if r.date_basis == "inferred":
            inferred += 1
            assert date.select("abbr", "inferred")
            assert r.date_note is not None
            assert f"* Date inferred, not reported: {' '.join(r.date_note.split())}" in text
        else:
            assert not date.select("abbr", "inferred")
            assert "Date inferred" not in text
        if r.note:
            assert f"Note: {' '.join(r.note.split())}" in text
        for ref, _quote, _note, _where in r.citations:
            assert f"[{ref}]" in text
    assert inferred > 0
    assert "event id, type, actor → target" in jan.dom.one("table", "events").text()


def test_every_state_of_the_machine_is_listed(jan: Made) -> None:
    listed = [r.attrs["data-state"] for r in jan.dom.select("tr", "state", data_run="run")]
    assert listed == list(jan.states)


def test_the_starting_state_was_first_entered_at_the_start(jan: Made) -> None:
    """``normal`` is where PAK-IRN starts (15 January), not where it returns (29 January): the
    starting state counts as entered at the start, as in ``first_entered`` and ``run --runs``."""
    rows = {r.attrs["data-state"]: r for r in jan.dom.select("tr", "state", data_run="run")}
    assert "2024-01-15 (at the start)" in rows["normal"].text()
    assert "2024-01-29" not in rows["normal"].text()
    assert "2024-01-17 (pakistan-recalls-ambassador)" in rows["envoys_recalled"].text()


def test_graphviz_draws_every_state_and_where_the_run_ended(jan: Made) -> None:
    GRAPHVIZ.require()
    figure = jan.dom.one("figure", "machine", data_run="run")
    assert figure.select("svg"), "the diagram is Graphviz's SVG, inline"
    drawn = [g.attrs["data-state"] for g in figure.select("g", "node") if "data-state" in g.attrs]
    assert sorted(drawn) == sorted(jan.states)
    # The run ends in normal, and the diagram says so.
    ended = [g.attrs["data-state"] for g in figure.select("g", "ended")]
    assert ended == ["normal"]


def test_the_page_is_semantic_html(jan: Made) -> None:
    dom = jan.dom
    assert jan.html.startswith("<!DOCTYPE html>\n")
    assert dom.one("html").attrs["lang"] == "en"
    assert (
        dom.one("head").one("title").text() == "Pakistan–Iran crisis, January 2024 — dipsim report"
    )
    assert dom.one("h1").text() == "Pakistan–Iran crisis, January 2024"
    headers = dom.select("th")
    assert headers, "tables have header cells"
    assert all(th.attrs.get("scope") in {"col", "row"} for th in headers)
    for figure in dom.select("figure"):
        assert figure.select("figcaption"), "every figure has a caption"
    ids = [e.attrs["id"] for e in dom.iter() if "id" in e.attrs]
    assert len(ids) == len(set(ids)), "no id is used twice (figures' ids are prefixed)"
    for ident in ("summary", "run-diagram", "run-timeline", "run-events", "checks", "sources"):
        assert dom.one("section", id=ident)
    # The timeline is inline SVG; the print style sheet is there.
    assert dom.one("figure", "timeline", data_run="run").select("svg")
    assert "@media print" in jan.html


def test_the_checks_are_reported(jan: Made) -> None:
    verdicts = jan.dom.select("tr", "verdict")
    assert [v.attrs["data-item"] for v in verdicts] == [
        *(f"expect[{i}]" for i in range(6)),
        "invariants[0]",
        "invariants[1]",
    ]
    assert all("pass" in v.attrs["class"].split() for v in verdicts)
    assert "PAK-IRN entered restored on 2024-01-26 (ambassadors-return)" in jan.html
    assert len(jan.dom.select("tr", "finding")) == 15  # the replay's notes (docs/checking.md)


#: Attributes through which a browser fetches something.
LOADING = {"src", "href", "xlink:href", "srcset", "poster", "data", "action", "background"}


def assert_offline(page: str) -> None:
    """Nothing is loaded from outside: no script, style sheet, frame or image from a URL, no
    @import and no url() but ids and data. Links in citations (``<a href>``) are followed only
    when clicked, and only http(s) ones are made."""
    dom = parse(page)
    assert not dom.select("script"), "no script at all"
    for tag in ("iframe", "object", "embed", "img", "audio", "video"):
        assert not dom.select(tag), f"no <{tag}>"
    for e in dom.iter():
        for name, value in e.attrs.items():
            assert not name.startswith("on"), f"<{e.tag} {name}>: an event handler"
            if name not in LOADING:
                continue
            if e.tag == "a" and name == "href":
                assert value.startswith(("#", "https://", "http://")), value
                continue
            assert value.startswith(("#", "data:")), f"<{e.tag} {name}={value!r}> loads it"
    styles = " ".join(s.text() for s in dom.select("style"))
    assert "@import" not in styles
    assert not re.search(r"url\(\s*['\"]?(?!#|data:)", styles + page), "url() loads nothing"


def test_nothing_is_loaded_from_outside(jan: Made, whatif: Made, evil: Made) -> None:
    for made in (jan, whatif, evil):
        assert_offline(made.html)


def test_scenario_text_is_escaped_and_stays_text(evil: Made) -> None:
    dom = evil.dom
    assert_offline(evil.html)
    assert EVIL_SUMMARY not in evil.html
    assert EVIL_QUOTE not in evil.html
    row = dom.one("tr", "event", data_event_id="e1")
    assert row.one("p", "summary").text() == EVIL_SUMMARY  # shown as the text it is
    assert f"“{EVIL_QUOTE}”" in row.one("blockquote").text()
    assert dom.one("head").one("title").text().startswith("</title><script>alert(3)</script>")
    assert '"><script>alert(4)</script> & more' in dom.one("div", "description").text()
    # A javascript: "url" is shown, not made a link; the state's description stays text.
    assert not [a for a in dom.select("a") if "javascript" in a.attrs.get("href", "")]
    assert "javascript:alert(6)" in dom.one("ol", "sources").text()
    assert "<svg onload=alert(7)>" in dom.one("tr", "state", data_state="calm").text()
    # The failing expectation's note is shown, as text.
    assert "<script>alert(9)</script>" in dom.one("tr", "verdict", data_item="expect[0]").text()


def test_graphviz_escapes_the_guard(evil: Made) -> None:
    GRAPHVIZ.require()
    assert "tension &lt; 0.5" in evil.html


def test_without_graphviz_the_mermaid_text_escapes_the_guard(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reporting, "dot_program", lambda: None)
    monkeypatch.setattr(reporting, "require_matplotlib", _no_matplotlib)  # quicker: no figure
    page = build_report(evil_scenario(tmp_path)).html
    assert_offline(page)
    mermaid = parse(page).one("pre", "mermaid-text", data_run="run").text()
    assert "calm --> tense: strike [tension #lt; 0.5]" in mermaid
    assert "<svg onload" not in page


def test_a_whatif_report_has_the_diff_and_its_base(whatif: Made) -> None:
    assert whatif.base is not None
    dom = whatif.dom
    assert dom.one("body").attrs["data-kind"] == "whatif"
    diff = dom.one("section", id="diff")
    assert "departs from its base on 2024-01-18" in " ".join(diff.text().split())
    only = {(r.attrs["data-side"], r.one("th").text()) for r in diff.select("tr", "diff-only")}
    assert only == {
        ("base", "iran-confirms-dead-not-iranian"),
        ("what-if", "iranian-counter-strike#1"),
    }
    assert [g.one("th").text() for g in diff.select("tr", "diff-final")] == ["PAK-IRN", "IRN-IRQ"]
    base_rows = dom.select("tr", "event", data_run="base")
    assert [r.attrs["data-event-id"] for r in base_rows] == [r.event for r in whatif.base.records]
    run_rows = dom.select("tr", "event", data_run="run")
    assert len(run_rows) == len(whatif.trace.records)
    # Rows that differ are marked on both sides.
    marked = {
        r.attrs["data-event-id"]: r.attrs["data-diff"] for r in run_rows if "data-diff" in r.attrs
    }
    assert marked["iranian-counter-strike#1"] == "only"
    assert marked["ambassadors-return"] == "changed"
    # The header names the base; the checks are judged on runs (the what-if's rule is random).
    assert "scenarios/jan2024.yaml" in dom.one("header").text()
    assert f"{CLAIM_RUNS:,} runs" in dom.one("section", id="checks").text()


def test_graphviz_draws_the_base_machine_beside_the_whatif(whatif: Made) -> None:
    GRAPHVIZ.require()
    base_machine = whatif.dom.one("figure", "machine", data_run="base")
    drawn = {
        g.attrs["data-state"] for g in base_machine.select("g", "node") if "data-state" in g.attrs
    }
    assert drawn == set(whatif.base_states)


def test_the_same_inputs_give_the_same_bytes(whatif: Made) -> None:
    assert build_report(WHATIF, seed=WHATIF_SEED).html == whatif.html


def _no_matplotlib() -> None:
    raise DipsimError("figures need matplotlib: pip install 'dipsim[plot]'")


def test_a_timestamp_only_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reporting, "require_matplotlib", _no_matplotlib)  # quicker: no figure
    page = build_report(FIRST, generated="2030-01-01 12:00 UTC").html
    assert "<dt>generated</dt><dd>2030-01-01 12:00 UTC</dd>" in page
    assert "generated" not in build_report(FIRST).html


def test_without_graphviz_or_matplotlib_the_page_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reporting, "dot_program", lambda: None)
    monkeypatch.setattr(reporting, "require_matplotlib", _no_matplotlib)
    made = build_report(FIRST)
    dom = parse(made.html)
    mermaid = dom.one("pre", "mermaid-text", data_run="run").text()
    assert mermaid.startswith("stateDiagram-v2")
    assert "Graphviz" in dom.one("figure", "machine").text()
    assert "pip install 'dipsim[plot]'" in dom.one("p", "missing-figure").text()
    assert not dom.select("svg")
    assert len(made.warnings) == 2
    # The rest of the page is all there.
    rows = dom.select("tr", "event", data_run="run")
    assert len(rows) == len(simulate(load_scenario(FIRST)).records)
    assert_offline(made.html)


def test_inline_svg_prefixes_ids_and_references() -> None:
    svg = (
        '<?xml version="1.0"?>\n<!DOCTYPE svg>\n<!-- drawn by x -->\n'
        '<svg xmlns="http://www.w3.org/2000/svg"><metadata>v1.2</metadata>'
        '<defs><path id="m1"/><clipPath id="c1"/></defs><g id="g1" clip-path="url(#c1)">'
        '<use xlink:href="#m1"/><a href="#elsewhere"/></g></svg>'
    )
    out = inline_svg(svg, "fig")
    assert out.startswith("<svg")
    assert "metadata" not in out
    assert "drawn by" not in out
    assert 'id="fig-m1"' in out
    assert 'id="fig-c1"' in out
    assert 'id="fig-g1"' in out
    assert "url(#fig-c1)" in out
    assert 'xlink:href="#fig-m1"' in out
    assert 'href="#elsewhere"' in out  # not an id of this figure: left alone


# --- the command ----------------------------------------------------------------------------------


def test_the_command_writes_the_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reporting, "require_matplotlib", _no_matplotlib)  # quicker: no figure
    out = tmp_path / "deep" / "report.html"
    result = CliRunner().invoke(cli, ["report", str(FIRST), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert "warning: no timeline figure: figures need matplotlib" in result.output
    assert f"wrote {out}" in result.output


def test_the_command_writes_to_standard_output(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reporting, "require_matplotlib", _no_matplotlib)
    result = CliRunner().invoke(cli, ["report", str(FIRST), "-o", "-", "--timestamp"])
    assert result.exit_code == 0
    assert result.stdout.startswith("<!DOCTYPE html>")
    assert result.stdout.endswith("</html>\n")
    assert "<dt>generated</dt>" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.yaml", "-o", "x.html"], "error: missing.yaml: no such file"),
        (  # its sources lie beside its folder, outside the working folder: allowed
            [str(FIRST), "-o", "x.html", "--relation", "PAK-IRQ", "--allow-path", str(SOURCES)],
            "no relation 'PAK-IRQ'",
        ),
        ([str(FIRST)], "Missing option '--out'"),
    ],
)
def test_the_command_refuses_bad_input(
    args: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["report", *args])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "x.html").exists()


def test_the_command_and_the_library_agree_on_the_runs() -> None:
    assert common.CLAIM_RUNS == CLAIM_RUNS


# --- in a real browser ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = BROWSER.require()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        BROWSER.missing("Playwright is not installed", "pip install -e '.[test]'")
    with sync_playwright() as p:
        # Playwright drives the system's chromium; its own builds are never downloaded.
        launched = p.chromium.launch(executable_path=executable, args=["--disable-gpu"])
        try:
            yield launched
        finally:
            launched.close()


@dataclass
class Visit:
    """A page opened with the network off, and everything it did."""

    page: Page
    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


def visit(browser: Browser, path: Path, width: int = 1600) -> Visit:
    context = browser.new_context(offline=True, viewport={"width": width, "height": 1000})
    page = context.new_page()
    seen = Visit(page)

    def on_console(message: ConsoleMessage) -> None:
        if message.type in {"error", "warning"}:
            seen.console.append(f"{message.type}: {message.text}")

    def on_request(request: Request) -> None:
        seen.requests.append(request.url)

    def on_dialog(dialog: Dialog) -> None:  # alert(), confirm(): a script ran
        seen.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("console", on_console)
    page.on("pageerror", lambda err: seen.errors.append(str(err)))
    page.on("request", on_request)
    page.on("requestfailed", lambda r: seen.failed.append(r.url))
    page.on("dialog", on_dialog)
    page.goto(path.as_uri(), wait_until="load")
    return seen


def assert_clean(seen: Visit, path: Path) -> None:
    assert seen.console == [], "console errors or warnings"
    assert seen.errors == [], "script errors"
    assert seen.requests == [path.as_uri()], "the page asked for nothing but itself"
    assert seen.failed == []
    assert seen.dialogs == [], "no script ran"


def visible(page: Page, selector: str) -> int:
    return page.locator(selector).filter(visible=True).count()


def screenshot(page: Page, path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page.screenshot(path=str(path), full_page=True)
    assert path.read_bytes().startswith(b"\x89PNG")
    with capsys.disabled():
        print(f"\nscreenshot: {path}")


def test_browser_shows_the_replay(
    browser: Browser, jan: Made, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "jan2024.html"
    path.write_text(jan.html, encoding="utf-8")
    seen = visit(browser, path)
    page = seen.page
    assert_clean(seen, path)
    assert page.title() == "Pakistan–Iran crisis, January 2024 — dipsim report"
    assert visible(page, "table.events[data-run=run] tr.event") == len(jan.trace.records)
    machine = "figure.machine[data-run=run]"
    assert visible(page, f"{machine} g.node[data-state]") == len(jan.states)
    assert visible(page, "tr.state[data-run=run]") == len(jan.states)
    # Figures are drawn at a readable size, and nothing sticks out sideways, on a wide screen
    # and on a 1280-pixel projector.
    for figure in (machine, "figure.timeline[data-run=run]"):
        box = page.locator(f"{figure} svg").bounding_box()
        assert box is not None
        assert box["width"] > 800
        assert box["height"] > 100
    for width in (1600, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.set_viewport_size({"width": 1600, "height": 1000})
    screenshot(page, tmp_path / "report-jan2024.png", capsys)
    # It prints: the print style sheet gives a PDF of landscape pages.
    pdf = page.pdf(path=str(tmp_path / "report-jan2024.pdf"), prefer_css_page_size=True)
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) > 3
    page.context.close()


#: In the page: the diagram's labels (states and edges) as drawn, their rendered font size in
#: CSS pixels (computed size times the SVG's scale), and each edge's path sampled every unit of
#: length, in page coordinates.
DIAGRAM_GEOMETRY = """() => {
  const svg = document.querySelector('figure.machine[data-run=run] svg');
  const labels = [...svg.querySelectorAll('g.edge text, g.node text')].map(t => {
    const box = t.getBoundingClientRect();
    const owner = t.closest('g.edge, g.node').querySelector('title').textContent;
    return {text: t.textContent, owner: owner, size: parseFloat(getComputedStyle(t).fontSize) *
      t.getScreenCTM().a, box: [box.left, box.top, box.right, box.bottom]};
  });
  const edges = [...svg.querySelectorAll('g.edge path')].map(path => {
    const m = path.getScreenCTM(), points = [];
    for (let l = 0; l <= path.getTotalLength(); l += 1) {
      const p = path.getPointAtLength(l);
      points.push([m.a * p.x + m.c * p.y + m.e, m.b * p.x + m.d * p.y + m.f]);
    }
    return {edge: path.closest('g.edge').querySelector('title').textContent, points: points};
  });
  return {labels: labels, edges: edges};
}"""


def test_browser_diagram_is_readable_on_a_1024_pixel_projector(
    browser: Browser, jan: Made, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """At 1024 pixels wide the diagram's smallest label is drawn at 12 pixels or more, and no
    edge runs through a label (its own or another's), as drawn by the browser."""
    path = tmp_path / "jan2024.html"
    path.write_text(jan.html, encoding="utf-8")
    seen = visit(browser, path, width=1024)
    page = seen.page
    assert page.evaluate("document.documentElement.scrollWidth") <= 1024
    geometry = page.evaluate(DIAGRAM_GEOMETRY)
    labels, edges = geometry["labels"], geometry["edges"]
    assert {label["text"] for label in labels} >= {*jan.states, "ambassadors_return", "step 3"}
    smallest = min(label["size"] for label in labels)
    assert smallest >= 12, f"the smallest label is {smallest:.1f} px at 1024 px"
    crossed = set()
    for edge in edges:
        for label in labels:
            left, top, right, bottom = label["box"]
            # A pixel's tolerance: the box is the text's whole line height, not its ink.
            if any(
                left + 1 < x < right - 1 and top + 1 < y < bottom - 1 for x, y in edge["points"]
            ):
                crossed.add(f"{edge['edge']} crosses {label['owner']}: {label['text']}")
    assert not crossed
    page.locator("figure.machine[data-run=run]").screenshot(path=str(tmp_path / "d1024.png"))
    with capsys.disabled():
        print(f"\nsmallest diagram label at 1024 px: {smallest:.1f} px; {tmp_path / 'd1024.png'}")
    page.context.close()


def test_browser_shows_a_whatif_beside_its_base(
    browser: Browser, whatif: Made, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert whatif.base is not None
    path = tmp_path / "whatif.html"
    path.write_text(whatif.html, encoding="utf-8")
    seen = visit(browser, path)
    page = seen.page
    assert_clean(seen, path)
    assert visible(page, "table.events[data-run=run] tr.event") == len(whatif.trace.records)
    assert visible(page, "table.events[data-run=base] tr.event") == len(whatif.base.records)
    for run, states in (("run", whatif.states), ("base", whatif.base_states)):
        drawn = visible(page, f"figure.machine[data-run={run}] g.node[data-state]")
        assert drawn == len(states)
    assert page.locator("section#diff").is_visible()
    assert visible(page, "section#diff tr.diff-only") == 2
    screenshot(page, tmp_path / "report-whatif.png", capsys)
    page.context.close()


def test_browser_runs_nothing_from_a_hostile_scenario(
    browser: Browser, evil: Made, tmp_path: Path
) -> None:
    path = tmp_path / "evil.html"
    path.write_text(evil.html, encoding="utf-8")
    seen = visit(browser, path)
    assert_clean(seen, path)
    page = seen.page
    assert page.locator("tr.event[data-event-id=e1] p.summary").inner_text() == EVIL_SUMMARY
    assert visible(page, "tr.event") == len(evil.trace.records)
    assert page.evaluate("document.scripts.length") == 0
    page.context.close()
