"""Support chat in a real Chromium: the widget on the storefront, the handoff to a person with a
live reply, visibility rules, and a team's escalation to the platform console."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from casedesk.jobs.testing import drain_tasks
from casedesk.support import bot
from casedesk.support.identity import widget_settings_for
from casedesk.support.models import Conversation, HelpArticle
from casedesk.support.views import widget_api
from tests.browser.axe import AxeReport, audit_everywhere
from tests.browser.conftest import sign_in
from tests.browser.waits import wait_for_js
from tests.conftest import PASSWORD, Cast
from tests.support_helpers import fake_triage

pytestmark = pytest.mark.browser

LAUNCHER = "#casedesk-support-widget >> button.launcher"


def _ask(page: Any, text: str) -> None:
    """The visitor types a line in the open widget and presses Enter."""
    page.fill("#casedesk-support-widget >> #cd-input", text)
    page.press("#casedesk-support-widget >> #cd-input", "Enter")


def _open_and_ask(page: Any, live_url: str, text: str) -> None:
    """A visitor on Acme's storefront opens the widget and asks."""
    page.goto(f"{live_url}/s/acme/")
    page.click(LAUNCHER)
    _ask(page, text)


def _engine_or_stub(monkeypatch: pytest.MonkeyPatch) -> None:
    """Use issue 7's engine when it is installed; otherwise a stand-in with the same contract."""
    try:
        import casedesk.support.triage  # noqa: F401
    except ImportError:
        monkeypatch.setattr(bot, "triage", fake_triage)


@pytest.fixture
def acme_help(cast: Cast) -> HelpArticle:
    cast.agency_a.support_widget_for_customers = True
    cast.agency_a.save()
    return HelpArticle.objects.create(
        agency=cast.agency_a,
        slug="invoices",
        title="Invoices and billing",
        body="Invoices are sent on the first working day of each month, by email, as a PDF.",
        example_questions="How do invoices work?\nWhen do I get my invoice?\nWhere is my invoice?",
    )


def test_visitor_gets_an_answer_then_a_person_replies_live(
    cast: Cast, live_url: str, browser: Any, acme_help: HelpArticle, monkeypatch: pytest.MonkeyPatch
) -> None:
    _engine_or_stub(monkeypatch)
    # Polling is the fallback; with it slowed to a minute, a reply within 10 s came over the websocket.
    monkeypatch.setattr(widget_api, "POLL_SECONDS", 60)
    visitor = browser.new_context(viewport={"width": 390, "height": 800})  # a phone
    page = visitor.new_page()
    _open_and_ask(page, live_url, "When do I get my invoice?")
    answer = page.locator("#casedesk-support-widget >> li.msg.bot_answer")
    answer.wait_for(timeout=10_000)
    assert "first working day" in answer.inner_text()
    link = answer.locator("a", has_text="Invoices and billing")
    assert "/help/invoices" in (link.get_attribute("href") or "")
    assert answer.locator("button", has_text="No, talk to a person").is_visible()

    _ask(page, "I want to talk to a person please")
    notice = page.locator("#casedesk-support-widget >> li.msg.bot_notice")
    notice.wait_for(timeout=10_000)
    assert "will answer here" in notice.inner_text()
    drain_tasks()  # the escalation task opens the case

    team = browser.new_context()
    agent = team.new_page()
    sign_in(agent, live_url, cast.bob.email, PASSWORD)
    agent.goto(f"{live_url}/support/")
    agent.click("text=When do I get my invoice?")
    agent.fill("#reply-body", "Hi, Bob from Acme here. Your invoice is on its way.")
    agent.click("button:has-text('Send reply')")
    agent.wait_for_load_state("networkidle")

    reply = page.locator("#casedesk-support-widget >> li.msg.agent")
    reply.wait_for(timeout=10_000)
    assert "Your invoice is on its way" in reply.inner_text()
    team.close()
    visitor.close()


def test_widget_is_absent_when_off_for_customers_or_on_an_excluded_page(
    cast: Cast, live_url: str, browser: Any
) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{live_url}/s/acme/")  # the master switch is off
    page.wait_for_load_state("networkidle")
    assert page.locator("script[src*='support/widget.js']").count() == 0
    assert page.locator("#casedesk-support-widget").count() == 0

    cast.agency_a.support_widget_for_customers = True
    cast.agency_a.save()
    row = widget_settings_for(cast.agency_a)
    row.exclude_patterns = "*/s/acme/pricing/*"
    row.save()
    page.goto(f"{live_url}/s/acme/pricing/")
    page.wait_for_load_state("networkidle")
    assert page.locator("script[src*='support/widget.js']").count() == 0
    assert page.locator("#casedesk-support-widget").count() == 0

    page.goto(f"{live_url}/s/acme/")  # the same site, a page that is not excluded
    page.locator(LAUNCHER).wait_for(timeout=10_000)
    context.close()


def test_team_member_escalates_to_the_platform_and_staff_see_it_in_the_console(
    cast: Cast, live_url: str, browser: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _engine_or_stub(monkeypatch)
    team = browser.new_context()
    page = team.new_page()
    sign_in(page, live_url, cast.bob.email, PASSWORD)
    page.goto(f"{live_url}/support/")
    page.click(LAUNCHER)
    _ask(page, "Our exports keep failing, I need to talk to a human")
    page.locator("#casedesk-support-widget >> li.msg.bot_notice").wait_for(timeout=10_000)
    drain_tasks()

    staff = browser.new_context()
    console = staff.new_page()
    sign_in(console, live_url, cast.pat.email, PASSWORD)
    console.goto(f"{live_url}/support/console/")
    row = console.locator(".support-row", has_text="Our exports keep failing")
    row.wait_for(timeout=10_000)
    assert "Acme Agency" in row.inner_text()
    staff.close()
    team.close()


def test_handover_with_email_then_tab_closed_the_answer_arrives_by_email_and_the_reply_comes_back(
    cast: Cast,
    live_url: str,
    browser: Any,
    acme_help: HelpArticle,
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
) -> None:
    from casedesk.mail.inbound import receive_email
    from casedesk.mail.models import CapturedEmail
    from casedesk.support.models import Conversation

    _engine_or_stub(monkeypatch)
    settings.EMAIL_BACKEND = "casedesk.mail.devmailbox.DevMailboxBackend"
    settings.DEMO_MODE = True  # the dev mailbox is a demo/debug page
    visitor = browser.new_context()
    page = visitor.new_page()
    _open_and_ask(page, live_url, "My parcel is late, I need to talk to a person")
    field = page.locator("#casedesk-support-widget >> form.answer-email input[type=email]")
    field.wait_for(timeout=10_000)
    label = page.locator("#casedesk-support-widget >> form.answer-email label").inner_text()
    assert "optional" in label and "send you the answer" in label
    field.fill("ana@example.com")
    page.click("#casedesk-support-widget >> form.answer-email button[type=submit]")
    note = page.locator("#casedesk-support-widget >> .answer-email-note")
    note.wait_for(timeout=10_000)
    assert "ana@example.com" in note.inner_text()
    drain_tasks()  # the escalation task opens the case
    page.close()  # the visitor leaves

    team = browser.new_context()
    agent = team.new_page()
    sign_in(agent, live_url, cast.bob.email, PASSWORD)
    agent.goto(f"{live_url}/support/")
    agent.click("text=My parcel is late")
    agent.fill("#reply-body", "Hi, Bob here: your parcel left the warehouse today.")
    agent.click("button:has-text('Send reply')")
    agent.wait_for_load_state("networkidle")
    drain_tasks(include_delayed=True)  # the few minutes for "seen" have passed

    captured = CapturedEmail.objects.get(to_addresses=["ana@example.com"])
    # The visitor is no account holder and the email has no OutboundEmail row to name its
    # agency, so the dev mailbox shows it to platform staff (who see every captured email).
    staff = browser.new_context()
    mailbox = staff.new_page()
    sign_in(mailbox, live_url, cast.pat.email, PASSWORD)
    mailbox.goto(f"{live_url}/dev/mailbox")
    mailbox.locator("strong", has_text="answered: My parcel is late").wait_for(timeout=10_000)
    staff.close()
    assert "your parcel left the warehouse today" in captured.text
    assert captured.reply_to.startswith("reply+")

    # The visitor answers the email; it lands in the case and, when they come back, in the chat.
    raw = (
        f"From: Ana <ana@example.com>\r\nTo: {captured.reply_to}\r\nSubject: Re: {captured.subject}\r\n"
        "Message-ID: <ana-1@example.com>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "Great, thank you!\r\n"
    ).encode()
    receive_email(raw, source="import")
    drain_tasks()
    conversation = Conversation.objects.get(answer_email="ana@example.com")
    assert conversation.case is not None
    assert conversation.case.messages.filter(body="Great, thank you!").exists()
    back = visitor.new_page()
    back.goto(f"{live_url}/s/acme/")
    back.click(LAUNCHER)
    back.click("#casedesk-support-widget >> text=My parcel is late")
    line = back.locator("#casedesk-support-widget >> li.msg.visitor", has_text="Great, thank you!")
    line.wait_for(timeout=10_000)
    team.close()
    visitor.close()


def test_queue_and_sidebar_count_update_live_when_a_visitor_escalates(
    cast: Cast, live_url: str, browser: Any, acme_help: HelpArticle, monkeypatch: pytest.MonkeyPatch
) -> None:
    _engine_or_stub(monkeypatch)
    team = browser.new_context()
    agent = team.new_page()
    sign_in(agent, live_url, cast.bob.email, PASSWORD)
    agent.goto(f"{live_url}/support/")
    # The socket is up: the lists now poll only every 30 s, so what follows arrived over it.
    wait_for_js(agent, "document.getElementById('queue-lists').dataset.live === 'on'", timeout=10_000)
    badge = agent.locator("#support-waiting")
    expect(badge).to_be_hidden()
    waiting = agent.locator("section[aria-labelledby='waiting-title'] li.support-row")
    expect(waiting).to_have_count(0)

    visitor = browser.new_context()
    page = visitor.new_page()
    _open_and_ask(page, live_url, "When do I get my invoice?")
    page.locator("#casedesk-support-widget >> li.msg.bot_answer").wait_for(timeout=10_000)
    expect(agent.locator("#queue-lists li.support-row", has_text="When do I get my invoice?")).to_have_count(
        1, timeout=5_000
    )

    started = time.monotonic()
    _ask(page, "I want to talk to a person please")
    expect(waiting.filter(has_text="When do I get my invoice?")).to_have_count(1, timeout=5_000)
    expect(badge).to_be_visible(timeout=5_000)
    expect(badge).to_have_text("1 waiting")
    elapsed = time.monotonic() - started
    assert elapsed < 5, f"the row took {elapsed:.1f} s (the fallback poll is 30 s)"
    print(f"queue row after escalation: {elapsed:.2f} s")
    team.close()
    visitor.close()


# Records what the page asks the Notifications API to show (the real API still runs underneath).
RECORD_NOTIFICATIONS = """
(() => {
  const Real = window.Notification;
  if (!Real) return;
  window.__notes = [];
  class Recorded extends Real {
    constructor(title, options) { super(title, options); window.__notes.push({ title, ...(options || {}) }); }
  }
  Object.defineProperty(Recorded, "permission", { get: () => Real.permission });
  Recorded.requestPermission = (...args) => Real.requestPermission(...args);
  window.Notification = Recorded;
})();
"""


def test_opt_in_desktop_notification_for_a_new_waiting_conversation(
    cast: Cast, live_url: str, browser: Any, acme_help: HelpArticle, monkeypatch: pytest.MonkeyPatch
) -> None:
    _engine_or_stub(monkeypatch)
    team = browser.new_context()
    team.grant_permissions(["notifications"], origin=live_url)
    team.add_init_script(RECORD_NOTIFICATIONS)
    agent = team.new_page()
    sign_in(agent, live_url, cast.bob.email, PASSWORD)
    agent.goto(f"{live_url}/support/")
    switch = agent.get_by_role("button", name="Desktop notifications")
    expect(switch).to_have_attribute("aria-pressed", "false")
    switch.focus()
    agent.keyboard.press("Enter")  # by keyboard, like every control
    expect(switch).to_have_attribute("aria-pressed", "true")
    expect(agent.locator("#support-notify-hint")).to_contain_text("On:")
    # On another team page the sidebar's socket is what listens.
    agent.goto(f"{live_url}/cases/")
    wait_for_js(agent, "document.getElementById('support-waiting').dataset.live === 'on'", timeout=10_000)

    visitor = browser.new_context()
    page = visitor.new_page()
    _open_and_ask(page, live_url, "I want to talk to a person please")
    page.locator("#casedesk-support-widget >> li.msg.bot_notice").wait_for(timeout=10_000)
    wait_for_js(agent, "(window.__notes || []).length === 1", timeout=10_000)
    (note,) = agent.evaluate("window.__notes")
    assert note["title"] == "New support conversation"
    assert note["body"] == "1 conversation is waiting for a person."
    assert note["tag"] == f"casedesk-support-{cast.agency_a.pk}"
    assert "talk to a person" not in str(note)  # frames carry no text, nor does the notification

    # Switched off again: the next waiting conversation makes no notification.
    agent.goto(f"{live_url}/support/")
    agent.get_by_role("button", name="Desktop notifications").click()
    expect(agent.get_by_role("button", name="Desktop notifications")).to_have_attribute(
        "aria-pressed", "false"
    )
    agent.goto(f"{live_url}/cases/")
    wait_for_js(agent, "document.getElementById('support-waiting').dataset.live === 'on'", timeout=10_000)
    second_ctx = browser.new_context()
    other = second_ctx.new_page()
    _open_and_ask(other, live_url, "I want to talk to a person please")
    other.locator("#casedesk-support-widget >> li.msg.bot_notice").wait_for(timeout=10_000)
    drain_tasks()  # the escalation task opens the case and tells the queue again
    expect(agent.locator("#support-waiting")).to_have_text("2 waiting", timeout=10_000)
    assert agent.evaluate("window.__notes.length") == 0
    second_ctx.close()
    team.close()
    visitor.close()


def test_after_the_close_the_visitor_rates_the_help_once_by_keyboard(
    cast: Cast, live_url: str, browser: Any, acme_help: HelpArticle, monkeypatch: pytest.MonkeyPatch
) -> None:
    _engine_or_stub(monkeypatch)
    monkeypatch.setattr(widget_api, "POLL_SECONDS", 60)  # what arrives within 10 s came over the socket
    visitor = browser.new_context(viewport={"width": 390, "height": 800})
    page = visitor.new_page()
    _open_and_ask(page, live_url, "I want to talk to a person please")
    page.locator("#casedesk-support-widget >> li.msg.bot_notice").wait_for(timeout=10_000)
    widget = page.locator("#casedesk-support-widget")
    prompt = widget.get_by_role("form", name="How was the help you got?")
    expect(prompt).to_have_count(0)  # open: not asked yet

    conversation = Conversation.objects.get()
    team = browser.new_context()
    agent = team.new_page()
    sign_in(agent, live_url, cast.bob.email, PASSWORD)
    agent.goto(f"{live_url}/support/conversations/{conversation.pk}/")
    agent.get_by_role("button", name="Close", exact=True).click()
    expect(prompt).to_be_visible(timeout=10_000)
    # Sending without a choice says what is missing, and sends nothing.
    widget.get_by_role("button", name="Send rating").click()
    expect(widget.locator(".err")).to_have_text("Choose Good or Not good to rate this conversation.")
    expect(widget.get_by_role("button", name="Good", exact=True)).to_be_focused()
    page.keyboard.press("Tab")  # to 👎 Not good
    page.keyboard.press("Enter")
    expect(widget.get_by_role("button", name="Not good", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    page.keyboard.press("Tab")
    page.keyboard.type("The answer came a day later.")
    widget.get_by_role("button", name="Send rating").focus()
    page.keyboard.press("Enter")
    expect(widget.locator("p.csat-done")).to_have_text("You rated this conversation “Not good”. Thank you.")
    expect(prompt).to_have_count(0)
    conversation.refresh_from_db()
    assert (conversation.csat_rating, conversation.csat_comment) == ("bad", "The answer came a day later.")

    # Coming back later: asked once, so no second prompt; the team sees the rating in the chat.
    again = visitor.new_page()
    again.goto(f"{live_url}/s/acme/")
    again.click(LAUNCHER)
    again.locator("#casedesk-support-widget .list button").first.click()
    expect(again.locator("#casedesk-support-widget >> p.csat-done")).to_be_visible(timeout=10_000)
    expect(
        again.locator("#casedesk-support-widget").get_by_role("form", name="How was the help you got?")
    ).to_have_count(0)
    agent.goto(f"{live_url}/support/conversations/{conversation.pk}/")
    expect(agent.get_by_text("Rated the help: Not good.")).to_be_visible()
    expect(agent.get_by_text("The answer came a day later.")).to_be_visible()
    team.close()
    visitor.close()


def test_outside_business_hours_the_widget_says_when_the_team_is_back(
    cast: Cast, live_url: str, browser: Any, acme_help: HelpArticle, monkeypatch: pytest.MonkeyPatch
) -> None:
    _engine_or_stub(monkeypatch)
    # Open on one weekday only, three days from today: closed now, whatever the day.
    today = timezone.now().weekday()
    cast.agency_a.business_hours_enabled = True
    cast.agency_a.time_zone = "UTC"
    cast.agency_a.business_hours = {str((today + 3) % 7): ["09:00", "17:00"]}
    cast.agency_a.save()
    page = browser.new_context(viewport={"width": 390, "height": 800}).new_page()
    page.goto(f"{live_url}/s/acme/")
    page.click(LAUNCHER)
    note = page.locator("#casedesk-support-widget >> p.away")
    expect(note).to_contain_text("We're away right now and back")
    expect(note).to_contain_text("at 09:00 (UTC time)")
    _ask(page, "I want to talk to a person please")
    handover = page.locator("#casedesk-support-widget >> li.msg.bot_notice")
    expect(handover).to_contain_text("when the team is back")
    expect(
        page.locator("#casedesk-support-widget").get_by_label("Your email (optional)", exact=False)
    ).to_be_visible()
    expect(note).to_be_visible()  # still away while the chat waits
    report = AxeReport()
    audit_everywhere(page, "storefront, widget away (outside business hours)", report)
    report.assert_clean()


def test_the_widget_says_who_answers_how_soon_and_when_it_is_offline(
    cast: Cast, live_url: str, browser: Any, acme_help: HelpArticle, monkeypatch: pytest.MonkeyPatch
) -> None:
    _engine_or_stub(monkeypatch)
    visitor = browser.new_context(viewport={"width": 390, "height": 800})
    page = visitor.new_page()
    page.goto(f"{live_url}/s/acme/")
    page.click(LAUNCHER)
    widget = page.locator("#casedesk-support-widget")
    # Before any handover: the agency's avatar and the usual reply time.
    expect(widget.locator("header .avatar")).to_have_text("AA")
    expect(widget.locator("header .subtitle")).to_have_text(
        "A person usually answers within about 60 minutes."
    )
    _ask(page, "When do I get my invoice?")
    widget.locator("li.msg.bot_answer").wait_for(timeout=10_000)

    # Offline: said at once; a message that cannot go stays in the box, with a sentence.
    visitor.set_offline(True)
    offline = widget.locator("p.offline")
    expect(offline).to_be_visible()
    _ask(page, "And the receipts?")
    expect(widget.locator(".composer .err")).to_contain_text("could not be reached")
    expect(widget.locator("#cd-input")).to_have_value("And the receipts?")
    report = AxeReport()
    audit_everywhere(page, "storefront, widget offline", report)
    report.assert_clean()

    # Back online: the note goes, and the same message sends.
    visitor.set_offline(False)
    expect(offline).to_be_hidden()
    page.press("#casedesk-support-widget >> #cd-input", "Enter")
    expect(widget.locator("li.msg.visitor", has_text="And the receipts?")).to_have_count(1)
    expect(widget.locator("#cd-input")).to_have_value("")
    visitor.close()
