"""do_post_message and the team/portal send paths: validation, files, closed cases, no data lost."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from casedesk.cases.actions import do_post_message
from casedesk.cases.models import CaseStatus, Document, Message
from casedesk.lib.errors import ActionError
from tests.conftest import Cast


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, attrs))


def _elements(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    collector = _Collector()
    collector.feed(html)
    return collector.elements


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_team_member_posts_a_message_and_it_shows_in_the_thread(cast: Cast) -> None:
    http = cast.login(cast.bob)
    response = http.post(f"/cases/{cast.case_a.pk}/messages/", {"body": "Hello **Globex**"})
    assert response.status_code == 302
    message = Message.objects.get(case=cast.case_a)
    assert message.body_html.strip() == "<p>Hello <strong>Globex</strong></p>"
    page = http.get(f"/cases/{cast.case_a.pk}/messages/")
    assert b"Hello <strong>Globex</strong>" in page.content
    assert b"Bob Member" in page.content


def test_empty_message_is_refused_with_a_sentence(cast: Cast) -> None:
    http = cast.login(cast.bob)
    response = http.post(
        f"/cases/{cast.case_a.pk}/messages/", {"body": "   "}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "Write a message or attach a file before sending."
    assert not Message.objects.exists()


@override_settings(MAX_ATTACHMENT_BYTES=1024)
def test_file_one_byte_over_the_limit_is_refused_and_the_text_is_kept(cast: Cast) -> None:
    http = cast.login(cast.bob)
    big = SimpleUploadedFile("plan.pdf", b"%PDF-1.4\n" + b"x" * (1024 + 1 - 9))
    response = http.post(
        f"/cases/{cast.case_a.pk}/messages/", {"body": "Here is the plan I promised", "files": [big]}
    )
    assert response.status_code == 413
    html = response.content.decode()
    assert "“plan.pdf” is just over 1 KB; the limit is 1 KB per file." in html
    # The page re-renders with the text in the composer, so nothing typed is lost.
    assert "Here is the plan I promised</textarea>" in html
    assert not Message.objects.exists()
    assert not Document.objects.exists()


def test_25_mb_plus_one_byte_is_refused_over_the_real_limit(cast: Cast, tmp_path: Any) -> None:
    from django.conf import settings

    limit = settings.MAX_ATTACHMENT_BYTES
    assert limit == 25 * 1024 * 1024
    path = tmp_path / "video.mp4"
    with path.open("wb") as out:
        out.truncate(limit + 1)  # sparse file: no 25 MB buffer in the test either
    http = cast.login(cast.bob)
    with path.open("rb") as fh:
        response = http.post(
            f"/cases/{cast.case_a.pk}/messages/",
            {"body": "the cut", "files": [fh]},
            headers={"Accept": "application/json"},
        )
    assert response.status_code == 413
    error = response.json()["error"]
    assert "“video.mp4” is just over 25 MB; the limit is 25 MB per file." in error
    assert "bytes" not in error
    assert not Message.objects.exists()


def test_type_is_sniffed_from_content_not_name(cast: Cast) -> None:
    message = do_post_message(
        case=cast.case_a,
        body="files",
        author_user=cast.bob,
        files=[
            SimpleUploadedFile(
                "evil.png", b"<html><script>alert(1)</script></html>", content_type="image/png"
            ),
            SimpleUploadedFile("photo.txt", PNG, content_type="text/plain"),
        ],
    )
    types = dict(message.documents.values_list("name", "content_type"))
    assert types == {"evil.png": "text/html", "photo.txt": "image/png"}


def test_html_and_script_in_markdown_never_render(cast: Cast) -> None:
    payload = (
        "<script>alert('x')</script> <img src=x onerror=alert(1)> "
        '[click](javascript:alert(1)) <a href="https://evil.test" onclick="x()">a</a> [ok](https://ok.test)'
    )
    message = do_post_message(case=cast.case_a, body=payload, author_user=cast.bob)
    html = message.body_html
    elements = _elements(html)
    assert {tag for tag, _ in elements} <= {"p", "a"}
    for _tag, attrs in elements:
        assert not any(name.startswith("on") or name == "style" for name, _ in attrs)
        assert not any((value or "").startswith("javascript:") for _, value in attrs)
    assert '<a href="https://ok.test" rel="noopener nofollow">ok</a>' in html
    page = cast.login(cast.carol_user).get(f"/my-cases/{cast.case_a.pk}/messages")
    assert b"<script>alert('x')</script>" not in page.content


def test_forged_case_id_is_a_404_and_posts_nothing(cast: Cast) -> None:
    http = cast.login(cast.dave)
    assert http.post(f"/cases/{cast.case_a.pk}/messages/", {"body": "hi"}).status_code == 404
    carol = cast.login(cast.carol_user)
    assert carol.post(f"/my-cases/{cast.case_a2.pk}/messages", {"body": "hi"}).status_code == 404
    assert carol.post("/my-cases/999999/messages", {"body": "hi"}).status_code == 404
    assert not Message.objects.exists()


def test_client_reply_reopens_a_closed_case(cast: Cast) -> None:
    cast.case_a.status = CaseStatus.CLOSED
    cast.case_a.save()
    http = cast.login(cast.carol_user)
    page = http.get(f"/my-cases/{cast.case_a.pk}/messages")
    assert "If you reply, it will be reopened" in page.content.decode()
    response = http.post(f"/my-cases/{cast.case_a.pk}/messages", {"body": "One more thing"})
    assert response.status_code == 302
    cast.case_a.refresh_from_db()
    assert cast.case_a.status == CaseStatus.OPEN
    assert cast.case_a.closed_at is None


def test_team_can_post_to_a_closed_case_which_stays_closed(cast: Cast) -> None:
    cast.case_a.status = CaseStatus.CLOSED
    cast.case_a.save()
    http = cast.login(cast.bob)
    page = http.get(f"/cases/{cast.case_a.pk}/messages/")
    assert "This case is closed. You can still post" in page.content.decode()
    assert (
        http.post(f"/cases/{cast.case_a.pk}/messages/", {"body": "Final invoice attached"}).status_code == 302
    )
    cast.case_a.refresh_from_db()
    assert cast.case_a.status == CaseStatus.CLOSED


def test_client_cannot_post_an_internal_message(cast: Cast) -> None:
    http = cast.login(cast.carol_user)
    http.post(f"/my-cases/{cast.case_a.pk}/messages", {"body": "sneaky", "internal_only": "on"})
    message = Message.objects.get()
    assert message.internal_only is False
    assert message.author_contact == cast.carol


def test_client_messages_are_marked_as_client_for_the_team(cast: Cast) -> None:
    do_post_message(
        case=cast.case_a, body="From Carol", author_user=cast.carol_user, author_contact=cast.carol
    )
    page = cast.login(cast.bob).get(f"/cases/{cast.case_a.pk}/messages/").content.decode()
    assert 'class="msg msg-client"' in page
    assert '<span class="tag tag-client">Client</span>' in page


def test_magic_link_client_replies_with_an_attachment(cast: Cast) -> None:
    http = cast.magic_client()
    response = http.post(
        f"/my-cases/{cast.case_a.pk}/messages",
        {"body": "Photo attached", "files": [SimpleUploadedFile("shot.png", PNG)]},
    )
    assert response.status_code == 302
    message = Message.objects.get()
    assert message.author_contact == cast.erin and message.author_user is None
    assert message.documents.get().content_type == "image/png"


def test_empty_file_is_refused_naming_it(cast: Cast) -> None:
    with pytest.raises(ActionError, match=r"“notes\.txt” is empty"):
        do_post_message(
            case=cast.case_a, body="x", author_user=cast.bob, files=[SimpleUploadedFile("notes.txt", b"")]
        )


def test_an_internal_note_does_not_move_the_clients_last_message_time(cast: Cast) -> None:
    public = do_post_message(case=cast.case_a, body="public", author_user=cast.bob)
    do_post_message(case=cast.case_a, body="note", author_user=cast.bob, internal_only=True)
    cast.case_a.refresh_from_db()
    assert cast.case_a.last_message_at == public.created_at


def _published_case_events(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    events: list[tuple[str, dict[str, Any]]] = []

    def record(case_id: int, event: str, payload: dict[str, Any], *, internal_only: bool) -> None:
        events.append((event, payload))

    monkeypatch.setattr("casedesk.live.publish.publish_case_event", record)
    return events


@pytest.mark.django_db(transaction=True)
def test_client_reply_to_a_waiting_case_reopens_it_and_moves_its_last_message_time(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    events = _published_case_events(monkeypatch)
    cast.case_a.status = CaseStatus.WAITING
    cast.case_a.save()
    reply = do_post_message(case=cast.case_a, body="Still broken", author_contact=cast.erin)
    cast.case_a.refresh_from_db()
    assert cast.case_a.status == CaseStatus.OPEN and cast.case_a.closed_at is None
    assert cast.case_a.last_message_at == reply.created_at
    assert ("case.status", {"case": cast.case_a.pk, "status": "open"}) in events
    # A reply to a case that is already open moves the time and announces no status change.
    events.clear()
    second = do_post_message(case=cast.case_a, body="And another thing", author_contact=cast.erin)
    cast.case_a.refresh_from_db()
    assert cast.case_a.last_message_at == second.created_at
    assert [name for name, _ in events] == ["message.created"]
