"""Settings → Team: invitations, roles and deactivation, with the owner rules."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client as HttpClient

from casedesk.accounts.actions import do_change_role, do_invite_member, do_set_membership_active
from casedesk.accounts.models import Invitation, Membership, Role, User, hash_token
from casedesk.jobs.testing import drain_tasks
from casedesk.lib.errors import ActionError
from tests.conftest import PASSWORD, Cast


def membership(cast: Cast, user: User) -> Membership:
    return Membership.objects.get(user=user, agency=cast.agency_a)


def invite_via_page(cast: Cast, capture: Any, email: str, role: str = "member") -> tuple[Any, str]:
    with capture(execute=True):
        response = cast.login(cast.alice).post(
            "/settings/team/invite/", {"agency": cast.agency_a.pk, "email": email, "role": role}
        )
    drain_tasks()  # the invitation email is a durable task
    found = re.search(r"http://127\.0\.0\.1:8000(/accounts/invitation/[\w-]+/)", str(mail.outbox[-1].body))
    assert found, mail.outbox[-1].body
    return response, found.group(1)


def test_team_page_lists_members_and_pending_invitations(cast: Cast) -> None:
    do_invite_member(agency=cast.agency_a, actor=cast.alice, email="newbie@acme.test", role=Role.MEMBER)
    body = cast.login(cast.adam).get("/settings/team/").content.decode()
    for text in ("Alice Owner", "Bob Member", "Vic Former", "newbie@acme.test", "Invite someone"):
        assert text in body
    assert "Dave Outsider" not in body


def test_invitation_is_emailed_with_a_hashed_token_and_a_new_person_joins(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    response, path = invite_via_page(cast, django_capture_on_commit_callbacks, "Newbie@Acme.test", "admin")
    assert response.status_code == 302
    invitation = Invitation.objects.get(email="newbie@acme.test")
    token = path.rstrip("/").rsplit("/", 1)[-1]
    assert invitation.token_hash == hash_token(token) and token not in invitation.token_hash
    assert mail.outbox[-1].to == ["newbie@acme.test"]
    assert "Alice Owner invited you to Acme Agency" in mail.outbox[-1].subject

    http = HttpClient()
    assert "Create my account and join" in http.get(path).content.decode()
    short = http.post(path, {"name": "Nina New", "password": "short"})
    assert "too short" in short.content.decode()
    joined = http.post(path, {"name": "Nina New", "password": "a-long-enough-password-9"})
    assert joined["Location"] == "/cases/"
    nina = User.objects.get(email="newbie@acme.test")
    assert membership(cast, nina).role == Role.ADMIN
    assert titles_on_list(http) == {"Spring campaign", "Initech rebrand"}
    # Single use.
    assert HttpClient().get(path).status_code == 410


def titles_on_list(http: HttpClient) -> set[str]:
    return {c.title for c in http.get("/cases/").context["cases"]}


def test_an_existing_account_accepts_by_signing_in(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    _, path = invite_via_page(cast, django_capture_on_commit_callbacks, cast.dave.email)
    anonymous = HttpClient().get(path).content.decode()
    assert "Sign in to accept" in anonymous
    wrong = cast.login(cast.bob)
    assert wrong.post(path).status_code == 200
    assert not Membership.objects.filter(user=cast.dave, agency=cast.agency_a).exists()
    http = HttpClient()
    http.post("/accounts/login/", {"username": cast.dave.email, "password": PASSWORD})
    assert http.post(path)["Location"] == "/cases/"
    assert membership(cast, cast.dave).role == Role.MEMBER


def test_reinviting_a_deactivated_member_reactivates_them(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    Membership.objects.filter(user=cast.bob, agency=cast.agency_a).update(is_active=False)
    _, path = invite_via_page(cast, django_capture_on_commit_callbacks, cast.bob.email, "admin")
    cast.login(cast.bob).post(path)
    bob = membership(cast, cast.bob)
    assert bob.is_active and bob.role == Role.ADMIN


def test_inviting_someone_already_on_the_team_says_so(cast: Cast) -> None:
    response = cast.login(cast.alice).post(
        "/settings/team/invite/", {"agency": cast.agency_a.pk, "email": cast.bob.email, "role": "member"}
    )
    assert response.status_code == 400
    assert "bob@acme.test is already on the team." in response.content.decode()


def test_admins_cannot_invite_owners(cast: Cast) -> None:
    with pytest.raises(ActionError, match="Only an owner can invite another owner"):
        do_invite_member(agency=cast.agency_a, actor=cast.adam, email="boss@acme.test", role=Role.OWNER)


def test_owner_changes_a_role(cast: Cast) -> None:
    response = cast.login(cast.alice).post(
        f"/settings/team/members/{membership(cast, cast.bob).pk}/role/", {"role": "admin"}
    )
    assert response.status_code == 302
    assert membership(cast, cast.bob).role == Role.ADMIN


def test_the_last_owner_cannot_be_demoted_or_deactivated(cast: Cast) -> None:
    alice = membership(cast, cast.alice)
    with pytest.raises(ActionError, match="last owner"):
        do_change_role(membership=alice, actor=cast.alice, role=Role.ADMIN)
    # With a second owner, one of them can go; then the other is the last one.
    Membership.objects.filter(pk=membership(cast, cast.adam).pk).update(role=Role.OWNER)
    do_set_membership_active(membership=alice, actor=cast.adam, active=False)
    assert membership(cast, cast.alice).is_active is False
    with pytest.raises(ActionError, match="last owner"):
        do_change_role(membership=membership(cast, cast.adam), actor=cast.adam, role=Role.MEMBER)
    assert membership(cast, cast.adam).role == Role.OWNER


def test_admins_cannot_touch_owners_or_make_owners(cast: Cast) -> None:
    http = cast.login(cast.adam)
    alice = membership(cast, cast.alice)
    response = http.post(f"/settings/team/members/{alice.pk}/deactivate/", follow=True)
    assert "Only an owner can deactivate or reactivate an owner." in response.content.decode()
    response = http.post(f"/settings/team/members/{alice.pk}/role/", {"role": "member"}, follow=True)
    assert "Only an owner can change an owner" in response.content.decode()
    http.post(f"/settings/team/members/{membership(cast, cast.bob).pk}/role/", {"role": "owner"})
    assert membership(cast, cast.alice).role == Role.OWNER and membership(cast, cast.alice).is_active
    assert membership(cast, cast.bob).role == Role.MEMBER


def test_deactivating_a_member_removes_their_access_to_the_agency(cast: Cast) -> None:
    bob_http = cast.login(cast.bob)
    assert bob_http.get(f"/cases/{cast.case_a.pk}/", follow=True).status_code == 200
    response = cast.login(cast.adam).post(
        f"/settings/team/members/{membership(cast, cast.bob).pk}/deactivate/"
    )
    assert response.status_code == 302
    assert membership(cast, cast.bob).is_active is False
    assert bob_http.get(f"/cases/{cast.case_a.pk}/").status_code == 404
    cast.login(cast.adam).post(f"/settings/team/members/{membership(cast, cast.bob).pk}/reactivate/")
    assert membership(cast, cast.bob).is_active is True


def test_nobody_can_deactivate_themselves(cast: Cast) -> None:
    with pytest.raises(ActionError, match="can't deactivate yourself"):
        do_set_membership_active(membership=membership(cast, cast.adam), actor=cast.adam, active=False)


def test_managers_of_another_agency_get_a_404_for_this_teams_members(cast: Cast) -> None:
    http = cast.login(cast.dave)
    bob = membership(cast, cast.bob)
    assert http.post(f"/settings/team/members/{bob.pk}/deactivate/").status_code == 404
    assert http.post(f"/settings/team/members/{bob.pk}/role/", {"role": "owner"}).status_code == 404
    assert membership(cast, cast.bob).is_active and membership(cast, cast.bob).role == Role.MEMBER


def test_a_withdrawn_invitation_no_longer_works(cast: Cast, django_capture_on_commit_callbacks: Any) -> None:
    _, path = invite_via_page(cast, django_capture_on_commit_callbacks, "late@acme.test")
    invitation = Invitation.objects.get(email="late@acme.test")
    cast.login(cast.adam).post(f"/settings/team/invitations/{invitation.pk}/revoke/")
    assert HttpClient().get(path).status_code == 410
