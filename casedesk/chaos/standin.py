"""The stand-in escalation for ``casedesk chaos-escalations``.

``escalate_chaos_conversation`` is used when the support app's real ``escalate_conversation`` is
not installed: it opens one case with source ``support_chat`` per ``ChaosConversation`` (row
lock + one-to-one) and sends one notification email. Its fault points are
``casedesk.jobs.faults.fault_point``, the same ones the real escalation passes.
"""

from __future__ import annotations

from typing import Any

from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from casedesk.jobs.faults import fault_point
from casedesk.jobs.policy import PermanentFailure, durable_task


def describe_chaos(args: list[Any], kwargs: dict[str, Any]) -> dict[str, Any]:
    from casedesk.chaos.models import ChaosConversation

    conversation = ChaosConversation.objects.filter(pk=int(args[0])).first() if args else None
    if conversation is None:
        return {"tenant_id": None, "label": "Chaos conversation (deleted)", "url": ""}
    return {"tenant_id": conversation.agency_id, "label": f"Chaos conversation {conversation.key}", "url": ""}


@durable_task(
    kind="chaos.escalate_conversation",
    queue="support",
    max_attempts=4,
    backoff_base_seconds=0.25,
    backoff_max_seconds=2.0,
    describe=describe_chaos,
)
def escalate_chaos_conversation(conversation_id: int) -> int:
    """Open the conversation's case (once) and send its notification email (once)."""
    from casedesk.accounts.models import Client
    from casedesk.cases.actions import do_create_case
    from casedesk.cases.models import CaseSource
    from casedesk.chaos.models import ChaosConversation

    conversation = ChaosConversation.objects.select_related("agency").filter(pk=conversation_id).first()
    if conversation is None:
        raise PermanentFailure(f"Chaos conversation {conversation_id} no longer exists.")
    key = conversation.key
    fault_point("escalation.before_case_write", key)
    if conversation.case_id is None:
        with transaction.atomic():
            conversation = (
                ChaosConversation.objects.select_for_update().select_related("agency").get(pk=conversation_id)
            )
            if conversation.case_id is None:
                client = Client.objects.filter(
                    agency=conversation.agency, name="Support chat visitors"
                ).first()
                if client is None:
                    client = Client.objects.create(agency=conversation.agency, name="Support chat visitors")
                case = do_create_case(
                    agency=conversation.agency,
                    client=client,
                    title=f"Support chat {key}",
                    source=CaseSource.SUPPORT_CHAT,
                )
                fault_point("escalation.during_case_write", key)
                conversation.case = case
                conversation.state = "escalated"
                conversation.save(update_fields=["case", "state"])
    fault_point("escalation.after_case_write", key)
    if conversation.notified_at is None:
        fault_point("escalation.before_email", key)
        EmailMessage(
            subject=f"New support case from chat {key}",
            body=f"Conversation {key} was escalated to a case.",
            to=[f"support+{conversation.agency.slug}@casedesk.localhost"],
            headers={"X-Chaos-Key": key},
        ).send()
        # Not exactly-once: a crash between the send above and this update sends it again.
        ChaosConversation.objects.filter(pk=conversation_id, notified_at__isnull=True).update(
            notified_at=timezone.now()
        )
    assert conversation.case_id is not None
    return conversation.case_id


def do_request_chaos_escalation(conversation_id: int) -> None:
    """Mark the conversation escalating and enqueue its escalation, in one transaction."""
    from casedesk.chaos.models import ChaosConversation

    with transaction.atomic():
        ChaosConversation.objects.filter(pk=conversation_id).update(state="escalating")
        escalate_chaos_conversation.enqueue(conversation_id)
