from __future__ import annotations

from typing import Any

import pytest

from casedesk.accounts.actions import do_issue_magic_link
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD, Cast

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def test_owner_signs_in_and_reaches_the_case_list(cast: Cast, live_url: str, browser: Any) -> None:
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, live_url, cast.alice.email, PASSWORD)
    assert page.url.rstrip("/").endswith("/cases")
    assert "casedesk" in page.content()
    # The stylesheet is served (WhiteNoise) and applied: the sidebar is dark.
    background = page.evaluate("getComputedStyle(document.querySelector('.sidebar')).backgroundColor")
    assert background == "rgb(17, 24, 39)"
    assert page.locator("#case-list").get_by_text("Spring campaign").is_visible()
    assert page.locator("#case-list").get_by_text("Umbrella launch").count() == 0
    context.close()


def test_portal_client_sees_only_their_cases(cast: Cast, live_url: str, browser: Any) -> None:
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, live_url, cast.frank_user.email, PASSWORD)
    assert page.url.rstrip("/").endswith("/my-cases")
    rows = page.locator("#portal-case-list tbody tr")
    assert rows.count() == 1
    assert "Initech rebrand" in rows.first.inner_text()
    context.close()


def test_magic_link_opens_exactly_one_case_after_continue(cast: Cast, live_url: str, browser: Any) -> None:
    issued = do_issue_magic_link(contact=cast.erin, case=cast.case_a)
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{live_url}/accounts/magic/{issued.token}/")
    assert page.get_by_role("button", name="Continue").is_visible()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state("networkidle")
    assert issued.token not in page.url
    assert f"/my-cases/{cast.case_a.pk}/" in page.url
    assert "Spring campaign" in page.content()
    page.goto(f"{live_url}/my-cases/")
    assert page.locator("#portal-case-list tbody tr").count() == 1
    response = page.goto(f"{live_url}/my-cases/{cast.case_a2.pk}/")
    assert response is not None and response.status == 404
    context.close()


def test_sidebar_collapses_behind_a_menu_button_on_a_phone(cast: Cast, live_url: str, browser: Any) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    sign_in(page, live_url, cast.alice.email, PASSWORD)
    cases_link = page.locator("#main-nav a[data-nav=cases]")
    assert not cases_link.is_visible()
    page.locator(".nav-burger").click()
    assert cases_link.is_visible()
    # Nothing on the case list is wider than the screen.
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    context.close()
