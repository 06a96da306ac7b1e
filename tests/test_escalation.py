"""The escalation guarantee: state change + record + task in one transaction, one case per
conversation however often the task runs, failures visible and replayable."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection, transaction
from django_tasks_db.models import DBTaskResult

from casedesk.cases.models import Case, CaseSource, Message
from casedesk.jobs.actions import do_replay_failed_job
from casedesk.jobs.testing import drain_tasks
from casedesk.support.actions import do_post_visitor_message, do_request_escalation, do_start_conversation
from casedesk.support.escalation import TASK_KIND, describe_escalation, escalate_conversation
from casedesk.support.models import ConversationState, Escalation, MessageKind, SupportClient, Visitor
from tests.conftest import Cast
from tests.support_helpers import triage_stub  # noqa: F401

pytestmark = pytest.mark.django_db


def _escalation_tasks() -> int:
    return DBTaskResult.objects.filter(task_path=escalate_conversation.module_path).count()


def test_request_escalation_records_state_row_and_task_together(cast: Cast) -> None:
    conversation = do_start_conversation(agency=cast.agency_a, page_url="http://testserver/s/acme/")
    escalation = do_request_escalation(conversation=conversation)
    conversation.refresh_from_db()
    assert conversation.state == ConversationState.ESCALATING
    assert escalation.case is None
    assert _escalation_tasks() == 1
    notice = conversation.messages.get(kind=MessageKind.BOT_NOTICE)
    assert "Acme Agency will answer here" in notice.body


def test_nothing_is_recorded_or_promised_when_the_transaction_rolls_back(cast: Cast) -> None:
    conversation = do_start_conversation(agency=cast.agency_a)
    with pytest.raises(RuntimeError), transaction.atomic():
        do_request_escalation(conversation=conversation)
        raise RuntimeError("crash after the state change, before commit")
    conversation.refresh_from_db()
    assert conversation.state == ConversationState.BOT
    assert not Escalation.objects.exists()
    assert _escalation_tasks() == 0
    assert not conversation.messages.filter(kind=MessageKind.BOT_NOTICE).exists()


@pytest.mark.usefixtures("triage_stub")
def test_escalation_opens_one_support_chat_case_with_transcript_identity_and_page(
    cast: Cast, run_tasks: Callable[[], int]
) -> None:
    visitor = Visitor.objects.create(agency=cast.agency_a, name="Sam Shopper", email="sam@example.com")
    conversation = do_start_conversation(
        agency=cast.agency_a, visitor=visitor, page_url="http://testserver/s/acme/"
    )
    do_post_visitor_message(conversation=conversation, body="How do invoices work?")
    do_post_visitor_message(conversation=conversation, body="I want a human please")
    run_tasks()
    conversation.refresh_from_db()
    assert conversation.state == ConversationState.WAITING_FOR_HUMAN
    case = Case.objects.get(source=CaseSource.SUPPORT_CHAT)
    assert conversation.case == case
    assert case.agency == cast.agency_a
    first = Message.objects.filter(case=case).order_by("id").first()
    assert first is not None
    for expected in ("Sam Shopper", "sam@example.com", "http://testserver/s/acme/", "How do invoices work?"):
        assert expected in first.body
    assert "Invoices are sent on the first working day" in first.body


def test_escalate_task_run_twice_opens_one_case(cast: Cast, run_tasks: Callable[[], int]) -> None:
    conversation = do_start_conversation(agency=cast.agency_a)
    do_request_escalation(conversation=conversation)
    do_request_escalation(conversation=conversation)  # a double click: still one escalation
    assert _escalation_tasks() == 1
    first = escalate_conversation.call(conversation.pk)
    second = escalate_conversation.call(conversation.pk)
    run_tasks()
    assert first == second
    assert Case.objects.filter(source=CaseSource.SUPPORT_CHAT).count() == 1
    assert Escalation.objects.get(conversation=conversation).case_id == first


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicate_delivery_opens_one_case(cast: Cast) -> None:
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers anyway; the row-lock race needs PostgreSQL.")
    conversation = do_start_conversation(agency=cast.agency_a)
    do_request_escalation(conversation=conversation)
    results: list[int | None] = []
    barrier = threading.Barrier(4)

    def deliver() -> None:
        barrier.wait()
        try:
            results.append(escalate_conversation.call(conversation.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(results)) == 1
    assert Case.objects.filter(source=CaseSource.SUPPORT_CHAT).count() == 1


def test_team_escalation_becomes_a_platform_case_under_the_requesting_agency(
    cast: Cast, run_tasks: Callable[[], int]
) -> None:
    visitor = Visitor.objects.create(agency=cast.platform, user=cast.bob, name=cast.bob.name)
    conversation = do_start_conversation(
        agency=cast.platform, visitor=visitor, requesting_agency=cast.agency_a
    )
    do_request_escalation(conversation=conversation)
    run_tasks()
    conversation.refresh_from_db()
    assert conversation.case is not None
    assert conversation.case.agency == cast.platform
    assert conversation.case.client.name == "Acme Agency"
    assert SupportClient.objects.get(agency=cast.platform, requesting_agency=cast.agency_a).client == (
        conversation.case.client
    )
    # A second conversation from the same agency reuses its client.
    other = do_start_conversation(agency=cast.platform, visitor=visitor, requesting_agency=cast.agency_a)
    do_request_escalation(conversation=other)
    run_tasks()
    other.refresh_from_db()
    assert other.case is not None and other.case.client == conversation.case.client


def test_describe_names_the_tenant_and_links_the_transcript(cast: Cast) -> None:
    conversation = do_start_conversation(agency=cast.agency_a)
    described = describe_escalation([conversation.pk], {})
    assert described["tenant_id"] == cast.agency_a.pk
    assert described["url"] == f"/support/conversations/{conversation.pk}/"
    assert TASK_KIND == "support.escalate"


def test_failed_escalation_lands_in_failed_jobs_and_replay_opens_the_case(
    cast: Cast, run_tasks: Callable[[], int], monkeypatch: pytest.MonkeyPatch
) -> None:
    from casedesk.jobs.models import FailedJob
    from casedesk.support import escalation

    conversation = do_start_conversation(agency=cast.agency_a)
    do_request_escalation(conversation=conversation)
    real_open_case = escalation._open_case

    def broken(conversation: object) -> object:
        raise RuntimeError("case storage is down")

    monkeypatch.setattr(escalation, "_open_case", broken)
    drain_tasks(include_delayed=True)
    job = FailedJob.objects.get()
    assert job.tenant_id == cast.agency_a.pk
    assert f"/support/conversations/{conversation.pk}/" in job.url
    conversation.refresh_from_db()
    assert conversation.state == ConversationState.ESCALATING
    monkeypatch.setattr(escalation, "_open_case", real_open_case)
    do_replay_failed_job(job, actor=cast.pat)
    drain_tasks(include_delayed=True)
    conversation.refresh_from_db()
    assert conversation.state == ConversationState.WAITING_FOR_HUMAN
    assert Case.objects.filter(source=CaseSource.SUPPORT_CHAT).count() == 1
