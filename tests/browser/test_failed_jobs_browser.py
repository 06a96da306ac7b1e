"""Admin → Failed Jobs in Chromium, on a phone-sized screen: see, discard with a reason, replay."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from casedesk.chaos.models import ChaosConversation
from casedesk.chaos.standin import escalate_chaos_conversation
from casedesk.jobs.models import FailedJob, FailedJobStatus
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD, Cast

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def failed_job(cast: Cast, label: str) -> FailedJob:
    conversation = ChaosConversation.objects.create(agency=cast.agency_a, key=label, state="escalating")
    return FailedJob.objects.create(
        kind="chaos.escalate_conversation",
        tenant=cast.agency_a,
        label=label,
        task_path=escalate_chaos_conversation.module_path,
        args_kwargs={"args": [conversation.pk], "kwargs": {}},
        error_class="smtplib.SMTPServerDisconnected",
        error_message="Connection unexpectedly closed",
        attempts=8,
    )


def test_owner_discards_and_replays_failed_jobs_on_a_phone(cast: Cast, live_url: str, browser: Any) -> None:
    to_discard = failed_job(cast, "Chat about invoices")
    to_replay = failed_job(cast, "Chat about the logo")
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    sign_in(page, live_url, cast.alice.email, PASSWORD)
    page.goto(f"{live_url}/admin/jobs/failed/")
    assert page.get_by_text("Chat about invoices").is_visible()
    assert page.get_by_text("SMTPServerDisconnected: Connection unexpectedly closed").first.is_visible()
    # Nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    page.get_by_role("link", name="Chat about invoices").click()
    page.get_by_label("Discard with a reason").fill("Answered by phone.")
    page.get_by_role("button", name="Discard").click()
    # expect() waits for the page that the form's POST redirects to (is_visible() does not).
    expect(page.get_by_text("Discarded “Chat about invoices”.")).to_be_visible()
    expect(page.get_by_text("“Answered by phone.”")).to_be_visible()

    page.goto(f"{live_url}/admin/jobs/failed/")
    page.get_by_role("button", name="Replay", exact=True).click()
    expect(page.get_by_text("Replaying “Chat about the logo”")).to_be_visible()
    context.close()
    assert FailedJob.objects.get(pk=to_discard.pk).status == FailedJobStatus.DISCARDED
    assert FailedJob.objects.get(pk=to_replay.pk).status == FailedJobStatus.REPLAYED
