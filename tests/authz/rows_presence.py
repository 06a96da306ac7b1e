"""Authorization rows for presence: seen receipts (typing travels on the websocket and is
covered by tests/test_leak_canary_typing.py). Team read state is team-only; a client's is
their own case only; the other agency, other clients and staff get the same 404 as for a
missing case.
"""

from __future__ import annotations

import json

from django.http import HttpResponse

from casedesk.cases.seen import do_mark_seen
from tests.authz.matrix import CLIENTS_ON_CASE_A, TEAM_A, Row
from tests.authz.rows_messages import internal_message, public_message
from tests.conftest import Cast


def _ids(cast: Cast) -> str:
    public = public_message(cast)
    do_mark_seen(case=cast.case_a, up_to=public.pk, contact=cast.erin)
    return f"{public.pk},{internal_message(cast).pk}"


def _team_answer_names_erin_only_on_public(cast: Cast, response: HttpResponse) -> bool:
    data = json.loads(response.content)["messages"]
    return list(data) == [str(public_message(cast).pk)] and data[str(public_message(cast).pk)][0]["name"] == (
        "Erin Nologin"
    )


def _client_answer_has_no_internal_id(cast: Cast, response: HttpResponse) -> bool:
    data = json.loads(response.content)
    return (
        set(data) == {"message", "seen_by_team", "seen_at", "label"}
        and data["message"] != internal_message(cast).pk
    )


ROWS = [
    Row(
        "seen",
        "team reads who saw messages",
        "GET",
        lambda c: f"/cases/{c.case_a.pk}/messages/seen?ids={_ids(c)}",
        TEAM_A,
        check=_team_answer_names_erin_only_on_public,
    ),
    Row(
        "seen",
        "team marks seen",
        "POST",
        lambda c: f"/cases/{c.case_a.pk}/messages/seen",
        TEAM_A,
        data=lambda c: {"up_to": public_message(c).pk},
    ),
    Row(
        "seen",
        "team marks seen on another agency's case",
        "POST",
        lambda c: f"/cases/{c.case_b.pk}/messages/seen",
        frozenset({"outsider"}),
        data=lambda c: {"up_to": 1},
    ),
    Row(
        "seen",
        "client reads seen by the team",
        "GET",
        lambda c: f"/my-cases/{c.case_a.pk}/messages/seen?_={internal_message(c).pk}",
        CLIENTS_ON_CASE_A,
        check=_client_answer_has_no_internal_id,
    ),
    Row(
        "seen",
        "client marks seen",
        "POST",
        lambda c: f"/my-cases/{c.case_a.pk}/messages/seen",
        CLIENTS_ON_CASE_A,
        data=lambda c: {"up_to": internal_message(c).pk},
    ),
]
