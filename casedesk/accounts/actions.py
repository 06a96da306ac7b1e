"""THE write paths for tenancy and people: magic links, invitations, memberships, agency settings.

Each ``do_*`` runs in one transaction. Emails are recorded (``AccountEmail``) and their durable
task enqueued in the same transaction; a link's raw token is derived from the record, never stored
(``casedesk.accounts.emails``).
Refusals a person can fix raise ``ActionError`` with a sentence saying what happened and what to do.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import TYPE_CHECKING, NamedTuple

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from casedesk.accounts.emails import (
    INVITATION_TTL_DAYS,
    magic_link_url,
    record_account_email,
)
from casedesk.accounts.events import FreshMagicLinkIssued
from casedesk.accounts.models import (
    AccountEmailKind,
    Agency,
    Contact,
    Invitation,
    MagicLink,
    Membership,
    Role,
    User,
    contact_is_on_case,
    hash_token,
    new_token,
)
from casedesk.lib.avatars import PHOTO_MAX_BYTES, make_photo
from casedesk.lib.business_hours import Schedule, ScheduleError, valid_time_zone
from casedesk.lib.errors import ActionError
from casedesk.lib.events import emit
from casedesk.lib.files import human_size

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

    from casedesk.cases.models import Case  # accounts sits below cases: types only

# A contact asking for fresh links again and again gets at most one email per this many seconds.
FRESH_LINK_MIN_INTERVAL_SECONDS = 60


# --- Magic links ------------------------------------------------------------------------------


class IssuedMagicLink(NamedTuple):
    link: MagicLink
    token: str
    url: str


@transaction.atomic
def do_issue_magic_link(
    *, contact: Contact, case: Case, token: str | None = None, derived: bool = False
) -> IssuedMagicLink:
    """Issue a link that lets ``contact`` into ``case`` (and only that case) for MAGIC_LINK_TTL_SECONDS.

    Returns the link row, the raw token and the absolute URL to put in an email; the raw token is
    not stored anywhere (``derived=True``: it can be derived again from the row with SECRET_KEY,
    for a durable email task). Raises ActionError when the contact is not on the case.
    """
    if not contact_is_on_case(contact.pk, case.pk):
        raise ActionError(
            f"{contact.name} is not on this case; add them to the case before sending them a link.",
            code="not_on_case",
        )
    link, raw = MagicLink.issue(contact, case, token=token, derived=derived)
    return IssuedMagicLink(link=link, token=raw, url=magic_link_url(raw))


def do_record_magic_link_use(*, link: MagicLink) -> None:
    MagicLink.objects.filter(pk=link.pk).update(last_used_at=timezone.now())


@transaction.atomic
def do_continue_magic_link(*, link: MagicLink, browser_secret: str | None) -> str | None:
    """Let the browser holding ``browser_secret`` (its ``casedesk_browser`` cookie, if any) in.

    The first browser to continue is bound to the link: the SHA-256 of its secret is stored on
    the row, by a conditional UPDATE, so of two browsers continuing at once exactly one wins. A
    browser without a secret gets a new random one. Returns the secret the browser must keep
    (set it as its cookie), or None when the link is bound to another browser. Records the use.
    """
    secret = browser_secret or new_token()
    secret_hash = hash_token(secret)
    now = timezone.now()
    bound_now = MagicLink.objects.filter(pk=link.pk, browser_hash="").update(
        browser_hash=secret_hash, bound_at=now, last_used_at=now
    )
    if not bound_now:
        current = MagicLink.objects.only("browser_hash").get(pk=link.pk)
        if not current.is_bound_to(secret):
            return None
        MagicLink.objects.filter(pk=link.pk).update(last_used_at=now)
    return secret


@transaction.atomic
def do_revoke_magic_link(*, link: MagicLink, actor: User) -> bool:
    """Revoke a contact's link to a case; the browser it let in loses the case at its next request
    (``cases.access`` checks the link on every request). ``actor`` must be on the case's agency's
    team. Returns False when the link was already revoked (nothing changed)."""
    if not Membership.objects.filter(agency_id=link.case.agency_id, user=actor, is_active=True).exists():
        raise ActionError("Only the agency's team can revoke a client's links.", code="forbidden", status=403)
    return bool(
        MagicLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    )


@transaction.atomic
def do_send_fresh_magic_link(*, link: MagicLink, confirm_email: str | None = None) -> bool:
    """Email the contact of ``link`` a fresh link to the same case, at the contact's own address.

    For a link that stopped working (the form asks for the address, ``confirm_email``, and sends
    only when it is the contact's) and for a link bound to another browser (no address asked:
    the mail can only go to the contact). Never to an address typed in. Issues the link with a
    derivable token and emits ``FreshMagicLinkIssued``, on which the mail app enqueues the
    durable email task in this transaction. Sends nothing when the contact left the case, or got
    a fresh link in the last minute. Callers show the same answer whatever happens; the return
    value (True when an email is queued) is for tests.
    """
    contact, case = link.contact, link.case
    if confirm_email is not None and contact.email.strip().lower() != confirm_email.strip().lower():
        return False
    if not contact_is_on_case(contact.pk, case.pk):
        return False
    recent = timezone.now() - timedelta(seconds=FRESH_LINK_MIN_INTERVAL_SECONDS)
    fresh_links = MagicLink.objects.filter(contact=contact, case=case, created_at__gt=recent)
    if fresh_links.exclude(token_salt="").exists():
        return False
    issued = do_issue_magic_link(contact=contact, case=case, derived=True)
    emit(FreshMagicLinkIssued(issued.link))
    return True


@transaction.atomic
def do_email_password_reset(*, user: User, to: str) -> None:
    """Record a password-reset email for ``user`` and queue it (the link is made when it is sent)."""
    record_account_email(kind=AccountEmailKind.PASSWORD_RESET, to=to, user=user)


# --- Agency settings ----------------------------------------------------------------------------


@transaction.atomic
def do_update_agency_settings(
    *,
    agency: Agency,
    name: str,
    brand_color: str,
    support_widget_for_customers: bool,
    email_digest_minutes: int | None = None,
    business_hours_on: bool | None = None,
    time_zone: str | None = None,
    business_hours: dict[str, list[str]] | None = None,
) -> Agency:
    """Settings → General. ``None`` for an optional setting keeps what is stored. Business hours
    are checked here too (``Schedule.from_stored``), so no caller can save an unreadable week."""
    name = name.strip()
    if not name:
        raise ActionError("The agency needs a name; type the name your clients know you by.", field="name")
    agency.name = name[:120]
    agency.brand_color = brand_color.lower()
    agency.support_widget_for_customers = support_widget_for_customers
    if email_digest_minutes is not None:  # left out of the form: keep the current window
        agency.email_digest_minutes = email_digest_minutes
    if time_zone is not None and time_zone != agency.time_zone:
        if not valid_time_zone(time_zone):
            raise ActionError(
                f"“{time_zone}” is not a time zone; choose one from the list.", field="time_zone"
            )
        agency.time_zone = time_zone
    if business_hours is not None:
        try:
            Schedule.from_stored(agency.time_zone, business_hours)
        except ScheduleError as exc:
            raise ActionError(str(exc)) from None
        agency.business_hours = business_hours
    if business_hours_on is not None:
        if business_hours_on and not agency.business_hours:
            raise ActionError("Choose at least one open day, or turn business hours off.")
        agency.business_hours_enabled = business_hours_on
    agency.save(
        update_fields=[
            "name",
            "brand_color",
            "support_widget_for_customers",
            "email_digest_minutes",
            "business_hours_enabled",
            "time_zone",
            "business_hours",
        ]
    )
    return agency


# --- Team: invitations, roles, deactivation -----------------------------------------------------


def _actor_membership(agency: Agency, actor: User) -> Membership:
    membership = Membership.objects.filter(agency=agency, user=actor, is_active=True).first()
    if membership is None or membership.role not in (Role.OWNER, Role.ADMIN):
        raise ActionError("Only owners and admins can manage the team.", code="forbidden", status=403)
    return membership


@transaction.atomic
def do_invite_member(*, agency: Agency, actor: User, email: str, role: str) -> tuple[Invitation, str]:
    """Invite ``email`` to the agency; emails an accept link after commit.

    Returns the invitation and the raw token. Inviting again replaces the pending invitation, so
    only the newest email works.
    """
    actor_membership = _actor_membership(agency, actor)
    email = User.objects.normalize_email(email.strip()).lower()
    if role not in Role.values:
        raise ActionError("Choose a role: owner, admin or member.", field="role")
    if role == Role.OWNER and actor_membership.role != Role.OWNER:
        raise ActionError("Only an owner can invite another owner; invite them as admin.", field="role")
    if Membership.objects.filter(agency=agency, user__email__iexact=email, is_active=True).exists():
        raise ActionError(f"{email} is already on the team.", field="email")
    now = timezone.now()
    Invitation.objects.filter(agency=agency, email__iexact=email, accepted_at__isnull=True).filter(
        revoked_at__isnull=True
    ).update(revoked_at=now)
    row = record_account_email(kind=AccountEmailKind.INVITATION, to=email)
    token = row.link_token
    invitation = Invitation.objects.create(
        agency=agency,
        email=email,
        role=role,
        token_hash=hash_token(token),
        invited_by=actor,
        expires_at=now + timedelta(days=INVITATION_TTL_DAYS),
    )
    row.invitation = invitation
    row.save(update_fields=["invitation"])
    return invitation, token


@transaction.atomic
def do_revoke_invitation(*, invitation: Invitation, actor: User) -> None:
    _actor_membership(invitation.agency, actor)
    Invitation.objects.filter(pk=invitation.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


@transaction.atomic
def do_accept_invitation(
    *, invitation: Invitation, user: User | None = None, name: str = "", password: str = ""
) -> User:
    """Accept an invitation: as the signed-in ``user`` (whose email must match), or as a new account.

    Creates or reactivates the membership with the invited role. Single use.
    """
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not locked.is_usable:
        raise ActionError(
            "This invitation has expired or was already used; ask whoever invited you to send a new one.",
            code="expired",
        )
    existing = User.objects.filter(email__iexact=locked.email).first()
    if user is not None:
        if user.email.lower() != locked.email.lower():
            raise ActionError(
                f"This invitation is for {locked.email}; "
                "sign out and sign in with that address to accept it.",
                code="wrong_user",
            )
    elif existing is not None:
        raise ActionError(
            f"{locked.email} already has a casedesk account; sign in with it to accept the invitation.",
            code="sign_in",
        )
    else:
        name = name.strip()
        if not name:
            raise ActionError("Tell us your name, as your teammates will see it.", field="name")
        candidate = User(email=locked.email, name=name)
        try:
            validate_password(password, candidate)
        except ValidationError as error:
            raise ActionError(" ".join(error.messages), field="password") from None
        user = User.objects.create_user(locked.email, password, name=name[:150])
    if not user.is_active:
        raise ActionError("This account is deactivated; ask the agency's owner to get in touch with support.")
    membership, created = Membership.objects.get_or_create(
        user=user, agency=locked.agency, defaults={"role": locked.role}
    )
    if not created:
        membership.role = locked.role
        membership.is_active = True
        membership.save(update_fields=["role", "is_active"])
    locked.accepted_at = timezone.now()
    locked.save(update_fields=["accepted_at"])
    return user


def _lock_owners(agency: Agency) -> list[Membership]:
    """Lock the agency's active owner rows so two managers cannot remove the last two owners at once."""
    return list(Membership.objects.select_for_update().filter(agency=agency, role=Role.OWNER, is_active=True))


@transaction.atomic
def do_change_role(*, membership: Membership, actor: User, role: str) -> Membership:
    actor_membership = _actor_membership(membership.agency, actor)
    if role not in Role.values:
        raise ActionError("Choose a role: owner, admin or member.", field="role")
    target = Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)
    if actor_membership.role != Role.OWNER and (target.role == Role.OWNER or role == Role.OWNER):
        raise ActionError("Only an owner can change an owner's role or make someone an owner.")
    if target.role == Role.OWNER and role != Role.OWNER:
        owners = _lock_owners(target.agency)
        if [m.pk for m in owners] == [target.pk]:
            raise ActionError(
                f"{target.user} is the last owner; make someone else an owner first, then change this role."
            )
    target.role = role
    target.save(update_fields=["role"])
    return target


@transaction.atomic
def do_set_membership_active(*, membership: Membership, actor: User, active: bool) -> Membership:
    """Deactivate (or reactivate) someone's membership. Their sign-in keeps working for other agencies."""
    actor_membership = _actor_membership(membership.agency, actor)
    target = Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)
    if target.role == Role.OWNER and actor_membership.role != Role.OWNER:
        raise ActionError("Only an owner can deactivate or reactivate an owner.")
    if not active:
        if target.pk == actor_membership.pk:
            raise ActionError("You can't deactivate yourself; ask another owner or admin to do it.")
        if target.role == Role.OWNER:
            owners = _lock_owners(target.agency)
            if [m.pk for m in owners] == [target.pk]:
                raise ActionError(f"{target.user} is the last owner; make someone else an owner first.")
    target.is_active = active
    target.save(update_fields=["is_active"])
    return target


@transaction.atomic
def do_update_profile(*, user: User, name: str, email_on_mention: bool, email_on_client_reply: bool) -> User:
    name = name.strip()
    if not name:
        raise ActionError("Type your name as your teammates and clients should see it.", field="name")
    user.name = name[:150]
    user.email_on_mention = email_on_mention
    user.email_on_client_reply = email_on_client_reply
    user.save(update_fields=["name", "email_on_mention", "email_on_client_reply"])
    return user


def do_set_profile_photo(*, user: User, upload: UploadedFile | None) -> User:
    """Replace the person's photo with a re-encoded square of the upload; the old file goes
    (after commit, so a rollback keeps the photo that is still named)."""
    if upload is None:
        raise ActionError("Choose a picture to use as your photo.", field="photo")
    if upload.size is not None and upload.size > PHOTO_MAX_BYTES:
        raise ActionError(
            f"This picture is {human_size(upload.size)}; the limit for a photo is "
            f"{human_size(PHOTO_MAX_BYTES)}. Choose a smaller one.",
            field="photo",
        )
    data = make_photo(upload)
    if data is None:
        raise ActionError(
            "That file is not a picture casedesk can read. Choose a PNG, JPEG, GIF or WebP image.",
            field="photo",
        )
    with transaction.atomic():
        old = user.photo
        name = default_storage.save(f"people/{secrets.token_urlsafe(18)}.webp", ContentFile(data))
        user.photo = name
        user.save(update_fields=["photo"])
        if old:
            transaction.on_commit(lambda: default_storage.delete(old))
    return user


def do_remove_profile_photo(*, user: User) -> User:
    with transaction.atomic():
        old = user.photo
        user.photo = ""
        user.save(update_fields=["photo"])
        if old:
            transaction.on_commit(lambda: default_storage.delete(old))
    return user
