"""Magic links in real browsers: the first browser to continue keeps the link; a second one is
offered a fresh link by email, which then opens the case there. The team revokes from the case."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail

from casedesk.accounts.actions import do_issue_magic_link
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD, Cast

pytestmark = pytest.mark.browser

SCREENSHOTS = os.environ.get("CASEDESK_SCREENSHOTS", "")


def _shot(page: Any, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}.png"), full_page=True)


def test_a_second_browser_gets_the_fresh_link_page_and_the_emailed_link_opens_the_case_there(
    cast: Cast, live_url: str, browser: Any, run_tasks: Callable[[], int]
) -> None:
    issued = do_issue_magic_link(contact=cast.erin, case=cast.case_a)
    url = f"{live_url}/accounts/magic/{issued.token}/"
    first = browser.new_context()
    page = first.new_page()
    page.goto(url)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"**/my-cases/{cast.case_a.pk}/**")
    cookie = next(c for c in first.cookies() if c["name"] == "casedesk_browser")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"

    second = browser.new_context()
    other = second.new_page()
    response = other.goto(url)
    assert response is not None and response.status == 403
    assert other.get_by_role("heading", name="This link was opened in another browser").is_visible()
    assert other.get_by_role("button", name="Continue").count() == 0
    _shot(other, "magic-other-browser")
    other.get_by_role("button", name="Email me a fresh link").click()
    other.wait_for_selector("text=Check your email")
    _shot(other, "magic-fresh-sent")
    run_tasks()
    assert [m.to for m in mail.outbox] == [[cast.erin.email]]
    found = re.search(r"(http://127\.0\.0\.1:\d+/accounts/magic/[\w-]+/)", str(mail.outbox[0].body))
    assert found, mail.outbox[0].body
    other.goto(found.group(1))
    other.get_by_role("button", name="Continue").click()
    other.wait_for_url(f"**/my-cases/{cast.case_a.pk}/**")
    assert "Spring campaign" in other.content()
    # The first browser still has its case.
    page.reload()
    assert "Spring campaign" in page.content()
    first.close()

    # The team sees both links on the case and revokes the second browser's.
    team = browser.new_context()
    staff = team.new_page()
    sign_in(staff, live_url, cast.alice.email, PASSWORD)
    staff.goto(f"{live_url}/cases/{cast.case_a.pk}/links/")
    rows = staff.locator("#magic-links tbody tr")
    assert rows.count() == 2
    _shot(staff, "case-client-links")
    # Newest first: the fresh link, which the second browser is using.
    staff.get_by_role("button", name=re.compile("Revoke the link of Erin Nologin")).first.click()
    staff.wait_for_selector("text=no longer works")
    assert staff.locator("#magic-links tbody tr").count() == 1
    team.close()
    gone = other.goto(f"{live_url}/my-cases/{cast.case_a.pk}/messages")
    assert gone is not None and gone.status == 404
    second.close()
