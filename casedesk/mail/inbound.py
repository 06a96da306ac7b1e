"""Inbound email: store the raw bytes first, then process them in a durable task.

Processing, in order (each step records its outcome on the ``InboundEmail`` row):

1. **Noise and loops**: our own notifications coming back (our Message-ID domain or the
   ``X-Casedesk-Notification`` header), delivery-status reports (``multipart/report``),
   ``Auto-Submitted`` other than ``no``, ``X-Autoreply``/``X-Autorespond``, ``Precedence:
   bulk/junk/list`` and a null return path are recorded and never posted or answered.
2. **Duplicates**: a Message-ID that was already posted is recorded as a duplicate. The
   unique ``posted_message_id`` column makes this hold under concurrency too.
3. **Rate limits** per sender address and per agency (rolling hour).
4. **Threading**: the ``reply+<token>@`` address first, then In-Reply-To / References
   against Message-IDs we sent, then the ``[case-N]`` subject tag. The rule is recorded.
5. **Sender check**: From must be the token's contact or another contact on the case, and a
   trusted ``Authentication-Results`` must not say ``dmarc=fail``; otherwise the mail is
   quarantined for the agency. From a contact of *another* agency it is bounced instead, so
   one tenant never sees mail meant for another. Untrusted Authentication-Results are ignored.
6. **Post** the new text (quotes and signature stripped; the full text kept) with
   attachments through ``do_post_message``; files over the limit are noted in the thread
   and the sender is told by email.

Unknown, expired and revoked reply addresses get a bounce that says why; the mail is kept.
"""

from __future__ import annotations

import email
import functools
import logging
import re
from dataclasses import dataclass, field
from datetime import timedelta
from email import headerregistry, policy
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from typing import Any, cast

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from casedesk.accounts.models import Contact
from casedesk.cases.models import Case, CaseContact, MessageSource
from casedesk.jobs import durable_task
from casedesk.lib.errors import ActionError
from casedesk.mail import emails
from casedesk.mail.addresses import case_id_from_thread_root, is_ours, token_from_address
from casedesk.mail.models import (
    EmailKind,
    InboundEmail,
    InboundSource,
    InboundStatus,
    MatchedRule,
    OutboundEmail,
    ReplyToken,
)
from casedesk.mail.replyparse import ParsedReply, extract_reply, extract_reply_from_html, unflow
from casedesk.mail.tokens import look_up_token

log = logging.getLogger(__name__)

SENDER_LIMIT_PER_HOUR = int(getattr(settings, "INBOUND_SENDER_LIMIT_PER_HOUR", 60))
AGENCY_LIMIT_PER_HOUR = int(getattr(settings, "INBOUND_AGENCY_LIMIT_PER_HOUR", 2000))
BOUNCES_PER_ADDRESS_PER_HOUR = 5

_SUBJECT_TAG = re.compile(r"\[case-(\d{1,9})\]", re.IGNORECASE)

BOUNCE_REASONS = {
    "unknown": (
        "The address you replied to is not a reply address we know. Reply to the most recent "
        "email about your case, or open the conversation from its “View the conversation” link."
    ),
    "expired": (
        "The reply address you used has expired. Reply to the most recent email about your case, "
        "or open the conversation from its “View the conversation” link."
    ),
    "revoked": (
        "The reply address you used no longer works because you are no longer on this case. "
        "If you think this is a mistake, ask your contact at the agency to add you again."
    ),
    "not_on_case": (
        "You are no longer on this case, so your reply was not posted. "
        "If you think this is a mistake, ask your contact at the agency to add you again."
    ),
    "foreign": (
        "This reply address belongs to a conversation you are not part of, so your email was not "
        "posted. Reply from the address the conversation was sent to, or reply to your own emails."
    ),
    "no_match": (
        "We could not tell which conversation this email belongs to. Reply to an email about your "
        "case (keep the reply address as it is), or open the conversation from its link."
    ),
}


# --- Receiving ------------------------------------------------------------------------------------


def receive_email(
    raw: bytes,
    *,
    source: str,
    provider: str = "",
    envelope_from: str | None = None,
    envelope_to: list[str] | None = None,
) -> InboundEmail:
    """Store the raw message and enqueue its processing, in one transaction.

    ``envelope_from`` is the SMTP MAIL FROM ("" for the null sender ``<>``); None when unknown.
    """
    with transaction.atomic():
        row = InboundEmail.objects.create(
            source=source,
            provider=provider,
            raw=raw,
            envelope_from="<unknown>" if envelope_from is None else (envelope_from or "<>"),
            envelope_to=list(envelope_to or []),
        )
        process_inbound_email.enqueue(row.pk)
    return row


# --- Reading a message ------------------------------------------------------------------------------


_HEADER_REGISTRY = headerregistry.HeaderRegistry()


@functools.lru_cache(maxsize=2048)
def _parsed_header(name: str, value: str) -> Any:
    return _HEADER_REGISTRY(name, value)


class _ReusingHeaderRegistry(headerregistry.HeaderRegistry):
    """``policy.default``'s header objects, reused for the same (name, value).

    The standard library builds a new header object (a full RFC 5322 parse) on every read: one
    message reads its parts' Content-Type some twenty times while parsing and walking it, and
    every reply carries the same ``text/plain; charset="utf-8"``. Header objects are immutable,
    so sharing them changes nothing but the time (about 1.2 ms per inbound email, of ~2.8).
    Only short values are kept, so a huge header never sits in the cache.
    """

    def __call__(self, name: str, value: Any) -> Any:
        if isinstance(value, str) and len(value) <= 500:
            return _parsed_header(name, value)
        return super().__call__(name, value)


_POLICY = policy.default.clone(header_factory=_ReusingHeaderRegistry())


def parse_message(raw: bytes) -> EmailMessage:
    return cast(EmailMessage, email.message_from_bytes(raw, policy=_POLICY))


def _header(message: EmailMessage, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:  # a malformed header must not stop processing
        return ""
    return str(value).strip() if value is not None else ""


def _all_headers(message: EmailMessage, name: str) -> list[str]:
    try:
        return [str(v) for v in (message.get_all(name) or [])]
    except Exception:
        return []


def _ids(value: str) -> list[str]:
    return re.findall(r"<[^<>\s]+>", value or "")


def _decode_part(part: EmailMessage) -> str:
    try:
        return str(part.get_content())
    except (LookupError, UnicodeError, AssertionError):
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        return data.decode("utf-8", errors="replace")


def extract_body(message: EmailMessage) -> ParsedReply:
    """The reply text, from text/plain when there is one, else from HTML made safe as text."""
    plain = message.get_body(preferencelist=("plain",))
    if plain is not None:
        part = cast(EmailMessage, plain)
        text = _decode_part(part)
        if str(part.get_param("format") or "").lower() == "flowed":
            text = unflow(text, delete_space=str(part.get_param("delsp") or "").lower() == "yes")
        return extract_reply(text)
    html = message.get_body(preferencelist=("html",))
    if html is not None:
        return extract_reply_from_html(_decode_part(cast(EmailMessage, html)))
    return ParsedReply(text="", full="", had_quote=False)


@dataclass
class Attachment:
    name: str
    content: bytes = field(repr=False)

    @property
    def size(self) -> int:
        return len(self.content)


def extract_attachments(message: EmailMessage) -> list[Attachment]:
    found: list[Attachment] = []
    for part in message.iter_attachments():
        part = cast(EmailMessage, part)
        disposition = (part.get_content_disposition() or "").lower()
        if disposition == "inline" and part.get("Content-ID") and part.get_content_maintype() == "image":
            continue  # signature logos and inline images referenced by the HTML body
        if part.get_content_type() in ("message/delivery-status", "text/rfc822-headers"):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        if not data:
            continue
        name = part.get_filename() or f"attachment-{len(found) + 1}"
        found.append(Attachment(name=name.replace("/", "_").replace("\\", "_")[:200], content=data))
    return found


# --- Classification -------------------------------------------------------------------------------------


def automated_reason(row: InboundEmail, message: EmailMessage) -> tuple[str, str] | None:
    """(status, reason) when the mail is automatic or our own coming back; None for a person's mail."""
    message_id = _header(message, "Message-ID")
    if _header(message, emails.LOOP_HEADER) or (message_id and is_ours(message_id)):
        return InboundStatus.LOOP, "Our own notification came back."
    if message.get_content_type() == "multipart/report":
        return InboundStatus.AUTOMATED, "Delivery status report (bounce)."
    auto_submitted = _header(message, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted.split(";")[0].strip() != "no":
        return InboundStatus.AUTOMATED, f"Auto-Submitted: {auto_submitted[:60]}."
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Reply", "X-Autorespond-Sender"):
        if message.get(name) is not None:
            return InboundStatus.AUTOMATED, f"{name} header."
    precedence = _header(message, "Precedence").lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return InboundStatus.AUTOMATED, f"Precedence: {precedence}."
    return_path = _header(message, "Return-Path")
    if row.envelope_from == "<>" or return_path.replace(" ", "") == "<>":
        return InboundStatus.AUTOMATED, "Null return path (automatic mail)."
    sender = parseaddr(_header(message, "From"))[1].lower()
    if sender.split("@")[0] in ("mailer-daemon", "postmaster") and "report" in message.get_content_type():
        return InboundStatus.AUTOMATED, "Mail system report."
    return None


def dmarc_failed(message: EmailMessage) -> bool:
    """True when an Authentication-Results header from a trusted authserv-id says dmarc=fail.

    Headers from any other authserv-id are ignored: anyone can write one (RFC 8601 §5).
    """
    trusted = {value.lower() for value in settings.TRUSTED_AUTHSERV_IDS}
    for header in _all_headers(message, "Authentication-Results"):
        authserv_id = header.split(";", 1)[0].strip().split()[0].lower() if header.strip() else ""
        if authserv_id not in trusted:
            continue
        if re.search(r"\bdmarc\s*=\s*fail\b", header, re.IGNORECASE):
            return True
    return False


@dataclass
class Route:
    rule: str
    case: Case | None = None
    contact: Contact | None = None  # the contact the address or Message-ID was sent to
    token: ReplyToken | None = None
    bounce: str | None = None  # key of BOUNCE_REASONS
    contact_on_case: bool = False  # ``contact`` was found on ``case`` by this transaction already


def _recipients(row: InboundEmail, message: EmailMessage) -> list[str]:
    addresses = [a for a in row.envelope_to if a]
    for name in ("Delivered-To", "X-Original-To", "To", "Cc"):
        addresses += [addr for _, addr in getaddresses(_all_headers(message, name)) if addr]
    return addresses


def route(row: InboundEmail, message: EmailMessage, sender: str) -> Route:
    for address in _recipients(row, message):
        raw_token = token_from_address(address)
        if raw_token is None:
            continue
        lookup = look_up_token(raw_token)
        if lookup.state == "valid" and lookup.token is not None:
            return Route(
                MatchedRule.TOKEN, lookup.token.case, lookup.token.contact, lookup.token, contact_on_case=True
            )
        token = lookup.token
        return Route(
            MatchedRule.TOKEN,
            token.case if token else None,
            token.contact if token else None,
            token,
            bounce=lookup.state,
        )
    for rule, header in ((MatchedRule.IN_REPLY_TO, "In-Reply-To"), (MatchedRule.REFERENCES, "References")):
        for message_id in reversed(_ids(_header(message, header))):
            sent = (
                OutboundEmail.objects.select_related("case", "contact")
                .filter(rfc_message_id=message_id, case__isnull=False)
                .first()
            )
            if sent is not None:
                return Route(rule, sent.case, sent.contact)
            root_case_id = case_id_from_thread_root(message_id)
            if root_case_id is not None:
                case = Case.objects.filter(pk=root_case_id).first()
                if case is not None:
                    return Route(rule, case, None)
    tag = _SUBJECT_TAG.search(_header(message, "Subject"))
    if tag and sender:
        # Case numbers are per agency: the tag only counts on a case the sender is a contact of.
        cases = list(
            Case.objects.filter(
                number=int(tag.group(1)),
                case_contacts__contact__email__iexact=sender,
            ).distinct()[:2]
        )
        if len(cases) == 1:
            return Route(MatchedRule.SUBJECT_TAG, cases[0], None)
    return Route(MatchedRule.NONE, bounce="no_match")


def sender_contact(route_: Route, sender: str) -> Contact | None:
    """The contact on the case whose address is the From address (the token's own contact first)."""
    if route_.case is None or not sender:
        return None
    if (
        route_.contact is not None
        and route_.contact.email.lower() == sender
        and (
            route_.contact_on_case
            or CaseContact.objects.filter(case=route_.case, contact=route_.contact).exists()
        )
    ):
        return route_.contact
    row = (
        CaseContact.objects.select_related("contact")
        .filter(case=route_.case, contact__email__iexact=sender)
        .first()
    )
    return row.contact if row is not None else None


@dataclass(frozen=True)
class RecentMail:
    already_posted: bool  # a mail with this Message-ID was posted
    from_sender: int  # mail from this sender in the last hour (this one excluded)
    for_agency: int  # mail routed to this agency in the last hour (this one excluded)


def recent_mail(row: InboundEmail, *, agency_id: int | None) -> RecentMail:
    """The duplicate check and both hourly counts in one query (each part uses an index).

    Written as SQL through ``connection.cursor()`` (Django's documented raw-SQL API), with the
    table and column names read from the model's ``_meta`` (the documented Meta API): it runs for
    every inbound email, and the same aggregate built by the ORM (``aggregate(Count(...,
    filter=Q(...)))``) cost about 1.5 ms more CPU per email, ~10 % of the inbound process's CPU
    (issue 13; DEVELOPERS.md, known exceptions). tests/test_mail_recent_counts.py checks it against
    that ORM aggregate. ``COUNT(CASE ...)`` rather than ``FILTER`` so the statement reads the same
    on SQLite and PostgreSQL.
    """
    since = connection.ops.adapt_datetimefield_value(timezone.now() - timedelta(hours=1))
    column = _inbound_columns()
    recent = f"{column['received_at']} >= %s AND {column['id']} <> %s"
    parts: list[tuple[str, str, list[Any]]] = []  # (name, condition, params)
    if row.message_id_header:
        parts.append(("posted", f"{column['posted_message_id']} = %s", [row.message_id_header]))
    if row.from_address:
        parts.append(
            (
                "from_sender",
                f"({column['from_address']} = %s AND {recent})",
                [row.from_address, since, row.pk],
            )
        )
    if agency_id is not None:
        parts.append(("for_agency", f"({column['agency']} = %s AND {recent})", [agency_id, since, row.pk]))
    if not parts:
        return RecentMail(False, 0, 0)
    counts = ", ".join(f"COUNT(CASE WHEN {condition} THEN 1 END)" for _, condition, _ in parts)
    wanted = " OR ".join(condition for _, condition, _ in parts)
    params = [p for _, _, ps in parts for p in ps] * 2
    with connection.cursor() as cursor:
        # Only names from the model's metadata are joined into the text; every value is a parameter.
        sql = f"SELECT {counts} FROM {column['table']} WHERE {wanted}"  # noqa: S608
        cursor.execute(sql, params)
        values = dict(zip((name for name, _, _ in parts), cursor.fetchone(), strict=True))
    return RecentMail(
        already_posted=bool(values.get("posted")),
        from_sender=values.get("from_sender") or 0,
        for_agency=values.get("for_agency") or 0,
    )


@functools.cache
def _inbound_columns() -> dict[str, str]:
    """Quoted table and column names of ``InboundEmail``, from its ``_meta``."""
    quote = connection.ops.quote_name
    names = {"table": quote(InboundEmail._meta.db_table)}
    for name in ("id", "received_at", "posted_message_id", "from_address", "agency"):
        field = InboundEmail._meta.get_field(name)
        names[name] = quote(str(field.column))  # type: ignore[union-attr]
    return names


# --- Processing -------------------------------------------------------------------------------------


def _describe_inbound(args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    row = InboundEmail.objects.filter(pk=int(args[0]) if args else 0).only("agency_id", "subject").first()
    label = f"Inbound email {args[0] if args else '?'}"
    if row is not None and row.subject:
        label += f": {row.subject[:80]}"
    return {"tenant_id": row.agency_id if row else None, "label": label, "url": ""}


# Written once by ``receive_email`` and never changed: ``_finish`` leaves them out of its UPDATE,
# so the raw message (tens of KB, often MBs) is not sent back to the database with every outcome.
_RECEIVED_FIELDS = frozenset({"raw", "source", "provider", "envelope_from", "envelope_to", "received_at"})


def _processing_fields() -> list[str]:
    return [
        f.name
        for f in InboundEmail._meta.concrete_fields
        if not f.primary_key and f.name not in _RECEIVED_FIELDS
    ]


def _finish(row: InboundEmail, status: str, reason: str = "", **fields: Any) -> None:
    row.status = status
    row.reason = reason[:300]
    row.processed_at = timezone.now()
    for name, value in fields.items():
        setattr(row, name, value)
    row.save(update_fields=_processing_fields())


@durable_task(kind="mail.process_inbound", queue="inbound", max_attempts=5, describe=_describe_inbound)
def process_inbound_email(inbound_id: int) -> None:
    """Process one stored email. Idempotent: only a row still in RECEIVED is processed."""
    with transaction.atomic():
        # By primary key: no ORDER BY/LIMIT for ``.first()`` to add.
        row = next(iter(InboundEmail.objects.select_for_update().filter(pk=inbound_id)), None)
        if row is None or row.status != InboundStatus.RECEIVED:
            return
        _process(row)


def _process(row: InboundEmail) -> None:
    message = parse_message(bytes(row.raw))
    from_name, sender = parseaddr(_header(message, "From"))
    row.from_address = sender.lower()[:320]
    row.from_name = from_name[:200]
    row.subject = _header(message, "Subject")[:300]
    row.message_id_header = _header(message, "Message-ID")[:300]

    automated = automated_reason(row, message)
    if automated is not None:
        _finish(row, automated[0], automated[1])
        return
    # Routing only reads, so it goes first and the duplicate check and both rate limits take
    # one query; the outcomes are decided in the same order as ever: duplicate, sender limit,
    # routing (bounces), agency limit.
    found = route(row, message, row.from_address)
    recent = recent_mail(row, agency_id=found.case.agency_id if found.case is not None else None)
    if recent.already_posted:
        _finish(row, InboundStatus.DUPLICATE, "This Message-ID was already posted.")
        return
    if row.from_address and recent.from_sender >= SENDER_LIMIT_PER_HOUR:
        reason = f"More than {SENDER_LIMIT_PER_HOUR} emails from {row.from_address} in an hour."
        _finish(row, InboundStatus.RATE_LIMITED, reason)
        return

    row.matched_rule = found.rule
    if found.case is not None:
        row.case = found.case
        row.agency_id = found.case.agency_id
    if found.bounce is not None:
        _bounce(row, found.bounce)
        return
    assert found.case is not None
    if recent.for_agency >= AGENCY_LIMIT_PER_HOUR:
        reason = f"More than {AGENCY_LIMIT_PER_HOUR} emails for this agency in an hour."
        _finish(row, InboundStatus.RATE_LIMITED, reason)
        return

    contact = sender_contact(found, row.from_address)
    parsed = extract_body(message)
    row.full_text = parsed.full
    if contact is None:
        foreign = (
            Contact.objects.filter(email__iexact=row.from_address)
            .exclude(agency_id=found.case.agency_id)
            .exists()
            and not Contact.objects.filter(
                email__iexact=row.from_address, agency_id=found.case.agency_id
            ).exists()
        )
        if foreign:
            # Keep another tenant's contact's mail out of this agency's quarantine.
            row.agency = None
            row.case = None
            _bounce(row, "foreign")
            return
        _finish(
            row,
            InboundStatus.QUARANTINED,
            f"The sender {row.from_address or '(no address)'} is not a contact on {found.case.reference}.",
            contact=found.contact,
        )
        return
    if dmarc_failed(message):
        _finish(
            row,
            InboundStatus.QUARANTINED,
            "The sender's domain failed DMARC (Authentication-Results from a trusted server).",
            contact=contact,
        )
        return
    post_inbound(row, message, parsed, case=found.case, contact=contact)
    if found.token is not None:
        ReplyToken.objects.filter(pk=found.token.pk).update(last_used_at=timezone.now())


def post_inbound(
    row: InboundEmail, message: EmailMessage, parsed: ParsedReply, *, case: Case, contact: Contact
) -> None:
    """Post the reply as ``contact``; oversized files are noted in the thread and answered by email."""
    from casedesk.cases.actions import do_post_message
    from casedesk.lib.files import human_size, is_over_upload_limit, size_over_limit, upload_limit_bytes

    limit = upload_limit_bytes()
    attachments = extract_attachments(message)
    too_large = [a for a in attachments if is_over_upload_limit(a.size)]
    files = [ContentFile(a.content, name=a.name) for a in attachments if not is_over_upload_limit(a.size)]
    body = parsed.text
    if too_large:
        notes = "\n".join(
            f"- “{a.name}” ({size_over_limit(a.size, limit)}) was not added: "
            f"the limit is {human_size(limit)} per file. The sender was told by email."
            for a in too_large
        )
        body = f"{body}\n\n{notes}" if body else notes
    if not body.strip() and not files:
        body = "(This email had no text.)"
    try:
        with transaction.atomic():
            posted = do_post_message(
                case=case, body=body, author_contact=contact, files=files, source=MessageSource.EMAIL
            )
            _finish(
                row,
                InboundStatus.POSTED,
                "",
                contact=contact,
                message=posted,
                posted_message_id=row.message_id_header or None,
            )
    except IntegrityError:
        # The same Message-ID was posted by another worker a moment ago.
        row.refresh_from_db(fields=["status"])
        _finish(row, InboundStatus.DUPLICATE, "This Message-ID was already posted.", posted_message_id=None)
        return
    except ActionError as error:
        _finish(row, InboundStatus.QUARANTINED, f"Could not post: {error.message}", contact=contact)
        return
    if too_large:
        send_attachment_too_large_email.enqueue(row.pk)


def _bounce(row: InboundEmail, key: str) -> None:
    _finish(row, InboundStatus.BOUNCED, BOUNCE_REASONS[key])
    if row.from_address and not is_ours(row.from_address):
        send_bounce_email.enqueue(row.pk)


# --- Answers to the sender -----------------------------------------------------------------------


def _recent_bounces_to(address: str) -> int:
    since = timezone.now() - timedelta(hours=1)
    return OutboundEmail.objects.filter(
        to_address__iexact=address, kind=EmailKind.BOUNCE, created_at__gte=since
    ).count()


@durable_task(kind="mail.bounce", queue="mail", max_attempts=6, describe=_describe_inbound)
def send_bounce_email(inbound_id: int) -> None:
    """Tell the sender why their mail was not posted. Never for automatic mail; idempotent."""
    from casedesk.mail.outbound import deliver, record_outbound_email

    row = InboundEmail.objects.filter(pk=inbound_id, status=InboundStatus.BOUNCED).first()
    if row is None or not row.from_address:
        return
    key = f"bounce:{row.pk}"
    if (
        not OutboundEmail.objects.filter(idempotency_key=key).exists()
        and _recent_bounces_to(row.from_address) >= BOUNCES_PER_ADDRESS_PER_HOUR
    ):
        return  # something keeps writing to us: stop answering it
    outbound = record_outbound_email(
        key, kind=EmailKind.BOUNCE, agency_id=row.agency_id, to_address=row.from_address
    )
    if outbound.sent_at is not None:
        return
    deliver(
        outbound,
        emails.bounce(
            to=row.from_address,
            message_id=outbound.rfc_message_id,
            original_subject=row.subject or "(no subject)",
            original_message_id=row.message_id_header,
            reason=row.reason,
        ),
    )


@durable_task(kind="mail.attachment_too_large", queue="mail", max_attempts=6, describe=_describe_inbound)
def send_attachment_too_large_email(inbound_id: int) -> None:
    from casedesk.lib.files import human_size, is_over_upload_limit, size_over_limit, upload_limit_bytes
    from casedesk.mail.outbound import deliver, record_outbound_email
    from casedesk.mail.tokens import issue_reply_token

    row = InboundEmail.objects.select_related("case", "contact").filter(pk=inbound_id).first()
    if row is None or row.case is None or row.contact is None:
        return
    limit = upload_limit_bytes()
    names = [
        f"{a.name} ({size_over_limit(a.size, limit)})"
        for a in extract_attachments(parse_message(bytes(row.raw)))
        if is_over_upload_limit(a.size)
    ]
    if not names:
        return
    key = f"attachment_too_large:{row.pk}"
    outbound = record_outbound_email(
        key,
        kind=EmailKind.ATTACHMENT_TOO_LARGE,
        agency_id=row.agency_id,
        case=row.case,
        contact=row.contact,
        to_address=row.from_address,
    )
    if outbound.sent_at is not None:
        return
    on_case = CaseContact.objects.filter(case=row.case, contact=row.contact).exists()
    reply_to = issue_reply_token(contact=row.contact, case=row.case).address if on_case else None
    deliver(
        outbound,
        emails.attachment_too_large(
            to=row.from_address,
            message_id=outbound.rfc_message_id,
            original_subject=row.subject or "(no subject)",
            original_message_id=row.message_id_header,
            case_reference=row.case.reference,
            files=names,
            limit=human_size(limit),
            reply_to=reply_to,
        ),
    )


# --- Quarantine decisions (called by casedesk.mail.actions) --------------------------------------------


def post_quarantined(row: InboundEmail, *, case: Case, contact: Contact) -> None:
    message = parse_message(bytes(row.raw))
    post_inbound(row, message, extract_body(message), case=case, contact=contact)


def quarantine_queryset(agency_ids: list[int]) -> Any:
    return InboundEmail.objects.filter(
        Q(agency_id__in=agency_ids), status=InboundStatus.QUARANTINED
    ).order_by("-received_at")


def inbound_admin_url(row: InboundEmail) -> str:
    return reverse("mail:quarantine_detail", args=[row.pk])


__all__ = [
    "BOUNCE_REASONS",
    "InboundSource",
    "extract_attachments",
    "extract_body",
    "process_inbound_email",
    "receive_email",
]
