"""Presence in a real Chromium: typing indicators both ways, an internal note's typing never
shown to the client, and seen receipts on both sides."""

from __future__ import annotations

from typing import Any

import pytest

from casedesk.cases.actions import do_post_message
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD, Cast

pytestmark = pytest.mark.browser


def _wait_live(page: Any) -> None:
    # A selector, not wait_for_function: a string predicate is eval'd in the page, which the
    # page's CSP (no 'unsafe-eval') refuses whenever the first check is false.
    page.wait_for_selector("html[data-live='on']", state="attached", timeout=10_000)


def test_typing_shows_on_the_other_side_and_an_internal_note_never_reaches_the_client(
    cast: Cast, live_url: str, browser: Any
) -> None:
    case = cast.case_a
    contexts = [browser.new_context() for _ in range(3)]
    try:
        carol, bob, alice = (ctx.new_page() for ctx in contexts)
        sign_in(carol, live_url, cast.carol_user.email, PASSWORD)
        carol.goto(f"{live_url}/my-cases/{case.pk}/messages")
        sign_in(bob, live_url, cast.bob.email, PASSWORD)
        bob.goto(f"{live_url}/cases/{case.pk}/messages/")
        sign_in(alice, live_url, cast.alice.email, PASSWORD)
        alice.goto(f"{live_url}/cases/{case.pk}/messages/")
        for page in (carol, bob, alice):
            _wait_live(page)

        # Bob writes a reply: the client sees it, and so does his teammate.
        bob.click("#composer-body")
        bob.keyboard.type("On it")
        carol.wait_for_selector("#thread-typing:not([hidden])", timeout=5_000)
        assert carol.inner_text("#thread-typing") == "Bob Member is typing…"
        alice.wait_for_selector("#thread-typing:not([hidden])", timeout=5_000)
        assert bob.is_hidden("#thread-typing")  # never one's own

        # It expires by itself (about 6 s after the last signal).
        carol.wait_for_selector("#thread-typing", state="hidden", timeout=10_000)
        alice.wait_for_selector("#thread-typing", state="hidden", timeout=10_000)

        # The same composer in internal mode: the teammate sees an internal note being written,
        # the client sees nothing at all.
        bob.check("#composer-internal")
        bob.fill("#composer-body", "")
        bob.keyboard.type("Margin is thin")
        alice.wait_for_selector("#thread-typing:not([hidden])", timeout=5_000)
        assert alice.inner_text("#thread-typing") == "Bob Member is writing an internal note…"
        carol.wait_for_timeout(1_500)
        assert carol.is_hidden("#thread-typing")
        assert "Margin" not in carol.content() and "internal" not in carol.inner_text("#thread-typing")

        # The client types: the team sees it.
        carol.click("#composer-body")
        carol.keyboard.type("Thanks")
        bob.wait_for_selector("#thread-typing:not([hidden])", timeout=5_000)
        assert bob.inner_text("#thread-typing") == "Carol Client is typing…"
    finally:
        for ctx in contexts:
            ctx.close()


def test_seen_receipts_on_both_sides(cast: Cast, live_url: str, browser: Any) -> None:
    case = cast.case_a
    question = do_post_message(
        case=case, body="When is the launch?", author_user=cast.carol_user, author_contact=cast.carol
    )
    do_post_message(case=case, body="Only for us: ask Dave", author_user=cast.alice, internal_only=True)
    answer = do_post_message(case=case, body="Next Tuesday.", author_user=cast.bob)
    contexts = [browser.new_context() for _ in range(2)]
    try:
        carol, bob = (ctx.new_page() for ctx in contexts)
        sign_in(carol, live_url, cast.carol_user.email, PASSWORD)
        carol.goto(f"{live_url}/my-cases/{case.pk}/messages")
        _wait_live(carol)
        assert carol.locator(".msg-seen").count() == 0  # nobody from the team has looked yet

        # Bob opens the thread: Carol's question gets "Seen by the team", live.
        sign_in(bob, live_url, cast.bob.email, PASSWORD)
        bob.goto(f"{live_url}/cases/{case.pk}/messages/")
        carol.wait_for_selector(f"#m{question.pk} .msg-seen", timeout=10_000)
        assert carol.inner_text(f"#m{question.pk} .msg-seen") == "Seen by the team"
        assert carol.locator(".msg-seen").count() == 1

        # Bob's page shows that Carol saw his reply; the internal note has no seen line.
        bob.wait_for_selector(f"#m{answer.pk} .msg-seen", timeout=10_000)
        assert bob.inner_text(f"#m{answer.pk} .msg-seen").startswith("Seen by Carol Client (")
        assert bob.locator("article.msg-internal .msg-seen").count() == 0
    finally:
        for ctx in contexts:
            ctx.close()


def test_support_chat_typing_both_ways(
    cast: Cast, live_url: str, browser: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from casedesk.jobs.testing import drain_tasks
    from tests.browser.test_support_browser import _engine_or_stub

    _engine_or_stub(monkeypatch)
    cast.agency_a.support_widget_for_customers = True
    cast.agency_a.save()
    visitor, team = browser.new_context(), browser.new_context()
    try:
        page = visitor.new_page()
        page.goto(f"{live_url}/s/acme/")
        page.click("#casedesk-support-widget >> button.launcher")
        page.fill("#casedesk-support-widget >> #cd-input", "I want to talk to a person please")
        page.press("#casedesk-support-widget >> #cd-input", "Enter")
        page.locator("#casedesk-support-widget >> li.msg.bot_notice").wait_for(timeout=10_000)
        drain_tasks()

        agent = team.new_page()
        sign_in(agent, live_url, cast.bob.email, PASSWORD)
        agent.goto(f"{live_url}/support/")
        agent.click("text=I want to talk to a person please")
        agent.wait_for_selector("#support-chat[data-presence='on']", timeout=10_000)
        agent.click("#reply-body")
        agent.keyboard.type("Looking")
        typing = page.locator("#casedesk-support-widget >> p.typing")
        typing.wait_for(state="visible", timeout=5_000)
        assert typing.inner_text() == "Bob is typing…"

        page.click("#casedesk-support-widget >> #cd-input")
        page.keyboard.type("Thanks")
        agent.wait_for_selector("#support-typing:not([hidden])", timeout=5_000)
        assert agent.inner_text("#support-typing").endswith(" is typing…")
    finally:
        team.close()
        visitor.close()
