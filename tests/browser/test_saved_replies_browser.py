"""Saved replies in a real Chromium (issue 16 §4): added in Settings → Saved replies, picked
with "/" by keyboard in a case thread and in a support conversation, variables filled in; the
client's composer has no such list."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from casedesk.cases.models import Message, SavedReply
from casedesk.support.actions import do_request_escalation, do_start_conversation
from casedesk.support.models import ConversationMessage, MessageKind, Visitor
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD, Cast

pytestmark = pytest.mark.browser

BODY = "Hi {{contact.first_name}}, the work on {{case.title}} has started. {{agent.first_name}}"


def test_saved_reply_added_in_settings_and_picked_with_slash(cast: Cast, live_url: str, browser: Any) -> None:
    visitor = Visitor.objects.create(agency=cast.agency_a, name="Sam Shopper")
    conversation = do_start_conversation(agency=cast.agency_a, visitor=visitor, subject="Parcel")
    do_request_escalation(conversation=conversation)
    bob_ctx, carol_ctx = browser.new_context(), browser.new_context()
    try:
        bob = bob_ctx.new_page()
        sign_in(bob, live_url, cast.bob.email, PASSWORD)
        bob.goto(f"{live_url}/settings/profile/")
        bob.get_by_role("link", name="Saved replies").click()
        expect(bob.get_by_text("No saved replies yet")).to_be_visible()
        # A typo in a variable is refused with the server's sentence, and the text is kept.
        bob.get_by_label("Name").fill("Work started")
        bob.get_by_label("Text").fill("Hi {{contact.firstname}}")
        bob.get_by_role("button", name="Add saved reply").click()
        expect(bob.get_by_role("alert")).to_contain_text("{{contact.firstname}} is not a variable")
        expect(bob.get_by_label("Name")).to_have_value("Work started")
        bob.get_by_label("Text").fill(BODY)
        bob.get_by_role("button", name="Add saved reply").click()
        expect(bob.locator(".saved-reply")).to_contain_text("Work started")
        assert SavedReply.objects.get().body == BODY

        # The case thread: "/" and a word, arrow keys, Enter; the variables are filled in.
        bob.goto(f"{live_url}/cases/{cast.case_a.pk}/messages/")
        box = bob.locator("#composer-body")
        box.click()
        bob.keyboard.type("/work")
        option = bob.get_by_role("option", name="Work started")
        expect(option).to_be_visible()
        expect(option).to_have_attribute("aria-selected", "true")
        expect(box).to_have_attribute(
            "aria-activedescendant", f"composer-body-saved-replies-{SavedReply.objects.get().pk}"
        )
        bob.keyboard.press("Enter")
        expected = "Hi Carol, the work on Spring campaign has started. Bob"
        expect(box).to_have_value(expected)
        expect(bob.locator("#composer-body-saved-replies")).to_be_hidden()
        bob.locator("#composer-send").click()
        expect(bob.locator("article.msg").filter(has_text=expected)).to_be_visible()
        assert Message.objects.filter(case=cast.case_a, body=expected, internal_only=False).exists()

        # Escape closes the list and leaves the typed text alone.
        box.click()
        bob.keyboard.type("see /wo")
        expect(bob.get_by_role("option", name="Work started")).to_be_visible()
        bob.keyboard.press("Escape")
        expect(bob.locator("#composer-body-saved-replies")).to_be_hidden()
        expect(box).to_have_value("see /wo")
        box.fill("")

        # The support conversation: the visitor's name and the conversation's title.
        bob.goto(f"{live_url}/support/conversations/{conversation.pk}/")
        reply = bob.locator("#reply-body")
        reply.click()
        bob.keyboard.type("/")
        expect(bob.get_by_role("option", name="Work started")).to_be_visible()
        bob.keyboard.press("Tab")
        conversation.refresh_from_db()
        title = conversation.case.title if conversation.case else conversation.subject
        expect(reply).to_have_value(f"Hi Sam, the work on {title} has started. Bob")
        bob.locator("#composer-send").click()
        expect(bob.locator("#transcript")).to_contain_text("Hi Sam, the work on")
        assert ConversationMessage.objects.filter(
            conversation=conversation, kind=MessageKind.AGENT, body__startswith="Hi Sam, the work on"
        ).exists()

        # The client's composer offers no saved replies.
        carol = carol_ctx.new_page()
        sign_in(carol, live_url, cast.carol_user.email, PASSWORD)
        carol.goto(f"{live_url}/my-cases/{cast.case_a.pk}/messages")
        carol.locator("#composer-body").click()
        carol.keyboard.type("/work")
        carol.wait_for_timeout(400)
        assert carol.locator(".saved-reply-menu").count() == 0
        assert carol.locator("[role=option]").count() == 0
    finally:
        bob_ctx.close()
        carol_ctx.close()
