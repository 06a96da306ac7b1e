"""Cases and their threads: messages, revisions, documents, mentions, notifications."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Max
from django.utils.functional import cached_property

from casedesk.accounts.models import Agency, Client, Contact


class CaseStatus(models.TextChoices):
    OPEN = "open", "Open"
    WAITING = "waiting", "Waiting"
    CLOSED = "closed", "Closed"


class CaseSource(models.TextChoices):
    MANUAL = "manual", "Manual"
    EMAIL = "email", "Email"
    SUPPORT_CHAT = "support_chat", "Support chat"


class Case(models.Model):
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="cases")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="cases")
    # Per-agency sequential number; shown as the reference "case-<number>" in subjects.
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    source = models.CharField(max_length=20, choices=CaseSource.choices, default=CaseSource.MANUAL)
    contacts = models.ManyToManyField(Contact, through="CaseContact", related_name="cases")
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="assigned_cases")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    last_message_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agency", "number"], name="case_number_per_agency")]
        indexes = [models.Index(fields=["agency", "status", "-updated_at"])]

    def __str__(self) -> str:
        return f"{self.reference}: {self.title}"

    @property
    def reference(self) -> str:
        return f"case-{self.number}"

    @cached_property
    def contact_rows(self) -> list[CaseContact]:
        """The case's contacts with their email preference, by name: the case header (one query)."""
        return list(CaseContact.objects.filter(case=self).select_related("contact").order_by("contact__name"))

    @staticmethod
    def next_number(agency: Agency) -> int:
        current = Case.objects.filter(agency=agency).aggregate(m=Max("number"))["m"]
        return (current or 0) + 1


class EmailPreference(models.TextChoices):
    """How a contact wants email about one case (chosen from the link in every email)."""

    EVERY = "every", "Every message as it comes"
    DIGEST = "digest", "Messages posted close together in one email"
    NONE = "none", "No email (the portal or your link still shows the conversation)"


class CaseContact(models.Model):
    """A contact on a case. Deleting the row revokes the contact's magic links and reply addresses."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="case_contacts")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="case_contacts")
    # False for a support-chat visitor on their escalated case: the support app emails them a
    # person's unseen replies itself, so the per-message client notification would be a second email.
    email_notifications = models.BooleanField(default=True)
    added_at = models.DateTimeField(auto_now_add=True)
    email_preference = models.CharField(
        max_length=10, choices=EmailPreference.choices, default=EmailPreference.DIGEST
    )
    # When the contact last had the thread open (portal or magic link): the read state behind
    # ``cases.access.contact_has_seen`` until per-message seen receipts replace it.
    last_viewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "contact"], name="contact_once_per_case")]

    @property
    def email_preference_label(self) -> str:
        return {"every": "every message", "digest": "digests", "none": "no email"}.get(
            self.email_preference, self.email_preference
        )


class MessageSource(models.TextChoices):
    WEB = "web", "Web"
    EMAIL = "email", "Email"
    API = "api", "API"
    SUPPORT_CHAT = "support_chat", "Support chat"
    SYSTEM = "system", "System"


class Message(models.Model):
    """One post in a case thread.

    Exactly one author: a user (team member or portal client) and/or the contact they act as.
    ``author_contact`` is set for every client-authored message (portal, magic link, email),
    so "is this from the client?" is ``author_contact_id is not None``.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="messages")
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    body = models.TextField()
    body_html = models.TextField(blank=True)
    internal_only = models.BooleanField(default=False)
    source = models.CharField(max_length=20, choices=MessageSource.choices, default=MessageSource.WEB)
    # Who wrote it when the author is neither a user nor a contact: a support-chat visitor's
    # follow-up mirrored into the escalated case ("Ana Lima", "ana@example.com", "Visitor 1a2b3c4d").
    author_label = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    # Not stored: set by do_post_message / do_edit_message for the author's eyes only
    # ("Dave was not notified: ..."), one sentence per mention that notified nobody.
    mention_warnings: tuple[str, ...] = ()

    class Meta:
        indexes = [
            models.Index(fields=["case", "internal_only", "id"]),
            models.Index(fields=["case", "id"], name="message_case_id"),
        ]

    def __str__(self) -> str:
        return f"message {self.pk} on case {self.case_id}"

    @property
    def is_edited(self) -> bool:
        return self.edited_at is not None

    @property
    def is_from_client(self) -> bool:
        return self.author_contact_id is not None

    @property
    def author_name(self) -> str:
        if self.author_user is not None:
            return self.author_user.name or self.author_user.email
        if self.author_contact is not None:
            return self.author_contact.name
        return self.author_label or "casedesk"


class MessageRevision(models.Model):
    """The body as it was before an edit or delete, so history is kept."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="revisions")
    body = models.TextField()
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)


def document_upload_to(instance: Document, filename: str) -> str:
    # Never reuse the client's filename on disk: a random folder per file avoids collisions
    # and path tricks; the display name is kept in ``name``.
    return f"cases/{instance.case_id}/{secrets.token_hex(16)}/file"


class Document(models.Model):
    """A file on a case. Files attached to internal messages are internal."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="documents")
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="documents"
    )
    uploaded_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_by_contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    file = models.FileField(upload_to=document_upload_to, max_length=300)
    name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=120)
    internal_only = models.BooleanField(default=False)
    share_token = models.CharField(max_length=64, unique=True, default=secrets.token_urlsafe)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["case", "internal_only", "-created_at"])]

    def __str__(self) -> str:
        return self.name

    @property
    def uploader_name(self) -> str:
        if self.uploaded_by_user is not None:
            return self.uploaded_by_user.name or self.uploaded_by_user.email
        if self.uploaded_by_contact is not None:
            return self.uploaded_by_contact.name
        return "casedesk"


class Mention(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="mentions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["message", "user"], name="mention_once")]


class NotificationKind(models.TextChoices):
    MENTION = "mention", "Mention"
    CLIENT_REPLY = "client_reply", "Client reply"
    ASSIGNMENT = "assignment", "Assignment"
    SUPPORT = "support", "Support"
    SYSTEM = "system", "System"


class Notification(models.Model):
    """An in-app notification. Never collapsed: one row per event."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    # Who did it, for notifications with no message behind them (an assignment); None: the system.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.CharField(max_length=300)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "read_at", "-created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "message", "kind"],
                condition=models.Q(message__isnull=False),
                name="one_notification_per_message_kind",
            )
        ]


class MessageSeen(models.Model):
    """One person saw one client-visible message (read receipts; see ``casedesk.cases.seen``).

    The person is a client contact (portal account or magic link: the contact they act as) or a
    team member (``user``, with no contact). Rows are written only for messages a client may
    see, so read state never says anything about internal notes. Written when a thread page
    shows the message in a visible tab, never from email (no tracking pixels).
    """

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="seen_by")
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(contact__isnull=False, user__isnull=True)
                | models.Q(contact__isnull=True, user__isnull=False),
                name="message_seen_by_one_person",
            ),
            models.UniqueConstraint(
                fields=["contact", "message"],
                condition=models.Q(contact__isnull=False),
                name="message_seen_once_per_contact",
            ),
            models.UniqueConstraint(
                fields=["user", "message"],
                condition=models.Q(user__isnull=False),
                name="message_seen_once_per_user",
            ),
        ]

    def __str__(self) -> str:
        who = f"contact {self.contact_id}" if self.contact_id else f"user {self.user_id}"
        return f"message {self.message_id} seen by {who}"


class SavedReply(models.Model):
    """A reply the team wrote once and picks with ``/`` in any composer (issue 16 §4).

    Shared by the agency's team and never shown to a client: the list is read only through
    ``cases.access.visible_saved_replies``, which answers team viewers alone. The body may hold
    ``{{contact.first_name}}``, ``{{case.title}}`` and ``{{agent.first_name}}``, filled in by
    ``cases.saved_replies.fill`` when the reply is picked.
    """

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="saved_replies")
    title = models.CharField(max_length=80)
    body = models.TextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "title"], name="saved_reply_title_per_agency")
        ]
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title
