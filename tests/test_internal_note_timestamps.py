"""An internal note must not tell a client that something happened: no moved "Updated" time."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from casedesk.api.models import ApiToken
from casedesk.cases.actions import do_post_message
from casedesk.cases.models import Case
from tests.conftest import Cast


def _age_case(case: Case) -> None:
    past = timezone.now() - timedelta(days=3)
    Case.objects.filter(pk=case.pk).update(updated_at=past, created_at=past, last_message_at=past)


def test_portal_list_time_does_not_move_for_an_internal_note(cast: Cast) -> None:
    _age_case(cast.case_a)
    http = cast.login(cast.carol_user)
    before = http.get("/my-cases/").content.decode()
    assert "3\xa0days ago" in before
    do_post_message(
        case=cast.case_a, body="Internal: budget is tight", author_user=cast.bob, internal_only=True
    )
    after = http.get("/my-cases/").content.decode()
    assert "3\xa0days ago" in after
    do_post_message(case=cast.case_a, body="Draft attached", author_user=cast.bob)
    assert "3\xa0days ago" not in http.get("/my-cases/").content.decode()


def test_api_updated_at_for_clients_ignores_internal_notes(cast: Cast) -> None:
    _age_case(cast.case_a)
    _, token = ApiToken.issue(cast.carol_user, "portal client")
    headers = {"Authorization": f"Bearer {token}"}
    http = cast.login(cast.carol_user)
    before = http.get(f"/api/cases/{cast.case_a.pk}", headers=headers).json()["updated_at"]
    do_post_message(case=cast.case_a, body="Internal only", author_user=cast.bob, internal_only=True)
    assert http.get(f"/api/cases/{cast.case_a.pk}", headers=headers).json()["updated_at"] == before
    team = cast.login(cast.bob).get(f"/api/cases/{cast.case_a.pk}").json()["updated_at"]
    assert team != before  # the team still sees the case's real last change
