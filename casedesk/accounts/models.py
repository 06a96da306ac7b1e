"""Tenancy and people: agencies, users, memberships, clients, contacts, magic links."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from base64 import urlsafe_b64encode
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac

from casedesk.lib.business_hours import Schedule, ScheduleError

if TYPE_CHECKING:
    from casedesk.cases.models import Case


def contact_is_on_case(contact_id: int, case_id: int) -> bool:
    """Whether the contact is on the case (one query).

    Asked through the reverse relation of ``cases.CaseContact``: accounts sits below cases and
    knows it only by the string foreign key on ``MagicLink``, never by importing its code.
    """
    return Contact.objects.filter(pk=contact_id, case_contacts__case_id=case_id).exists()


def hash_token(token: str) -> str:
    """Tokens are stored as SHA-256 hex digests; the raw token only ever travels to its owner."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """A URL-safe token with 256 random bits (the issue asks for at least 128)."""
    return secrets.token_urlsafe(32)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("A user needs an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("is_platform_staff", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """One account. Team members, portal clients and platform staff are all users."""

    email = models.EmailField(unique=True)
    name = models.CharField(max_length=150)
    is_active = models.BooleanField(default=True)
    # Django admin access only; product permissions come from memberships and is_platform_staff.
    is_staff = models.BooleanField(default=False)
    is_platform_staff = models.BooleanField(
        default=False, help_text="Platform support staff: answer agencies' support questions."
    )
    email_on_mention = models.BooleanField(default=True)
    email_on_client_reply = models.BooleanField(default=True)
    # Settings → Your profile: the storage name of a 256 px square WebP ("people/<token>.webp");
    # empty for initials on a colour. The random token in the name is the photo's URL.
    photo = models.CharField(max_length=100, blank=True, default="")
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    def __str__(self) -> str:
        return self.name or self.email

    def get_full_name(self) -> str:
        return self.name

    def get_short_name(self) -> str:
        return self.name.split(" ")[0] if self.name else self.email


class Agency(models.Model):
    """The tenant. Every case, client and help article belongs to exactly one agency."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    brand_color = models.CharField(max_length=7, default="#4f46e5")
    # Settings → General → "Show support widget to customers". Off by default.
    support_widget_for_customers = models.BooleanField(default=False)
    # Settings → General: client-visible messages posted within this many minutes of the first
    # go to each contact in one email; 0 sends every message at once.
    email_digest_minutes = models.PositiveSmallIntegerField(default=2)
    # Settings → General → Business hours (``casedesk.lib.business_hours``): an IANA zone and one
    # interval per open weekday, {"0": ["09:00", "17:00"], ...}. Off = open all the time (the
    # hours are kept for when they are switched on again).
    business_hours_enabled = models.BooleanField(default=False)
    time_zone = models.CharField(max_length=64, default="UTC")
    business_hours = models.JSONField(default=dict, blank=True)
    # The platform's own support desk is an agency too: team escalations become its cases.
    is_platform = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "agencies"

    def __str__(self) -> str:
        return self.name

    def schedule(self) -> Schedule | None:
        """The support team's hours, or None when the agency keeps none (always open).

        Hours saved through Settings are valid; a row edited by hand into something unreadable
        counts as "always open" rather than breaking the widget and the queue.
        """
        if not self.business_hours_enabled or not self.business_hours:
            return None
        try:
            return Schedule.from_stored(self.time_zone, self.business_hours)
        except ScheduleError as exc:
            logging.getLogger(__name__).warning("Agency %s has unreadable business hours: %s", self.pk, exc)
            return None


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    MEMBER = "member", "Member"


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "agency"], name="one_membership_per_agency")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.agency} ({self.role})"

    @property
    def is_manager(self) -> bool:
        return self.role in (Role.OWNER, Role.ADMIN)


class Client(models.Model):
    """A company or person an agency works for."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="clients")
    name = models.CharField(max_length=160)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    """A person at a client. ``user`` is set when the contact has portal access."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="contacts")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=150)
    email = models.EmailField()
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "email"], name="one_contact_per_email_per_agency")
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    @property
    def has_portal_access(self) -> bool:
        return self.user_id is not None and self.user is not None and self.user.is_active


class MagicLinkQuerySet(models.QuerySet["MagicLink"]):
    def usable(self) -> MagicLinkQuerySet:
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


def derived_magic_token(salt: str) -> str:
    """The raw token of a link issued with ``token_salt``: 256 bits keyed with SECRET_KEY.

    Lets a durable email task (which takes ids, never secrets) rebuild the link it must send,
    while a copy of the database alone still cannot produce a working link.
    """
    digest = salted_hmac("casedesk.accounts.magic_link_salt", salt, algorithm="sha256").digest()
    return urlsafe_b64encode(digest).decode().rstrip("=")


class MagicLink(models.Model):
    """A single-case way in for a contact without portal access.

    The raw token is never stored; ``token_hash`` is its SHA-256. Scoped to one contact and one
    case, it expires and can be revoked; removing the contact from the case revokes it.

    The first browser to continue is bound to the link: ``browser_hash`` is the SHA-256 of a
    random secret kept in that browser's ``casedesk_browser`` cookie (HttpOnly, SameSite=Lax).
    Another browser with the same link is offered a fresh link by email instead of the case.
    """

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="magic_links")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="magic_links")
    token_hash = models.CharField(max_length=64, unique=True)
    # Set for links whose token is derived (``derived_magic_token``) so a task can email them.
    token_salt = models.CharField(max_length=32, blank=True, default="")
    browser_hash = models.CharField(max_length=64, blank=True, default="")
    bound_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = MagicLinkQuerySet.as_manager()

    def __str__(self) -> str:
        return f"magic link for {self.contact_id} on case {self.case_id}"

    @classmethod
    def issue(
        cls, contact: Contact, case: Case, token: str | None = None, *, derived: bool = False
    ) -> tuple[MagicLink, str]:
        """Create a link and return it with the raw token (shown once, in the email).

        ``token`` is passed by callers that derive a secret token with SECRET_KEY (HMAC) instead of
        fresh randomness: the demo data command, so it prints the same working link on every run,
        and notification email (``mail.outbound``), which reuses one link per contact, case and
        hour. ``derived=True`` derives the token from a random salt stored on the row, for links
        a durable task emails (``derived_token``). Only the token's hash is stored either way.
        """
        salt = secrets.token_hex(16) if derived else ""
        token = derived_magic_token(salt) if derived else (token or new_token())
        link = cls.objects.create(
            contact=contact,
            case=case,
            token_hash=hash_token(token),
            token_salt=salt,
            expires_at=timezone.now() + timedelta(seconds=settings.MAGIC_LINK_TTL_SECONDS),
        )
        return link, token

    @property
    def derived_token(self) -> str | None:
        """The raw token of a link issued with ``derived=True``; None for any other link."""
        return derived_magic_token(self.token_salt) if self.token_salt else None

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()

    @property
    def is_bound(self) -> bool:
        return bool(self.browser_hash)

    def is_bound_to(self, browser_secret: str | None) -> bool:
        """Whether the browser holding ``browser_secret`` is the one this link is bound to."""
        return bool(
            self.browser_hash
            and browser_secret
            and hmac.compare_digest(self.browser_hash, hash_token(browser_secret))
        )


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def pending(self) -> InvitationQuerySet:
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now())


class Invitation(models.Model):
    """An owner or admin asked someone to join an agency. Accepting it creates the membership.

    Like magic links, only the SHA-256 of the token is stored; the raw token travels in the email.
    Single use: ``accepted_at`` is set once, and a revoked or expired invitation cannot be used.
    """

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    def __str__(self) -> str:
        return f"invitation of {self.email} to {self.agency_id} as {self.role}"

    @property
    def is_usable(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > timezone.now()


class AccountEmailKind(models.TextChoices):
    INVITATION = "invitation", "Team invitation"
    PASSWORD_RESET = "password_reset", "Password reset"


def new_salt() -> str:
    return secrets.token_hex(16)


class AccountEmail(models.Model):
    """One account email (invitation, password reset) and its idempotency record.

    The durable task that sends it (``casedesk.accounts.emails.send_account_email``) takes this
    row's id and sends only while ``sent_at`` is empty, so a retried task does not mail twice.
    The link in an invitation email is not stored: its token is derived from
    ``salt`` with SECRET_KEY (``link_token``), as reply tokens are, and only its hash is kept
    on the invitation, so the task can rebuild the email the action issued.
    """

    kind = models.CharField(max_length=20, choices=AccountEmailKind.choices)
    to_address = models.EmailField()
    salt = models.CharField(max_length=32, default=new_salt)
    invitation = models.ForeignKey(
        Invitation, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    subject = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.kind} email to {self.to_address}"

    @property
    def link_token(self) -> str:
        """The raw token of the link this email carries: 256 bits keyed with SECRET_KEY."""
        digest = salted_hmac(f"casedesk.accounts.email.{self.kind}", self.salt, algorithm="sha256").digest()
        return urlsafe_b64encode(digest).decode().rstrip("=")
