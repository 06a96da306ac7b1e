from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from casedesk.accounts import settings_views

app_name = "settings"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", settings_views.general, name="general"),
    path("team/", settings_views.team, name="team"),
    path("profile/", settings_views.profile, name="profile"),
    path("profile/photo/", settings_views.profile_photo, name="profile_photo"),
    path("team/invite/", settings_views.invite, name="invite"),
    path("team/members/<int:membership_id>/role/", settings_views.change_role, name="change_role"),
    path("team/members/<int:membership_id>/deactivate/", settings_views.deactivate, name="deactivate"),
    path("team/members/<int:membership_id>/reactivate/", settings_views.reactivate, name="reactivate"),
    path(
        "team/invitations/<int:invitation_id>/revoke/",
        settings_views.revoke_invitation,
        name="revoke_invitation",
    ),
]
