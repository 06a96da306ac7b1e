"""THE write paths for cases. Views, the API, inbound email and the support widget all call these.

Each ``do_*`` runs in one transaction and schedules side effects (live events, emails,
notifications) after commit; work that must not be lost is enqueued as a task inside the
same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.core.files import File
from django.db import transaction
from django.utils import timezone

from casedesk.accounts.models import Agency, Client, Contact, MagicLink, User
from casedesk.cases.models import Case, CaseContact, CaseSource, CaseStatus, Document, Message, MessageSource
from casedesk.lib.errors import ActionError
from casedesk.lib.markdown import render_markdown
from casedesk.live import publish as live_publish
from casedesk.mail import outbound as mail_outbound


@transaction.atomic
def do_create_case(
    *,
    agency: Agency,
    client: Client,
    title: str,
    contacts: Iterable[Contact] = (),
    members: Iterable[User] = (),
    source: str = CaseSource.MANUAL,
) -> Case:
    if client.agency_id != agency.pk:
        raise ValueError("The client belongs to another agency.")
    # Lock the agency row so two concurrent creations cannot pick the same case number.
    Agency.objects.select_for_update().filter(pk=agency.pk).first()
    case = Case.objects.create(
        agency=agency,
        client=client,
        title=title.strip()[:200],
        source=source,
        number=Case.next_number(agency),
    )
    for contact in contacts:
        do_add_contact_to_case(case=case, contact=contact)
    if members:
        case.members.add(*members)
    return case


def do_add_contact_to_case(*, case: Case, contact: Contact) -> CaseContact:
    if contact.agency_id != case.agency_id:
        raise ValueError("The contact belongs to another agency.")
    row, _ = CaseContact.objects.get_or_create(case=case, contact=contact)
    return row


@transaction.atomic
def do_remove_contact_from_case(*, case: Case, contact: Contact) -> None:
    """Removing a contact revokes every way in they had: magic links and reply addresses."""
    CaseContact.objects.filter(case=case, contact=contact).delete()
    now = timezone.now()
    MagicLink.objects.filter(case=case, contact=contact, revoked_at__isnull=True).update(revoked_at=now)
    # Reply addresses (mail app) are revoked by the same rule; imported lazily to keep the
    # dependency one-way (mail builds on cases).
    from casedesk.mail import tokens as mail_tokens

    mail_tokens.revoke_reply_tokens(case=case, contact=contact)


@transaction.atomic
def do_set_case_status(*, case: Case, status: str) -> Case:
    if status not in CaseStatus.values:
        raise ValueError(f"Unknown status {status!r}.")
    case.status = status
    case.closed_at = timezone.now() if status == CaseStatus.CLOSED else None
    case.save(update_fields=["status", "closed_at", "updated_at"])
    return case


@transaction.atomic
def do_post_message(
    *,
    case: Case,
    body: str,
    author_user: User | None = None,
    author_contact: Contact | None = None,
    internal_only: bool = False,
    files: Sequence[File] = (),
    source: str = MessageSource.WEB,
) -> Message:
    """Post a message to a case thread. The one write path for every channel.

    Clients (``author_contact`` set) can never post internal messages. Side effects: client
    notification emails are enqueued in this transaction; live events go out after commit.
    Raises ActionError for an empty message. (Minimal version; Case Messages extends it with
    mentions, size limits and type sniffing.)
    """
    text = (body or "").strip()
    if not text and not files:
        raise ActionError("Write a message or attach a file before sending.", code="empty", field="body")
    if author_contact is not None:
        internal_only = False
    message = Message.objects.create(
        case=case,
        author_user=author_user,
        author_contact=author_contact,
        body=text,
        body_html=render_markdown(text),
        internal_only=internal_only,
        source=source,
    )
    for upload in files:
        Document.objects.create(
            case=case,
            message=message,
            uploaded_by_user=author_user,
            uploaded_by_contact=author_contact,
            file=upload,
            name=(upload.name or "file").rsplit("/", 1)[-1][:255],
            size=upload.size or 0,
            content_type="application/octet-stream",
            internal_only=internal_only,
        )
    Case.objects.filter(pk=case.pk).update(last_message_at=message.created_at, updated_at=message.created_at)
    mail_outbound.schedule_message_notifications(message)
    transaction.on_commit(
        lambda: live_publish.publish_case_event(
            case.pk, "message.created", {"message_id": message.pk}, internal_only=message.internal_only
        )
    )
    return message
