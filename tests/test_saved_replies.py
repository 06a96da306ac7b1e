"""Saved replies (issue 16 §4): the variables, the rules for saving, the ``/`` lists of a case
thread and a support conversation, and that the list is the team's alone."""

from __future__ import annotations

import json

import pytest

from casedesk.accounts.access import viewer_for_user
from casedesk.accounts.models import User
from casedesk.cases.access import visible_saved_replies
from casedesk.cases.models import SavedReply
from casedesk.cases.saved_replies import FillValues, fill, unknown_variables
from casedesk.cases.saved_reply_actions import (
    do_create_saved_reply,
    do_delete_saved_reply,
    do_update_saved_reply,
)
from casedesk.lib.errors import ActionError
from casedesk.support.actions import do_request_escalation, do_start_conversation
from casedesk.support.models import Visitor
from tests.conftest import Cast

pytestmark = pytest.mark.django_db

GREETING = "Hi {{contact.first_name}}, {{ case.title }} is moving. — {{agent.first_name}}"


@pytest.mark.parametrize(
    ("body", "values", "expected"),
    [
        (
            GREETING,
            FillValues("Carol", "Spring campaign", "Bob"),
            "Hi Carol, Spring campaign is moving. — Bob",
        ),
        ("Hi {{contact.first_name}},", FillValues("", "x", "Bob"), "Hi there,"),
        ("{{case.title}}{{case.title}}", FillValues("", "Ab", ""), "AbAb"),
        ("Plain {braces} and {{ not closed", FillValues("C", "T", "A"), "Plain {braces} and {{ not closed"),
    ],
)
def test_fill(body: str, values: FillValues, expected: str) -> None:
    assert fill(body, values) == expected


def test_unknown_variables_are_listed_once_in_order() -> None:
    assert unknown_variables("{{contact.name}} {{ case.id }} {{contact.name}} {{case.title}}") == [
        "contact.name",
        "case.id",
    ]


@pytest.mark.parametrize(
    ("title", "body", "sentence"),
    [
        ("", "Thanks", "Give the saved reply a name"),
        ("   ", "Thanks", "Give the saved reply a name"),
        ("x" * 81, "Thanks", "keep it to 80"),
        ("Thanks", "  \n ", "Write the reply's text."),
        ("Thanks", "y" * 10_001, "10,001 characters; a saved reply holds up to 10,000"),
        (
            "Thanks",
            "Hi {{contact.name}}",
            "{{contact.name}} is not a variable casedesk knows. Use {{contact.first_name}}",
        ),
    ],
)
def test_bad_saved_replies_are_refused_with_a_sentence(
    cast: Cast, title: str, body: str, sentence: str
) -> None:
    with pytest.raises(ActionError) as refused:
        do_create_saved_reply(agency=cast.agency_a, author=cast.bob, title=title, body=body)
    assert sentence in refused.value.message
    assert not SavedReply.objects.exists()


def test_names_are_unique_per_agency_ignoring_case(cast: Cast) -> None:
    do_create_saved_reply(agency=cast.agency_a, author=cast.bob, title="On it", body="Thanks")
    with pytest.raises(ActionError) as refused:
        do_create_saved_reply(agency=cast.agency_a, author=cast.alice, title="on  IT", body="Other")
    assert refused.value.status == 409
    # Another agency may use the same name.
    do_create_saved_reply(agency=cast.agency_b, author=cast.dave, title="On it", body="Danke")
    assert SavedReply.objects.count() == 2


def test_update_and_delete(cast: Cast) -> None:
    first = do_create_saved_reply(agency=cast.agency_a, author=cast.bob, title="One", body="1")
    do_create_saved_reply(agency=cast.agency_a, author=cast.bob, title="Two", body="2")
    with pytest.raises(ActionError):
        do_update_saved_reply(reply=first, title="two", body="1")
    do_update_saved_reply(reply=first, title="One!", body="  changed  ")
    first.refresh_from_db()
    assert (first.title, first.body) == ("One!", "changed")
    do_delete_saved_reply(reply=first)
    assert list(SavedReply.objects.values_list("title", flat=True)) == ["Two"]


def test_only_the_agency_team_reads_the_list(cast: Cast) -> None:
    do_create_saved_reply(agency=cast.agency_a, author=cast.bob, title="Welcome", body="Hello")
    for user in (cast.alice, cast.adam, cast.bob):
        assert [r.title for r in visible_saved_replies(viewer_for_user(user), cast.agency_a.pk)] == [
            "Welcome"
        ]
    outsiders: list[User | None] = [cast.carol_user, cast.frank_user, cast.dave, cast.pat, cast.vic, None]
    for outsider in outsiders:
        assert list(visible_saved_replies(viewer_for_user(outsider), cast.agency_a.pk)) == []


def test_case_picker_fills_in_the_case_and_the_agent(cast: Cast) -> None:
    do_create_saved_reply(agency=cast.agency_a, author=cast.alice, title="Greeting", body=GREETING)
    do_create_saved_reply(
        agency=cast.agency_a, author=cast.alice, title="Invoice", body="Your invoice is attached."
    )
    do_create_saved_reply(agency=cast.agency_b, author=cast.dave, title="Bravo greeting", body="Bravo")
    response = cast.login(cast.bob).get(f"/cases/{cast.case_a.pk}/saved-replies?q=greet")
    assert response.status_code == 200
    results = json.loads(response.content)["results"]
    # The case's first contact by name is Carol Client; Bob picks it.
    assert [(r["title"], r["insert"]) for r in results] == [
        ("Greeting", "Hi Carol, Spring campaign is moving. — Bob")
    ]
    everything = json.loads(cast.login(cast.bob).get(f"/cases/{cast.case_a.pk}/saved-replies").content)
    assert [r["title"] for r in everything["results"]] == ["Greeting", "Invoice"]


def test_case_picker_is_refused_to_clients_and_other_agencies(cast: Cast) -> None:
    do_create_saved_reply(agency=cast.agency_a, author=cast.alice, title="Greeting", body=GREETING)
    url = f"/cases/{cast.case_a.pk}/saved-replies"
    assert cast.login(cast.carol_user).get(url).status_code == 404
    assert cast.magic_client().get(url).status_code == 404
    assert cast.login(cast.dave).get(url).status_code == 404
    assert cast.login(cast.dave).get(f"/cases/{cast.case_b.pk}/saved-replies").json() == {"results": []}


def test_support_picker_fills_in_the_visitor(cast: Cast) -> None:
    do_create_saved_reply(agency=cast.agency_a, author=cast.alice, title="Greeting", body=GREETING)
    visitor = Visitor.objects.create(agency=cast.agency_a, name="Sam Shopper")
    conversation = do_start_conversation(agency=cast.agency_a, visitor=visitor, subject="Where is my parcel?")
    do_request_escalation(conversation=conversation)
    conversation.refresh_from_db()
    response = cast.login(cast.adam).get(f"/support/conversations/{conversation.pk}/saved-replies?q=")
    (result,) = response.json()["results"]
    title = conversation.case.title if conversation.case else conversation.subject
    assert result["insert"] == f"Hi Sam, {title} is moving. — Adam"
    assert (
        cast.login(cast.dave).get(f"/support/conversations/{conversation.pk}/saved-replies").status_code
        == 404
    )


def test_settings_page_adds_changes_and_deletes(cast: Cast) -> None:
    http = cast.login(cast.bob)
    agency = cast.agency_a.pk
    page = http.get(f"/settings/saved-replies/?agency={agency}")
    assert page.status_code == 200
    assert "No saved replies yet" in page.content.decode()
    added = http.post(
        "/settings/saved-replies/", {"agency": agency, "title": "On it", "body": "We're on it."}
    )
    assert added.status_code == 302
    reply = SavedReply.objects.get()
    assert (reply.agency_id, reply.created_by_id) == (agency, cast.bob.pk)
    refused = http.post("/settings/saved-replies/", {"agency": agency, "title": "on it", "body": "Again"})
    assert refused.status_code == 400
    assert "There is already a saved reply named “on it”" in refused.content.decode()
    changed = http.post(
        f"/settings/saved-replies/{reply.pk}/", {"agency": agency, "title": "On it", "body": "Done"}
    )
    assert changed.status_code == 302
    reply.refresh_from_db()
    assert reply.body == "Done"
    # Another agency's owner can't change or delete it, even by id.
    other = cast.login(cast.dave)
    assert other.post(f"/settings/saved-replies/{reply.pk}/", {"title": "x", "body": "y"}).status_code == 404
    assert other.post(f"/settings/saved-replies/{reply.pk}/delete").status_code == 404
    assert http.post(f"/settings/saved-replies/{reply.pk}/delete", {"agency": agency}).status_code == 302
    assert not SavedReply.objects.exists()


def test_settings_tab_is_shown_to_the_team_not_to_clients(cast: Cast) -> None:
    assert "Saved replies" in cast.login(cast.bob).get("/settings/profile/").content.decode()
    assert "Saved replies" not in cast.login(cast.carol_user).get("/settings/profile/").content.decode()


@pytest.mark.parametrize("reply_id", ["0", "99999999999999999999", str(2**63)])
def test_ids_out_of_range_are_a_404_not_a_database_error(cast: Cast, reply_id: str) -> None:
    http = cast.login(cast.bob)
    assert http.get(f"/settings/saved-replies/{reply_id}/").status_code == 404
    assert http.post(f"/settings/saved-replies/{reply_id}/delete").status_code == 404
