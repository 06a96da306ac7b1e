"""Settings → Help centre in a real Chromium, under the CSP watch: the groups show, and a group's
questions go into an article with the keyboard alone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from casedesk.support import actions
from casedesk.support.models import HelpArticle
from tests.browser.axe import AxeReport, audit_everywhere
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD, Cast
from tests.support_helpers import triage_stub  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("triage_stub")]
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def test_owner_adds_a_group_to_an_article_by_keyboard(cast: Cast, live_url: str, browser: Any) -> None:
    HelpArticle.objects.create(agency=cast.agency_a, title="Refunds", slug="refunds", body="Within 30 days.")
    HelpArticle.objects.create(agency=cast.agency_a, title="Shipping", slug="shipping", body="Worldwide.")
    for text in (
        "How do I get a refund for my order?",
        "Can I get a refund on my order",
        "Do you ship to Canada?",
        "Is shipping to Canada possible",
        "Can I pay with PayPal?",
    ):
        conversation = actions.do_start_conversation(agency=cast.agency_a)
        actions.do_post_visitor_message(conversation=conversation, body=text)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_context().new_page()
    sign_in(page, live_url, cast.alice.email, PASSWORD)
    page.goto(f"{live_url}/settings/help-centre/")
    assert page.locator(".insight-group").count() == 3
    assert page.locator('.settings-tabs a[aria-current="page"]').inner_text() == "Help centre"
    page.screenshot(path=str(SHOTS / "help-centre-insights.png"), full_page=True)
    # axe on the groups, their lists (one opens on "Choose an article…"), in both themes and widths.
    paypal = page.locator(".insight-group").filter(has=page.locator(".insight-questions", has_text="PayPal"))
    assert paypal.locator("select").evaluate("s => s.options[s.selectedIndex].text") == "Choose an article…"
    report = AxeReport()
    audit_everywhere(page, "settings: help centre with groups", report)
    report.assert_clean()
    # The group by its questions (its "Add to" list names every article, "Refunds" included).
    refunds_group = page.locator(".insight-group").filter(
        has=page.locator(".insight-questions", has_text="refund")
    )
    assert refunds_group.count() == 1
    # The list opens on the article the group is about.
    select = refunds_group.locator("select")
    assert select.evaluate("s => s.options[s.selectedIndex].text") == "Refunds"
    select.focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Add as example questions"
    page.keyboard.press("Enter")
    page.wait_for_selector(".flash-success")
    assert "Added 2 example questions to “Refunds”" in page.locator(".flash-success").inner_text()
    assert len(HelpArticle.objects.get(slug="refunds").example_question_list) == 2
