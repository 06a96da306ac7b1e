"""Client notification digests: one email per (contact, case) window, re-read at send time.

The cast sends at once (window 0); these tests open a 2-minute window on agency A. Digest
tasks are delayed to the end of their window, so ``run_tasks()`` alone leaves them queued and
``_run_due()`` runs them (as a worker would when the window ends).
"""

from __future__ import annotations

from collections.abc import Callable
from email import message_from_bytes, policy
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from casedesk.accounts.models import Agency
from casedesk.cases.actions import do_delete_message, do_edit_message, do_post_message
from casedesk.cases.models import CaseContact, Message
from casedesk.jobs.testing import drain_tasks
from casedesk.mail.inbound import receive_email
from casedesk.mail.models import (
    DigestWindow,
    EmailKind,
    InboundSource,
    OutboundEmail,
    PendingNotification,
    PendingOutcome,
)
from casedesk.mail.outbound import send_client_digest
from casedesk.mail.preferences import preferences_token
from tests.conftest import Cast

pytestmark = pytest.mark.django_db

CLIENTS = {"carol@globex.test", "erin@globex.test"}


@pytest.fixture(autouse=True)
def _two_minute_window(cast: Cast) -> None:
    Agency.objects.filter(pk=cast.agency_a.pk).update(email_digest_minutes=2)


def _run_due() -> int:
    return drain_tasks(include_delayed=True)


def _client_mail() -> list[Any]:
    return [m for m in mail.outbox if m.to[0] in CLIENTS | {"frank@initech.test"}]


def _to(address: str) -> list[Any]:
    return [m for m in mail.outbox if m.to == [address]]


def _post(cast: Cast, body: str, **kwargs: Any) -> Message:
    kwargs.setdefault("author_user", cast.bob)
    return do_post_message(case=cast.case_a, body=body, **kwargs)


def test_three_messages_in_the_window_go_in_one_email_per_contact_oldest_first(
    cast: Cast, run_tasks: Callable[[], int]
) -> None:
    for body in ("First: the brief.", "Second: the budget.", "Third: the timeline."):
        _post(cast, body)
    run_tasks()
    assert _client_mail() == []  # the window is still open
    _run_due()
    sent = _client_mail()
    assert sorted(m.to[0] for m in sent) == sorted(CLIENTS)
    for email in sent:
        assert email.subject == "[case-1] 3 new messages: Spring campaign"
        text = email.body
        assert text.index("First: the brief.") < text.index("Second: the budget.") < text.index("Third")
        assert text.count("Bob Member") == 3
        html = email.alternatives[0][0]
        assert html.index("First: the brief.") < html.index("Third: the timeline.")
    assert OutboundEmail.objects.filter(kind=EmailKind.CLIENT_DIGEST).count() == 2
    assert set(PendingNotification.objects.values_list("outcome", flat=True)) == {PendingOutcome.SENT}


def test_a_digest_lists_each_message_with_its_time_and_files(
    cast: Cast, run_tasks: Callable[[], int]
) -> None:
    from django.core.files.base import ContentFile

    _post(cast, "Here is the plan.")
    _post(cast, "And the file.", files=[ContentFile(b"%PDF-1.4 plan", name="plan.pdf")])
    run_tasks()
    _run_due()
    (email,) = _to("carol@globex.test")
    assert "plan.pdf: http" in email.body
    assert " UTC ---" in email.body  # each entry's time


def test_window_zero_sends_each_message_at_once(cast: Cast, run_tasks: Callable[[], int]) -> None:
    Agency.objects.filter(pk=cast.agency_a.pk).update(email_digest_minutes=0)
    _post(cast, "One.")
    _post(cast, "Two.")
    run_tasks()  # no delayed task needed
    assert sorted(m.subject for m in _to("carol@globex.test")) == ["[case-1] Spring campaign"] * 2
    assert not DigestWindow.objects.exists()


def test_a_single_message_in_its_window_keeps_todays_subject(
    cast: Cast, run_tasks: Callable[[], int]
) -> None:
    _post(cast, "Only one.")
    run_tasks()
    _run_due()
    (email,) = _to("erin@globex.test")
    assert email.subject == "[case-1] Spring campaign"
    assert "Only one." in email.body


def test_the_digest_task_waits_for_the_end_of_the_window(cast: Cast, run_tasks: Callable[[], int]) -> None:
    _post(cast, "Hello.")
    run_tasks()
    window = DigestWindow.objects.get(contact=cast.carol)
    task = DBTaskResult.objects.get(task_path__endswith="send_client_digest", args_kwargs__args=[window.pk])
    assert task.run_after == window.due_at
    assert (window.due_at - window.opened_at).total_seconds() == 120


def test_a_message_posted_after_the_window_closed_opens_the_next_one(
    cast: Cast, run_tasks: Callable[[], int]
) -> None:
    _post(cast, "Before.")
    run_tasks()
    _run_due()
    _post(cast, "After.")
    run_tasks()
    _run_due()
    bodies = [m.body for m in _to("carol@globex.test")]
    assert len(bodies) == 2 and "Before." in bodies[0] and "After." in bodies[1]


def test_a_message_edited_before_the_email_goes_out_is_sent_as_edited(
    cast: Cast, run_tasks: Callable[[], int]
) -> None:
    message = _post(cast, "The budget is 10k.")
    _post(cast, "Timeline next week.")
    run_tasks()
    do_edit_message(message=message, editor=cast.bob, body="The budget is 12k.")
    run_tasks()
    _run_due()
    (email,) = _to("carol@globex.test")
    assert "12k" in email.body and "10k" not in email.body


def test_a_message_deleted_before_the_email_goes_out_is_not_sent(
    cast: Cast, run_tasks: Callable[[], int]
) -> None:
    gone = _post(cast, "Oops, wrong case.")
    _post(cast, "The real update.")
    run_tasks()
    do_delete_message(message=gone, actor=cast.bob)
    run_tasks()
    _run_due()
    (email,) = _to("carol@globex.test")
    assert "wrong case" not in email.body and email.subject == "[case-1] Spring campaign"
    assert (
        PendingNotification.objects.get(message=gone, contact=cast.carol).outcome == PendingOutcome.WITHDRAWN
    )


def test_a_message_made_internal_before_the_email_goes_out_is_not_sent(
    cast: Cast, run_tasks: Callable[[], int]
) -> None:
    secret = _post(cast, "Internal by mistake: margin is 40%.")
    run_tasks()
    Message.objects.filter(pk=secret.pk).update(internal_only=True)
    _run_due()
    assert _client_mail() == []
    assert set(PendingNotification.objects.values_list("outcome", flat=True)) == {PendingOutcome.WITHDRAWN}


def test_a_message_the_contact_has_seen_in_the_portal_is_left_out(
    cast: Cast, run_tasks: Callable[[], int]
) -> None:
    _post(cast, "Seen in the portal.")
    run_tasks()
    page = cast.login(cast.carol_user).get(reverse("portal:messages", args=[cast.case_a.pk]))
    assert page.status_code == 200
    _post(cast, "Posted after Carol looked.")
    run_tasks()
    _run_due()
    (carol,) = _to("carol@globex.test")
    assert "Posted after Carol looked." in carol.body and "Seen in the portal." not in carol.body
    (erin,) = _to("erin@globex.test")  # Erin saw nothing: both messages
    assert erin.subject == "[case-1] 2 new messages: Spring campaign"


def test_no_email_when_every_message_was_seen_through_the_magic_link(
    cast: Cast, run_tasks: Callable[[], int]
) -> None:
    _post(cast, "One.")
    _post(cast, "Two.")
    run_tasks()
    erin = cast.magic_client()
    assert erin.get(reverse("portal:messages", args=[cast.case_a.pk])).status_code == 200
    _run_due()
    assert _to("erin@globex.test") == []
    assert len(_to("carol@globex.test")) == 1
    outcomes = PendingNotification.objects.filter(contact=cast.erin).values_list("outcome", flat=True)
    assert set(outcomes) == {PendingOutcome.SEEN}


def test_running_the_digest_task_twice_sends_once(cast: Cast, run_tasks: Callable[[], int]) -> None:
    _post(cast, "One.")
    _post(cast, "Two.")
    run_tasks()
    window = DigestWindow.objects.get(contact=cast.carol)
    send_client_digest.call(window.pk)
    send_client_digest.call(window.pk)
    _run_due()  # and the queued run as well
    assert len(_to("carol@globex.test")) == 1


def test_a_run_that_died_after_sending_only_settles_the_items_on_retry(
    cast: Cast, run_tasks: Callable[[], int]
) -> None:
    _post(cast, "One.")
    _post(cast, "Two.")
    run_tasks()
    window = DigestWindow.objects.get(contact=cast.carol)
    send_client_digest.call(window.pk)
    # The worker died after sent_at was committed but before the items were settled.
    window.items.update(outcome=PendingOutcome.WAITING)
    send_client_digest.call(window.pk)
    assert len(_to("carol@globex.test")) == 1
    assert set(window.items.values_list("outcome", flat=True)) == {PendingOutcome.SENT}


def test_an_smtp_failure_is_retried_and_the_digest_sent_once(
    cast: Cast, run_tasks: Callable[[], int], settings: Any
) -> None:
    _post(cast, "One.")
    _post(cast, "Two.")
    run_tasks()
    window = DigestWindow.objects.get(contact=cast.carol)
    settings.EMAIL_BACKEND = "tests.test_mail_digests.RefusingBackend"
    with pytest.raises(ConnectionRefusedError):
        send_client_digest.call(window.pk)
    assert _client_mail() == []
    row = OutboundEmail.objects.get(kind=EmailKind.CLIENT_DIGEST, contact=cast.carol)
    assert row.sent_at is None and "refused" in row.last_error
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    _run_due()
    assert len(_to("carol@globex.test")) == 1
    row.refresh_from_db()
    assert row.sent_at is not None and row.attempts == 2


def test_a_message_is_queued_once_per_contact_when_the_notification_task_runs_twice(
    cast: Cast, run_tasks: Callable[[], int]
) -> None:
    from casedesk.mail.outbound import send_message_notifications

    message = _post(cast, "Once.")
    run_tasks()
    send_message_notifications.call(message.pk)
    assert PendingNotification.objects.filter(message=message).count() == 2
    assert DigestWindow.objects.count() == 2
    _run_due()
    assert len(_to("carol@globex.test")) == 1


def test_replying_to_a_digest_lands_in_the_case(cast: Cast, run_tasks: Callable[[], int]) -> None:
    _post(cast, "One.")
    _post(cast, "Two.")
    run_tasks()
    _run_due()
    (digest,) = _to("carol@globex.test")
    reply = (
        f"From: Carol <carol@globex.test>\r\nTo: {digest.reply_to[0]}\r\n"
        f"Subject: Re: {digest.subject}\r\nMessage-ID: <reply-1@globex.test>\r\n"
        f"In-Reply-To: {digest.extra_headers['Message-ID']}\r\n\r\n"
        "Thanks, both look good.\r\n\r\nOn Mon, Bob wrote:\r\n> One.\r\n"
    ).encode()
    receive_email(reply, source=InboundSource.IMPORT)
    run_tasks()
    posted = Message.objects.filter(case=cast.case_a, author_contact=cast.carol).get()
    assert posted.body.strip() == "Thanks, both look good."


def test_team_mail_stays_immediate_with_digests_on(cast: Cast, run_tasks: Callable[[], int]) -> None:
    _post(cast, "@**Alice Owner** please check.", internal_only=True)
    do_post_message(case=cast.case_a, body="Looks good to us.", author_contact=cast.carol)
    run_tasks()  # no delayed tasks run
    assert len(_to("alice@acme.test")) == 1  # the mention
    assert len(_to("bob@acme.test")) == 1  # the client reply, to the assigned member
    assert _to("erin@globex.test") == []  # the client mail waits for its window


def test_a_contact_who_wants_every_message_gets_it_at_once(cast: Cast, run_tasks: Callable[[], int]) -> None:
    CaseContact.objects.filter(case=cast.case_a, contact=cast.erin).update(email_preference="every")
    _post(cast, "One.")
    _post(cast, "Two.")
    run_tasks()
    assert len(_to("erin@globex.test")) == 2
    assert _to("carol@globex.test") == []
    _run_due()
    assert len(_to("carol@globex.test")) == 1 and len(_to("erin@globex.test")) == 2


def test_every_client_notification_carries_one_click_unsubscribe(
    cast: Cast, run_tasks: Callable[[], int]
) -> None:
    CaseContact.objects.filter(case=cast.case_a, contact=cast.erin).update(email_preference="every")
    _post(cast, "One.")
    _post(cast, "Two.")
    run_tasks()
    _run_due()
    kinds = set()
    for email in _client_mail():
        kinds.add(email.extra_headers["X-Casedesk-Notification"])
        parsed = message_from_bytes(email.message().as_bytes(), policy=policy.default)
        unsubscribe = str(parsed["List-Unsubscribe"]).strip()  # long: folded onto its own line
        assert unsubscribe.startswith("<http") and "/email/preferences/" in unsubscribe
        assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert unsubscribe.strip("<>") in email.body  # the same link, in the text
    assert kinds == {"client-message", "client-digest"}


def test_one_click_unsubscribe_without_sign_in_stops_that_cases_mail(
    cast: Cast, run_tasks: Callable[[], int], client: Any
) -> None:
    url = f"/email/preferences/{preferences_token(cast.carol.pk, cast.case_a.pk)}/"
    response = client.post(
        url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert CaseContact.objects.get(case=cast.case_a, contact=cast.carol).email_preference == "none"
    _post(cast, "After unsubscribing.")
    run_tasks()
    _run_due()
    assert _to("carol@globex.test") == [] and len(_to("erin@globex.test")) == 1


def test_the_preference_page_get_changes_nothing_and_post_sets_a_choice(cast: Cast, client: Any) -> None:
    url = f"/email/preferences/{preferences_token(cast.erin.pk, cast.case_a.pk)}/"
    page = client.get(url)
    assert page.status_code == 200 and b"Every message as it comes" in page.content
    assert CaseContact.objects.get(case=cast.case_a, contact=cast.erin).email_preference == "digest"
    assert client.post(url, {"preference": "every"}).status_code == 200
    assert CaseContact.objects.get(case=cast.case_a, contact=cast.erin).email_preference == "every"
    refused = client.post(url, {"preference": "hourly"})
    assert refused.status_code == 400 and b"Choose one of the three options" in refused.content


def test_a_tampered_preference_link_is_refused_with_a_sentence(cast: Cast, client: Any) -> None:
    token = preferences_token(cast.carol.pk, cast.case_a.pk)
    forged = preferences_token(cast.frank.pk, cast.case_a2.pk).split(":")[0] + ":" + token.split(":", 1)[1]
    for url in (f"/email/preferences/{token}x/", f"/email/preferences/{forged}/"):
        response = client.post(
            url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
        )
        assert response.status_code == 400
        assert b"This link does not work" in response.content
    assert CaseContact.objects.get(case=cast.case_a, contact=cast.carol).email_preference == "digest"


def test_the_team_sees_each_contacts_choice_on_the_case(cast: Cast) -> None:
    CaseContact.objects.filter(case=cast.case_a, contact=cast.erin).update(email_preference="none")
    page = cast.login(cast.bob).get(reverse("cases:messages", args=[cast.case_a.pk]))
    html = page.content.decode()
    assert "Erin" in html and "(no email)" in html and "(digests)" in html


def test_settings_general_sets_the_window(cast: Cast) -> None:
    http = cast.login(cast.alice)
    response = http.post(
        f"{reverse('settings:general')}?agency={cast.agency_a.pk}",
        {
            "agency": cast.agency_a.pk,
            "name": "Acme Agency",
            "brand_color": "#4f46e5",
            "email_digest_minutes": "5",
        },
    )
    assert response.status_code == 302
    assert Agency.objects.get(pk=cast.agency_a.pk).email_digest_minutes == 5


class RefusingBackend:
    """An email backend whose server refuses every message (an SMTP outage)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def open(self) -> bool:
        return True

    def close(self) -> None:
        pass

    def send_messages(self, messages: Any) -> int:
        raise ConnectionRefusedError("SMTP server refused the connection")


def test_a_seen_receipt_leaves_the_message_out(cast: Cast, run_tasks: Callable[[], int]) -> None:
    from casedesk.cases.seen import do_mark_seen

    first = _post(cast, "Read on screen.")
    _post(cast, "Not read yet.")
    run_tasks()
    do_mark_seen(case=cast.case_a, up_to=first.pk, contact=cast.carol)
    _run_due()
    (carol,) = _to("carol@globex.test")
    assert "Not read yet." in carol.body and "Read on screen." not in carol.body
