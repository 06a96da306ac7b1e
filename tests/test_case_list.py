"""The team's case list: scoping, filters, query budget, creating cases, the case page shell."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from casedesk.accounts.models import Client, Contact, Membership, Role
from casedesk.cases.actions import do_create_case
from casedesk.cases.models import Case, CaseStatus
from tests.conftest import Cast, make_user


def titles(response: Any) -> set[str]:
    return {case.title for case in response.context["cases"]}


def test_list_shows_only_the_current_agencys_cases(cast: Cast) -> None:
    response = cast.login(cast.bob).get("/cases/")
    assert response.status_code == 200
    assert titles(response) == {"Spring campaign", "Initech rebrand"}
    assert "Umbrella launch" not in response.content.decode()


def test_filter_by_status(cast: Cast) -> None:
    http = cast.login(cast.alice)
    cast.case_a2.status = CaseStatus.CLOSED
    cast.case_a2.save()
    assert titles(http.get("/cases/")) == {"Spring campaign"}  # default: active cases
    assert titles(http.get("/cases/?status=closed")) == {"Initech rebrand"}
    assert titles(http.get("/cases/?status=all")) == {"Spring campaign", "Initech rebrand"}
    assert titles(http.get("/cases/?status=waiting")) == set()


def test_filter_by_client(cast: Cast) -> None:
    response = cast.login(cast.alice).get(f"/cases/?client={cast.initech.pk}")
    assert titles(response) == {"Initech rebrand"}


def test_filter_by_assignee(cast: Cast) -> None:
    http = cast.login(cast.bob)
    assert titles(http.get("/cases/?assignee=me")) == {"Spring campaign"}
    assert titles(http.get("/cases/?assignee=none")) == {"Initech rebrand"}
    assert titles(cast.login(cast.alice).get(f"/cases/?assignee={cast.bob.pk}")) == {"Spring campaign"}


def test_filter_by_another_agencys_client_shows_nothing(cast: Cast) -> None:
    assert titles(cast.login(cast.alice).get(f"/cases/?client={cast.umbrella.pk}")) == set()


def _add_cases(cast: Cast, count: int) -> None:
    for index in range(count):
        contact = Contact.objects.create(
            agency=cast.agency_a, client=cast.globex, name=f"Person {index}", email=f"p{index}@globex.test"
        )
        do_create_case(
            agency=cast.agency_a,
            client=cast.globex if index % 2 else cast.initech,
            title=f"Case {index}",
            contacts=[contact] if index % 2 else [],
            members=[cast.bob, cast.adam],
        )


def _queries_for_list(cast: Cast) -> int:
    http = cast.login(cast.alice)
    http.get("/cases/")  # warm the session and any per-process caches
    with CaptureQueriesContext(connection) as queries:
        response = http.get("/cases/?status=all")
    assert response.status_code == 200
    return len(queries)


def test_case_list_runs_the_same_number_of_queries_for_2_and_40_cases(cast: Cast) -> None:
    small = _queries_for_list(cast)
    _add_cases(cast, 38)
    assert Case.objects.filter(agency=cast.agency_a).count() == 40
    large = _queries_for_list(cast)
    assert large == small, f"{small} queries for 2 cases, {large} for 40: an N+1 crept in"
    assert large <= 25


def test_team_member_creates_a_case_with_contacts_and_assignees(cast: Cast) -> None:
    http = cast.login(cast.bob)
    response = http.post(
        "/cases/new/",
        {
            "agency": cast.agency_a.pk,
            "title": "  Logo refresh  ",
            "client": cast.globex.pk,
            "contacts": [cast.carol.pk],
            "members": [cast.bob.pk],
        },
    )
    case = Case.objects.get(title="Logo refresh")
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{case.pk}/"
    assert case.agency == cast.agency_a and case.number == 3
    assert list(case.contacts.all()) == [cast.carol]
    assert list(case.members.all()) == [cast.bob]


def test_creating_a_case_with_another_clients_contact_says_why(cast: Cast) -> None:
    response = cast.login(cast.bob).post(
        "/cases/new/",
        {"agency": cast.agency_a.pk, "title": "Mixed", "client": cast.globex.pk, "contacts": [cast.frank.pk]},
    )
    assert response.status_code == 400
    assert "Frank Otherclient works for another client; pick contacts of Globex." in response.content.decode()
    assert not Case.objects.filter(title="Mixed").exists()


def test_a_case_cannot_be_created_for_another_agencys_client(cast: Cast) -> None:
    response = cast.login(cast.bob).post(
        "/cases/new/", {"agency": cast.agency_a.pk, "title": "Sneaky", "client": cast.umbrella.pk}
    )
    assert response.status_code == 400
    assert not Case.objects.filter(title="Sneaky").exists()


def test_case_page_shows_the_header_and_tabs_for_the_team(cast: Cast) -> None:
    http = cast.login(cast.bob)
    response = http.get(f"/cases/{cast.case_a.pk}/", follow=True)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Spring campaign" in body and "case-1" in body
    assert "Messages" in body and "Documents" in body


def test_case_page_of_another_agency_is_a_404(cast: Cast) -> None:
    assert cast.login(cast.bob).get(f"/cases/{cast.case_b.pk}/").status_code == 404
    assert cast.login(cast.bob).get("/cases/999999/").status_code == 404


def test_status_change_from_the_case_page(cast: Cast) -> None:
    response = cast.login(cast.bob).post(f"/cases/{cast.case_a.pk}/status/", {"status": "closed"})
    assert response.status_code == 302
    cast.case_a.refresh_from_db()
    assert cast.case_a.status == CaseStatus.CLOSED and cast.case_a.closed_at is not None


def _two_agency_user(cast: Cast) -> Any:
    Membership.objects.create(user=cast.bob, agency=cast.agency_b, role=Role.MEMBER)
    return cast.login(cast.bob)


def test_agency_switcher_changes_the_current_agency(cast: Cast) -> None:
    http = _two_agency_user(cast)
    first = http.get("/cases/")
    assert titles(first) == {"Spring campaign", "Initech rebrand"}  # "Acme" sorts before "Bravo"
    assert 'name="agency"' in first.content.decode() and "Bravo Agency" in first.content.decode()
    response = http.post("/accounts/agency/", {"agency": cast.agency_b.pk, "next": "/cases/?status=all"})
    assert response["Location"] == "/cases/"
    assert titles(http.get("/cases/")) == {"Umbrella launch"}
    assert titles(http.get(f"/cases/?agency={cast.agency_a.pk}")) == {"Spring campaign", "Initech rebrand"}


def test_agency_switcher_ignores_agencies_you_are_not_in(cast: Cast) -> None:
    http = cast.login(cast.bob)
    http.post("/accounts/agency/", {"agency": cast.agency_b.pk})
    assert titles(http.get("/cases/")) == {"Spring campaign", "Initech rebrand"}
    assert http.get(f"/cases/?agency={cast.agency_b.pk}").status_code == 404


def test_a_deactivated_membership_loses_the_agency(cast: Cast) -> None:
    Membership.objects.filter(user=cast.bob).update(is_active=False)
    assert cast.login(cast.bob).get("/cases/").status_code == 404


def test_new_case_form_offers_only_this_agencys_clients_and_team(cast: Cast) -> None:
    Client.objects.create(agency=cast.agency_b, name="Bravo-only client")
    outsider = make_user("eve@bravo.test", "Eve Bravo")
    Membership.objects.create(user=outsider, agency=cast.agency_b)
    body = cast.login(cast.alice).get("/cases/").content.decode()
    assert "Globex" in body and "Bravo-only client" not in body and "Eve Bravo" not in body


def test_on_a_case_page_the_sidebar_shows_the_cases_agency(cast: Cast) -> None:
    http = _two_agency_user(cast)
    http.post("/accounts/agency/", {"agency": cast.agency_b.pk})
    response = http.get(f"/cases/{cast.case_a.pk}/", follow=True)
    assert response.context["current_agency"] == cast.agency_a


def test_without_a_choice_the_agency_joined_first_is_current(cast: Cast) -> None:
    Membership.objects.create(user=cast.dave, agency=cast.agency_a, role=Role.MEMBER)  # joined A after B
    assert titles(cast.login(cast.dave).get("/cases/")) == {"Umbrella launch"}
