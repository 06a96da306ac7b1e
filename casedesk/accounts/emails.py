"""Emails of the accounts app: invitations and password resets (fresh magic links are emailed by
mail on ``FreshMagicLinkIssued``, with an ``OutboundEmail`` record).

Each kind is a subject/text/html template triplet in ``accounts/templates/accounts/emails/``,
rendered by the one builder (``casedesk.lib.emails.build_email``). An action records the email
as an ``AccountEmail`` row and emits ``AccountEmailRecorded`` in its transaction; mail, which
subscribes to it, enqueues the durable task (``casedesk.mail.account_emails``) in that same
transaction. The task rebuilds the email from the row with ``account_email_message`` (the link's
raw token is derived from the row, never stored) and sends it once.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from casedesk.accounts.events import AccountEmailRecorded
from casedesk.accounts.models import AccountEmail, AccountEmailKind, Invitation, Role, User
from casedesk.lib.emails import build_email
from casedesk.lib.events import emit

INVITATION_TTL_DAYS = 7


def magic_link_url(token: str) -> str:
    return f"{settings.SITE_URL}{reverse('accounts:magic', args=[token])}"


def invitation_url(token: str) -> str:
    return f"{settings.SITE_URL}{reverse('accounts:invitation', args=[token])}"


def record_account_email(*, kind: str, to: str, **links: Any) -> AccountEmail:
    """The email's row, created in the caller's transaction; its send is queued by the subscriber."""
    row = AccountEmail.objects.create(kind=kind, to_address=to, **links)
    emit(AccountEmailRecorded(row.pk))
    return row


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


def account_email_message(row: AccountEmail) -> EmailMultiAlternatives | None:
    """The email ``row`` stands for, or None when what it points at is no longer usable (a revoked
    or expired link, an accepted or revoked invitation, a deactivated user)."""
    if row.kind == AccountEmailKind.INVITATION and row.invitation is not None:
        return _invitation_email(row, row.invitation)
    if row.kind == AccountEmailKind.PASSWORD_RESET and row.user is not None:
        return _password_reset_email(row, row.user)
    return None
