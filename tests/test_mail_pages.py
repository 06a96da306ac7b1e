"""Quarantine decisions, email preferences, originals, the dev mailbox, webhooks and import-eml."""

from __future__ import annotations

import base64
import json
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client as HttpClient

from casedesk.cases.actions import do_post_message
from casedesk.cases.models import Message, MessageSource
from casedesk.mail.models import CapturedEmail, InboundEmail, InboundStatus, MatchedRule
from casedesk.mail.smtpd import start_embedded_smtpd
from tests.conftest import Cast
from tests.fixtures.eml.helpers import deliver, load_eml, posted, token_for


def _quarantined(cast: Cast, run_tasks: Callable[[], int]) -> InboundEmail:
    row = deliver(load_eml("from_mismatch.eml", carol_token=token_for(cast.carol, cast.case_a)), run_tasks)
    assert row.status == InboundStatus.QUARANTINED
    return row


@pytest.mark.django_db
def test_team_accepts_quarantined_mail_as_a_contact(cast: Cast, run_tasks: Callable[[], int]) -> None:
    row = _quarantined(cast, run_tasks)
    http = cast.login(cast.bob)
    page = http.get("/quarantine/")
    assert b"mallory@evil.test" in page.content
    response = http.post(
        f"/quarantine/{row.pk}/", {"decision": "accept", "case": cast.case_a.pk, "contact": cast.carol.pk}
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.status == InboundStatus.POSTED and row.resolved_by == cast.bob
    assert posted(row).author_contact == cast.carol


@pytest.mark.django_db
def test_accepting_as_a_contact_not_on_the_case_is_refused_with_a_sentence(
    cast: Cast, run_tasks: Callable[[], int]
) -> None:
    row = _quarantined(cast, run_tasks)
    response = cast.login(cast.bob).post(
        f"/quarantine/{row.pk}/", {"decision": "accept", "case": cast.case_a.pk, "contact": cast.frank.pk}
    )
    assert response.status_code == 200
    assert "is not on case-1" in response.content.decode()
    row.refresh_from_db()
    assert row.status == InboundStatus.QUARANTINED


@pytest.mark.django_db
def test_team_attaches_quarantined_mail_to_another_case(cast: Cast, run_tasks: Callable[[], int]) -> None:
    row = _quarantined(cast, run_tasks)
    cast.login(cast.alice).post(
        f"/quarantine/{row.pk}/", {"decision": "accept", "case": cast.case_a2.pk, "contact": cast.frank.pk}
    )
    row.refresh_from_db()
    assert row.status == InboundStatus.POSTED and row.matched_rule == MatchedRule.MANUAL
    assert posted(row).case_id == cast.case_a2.pk


@pytest.mark.django_db
def test_rejected_mail_is_kept_and_not_posted(cast: Cast, run_tasks: Callable[[], int]) -> None:
    row = _quarantined(cast, run_tasks)
    cast.login(cast.bob).post(f"/quarantine/{row.pk}/", {"decision": "reject"})
    row.refresh_from_db()
    assert row.status == InboundStatus.REJECTED and bytes(row.raw)
    assert not Message.objects.filter(source=MessageSource.EMAIL).exists()


@pytest.mark.django_db
def test_other_agency_cannot_see_the_quarantine(cast: Cast, run_tasks: Callable[[], int]) -> None:
    row = _quarantined(cast, run_tasks)
    http = cast.login(cast.dave)
    assert b"mallory" not in http.get("/quarantine/").content
    assert http.get(f"/quarantine/{row.pk}/").status_code == 404


@pytest.mark.django_db
def test_team_can_show_the_full_email_of_a_reply(cast: Cast, run_tasks: Callable[[], int]) -> None:
    row = deliver(load_eml("gmail_reply.eml", carol_token=token_for(cast.carol, cast.case_a)), run_tasks)
    message = posted(row)
    url = f"/email/messages/{message.pk}/original/"
    team = cast.login(cast.bob).get(url, headers={"HX-Request": "true"})
    assert team.status_code == 200 and b"Can we move the shoot" in team.content
    assert cast.login(cast.carol_user).get(url).status_code == 404
    from django.template.loader import render_to_string

    toggle = render_to_string("mail/partials/full_email_toggle.html", {"message": message})
    assert "Show full email" in toggle and url in toggle


@pytest.mark.django_db
def test_dev_mailbox_captures_mail_in_the_database(
    cast: Cast, run_tasks: Callable[[], int], settings: Any
) -> None:
    settings.EMAIL_BACKEND = "casedesk.mail.devmailbox.DevMailboxBackend"
    do_post_message(case=cast.case_a, body="Captured for the demo", author_user=cast.bob)
    run_tasks()
    captured = CapturedEmail.objects.get(to_addresses=["carol@globex.test"])
    assert captured.reply_to.startswith("reply+") and "Captured for the demo" in captured.text
    http = cast.login(cast.bob)
    assert b"[case-1] Spring campaign" in http.get("/dev/mailbox").content
    detail = http.get(f"/dev/mailbox/{captured.pk}/")
    assert b"Reply as this contact" in detail.content
    html = http.get(f"/dev/mailbox/{captured.pk}/html")
    assert "sandbox" in html["Content-Security-Policy"]


@pytest.mark.django_db
def test_dev_mailbox_is_404_outside_demo_and_debug(cast: Cast, settings: Any) -> None:
    settings.DEMO_MODE, settings.DEBUG = False, False
    assert cast.login(cast.alice).get("/dev/mailbox").status_code == 404


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def inbound_port(settings: Any) -> Iterator[int]:
    port = _free_port()
    settings.INBOUND_SMTP_HOST, settings.INBOUND_SMTP_PORT = "127.0.0.1", port
    stop = start_embedded_smtpd("127.0.0.1", port)
    try:
        yield port
    finally:
        stop()


@pytest.mark.django_db(transaction=True)
def test_dev_mailbox_reply_as_contact_goes_over_smtp_into_the_thread(
    cast: Cast, run_tasks: Callable[[], int], settings: Any, inbound_port: int
) -> None:
    settings.EMAIL_BACKEND = "casedesk.mail.devmailbox.DevMailboxBackend"
    do_post_message(case=cast.case_a, body="Which day suits you?", author_user=cast.bob)
    run_tasks()
    captured = CapturedEmail.objects.get(to_addresses=["erin@globex.test"])
    response = cast.login(cast.bob).post(f"/dev/mailbox/{captured.pk}/reply", {"body": "Wednesday suits me."})
    assert response.status_code == 302
    deadline = time.monotonic() + 10
    while not InboundEmail.objects.exists():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    run_tasks()
    row = InboundEmail.objects.get()
    message = posted(row)
    assert message.body == "Wednesday suits me." and message.author_contact == cast.erin


@pytest.mark.django_db
def test_provider_webhook_needs_its_secret_and_stores_raw_mail(
    cast: Cast, run_tasks: Callable[[], int]
) -> None:
    raw = load_eml("gmail_reply.eml", carol_token=token_for(cast.carol, cast.case_a)).decode()
    payload = json.dumps({"RawEmail": raw, "Headers": [], "From": "carol@globex.test"})
    url = "/webhooks/inbound/postmark/"
    anonymous = HttpClient().post(url, payload, content_type="application/json")
    assert anonymous.status_code in (400, 401, 403)
    assert not InboundEmail.objects.exists()
    secret = base64.b64encode(b"casedesk-dev:webhook-secret").decode()
    ok = HttpClient().post(
        url, payload, content_type="application/json", headers={"Authorization": f"Basic {secret}"}
    )
    assert ok.status_code == 200
    run_tasks()
    row = InboundEmail.objects.get()
    assert row.provider == "Postmark" and row.status == InboundStatus.POSTED, row.reason


@pytest.mark.django_db
def test_import_eml_command_posts_a_saved_reply(
    cast: Cast, run_tasks: Callable[[], int], tmp_path: Path
) -> None:
    path = tmp_path / "reply.eml"
    path.write_bytes(load_eml("apple_mail_reply.eml", carol_token=token_for(cast.carol, cast.case_a)))
    call_command("import_eml", str(path))
    run_tasks()
    assert InboundEmail.objects.get().status == InboundStatus.POSTED


@pytest.mark.django_db
def test_processing_failure_is_retryable_and_replay_posts_once(
    cast: Cast, run_tasks: Callable[[], int], monkeypatch: pytest.MonkeyPatch
) -> None:
    from casedesk.mail import inbound

    raw = load_eml("gmail_reply.eml", carol_token=token_for(cast.carol, cast.case_a))
    row = inbound.receive_email(raw, source="import")
    calls = {"n": 0}
    real = inbound._process

    def flaky(r: InboundEmail) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("database hiccup")
        real(r)

    monkeypatch.setattr(inbound, "_process", flaky)
    with pytest.raises(RuntimeError):
        inbound.process_inbound_email.call(row.pk)
    row.refresh_from_db()
    assert row.status == InboundStatus.RECEIVED  # nothing half-done: the job can be replayed
    inbound.process_inbound_email.call(row.pk)
    inbound.process_inbound_email.call(row.pk)  # a second replay does nothing
    assert Message.objects.filter(source=MessageSource.EMAIL).count() == 1
