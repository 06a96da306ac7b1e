from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD, Cast

pytestmark = pytest.mark.browser


def test_owner_signs_in_and_reaches_the_case_list(cast: Cast, live_url: str, browser: Any) -> None:
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, live_url, cast.alice.email, PASSWORD)
    assert page.url.rstrip("/").endswith("/cases")
    assert "casedesk" in page.content()
    context.close()
