"""The client portal lists only the cases the viewer's contact is on."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext

from casedesk.accounts.models import Contact
from casedesk.cases.actions import do_create_case
from tests.conftest import Cast


def titles(response: Any) -> set[str]:
    return {case.title for case in response.context["cases"]}


def test_portal_client_sees_only_cases_their_contact_is_on(cast: Cast) -> None:
    response = cast.login(cast.carol_user).get("/my-cases/")
    assert response.status_code == 200
    assert titles(response) == {"Spring campaign"}


def test_another_client_of_the_same_agency_sees_only_their_own(cast: Cast) -> None:
    http = cast.login(cast.frank_user)
    assert titles(http.get("/my-cases/")) == {"Initech rebrand"}
    assert http.get(f"/my-cases/{cast.case_a.pk}/").status_code == 404


def test_a_contact_of_the_same_client_not_on_the_case_does_not_see_it(cast: Cast) -> None:
    do_create_case(agency=cast.agency_a, client=cast.globex, title="Only Erin", contacts=[cast.erin])
    assert titles(cast.login(cast.carol_user).get("/my-cases/")) == {"Spring campaign"}


def test_portal_user_with_contacts_in_two_agencies_sees_both(cast: Cast) -> None:
    uma_too = Contact.objects.create(
        agency=cast.agency_b,
        client=cast.umbrella,
        name="Carol at Umbrella",
        email=cast.carol_user.email,
        user=cast.carol_user,
    )
    do_create_case(agency=cast.agency_b, client=cast.umbrella, title="Carol at B", contacts=[uma_too])
    assert titles(cast.login(cast.carol_user).get("/my-cases/")) == {"Spring campaign", "Carol at B"}


def test_portal_case_page_leads_to_the_thread(cast: Cast) -> None:
    response = cast.login(cast.carol_user).get(f"/my-cases/{cast.case_a.pk}/", follow=True)
    assert response.status_code == 200
    assert "Spring campaign" in response.content.decode()


def test_team_members_have_no_portal_cases_and_no_portal_case_page(cast: Cast) -> None:
    http = cast.login(cast.alice)
    assert titles(http.get("/my-cases/")) == set()
    assert http.get(f"/my-cases/{cast.case_a.pk}/").status_code == 404


def test_nobody_signed_in_is_sent_to_sign_in(cast: Cast) -> None:
    assert HttpClient().get("/my-cases/")["Location"].startswith("/accounts/login/")


def test_portal_list_query_count_does_not_grow_with_cases(cast: Cast) -> None:
    http = cast.login(cast.carol_user)
    http.get("/my-cases/")
    with CaptureQueriesContext(connection) as small:
        http.get("/my-cases/")
    for index in range(20):
        do_create_case(agency=cast.agency_a, client=cast.globex, title=f"More {index}", contacts=[cast.carol])
    with CaptureQueriesContext(connection) as large:
        response = http.get("/my-cases/")
    assert len(titles(response)) == 21
    assert len(large) == len(small)
