"""The per-case email preference page (/email/preferences/<signed>/): the signed link is the
authority, so whoever holds it may see and change that one contact's choice, with or without a
session; a changed signature is refused (400, with a sentence) for everyone."""

from __future__ import annotations

from casedesk.cases.models import CaseContact
from casedesk.mail.preferences import preferences_token
from tests.authz.matrix import ROLES, Row
from tests.conftest import Cast

EVERYONE = frozenset(ROLES)


def _erin_link(cast: Cast) -> str:
    return f"/email/preferences/{preferences_token(cast.erin.pk, cast.case_a.pk)}/"


def _tampered_link(cast: Cast) -> str:
    token = preferences_token(cast.erin.pk, cast.case_a.pk)
    return f"/email/preferences/{token[:-2]}xx/"


def _erin_preference(cast: Cast) -> str:
    return CaseContact.objects.get(case=cast.case_a, contact=cast.erin).email_preference


ROWS = [
    Row(
        "email_preferences",
        "view",
        "GET",
        _erin_link,
        EVERYONE,
        check=lambda cast, response: (
            b"Spring campaign" in response.content and _erin_preference(cast) == "digest"
        ),
    ),
    Row(
        "email_preferences",
        "one_click_unsubscribe",
        "POST",
        _erin_link,
        EVERYONE,
        data=lambda cast: {"List-Unsubscribe": "One-Click"},
        check=lambda cast, response: _erin_preference(cast) == "none",
    ),
    Row(
        "email_preferences_tampered",
        "view",
        "GET",
        _tampered_link,
        frozenset(),
        denied=(400,),
    ),
    Row(
        "email_preferences_tampered",
        "one_click_unsubscribe",
        "POST",
        _tampered_link,
        frozenset(),
        data=lambda cast: {"List-Unsubscribe": "One-Click"},
        denied=(400,),
    ),
]
