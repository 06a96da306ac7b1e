"""Settings → General and Settings → Team. Owners and admins only; everyone else gets a 404."""

from __future__ import annotations

from django.contrib import messages
from django.core.files.storage import default_storage
from django.core.handlers.asgi import ASGIRequest
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET, require_POST

from casedesk.accounts import actions
from casedesk.accounts.access import (
    access_current_agency,
    access_invitation_as_manager,
    access_membership_as_manager,
    viewer_from_request,
)
from casedesk.accounts.decorators import account_required, team_required
from casedesk.accounts.forms import AgencySettingsForm, InviteForm, ProfileForm, RoleForm
from casedesk.accounts.models import Agency, Invitation, Membership, Role, User
from casedesk.lib.avatars import PHOTO_TOKEN_RE
from casedesk.lib.errors import ActionError
from casedesk.lib.files import file_response


def _widget_settings_url(agency: Agency) -> str:
    # Support Chat adds this page; until it exists the link is simply not shown.
    try:
        return f"{reverse('support:widget_settings')}?agency={agency.pk}"
    except NoReverseMatch:
        return ""


def _actor(request: HttpRequest) -> User:
    """The signed-in person behind a team page (``team_required`` has made sure there is one)."""
    user = viewer_from_request(request).user
    assert user is not None
    return user


def _team_url(agency: Agency) -> str:
    return f"{reverse('settings:team')}?agency={agency.pk}"


@team_required
def general(request: HttpRequest) -> HttpResponse:
    viewer = viewer_from_request(request)
    agency = access_current_agency(request, viewer, manager=True)
    form = AgencySettingsForm(request.POST or None, initial=AgencySettingsForm.initial_for(agency))
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_update_agency_settings(agency=agency, **form.action_values())
        except ActionError as exc:
            form.add_error(exc.field, exc.message)
        else:
            messages.success(request, "Settings saved.")
            return redirect(f"{reverse('settings:general')}?agency={agency.pk}")
    context = {
        "agency": agency,
        "form": form,
        "widget_settings_url": _widget_settings_url(agency),
        "settings_tab": "general",
    }
    return render(request, "accounts/settings/general.html", context)


@team_required
def team(request: HttpRequest) -> HttpResponse:
    viewer = viewer_from_request(request)
    agency = access_current_agency(request, viewer, manager=True)
    return _render_team(request, agency, InviteForm())


def _render_team(
    request: HttpRequest, agency: Agency, invite_form: InviteForm, status: int = 200
) -> HttpResponse:
    viewer = viewer_from_request(request)
    memberships = list(
        Membership.objects.filter(agency=agency).select_related("user").order_by("-is_active", "user__name")
    )
    context = {
        "agency": agency,
        "memberships": memberships,
        "invitations": list(Invitation.objects.pending().filter(agency=agency).order_by("-created_at")),
        "invite_form": invite_form,
        "roles": Role.choices,
        "viewer_is_owner": viewer.is_owner(agency.pk),
        "settings_tab": "team",
        "widget_settings_url": _widget_settings_url(agency),
    }
    return render(request, "accounts/settings/team.html", context, status=status)


@team_required
@require_POST
def invite(request: HttpRequest) -> HttpResponse:
    viewer = viewer_from_request(request)
    agency = access_current_agency(request, viewer, manager=True)
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            actions.do_invite_member(
                agency=agency,
                actor=_actor(request),
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
            )
        except ActionError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
            return redirect(_team_url(agency))
    return _render_team(request, agency, form, status=400)


@team_required
@require_POST
def change_role(request: HttpRequest, membership_id: int) -> HttpResponse:
    viewer = viewer_from_request(request)
    membership = access_membership_as_manager(viewer, membership_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a role: owner, admin or member.")
    else:
        try:
            actions.do_change_role(
                membership=membership, actor=_actor(request), role=form.cleaned_data["role"]
            )
        except ActionError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request, f"{membership.user} is now {Role(form.cleaned_data['role']).label.lower()}."
            )
    return redirect(_team_url(membership.agency))


def _set_active(request: HttpRequest, membership_id: int, active: bool) -> HttpResponse:
    viewer = viewer_from_request(request)
    membership = access_membership_as_manager(viewer, membership_id)
    try:
        actions.do_set_membership_active(membership=membership, actor=_actor(request), active=active)
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        what = "reactivated" if active else "deactivated; they can no longer see this agency's cases"
        messages.success(request, f"{membership.user} was {what}.")
    return redirect(_team_url(membership.agency))


@team_required
@require_POST
def deactivate(request: HttpRequest, membership_id: int) -> HttpResponse:
    return _set_active(request, membership_id, active=False)


@team_required
@require_POST
def reactivate(request: HttpRequest, membership_id: int) -> HttpResponse:
    return _set_active(request, membership_id, active=True)


@team_required
@require_POST
def revoke_invitation(request: HttpRequest, invitation_id: int) -> HttpResponse:
    viewer = viewer_from_request(request)
    found = access_invitation_as_manager(viewer, invitation_id)
    try:
        actions.do_revoke_invitation(invitation=found, actor=_actor(request))
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"The invitation to {found.email} was withdrawn.")
    return redirect(_team_url(found.agency))


@account_required
def profile(request: HttpRequest) -> HttpResponse:
    """Everyone's own page: name and which emails they get (team mail can be turned off here)."""
    user = request.user
    assert isinstance(user, User)
    initial = {
        "name": user.name,
        "email_on_mention": user.email_on_mention,
        "email_on_client_reply": user.email_on_client_reply,
    }
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_update_profile(user=user, **form.cleaned_data)
        except ActionError as exc:
            form.add_error(exc.field, exc.message)
        else:
            messages.success(request, "Your profile is saved.")
            return redirect("settings:profile")
    return render(
        request,
        "accounts/settings/profile.html",
        {"form": form, "settings_tab": "profile", "photo_user": user},
    )


@require_POST
@account_required
def profile_photo(request: HttpRequest) -> HttpResponse:
    """Settings → Your profile → Photo: upload a new one, or remove it (back to initials)."""
    user = _actor(request)
    if request.POST.get("remove"):
        actions.do_remove_profile_photo(user=user)
        messages.success(request, "Your photo is removed; your initials show instead.")
        return redirect("settings:profile")
    try:
        actions.do_set_profile_photo(user=user, upload=request.FILES.get("photo"))
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Your photo is saved. It shows next to your messages.")
    return redirect("settings:profile")


@require_GET
def photo(request: HttpRequest, token: str) -> HttpResponseBase:
    """A profile photo, for anyone with a session (an account, or a magic link's) who was given
    its URL on a thread page. The random token in the URL is the only way to name a photo."""
    viewer = viewer_from_request(request)
    if not (viewer.is_authenticated_user or viewer.magic_grants) or not PHOTO_TOKEN_RE.match(token):
        raise Http404("No such photo.")
    name = f"people/{token}.webp"
    if not User.objects.filter(photo=name).exists():
        raise Http404("No such photo.")
    try:
        source = default_storage.open(name, "rb")
    except FileNotFoundError:
        raise Http404("No such photo.") from None
    response = file_response(
        source,
        filename="photo.webp",
        content_type="image/webp",
        inline=True,
        asynchronous=isinstance(request, ASGIRequest),
    )
    response["Cache-Control"] = "private, max-age=86400"  # a new photo gets a new token
    return response
