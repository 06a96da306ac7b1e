"""Satisfaction (issue 16 §5): ``do_rate_conversation``, once, by the visitor, after the close."""

from __future__ import annotations

import pytest
from django.http import Http404

from casedesk.lib.errors import ActionError
from casedesk.support import actions
from casedesk.support.access import access_conversation_as_visitor
from casedesk.support.models import Conversation, ConversationMessage, CsatRating, MessageKind, Visitor
from tests.conftest import Cast

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
    assert "The visitor rated the help: 👎 Not good." in line.body
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
