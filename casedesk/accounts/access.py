"""Who a request is, and what they may do at the agency level.

A request's *viewer* is one of: a team member (a user with active memberships), a portal
client (a user linked to contacts), a magic-link contact (no user; grants kept in the
session), platform staff, or anonymous. Deactivated users are treated as anonymous.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, UnreadablePostError
from django.http.multipartparser import MultiPartParserError

from casedesk.accounts.models import Agency, Invitation, MagicLink, Membership, Role, User, hash_token

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
    # "Is this viewer on agency X's team?" answered by a query that loaded something else too
    # (``cases.access.access_case`` asks it in the case's own query), consulted until the
    # memberships themselves are loaded. Same rule as ``memberships()``: an active membership.
    _team_answers: dict[int, bool] = field(default_factory=dict, repr=False)

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

    @property
    def memberships_loaded(self) -> bool:
        return self._memberships is not None

    def note_team_answer(self, agency_id: int, is_team: bool) -> None:
        """Record whether an active membership of ``agency_id`` exists (read by the caller's query)."""
        self._team_answers[agency_id] = is_team

    def is_team(self, agency_id: int) -> bool:
        if self._memberships is None and agency_id in self._team_answers:
            return self._team_answers[agency_id]
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


def is_active_team_member(user: User, agency_id: int) -> bool:
    """Whether ``user`` (not a request's viewer: an assignee, a mention's recipient) is on the team now.

    The same rule as ``Viewer.is_team``: an active user with an active membership.
    """
    return viewer_for_user(user).is_team(agency_id)


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


AGENCY_SESSION_KEY = "agency_id"


def _requested_agency_id(request: HttpRequest) -> str | None:
    value = None
    if request.method == "POST":
        # Also asked while rendering an error page, so a body Django cannot parse (no multipart
        # boundary, too many fields) must not turn that page into a 500: it just names no agency.
        try:
            value = request.POST.get("agency")
        except (MultiPartParserError, SuspiciousOperation, UnreadablePostError):
            value = None
    return value or request.GET.get("agency") or None


def _case_agency_id(request: HttpRequest) -> int | None:
    """On a team case page (``cases:*`` with a ``case_id``), the case's agency is the current one."""
    match = getattr(request, "resolver_match", None)
    if match is None or match.namespace != "cases" or "case_id" not in match.kwargs:
        return None
    # Through Case.agency's reverse relation: cases builds on accounts, so no import of its code.
    return Agency.objects.filter(cases__pk=match.kwargs["case_id"]).values_list("pk", flat=True).first()


def current_agency(request: HttpRequest, viewer: Viewer) -> Agency | None:
    """The agency a team page is about, without raising: ``?agency=`` if the viewer is on its
    team, else the one chosen with the switcher (session), else the one they joined first."""
    agencies = team_agencies(viewer)
    if not agencies:
        return None
    wanted: list[Any] = [_requested_agency_id(request), _case_agency_id(request)]
    if hasattr(request, "session"):
        wanted.append(request.session.get(AGENCY_SESSION_KEY))
    for value in wanted:
        try:
            agency_id = int(value)
        except (TypeError, ValueError):
            continue
        match = next((a for a in agencies if a.pk == agency_id), None)
        if match is not None:
            return match
    first = min(viewer.memberships().values(), key=lambda m: (m.created_at, m.pk))
    return first.agency


def access_current_agency(request: HttpRequest, viewer: Viewer, *, manager: bool = False) -> Agency:
    """The agency a team page acts on, or 404.

    An explicit ``agency`` (query string, or POST field on forms) must be one the viewer is on
    the team of (or manages, with ``manager=True``); otherwise the current agency is used. Forms
    carry the agency id so that switching agency in another tab never redirects a write.
    """
    requested = _requested_agency_id(request)
    if requested is not None:
        try:
            agency_id = int(requested)
        except (TypeError, ValueError):
            raise Http404("No such agency.") from None
    else:
        agency = current_agency(request, viewer)
        if agency is None:
            raise Http404("No such agency.")
        agency_id = agency.pk
    return (
        access_agency_as_manager(viewer, agency_id) if manager else access_agency_as_team(viewer, agency_id)
    )


def access_membership_as_manager(viewer: Viewer, membership_id: int | str) -> Membership:
    """A membership of an agency the viewer manages; 404 otherwise."""
    try:
        pk = int(membership_id)
    except (TypeError, ValueError):
        raise Http404("No such team member.") from None
    membership = Membership.objects.select_related("user", "agency").filter(pk=pk).first()
    if membership is None or not viewer.is_manager(membership.agency_id):
        raise Http404("No such team member.")
    return membership


def access_invitation_as_manager(viewer: Viewer, invitation_id: int | str) -> Invitation:
    try:
        pk = int(invitation_id)
    except (TypeError, ValueError):
        raise Http404("No such invitation.") from None
    invitation = Invitation.objects.select_related("agency").filter(pk=pk).first()
    if invitation is None or not viewer.is_manager(invitation.agency_id):
        raise Http404("No such invitation.")
    return invitation


def magic_link_for_token(token: str) -> MagicLink | None:
    """The link a raw token names, usable or not (the caller decides what to show)."""
    return (
        MagicLink.objects.select_related("contact", "case", "case__agency")
        .filter(token_hash=hash_token(token))
        .first()
    )


def invitation_for_token(token: str) -> Invitation | None:
    return Invitation.objects.select_related("agency").filter(token_hash=hash_token(token)).first()
