"""Support chat: help centre articles, visitors, conversations, escalations, widget settings.

``HelpArticle`` is shared by the triage engine (support/triage/) and the help centre pages.

A conversation moves through explicit states::

    bot ──(explicit request / low confidence / "No, talk to a person")──▶ escalating
    escalating ──(escalate_conversation task opened the case)──▶ waiting_for_human
    waiting_for_human ──(a team member claims or replies)──▶ with_human
    any ──(close)──▶ closed ──(reopen / visitor writes again)──▶ bot or waiting_for_human

``escalating`` is the guarantee's marker: it is written in the same transaction as the
``Escalation`` row and the enqueued task, so a conversation in that state always has either a
live task or (when the reconciler finds none) a failed job.
"""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from casedesk.accounts.models import Agency, Client, Contact
from casedesk.lib.files import human_size, kind_of


class HelpArticle(models.Model):
    """A help-centre article in Markdown.

    ``agency`` is None for the platform's own articles (they answer agency-team questions);
    otherwise the article belongs to that agency and answers its customers' questions.
    """

    agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.CASCADE, related_name="help_articles"
    )
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=120)
    body = models.TextField(help_text="Markdown.")
    # One example question per line; they help triage match the way people actually ask.
    example_questions = models.TextField(blank=True)
    is_published = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "slug"], name="help_slug_per_agency"),
            models.UniqueConstraint(
                fields=["slug"], condition=models.Q(agency__isnull=True), name="help_slug_platform"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def example_question_list(self) -> list[str]:
        return [line.strip() for line in self.example_questions.splitlines() if line.strip()]


def new_identity_secret() -> str:
    return secrets.token_hex(32)


class WidgetSettings(models.Model):
    """Settings → Support Widget Visibility, one row per agency (created on first use).

    The master switch stays ``Agency.support_widget_for_customers`` (Settings → General); these
    rows only narrow where the widget may show once it is on.
    """

    agency = models.OneToOneField(Agency, on_delete=models.CASCADE, related_name="widget_settings")
    show_on_portal = models.BooleanField(default=True)
    show_on_storefront = models.BooleanField(default=True)
    # One pattern per line; ``*`` matches any run of characters. Matched against the full page
    # URL (scheme://host/path?query). Exclusions win over inclusions; an empty include list
    # means "every other page on an allowed origin".
    include_patterns = models.TextField(blank=True)
    exclude_patterns = models.TextField(blank=True)
    # Origins (scheme://host[:port]) of other websites allowed to embed the widget; one a line.
    allowed_origins = models.TextField(blank=True)
    # Shown to visitors after a handoff until there is enough history for a real median.
    expected_reply_minutes = models.PositiveIntegerField(default=60)
    # A person's reply the visitor has not seen in the widget after this long is emailed to the
    # address they left at the handover.
    unseen_reply_email_minutes = models.PositiveIntegerField(default=3)
    # Auto-assignment (support/assignment.py): each new escalation goes, round robin, to a team
    # member who marked themselves available and has fewer than ``auto_assign_cap`` open chats.
    auto_assign = models.BooleanField(default=False)
    # At most this many escalations per visitor in any hour (0: no limit); beyond it the
    # assistant says so instead of opening another case (actions._escalation_limit_sentence).
    escalations_per_visitor_hour = models.PositiveIntegerField(default=3)
    auto_assign_cap = models.PositiveIntegerField(default=3)
    # HMAC-SHA256 key for verified identities; shown to owners/admins on the settings page.
    identity_secret = models.CharField(max_length=64, default=new_identity_secret)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "widget settings"

    def __str__(self) -> str:
        return f"widget settings of {self.agency_id}"

    @staticmethod
    def _lines(text: str) -> list[str]:
        return [line.strip() for line in text.splitlines() if line.strip()]

    @property
    def include_list(self) -> list[str]:
        return self._lines(self.include_patterns)

    @property
    def exclude_list(self) -> list[str]:
        return self._lines(self.exclude_patterns)

    @property
    def allowed_origin_list(self) -> list[str]:
        return [origin.rstrip("/").lower() for origin in self._lines(self.allowed_origins)]


class Visitor(models.Model):
    """Someone who talks to an agency's widget.

    Known visitors carry ``user`` (signed in to casedesk: a team member asking the platform, or
    a portal client) or ``external_id`` (a verified identity passed by the agency's own site).
    Anonymous visitors are only their signed token in one browser's localStorage.
    """

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="support_visitors")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    external_id = models.CharField(max_length=200, blank=True)
    name = models.CharField(max_length=150, blank=True)
    email = models.EmailField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "user"], condition=models.Q(user__isnull=False), name="one_visitor_per_user"
            ),
            models.UniqueConstraint(
                fields=["agency", "external_id"],
                condition=~models.Q(external_id=""),
                name="one_visitor_per_external_id",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def is_known(self) -> bool:
        return self.user_id is not None or bool(self.external_id)

    @property
    def display_name(self) -> str:
        if self.name:
            return self.name
        if self.email:
            return self.email
        return f"Visitor {str(self.public_id)[:8]}"


class ConversationState(models.TextChoices):
    BOT = "bot", "With the bot"
    ESCALATING = "escalating", "Escalating"
    WAITING_FOR_HUMAN = "waiting_for_human", "Waiting for a person"
    WITH_HUMAN = "with_human", "With a person"
    CLOSED = "closed", "Closed"


# States in which the bot stays silent: a person owns the conversation (or is about to).
HUMAN_STATES = (
    ConversationState.ESCALATING,
    ConversationState.WAITING_FOR_HUMAN,
    ConversationState.WITH_HUMAN,
)
WAITING_STATES = (ConversationState.ESCALATING, ConversationState.WAITING_FOR_HUMAN)


class CsatRating(models.TextChoices):
    GOOD = "good", "Good"
    BAD = "bad", "Not good"


class Conversation(models.Model):
    """One chat between a visitor and an agency's widget (bot first, then a person)."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="support_conversations")
    # Set when the visitor is a team member of another agency asking the platform desk.
    requesting_agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.CASCADE, related_name="platform_conversations"
    )
    visitor = models.ForeignKey(Visitor, on_delete=models.CASCADE, related_name="conversations")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    state = models.CharField(max_length=20, choices=ConversationState.choices, default=ConversationState.BOT)
    subject = models.CharField(max_length=200, blank=True)
    page_url = models.CharField(max_length=1000, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="support_conversations"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    first_human_reply_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    last_visitor_message_at = models.DateTimeField(null=True, blank=True)
    # The team has read everything up to here; newer visitor messages are "unread".
    team_read_at = models.DateTimeField(null=True, blank=True)
    # Where a person's unseen reply is emailed (asked at the handover; a verified identity's
    # email fills it in). Unsubscribing (one click, RFC 8058) stops those emails.
    answer_email = models.EmailField(blank=True)
    answer_email_unsubscribed_at = models.DateTimeField(null=True, blank=True)
    # Satisfaction (issue 16 §5): asked once in the widget after the conversation closed.
    csat_rating = models.CharField(max_length=4, choices=CsatRating.choices, blank=True)
    csat_comment = models.TextField(max_length=1000, blank=True)
    csat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["agency", "state", "escalated_at"]),
            models.Index(fields=["visitor", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"conversation {self.pk} ({self.state})"

    @property
    def is_waiting(self) -> bool:
        return self.state in WAITING_STATES

    @property
    def has_unread(self) -> bool:
        if self.last_visitor_message_at is None:
            return False
        return self.team_read_at is None or self.last_visitor_message_at > self.team_read_at


class MessageKind(models.TextChoices):
    VISITOR = "visitor", "Visitor"
    BOT_ANSWER = "bot_answer", "Bot answer"
    BOT_NOTICE = "bot_notice", "Bot notice"
    AGENT = "agent", "Agent"
    SYSTEM = "system", "System"


class Feedback(models.TextChoices):
    HELPFUL = "helpful", "Yes, that answered it"
    NOT_HELPFUL = "not_helpful", "No, talk to a person"


class ConversationMessage(models.Model):
    """One line of the chat. Everything here is visible to the visitor: there are no internal
    lines in a conversation (internal notes live on the escalated case), so the widget transcript
    cannot leak them by construction."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(max_length=20, choices=MessageKind.choices)
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField()
    # Bot answers: which article answered, and the link shown with the snippet.
    article = models.ForeignKey(
        HelpArticle, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    article_url = models.CharField(max_length=500, blank=True)
    article_title = models.CharField(max_length=200, blank=True)
    score = models.FloatField(null=True, blank=True)
    feedback = models.CharField(max_length=20, choices=Feedback.choices, blank=True)
    # A visitor line the bot handled (a question for triage); feeds "questions asked".
    asked_bot = models.BooleanField(default=False)
    # When the widget, open, showed this line to the visitor (the widget reports it).
    seen_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["conversation", "id"])]

    def __str__(self) -> str:
        return f"{self.kind} message {self.pk} in conversation {self.conversation_id}"

    @property
    def file_notes(self) -> list[str]:
        """``(file: plan.pdf, 1.2 MB)`` for each file sent with this line (prefetch ``files``)."""
        return [f"(file: {sent.name}, {human_size(sent.size)})" for sent in self.files.all()]

    @property
    def author_label(self) -> str:
        if self.kind == MessageKind.VISITOR:
            return "You"
        if self.kind == MessageKind.AGENT and self.author_user is not None:
            return self.author_user.get_short_name()
        if self.kind in (MessageKind.BOT_ANSWER, MessageKind.BOT_NOTICE):
            return "Assistant"
        return "casedesk"


def conversation_file_upload_to(instance: ConversationFile, filename: str) -> str:
    # Never the sender's filename on disk (as case documents): a random folder per file.
    return f"support/{instance.conversation_id}/{secrets.token_hex(16)}/file"


class ConversationFile(models.Model):
    """A file sent in the chat, by the visitor or by a person of the team (issue 16 §2).

    Same rules as case files: at most ``MAX_ATTACHMENT_BYTES`` (``casedesk.cases.actions.
    check_files``), type sniffed from the bytes, always served inert. Like every conversation
    line it is visible to the visitor. Once the conversation has a case, each file is also
    copied into the case's Documents (``case_document``): files sent before the escalation
    ride on the transcript message, later ones on the mirrored line.
    """

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="files")
    message = models.ForeignKey(ConversationMessage, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(upload_to=conversation_file_upload_to, max_length=300)
    name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=120)
    case_document = models.ForeignKey(
        "cases.Document", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name

    @property
    def kind(self) -> str:
        """image, pdf, video or other (``lib.files.kind_of``), for the chip's icon."""
        return kind_of(self.content_type)


class EscalationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DONE = "done", "Case opened"


class Escalation(models.Model):
    """The record of a handoff. One per conversation, and at most one case per escalation.

    Written in the same transaction as the conversation's move to ``escalating`` and the
    enqueued ``support.escalate`` task; the task fills ``case`` exactly once.
    """

    conversation = models.OneToOneField(Conversation, on_delete=models.CASCADE, related_name="escalation")
    target_agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=40)
    detail = models.CharField(max_length=300, blank=True)
    status = models.CharField(
        max_length=10, choices=EscalationStatus.choices, default=EscalationStatus.PENDING
    )
    case = models.OneToOneField(
        "cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="support_escalation"
    )
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    # When the team's "someone is waiting" email went out (its own task; at most once per
    # escalation, except for a crash between sending and recording).
    notified_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"escalation of conversation {self.conversation_id} ({self.status})"


class SupportClient(models.Model):
    """Which Client of an agency holds its support-chat cases.

    ``requesting_agency`` is None for an agency's own anonymous/website visitors; on the
    platform agency there is one row (and Client) per agency whose team asked for help.
    """

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+")
    requesting_agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "requesting_agency"],
                condition=models.Q(requesting_agency__isnull=False),
                name="one_support_client_per_requesting_agency",
            ),
            models.UniqueConstraint(
                fields=["agency"],
                condition=models.Q(requesting_agency__isnull=True),
                name="one_visitor_support_client_per_agency",
            ),
        ]


class VisitorReplyEmail(models.Model):
    """The idempotency record of "a person answered you" emails: one per (reply, visitor).

    Written by the ``support.visitor_reply_email`` task in the transaction that sends, so a
    retry or a replay after a success finds it and sends nothing.
    """

    message = models.ForeignKey(ConversationMessage, on_delete=models.CASCADE, related_name="+")
    visitor = models.ForeignKey(Visitor, on_delete=models.CASCADE, related_name="+")
    to_address = models.EmailField()
    rfc_message_id = models.CharField(max_length=250)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "visitor"], name="one_reply_email_per_visitor"),
        ]

    def __str__(self) -> str:
        return f"reply email for message {self.message_id}"


class SupportAvailability(models.Model):
    """A team member's "available for support chats" switch in one agency, and when the round
    robin last gave them a conversation (the longest-waiting available person goes next)."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="support_availability")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    available = models.BooleanField(default=False)
    last_assigned_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "support availability"
        constraints = [
            models.UniqueConstraint(fields=["agency", "user"], name="support_availability_once_per_agency")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.agency_id}: {'available' if self.available else 'away'}"
