"""The dev mailbox in a real browser: a newcomer sees the whole email loop.

Bob posts → the notification is in /dev/mailbox → "Reply as this contact" sends real SMTP to
the built-in inbound server → the worker posts it → the reply is in the thread.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Any

import pytest

from casedesk.cases.actions import do_post_message
from casedesk.mail.models import InboundEmail, InboundStatus
from casedesk.mail.smtpd import start_embedded_smtpd
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD, Cast


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.browser
def test_reply_as_contact_from_dev_mailbox_lands_in_thread(
    cast: Cast, live_url: str, browser: Any, settings: Any, run_tasks: Callable[[], int]
) -> None:
    port = _free_port()
    settings.EMAIL_BACKEND = "casedesk.mail.devmailbox.DevMailboxBackend"
    settings.INBOUND_SMTP_HOST, settings.INBOUND_SMTP_PORT = "127.0.0.1", port
    settings.DEMO_MODE = True
    stop = start_embedded_smtpd("127.0.0.1", port)
    try:
        do_post_message(case=cast.case_a, body="Does Thursday work for the shoot?", author_user=cast.bob)
        run_tasks()
        page = browser.new_page(viewport={"width": 390, "height": 844})  # phone-sized
        sign_in(page, live_url, cast.bob.email, PASSWORD)
        page.goto(f"{live_url}/dev/mailbox")
        page.get_by_text("To erin@globex.test").first.click()
        page.wait_for_selector("text=Reply as this contact")
        page.fill("textarea[name=body]", "Thursday is perfect, see you there.")
        page.click("text=Send reply")
        page.wait_for_selector("text=Reply sent over SMTP")
        deadline = time.monotonic() + 10
        while not InboundEmail.objects.exists():
            assert time.monotonic() < deadline, "the inbound SMTP server stored nothing"
            time.sleep(0.05)
        run_tasks()
        row = InboundEmail.objects.get()
        assert row.status == InboundStatus.POSTED, row.reason
        page.goto(f"{live_url}/cases/{cast.case_a.pk}/messages/")
        page.wait_for_selector("text=Thursday is perfect, see you there.")
        assert page.locator("text=Does Thursday work for the shoot?").count() == 1  # the quote is gone
        page.close()
    finally:
        stop()
