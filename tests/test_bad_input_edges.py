"""Edge-case input found in review: each gets a clear 4xx (or is cleaned), never a 500."""

from __future__ import annotations

import json

from django.core.cache import cache
from django.test import Client as HttpClient

from casedesk.api.models import ApiToken
from casedesk.cases.actions import do_post_message
from casedesk.cases.models import Message
from tests.conftest import Cast


def _bearer(cast: Cast) -> dict[str, str]:
    _, token = ApiToken.issue(cast.bob, "edge cases")
    return {"Authorization": f"Bearer {token}"}


def test_nul_characters_are_dropped_from_message_bodies(cast: Cast) -> None:
    response = HttpClient().post(
        f"/api/cases/{cast.case_a.pk}/messages", {"body": "before\x00after"}, headers=_bearer(cast)
    )
    assert response.status_code == 201, response.content
    assert Message.objects.get(pk=response.json()["id"]).body == "beforeafter"


def test_editing_with_a_nul_character_is_cleaned_too(cast: Cast) -> None:
    message = do_post_message(case=cast.case_a, body="first", author_user=cast.bob)
    response = HttpClient().patch(
        f"/api/cases/{cast.case_a.pk}/messages/{message.pk}",
        json.dumps({"body": "sec\u0000ond"}),
        content_type="application/json",
        headers=_bearer(cast),
    )
    assert response.status_code == 200, response.content
    message.refresh_from_db()
    assert message.body == "second"


def _widget_on(cast: Cast) -> None:
    cache.clear()
    cast.agency_a.support_widget_for_customers = True
    cast.agency_a.save()


def test_widget_bootstrap_with_a_malformed_page_url_is_a_clear_400(cast: Cast) -> None:
    _widget_on(cast)
    response = HttpClient().post(
        "/widget/api/acme/bootstrap", json.dumps({"page_url": "http://[x/"}), content_type="application/json"
    )
    assert 400 <= response.status_code < 500
    assert response.json()["error"]


def test_widget_rejects_deeply_nested_json_with_a_clear_400(cast: Cast) -> None:
    _widget_on(cast)
    body = "[" * 100_000 + "]" * 100_000
    response = HttpClient().post("/widget/api/acme/bootstrap", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "bad_json"
