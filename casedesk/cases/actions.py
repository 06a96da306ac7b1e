"""THE write paths for cases. Views, the API, inbound email and the support widget all call these.

Each ``do_*`` runs in one transaction and says what happened by emitting the events of
``casedesk/cases/events.py`` (``casedesk.lib.events.emit``); it never imports a channel. The
mail app enqueues emails for them inside the same transaction (work that must not be lost),
the live app tells browsers after commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.core.files import File
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from casedesk.accounts.models import Agency, Client, Contact, MagicLink, Membership, User
from casedesk.cases.events import (
    CaseActivity,
    ContactLeftCase,
    DocumentStored,
    MentionNotified,
    MessagePosted,
    NotificationsChanged,
)
from casedesk.cases.models import (
    Case,
    CaseContact,
    CaseSource,
    CaseStatus,
    Document,
    EmailPreference,
    Mention,
    Message,
    MessageRevision,
    MessageSource,
    Notification,
    NotificationKind,
)
from casedesk.lib.errors import ActionError
from casedesk.lib.events import emit
from casedesk.lib.files import (
    human_size,
    is_over_upload_limit,
    size_over_limit,
    sniff_upload,
    upload_limit_bytes,
    upload_name,
    upload_size,
)
from casedesk.lib.markdown import mentioned_names, plain_excerpt, render_markdown

MAX_BODY_CHARS = 50_000
MAX_FILES_PER_MESSAGE = 20


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


def do_add_contact_to_case(*, case: Case, contact: Contact, email_notifications: bool = True) -> CaseContact:
    if contact.agency_id != case.agency_id:
        raise ValueError("The contact belongs to another agency.")
    row, _ = CaseContact.objects.get_or_create(
        case=case, contact=contact, defaults={"email_notifications": email_notifications}
    )
    return row


@transaction.atomic
def do_remove_contact_from_case(*, case: Case, contact: Contact) -> None:
    """Removing a contact revokes every way in they had: magic links and reply addresses."""
    CaseContact.objects.filter(case=case, contact=contact).delete()
    now = timezone.now()
    MagicLink.objects.filter(case=case, contact=contact, revoked_at__isnull=True).update(revoked_at=now)
    emit(ContactLeftCase(case=case, contact=contact))  # reply addresses (mail) go by the same rule


@transaction.atomic
def do_set_email_preference(*, case_contact: CaseContact, preference: str) -> CaseContact:
    """Set how one contact wants email about one case: every message, digests, or none."""
    if preference not in EmailPreference.values:
        raise ActionError(
            "Choose one of the three options: every message, digests, or no email.", field="preference"
        )
    if case_contact.email_preference != preference:
        case_contact.email_preference = preference
        case_contact.save(update_fields=["email_preference"])
    return case_contact


def do_record_thread_viewed(*, case: Case, contact: Contact) -> None:
    """Remember that the contact has the thread open now (the read state digests consult).

    One UPDATE; skipped when the last view was under a second ago (live pages refresh often).
    """
    now = timezone.now()
    CaseContact.objects.filter(case=case, contact=contact).exclude(
        last_viewed_at__gt=now - timedelta(seconds=1)
    ).update(last_viewed_at=now)


@transaction.atomic
def do_assign_case(*, case: Case, user: User, instead_of: User | None = None) -> Case:
    """Make ``user`` one of the case's assignees (``members``), replacing ``instead_of`` if given.

    Idempotent; the case must belong to an agency the user is on (the caller checks that).
    """
    if instead_of is not None and instead_of.pk != user.pk:
        case.members.remove(instead_of)
    case.members.add(user)
    Case.objects.filter(pk=case.pk).update(updated_at=timezone.now())
    return case


@transaction.atomic
def do_set_case_status(*, case: Case, status: str) -> Case:
    if status not in CaseStatus.values:
        raise ValueError(f"Unknown status {status!r}.")
    case.status = status
    case.closed_at = timezone.now() if status == CaseStatus.CLOSED else None
    case.save(update_fields=["status", "closed_at", "updated_at"])
    return case


_file_name = upload_name
_file_size = upload_size


def check_files(files: Sequence[File]) -> None:
    """Refuse files over the limit or empty, naming the file, its size and the limit.

    Called before anything is written, so a refused message leaves no trace.
    """
    if len(files) > MAX_FILES_PER_MESSAGE:
        raise ActionError(
            f"You attached {len(files)} files; a message can carry at most {MAX_FILES_PER_MESSAGE}. "
            "Send the rest in a second message.",
            code="too_many_files",
            field="files",
        )
    limit = upload_limit_bytes()
    for upload in files:
        name, size = _file_name(upload), _file_size(upload)
        if is_over_upload_limit(size):
            raise ActionError(
                f"“{name}” is {size_over_limit(size, limit)}; the limit is {human_size(limit)} per file. "
                "Nothing was sent: remove that file (or share a link to it) and send again.",
                code="file_too_large",
                field="files",
                status=413,
            )
        if size == 0:
            raise ActionError(
                f"“{name}” is empty (0 bytes), so it was not attached and nothing was sent. "
                "Choose the file again, or remove it.",
                code="file_empty",
                field="files",
            )


def clean_body(body: str | None) -> str:
    """The text as stored: trimmed, and without NUL characters (PostgreSQL text cannot hold them,
    and no person types one)."""
    return (body or "").replace("\x00", "").strip()


def check_body(text: str) -> None:
    if len(text) > MAX_BODY_CHARS:
        raise ActionError(
            f"This message is {len(text):,} characters long; the limit is {MAX_BODY_CHARS:,}. "
            "Split it into two messages or attach it as a file.",
            code="too_long",
            field="body",
        )


def _store_document(
    *,
    case: Case,
    upload: File,
    message: Message | None,
    uploaded_by_user: User | None,
    uploaded_by_contact: Contact | None,
    internal_only: bool,
) -> Document:
    name = _file_name(upload)
    document = Document(
        case=case,
        message=message,
        uploaded_by_user=uploaded_by_user,
        uploaded_by_contact=uploaded_by_contact,
        name=name,
        size=_file_size(upload),
        # From the bytes, never from the name or the browser's claim.
        content_type=sniff_upload(upload, name),
        internal_only=internal_only,
    )
    # Storage.save copies in chunks from the upload (a temp file above 256 KB): never all in memory.
    document.file.save("file", upload, save=False)
    document.save()
    emit(DocumentStored(document))  # search reads the text inside, once, in a job
    return document


@dataclass(frozen=True)
class MentionPlan:
    recipients: tuple[User, ...]
    warnings: tuple[str, ...]


def resolve_mentions(*, case: Case, text: str, author_user: User | None) -> MentionPlan:
    """Who each ``@**Name**`` in ``text`` should notify, and why the others notify nobody.

    Only active teammates of the case's agency can be mentioned. Warnings never reveal whether
    a person exists outside the agency (an outsider looks like a name nobody has).
    """
    names = mentioned_names(text)
    if not names:
        return MentionPlan((), ())
    team = list(Membership.objects.filter(agency_id=case.agency_id).select_related("user"))
    by_key: dict[str, Membership] = {}
    for membership in team:
        by_key.setdefault(membership.user.name.lower(), membership)
        by_key.setdefault(membership.user.email.lower(), membership)
    recipients: list[User] = []
    warnings: list[str] = []
    agency_name = case.agency.name
    for name in names:
        found = by_key.get(name.lower())
        if found is None:
            is_client = Contact.objects.filter(agency_id=case.agency_id, name__iexact=name).exists() or (
                "@" in name and Contact.objects.filter(agency_id=case.agency_id, email__iexact=name).exists()
            )
            if is_client:
                warnings.append(
                    f"{name} is a client, and clients cannot be mentioned, so nobody was notified. "
                    "Clients on the case see every message that is not internal."
                )
            else:
                warnings.append(
                    f"Nobody called “{name}” is on the {agency_name} team, so nobody was notified. "
                    "Pick a teammate from the list that appears when you type @."
                )
            continue
        user = found.user
        if not (found.is_active and user.is_active):
            warnings.append(
                f"{user.name} no longer has access to {agency_name} cases, so they were not notified."
            )
            continue
        if author_user is not None and user.pk == author_user.pk:
            continue  # no notification for mentioning yourself
        if user not in recipients:
            recipients.append(user)
    return MentionPlan(tuple(recipients), tuple(warnings))


def _case_activity(case_id: int, kind: str, payload: dict[str, object], *, internal_only: bool) -> None:
    emit(CaseActivity(case_id=case_id, kind=kind, payload=payload, internal_only=internal_only))


def _notifications_changed(user_ids: Iterable[int]) -> None:
    ids = tuple(sorted(set(user_ids)))
    if ids:
        emit(NotificationsChanged(user_ids=ids))


def do_notify(
    *,
    user: User,
    agency_id: int,
    kind: str,
    text: str,
    url: str = "",
    case: Case | None = None,
    actor: User | None = None,
) -> Notification:
    """One in-app notification that carries its own sentence (no message behind it), such as
    an assignment by ``actor`` (None: done by the system); the bell and the notifications page
    hear of it after commit."""
    notification = Notification.objects.create(
        user=user, agency_id=agency_id, kind=kind, case=case, text=text[:300], url=url, actor=actor
    )
    _notifications_changed([user.pk])
    return notification


def _message_url(message: Message) -> str:
    return reverse("cases:messages", args=[message.case_id]) + f"#m{message.pk}"


def _notification_text(prefix: str, case: Case, message: Message) -> str:
    return f"{prefix} {case.reference} “{case.title}”: {plain_excerpt(message.body, 120)}"[:300]


def _create_mentions(message: Message, plan: MentionPlan) -> list[Notification]:
    author = message.author_name
    case = message.case
    created: list[Notification] = []
    for user in plan.recipients:
        _, new_mention = Mention.objects.get_or_create(message=message, user=user)
        if not new_mention:
            continue
        notification, new_notification = Notification.objects.get_or_create(
            user=user,
            message=message,
            kind=NotificationKind.MENTION,
            defaults={
                "agency_id": case.agency_id,
                "case": case,
                "text": _notification_text(f"{author} mentioned you on", case, message),
                "url": _message_url(message),
            },
        )
        if new_notification:
            created.append(notification)
            emit(MentionNotified(notification))
    _notifications_changed(n.user_id for n in created)
    return created


def _notify_client_reply(message: Message) -> None:
    """Team members on the case get an in-app notification for each client reply.

    Only called for a message created in this transaction, so none of these notifications can
    exist yet: one INSERT for all of them (the unique constraint still guards the rule).
    """
    case = message.case
    # One join over the case's members table (no subquery, no user rows): active people with an
    # active membership of the case's agency (one membership per user and agency, so no repeats).
    member_ids = list(
        Case.members.through.objects.filter(
            case_id=case.pk,
            user__is_active=True,
            user__memberships__agency_id=case.agency_id,
            user__memberships__is_active=True,
        ).values_list("user_id", flat=True)
    )
    if not member_ids:
        return
    who = message.author_contact.name if message.author_contact else "The client"
    text = _notification_text(f"{who} replied on", case, message)
    url = _message_url(message)
    Notification.objects.bulk_create(
        [
            Notification(
                user_id=user_id,
                message=message,
                kind=NotificationKind.CLIENT_REPLY,
                agency_id=case.agency_id,
                case=case,
                text=text,
                url=url,
            )
            for user_id in member_ids
        ]
    )
    _notifications_changed(member_ids)


def _record_client_reply(case: Case, message: Message) -> bool:
    """Move the case's last message time for a client reply, reopening the case when it is not
    open. True when this reply is the one that reopened it.

    Conditional UPDATEs instead of locking the case row, so concurrent posts to one case do not
    queue behind each other: one statement when the case is open (the usual reply), and only
    the post whose UPDATE actually changed the status says it reopened the case.
    """
    when = message.created_at
    rows = Case.objects.filter(pk=case.pk)
    if rows.filter(status=CaseStatus.OPEN).update(last_message_at=when, updated_at=when):
        return False
    reopened = (
        rows.exclude(status=CaseStatus.OPEN).update(
            status=CaseStatus.OPEN, closed_at=None, last_message_at=when, updated_at=when
        )
        > 0
    )
    if reopened:
        case.status, case.closed_at = CaseStatus.OPEN, None
    else:  # another post reopened it between the two statements
        rows.update(last_message_at=when, updated_at=when)
    return reopened


def do_post_message(
    *,
    case: Case,
    body: str,
    author_user: User | None = None,
    author_contact: Contact | None = None,
    internal_only: bool = False,
    files: Sequence[File] = (),
    source: str = MessageSource.WEB,
    author_label: str = "",
) -> Message:
    """Post a message to a case thread. The one write path for every channel.

    Validates everything before writing, so a refused message leaves nothing behind; raises
    ActionError with a sentence for the author (empty, too long, file too large or empty).
    Clients (``author_contact`` set) can never post internal messages. ``author_label`` names
    an author who is neither a user nor a contact (a support-chat visitor); ignored otherwise.

    Closed cases: a client reply reopens the case (and a waiting case becomes open again), as
    people expect from a help desk; the team may still post to a closed case, which stays
    closed until someone reopens it.

    Side effects: client notification emails and mention emails are enqueued in this
    transaction; live events go out after commit. ``message.mention_warnings`` tells the
    author about mentions that notified nobody.
    """
    text = clean_body(body)
    uploads = [f for f in files if f is not None]
    if not text and not uploads:
        raise ActionError("Write a message or attach a file before sending.", code="empty", field="body")
    check_body(text)
    check_files(uploads)
    if author_contact is not None:
        internal_only = False
        if author_contact.agency_id != case.agency_id:
            raise ActionError("This contact is not on this case.", code="forbidden", status=403)
    # Everything above only validates, so the writes need no savepoint of their own when a caller
    # already holds a transaction (inbound email wraps this in its own savepoint): an error raised
    # here still rolls back the caller's savepoint or transaction, never half a message.
    with transaction.atomic(savepoint=False):
        message = Message.objects.create(
            case=case,
            author_user=author_user,
            author_contact=author_contact,
            body=text,
            body_html=render_markdown(text, hard_breaks=source == MessageSource.EMAIL),
            internal_only=internal_only,
            source=source,
            author_label="" if (author_user or author_contact) else author_label.strip()[:150],
        )
        documents = [
            _store_document(
                case=case,
                upload=upload,
                message=message,
                uploaded_by_user=author_user,
                uploaded_by_contact=author_contact,
                internal_only=internal_only,
            )
            for upload in uploads
        ]
        # Clients see last_message_at (portal lists); an internal note must not move it, not even its time.
        reopened = False
        if internal_only:
            Case.objects.filter(pk=case.pk).update(updated_at=message.created_at)
        elif author_contact is None:
            Case.objects.filter(pk=case.pk).update(
                last_message_at=message.created_at, updated_at=message.created_at
            )
        else:
            reopened = _record_client_reply(case, message)
        if author_contact is None and text:
            plan = resolve_mentions(case=case, text=text, author_user=author_user)
            _create_mentions(message, plan)
            message.mention_warnings = plan.warnings
        if author_contact is not None:
            _notify_client_reply(message)
        emit(MessagePosted(message))
        payload: dict[str, object] = {"case": case.pk, "message": message.pk}
        if documents:
            # The files share the message's visibility, so they ride on its event (the Documents
            # tab refreshes on a message.created that carries documents) instead of one
            # document.created each; do_upload_document still sends document.created.
            assert all(document.internal_only == message.internal_only for document in documents)
            payload["documents"] = [document.pk for document in documents]
        _case_activity(case.pk, "message.created", payload, internal_only=message.internal_only)
        if reopened:
            _case_activity(case.pk, "case.status", {"case": case.pk, "status": "open"}, internal_only=False)
        return message


def _check_author(message: Message, user: User) -> None:
    if message.author_user_id != user.pk:
        raise ActionError("You can only change messages you wrote.", code="not_author", status=403)
    if message.deleted_at is not None:
        raise ActionError(
            "This message was deleted, so it can no longer be changed.", code="deleted", status=409
        )


@transaction.atomic
def do_edit_message(*, message: Message, editor: User, body: str) -> Message:
    """Change a message's text. The previous text is kept as a MessageRevision.

    Only the author may edit. Newly mentioned teammates are notified (once per message).
    """
    message = Message.objects.select_for_update().select_related("case__agency").get(pk=message.pk)
    _check_author(message, editor)
    text = clean_body(body)
    if not text and not message.documents.exists():
        raise ActionError(
            "A message cannot be empty. Write something, or delete the message instead.",
            code="empty",
            field="body",
        )
    check_body(text)
    if text == message.body:
        return message
    MessageRevision.objects.create(message=message, body=message.body, edited_by=editor)
    message.body = text
    message.body_html = render_markdown(text, hard_breaks=message.source == MessageSource.EMAIL)
    message.edited_at = timezone.now()
    message.save(update_fields=["body", "body_html", "edited_at"])
    if message.author_contact_id is None and text:
        plan = resolve_mentions(case=message.case, text=text, author_user=editor)
        _create_mentions(message, plan)
        message.mention_warnings = plan.warnings
    _case_activity(
        message.case_id,
        "message.updated",
        {"case": message.case_id, "message": message.pk},
        internal_only=message.internal_only,
    )
    return message


@transaction.atomic
def do_delete_message(*, message: Message, actor: User) -> Message:
    """Hide a message (and its files) from the thread; its text is kept as a revision."""
    message = Message.objects.select_for_update().get(pk=message.pk)
    _check_author(message, actor)
    MessageRevision.objects.create(message=message, body=message.body, edited_by=actor)
    message.deleted_at = timezone.now()
    message.save(update_fields=["deleted_at"])
    _case_activity(
        message.case_id,
        "message.deleted",
        {"case": message.case_id, "message": message.pk},
        internal_only=message.internal_only,
    )
    return message


@transaction.atomic
def do_upload_document(
    *,
    case: Case,
    upload: File | None,
    uploaded_by_user: User | None = None,
    uploaded_by_contact: Contact | None = None,
    internal_only: bool = False,
) -> Document:
    """Add a file to the case's Documents without a message (Documents tab, API)."""
    if upload is None:
        raise ActionError("Choose a file to upload.", code="missing_file", field="file")
    check_files([upload])
    if uploaded_by_contact is not None:
        internal_only = False
    document = _store_document(
        case=case,
        upload=upload,
        message=None,
        uploaded_by_user=uploaded_by_user,
        uploaded_by_contact=uploaded_by_contact,
        internal_only=internal_only,
    )
    _case_activity(
        case.pk, "document.created", {"case": case.pk, "document": document.pk}, internal_only=internal_only
    )
    return document


@transaction.atomic
def do_mark_notification_read(*, notification: Notification) -> Notification:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
        _notifications_changed([notification.user_id])
    return notification


@transaction.atomic
def do_mark_all_notifications_read(*, user: User) -> int:
    count = Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())
    if count:
        _notifications_changed([user.pk])
    return count
