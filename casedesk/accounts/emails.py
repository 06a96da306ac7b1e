"""Emails sent by the accounts app: magic links, invitations, password resets.

Each kind is a subject/text/html template triplet in ``accounts/templates/accounts/emails/``,
rendered by the one builder (``casedesk.lib.emails.build_email``). An action records the email
as an ``AccountEmail`` row and enqueues ``send_account_email`` with its id in the same
transaction; the task rebuilds the link from the row (the raw token is derived, never stored) and
sends once.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from casedesk.accounts.models import AccountEmail, AccountEmailKind, Invitation, MagicLink, Role, User
from casedesk.jobs import durable_task
from casedesk.lib.emails import build_email

INVITATION_TTL_DAYS = 7


def magic_link_url(token: str) -> str:
    return f"{settings.SITE_URL}{reverse('accounts:magic', args=[token])}"


def invitation_url(token: str) -> str:
    return f"{settings.SITE_URL}{reverse('accounts:invitation', args=[token])}"


def record_account_email(*, kind: str, to: str, **links: Any) -> AccountEmail:
    """The email's row, created and queued in the caller's transaction (ids only in the task)."""
    row = AccountEmail.objects.create(kind=kind, to_address=to, **links)
    send_account_email.enqueue(row.pk)
    return row


def _describe(args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    row = AccountEmail.objects.filter(pk=int(args[0]) if args else 0).first()
    if row is None:
        return {"tenant_id": None, "label": "Account email", "url": ""}
    tenant = row.invitation.agency_id if row.invitation_id and row.invitation else None
    return {"tenant_id": tenant, "label": f"{row.get_kind_display()} to {row.to_address}", "url": ""}


def _magic_link_email(row: AccountEmail, link: MagicLink) -> EmailMultiAlternatives | None:
    if link.revoked_at is not None or link.expires_at <= timezone.now():
        return None
    return build_email(
        "accounts/emails/magic-link",
        to=[row.to_address],
        context={
            "contact_name": link.contact.name,
            "agency_name": link.case.agency.name,
            "case_title": link.case.title,
            "url": magic_link_url(row.link_token),
        },
    )


def _invitation_email(row: AccountEmail, invitation: Invitation) -> EmailMultiAlternatives | None:
    if not invitation.is_usable:
        return None
    inviter = invitation.invited_by
    return build_email(
        "accounts/emails/invitation",
        to=[row.to_address],
        context={
            "agency_name": invitation.agency.name,
            "inviter_name": (inviter.name or inviter.email) if inviter else invitation.agency.name,
            "role_label": Role(invitation.role).label,
            "url": invitation_url(row.link_token),
            "days": INVITATION_TTL_DAYS,
        },
    )


def _password_reset_email(row: AccountEmail, user: User) -> EmailMultiAlternatives | None:
    if not user.is_active or not user.has_usable_password():
        return None
    # Django's own stateless reset token (django.contrib.auth.tokens), made when the email is sent.
    return build_email(
        "accounts/emails/password-reset",
        to=[row.to_address],
        context={
            "email": row.to_address,
            "user": user,
            "uid": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )


@durable_task(kind="accounts.email", queue="mail", max_attempts=8, describe=_describe)
def send_account_email(account_email_id: int) -> None:
    """Send one recorded account email, once.

    Skipped (and left unsent) when what it points at is no longer usable: a revoked or expired
    link, an accepted or revoked invitation, a deactivated user. Not exactly-once: a crash
    between the SMTP send and recording ``sent_at`` sends it again on retry.
    """
    row = (
        AccountEmail.objects.select_related(
            "magic_link__contact",
            "magic_link__case__agency",
            "invitation__agency",
            "invitation__invited_by",
            "user",
        )
        .filter(pk=account_email_id)
        .first()
    )
    if row is None or row.sent_at is not None:
        return
    email: EmailMultiAlternatives | None = None
    if row.kind == AccountEmailKind.MAGIC_LINK and row.magic_link is not None:
        email = _magic_link_email(row, row.magic_link)
    elif row.kind == AccountEmailKind.INVITATION and row.invitation is not None:
        email = _invitation_email(row, row.invitation)
    elif row.kind == AccountEmailKind.PASSWORD_RESET and row.user is not None:
        email = _password_reset_email(row, row.user)
    if email is None:
        AccountEmail.objects.filter(pk=row.pk).update(last_error="Not sent: the link is no longer usable.")
        return
    AccountEmail.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1, subject=email.subject[:300])
    try:
        email.send()
    except Exception as error:
        AccountEmail.objects.filter(pk=row.pk).update(last_error=repr(error)[:2000])
        raise
    AccountEmail.objects.filter(pk=row.pk, sent_at__isnull=True).update(sent_at=timezone.now(), last_error="")
