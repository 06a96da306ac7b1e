"""The Content-Security-Policy in a real Chromium: the watcher that every browser test runs under
catches violations, the pages that run scripts (thread, documents, htmx) run clean, and the
support widget still works on an agency's own site on another origin with a strict policy."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from casedesk.support import bot
from casedesk.support.identity import widget_settings_for
from casedesk.support.models import HelpArticle
from tests.browser.conftest import sign_in
from tests.browser.csp_watch import CSPWatchingBrowser
from tests.conftest import PASSWORD, Cast
from tests.support_helpers import fake_triage

pytestmark = pytest.mark.browser

LAUNCHER = "#casedesk-support-widget >> button.launcher"


def test_the_watcher_reports_a_blocked_inline_script_and_handler(browser: CSPWatchingBrowser) -> None:
    page = browser.new_page()
    page.route(
        "http://csp-check.invalid/",
        lambda route: route.fulfill(
            body="<p><script>document.title='ran'</script><img src=x onerror=\"document.title='ran'\"></p>",
            headers={"Content-Type": "text/html", "Content-Security-Policy": "script-src 'self'"},
        ),
    )
    page.goto("http://csp-check.invalid/")
    page.wait_for_timeout(300)
    assert page.title() != "ran"
    found = list(browser.violations)
    browser.violations.clear()  # seen on purpose: don't fail this test at teardown
    assert any(v.startswith("event: script-src") for v in found), found
    assert any(v.startswith("console:") for v in found), found


def test_agency_switcher_submits_without_an_inline_handler(cast: Cast, live_url: str, browser: Any) -> None:
    from casedesk.accounts.models import Membership, Role

    Membership.objects.create(user=cast.alice, agency=cast.agency_b, role=Role.MEMBER)
    page = browser.new_page()
    sign_in(page, live_url, cast.alice.email, PASSWORD)
    page.goto(f"{live_url}/cases/")
    page.select_option("#agency-switch", str(cast.agency_b.pk))
    page.wait_for_load_state("networkidle")
    assert page.locator(".agency-switcher select option:checked").inner_text() == cast.agency_b.name


class _AgencySite(BaseHTTPRequestHandler):
    """An agency's own website: another origin, with a strict nonce-based policy of its own."""

    desk = ""

    def do_GET(self) -> None:
        ws = self.desk.replace("http://", "ws://")
        body = (
            "<!doctype html><html lang=en><head><title>Acme shop</title></head><body><main>"
            "<h1>Acme shop</h1></main>"
            f'<script nonce="shop123" src="{self.desk}/static/support/widget.js" data-agency="acme" defer>'
            "</script></body></html>"
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header(
            "Content-Security-Policy",
            f"default-src 'self'; script-src 'nonce-shop123' {self.desk}; style-src 'nonce-shop123'; "
            f"connect-src {self.desk} {ws}; img-src 'self' data:; object-src 'none'",
        )
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def agency_site(live_url: str) -> Iterator[str]:
    handler = type("Site", (_AgencySite,), {"desk": live_url})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        # "localhost" and "127.0.0.1" are different origins: the widget runs cross-origin.
        yield f"http://localhost:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_widget_works_on_an_agency_site_with_its_own_strict_policy(
    cast: Cast, live_url: str, agency_site: str, browser: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bot, "triage", fake_triage)
    cast.agency_a.support_widget_for_customers = True
    cast.agency_a.save()
    HelpArticle.objects.create(
        agency=cast.agency_a,
        slug="invoices",
        title="Invoices and billing",
        body="Invoices are sent on the first working day of each month, by email, as a PDF.",
        example_questions="When do I get my invoice?",
    )
    row = widget_settings_for(cast.agency_a)
    row.allowed_origins = agency_site
    row.save()

    page = browser.new_page()
    page.goto(f"{agency_site}/")
    page.locator(LAUNCHER).wait_for(timeout=10_000)
    # Styled: the shadow root's stylesheet was let in by the nonce of the host page's script tag.
    radius = page.locator(LAUNCHER).evaluate("b => getComputedStyle(b).borderRadius")
    assert radius == "50%"
    page.click(LAUNCHER)
    page.fill("#casedesk-support-widget >> #cd-input", "When do I get my invoice?")
    page.press("#casedesk-support-widget >> #cd-input", "Enter")
    answer = page.locator("#casedesk-support-widget >> li.msg.bot_answer")
    answer.wait_for(timeout=10_000)
    assert "first working day" in answer.inner_text()


def test_brand_colour_admin_and_api_docs_work_under_the_policy(
    cast: Cast, live_url: str, browser: Any
) -> None:
    cast.agency_a.brand_color = "#aa3300"
    cast.agency_a.save()
    cast.alice.is_staff = cast.alice.is_superuser = True
    cast.alice.save()
    page = browser.new_page()
    sign_in(page, live_url, cast.alice.email, PASSWORD)
    page.goto(f"{live_url}/cases/")
    # The agency's colour arrives in a nonce'd style element, not a style= attribute.
    brand = page.evaluate("getComputedStyle(document.body).getPropertyValue('--brand').trim()")
    assert brand == "#aa3300"
    for path in ("/django-admin/", f"/django-admin/accounts/user/{cast.bob.pk}/change/", "/api/docs"):
        page.goto(f"{live_url}{path}")
        page.wait_for_load_state("networkidle")
    page.locator("#swagger-ui .opblock").first.wait_for(timeout=10_000)
