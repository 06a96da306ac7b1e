"""Who a request is, and what they may do at the agency level.

A request's *viewer* is one of: a team member (a user with active memberships), a portal
client (a user linked to contacts), a magic-link contact (no user; grants kept in the
session), platform staff, or anonymous. Deactivated users are treated as anonymous.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.http import Http404, HttpRequest

from casedesk.accounts.models import Agency, Membership, Role, User

MAGIC_GRANTS_SESSION_KEY = "magic_grants"


@dataclass(frozen=True)
class MagicGrant:
    """A session's right to one case as one contact, obtained through a magic link."""

    link_id: int
    contact_id: int
    case_id: int


@dataclass
class Viewer:
    user: User | None = None
    magic_grants: tuple[MagicGrant, ...] = ()
    _memberships: dict[int, Membership] | None = field(default=None, repr=False)

    @property
    def is_authenticated_user(self) -> bool:
        return self.user is not None and self.user.is_active

    @property
    def is_platform_staff(self) -> bool:
        return self.is_authenticated_user and bool(self.user and self.user.is_platform_staff)

    def memberships(self) -> dict[int, Membership]:
        """Active memberships by agency id (cached per viewer)."""
        if self._memberships is None:
            if not self.is_authenticated_user:
                self._memberships = {}
            else:
                self._memberships = {
                    m.agency_id: m
                    for m in Membership.objects.filter(user=self.user, is_active=True).select_related(
                        "agency"
                    )
                }
        return self._memberships

    def membership(self, agency_id: int) -> Membership | None:
        return self.memberships().get(agency_id)

    def is_team(self, agency_id: int) -> bool:
        return self.membership(agency_id) is not None

    def is_manager(self, agency_id: int) -> bool:
        membership = self.membership(agency_id)
        return membership is not None and membership.role in (Role.OWNER, Role.ADMIN)

    def is_owner(self, agency_id: int) -> bool:
        membership = self.membership(agency_id)
        return membership is not None and membership.role == Role.OWNER


def viewer_for_user(user: User | None) -> Viewer:
    if user is None or not user.is_active:
        return Viewer()
    return Viewer(user=user)


def viewer_from_request(request: HttpRequest) -> Viewer:
    cached = getattr(request, "_casedesk_viewer", None)
    if cached is not None:
        return cached
    user = request.user if request.user.is_authenticated else None
    raw: Any = request.session.get(MAGIC_GRANTS_SESSION_KEY, []) if hasattr(request, "session") else []
    grants = tuple(
        MagicGrant(link_id=int(g["link"]), contact_id=int(g["contact"]), case_id=int(g["case"]))
        for g in raw
        if isinstance(g, dict) and {"link", "contact", "case"} <= g.keys()
    )
    viewer = viewer_for_user(user)  # type: ignore[arg-type]
    viewer.magic_grants = grants
    request._casedesk_viewer = viewer  # type: ignore[attr-defined]
    return viewer


def team_agencies(viewer: Viewer) -> list[Agency]:
    return sorted((m.agency for m in viewer.memberships().values()), key=lambda a: a.name.lower())


def access_agency_as_team(viewer: Viewer, agency_id: int) -> Agency:
    membership = viewer.membership(agency_id)
    if membership is None:
        raise Http404("No such agency.")
    return membership.agency


def access_agency_as_manager(viewer: Viewer, agency_id: int) -> Agency:
    """Owners and admins manage settings and the team; others get the same 404."""
    if not viewer.is_manager(agency_id):
        raise Http404("No such agency.")
    return access_agency_as_team(viewer, agency_id)
