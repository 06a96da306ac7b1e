"""Authorization rows for the foundation: case list and page, portal, settings, team management.

Team pages take the agency from ``?agency=`` (or the form's ``agency`` field), so rows name
agency A explicitly: a member of another agency asking for A's pages gets the same 404 as a
stranger, rather than being quietly shown their own agency.
"""

from __future__ import annotations

from django.http import HttpResponse

from casedesk.accounts.models import Membership
from tests.authz.matrix import CLIENTS_ON_CASE_A, MANAGERS_A, TEAM_A, Row
from tests.conftest import Cast

SIGNED_IN_OR_MAGIC = frozenset(
    {
        "owner",
        "admin",
        "member",
        "outsider",
        "portal_client",
        "magic_client",
        "other_client",
        "platform_staff",
    }
)


def _bob_membership(cast: Cast) -> int:
    return Membership.objects.get(user=cast.bob, agency=cast.agency_a).pk


def _shows_only_case_a_agency(cast: Cast, response: HttpResponse) -> bool:
    body = response.content.decode()
    return cast.case_a.title in body and cast.case_b.title not in body


def _portal_list_has_no_foreign_cases(cast: Cast, response: HttpResponse) -> bool:
    # Nobody in the matrix is a client of agency B, so B's case never shows on anyone's list.
    return cast.case_b.title not in response.content.decode()


ROWS = [
    Row(
        resource="case_list",
        action="view",
        method="GET",
        url=lambda c: f"/cases/?agency={c.agency_a.pk}",
        allowed=TEAM_A,
        check=_shows_only_case_a_agency,
    ),
    Row(
        resource="case_list",
        action="create",
        method="POST",
        url=lambda c: "/cases/new/",
        data=lambda c: {"agency": c.agency_a.pk, "title": "Matrix case", "client": c.globex.pk},
        allowed=TEAM_A,
        ok=(302,),
    ),
    Row(
        resource="case_page",
        action="view",
        method="GET",
        url=lambda c: f"/cases/{c.case_a.pk}/",
        allowed=TEAM_A,
        ok=(200, 302),
    ),
    Row(
        resource="case_page",
        action="set_status",
        method="POST",
        url=lambda c: f"/cases/{c.case_a.pk}/status/",
        data=lambda c: {"status": "waiting"},
        allowed=TEAM_A,
        ok=(302,),
    ),
    Row(
        resource="portal_list",
        action="view",
        method="GET",
        url=lambda c: "/my-cases/",
        allowed=SIGNED_IN_OR_MAGIC,
        check=_portal_list_has_no_foreign_cases,
    ),
    Row(
        resource="portal_case",
        action="view",
        method="GET",
        url=lambda c: f"/my-cases/{c.case_a.pk}/",
        allowed=CLIENTS_ON_CASE_A,
        ok=(200, 302),
    ),
    Row(
        resource="settings_general",
        action="view",
        method="GET",
        url=lambda c: f"/settings/?agency={c.agency_a.pk}",
        allowed=MANAGERS_A,
    ),
    Row(
        resource="settings_general",
        action="update",
        method="POST",
        url=lambda c: "/settings/",
        data=lambda c: {"agency": c.agency_a.pk, "name": "Acme Renamed", "brand_color": "#123456"},
        allowed=MANAGERS_A,
        ok=(302,),
    ),
    Row(
        resource="settings_team",
        action="view",
        method="GET",
        url=lambda c: f"/settings/team/?agency={c.agency_a.pk}",
        allowed=MANAGERS_A,
    ),
    Row(
        resource="settings_team",
        action="invite",
        method="POST",
        url=lambda c: "/settings/team/invite/",
        data=lambda c: {"agency": c.agency_a.pk, "email": "newbie@acme.test", "role": "member"},
        allowed=MANAGERS_A,
        ok=(302,),
    ),
    Row(
        resource="settings_team",
        action="change_role",
        method="POST",
        url=lambda c: f"/settings/team/members/{_bob_membership(c)}/role/",
        data=lambda c: {"role": "admin"},
        allowed=MANAGERS_A,
        ok=(302,),
    ),
    Row(
        resource="settings_team",
        action="deactivate",
        method="POST",
        url=lambda c: f"/settings/team/members/{_bob_membership(c)}/deactivate/",
        allowed=MANAGERS_A,
        ok=(302,),
    ),
    Row(
        resource="settings_profile",
        action="view",
        method="GET",
        url=lambda c: "/settings/profile/",
        # Everyone with an account has a profile; a magic-link session has no account.
        allowed=SIGNED_IN_OR_MAGIC - {"magic_client"},
    ),
]
