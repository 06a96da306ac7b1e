"""axe-core on every page and state, in light and dark mode, at desktop width and at 390 px.

Batched per signed-in person (one browser context each) rather than one test per page: signing in
and serving the app once per person keeps the run short on a 2-core machine. Any violation, of
any impact, fails; the failure lists every page, theme and width with its rule and elements.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from playwright.sync_api import expect

from casedesk.cases.actions import do_post_message
from casedesk.cases.models import Message
from casedesk.cases.saved_reply_actions import do_create_saved_reply
from casedesk.jobs.testing import drain_tasks
from casedesk.mail.models import CapturedEmail
from casedesk.support import bot
from casedesk.support.models import Conversation, HelpArticle, WidgetSettings
from tests.browser.axe import AxeReport, audit_everywhere
from tests.browser.conftest import sign_in
from tests.browser.test_failed_jobs_browser import failed_job
from tests.browser.waits import wait_for_js
from tests.conftest import PASSWORD, Cast
from tests.fixtures.eml.helpers import deliver, load_eml, token_for
from tests.support_helpers import fake_triage

pytestmark = pytest.mark.browser

WIDGET = "#casedesk-support-widget"


def _busy_case(cast: Cast, settings: Any) -> None:
    """case_a with what the thread shows: a client's email, a note with a mention, a file."""
    settings.EMAIL_BACKEND = "casedesk.mail.devmailbox.DevMailboxBackend"
    deliver(
        load_eml("gmail_reply.eml", carol_token=token_for(cast.carol, cast.case_a)), lambda: drain_tasks()
    )
    do_post_message(
        case=cast.case_a,
        body="@**Alice Owner** can you check the *Autumn* brief?",
        author_user=cast.bob,
        internal_only=True,
    )
    do_post_message(
        case=cast.case_a,
        body="Here is the **brief** for review.",
        author_user=cast.bob,
        files=[ContentFile(b"%PDF-1.4\n% brief\n", name="brief.pdf")],
    )
    drain_tasks()


def _visit(page: Any, url: str, where: str, report: AxeReport, ready: str | None = None) -> None:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    if ready:
        page.locator(ready).first.wait_for(timeout=10_000)
    audit_everywhere(page, where, report)


def test_team_pages_have_no_axe_violations(cast: Cast, live_url: str, browser: Any, settings: Any) -> None:
    _busy_case(cast, settings)
    failed_job(cast, "Chat about invoices")
    do_create_saved_reply(
        agency=cast.agency_a, author=cast.bob, title="Thanks, on it", body="Hi {{contact.first_name}}, on it."
    )
    report = AxeReport()
    page = browser.new_context().new_page()
    _visit(page, f"{live_url}/accounts/login/", "sign-in", report)
    sign_in(page, live_url, cast.alice.email, PASSWORD)
    case = cast.case_a.pk
    email_message = Message.objects.filter(case=cast.case_a, source="email").get()
    _visit(page, f"{live_url}/cases/", "case list", report)
    assert _body_colours(page, "dark") == ("rgb(11, 18, 32)", "rgb(229, 231, 235)")
    _visit(page, f"{live_url}/cases/{case}/messages/", "team thread", report, "article.msg")
    page.click(f"#m{email_message.pk} summary:has-text('Show full email')")
    page.locator(f"#m{email_message.pk} .mail-original-slot *").first.wait_for()
    audit_everywhere(page, "team thread, full email open", report)
    page.locator("#composer-body").click()
    page.keyboard.type("/")
    page.get_by_role("option", name="Thanks, on it").wait_for()
    audit_everywhere(page, "team thread, saved replies list open", report)
    page.keyboard.press("Escape")
    _visit(page, f"{live_url}/cases/{case}/documents/", "team documents", report)
    _visit(page, f"{live_url}/cases/notifications/", "notifications", report)
    _visit(page, f"{live_url}/settings/", "settings: general", report)
    _visit(page, f"{live_url}/settings/profile/", "settings: profile", report)
    _visit(page, f"{live_url}/settings/team/", "settings: team", report)
    _visit(page, f"{live_url}/settings/support-widget/", "settings: support widget", report)
    _visit(page, f"{live_url}/settings/help-centre/", "settings: help centre", report)
    _visit(page, f"{live_url}/settings/saved-replies/", "settings: saved replies", report)
    _visit(page, f"{live_url}/admin/jobs/failed/", "failed jobs", report)
    _visit(page, f"{live_url}/dev/mailbox", "dev mailbox", report)
    captured = CapturedEmail.objects.order_by("pk").first()
    assert captured is not None
    _visit(page, f"{live_url}/dev/mailbox/{captured.pk}/", "dev mailbox: one email", report)
    _visit(page, f"{live_url}/quarantine/", "quarantine", report)
    _visit(page, f"{live_url}/cases/999999/messages/", "error page (404)", report)
    print(f"{report.audits} axe audits")
    report.assert_clean()


def _body_colours(page: Any, theme: str) -> tuple[str, str]:
    """The page's background and text colour in one theme: proof the dark theme is really on."""
    page.emulate_media(color_scheme=theme)
    colours = page.evaluate(
        "() => { const s = getComputedStyle(document.body); return [s.backgroundColor, s.color]; }"
    )
    page.emulate_media(color_scheme="light")
    return (colours[0], colours[1])


def test_error_pages_have_no_axe_violations(cast: Cast, live_url: str, browser: Any, settings: Any) -> None:
    """404, 403, 400 and 500, signed out and signed in, in both themes (500.html has its own stylesheet)."""
    settings.ROOT_URLCONF = "tests.error_urls"
    report = AxeReport()
    page = browser.new_context().new_page()
    for signed_in in (False, True):
        if signed_in:
            sign_in(page, live_url, cast.alice.email, PASSWORD)
        who = "signed in" if signed_in else "signed out"
        for status, path in (
            (404, "/no-such-page/"),
            (403, "/test-errors/forbidden/"),
            (400, "/test-errors/bad-request/"),
            (500, "/test-errors/crash/"),
        ):
            response = page.goto(f"{live_url}{path}")
            assert response is not None and response.status == status, path
            page.wait_for_load_state("networkidle")
            audit_everywhere(page, f"error page ({status}, {who})", report)
            assert _body_colours(page, "light") == ("rgb(246, 247, 251)", "rgb(31, 41, 55)"), path
            assert _body_colours(page, "dark") == ("rgb(11, 18, 32)", "rgb(229, 231, 235)"), path
    # The CSRF failure page (403_csrf.html): the sign-in form sent without its token.
    page.context.clear_cookies()
    page.goto(f"{live_url}/accounts/login/")
    page.locator("input[name=csrfmiddlewaretoken]").evaluate("el => el.remove()")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.click("button[type=submit]")
    assert posted.value.status == 403
    page.wait_for_load_state("networkidle")
    audit_everywhere(page, "error page (403, CSRF)", report)
    print(f"{report.audits} axe audits")
    report.assert_clean()


def test_client_pages_have_no_axe_violations(cast: Cast, live_url: str, browser: Any, settings: Any) -> None:
    _busy_case(cast, settings)
    report = AxeReport()
    case = cast.case_a.pk
    page = browser.new_context().new_page()
    sign_in(page, live_url, cast.carol_user.email, PASSWORD)
    _visit(page, f"{live_url}/my-cases/", "portal case list", report)
    _visit(page, f"{live_url}/my-cases/{case}/messages", "portal thread", report, "article.msg")
    _visit(page, f"{live_url}/my-cases/{case}/documents", "portal documents", report)

    from casedesk.accounts.models import MagicLink

    _, token = MagicLink.issue(cast.erin, cast.case_a)
    magic = browser.new_context().new_page()
    _visit(magic, f"{live_url}/accounts/magic/{token}/", "magic-link page", report)
    magic.click("button[type=submit]")
    magic.wait_for_load_state("networkidle")
    audit_everywhere(magic, "thread through a magic link", report)
    print(f"{report.audits} axe audits")
    report.assert_clean()


def _write(folder: Path, name: str, content: bytes) -> str:
    path = folder / name
    path.write_bytes(content)
    return str(path)


def _widget_with_files(page: Any, folder: Path, report: AxeReport) -> None:
    """Files in the chat (issue 16 §2): a chip waiting to be sent, then a file sent and shown."""
    page.set_input_files(f"{WIDGET} >> input[type=file]", _write(folder, "receipt.pdf", b"%PDF-1.4\n% r\n"))
    page.locator(f"{WIDGET} >> ul.files li.chip").wait_for()
    audit_everywhere(page, "storefront, widget with a file to send", report)
    page.press(f"{WIDGET} >> #cd-input", "Enter")
    page.locator(f"{WIDGET} >> li.msg.visitor a", has_text="receipt.pdf").wait_for(timeout=10_000)
    audit_everywhere(page, "storefront, widget with a file sent", report)


def test_storefront_widget_and_support_pages_have_no_axe_violations(
    cast: Cast,
    live_url: str,
    browser: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    settings: Any,
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setattr(bot, "triage", fake_triage)
    cast.agency_a.support_widget_for_customers = True
    cast.agency_a.save()
    HelpArticle.objects.create(
        agency=cast.agency_a,
        slug="invoices",
        title="Invoices and billing",
        body="Invoices are sent on the first working day of each month, by email, as a PDF.",
        example_questions="How do invoices work?\nWhen do I get my invoice?",
    )
    report = AxeReport()
    page = browser.new_context().new_page()
    page.goto(f"{live_url}/s/acme/")
    page.locator(f"{WIDGET} >> button.launcher").wait_for()
    audit_everywhere(page, "storefront, widget closed", report)
    page.click(f"{WIDGET} >> button.launcher")
    audit_everywhere(page, "storefront, widget open", report)
    page.fill(f"{WIDGET} >> #cd-input", "When do I get my invoice?")
    page.press(f"{WIDGET} >> #cd-input", "Enter")
    page.locator(f"{WIDGET} >> li.msg.bot_answer").wait_for(timeout=10_000)
    audit_everywhere(page, "storefront, widget answering", report)
    page.locator(WIDGET).get_by_role("button", name="No, talk to a person").click()
    page.locator(f"{WIDGET} >> li.msg.bot_notice").wait_for(timeout=10_000)
    audit_everywhere(page, "storefront, widget handed over", report)
    drain_tasks()
    _widget_with_files(page, tmp_path, report)

    team = browser.new_context().new_page()
    sign_in(team, live_url, cast.bob.email, PASSWORD)
    _visit(team, f"{live_url}/support/", "support queue", report)
    # Live: the queue socket is up and the sidebar's waiting badge ("1 waiting") is shown.
    wait_for_js(team, "document.getElementById('queue-lists').dataset.live === 'on'", timeout=10_000)
    expect(team.locator("#support-waiting")).to_have_text("1 waiting")
    audit_everywhere(team, "support queue, live, one waiting", report)
    # With auto-assignment on, the queue shows the "Available for new chats" switch.
    WidgetSettings.objects.update_or_create(agency=cast.agency_a, defaults={"auto_assign": True})
    _visit(team, f"{live_url}/support/", "support queue, auto-assignment on", report)
    switch = team.get_by_role("button", name="Available for new chats")
    switch.click()
    expect(switch).to_have_attribute("aria-pressed", "true")
    audit_everywhere(team, "support queue, available for new chats", report)
    conversation = Conversation.objects.get()
    _visit(team, f"{live_url}/support/conversations/{conversation.pk}/", "support conversation", report)
    team.set_input_files("#composer-files", _write(tmp_path, "form.pdf", b"%PDF-1.4\n% form\n"))
    team.locator("#composer-attachments li").wait_for()
    audit_everywhere(team, "support conversation, a file to send", report)

    # Closed: the widget asks for a rating once, then thanks.
    team.get_by_role("button", name="Close", exact=True).click()
    page.locator(WIDGET).get_by_role("form", name="How was the help you got?").wait_for(timeout=10_000)
    audit_everywhere(page, "storefront, widget asking for a rating", report)
    page.locator(WIDGET).get_by_role("button", name="Good", exact=True).click()
    page.locator(WIDGET).get_by_role("button", name="Send rating").click()
    page.locator(f"{WIDGET} >> p.csat-done").wait_for(timeout=10_000)
    audit_everywhere(page, "storefront, widget rated", report)

    staff = browser.new_context().new_page()
    sign_in(staff, live_url, cast.pat.email, PASSWORD)
    _visit(staff, f"{live_url}/support/console/", "platform console", report)
    print(f"{report.audits} axe audits")
    report.assert_clean()
