"""Files attached to a message ride on its message.created event, with the message's visibility."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.core.files.base import ContentFile

from casedesk.cases.actions import do_post_message, do_upload_document
from casedesk.cases.models import Document
from tests.conftest import Cast
from tests.live_helpers import collect, open_socket, subscribe

pytestmark = pytest.mark.django_db(transaction=True)

PDF = b"%PDF-1.4\n" + b"x" * 200 + b"\n%%EOF\n"


def test_attached_files_come_with_message_created_and_internal_ones_stay_internal(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    def run(fn: Any, **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return fn(**kwargs)

    sessions = cast.login(cast.bob), cast.login(cast.carol_user)

    async def scenario() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        team, _ = await open_socket(sessions[0])
        client, _ = await open_socket(sessions[1])
        for communicator in (team, client):
            assert (await subscribe(communicator, cast.case_a.pk))["event"] == "subscribed"
        await sync_to_async(run)(
            do_post_message,
            case=cast.case_a,
            body="public",
            author_user=cast.alice,
            files=[ContentFile(PDF, name="a.pdf")],
        )
        await sync_to_async(run)(
            do_post_message,
            case=cast.case_a,
            body="secret",
            author_user=cast.alice,
            internal_only=True,
            files=[ContentFile(PDF, name="secret.pdf")],
        )
        await sync_to_async(run)(
            do_upload_document,
            case=cast.case_a,
            upload=ContentFile(PDF, name="b.pdf"),
            uploaded_by_user=cast.alice,
        )
        result = (await collect(team), await collect(client))
        for communicator in (team, client):
            await communicator.disconnect()
        return result

    team_events, client_events = async_to_sync(scenario)()
    public = Document.objects.get(name="a.pdf")
    secret = Document.objects.get(name="secret.pdf")
    uploaded = Document.objects.get(name="b.pdf")
    assert [(e["event"], e["payload"].get("documents")) for e in team_events[:2]] == [
        ("message.created", [public.pk]),
        ("message.created", [secret.pk]),
    ]
    assert [e["event"] for e in team_events] == ["message.created", "message.created", "document.created"]
    assert [e["event"] for e in client_events] == ["message.created", "document.created"]
    assert client_events[0]["payload"]["documents"] == [public.pk]
    assert client_events[1]["payload"]["document"] == uploaded.pk
    assert not any(
        secret.pk in e["payload"].get("documents", []) or e["payload"].get("document") == secret.pk
        for e in client_events
    )
