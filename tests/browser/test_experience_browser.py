"""Bugs a new user hit in the first minutes (issue 14), each driven in a real Chromium: the
launcher over the Send button, long text cut silently, the hidden menu checkbox, the notifications
page, plain-text email, and the support chat's rough edges."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from casedesk.cases.actions import MAX_BODY_CHARS, do_post_message
from casedesk.cases.models import Message, MessageSource
from casedesk.jobs.testing import drain_tasks
from casedesk.support import bot
from casedesk.support.actions import MAX_MESSAGE_CHARS
from casedesk.support.models import Conversation, ConversationMessage, HelpArticle
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD, Cast
from tests.support_helpers import fake_triage

pytestmark = pytest.mark.browser

WIDGET = "#casedesk-support-widget"
PHONE = {"width": 390, "height": 780}
DESKTOP = {"width": 1280, "height": 800}
DATE = re.compile(r"^\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}, \d{2}:\d{2}$")

# Every visible control (and the last message) that lies under the launcher's box.
COVERED_BY_LAUNCHER = """() => {
  const host = document.querySelector('#casedesk-support-widget');
  const launcher = host.shadowRoot.querySelector('button.launcher').getBoundingClientRect();
  const hits = [];
  const targets = document.querySelectorAll(
    'a[href], button, input, textarea, select, summary, .composer-hint, .thread-list > article:last-child');
  for (const el of targets) {
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height || getComputedStyle(el).visibility === 'hidden') continue;
    const overlap = r.left < launcher.right && r.right > launcher.left
      && r.top < launcher.bottom && r.bottom > launcher.top;
    const name = el.id ? '#' + el.id : el.tagName.toLowerCase() + '.' + el.className;
    if (overlap) hits.push(name + ' "' + (el.innerText || '').slice(0, 20) + '"');
  }
  return hits;
}"""


def icon(launcher: Any) -> str:
    return str(launcher.evaluate("b => b.querySelector('svg').getAttribute('data-icon')"))


def _help(cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
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


def test_launcher_covers_no_control_on_desktop_or_phone(cast: Cast, live_url: str, browser: Any) -> None:
    for n in range(3):
        do_post_message(case=cast.case_a, body=f"Update number {n} on the campaign.", author_user=cast.bob)
    for viewport in (DESKTOP, PHONE):
        page = browser.new_context(viewport=viewport).new_page()
        sign_in(page, live_url, cast.bob.email, PASSWORD)
        page.goto(f"{live_url}/cases/{cast.case_a.pk}/messages/")
        page.locator(f"{WIDGET} >> button.launcher").wait_for()
        page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
        page.wait_for_timeout(100)
        assert page.evaluate(COVERED_BY_LAUNCHER) == [], f"covered at {viewport['width']} px"
        # Scrolled so that Send sits at the very bottom of the window (where "Ser" was seen): the
        # composer's buttons stay clear of the launcher's column.
        page.evaluate("document.getElementById('composer-send').scrollIntoView({block: 'end'})")
        page.wait_for_timeout(100)
        covered = [
            hit for hit in page.evaluate(COVERED_BY_LAUNCHER) if hit.startswith(("#composer-send", "button"))
        ]
        assert covered == [], f"composer's buttons covered at {viewport['width']} px"
        page.context.close()


def test_long_text_is_refused_with_the_servers_sentence_and_never_cut(
    cast: Cast, live_url: str, browser: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = browser.new_context().new_page()
    sign_in(page, live_url, cast.bob.email, PASSWORD)
    page.goto(f"{live_url}/cases/{cast.case_a.pk}/messages/")
    before = Message.objects.count()
    text = "word " * (MAX_BODY_CHARS // 5) + "x"  # 50,001 characters
    page.fill("#composer-body", text)
    assert len(page.input_value("#composer-body")) == MAX_BODY_CHARS + 1  # nothing cut in the browser
    assert page.inner_text("#composer-count") == "1 characters over the limit of 50,000."
    page.click("#composer-send")
    error = page.locator("#composer-error")
    error.wait_for()
    assert "This message is 50,001 characters long; the limit is 50,000." in error.inner_text()
    assert Message.objects.count() == before
    assert len(page.input_value("#composer-body")) == MAX_BODY_CHARS + 1  # still there to split

    _help(cast, monkeypatch)
    visitor = browser.new_context().new_page()
    visitor.goto(f"{live_url}/s/acme/")
    visitor.click(f"{WIDGET} >> button.launcher")
    visitor.fill(f"{WIDGET} >> #cd-input", "a" * (MAX_MESSAGE_CHARS + 1))
    assert visitor.locator(f"{WIDGET} >> #cd-count").inner_text() == "1 characters over the limit of 4,000."
    visitor.press(f"{WIDGET} >> #cd-input", "Enter")
    widget_error = visitor.locator(f"{WIDGET} >> .err")
    widget_error.filter(has_text="characters long").wait_for()
    assert "This message is 4,001 characters long; the limit is 4,000." in widget_error.inner_text()
    assert ConversationMessage.objects.count() == 0


def test_menu_is_a_labelled_button_on_phones_and_absent_from_tab_order_on_desktop(
    cast: Cast, live_url: str, browser: Any
) -> None:
    page = browser.new_context(viewport=DESKTOP).new_page()
    sign_in(page, live_url, cast.bob.email, PASSWORD)
    page.goto(f"{live_url}/cases/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "brand"
    assert page.locator("input[type=checkbox]#nav-toggle").count() == 0

    phone = browser.new_context(viewport=PHONE).new_page()
    sign_in(phone, live_url, cast.bob.email, PASSWORD)
    phone.goto(f"{live_url}/cases/")
    menu = phone.get_by_role("button", name="Menu")
    assert menu.get_attribute("aria-expanded") == "false"
    assert not phone.locator("#main-nav").is_visible()
    menu.focus()
    phone.keyboard.press("Enter")
    assert menu.get_attribute("aria-expanded") == "true"
    assert phone.locator("#main-nav a", has_text="Support").is_visible()


def test_thread_composer_is_within_three_tab_stops(cast: Cast, live_url: str, browser: Any) -> None:
    do_post_message(
        case=cast.case_a, body="A message with [a link](https://example.com).", author_user=cast.bob
    )
    page = browser.new_context().new_page()
    sign_in(page, live_url, cast.carol_user.email, PASSWORD)
    page.goto(f"{live_url}/my-cases/{cast.case_a.pk}/messages")
    for _ in range(2):
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to the reply box"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "composer-body"


def test_notifications_are_a_plain_left_aligned_list_and_open_the_highlighted_message(
    cast: Cast, live_url: str, browser: Any
) -> None:
    mention = do_post_message(
        case=cast.case_a,
        body="@**Bob Member** the photos are in the folder *Autumn*, see **this**.",
        author_user=cast.alice,
    )
    page = browser.new_context().new_page()
    sign_in(page, live_url, cast.bob.email, PASSWORD)
    page.goto(f"{live_url}/cases/notifications/")
    item = page.locator(".notif-text").first
    text = page.locator(".notif-excerpt").first.inner_text()
    assert "folder Autumn, see this." in text and "*" not in text
    style = item.evaluate(
        "el => { const s = getComputedStyle(el); return [s.textAlign, s.fontWeight, s.textDecorationLine]; }"
    )
    assert style == ["left", "400", "none"]
    item.click()
    page.wait_for_url(re.compile(rf"#m{mention.pk}$"))
    target = page.locator(f"#m{mention.pk}")
    assert "msg-highlight" in (target.get_attribute("class") or "")
    assert target.evaluate("el => getComputedStyle(el).boxShadow") != "none"


def test_plain_text_email_keeps_its_lines_and_the_full_email_is_preformatted(
    cast: Cast, live_url: str, browser: Any
) -> None:
    from casedesk.mail.inbound import receive_email
    from casedesk.mail.models import InboundSource
    from tests.fixtures.eml.helpers import load_eml, token_for

    receive_email(
        load_eml("gmail_reply.eml", carol_token=token_for(cast.carol, cast.case_a)),
        source=InboundSource.IMPORT,
    )
    drain_tasks()
    signed = do_post_message(
        case=cast.case_a,
        body="Works for us.\n\nBest,\nJenna\nHarbor Coffee | 555-0100",
        author_contact=cast.carol,
        source=MessageSource.EMAIL,
    )
    page = browser.new_context().new_page()
    sign_in(page, live_url, cast.bob.email, PASSWORD)
    page.goto(f"{live_url}/cases/{cast.case_a.pk}/messages/")
    assert "Best,\nJenna\nHarbor Coffee | 555-0100" in page.inner_text(f"#m{signed.pk} .msg-body")
    email = Message.objects.filter(case=cast.case_a, source=MessageSource.EMAIL).exclude(pk=signed.pk).get()
    page.click(f"#m{email.pk} summary")
    body = page.locator(f"#m{email.pk} .mail-body")
    body.wait_for()
    assert body.evaluate("el => getComputedStyle(el).whiteSpace") == "pre-wrap"
    assert "Thanks Bob, the new dates work for us.\n\nOn Tue" in body.inner_text()


def test_support_chat_rough_edges(
    cast: Cast, live_url: str, browser: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _help(cast, monkeypatch)
    page = browser.new_context().new_page()
    page.goto(f"{live_url}/s/acme/")
    launcher = page.locator(f"{WIDGET} >> button.launcher")
    launcher.wait_for()
    assert icon(launcher) == "chat"
    launcher.click()
    # The launcher shows a close icon while the chat is open.
    assert icon(launcher) == "close"
    assert launcher.get_attribute("aria-label") == "Close chat"
    page.fill(f"{WIDGET} >> #cd-input", "When do I get my invoice?")
    page.press(f"{WIDGET} >> #cd-input", "Enter")
    answer = page.locator(f"{WIDGET} >> li.msg.bot_answer")
    answer.wait_for(timeout=10_000)
    # The answer is announced to screen readers from a region that is not redrawn.
    announced = page.locator(f"{WIDGET} >> div.sr[aria-live=polite]")
    assert announced.inner_text().startswith("Assistant: Invoices are sent on the first working day")
    # The widget writes dates as the app does: "1 Dec 2026, 21:55".
    assert DATE.match(answer.locator("time").inner_text())
    yes = page.locator(WIDGET).get_by_role("button", name="Yes", exact=True)
    assert yes.is_enabled()

    # Focus stays inside the open chat.
    for _ in range(12):
        page.keyboard.press("Tab")
        assert (
            page.evaluate("document.activeElement && document.activeElement.id") == "casedesk-support-widget"
        )

    page.locator(WIDGET).get_by_role("button", name="Talk to a person", exact=True).click()
    page.locator(f"{WIDGET} >> li.msg.bot_notice").wait_for(timeout=10_000)
    # After the handover the assistant's Yes/No no longer act.
    assert yes.is_disabled()
    assert page.locator(WIDGET).get_by_role("button", name="No, talk to a person").is_disabled()
    page.keyboard.press("Escape")
    assert icon(launcher) == "chat"
    assert page.evaluate("document.activeElement.shadowRoot.activeElement.className") == "launcher"
    expect(page.locator(f"{WIDGET} >> #cd-panel")).to_be_hidden()  # after its fade-out
    drain_tasks()

    conversation = Conversation.objects.get()
    for n in range(40):
        ConversationMessage.objects.create(
            conversation=conversation, kind="visitor", body=f"Detail number {n}"
        )
    agent = browser.new_context(viewport=DESKTOP).new_page()
    sign_in(agent, live_url, cast.bob.email, PASSWORD)
    agent.goto(f"{live_url}/support/conversations/{conversation.pk}/")
    at_bottom = (
        "() => { const l = document.querySelector('.support-transcript');"
        " return l.scrollHeight - l.scrollTop - l.clientHeight < 40; }"
    )
    agent.wait_for_function(at_bottom, timeout=5_000)
    ConversationMessage.objects.create(conversation=conversation, kind="visitor", body="The newest detail")
    agent.locator(".support-line", has_text="The newest detail").wait_for(timeout=10_000)
    agent.wait_for_function(at_bottom, timeout=5_000)


def test_new_messages_are_announced_through_a_polite_live_region(
    cast: Cast, live_url: str, browser: Any
) -> None:
    carol = browser.new_context().new_page()
    sign_in(carol, live_url, cast.carol_user.email, PASSWORD)
    carol.goto(f"{live_url}/my-cases/{cast.case_a.pk}/messages")
    carol.wait_for_function("() => document.documentElement.dataset.live === 'on'", timeout=10_000)
    assert carol.get_attribute("#thread-announce", "aria-live") == "polite"
    bob = browser.new_context().new_page()
    sign_in(bob, live_url, cast.bob.email, PASSWORD)
    bob.goto(f"{live_url}/cases/{cast.case_a.pk}/messages/")
    bob.fill("#composer-body", "The **proofs** are ready for you.")
    bob.click("#composer-send")
    carol.wait_for_function(
        "() => document.getElementById('thread-announce').textContent.includes('proofs')", timeout=15_000
    )
    assert (
        carol.inner_text("#thread-announce") == "New message from Bob Member: The proofs are ready for you."
    )


def test_claiming_a_conversation_assigns_its_case(
    cast: Cast, live_url: str, browser: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from casedesk.support import actions as support_actions

    _help(cast, monkeypatch)
    conversation = support_actions.do_start_conversation(agency=cast.agency_a, page_url=f"{live_url}/s/acme/")
    support_actions.do_post_visitor_message(conversation=conversation, body="I need a person for my order")
    support_actions.do_request_escalation(conversation=conversation)
    drain_tasks()
    conversation.refresh_from_db()
    assert conversation.case is not None and not conversation.case.members.exists()
    page = browser.new_context().new_page()
    sign_in(page, live_url, cast.bob.email, PASSWORD)
    page.goto(f"{live_url}/support/conversations/{conversation.pk}/")
    page.get_by_role("button", name="Claim").click()
    page.wait_for_load_state("networkidle")
    page.goto(f"{live_url}/cases/{conversation.case.pk}/messages/")
    assert "Assigned: Bob Member" in page.inner_text(".case-meta")


def test_mention_and_attachment_by_keyboard_alone(cast: Cast, live_url: str, browser: Any) -> None:
    page = browser.new_context().new_page()
    sign_in(page, live_url, cast.bob.email, PASSWORD)
    page.goto(f"{live_url}/cases/{cast.case_a.pk}/messages/")
    for _ in range(2):
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # "Skip to the reply box"
    assert page.evaluate("document.activeElement.id") == "composer-body"
    page.keyboard.type("Please look, @Al")
    page.wait_for_selector(".mention-option")
    page.keyboard.press("Enter")
    assert page.input_value("#composer-body") == "Please look, @**Alice Owner** "
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "composer-files"
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files([{"name": "notes.txt", "mimeType": "text/plain", "buffer": b"Notes"}])
    page.keyboard.press("Tab")  # Internal only
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "composer-send"
    page.keyboard.press("Enter")
    page.wait_for_selector("article.msg:has-text('Please look')")
    message = Message.objects.get(body__startswith="Please look")
    assert [d.name for d in message.documents.all()] == ["notes.txt"]


def test_every_tab_stop_shows_where_focus_is(cast: Cast, live_url: str, browser: Any) -> None:
    do_post_message(case=cast.case_a, body="A message to edit.", author_user=cast.bob)
    page = browser.new_context().new_page()
    sign_in(page, live_url, cast.bob.email, PASSWORD)
    page.goto(f"{live_url}/cases/{cast.case_a.pk}/messages/")
    page.locator(f"{WIDGET} >> button.launcher").wait_for()
    seen = []
    for _ in range(30):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            """() => {
              let el = document.activeElement;
              while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
              if (el === document.body) return ['(past the last stop)', true];
              const s = getComputedStyle(el);
              const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2;
              const ring = outline || s.boxShadow !== 'none';
              return [el.id || el.className || el.tagName, ring];
            }"""
        )
        seen.append(focused)
    assert [name for name, ring in seen if not ring] == [], seen
