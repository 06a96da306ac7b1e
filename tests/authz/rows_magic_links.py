"""Magic links bound to a browser, fresh links, and the case's "Client links" tab.

A link already bound to another browser opens for nobody else: every role gets the 403 page
that offers a fresh link. Asking for that fresh link is open to anyone holding the link (the
mail goes to the contact's own address). Listing and revoking a case's links is for the team of
its agency only.
"""

from __future__ import annotations

from django.utils import timezone

from casedesk.accounts.models import MagicLink, hash_token
from tests.authz.matrix import NOBODY, ROLES, TEAM_A, Row
from tests.conftest import Cast

BOUND_TOKEN = "authz-bound-link-0123456789abcdefghijklmnopqrstuv"


def bound_link(cast: Cast) -> MagicLink:
    """Erin's link to case_a, already bound to a browser none of the roles is."""
    link = MagicLink.objects.filter(token_hash=hash_token(BOUND_TOKEN)).first()
    if link is None:
        link, _ = MagicLink.issue(cast.erin, cast.case_a, token=BOUND_TOKEN)
        MagicLink.objects.filter(pk=link.pk).update(
            browser_hash=hash_token("the first browser's secret, not any role's"), bound_at=timezone.now()
        )
    return link


def _bound_url(cast: Cast, suffix: str = "") -> str:
    bound_link(cast)
    return f"/accounts/magic/{BOUND_TOKEN}/{suffix}"


ROWS = [
    Row("magic_link_bound_elsewhere", "view", "GET", lambda cast: _bound_url(cast), NOBODY, denied=(403,)),
    Row(
        "magic_link_bound_elsewhere",
        "continue",
        "POST",
        lambda cast: _bound_url(cast),
        NOBODY,
        denied=(403,),
    ),
    Row(
        "magic_link_bound_elsewhere",
        "request_fresh",
        "POST",
        lambda cast: _bound_url(cast, "resend/"),
        frozenset(ROLES),
        check=lambda cast, response: b"Check your email" in response.content,
    ),
    Row(
        "case_magic_links_a",
        "list",
        "GET",
        lambda cast: f"/cases/{bound_link(cast).case_id}/links/",
        TEAM_A,
        check=lambda cast, response: cast.erin.name.encode() in response.content,
    ),
    Row(
        "case_magic_links_a",
        "revoke",
        "POST",
        lambda cast: f"/cases/{cast.case_a.pk}/links/{bound_link(cast).pk}/revoke",
        TEAM_A,
        ok=(302,),
    ),
]
