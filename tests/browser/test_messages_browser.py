"""Case Messages in a real Chromium: live thread for the client, internal notes hidden, bell count."""

from __future__ import annotations

import time
from typing import Any

import pytest

from casedesk.cases.models import Message
from tests.browser.conftest import sign_in
from tests.browser.waits import wait_for_js
from tests.conftest import PASSWORD, Cast

pytestmark = pytest.mark.browser


def _wait_live(page: Any) -> None:
    wait_for_js(page, "document.documentElement.dataset.live === 'on'", timeout=10_000)


def test_team_posts_client_sees_it_live_never_the_note_and_bell_counts_the_mention(
    cast: Cast, live_url: str, browser: Any
) -> None:
    case = cast.case_a
    client_ctx, bob_ctx, alice_ctx = browser.new_context(), browser.new_context(), browser.new_context()
    try:
        carol = client_ctx.new_page()
        sign_in(carol, live_url, cast.carol_user.email, PASSWORD)
        carol.goto(f"{live_url}/my-cases/{case.pk}/messages")
        _wait_live(carol)

        bob = bob_ctx.new_page()
        sign_in(bob, live_url, cast.bob.email, PASSWORD)
        bob.goto(f"{live_url}/cases/notifications/")
        _wait_live(bob)
        assert bob.inner_text("#bell-count") == "0"

        alice = alice_ctx.new_page()
        sign_in(alice, live_url, cast.alice.email, PASSWORD)
        alice.goto(f"{live_url}/cases/{case.pk}/messages/")
        _wait_live(alice)

        # A message with an attachment and a mention picked from the @ list.
        alice.click("#composer-body")
        alice.keyboard.type("Here is the brief for review, @Bo")
        alice.wait_for_selector(".mention-option")
        alice.keyboard.press("Enter")
        assert "@**Bob Member** " in alice.input_value("#composer-body")
        alice.set_input_files(
            "#composer-files",
            files=[{"name": "brief.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n% brief\n"}],
        )
        started = time.monotonic()
        alice.click("#composer-send")

        # The client sees it appear without a reload, with its attachment.
        # Without a reload; 15 s leaves room for a loaded 2-core CI machine (typically ~0.4 s).
        carol.wait_for_selector("article.msg:has-text('Here is the brief')", timeout=15_000)
        print(f"live delivery to the client's page: {(time.monotonic() - started) * 1000:.0f} ms after Send")
        alice.wait_for_selector("article.msg:has-text('Here is the brief')")
        assert carol.locator("article.msg a.msg-file-name", has_text="brief.pdf").count() == 1

        # The mentioned teammate's bell goes up, live.
        wait_for_js(bob, "document.getElementById('bell-count').textContent.trim() === '1'", timeout=5_000)

        # An internal note: yellow and labelled for the team, never shown to the client.
        alice.check("#composer-internal")
        assert "is-internal" in (alice.get_attribute("#composer", "class") or "")
        alice.fill("#composer-body", "Internal: margin is thin on this one")
        alice.click("#composer-send")
        note = alice.wait_for_selector("article.msg-internal:has-text('margin is thin')")
        assert note is not None and "Internal" in note.inner_text()
        assert Message.objects.filter(internal_only=True).count() == 1

        # Then a public reply: once the client has it, they have had every event after the note.
        alice.uncheck("#composer-internal")
        alice.fill("#composer-body", "Public follow-up")
        alice.click("#composer-send")
        carol.wait_for_selector("article.msg:has-text('Public follow-up')", timeout=5_000)
        assert "margin is thin" not in carol.content()
        carol.reload()
        carol.wait_for_selector("article.msg:has-text('Public follow-up')")
        assert "margin is thin" not in carol.content()
    finally:
        for ctx in (client_ctx, bob_ctx, alice_ctx):
            ctx.close()


def test_draft_survives_reload_and_a_refused_send_keeps_the_text(
    cast: Cast, live_url: str, browser: Any
) -> None:
    ctx = browser.new_context(viewport={"width": 390, "height": 844})  # a phone
    try:
        page = ctx.new_page()
        sign_in(page, live_url, cast.bob.email, PASSWORD)
        page.goto(f"{live_url}/cases/{cast.case_a.pk}/messages/")
        page.fill("#composer-body", "Half-written reply")
        page.reload()
        assert page.input_value("#composer-body") == "Half-written reply"

        # An empty send is refused by the server with a sentence; nothing typed is lost.
        page.fill("#composer-body", "")
        page.click("#composer-send")
        page.wait_for_selector("#composer-error:not([hidden])")
        assert page.inner_text("#composer-error") == "Write a message or attach a file before sending."

        page.fill("#composer-body", "Still here")
        page.evaluate("document.querySelector('#composer').dataset.maxBytes = '10'")
        page.set_input_files(
            "#composer-files",
            files=[{"name": "big.bin", "mimeType": "application/octet-stream", "buffer": b"x" * 11}],
        )
        page.click("#composer-send")
        page.wait_for_selector("#composer-error:not([hidden])")
        assert "“big.bin” is 11 bytes; the limit is 10 bytes per file." in page.inner_text("#composer-error")
        assert page.input_value("#composer-body") == "Still here"
        assert not Message.objects.exists()
        # The page fits a phone: nothing wider than the viewport.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        ctx.close()


def test_after_a_dropped_connection_the_page_reconnects_and_fetches_what_it_missed(
    cast: Cast, live_url: str, browser: Any
) -> None:
    client_ctx, team_ctx = browser.new_context(), browser.new_context()
    try:
        carol = client_ctx.new_page()
        sign_in(carol, live_url, cast.carol_user.email, PASSWORD)
        carol.goto(f"{live_url}/my-cases/{cast.case_a.pk}/messages")
        _wait_live(carol)
        bob = team_ctx.new_page()
        sign_in(bob, live_url, cast.bob.email, PASSWORD)
        bob.goto(f"{live_url}/cases/{cast.case_a.pk}/messages/")

        carol.evaluate("window.casedeskLive._drop(2500)")
        wait_for_js(carol, "document.documentElement.dataset.live === 'off'")
        bob.fill("#composer-body", "Sent while you were offline")
        bob.click("#composer-send")
        bob.wait_for_selector("article.msg:has-text('Sent while you were offline')")
        assert "Sent while you were offline" not in carol.content()
        assert carol.is_visible("#thread-status")  # "Reconnecting…"

        # Back online: the page reconnects by itself and fetches everything after its last message.
        carol.wait_for_selector("article.msg:has-text('Sent while you were offline')", timeout=10_000)
        _wait_live(carol)
        assert carol.locator("article.msg").count() == 1
    finally:
        client_ctx.close()
        team_ctx.close()
