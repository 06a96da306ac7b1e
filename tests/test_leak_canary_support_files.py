"""Leak canary for files in the support chat (issue 16 §2): the widget never exposes an internal
note's file, a case file that was never sent in the chat, or another tenant's chat file — not in
a transcript, a file name, a download link, a download, or a live event. The team side never
serves another tenant's chat file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as HttpClient

from casedesk.cases.actions import do_post_message, do_upload_document
from casedesk.support import actions, identity, live
from casedesk.support.models import Conversation, ConversationFile, Visitor
from tests.conftest import Cast
from tests.support_helpers import SITE, Widget, triage_stub  # noqa: F401

CANARY = "CANARY-files-5e1d0b"
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(tmp_path: Path, settings: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def live_events(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    sent: list[Any] = []
    monkeypatch.setattr(live, "_send", lambda group, payload: sent.append((group, payload)))
    return sent


def _post_files(widget: Widget, public_id: str, files: list[Any], body: str = "") -> Any:
    return widget.http.post(
        f"/widget/api/{widget.slug}/conversations/{public_id}/messages",
        {"body": body, "files": files},
        headers=widget.headers(),
    )


@pytest.mark.usefixtures("triage_stub")
def test_widget_files_never_expose_internal_notes_or_another_tenants_files(
    cast: Cast,
    run_tasks: Callable[[], int],
    live_events: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    for agency in (cast.agency_a, cast.agency_b):
        agency.support_widget_for_customers = True
        agency.save()
    # Another tenant's visitor sends a canary file in their own chat.
    bravo = Widget("bravo")
    assert bravo.bootstrap().status_code == 200
    bravo_id = bravo.ask("I need a person").json()["conversation"]["id"]
    _post_files(bravo, bravo_id, [SimpleUploadedFile(f"{CANARY}-bravo.pdf", PDF + CANARY.encode())])
    bravo_file = ConversationFile.objects.get(conversation__public_id=bravo_id)

    widget = Widget("acme")
    assert widget.bootstrap().status_code == 200
    collected: list[str] = []
    with django_capture_on_commit_callbacks(execute=True):
        started = widget.ask("I need a person, please")
        public_id = started.json()["conversation"]["id"]
        collected.append(started.content.decode())
        collected.append(
            _post_files(widget, public_id, [SimpleUploadedFile("mine.pdf", PDF)]).content.decode()
        )
    run_tasks()
    conversation = Conversation.objects.get(public_id=public_id)
    assert conversation.case is not None
    with django_capture_on_commit_callbacks(execute=True):
        # The team adds an internal note with a file, and a case file never sent in the chat ...
        do_post_message(
            case=conversation.case,
            body="internal file",
            author_user=cast.bob,
            internal_only=True,
            files=[ContentFile(CANARY.encode(), name=f"{CANARY}-internal.txt")],
        )
        do_upload_document(
            case=conversation.case,
            upload=ContentFile(CANARY.encode(), name=f"{CANARY}-case-only.txt"),
            uploaded_by_user=cast.bob,
            internal_only=True,
        )
        # ... and sends the visitor a file in the chat, which the visitor must get.
        actions.do_reply_as_agent(
            conversation=conversation,
            user=cast.bob,
            body="Here is the form.",
            files=[SimpleUploadedFile("form.pdf", PDF)],
        )
    transcript = widget.get(f"/conversations/{public_id}")
    collected += [
        transcript.content.decode(),
        widget.get(f"/conversations/{public_id}?after=0").content.decode(),
        widget.get("/conversations").content.decode(),
        widget.bootstrap().content.decode(),
        repr(live_events),
    ]
    links = [f["url"] for m in transcript.json()["messages"] for f in m["files"]]
    names = sorted(f["name"] for m in transcript.json()["messages"] for f in m["files"])
    assert names == ["form.pdf", "mine.pdf"]  # the channel works ...
    for link in links:
        download = HttpClient().get(urlsplit(link).path)
        assert download.status_code == 200
        content = b"".join(download.streaming_content)  # type: ignore[attr-defined]
        collected.append(content.decode("latin-1"))
    assert [text for text in collected if CANARY in text] == [], "the canary leaked to the visitor"

    # Even a link signed for this visitor with another tenant's file id opens nothing.
    visitor = Visitor.objects.get(pk=conversation.visitor_id)
    forged = f"/widget/api/acme/files/{identity.issue_file_token(visitor, bravo_file.pk)}"
    assert HttpClient().get(forged).status_code == 404
    forged_there = f"/widget/api/bravo/files/{identity.issue_file_token(visitor, bravo_file.pk)}"
    assert HttpClient().get(forged_there).status_code == 404

    # The team side: each tenant's chat files for its own team only.
    ours = ConversationFile.objects.filter(conversation=conversation).first()
    assert ours is not None
    ours_url = f"/support/conversations/{conversation.pk}/files/{ours.pk}/"
    theirs_url = f"/support/conversations/{bravo_file.conversation_id}/files/{bravo_file.pk}/"
    mixed_url = f"/support/conversations/{conversation.pk}/files/{bravo_file.pk}/"
    assert cast.login(cast.dave).get(ours_url).status_code == 404
    assert cast.login(cast.bob).get(theirs_url).status_code == 404
    assert cast.login(cast.bob).get(mixed_url).status_code == 404
    assert cast.login(cast.bob).get(ours_url).status_code == 200
    page = cast.login(cast.bob).get(f"/support/conversations/{conversation.pk}/").content.decode()
    assert CANARY not in page  # the chat shows chat files only, never the case's internal ones
