"""Waiting on a page condition without Playwright's wait_for_function.

wait_for_function re-evaluates its predicate inside the page with ``new Function``; under the
site's Content-Security-Policy (no 'unsafe-eval') that is refused, and the refusal is reported as
a CSP violation whenever the first check is false. ``page.evaluate`` runs through the DevTools
protocol, which the page's policy does not govern, so polling it from the test is CSP-clean.
"""

from __future__ import annotations

import time
from typing import Any

from playwright.sync_api import TimeoutError as PlaywrightTimeoutError


def wait_for_js(page: Any, expression: str, *, timeout: float = 30_000, interval: float = 0.05) -> Any:
    """Poll ``expression`` (a JS expression) until it is truthy; return its value.

    Raises Playwright's TimeoutError (so the suite's one-rerun rule for timeouts applies).
    """
    deadline = time.monotonic() + timeout / 1000
    while True:
        value = page.evaluate(expression)
        if value:
            return value
        if time.monotonic() > deadline:
            raise PlaywrightTimeoutError(f"Timed out after {timeout:.0f} ms waiting for: {expression}")
        page.wait_for_timeout(interval * 1000)
