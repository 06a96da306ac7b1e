"""Per visitor, at most a few escalations an hour (WidgetSettings.escalations_per_visitor_hour)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone

from casedesk.lib.errors import ActionError
from casedesk.support import actions
from casedesk.support.models import (
    Conversation,
    ConversationState,
    Escalation,
    MessageKind,
    Visitor,
    WidgetSettings,
)
from tests.conftest import Cast
from tests.support_helpers import triage_stub  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def _new(cast: Cast, visitor: Visitor | None) -> Conversation:
    return actions.do_start_conversation(
        agency=cast.agency_a, visitor=visitor, page_url="http://testserver/s/acme/"
    )


def test_the_visitor_past_the_limit_gets_a_sentence_and_no_new_case(cast: Cast) -> None:
    WidgetSettings.objects.update_or_create(
        agency=cast.agency_a, defaults={"escalations_per_visitor_hour": 2}
    )
    first = _new(cast, None)
    visitor = first.visitor
    actions.do_request_escalation(conversation=first)
    actions.do_request_escalation(conversation=_new(cast, visitor))
    third = _new(cast, visitor)
    with pytest.raises(ActionError) as refused:
        actions.do_request_escalation(conversation=third)
    assert refused.value.status == 429
    assert "You've asked for a person 2 times in the last hour" in str(refused.value)
    assert "you can ask again in 60 minutes" in str(refused.value)
    assert Escalation.objects.filter(conversation__visitor=visitor).count() == 2
    third.refresh_from_db()
    assert third.state == ConversationState.BOT


@pytest.mark.usefixtures("triage_stub")
def test_asking_for_a_person_in_the_chat_past_the_limit_gets_the_sentence_as_a_line(cast: Cast) -> None:
    WidgetSettings.objects.update_or_create(
        agency=cast.agency_a, defaults={"escalations_per_visitor_hour": 1}
    )
    first = _new(cast, None)
    actions.do_request_escalation(conversation=first)
    second = _new(cast, first.visitor)
    lines = actions.do_post_visitor_message(conversation=second, body="I want to talk to a human")
    assert lines[-1].kind == MessageKind.BOT_NOTICE
    assert lines[-1].body.startswith("You've asked for a person once in the last hour")
    assert not Escalation.objects.filter(conversation=second).exists()


def test_an_hour_later_or_another_visitor_or_no_limit_escalates(cast: Cast) -> None:
    WidgetSettings.objects.update_or_create(
        agency=cast.agency_a, defaults={"escalations_per_visitor_hour": 1}
    )
    first = _new(cast, None)
    actions.do_request_escalation(conversation=first)
    actions.do_request_escalation(conversation=_new(cast, None))  # another visitor
    Escalation.objects.filter(conversation=first).update(created_at=timezone.now() - timedelta(minutes=61))
    actions.do_request_escalation(conversation=_new(cast, first.visitor))
    WidgetSettings.objects.filter(agency=cast.agency_a).update(escalations_per_visitor_hour=0)
    for _ in range(3):
        actions.do_request_escalation(conversation=_new(cast, first.visitor))
    assert Escalation.objects.filter(conversation__visitor=first.visitor).count() == 5


def test_asking_again_in_an_escalated_conversation_is_not_counted(
    cast: Cast, run_tasks: Callable[[], int]
) -> None:
    WidgetSettings.objects.update_or_create(
        agency=cast.agency_a, defaults={"escalations_per_visitor_hour": 1}
    )
    first = _new(cast, None)
    actions.do_request_escalation(conversation=first)
    assert actions.do_request_escalation(conversation=first).conversation_id == first.pk  # idempotent


def test_the_limit_is_a_setting_with_a_checked_range(cast: Cast) -> None:
    admin = cast.login(cast.alice)
    form = admin.get("/settings/support-widget/").context["form"]
    data = {name: value for name, value in form.initial.items() if value not in (None, False)}
    data["escalations_per_visitor_hour"] = "101"
    assert (
        "Give a limit between 0 (no limit) and 100"
        in admin.post("/settings/support-widget/", data).content.decode()
    )


@pytest.mark.usefixtures("triage_stub")
def test_the_widget_api_answers_the_limit_with_429_and_the_sentence(cast: Cast) -> None:
    from tests.support_helpers import Widget

    cast.agency_a.support_widget_for_customers = True
    cast.agency_a.save()
    WidgetSettings.objects.update_or_create(
        agency=cast.agency_a, defaults={"escalations_per_visitor_hour": 1}
    )
    widget = Widget(cast.agency_a.slug)
    widget.bootstrap()
    first = widget.ask("When do I get my invoice?").json()["conversation"]["id"]
    assert widget.post(f"/conversations/{first}/escalate").status_code == 200
    second = widget.ask("Another question about invoices").json()["conversation"]["id"]
    refused = widget.post(f"/conversations/{second}/escalate")
    assert refused.status_code == 429
    assert "You've asked for a person once in the last hour" in refused.json()["error"]
    assert refused.json()["code"] == "escalation_limit"
