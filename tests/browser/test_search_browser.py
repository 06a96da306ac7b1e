"""Search in a real Chromium: "/" and Ctrl+K focus the header box, a hit opens its message, outlined;
the client's portal search never shows the internal note. Under the CSP watch (no violations)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from casedesk.cases.actions import do_post_message
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD, Cast

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def test_keyboard_search_opens_the_message_and_client_never_sees_the_note(
    cast: Cast, live_url: str, browser: Any
) -> None:
    old = do_post_message(
        case=cast.case_a, body="The client approved the blue banner.", author_user=cast.alice
    )
    note = do_post_message(
        case=cast.case_a, body="The banner budget is nearly spent.", author_user=cast.bob, internal_only=True
    )
    for i in range(55):  # the hit is older than the thread's newest page
        do_post_message(case=cast.case_a, body=f"Later update {i}", author_user=cast.alice)
    SHOTS.mkdir(parents=True, exist_ok=True)
    team_ctx, client_ctx = browser.new_context(), browser.new_context()
    try:
        page = team_ctx.new_page()
        sign_in(page, live_url, cast.alice.email, PASSWORD)
        page.goto(f"{live_url}/cases/")
        page.keyboard.press("/")
        assert page.evaluate("document.activeElement.id") == "nav-search-q"
        page.keyboard.press("Escape")
        page.keyboard.press("Control+k")
        assert page.evaluate("document.activeElement.id") == "nav-search-q"
        page.keyboard.type("banner")
        page.keyboard.press("Enter")
        page.wait_for_selector(".search-hit")
        assert page.locator(".search-hit").count() == 2
        assert page.locator(".search-hit-internal mark").first.inner_text().lower() == "banner"
        page.screenshot(path=str(SHOTS / "search-team.png"), full_page=True)
        page.locator(f'.search-hit[data-id="{old.pk}"] a').click()
        page.wait_for_selector(f"#m{old.pk}")
        assert page.url.endswith(f"#m{old.pk}")
        assert page.evaluate(f"document.querySelector('#m{old.pk}').matches(':target')")
        page.screenshot(path=str(SHOTS / "search-opened-message.png"))

        client = client_ctx.new_page()
        sign_in(client, live_url, cast.carol_user.email, PASSWORD)
        client.goto(f"{live_url}/my-cases/")
        client.keyboard.press("/")
        client.keyboard.type("banner or budget")
        client.keyboard.press("Enter")
        client.wait_for_selector("#search-summary")
        assert client.locator(".search-hit").count() == 1
        assert "spent" not in client.content()
        assert client.locator(f'.search-hit[data-id="{note.pk}"]').count() == 0
        client.screenshot(path=str(SHOTS / "search-portal.png"), full_page=True)
    finally:
        team_ctx.close()
        client_ctx.close()
