"""The notifications page (issue 14, "the experience"): who did what, with their avatar, on which
case, a plain-text excerpt, a relative time, an unread mark; "Mark all read" clears the marks."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest
from playwright.sync_api import expect

from casedesk.cases.actions import do_post_message
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD, Cast

pytestmark = pytest.mark.browser

MARKDOWN_MARKS = re.compile(r"[*_`#\[\]]|@\*\*|\]\(")


def test_notifications_show_who_did_what_with_avatar_excerpt_time_and_unread_mark(
    cast: Cast, live_url: str, browser: Any
) -> None:
    mention = do_post_message(
        case=cast.case_a,
        body="@**Bob Member** the photos are in the folder *Autumn*, see **this** and [the brief](https://x.test).",
        author_user=cast.alice,
    )
    reply = do_post_message(
        case=cast.case_a, body="Thanks! The `logo` looks _great_.\n\n# Approved", author_contact=cast.carol
    )
    page = browser.new_context().new_page()
    sign_in(page, live_url, cast.bob.email, PASSWORD)
    page.goto(f"{live_url}/cases/notifications/")

    items = page.locator("li.notif")
    expect(items).to_have_count(2)
    newest, older = items.nth(0), items.nth(1)
    case = f"{cast.case_a.reference} “{cast.case_a.title}”"

    # The client's reply, newest first: Carol's avatar, one sentence, the excerpt without Markdown.
    expect(newest.locator(".avatar")).to_have_text("CC")
    expect(newest.locator(".avatar")).to_have_attribute("aria-hidden", "true")
    expect(newest.locator("button.notif-text")).to_have_text(f"Carol Client replied in {case}")
    expect(newest.locator(".notif-excerpt")).to_have_text("Thanks! The logo looks great. Approved")
    # The mention: Alice's avatar and the same avatar colour class as in the thread.
    expect(older.locator(".avatar")).to_have_text("AO")
    expect(older.locator("button.notif-text")).to_have_text(f"Alice Owner mentioned you in {case}")
    excerpt = older.locator(".notif-excerpt").inner_text()
    assert excerpt == "@Bob Member the photos are in the folder Autumn, see this and the brief."
    for text in (excerpt, newest.locator(".notif-excerpt").inner_text()):
        assert not MARKDOWN_MARKS.search(text), text

    # A machine-readable time, shown relative by the thread's formatter, exact on hover.
    for item in (newest, older):
        time = item.locator("time.notif-time")
        stamp = time.get_attribute("datetime")
        assert stamp is not None
        datetime.fromisoformat(stamp)
        expect(time.locator("span").first).to_have_text("just now")
        expect(time).to_have_attribute("title", re.compile(r"^\d{1,2} \w{3} \d{4}, \d{2}:\d{2}"))

    # Unread: a dot that says so to screen readers, in a left-aligned, regular-weight row.
    expect(page.locator("li.notif-unread")).to_have_count(2)
    expect(newest.locator(".notif-dot")).to_have_text("Unread")
    expect(page.get_by_text("Unread", exact=True)).to_have_count(2)
    style = newest.locator("button.notif-text").evaluate(
        "el => { const s = getComputedStyle(el); return [s.textAlign, s.fontWeight, s.textDecorationLine]; }"
    )
    assert style == ["left", "400", "none"]
    expect(page.locator("#bell-count")).to_have_text("2")

    # Mark all read (a POST form with its CSRF token): the marks and the button go, the rows stay.
    mark_all = page.get_by_role("button", name="Mark all read")
    assert mark_all.evaluate("el => el.form.method") == "post"
    assert mark_all.evaluate("el => el.form.querySelector('[name=csrfmiddlewaretoken]').value") != ""
    mark_all.click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("li.notif")).to_have_count(2)
    expect(page.locator("li.notif-unread")).to_have_count(0)
    expect(page.locator(".notif-dot")).to_have_count(0)
    expect(page.get_by_text("Unread", exact=True)).to_have_count(0)
    expect(page.get_by_role("button", name="Mark all read")).to_have_count(0)
    expect(page.locator("#bell-count")).to_have_text("0")

    # Opening one goes to the message and highlights it.
    page.locator("button.notif-text").nth(1).click()
    page.wait_for_url(re.compile(rf"#m{mention.pk}$"))
    expect(page.locator(f"#m{mention.pk}")).to_have_class(re.compile(r"\bmsg-highlight\b"))
    assert reply.pk != mention.pk
