"""axe-core in the browser tests: every page and state is audited, in light and dark mode, on a
desktop and a 390 px phone; any violation of any impact fails the test that asked.

axe-core is fetched from npm by ``make install`` (scripts/fetch-vendor.sh) into tests/browser/vendor/
and is never served by casedesk. It goes into the page with ``page.evaluate(source)``, which runs
through the DevTools protocol and so is not subject to the page's Content-Security-Policy; the
pages keep their real policy while they are audited (no ``bypass_csp``), and the CSP watcher of
``tests/browser/conftest.py`` still fails a test on any violation the pages themselves cause.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest

AXE_PATH = Path(__file__).parent / "vendor" / "axe.min.js"
# WCAG 2.0/2.1/2.2 A and AA, and axe's best practices (which include the landmark and
# heading rules a screen-reader user relies on).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]

# The two themes and two widths every page is audited in.
THEMES = ("light", "dark")
WIDTHS = ((1280, 800), (390, 780))


@cache
def axe_source() -> str:
    if not AXE_PATH.exists():
        pytest.fail("axe-core is missing at tests/browser/vendor/axe.min.js; run `make install`.")
    return AXE_PATH.read_text()


@dataclass
class AxeReport:
    """Violations found across the audits of one test, as readable lines."""

    findings: list[str] = field(default_factory=list)
    audits: int = 0

    def add(self, where: str, violations: list[dict[str, Any]]) -> None:
        self.audits += 1
        for v in violations:
            nodes = "; ".join(
                f"{' '.join(n['target']) if isinstance(n['target'][0], str) else n['target']}"
                f" ({(n.get('failureSummary') or '').splitlines()[-1].strip()})"
                for n in v["nodes"][:4]
            )
            self.findings.append(f"{where}: [{v['impact']}] {v['id']}: {v['help']} -> {nodes}")

    def assert_clean(self) -> None:
        assert not self.findings, f"{len(self.findings)} axe violation(s):\n" + "\n".join(self.findings)


def audit(page: Any, where: str, report: AxeReport, *, include_widget: bool = True) -> None:
    """Run axe-core on the page as it is now (one theme, one width) and record its violations."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())
    # Let animations (the widget opening, a new message's flash) end: colours are measured as
    # they end up, not half-faded.
    page.evaluate(
        """() => {
            const roots = [document, ...Array.from(document.querySelectorAll('*'), e => e.shadowRoot)
              .filter(Boolean)];
            const running = roots.flatMap(r => r.getAnimations()).map(a => a.finished.catch(() => null));
            return Promise.race([Promise.all(running), new Promise(done => setTimeout(done, 3000))]);
        }"""
    )
    result = page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {
              runOnly: {type: 'tag', values: tags}, resultTypes: ['violations'], preload: false});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
              nodes: v.nodes.map(n => ({target: n.target, failureSummary: n.failureSummary}))}));
        }""",
        AXE_TAGS,
    )
    report.add(where, result)


def audit_everywhere(page: Any, where: str, report: AxeReport) -> None:
    """The page in light and dark mode, at desktop width and at 390 px."""
    original = page.viewport_size
    for width, height in WIDTHS:
        page.set_viewport_size({"width": width, "height": height})
        for theme in THEMES:
            page.emulate_media(color_scheme=theme)
            audit(page, f"{where} [{theme}, {width}px]", report)
    page.emulate_media(color_scheme="light")
    if original:
        page.set_viewport_size(original)
