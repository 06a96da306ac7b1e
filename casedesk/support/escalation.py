"""The guaranteed escalation: a durable task that opens exactly one case per conversation.

``do_request_escalation`` (actions.py) writes the ``Escalation`` row, moves the conversation to
``escalating`` and enqueues ``escalate_conversation`` in one transaction. This task then, in one
transaction of its own:

1. locks the conversation row (``select_for_update``), so a duplicate delivery of the same task
   waits here and then sees the first one's result;
2. returns at once when the escalation already has its case (running twice is a no-op);
3. opens a case with source ``support_chat`` in the target agency, carrying the transcript, the
   visitor's identity and the page they were on. Customers' conversations become cases of their
   agency; a team's conversation with the platform desk becomes a case of the platform agency,
   under a Client that stands for the requesting agency;
4. links the case to the escalation (``Escalation.case`` is unique, ``Escalation.conversation``
   is unique: one case per conversation even if steps 1–2 were somehow bypassed) and moves the
   conversation to ``waiting_for_human``.

A failure anywhere rolls the whole step back; the jobs pipeline retries with backoff and, when
attempts run out, shows the job in Admin → Failed Jobs with a link to the transcript, where it
can be replayed. The reconciler check in ``reconcile.py`` catches conversations stuck in
``escalating`` with no live task.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from casedesk.accounts.models import Agency, Client, Membership, User
from casedesk.cases.actions import MAX_FILES_PER_MESSAGE, do_create_case, do_post_message
from casedesk.cases.events import NotificationsChanged
from casedesk.cases.models import Case, CaseSource, MessageSource, Notification, NotificationKind
from casedesk.jobs import durable_task
from casedesk.jobs.faults import fault_point
from casedesk.lib.emails import build_email
from casedesk.lib.events import emit
from casedesk.mail.models import EmailKind
from casedesk.mail.outbound import deliver, record_outbound_email
from casedesk.support.assignment import auto_assign_locked
from casedesk.support.events import ConversationChanged
from casedesk.support.models import (
    Conversation,
    ConversationFile,
    ConversationState,
    Escalation,
    EscalationStatus,
    MessageKind,
    SupportClient,
)

TASK_KIND = "support.escalate"


def _conversation_id(args: Any, kwargs: Any) -> int | None:
    raw = (args[0] if args else None) if isinstance(args, list | tuple) else None
    if raw is None and isinstance(kwargs, dict):
        raw = kwargs.get("conversation_id")
    try:
        return int(raw) if raw is not None else None
    except (TypeError, ValueError):
        return None


def describe_escalation(args: Any, kwargs: Any) -> dict[str, Any]:
    """For Admin → Failed Jobs: the tenant and a link to the conversation's transcript."""
    conversation_id = _conversation_id(args, kwargs)
    if conversation_id is None:
        return {"tenant_id": None, "label": "Support escalation (no conversation id)", "url": ""}
    conversation = Conversation.objects.select_related("agency", "visitor").filter(pk=conversation_id).first()
    if conversation is None:
        return {"tenant_id": None, "label": f"Support conversation {conversation_id} (deleted)", "url": ""}
    subject = conversation.subject or "(no subject yet)"
    return {
        "tenant_id": conversation.agency_id,
        "label": f"Escalate support chat #{conversation.pk} from "
        f"{conversation.visitor.display_name}: {subject}"[:200],
        "url": reverse("support:conversation", args=[conversation.pk]),
    }


def support_client_for(agency: Agency, requesting_agency: Agency | None) -> Client:
    """The Client that holds support-chat cases: per requesting agency on the platform desk,
    one "Support chat visitors" client otherwise. Created once, race-safe."""
    row = SupportClient.objects.filter(agency=agency, requesting_agency=requesting_agency).select_related(
        "client"
    )
    found = row.first()
    if found is not None:
        return found.client
    name = requesting_agency.name if requesting_agency is not None else "Support chat visitors"
    try:
        with transaction.atomic():
            client = Client.objects.create(agency=agency, name=name[:160])
            SupportClient.objects.create(agency=agency, requesting_agency=requesting_agency, client=client)
            return client
    except IntegrityError:
        return SupportClient.objects.get(agency=agency, requesting_agency=requesting_agency).client


def transcript_markdown(conversation: Conversation) -> str:
    """What the case opens with: who, where, and every line of the chat so far."""
    visitor = conversation.visitor
    identity = [f"- **Visitor:** {visitor.display_name}"]
    if visitor.email:
        identity.append(f"- **Email:** {visitor.email}")
    if visitor.user_id is not None:
        identity.append("- **Identity:** signed in to casedesk")
    elif visitor.external_id:
        identity.append(f"- **Identity:** verified by the agency's site (user id `{visitor.external_id}`)")
    else:
        identity.append("- **Identity:** anonymous (signed visitor token in one browser)")
    if conversation.requesting_agency_id is not None and conversation.requesting_agency is not None:
        identity.append(f"- **Agency asking:** {conversation.requesting_agency.name}")
    identity.append(f"- **Page:** {conversation.page_url or 'unknown'}")
    escalation = getattr(conversation, "escalation", None)
    if escalation is not None:
        identity.append(f"- **Why escalated:** {escalation.reason.replace('_', ' ')}")
    lines = ["Escalated from the support chat.", "", *identity, "", "**Transcript**", ""]
    labels: dict[str, str] = {
        MessageKind.VISITOR: visitor.display_name,
        MessageKind.BOT_ANSWER: "Assistant",
        MessageKind.BOT_NOTICE: "Assistant",
        MessageKind.SYSTEM: "casedesk",
    }
    rows = conversation.messages.select_related("author_user").prefetch_related("files").order_by("id")
    for message in rows:
        who = labels.get(message.kind) or (message.author_user.name if message.author_user else "Team")
        stamp = timezone.localtime(message.created_at).strftime("%Y-%m-%d %H:%M")
        body = message.body.replace("\n", "\n> ")
        for note in message.file_notes:
            body += ("\n> " if body else "") + note
        lines.append(f"> **{who}** · {stamp}\n> {body}")
        if message.article_url:
            lines.append(f"> (answer from [{message.article_title}]({message.article_url}))")
        lines.append("")
    return "\n".join(lines).strip()


@durable_task(kind=TASK_KIND, queue="support", max_attempts=8, describe=describe_escalation)
def escalate_conversation(conversation_id: int) -> int | None:
    """Open the conversation's case, once. Returns the case id (None if the conversation is gone).

    Safe to run twice and under concurrent duplicate delivery: the conversation row lock
    serialises runs, and the second run finds ``Escalation.case`` already set.
    """
    with transaction.atomic():
        conversation = (
            Conversation.objects.select_for_update(of=("self",))
            .select_related("agency", "visitor", "requesting_agency")
            .filter(pk=conversation_id)
            .first()
        )
        if conversation is None:
            return None
        fault_point("escalation.before_case_write", str(conversation_id))
        escalation = Escalation.objects.filter(conversation=conversation).first()
        if escalation is None:
            # Replayed for a conversation that was never escalated: record it now, so the
            # guarantee holds for whatever enqueued us.
            escalation, _ = Escalation.objects.get_or_create(
                conversation=conversation,
                defaults={"target_agency": conversation.agency, "reason": "replayed"},
            )
        if escalation.case_id is not None:
            if conversation.case_id is None:
                Conversation.objects.filter(pk=conversation.pk).update(case_id=escalation.case_id)
            return escalation.case_id
        case = _open_case(conversation)
        Escalation.objects.filter(pk=escalation.pk).update(
            case=case,
            status=EscalationStatus.DONE,
            completed_at=timezone.now(),
            attempts=escalation.attempts + 1,
        )
        conversation.case = case
        if conversation.state == ConversationState.ESCALATING:
            conversation.state = ConversationState.WAITING_FOR_HUMAN
        conversation.save(update_fields=["case", "state", "updated_at"])
        auto_assign_locked(conversation)
        _notify_team(conversation, case)
        fault_point("escalation.during_case_write", str(conversation_id))
        send_escalation_email.enqueue(conversation.pk)
        emit(
            ConversationChanged(conversation.visitor_id, conversation.agency_id, str(conversation.public_id))
        )
    fault_point("escalation.after_case_write", str(conversation_id))
    return case.pk


def describe_escalation_email(args: Any, kwargs: Any) -> dict[str, Any]:
    described = describe_escalation(args, kwargs)
    described["label"] = "Email the team: " + str(described.get("label", ""))
    return described


@durable_task(
    kind="support.escalation_email", queue="mail", max_attempts=8, describe=describe_escalation_email
)
def send_escalation_email(conversation_id: int) -> None:
    """Tell the answering team by email that someone is waiting (once per escalation).

    One email per active team member, each with its ``OutboundEmail`` record (idempotency key per
    conversation and member), so a retry after a partial failure mails only those not yet sent.
    Not exactly-once: a crash between an SMTP send and recording it sends that one again.
    """
    escalation = (
        Escalation.objects.select_related("conversation__agency", "conversation__visitor", "case")
        .filter(conversation_id=conversation_id)
        .first()
    )
    if escalation is None or escalation.notified_at is not None or escalation.case is None:
        return
    conversation, case = escalation.conversation, escalation.case
    members = list(
        User.objects.filter(
            memberships__agency_id=conversation.agency_id, memberships__is_active=True, is_active=True
        ).order_by("email")[:50]
    )
    if members:
        fault_point("escalation.before_email", str(conversation_id))
    context = {
        "who": conversation.visitor.display_name,
        "page_url": conversation.page_url,
        "subject": conversation.subject,
        "case_reference": case.reference,
        "conversation_url": settings.SITE_URL + reverse("support:conversation", args=[conversation.pk]),
    }
    for user in members:
        row = record_outbound_email(
            f"support_escalation:{conversation.pk}:{user.pk}",
            kind=EmailKind.SUPPORT_ESCALATION,
            agency_id=conversation.agency_id,
            case=case,
            user=user,
            to_address=user.email,
        )
        if row.sent_at is not None:
            continue
        email = build_email(
            "support/emails/escalation",
            to=[user.email],
            context=context,
            headers={
                "Message-ID": row.rfc_message_id,
                "Auto-Submitted": "auto-generated",
                "X-Casedesk-Conversation": str(conversation.pk),
            },
        )
        deliver(row, email)
    Escalation.objects.filter(pk=escalation.pk, notified_at__isnull=True).update(notified_at=timezone.now())


def _open_case(conversation: Conversation) -> Case:
    agency = conversation.agency
    client = support_client_for(agency, conversation.requesting_agency)
    subject = conversation.subject or "Support chat"
    title = f"Support chat: {subject}"
    if conversation.requesting_agency is not None:
        title = f"{conversation.requesting_agency.name}: {subject}"
    case = do_create_case(
        agency=agency,
        client=client,
        title=title[:200],
        members=[conversation.assignee] if conversation.assignee else [],
        source=CaseSource.SUPPORT_CHAT,
    )
    _post_transcript(conversation, case)
    return case


def _post_transcript(conversation: Conversation, case: Case) -> None:
    """The transcript opens the case; the files sent in the chat so far ride on it (into the
    case's Documents), like its lines. A message carries at most ``MAX_FILES_PER_MESSAGE``
    files, so a chat with more continues in further "files from the chat" messages."""
    from casedesk.support.actions import link_case_documents, open_conversation_files

    pending = list(ConversationFile.objects.filter(conversation=conversation, case_document__isnull=True))
    batches = [pending[i : i + MAX_FILES_PER_MESSAGE] for i in range(0, len(pending), MAX_FILES_PER_MESSAGE)]
    for index, batch in enumerate(batches or [[]]):
        body = transcript_markdown(conversation) if index == 0 else "More files from the support chat."
        with open_conversation_files(batch) as uploads:
            message = do_post_message(case=case, body=body, files=uploads, source=MessageSource.SUPPORT_CHAT)
        link_case_documents(batch, message.documents.order_by("id"))


def _notify_team(conversation: Conversation, case: Case) -> None:
    """An in-app notification for each active team member of the desk that must answer."""
    user_ids = list(
        Membership.objects.filter(
            agency_id=conversation.agency_id, is_active=True, user__is_active=True
        ).values_list("user_id", flat=True)
    )
    who = (
        conversation.requesting_agency.name
        if conversation.requesting_agency
        else conversation.visitor.display_name
    )
    url = reverse("support:conversation", args=[conversation.pk])
    Notification.objects.bulk_create(
        [
            Notification(
                user_id=user_id,
                agency_id=conversation.agency_id,
                kind=NotificationKind.SUPPORT,
                case=case,
                text=f"{who} is waiting for a person in the support chat."[:300],
                url=url,
            )
            for user_id in user_ids
        ]
    )
    emit(NotificationsChanged(user_ids=tuple(sorted(set(user_ids)))))
