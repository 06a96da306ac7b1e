"""Files in the support chat, in a real Chromium (issue 16 §2): the visitor sends a file from the
widget, the agent downloads it and sends one back, the visitor downloads that, and both files are
in the escalated case's Documents tab."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from casedesk.jobs.testing import drain_tasks
from casedesk.support import bot
from casedesk.support.models import Conversation
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD, Cast
from tests.support_helpers import fake_triage

pytestmark = pytest.mark.browser

WIDGET = "#casedesk-support-widget"
RECEIPT = b"%PDF-1.4\n% the visitor's receipt\n"
FORM = b"%PDF-1.4\n% the agent's form\n"


def _file(tmp_path: Path, name: str, content: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(content)
    return str(path)


def test_a_file_both_ways_and_into_the_cases_documents(
    cast: Cast, live_url: str, browser: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, settings: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setattr(bot, "triage", fake_triage)
    cast.agency_a.support_widget_for_customers = True
    cast.agency_a.save()

    visitor = browser.new_context(accept_downloads=True)
    page = visitor.new_page()
    page.goto(f"{live_url}/s/acme/")
    page.click(f"{WIDGET} >> button.launcher")
    page.fill(f"{WIDGET} >> #cd-input", "I want to talk to a person please")
    page.press(f"{WIDGET} >> #cd-input", "Enter")
    page.locator(f"{WIDGET} >> li.msg.bot_notice").wait_for(timeout=10_000)
    drain_tasks()  # the escalation task opens the case

    # Attach: a named button; two files become chips with name and size; one is removed again.
    widget = page.locator(WIDGET)
    attach = widget.get_by_role("button", name="Attach a file")
    expect(attach).to_be_visible()
    page.set_input_files(
        f"{WIDGET} >> input[type=file]",
        [_file(tmp_path, "receipt.pdf", RECEIPT), _file(tmp_path, "wrong.txt", b"not this one")],
    )
    chips = widget.locator("ul.files[aria-label='Files to send'] li.chip")
    expect(chips).to_have_count(2)
    expect(chips.first).to_contain_text("receipt.pdf")
    expect(chips.first).to_contain_text(f"{len(RECEIPT)}\u00a0bytes")
    widget.get_by_role("button", name="Remove wrong.txt").click()
    expect(chips).to_have_count(1)
    page.fill(f"{WIDGET} >> #cd-input", "Here is my receipt")
    page.press(f"{WIDGET} >> #cd-input", "Enter")
    sent = widget.locator("li.msg.visitor", has_text="Here is my receipt")
    expect(sent.locator("a", has_text="receipt.pdf")).to_be_visible(timeout=10_000)
    expect(chips).to_have_count(0)

    # The agent sees it, downloads it, and sends a file back.
    team = browser.new_context(accept_downloads=True)
    agent = team.new_page()
    sign_in(agent, live_url, cast.bob.email, PASSWORD)
    conversation = Conversation.objects.get()
    agent.goto(f"{live_url}/support/conversations/{conversation.pk}/")
    with agent.expect_download() as got:
        agent.locator("#transcript a", has_text="receipt.pdf").click()
    assert Path(got.value.path()).read_bytes() == RECEIPT
    agent.set_input_files("#composer-files", _file(tmp_path, "form.pdf", FORM))
    expect(agent.locator("#composer-attachments li", has_text="form.pdf")).to_be_visible()
    agent.fill("#reply-body", "Please sign this form.")
    agent.click("button:has-text('Send reply')")
    expect(agent.locator("#transcript a", has_text="form.pdf")).to_be_visible(timeout=10_000)
    expect(agent.locator("#composer-attachments li")).to_have_count(0)

    # The visitor gets the agent's file, live, and downloads it.
    reply = widget.locator("li.msg.agent", has_text="Please sign this form.")
    expect(reply).to_be_visible(timeout=15_000)
    with page.expect_download() as got:
        reply.locator("a", has_text="form.pdf").click()
    assert Path(got.value.path()).read_bytes() == FORM

    # Both files are in the case's Documents tab.
    conversation.refresh_from_db()
    assert conversation.case_id is not None
    agent.goto(f"{live_url}/cases/{conversation.case_id}/documents/")
    expect(agent.locator("main")).to_contain_text("receipt.pdf")
    expect(agent.locator("main")).to_contain_text("form.pdf")
    team.close()
    visitor.close()


def test_a_file_over_the_limit_is_refused_in_the_widget_with_the_products_sentence(
    cast: Cast, live_url: str, browser: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, settings: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MAX_ATTACHMENT_BYTES = 1024  # the one limit, smaller, so the test sends 1 KB + 1 byte
    monkeypatch.setattr(bot, "triage", fake_triage)
    cast.agency_a.support_widget_for_customers = True
    cast.agency_a.save()
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{live_url}/s/acme/")
    page.click(f"{WIDGET} >> button.launcher")
    page.set_input_files(f"{WIDGET} >> input[type=file]", _file(tmp_path, "plan.pdf", b"x" * 1025))
    page.press(f"{WIDGET} >> #cd-input", "Enter")
    error = page.locator(f"{WIDGET} >> .err")
    expect(error).to_contain_text("“plan.pdf” is just over 1 KB; the limit is 1 KB per file.")
    # Nothing was sent, and the file is still there to remove.
    assert not Conversation.objects.exists()
    expect(page.locator(WIDGET).get_by_role("button", name="Remove plan.pdf")).to_be_visible()
    context.close()
