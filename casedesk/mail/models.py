"""The email loop's records: reply addresses, sent mail, received mail, captured dev mail."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from base64 import b32encode
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from casedesk.accounts.models import Agency, Contact
from casedesk.cases.models import Case, Message, Notification
from casedesk.mail.addresses import reply_address

REPLY_TOKEN_TTL_DAYS = 180


def new_salt() -> str:
    return secrets.token_hex(16)


def hash_reply_token(token: str) -> str:
    return hashlib.sha256(token.strip().lower().encode()).hexdigest()


class ReplyTokenQuerySet(models.QuerySet["ReplyToken"]):
    def active(self) -> ReplyTokenQuerySet:
        return self.filter(revoked_at__isnull=True)


class ReplyToken(models.Model):
    """The reply address ``reply+<token>@INBOUND_EMAIL_DOMAIN`` of one contact on one case.

    Only ``token_hash`` (SHA-256) identifies the address on the way in. The raw token is
    derived when an email is built: HMAC-SHA256(SECRET_KEY, "<id>:<salt>"), 160 bits in
    lowercase base32 (safe for mail systems that lowercase local parts). A copy of the
    database alone cannot produce a working address. Revoked when the contact leaves the
    case; expires after REPLY_TOKEN_TTL_DAYS, after which the next email issues a new one.
    """

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="reply_tokens")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="reply_tokens")
    salt = models.CharField(max_length=32, default=new_salt)
    token_hash = models.CharField(max_length=64, unique=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = ReplyTokenQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["contact", "case"],
                condition=models.Q(revoked_at__isnull=True),
                name="one_active_reply_token_per_contact_case",
            )
        ]

    def __str__(self) -> str:
        return f"reply token of contact {self.contact_id} on case {self.case_id}"

    @property
    def raw_token(self) -> str:
        digest = hmac.new(
            settings.SECRET_KEY.encode(), f"reply-token:{self.pk}:{self.salt}".encode(), hashlib.sha256
        ).digest()
        return b32encode(digest[:20]).decode().lower()

    @property
    def address(self) -> str:
        return reply_address(self.raw_token)

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @staticmethod
    def default_expiry() -> datetime:
        return timezone.now() + timedelta(days=REPLY_TOKEN_TTL_DAYS)


class EmailKind(models.TextChoices):
    CLIENT_MESSAGE = "client_message", "New message (to a client contact)"
    TEAM_CLIENT_REPLY = "team_client_reply", "Client reply (to a team member)"
    TEAM_MENTION = "team_mention", "Mention (to a team member)"
    BOUNCE = "bounce", "Reply not posted (to the sender)"
    ATTACHMENT_TOO_LARGE = "attachment_too_large", "Attachment too large (to the sender)"
    FRESH_MAGIC_LINK = "fresh_magic_link", "Fresh link to a case (to a contact)"
    SUPPORT_ESCALATION = "support_escalation", "Someone waiting in the support chat (to the team)"
    CLIENT_DIGEST = "client_digest", "New messages, batched (to a client contact)"


class OutboundEmail(models.Model):
    """One email to one recipient. ``idempotency_key`` is unique: a retried task finds the row.

    ``rfc_message_id`` is ours (``<...@INBOUND_EMAIL_DOMAIN>``) and is fixed before the first
    attempt, so a resend after a crash carries the same Message-ID and threads (and is
    de-duplicated by most mail clients). Replies are matched against it.
    """

    kind = models.CharField(max_length=30, choices=EmailKind.choices)
    idempotency_key = models.CharField(max_length=200, unique=True)
    agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.CASCADE, related_name="outbound_emails"
    )
    notification = models.ForeignKey(
        Notification, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_address = models.EmailField()
    subject = models.CharField(max_length=300, blank=True)
    rfc_message_id = models.CharField(max_length=250, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.kind} to {self.to_address}"


class DigestWindow(models.Model):
    """The batching window of one contact on one case: messages posted until ``due_at`` share an email.

    At most one open window per (contact, case) (unique while ``closed_at`` is null). The first
    client-visible message opens it and enqueues ``send_client_digest`` delayed to ``due_at``;
    that task closes it (under a row lock) before it reads the window's items, so a message
    either joins a window before it closes or opens the next one.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    opened_at = models.DateTimeField()
    due_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["contact", "case"],
                condition=models.Q(closed_at__isnull=True),
                name="one_open_digest_window_per_contact_case",
            )
        ]

    def __str__(self) -> str:
        return f"digest window {self.pk} of contact {self.contact_id} on case {self.case_id}"

    @property
    def idempotency_key(self) -> str:
        return f"client_digest:{self.pk}"


class PendingOutcome(models.TextChoices):
    WAITING = "", "Waiting for its window"
    SENT = "sent", "Sent in the window's email"
    SEEN = "seen", "Seen by the contact first: left out"
    WITHDRAWN = "withdrawn", "Made internal, deleted, or no longer for this contact: left out"


class PendingNotification(models.Model):
    """One client-visible message waiting to be mailed to one contact in a digest.

    Unique per (message, contact): a message joins at most one window per contact, so it is in at
    most one digest email; ``outcome`` says what became of it.
    """

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    window = models.ForeignKey(DigestWindow, on_delete=models.CASCADE, related_name="items")
    created_at = models.DateTimeField(auto_now_add=True)
    outcome = models.CharField(max_length=10, choices=PendingOutcome.choices, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["message", "contact"], name="one_pending_notification_per_message_contact"
            )
        ]

    def __str__(self) -> str:
        return f"message {self.message_id} for contact {self.contact_id} ({self.outcome or 'waiting'})"


class InboundSource(models.TextChoices):
    SMTP = "smtp", "SMTP server"
    WEBHOOK = "webhook", "Provider webhook"
    IMPORT = "import", "Imported file"


class InboundStatus(models.TextChoices):
    RECEIVED = "received", "Received, waiting to be processed"
    POSTED = "posted", "Posted to the thread"
    QUARANTINED = "quarantined", "Quarantined"
    AUTOMATED = "automated", "Automatic mail: recorded, not posted or answered"
    LOOP = "loop", "Our own mail coming back: recorded"
    BOUNCED = "bounced", "Not posted; the sender was told why"
    DUPLICATE = "duplicate", "Duplicate of mail already posted"
    RATE_LIMITED = "rate_limited", "Over the rate limit: recorded, not posted"
    REJECTED = "rejected", "Rejected from quarantine"


class MatchedRule(models.TextChoices):
    NONE = "", "None"
    TOKEN = "token", "Reply address token"
    IN_REPLY_TO = "in_reply_to", "In-Reply-To header"
    REFERENCES = "references", "References header"
    SUBJECT_TAG = "subject_tag", "Subject tag"
    MANUAL = "manual", "Attached by a person"


class InboundEmail(models.Model):
    """A received email. The raw bytes are stored before anything else happens to them.

    ``posted_message_id`` is set (to the mail's Message-ID) only when the mail is posted; its
    unique constraint is what makes the same Message-ID post once, whoever processes it.
    """

    source = models.CharField(max_length=10, choices=InboundSource.choices)
    provider = models.CharField(max_length=30, blank=True)
    raw = models.BinaryField()
    envelope_from = models.CharField(max_length=320, blank=True)
    envelope_to = models.JSONField(default=list)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Filled in by processing.
    status = models.CharField(max_length=20, choices=InboundStatus.choices, default=InboundStatus.RECEIVED)
    reason = models.CharField(max_length=300, blank=True)
    message_id_header = models.CharField(max_length=300, blank=True, db_index=True)
    from_address = models.CharField(max_length=320, blank=True, db_index=True)
    from_name = models.CharField(max_length=200, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    matched_rule = models.CharField(max_length=20, choices=MatchedRule.choices, blank=True)
    agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound_emails"
    )
    posted_message_id = models.CharField(max_length=300, null=True, blank=True, unique=True)
    full_text = models.TextField(blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    errors = models.TextField(blank=True)
    # Quarantine resolution.
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["agency", "status", "-received_at"]),
            models.Index(fields=["from_address", "received_at"]),
        ]

    def __str__(self) -> str:
        return f"inbound {self.pk} from {self.from_address or self.envelope_from} ({self.status})"


class CapturedEmail(models.Model):
    """Outbound mail caught by the dev mailbox backend (demo/debug only).

    ``agency`` and ``recipient_user`` say whose mail it is, worked out when it is captured (see
    ``casedesk.mail.devmailbox``); ``casedesk.mail.access.visible_captured_emails`` reads them.
    """

    from_address = models.CharField(max_length=320)
    to_addresses = models.JSONField(default=list)
    reply_to = models.CharField(max_length=400, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    message_id = models.CharField(max_length=300, blank=True)
    text = models.TextField(blank=True)
    html = models.TextField(blank=True)
    raw = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # The agency the mail was sent for (from its OutboundEmail record); None for personal mail
    # such as a password reset, which only its recipient (and platform staff) may read.
    agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    # The account the mail was addressed to, when there is one (a portal client, a teammate).
    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    def __str__(self) -> str:
        return f"captured mail to {', '.join(self.to_addresses)}: {self.subject}"
