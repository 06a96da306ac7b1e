"""@mentions: teammates of the case's agency only, one notification per mention, honest warnings."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from casedesk.accounts.models import Membership
from casedesk.cases.actions import do_edit_message, do_post_message
from casedesk.cases.models import Mention, Notification, NotificationKind
from tests.conftest import Cast


def test_mention_creates_a_notification_for_the_teammate(cast: Cast) -> None:
    message = do_post_message(case=cast.case_a, body="@**Bob Member** can you check?", author_user=cast.alice)
    notification = Notification.objects.get(user=cast.bob)
    assert notification.kind == NotificationKind.MENTION
    assert notification.message == message
    assert "Alice Owner mentioned you on case-1" in notification.text
    assert notification.url == f"/cases/{cast.case_a.pk}/messages/#m{message.pk}"
    assert message.mention_warnings == ()
    assert '<span class="mention">@Bob Member</span>' in message.body_html


def test_mention_by_email_works_too(cast: Cast) -> None:
    do_post_message(case=cast.case_a, body="cc @**adam@acme.test**", author_user=cast.alice)
    assert Notification.objects.filter(user=cast.adam).count() == 1


def test_mentioning_yourself_notifies_nobody(cast: Cast) -> None:
    message = do_post_message(case=cast.case_a, body="note to self @**Alice Owner**", author_user=cast.alice)
    assert not Notification.objects.exists()
    assert message.mention_warnings == ()


def test_mentions_are_never_collapsed(cast: Cast) -> None:
    for i in range(3):
        do_post_message(case=cast.case_a, body=f"ping {i} @**Bob Member**", author_user=cast.alice)
    assert Notification.objects.filter(user=cast.bob, kind=NotificationKind.MENTION).count() == 3


def test_mentioning_an_outsider_does_not_leak_the_case_and_tells_the_author(cast: Cast) -> None:
    message = do_post_message(case=cast.case_a, body="@**Dave Outsider** look", author_user=cast.alice)
    assert not Notification.objects.filter(user=cast.dave).exists()
    assert not Mention.objects.exists()
    assert message.mention_warnings == (
        "Nobody called “Dave Outsider” is on the Acme Agency team, so nobody was notified. "
        "Pick a teammate from the list that appears when you type @.",
    )


def test_mentioning_a_client_notifies_nobody_and_says_why(cast: Cast) -> None:
    message = do_post_message(case=cast.case_a, body="@**Carol Client** fyi", author_user=cast.bob)
    assert not Notification.objects.exists()
    assert message.mention_warnings[0].startswith("Carol Client is a client, and clients cannot be mentioned")


def test_mentioning_a_deactivated_member_notifies_nobody_and_says_why(cast: Cast) -> None:
    Membership.objects.filter(user=cast.adam).update(is_active=False)
    message = do_post_message(
        case=cast.case_a, body="@**Vic Former** @**Adam Admin** @**Bob Member**", author_user=cast.alice
    )
    assert list(Notification.objects.values_list("user__name", flat=True)) == ["Bob Member"]
    assert message.mention_warnings == (
        "Vic Former no longer has access to Acme Agency cases, so they were not notified.",
        "Adam Admin no longer has access to Acme Agency cases, so they were not notified.",
    )


def test_clients_cannot_mention_anyone(cast: Cast) -> None:
    do_post_message(
        case=cast.case_a, body="@**Bob Member** hello", author_user=cast.carol_user, author_contact=cast.carol
    )
    assert not Notification.objects.filter(kind=NotificationKind.MENTION).exists()


def test_editing_in_a_new_mention_notifies_once(cast: Cast) -> None:
    message = do_post_message(case=cast.case_a, body="draft", author_user=cast.alice)
    do_edit_message(message=message, editor=cast.alice, body="now @**Bob Member**")
    do_edit_message(message=message, editor=cast.alice, body="now @**Bob Member** again")
    assert Notification.objects.filter(user=cast.bob).count() == 1


def test_autocomplete_offers_only_active_teammates_of_the_case_agency(cast: Cast) -> None:
    response = cast.login(cast.alice).get(f"/cases/{cast.case_a.pk}/mentionable?q=")
    names = [p["name"] for p in response.json()["results"]]
    assert names == ["Adam Admin", "Alice Owner", "Bob Member"]
    filtered = cast.login(cast.alice).get(f"/cases/{cast.case_a.pk}/mentionable?q=bo").json()["results"]
    assert filtered == [{"name": "Bob Member", "email": "bob@acme.test", "insert": "@**Bob Member**"}]


def test_author_sees_why_a_mention_notified_nobody_on_the_page(cast: Cast) -> None:
    http = cast.login(cast.alice)
    response = http.post(
        f"/cases/{cast.case_a.pk}/messages/",
        {"body": "@**Dave Outsider** hi"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 201
    assert "Nobody called “Dave Outsider”" in response.json()["warnings"][0]
    page = http.post(f"/cases/{cast.case_a.pk}/messages/", {"body": "@**Dave Outsider** again"}, follow=True)
    assert "Nobody called “Dave Outsider”" in page.content.decode()


def test_mention_email_is_scheduled_for_the_teammate(cast: Cast, monkeypatch: Any) -> None:
    scheduled: list[int] = []
    monkeypatch.setattr(
        "casedesk.mail.outbound.schedule_mention_email", lambda n: scheduled.append(n.user_id)
    )
    do_post_message(
        case=cast.case_a,
        body="@**Bob Member** see file",
        author_user=cast.alice,
        files=[SimpleUploadedFile("a.txt", b"a")],
    )
    assert scheduled == [cast.bob.pk]
