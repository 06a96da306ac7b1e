"""Real-browser fixtures: the real ASGI app (HTTP + websockets) served by uvicorn in a thread,
driven by Playwright on Debian's Chromium (/usr/bin/chromium; Playwright cannot download its own).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.csp_watch import CSPWatchingBrowser

# Playwright's sync API keeps an event loop in the test thread; the ORM calls that tests make
# around it are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def live_url(transactional_db: None, settings: Any) -> Iterator[str]:
    """Serve casedesk.asgi on 127.0.0.1 for one test; yields the base URL."""
    import uvicorn

    from casedesk.asgi import application

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
    settings.CSRF_TRUSTED_ORIGINS = [base]
    settings.SITE_URL = base
    config = uvicorn.Config(
        application, host="127.0.0.1", port=port, log_level="warning", lifespan="off", ws="websockets"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start within 15 s")
        time.sleep(0.05)
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """One Chromium for the session; tests use ``browser``, which watches it for CSP violations."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(
            "Chromium is missing at /usr/bin/chromium; `make test` installs it (scripts/ensure-chromium.sh)."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def browser(chromium: Any) -> Iterator[CSPWatchingBrowser]:
    """Chromium with every page watched for Content-Security-Policy violations: a test that
    triggers one (a blocked inline script, style, handler, connection or frame) fails."""
    watched = CSPWatchingBrowser(chromium)
    try:
        yield watched
    finally:
        watched.close_contexts()
    if watched.violations:
        pytest.fail("Content-Security-Policy violations:\n" + "\n".join(watched.violations), pytrace=False)


def sign_in(page: Any, base: str, email: str, password: str) -> None:
    """Sign in through the real form."""
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
