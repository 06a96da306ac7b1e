"""Records Content-Security-Policy violations in every page of a Playwright browser.

Two sources, so nothing slips by: the page's ``securitypolicyviolation`` events (reported through
an exposed binding, from every frame and navigation) and Chromium's console errors ("Refused to
... because it violates the following Content Security Policy directive").
"""

from __future__ import annotations

import contextlib
from typing import Any

REPORTER = "__casedeskReportCspViolation"
INIT_SCRIPT = f"""
document.addEventListener("securitypolicyviolation", function (e) {{
  window.{REPORTER}(e.violatedDirective + " blocked " + (e.blockedURI || "inline") +
    " on " + e.documentURI + " (" + (e.sourceFile || "") + ":" + e.lineNumber + ")");
}});
"""


class CSPWatchingBrowser:
    """Wraps a Playwright ``Browser``; ``new_context``/``new_page`` return watched ones."""

    def __init__(self, browser: Any) -> None:
        self._browser = browser
        self._contexts: list[Any] = []
        self.violations: list[str] = []

    def new_context(self, **options: Any) -> Any:
        context = self._browser.new_context(**options)
        context.expose_binding(REPORTER, lambda _source, text: self.violations.append(f"event: {text}"))
        context.add_init_script(INIT_SCRIPT)
        context.on("console", self._on_console)
        self._contexts.append(context)
        return context

    def new_page(self, **options: Any) -> Any:
        return self.new_context(**options).new_page()

    def _on_console(self, message: Any) -> None:
        if "Content Security Policy" in message.text:
            self.violations.append(f"console: {message.text}")

    def close_contexts(self) -> None:
        for context in self._contexts:
            with contextlib.suppress(Exception):  # already closed by the test
                context.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._browser, name)
