"""Signed email-preference links: one per (contact, case), in every client notification.

The link needs no sign-in: its signature (``django.core.signing``, salted, with SECRET_KEY) is
the authority, and all it can do is change how that one contact is emailed about that one case.
``List-Unsubscribe`` points at it (RFC 8058): a POST from the mailbox provider's one-click
button sets "none"; a GET only shows the choices (mail scanners follow GET links, so GET never
changes anything).
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

from casedesk.cases.models import CaseContact

SALT = "casedesk.mail.email_preferences"


class InvalidPreferencesLink(Exception):
    """The link's signature does not check out, or its contact is no longer on the case."""


def preferences_token(contact_id: int, case_id: int) -> str:
    return signing.dumps([contact_id, case_id], salt=SALT, compress=False)


def preferences_url(contact_id: int, case_id: int) -> str:
    token = preferences_token(contact_id, case_id)
    return f"{settings.SITE_URL}{reverse('mail:email_preferences', args=[token])}"


def case_contact_for_token(token: str) -> CaseContact:
    """The (contact, case) row a signed link names. Raises ``InvalidPreferencesLink``.

    No age limit: a link in a year-old email must still unsubscribe. A contact who has left the
    case (row deleted) gets the same refusal as a forged link.
    """
    try:
        contact_id, case_id = signing.loads(token, salt=SALT)
    except (signing.BadSignature, ValueError, TypeError) as error:
        raise InvalidPreferencesLink from error
    row = (
        CaseContact.objects.select_related("case", "case__agency", "contact")
        .filter(contact_id=int(contact_id), case_id=int(case_id))
        .first()
    )
    if row is None:
        raise InvalidPreferencesLink
    return row
