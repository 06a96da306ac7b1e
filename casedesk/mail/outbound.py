"""Outbound notification mail: who gets an email for what, and the tasks that send it.

``schedule_message_notifications`` and ``schedule_mention_email`` are called by
``casedesk.cases.actions`` inside the posting transaction. A new client-visible message
enqueues **one** durable task (ids only), ``send_message_notifications``, which works out the
recipients when it runs and sends all their emails over one SMTP connection; each mention
enqueues its own. A crash between "posted" and "queued" cannot happen and an SMTP outage only
delays mail: the jobs pipeline retries with backoff and, when attempts run out, the job shows
in Admin → Failed Jobs where it can be replayed.

Idempotency is per recipient: each email has its ``OutboundEmail`` row, found by a unique
``idempotency_key`` (``client_message:<message>:<contact>``, ...); a recipient whose row has
``sent_at`` is skipped, so a retry or a replay sends only what was not sent. The one step that
is not exactly-once is the window between the SMTP server accepting a message and the
``sent_at`` update after the batch (one UPDATE, milliseconds): a worker dying there sends
those emails again on retry, with the *same* Message-ID, which mail clients treat as the same
message.
"""

from __future__ import annotations

import contextlib
import logging
from base64 import urlsafe_b64encode
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from casedesk.accounts.access import is_active_team_member
from casedesk.accounts.actions import do_issue_magic_link, magic_link_url
from casedesk.accounts.models import Contact, MagicLink, Membership, User, hash_token
from casedesk.cases.access import client_visible_attachments, contact_has_seen, is_client_visible
from casedesk.cases.models import Case, CaseContact, Document, EmailPreference, Message, Notification
from casedesk.jobs import durable_task
from casedesk.mail import addresses, emails, preferences
from casedesk.mail.models import (
    DigestWindow,
    EmailKind,
    OutboundEmail,
    PendingNotification,
    PendingOutcome,
    ReplyToken,
)
from casedesk.mail.tokens import issue_reply_token

log = logging.getLogger(__name__)


# --- URLs -----------------------------------------------------------------------------------


def _url(name: str, args: list[Any]) -> str:
    return f"{settings.SITE_URL}{reverse(name, args=args)}"


def portal_conversation_url(case_id: int) -> str:
    return _url("portal:messages", [case_id])


def team_case_url(case_id: int) -> str:
    return _url("cases:messages", [case_id])


def notification_settings_url() -> str:
    return _url("settings:profile", [])


def document_share_url(document: Document) -> str:
    """The share link: it opens the file only for someone with access to the case, checked per fetch."""
    return _url("cases:document_share", [document.share_token])


MAGIC_LINK_REUSE_WINDOW_SECONDS = 3600


def _magic_link_window() -> tuple[int, int]:
    """(index, length) of the current reuse window for notification magic links.

    One hour, or a tenth of the link lifetime when that is shorter, so a link in an email is
    always usable for at least 90% of MAGIC_LINK_TTL_SECONDS after the email is sent.
    """
    length = max(1, min(MAGIC_LINK_REUSE_WINDOW_SECONDS, settings.MAGIC_LINK_TTL_SECONDS // 10))
    return int(timezone.now().timestamp()) // length, length


def _derived_magic_token(contact_id: int, case_id: int, window: int) -> str:
    """The magic-link token for (contact, case) in one reuse window: 256 bits keyed with SECRET_KEY.

    Deriving it (as reply tokens are derived) lets every notification in the same window carry
    the same link without storing the raw token: the next email finds the row by its hash
    instead of inserting a new link each time.
    """
    digest = salted_hmac(
        "casedesk.mail.notification_magic_link", f"{contact_id}:{case_id}:{window}", algorithm="sha256"
    ).digest()
    return urlsafe_b64encode(digest).decode().rstrip("=")


def _magic_link_urls(contacts: list[Contact], case: Case) -> dict[int, str]:
    """A usable magic-link URL per contact, reusing the link issued in the current window.

    One SELECT for all the contacts; a link is issued (``do_issue_magic_link``) only for a
    contact without a usable one in this window, so at most once an hour per contact and case.
    A link revoked in this window (the contact left the case and came back) is never reused:
    the contact gets a fresh random one.
    """
    if not contacts:
        return {}
    window, length = _magic_link_window()
    tokens = {c.pk: _derived_magic_token(c.pk, case.pk, window) for c in contacts}
    hashes = {hash_token(t): contact_id for contact_id, t in tokens.items()}
    min_expiry = timezone.now() + timedelta(seconds=settings.MAGIC_LINK_TTL_SECONDS - 2 * length)
    found = {
        hashes[link.token_hash]: link
        for link in MagicLink.objects.filter(token_hash__in=list(hashes), case=case)
    }
    urls: dict[int, str] = {}
    for contact in contacts:
        link = found.get(contact.pk)
        if link is not None and link.contact_id == contact.pk:
            if link.revoked_at is None and link.expires_at > min_expiry:
                urls[contact.pk] = magic_link_url(tokens[contact.pk])
                continue
            urls[contact.pk] = do_issue_magic_link(contact=contact, case=case).url
            continue
        try:  # do_issue_magic_link is atomic: a conflict rolls back only its own insert
            urls[contact.pk] = do_issue_magic_link(contact=contact, case=case, token=tokens[contact.pk]).url
        except IntegrityError:
            # Another worker issued this window's link a moment ago: it is the same token.
            urls[contact.pk] = magic_link_url(tokens[contact.pk])
    return urls


# --- Scheduling (inside the posting transaction) ------------------------------------------------


def schedule_message_notifications(message: Message) -> None:
    """Enqueue the notification emails of a new message: one task for all its recipients.

    Who gets mail is decided when the task runs (``send_message_notifications``): clients,
    every contact on the case except the author, for client-visible messages only; team,
    members on the case, for client messages, when they want ``email_on_client_reply``.
    Internal notes enqueue nothing.
    """
    if not is_client_visible(message):
        return
    send_message_notifications.enqueue(message.pk)


def schedule_mention_email(notification: Notification) -> None:
    """Enqueue the mention email, unless the person turned mention emails off."""
    user = notification.user
    if not user.is_active or not user.email_on_mention:
        return
    send_mention_email.enqueue(notification.pk)


# --- Sending -----------------------------------------------------------------------------------


def _describe_message(args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    message = Message.objects.select_related("case").filter(pk=int(args[0]) if args else 0).first()
    if message is None:
        return {"tenant_id": None, "label": f"Email about message {args[0] if args else '?'}", "url": ""}
    return {
        "tenant_id": message.case.agency_id,
        "label": f"Email about a message on {message.case.reference}",
        "url": reverse("cases:detail", args=[message.case_id]),
    }


def _describe_notification(args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    notification = Notification.objects.filter(pk=int(args[0]) if args else 0).first()
    if notification is None:
        return {"tenant_id": None, "label": "Mention email", "url": ""}
    return {"tenant_id": notification.agency_id, "label": "Mention email", "url": notification.url}


def record_outbound_email(key: str, **fields: Any) -> OutboundEmail:
    """The email's ``OutboundEmail`` row for ``key``, created on first use (a retry finds it)."""
    row, _ = OutboundEmail.objects.get_or_create(
        idempotency_key=key, defaults={"rfc_message_id": addresses.message_id(key), **fields}
    )
    return row


def deliver(row: OutboundEmail, email: EmailMultiAlternatives) -> None:
    """Send and record. Raises on failure so the jobs pipeline retries (see module docstring)."""
    OutboundEmail.objects.filter(pk=row.pk).update(attempts=row.attempts + 1, subject=email.subject[:300])
    try:
        email.send()
    except Exception as error:
        OutboundEmail.objects.filter(pk=row.pk).update(last_error=repr(error)[:2000])
        raise
    OutboundEmail.objects.filter(pk=row.pk).update(sent_at=timezone.now(), last_error="")


def _attachment_links(message: Message) -> list[emails.Link]:
    if getattr(message, "has_shared_files", True) is False:
        return []  # known from the message's own query (most messages carry no files)
    links = []
    for document in client_visible_attachments(message).order_by("pk"):
        links.append(emails.Link(label=document.name, url=document_share_url(document)))
    return links


@dataclass
class _Outgoing:
    """One recipient's email of a message: its record (unsaved when new) and how to build it."""

    row: OutboundEmail
    build: Callable[[str], EmailMultiAlternatives]  # rfc Message-ID -> the email
    email: EmailMultiAlternatives | None = None


def _message_fields(message: Message) -> dict[str, Any]:
    """What every recipient's email of ``message`` says about the message and its case."""
    case = message.case
    return {
        "agency_name": case.agency.name,
        "case_reference": case.reference,
        "case_title": case.title,
        "case_id": case.pk,
        "author_name": message.author_name,
        # A client's message names the client's company; the team's, the agency.
        "author_organisation": case.client.name if message.author_contact_id else case.agency.name,
        "body_text": message.body,
        "body_html": message.body_html,
        "attachments": _attachment_links(message),
    }


def _new_row(message: Message, kind: str, to_address: str, **recipient: Any) -> OutboundEmail:
    """The unsaved record of ``message``'s email of ``kind`` to one recipient (contact= or user=).

    Its idempotency key is ``<kind>:<message id>:<recipient id>``, as the per-recipient tasks
    used, so a retry or replay of either task finds the same row.
    """
    (person,) = recipient.values()
    return OutboundEmail(
        kind=kind,
        idempotency_key=f"{kind}:{message.pk}:{person.pk}",
        agency_id=message.case.agency_id,
        case=message.case,
        message=message,
        to_address=to_address,
        **recipient,
    )


def _reply_addresses(contacts: list[Contact], case: Case) -> dict[int, str]:
    """Each contact's reply address on the case: one SELECT, issuing only missing or expired ones."""
    current = {
        t.contact_id: t
        for t in ReplyToken.objects.active().filter(case=case, contact_id__in=[c.pk for c in contacts])
    }
    addresses = {}
    for contact in contacts:
        token = current.get(contact.pk)
        if token is None or token.is_expired:
            token = issue_reply_token(contact=contact, case=case)
        addresses[contact.pk] = token.address
    return addresses


def _resume(outgoing: list[_Outgoing]) -> list[_Outgoing]:
    """The emails still to send when some of their rows exist; records the new attempt."""
    keys = [o.row.idempotency_key for o in outgoing]
    existing = {r.idempotency_key: r for r in OutboundEmail.objects.filter(idempotency_key__in=keys)}
    missing = [o for o in outgoing if o.row.idempotency_key not in existing]
    if missing:
        with transaction.atomic():  # a conflict here (a third run racing) fails this attempt
            OutboundEmail.objects.bulk_create([o.row for o in missing])
    pending = list(missing)
    for item in outgoing:
        row = existing.get(item.row.idempotency_key)
        if row is None or row.sent_at is not None:
            continue
        item.row = row
        item.email = item.build(row.rfc_message_id)
        OutboundEmail.objects.filter(pk=row.pk).update(
            attempts=F("attempts") + 1, subject=item.email.subject[:300]
        )
        pending.append(item)
    return pending


def _send_all(outgoing: list[_Outgoing]) -> None:
    """Record and send every email over one SMTP connection; idempotent per recipient.

    The first run inserts every recipient's row (``attempts=1``) in one statement before
    anything is sent. When some rows exist already (a retry, a replay, or another run of the
    same job), it starts from those rows instead: recipients already sent are skipped (nobody
    is mailed twice), the others are sent again with the Message-ID fixed at their first
    attempt. Each sent email's row gets ``sent_at`` in one UPDATE after the batch, each failed
    one its ``last_error``; any failure raises after the others were sent, so the job retries
    just the unsent ones.
    """
    if not outgoing:
        return
    for item in outgoing:
        item.row.rfc_message_id = addresses.message_id(item.row.idempotency_key)
        item.row.attempts = 1
        item.email = item.build(item.row.rfc_message_id)
        item.row.subject = item.email.subject[:300]
    try:
        with transaction.atomic():
            OutboundEmail.objects.bulk_create([item.row for item in outgoing])
        pending = outgoing
    except IntegrityError:
        pending = _resume(outgoing)
    if not pending:
        return
    sent: list[int] = []
    first_error: Exception | None = None
    connection = get_connection()
    try:
        connection.open()
        for item in pending:
            assert item.email is not None
            item.email.connection = connection
            try:
                item.email.send()
            except Exception as error:
                first_error = first_error or error
                OutboundEmail.objects.filter(pk=item.row.pk).update(last_error=repr(error)[:2000])
            else:
                sent.append(item.row.pk)
    except Exception as error:  # the connection could not be opened: nothing was sent
        first_error = first_error or error
        unsent = [item.row.pk for item in pending if item.row.pk not in sent]
        OutboundEmail.objects.filter(pk__in=unsent).update(last_error=repr(error)[:2000])
    finally:
        with contextlib.suppress(Exception):
            connection.close()
        if sent:
            OutboundEmail.objects.filter(pk__in=sent).update(sent_at=timezone.now(), last_error="")
    if first_error is not None:
        raise first_error


def _message_for_mail(message_id: int) -> Message | None:
    """The message if it may still be mailed: it exists, is client-visible and not deleted."""
    shared_files = client_visible_attachments(OuterRef("pk"))
    # By primary key, so no ORDER BY/LIMIT of .first() to compile: at most one row comes back.
    rows = list(
        Message.objects.select_related(
            "case", "case__agency", "case__client", "author_user", "author_contact"
        )
        .annotate(has_shared_files=Exists(shared_files))
        .filter(pk=message_id)
    )
    message = rows[0] if rows else None
    if message is None or not is_client_visible(message):
        return None
    return message


def _client_recipients(message: Message, contact_ids: list[int] | None) -> QuerySet[CaseContact]:
    """The contacts on the case to email about ``message``: all but its author and those who chose none.

    ``contact_ids`` narrows it to those contacts (jobs queued per recipient before digests);
    a contact no longer on the case gets nothing either way.
    """
    rows = (
        CaseContact.objects.filter(case_id=message.case_id, email_notifications=True)
        .exclude(email_preference=EmailPreference.NONE)
        .select_related("contact__user")
        .order_by("pk")
    )
    if message.author_contact_id is not None:
        rows = rows.exclude(contact_id=message.author_contact_id)
    if contact_ids is not None:
        rows = rows.filter(contact_id__in=contact_ids)
    return rows


def _client_emails(message: Message, contact_ids: list[int] | None) -> list[_Outgoing]:
    """The client notification of ``message``, one email per recipient (``_client_recipients``)."""
    return _client_emails_to(message, [row.contact for row in _client_recipients(message, contact_ids)])


def _client_emails_to(message: Message, contacts: list[Contact]) -> list[_Outgoing]:
    case = message.case
    if not contacts:
        return []
    reply_to = _reply_addresses(contacts, case)
    portal = {c.pk: c.has_portal_access for c in contacts}
    magic = _magic_link_urls([c for c in contacts if not portal[c.pk]], case)
    fields = _message_fields(message)

    def builder(contact: Contact) -> Callable[[str], EmailMultiAlternatives]:
        def build(rfc_message_id: str) -> EmailMultiAlternatives:
            uses_magic_link = not portal[contact.pk]
            return emails.client_message(
                to=contact.email,
                message_id=rfc_message_id,
                contact_name=contact.name,
                conversation_url=magic[contact.pk] if uses_magic_link else portal_conversation_url(case.pk),
                reply_to=reply_to[contact.pk],
                uses_magic_link=uses_magic_link,
                preferences_url=preferences.preferences_url(contact.pk, case.pk),
                **fields,
            )

        return build

    return [
        _Outgoing(
            row=_new_row(message, EmailKind.CLIENT_MESSAGE, contact.email, contact=contact),
            build=builder(contact),
        )
        for contact in contacts
    ]


def _team_client_reply_emails(message: Message, user_ids: list[int] | None) -> list[_Outgoing]:
    """The client-reply email of ``message`` to each active team member on the case who wants it."""
    if message.author_contact_id is None:
        return []
    case = message.case
    active = Membership.objects.filter(agency_id=case.agency_id, is_active=True).values("user_id")
    users = case.members.filter(pk__in=active, is_active=True, email_on_client_reply=True).order_by("pk")
    if user_ids is not None:
        users = users.filter(pk__in=user_ids)
    recipients = list(users)
    if not recipients:
        return []
    fields = _message_fields(message)

    def builder(user: User) -> Callable[[str], EmailMultiAlternatives]:
        def build(rfc_message_id: str) -> EmailMultiAlternatives:
            return emails.team_client_reply(
                to=user.email,
                message_id=rfc_message_id,
                user_name=user.name,
                case_url=team_case_url(case.pk),
                settings_url=notification_settings_url(),
                **fields,
            )

        return build

    return [
        _Outgoing(
            row=_new_row(message, EmailKind.TEAM_CLIENT_REPLY, user.email, user=user),
            build=builder(user),
        )
        for user in recipients
    ]


# --- Digests ---------------------------------------------------------------------------------


def _split_by_delivery(message: Message) -> tuple[list[Contact], list[CaseContact]]:
    """(contacts to email now, contacts whose email waits for a digest window) for ``message``.

    Now: the agency's window is 0, or the contact chose every message. A contact already
    mailed about this message one way is never mailed the other way (a preference or window
    changed between two runs of the task must not send it twice). One query.
    """
    rows = list(
        _client_recipients(message, None).annotate(
            in_digest=Exists(
                PendingNotification.objects.filter(message_id=message.pk, contact_id=OuterRef("contact_id"))
            ),
            mailed_now=Exists(
                OutboundEmail.objects.filter(
                    kind=EmailKind.CLIENT_MESSAGE, message_id=message.pk, contact_id=OuterRef("contact_id")
                )
            ),
        )
    )
    minutes = message.case.agency.email_digest_minutes
    now: list[Contact] = []
    digest_rows: list[CaseContact] = []
    for row in rows:
        if row.in_digest:  # type: ignore[attr-defined]
            continue
        if row.mailed_now or minutes == 0 or row.email_preference == EmailPreference.EVERY:  # type: ignore[attr-defined]
            now.append(row.contact)
        else:
            digest_rows.append(row)
    return now, digest_rows


class _WindowClosed(Exception):
    """The window closed between finding it and joining it: join (or open) the next one."""


def _queue_in_digests(message: Message, rows: list[CaseContact]) -> None:
    """Put ``message`` in each contact's open digest window, opening one (and its task) if needed.

    Each (message, contact) gets one ``PendingNotification`` (unique), in one transaction with
    the windows and their delayed ``send_client_digest`` tasks, so none exists without the
    others. The open windows are locked (``FOR UPDATE`` on PostgreSQL) while the items join
    them, and re-checked still open after the insert (SQLite serialises writers, so the check
    after our first write is stable): the digest task closes its window under the same lock
    before it reads the items, so an item never joins a window whose email is already built.
    A conflict (another run of this task, or a window closing in between) starts over.
    """
    if not rows:
        return
    minutes = message.case.agency.email_digest_minutes
    contact_ids = [row.contact_id for row in rows]
    for _attempt in range(5):
        try:
            with transaction.atomic():
                queued = set(
                    PendingNotification.objects.filter(
                        message=message, contact_id__in=contact_ids
                    ).values_list("contact_id", flat=True)
                )
                todo = [c for c in contact_ids if c not in queued]
                if not todo:
                    return
                windows = {
                    w.contact_id: w
                    for w in DigestWindow.objects.select_for_update().filter(
                        case_id=message.case_id, contact_id__in=todo, closed_at__isnull=True
                    )
                }
                now = timezone.now()
                for contact_id in todo:
                    if contact_id not in windows:
                        window = DigestWindow.objects.create(
                            case_id=message.case_id,
                            contact_id=contact_id,
                            opened_at=now,
                            due_at=now + timedelta(minutes=minutes),
                        )
                        send_client_digest.using(run_after=window.due_at).enqueue(window.pk)
                        windows[contact_id] = window
                PendingNotification.objects.bulk_create(
                    [PendingNotification(message=message, contact_id=c, window=windows[c]) for c in todo]
                )
                still_open = DigestWindow.objects.filter(
                    pk__in=[w.pk for w in windows.values()], closed_at__isnull=True
                ).count()
                if still_open != len(windows):
                    raise _WindowClosed
            return
        except (IntegrityError, _WindowClosed):
            continue  # another run opened a window or queued an item a moment ago, or one closed
    raise RuntimeError(f"Could not queue message {message.pk} in its digests; the task will retry.")


def _describe_window(args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    window = DigestWindow.objects.select_related("case").filter(pk=int(args[0]) if args else 0).first()
    if window is None:
        return {"tenant_id": None, "label": "Digest email", "url": ""}
    return {
        "tenant_id": window.case.agency_id,
        "label": f"Digest email on {window.case.reference}",
        "url": reverse("cases:detail", args=[window.case_id]),
    }


def _digest_messages(window: DigestWindow) -> tuple[list[Message], dict[str, list[int]]]:
    """The window's messages to mail now, oldest first, and the items left out by outcome.

    Re-read at send time through the access module: an edited message goes as edited; one made
    internal or deleted is withdrawn, as is everything when the contact left the case or chose
    no email; one the contact has seen (``contact_has_seen``) is left out.
    """
    items = list(
        window.items.filter(outcome=PendingOutcome.WAITING).order_by("message__created_at", "message_id")
    )
    left_out: dict[str, list[int]] = {PendingOutcome.SEEN: [], PendingOutcome.WITHDRAWN: []}
    row = CaseContact.objects.filter(case_id=window.case_id, contact_id=window.contact_id).first()
    if row is None or row.email_preference == EmailPreference.NONE:
        left_out[PendingOutcome.WITHDRAWN] = [item.pk for item in items]
        return [], left_out
    shared_files = client_visible_attachments(OuterRef("pk"))
    by_id = {
        m.pk: m
        for m in Message.objects.select_related("case", "case__agency", "author_user", "author_contact")
        .annotate(has_shared_files=Exists(shared_files))
        .filter(pk__in=[item.message_id for item in items])
    }
    chosen: list[Message] = []
    for item in items:
        message = by_id.get(item.message_id)
        if message is None or not is_client_visible(message):
            left_out[PendingOutcome.WITHDRAWN].append(item.pk)
        elif contact_has_seen(window.contact_id, message):
            left_out[PendingOutcome.SEEN].append(item.pk)
        else:
            chosen.append(message)
    return chosen, left_out


@durable_task(kind="mail.client_digest", queue="mail", max_attempts=8, describe=_describe_window)
def send_client_digest(window_id: int) -> None:
    """Send one contact the messages of one window in one email (one message: today's email). Idempotent.

    Exactly once per (message, contact): the message is in one window (unique item), the
    window's email has one ``OutboundEmail`` row (``client_digest:<window>``) whose ``sent_at``
    is set right after the SMTP server accepts it, and a run that finds it sent only settles
    the items. The one gap is the SMTP accept → ``sent_at`` commit (milliseconds): a worker
    killed there resends on retry, with the same Message-ID, which mail clients de-duplicate.
    """
    window = (
        DigestWindow.objects.select_related("case", "case__agency", "contact").filter(pk=window_id).first()
    )
    if window is None:
        return
    if window.closed_at is None:
        with transaction.atomic():  # waits for an item joining right now (row lock), then closes
            list(DigestWindow.objects.select_for_update().filter(pk=window.pk))
            DigestWindow.objects.filter(pk=window.pk, closed_at__isnull=True).update(closed_at=timezone.now())
    key = window.idempotency_key
    existing = OutboundEmail.objects.filter(idempotency_key=key).first()
    waiting = window.items.filter(outcome=PendingOutcome.WAITING)
    if existing is not None and existing.sent_at is not None:
        waiting.update(outcome=PendingOutcome.SENT)  # sent by a run that died before settling
        return
    chosen, left_out = _digest_messages(window)
    for outcome, item_ids in left_out.items():
        if item_ids:
            window.items.filter(pk__in=item_ids).update(outcome=outcome)
    if not chosen:
        return  # everything seen or withdrawn: no email
    case, contact = window.case, window.contact
    uses_magic_link = not contact.has_portal_access
    conversation_url = (
        _magic_link_urls([contact], case)[contact.pk] if uses_magic_link else portal_conversation_url(case.pk)
    )
    reply_to = _reply_addresses([contact], case)[contact.pk]
    prefs = preferences.preferences_url(contact.pk, case.pk)

    def build(rfc_message_id: str) -> EmailMultiAlternatives:
        if len(chosen) == 1:
            return emails.client_message(
                to=contact.email,
                message_id=rfc_message_id,
                contact_name=contact.name,
                conversation_url=conversation_url,
                reply_to=reply_to,
                uses_magic_link=uses_magic_link,
                preferences_url=prefs,
                **_message_fields(chosen[0]),
            )
        return emails.client_digest(
            to=contact.email,
            message_id=rfc_message_id,
            contact_name=contact.name,
            agency_name=case.agency.name,
            case_reference=case.reference,
            case_title=case.title,
            case_id=case.pk,
            entries=[
                emails.DigestEntry(
                    author_name=m.author_name,
                    created_at=m.created_at,
                    body_text=m.body,
                    body_html=m.body_html,
                    attachments=_attachment_links(m),
                )
                for m in chosen
            ],
            conversation_url=conversation_url,
            reply_to=reply_to,
            uses_magic_link=uses_magic_link,
            preferences_url=prefs,
        )

    row = OutboundEmail(
        kind=EmailKind.CLIENT_DIGEST,
        idempotency_key=key,
        agency_id=case.agency_id,
        case=case,
        message=chosen[-1],
        contact=contact,
        to_address=contact.email,
    )
    _send_all([_Outgoing(row=row, build=build)])
    window.items.filter(message_id__in=[m.pk for m in chosen], outcome=PendingOutcome.WAITING).update(
        outcome=PendingOutcome.SENT
    )


@durable_task(kind="mail.message_notifications", queue="mail", max_attempts=8, describe=_describe_message)
def send_message_notifications(message_id: int) -> None:
    """Email a new message to everyone it concerns, over one SMTP connection. Idempotent.

    Clients: every contact on the case except the author. Team: for a client's message, the
    members on the case who want client-reply emails. Everything is re-checked at send time: a
    message made internal or deleted since gets no mail, a contact who left the case none.
    """
    message = _message_for_mail(message_id)
    if message is None:
        return
    now, digest_rows = _split_by_delivery(message)
    _queue_in_digests(message, digest_rows)
    client = _client_emails_to(message, now)
    _send_all([*client, *_team_client_reply_emails(message, None)])


@durable_task(kind="mail.client_message", queue="mail", max_attempts=8, describe=_describe_message)
def send_client_message_email(message_id: int, contact_id: int) -> None:
    """Email a client-visible message to one contact on the case. Idempotent.

    Kept for jobs queued (and failed jobs replayed) from before ``send_message_notifications``;
    it sends exactly what that task sends to this contact.
    """
    message = _message_for_mail(message_id)
    if message is None:
        return
    _send_all(_client_emails(message, [contact_id]))


@durable_task(kind="mail.team_client_reply", queue="mail", max_attempts=8, describe=_describe_message)
def send_team_client_reply_email(message_id: int, user_id: int) -> None:
    """Tell a team member on the case that the client replied. Idempotent.

    Kept for jobs queued (and failed jobs replayed) from before ``send_message_notifications``.
    """
    message = _message_for_mail(message_id)
    if message is None:
        return
    _send_all(_team_client_reply_emails(message, [user_id]))


@durable_task(kind="mail.team_mention", queue="mail", max_attempts=8, describe=_describe_notification)
def send_mention_email(notification_id: int) -> None:
    """Email a mention to the teammate. Internal notes are announced, never quoted. Idempotent."""
    notification = (
        Notification.objects.select_related("user", "message", "message__case", "message__author_user")
        .filter(pk=notification_id)
        .first()
    )
    if notification is None or notification.message is None:
        return
    message, user = notification.message, notification.user
    case = message.case
    if (
        message.deleted_at is not None
        or not user.email_on_mention
        or not is_active_team_member(user, case.agency_id)
    ):
        return
    key = f"team_mention:{notification.pk}"
    row = record_outbound_email(
        key,
        kind=EmailKind.TEAM_MENTION,
        agency_id=case.agency_id,
        case=case,
        message=message,
        notification=notification,
        user=user,
        to_address=user.email,
    )
    if row.sent_at is not None:
        return
    email = emails.team_mention(
        to=user.email,
        message_id=row.rfc_message_id,
        user_name=user.name,
        case_reference=case.reference,
        case_title=case.title,
        case_id=case.pk,
        author_name=message.author_name,
        body_text=message.body,
        body_html=message.body_html,
        internal_only=message.internal_only,
        case_url=team_case_url(case.pk),
        settings_url=notification_settings_url(),
    )
    deliver(row, email)


def _describe_magic_link(args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    link = MagicLink.objects.select_related("case").filter(pk=int(args[0]) if args else 0).first()
    if link is None:
        return {"tenant_id": None, "label": "Fresh link email", "url": ""}
    return {
        "tenant_id": link.case.agency_id,
        "label": f"Fresh link email on {link.case.reference}",
        "url": reverse("cases:detail", args=[link.case_id]),
    }


@durable_task(kind="mail.fresh_magic_link", queue="mail", max_attempts=8, describe=_describe_magic_link)
def send_fresh_magic_link_email(link_id: int) -> None:
    """Email a fresh magic link (issued with ``derived=True``) to its contact's own address. Idempotent.

    The raw token never travels through the queue: it is derived again from the row with
    SECRET_KEY. Re-checked at send time: a link revoked or expired since, or a contact who left
    the case, gets no mail.
    """
    link = MagicLink.objects.select_related("contact", "case", "case__agency").filter(pk=link_id).first()
    if link is None or link.derived_token is None or not link.is_usable:
        return
    contact, case = link.contact, link.case
    if not CaseContact.objects.filter(case=case, contact=contact).exists():
        return
    row = record_outbound_email(
        f"fresh_magic_link:{link.pk}",
        kind=EmailKind.FRESH_MAGIC_LINK,
        agency_id=case.agency_id,
        case=case,
        contact=contact,
        to_address=contact.email,
    )
    if row.sent_at is not None:
        return
    email = emails.fresh_magic_link(
        to=row.to_address,
        message_id=row.rfc_message_id,
        contact_name=contact.name,
        agency_name=case.agency.name,
        case_title=case.title,
        url=magic_link_url(link.derived_token),
    )
    deliver(row, email)
