"""The one way out of a domain action: ``casedesk.lib.events`` (issue 13, section 2).

In-transaction handlers (email) commit or roll back with the action; after-commit handlers
(live) run only once it commits, and a failing one never fails the write.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from casedesk.accounts.events import FreshMagicLinkIssued
from casedesk.cases.actions import do_post_message
from casedesk.cases.events import (
    CaseActivity,
    ContactLeftCase,
    MentionNotified,
    MessagePosted,
    NotificationsChanged,
)
from casedesk.lib.events import emit, subscribe, subscribers, unsubscribe
from casedesk.mail import subscribers as mail_subscribers
from casedesk.mail.outbound import send_message_notifications
from casedesk.support.actions import do_request_escalation, do_start_conversation
from casedesk.support.events import ConversationChanged
from tests.conftest import Cast


@dataclass(frozen=True)
class Pinged:
    value: int


@pytest.fixture
def calls() -> Iterator[list[tuple[str, int]]]:
    seen: list[tuple[str, int]] = []

    def now(event: Pinged) -> None:
        seen.append(("now", event.value))

    def later(event: Pinged) -> None:
        seen.append(("after commit", event.value))

    subscribe(Pinged, now)
    subscribe(Pinged, later, after_commit=True)
    yield seen
    unsubscribe(Pinged, now)
    unsubscribe(Pinged, later)


@pytest.mark.django_db
def test_in_transaction_handlers_run_at_once_and_the_others_on_commit(
    calls: list[tuple[str, int]], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        emit(Pinged(1))
        assert calls == [("now", 1)]
    assert calls == [("now", 1), ("after commit", 1)]


@pytest.mark.django_db(transaction=True)
def test_after_commit_handlers_never_run_when_the_action_rolls_back(calls: list[tuple[str, int]]) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        emit(Pinged(2))
        raise RuntimeError("the action failed")
    assert calls == [("now", 2)]


@pytest.mark.django_db
def test_a_failing_after_commit_handler_never_fails_the_write(
    django_capture_on_commit_callbacks: Any, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(event: Pinged) -> None:
        raise ConnectionError("the channel layer is down")

    subscribe(Pinged, broken, after_commit=True)
    try:
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            emit(Pinged(3))
    finally:
        unsubscribe(Pinged, broken)
    assert "the channel layer is down" in caplog.text


def test_subscribing_twice_calls_once() -> None:
    seen: list[int] = []

    def handler(event: Pinged) -> None:
        seen.append(event.value)

    subscribe(Pinged, handler)
    subscribe(Pinged, handler)
    try:
        emit(Pinged(4))
    finally:
        unsubscribe(Pinged, handler)
    assert seen == [4]


def _kinds(event_type: type) -> list[tuple[str, bool]]:
    return [(f"{h.__module__}.{h.__name__}", after) for h, after in subscribers(event_type)]


def test_email_handlers_run_in_the_transaction_and_live_ones_after_commit() -> None:
    """The durability rule, as wired at startup: mail must not be lost, live is a courtesy."""
    assert _kinds(MessagePosted) == [
        ("casedesk.mail.subscribers.on_message_posted", False),
        # A visitor's email reply posted to their case joins the chat in the same transaction.
        ("casedesk.support.subscribers.on_message_posted", False),
    ]
    assert _kinds(MentionNotified) == [("casedesk.mail.subscribers.on_mention_notified", False)]
    assert _kinds(ContactLeftCase) == [("casedesk.mail.subscribers.on_contact_left_case", False)]
    assert _kinds(FreshMagicLinkIssued) == [("casedesk.mail.subscribers.on_fresh_magic_link_issued", False)]
    assert _kinds(CaseActivity) == [("casedesk.live.subscribers.on_case_activity", True)]
    assert _kinds(NotificationsChanged) == [("casedesk.live.subscribers.on_notifications_changed", True)]
    assert _kinds(ConversationChanged) == [("casedesk.support.subscribers.on_conversation_changed", True)]


@pytest.mark.django_db
def test_a_rolled_back_post_leaves_no_email_task(cast: Cast) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        do_post_message(case=cast.case_a, body="Your draft is ready", author_user=cast.bob)
        assert DBTaskResult.objects.filter(task_path=send_message_notifications.module_path).count() == 1
        raise RuntimeError("crash before commit")
    assert not DBTaskResult.objects.filter(task_path=send_message_notifications.module_path).exists()


@pytest.mark.django_db
def test_a_post_enqueues_its_email_through_the_mail_subscriber(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[int] = []
    monkeypatch.setattr(
        mail_subscribers.outbound, "schedule_message_notifications", lambda m: seen.append(m.pk)
    )
    message = do_post_message(case=cast.case_a, body="Hello", author_user=cast.bob)
    assert seen == [message.pk]


@pytest.mark.django_db
def test_an_escalation_rings_the_teams_bell(
    cast: Cast,
    run_tasks: Callable[[], int],
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """The support notification updates the bell like every other one (``notifications.changed``)."""
    events: list[tuple[int, str, dict[str, Any]]] = []
    monkeypatch.setattr(
        "casedesk.live.publish.publish_user_event",
        lambda user, event, payload: events.append((user, event, payload)),
    )
    conversation = do_start_conversation(agency=cast.agency_a, page_url="http://testserver/s/acme/")
    do_request_escalation(conversation=conversation)
    with django_capture_on_commit_callbacks(execute=True):
        run_tasks()
    bells = {user: payload for user, event, payload in events if event == "notifications.changed"}
    assert set(bells) >= {cast.alice.pk, cast.bob.pk}
    assert all(payload["unread"] >= 1 for payload in bells.values())
