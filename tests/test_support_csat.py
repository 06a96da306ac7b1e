"""Satisfaction (issue 16 §5): ``do_rate_conversation``, once, by the visitor, after the close."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.http import Http404
from django.test import Client as HttpClient

from casedesk.lib.errors import ActionError
from casedesk.support import actions
from casedesk.support.access import access_conversation_as_visitor
from casedesk.support.models import Conversation, ConversationMessage, CsatRating, MessageKind, Visitor
from casedesk.support.stats import dashboard_for
from tests.conftest import Cast
from tests.support_helpers import Widget, triage_stub  # noqa: F401

pytestmark = pytest.mark.django_db


def _closed(cast: Cast, agency: object = None) -> Conversation:
    conversation = actions.do_start_conversation(agency=agency or cast.agency_a)  # type: ignore[arg-type]
    return actions.do_close(conversation=conversation)


def test_the_visitor_rates_a_closed_conversation_once_and_the_team_sees_a_line(cast: Cast) -> None:
    conversation = _closed(cast)
    rated = actions.do_rate_conversation(
        conversation=conversation, visitor=conversation.visitor, rating="bad", comment="  Slow answer.  "
    )
    rated.refresh_from_db()
    assert rated.csat_rating == CsatRating.BAD
    assert rated.csat_comment == "Slow answer."
    assert rated.csat_at is not None
    line = ConversationMessage.objects.filter(conversation=rated, kind=MessageKind.SYSTEM).last()
    assert line is not None
    assert "Rated the help: Not good." in line.body
    assert "Comment: Slow answer." in line.body


def test_a_second_rating_is_refused_with_409(cast: Cast) -> None:
    conversation = _closed(cast)
    actions.do_rate_conversation(conversation=conversation, visitor=conversation.visitor, rating="good")
    with pytest.raises(ActionError) as refused:
        actions.do_rate_conversation(conversation=conversation, visitor=conversation.visitor, rating="bad")
    assert refused.value.status == 409
    assert "already rated" in refused.value.message
    conversation.refresh_from_db()
    assert conversation.csat_rating == CsatRating.GOOD


def test_an_open_conversation_cannot_be_rated(cast: Cast) -> None:
    conversation = actions.do_start_conversation(agency=cast.agency_a)
    with pytest.raises(ActionError) as refused:
        actions.do_rate_conversation(conversation=conversation, visitor=conversation.visitor, rating="good")
    assert refused.value.status == 409
    assert "still open" in refused.value.message
    conversation.refresh_from_db()
    assert conversation.csat_rating == ""


def test_another_visitor_cannot_rate(cast: Cast) -> None:
    conversation = _closed(cast)
    stranger = Visitor.objects.create(agency=cast.agency_a)
    with pytest.raises(ActionError) as refused:
        actions.do_rate_conversation(conversation=conversation, visitor=stranger, rating="bad")
    assert refused.value.status == 404
    conversation.refresh_from_db()
    assert conversation.csat_rating == ""


def test_a_comment_over_the_limit_is_refused_with_a_sentence(cast: Cast) -> None:
    conversation = _closed(cast)
    with pytest.raises(ActionError) as refused:
        actions.do_rate_conversation(
            conversation=conversation, visitor=conversation.visitor, rating="bad", comment="x" * 1001
        )
    assert refused.value.field == "comment"
    assert "1,001 characters long; the limit is 1,000" in refused.value.message
    conversation.refresh_from_db()
    assert conversation.csat_rating == ""


def test_an_unknown_rating_is_refused(cast: Cast) -> None:
    conversation = _closed(cast)
    with pytest.raises(ActionError) as refused:
        actions.do_rate_conversation(conversation=conversation, visitor=conversation.visitor, rating="meh")
    assert "Choose Good or Not good" in refused.value.message


def test_another_tenants_conversation_is_404(cast: Cast) -> None:
    theirs = _closed(cast, cast.agency_b)
    mine = Visitor.objects.create(agency=cast.agency_a)
    # The widget reads the conversation through access first: 404 there.
    with pytest.raises(Http404):
        access_conversation_as_visitor(mine, str(theirs.public_id))
    # And the action refuses on its own too.
    with pytest.raises(ActionError) as refused:
        actions.do_rate_conversation(conversation=theirs, visitor=mine, rating="good")
    assert refused.value.status == 404
    theirs.refresh_from_db()
    assert theirs.csat_rating == ""


# --- the widget asks, the dashboard and the API count (issue 16 §5) ---------------------------


@pytest.fixture
def widget_on(cast: Cast) -> None:
    cache.clear()
    for agency in (cast.agency_a, cast.agency_b):
        agency.support_widget_for_customers = True
        agency.save()


def _widget_conversation(slug: str) -> tuple[Widget, Conversation]:
    widget = Widget(slug)
    widget.bootstrap()
    public_id = widget.ask("When do I get my invoice?").json()["conversation"]["id"]
    return widget, Conversation.objects.get(public_id=public_id)


@pytest.mark.usefixtures("triage_stub", "widget_on")
def test_the_widget_asks_once_after_the_close_and_records_the_rating(cast: Cast) -> None:
    widget, conversation = _widget_conversation("acme")
    path = f"/conversations/{conversation.public_id}"
    assert widget.get(path).json()["csat"] == {"ask": False, "rating": ""}  # still open: not asked
    early = widget.post(f"{path}/rating", {"rating": "good"})
    assert early.status_code == 409 and "still open" in early.json()["error"]

    actions.do_close(conversation=conversation)
    assert widget.get(path).json()["csat"] == {"ask": True, "rating": ""}
    rated = widget.post(f"{path}/rating", {"rating": "bad", "comment": "Took a while."})
    assert rated.status_code == 200
    body = rated.json()
    assert body["csat"] == {"ask": False, "rating": "bad"}  # asked once: never again
    assert any("Rated the help: Not good." in m["html"] for m in body["messages"])
    conversation.refresh_from_db()
    assert (conversation.csat_rating, conversation.csat_comment) == ("bad", "Took a while.")

    again = widget.post(f"{path}/rating", {"rating": "good"})
    assert again.status_code == 409 and "already rated" in again.json()["error"]


@pytest.mark.usefixtures("triage_stub", "widget_on")
def test_bad_rating_input_gets_a_sentence_and_saves_nothing(cast: Cast) -> None:
    widget, conversation = _widget_conversation("acme")
    actions.do_close(conversation=conversation)
    path = f"/conversations/{conversation.public_id}/rating"
    for data, words in (
        ({}, "Choose Good or Not good"),
        ({"rating": "meh"}, "Choose Good or Not good"),
        ({"rating": 1}, "must be text"),
        ({"rating": "good", "comment": "x" * 1500}, "1,500 characters long; the limit is 1,000"),
    ):
        response = widget.post(path, data)
        assert response.status_code == 400, data
        assert words in response.json()["error"], data
    conversation.refresh_from_db()
    assert conversation.csat_rating == "" and conversation.csat_at is None


@pytest.mark.usefixtures("triage_stub", "widget_on")
def test_another_visitor_or_tenant_cannot_rate_through_the_widget(cast: Cast) -> None:
    _, conversation = _widget_conversation("acme")
    actions.do_close(conversation=conversation)
    stranger = Widget("acme")
    stranger.bootstrap()
    path = f"/conversations/{conversation.public_id}/rating"
    assert stranger.post(path, {"rating": "bad"}).status_code == 404
    other_tenant = Widget("bravo")
    other_tenant.bootstrap()
    assert other_tenant.post(path, {"rating": "bad"}).status_code == 404
    conversation.refresh_from_db()
    assert conversation.csat_rating == ""


def _rate(cast: Cast, agency: object, rating: str) -> None:
    conversation = _closed(cast, agency)
    actions.do_rate_conversation(conversation=conversation, visitor=conversation.visitor, rating=rating)


def test_dashboard_and_api_count_ratings_for_their_own_agency_only(cast: Cast) -> None:
    _rate(cast, cast.agency_a, "good")
    _rate(cast, cast.agency_a, "good")
    _rate(cast, cast.agency_a, "bad")
    _rate(cast, cast.agency_b, "bad")  # another tenant's: never in A's figures
    _rate(cast, cast.agency_b, "bad")
    dashboard = dashboard_for(cast.agency_a)
    assert (dashboard.totals["csat_good"], dashboard.totals["csat_bad"]) == (2, 1)
    assert dashboard.csat_percent == 66.7
    assert dashboard.days[-1].csat_good == 2  # counted on the day of the rating (today)
    assert "rated good" in dashboard.svg()

    http = cast.login(cast.bob)
    response = http.get(f"/api/support/stats?agency_id={cast.agency_a.pk}&days=7")
    assert response.status_code == 200
    data = response.json()
    assert data["days"] == 7 and len(data["per_day"]) == 7
    assert data["totals"]["csat_good"] == 2 and data["totals"]["csat_bad"] == 1
    assert data["csat_percent"] == 66.7
    assert {"confirmed", "assumed", "csat_good", "csat_bad"} <= set(data["per_day"][-1])
    assert sum(day["csat_bad"] for day in data["per_day"]) == 1

    page = http.get("/support/")
    assert page.status_code == 200
    assert b'data-figure="csat">67%' in page.content


def test_the_stats_api_is_the_agency_teams_only(cast: Cast) -> None:
    _rate(cast, cast.agency_a, "good")
    url = f"/api/support/stats?agency_id={cast.agency_a.pk}"
    assert cast.login(cast.dave).get(url).status_code == 404  # another agency's team
    assert cast.login(cast.carol_user).get(url).status_code == 404  # a client
    assert HttpClient().get(url).status_code == 401
    assert (
        cast.login(cast.bob).get(f"/api/support/stats?agency_id={cast.agency_a.pk}&days=91").status_code
        == 422
    )
    assert cast.login(cast.bob).get("/api/support/stats").status_code == 422


def test_no_ratings_reads_as_none_not_zero_percent(cast: Cast) -> None:
    assert dashboard_for(cast.agency_a).csat_percent is None
    assert b"no ratings yet" in cast.login(cast.bob).get("/support/").content
