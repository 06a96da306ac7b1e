"""Files in the support chat (issue 16 §2): one size rule on every path, type sniffing, inert
serving, who may download, and the copy into the escalated case's Documents."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as HttpClient

from casedesk.api.models import ApiToken
from casedesk.cases.models import Document, Message, MessageSource
from casedesk.mail.models import InboundStatus
from casedesk.support import actions
from casedesk.support.models import Conversation, ConversationFile, MessageKind, Visitor
from tests.conftest import Cast
from tests.fixtures.eml.helpers import deliver, load_eml, posted, token_for
from tests.support_helpers import SITE, Widget, triage_stub  # noqa: F401

pytestmark = pytest.mark.django_db

LIMIT = 25 * 1024 * 1024
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n"


@pytest.fixture(autouse=True)
def media(tmp_path: Path, settings: Any) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path


@pytest.fixture
def widget_on(cast: Cast) -> Cast:
    cast.agency_a.support_widget_for_customers = True
    cast.agency_a.save()
    cast.agency_b.support_widget_for_customers = True
    cast.agency_b.save()
    return cast


@pytest.fixture
def sparse(tmp_path: Path) -> Iterator[Callable[[str, int], Any]]:
    """An open file of ``size`` zero bytes that takes no disk space (and no 25 MB buffer)."""
    opened: list[Any] = []

    def make(name: str, size: int) -> Any:
        path = tmp_path / "uploads" / name
        path.parent.mkdir(exist_ok=True)
        with path.open("wb") as out:
            out.truncate(size)
        handle = path.open("rb")
        opened.append(handle)
        return handle

    yield make
    for handle in opened:
        handle.close()


def _refusal(name: str) -> str:
    return f"“{name}” is just over 25 MB; the limit is 25 MB per file."


def _widget_post_files(widget: Widget, path: str, files: list[Any], body: str = "") -> Any:
    return widget.http.post(
        f"/widget/api/{widget.slug}{path}",
        {"body": body, "page_url": f"{SITE}/s/{widget.slug}/", "files": files},
        headers=widget.headers(),
    )


def _started(widget: Widget, text: str = "Hello there") -> str:
    assert widget.bootstrap().status_code == 200
    response = widget.ask(text)
    assert response.status_code == 201, response.content
    return str(response.json()["conversation"]["id"])


def _escalated(cast: Cast, run_tasks: Callable[[], int]) -> Conversation:
    conversation = actions.do_start_conversation(agency=cast.agency_a, page_url=f"{SITE}/s/acme/")
    actions.do_request_escalation(conversation=conversation)
    run_tasks()
    conversation.refresh_from_db()
    assert conversation.case is not None
    return conversation


# --- one size rule, one upload path: every path at 25 MB and at 25 MB + 1 byte ------------------


def test_the_limit_is_25_mb_and_has_one_home() -> None:
    from casedesk.lib.files import upload_limit_bytes

    assert upload_limit_bytes() == LIMIT == django_settings.MAX_ATTACHMENT_BYTES


@pytest.mark.parametrize(("size", "accepted"), [(LIMIT, True), (LIMIT + 1, False)])
def test_team_documents_page_upload_at_the_limit(
    cast: Cast, sparse: Callable[[str, int], Any], size: int, accepted: bool
) -> None:
    response = cast.login(cast.bob).post(
        f"/cases/{cast.case_a.pk}/documents/",
        {"file": sparse("plan.pdf", size)},
        headers={"Accept": "application/json"},
    )
    if accepted:
        assert response.status_code == 201, response.content
        assert Document.objects.get(case=cast.case_a).size == LIMIT
    else:
        assert response.status_code == 413
        assert response.json()["error"].startswith(_refusal("plan.pdf"))
        assert not Document.objects.exists()


@pytest.mark.parametrize(("size", "accepted"), [(LIMIT, True), (LIMIT + 1, False)])
def test_team_thread_composer_upload_at_the_limit(
    cast: Cast, sparse: Callable[[str, int], Any], size: int, accepted: bool
) -> None:
    response = cast.login(cast.bob).post(
        f"/cases/{cast.case_a.pk}/messages/",
        {"body": "the plan", "files": [sparse("plan.pdf", size)]},
        headers={"Accept": "application/json"},
    )
    if accepted:
        assert response.status_code == 201, response.content
        assert Message.objects.get(case=cast.case_a).documents.get().size == LIMIT
    else:
        assert response.status_code == 413
        assert response.json()["error"].startswith(_refusal("plan.pdf"))
        assert not Message.objects.filter(case=cast.case_a).exists()


@pytest.mark.parametrize(("size", "accepted"), [(LIMIT, True), (LIMIT + 1, False)])
def test_api_upload_at_the_limit(
    cast: Cast, sparse: Callable[[str, int], Any], size: int, accepted: bool
) -> None:
    _, token = ApiToken.issue(cast.bob, "files")
    response = HttpClient().post(
        f"/api/cases/{cast.case_a.pk}/documents",
        {"file": sparse("plan.pdf", size)},
        headers={"Authorization": f"Bearer {token}"},
    )
    if accepted:
        assert response.status_code == 201, response.content
        assert Document.objects.get(case=cast.case_a).size == LIMIT
    else:
        assert response.status_code == 413
        assert response.json()["detail"].startswith(_refusal("plan.pdf"))
        assert not Document.objects.exists()


@pytest.mark.usefixtures("triage_stub")
@pytest.mark.parametrize(("size", "accepted"), [(LIMIT, True), (LIMIT + 1, False)])
def test_widget_upload_at_the_limit(
    widget_on: Cast, sparse: Callable[[str, int], Any], size: int, accepted: bool
) -> None:
    widget = Widget("acme")
    public_id = _started(widget)
    response = _widget_post_files(
        widget, f"/conversations/{public_id}/messages", [sparse("plan.pdf", size)], "the plan"
    )
    if accepted:
        assert response.status_code == 201, response.content
        [line] = [m for m in response.json()["messages"] if m["files"]]
        assert [(f["name"], f["size"]) for f in line["files"]] == [("plan.pdf", LIMIT)]
    else:
        assert response.status_code == 413
        assert response.json()["error"].startswith(_refusal("plan.pdf"))
        assert not ConversationFile.objects.exists()
        # Refused before anything was written: no line with the text either.
        assert not Conversation.objects.get(public_id=public_id).messages.filter(body="the plan").exists()


@pytest.mark.parametrize(("size", "accepted"), [(LIMIT, True), (LIMIT + 1, False)])
def test_agent_upload_at_the_limit(
    cast: Cast, run_tasks: Callable[[], int], sparse: Callable[[str, int], Any], size: int, accepted: bool
) -> None:
    conversation = _escalated(cast, run_tasks)
    response = cast.login(cast.bob).post(
        f"/support/conversations/{conversation.pk}/reply/",
        {"body": "Here it is", "files": [sparse("plan.pdf", size)]},
        headers={"Accept": "application/json"},
    )
    if accepted:
        assert response.status_code == 201, response.content
        row = ConversationFile.objects.get(conversation=conversation)
        assert row.size == LIMIT and row.message.kind == MessageKind.AGENT
    else:
        assert response.status_code == 413
        assert response.json()["error"].startswith(_refusal("plan.pdf"))
        assert not ConversationFile.objects.exists()
        assert not conversation.messages.filter(kind=MessageKind.AGENT).exists()


def _eml_with_attachment(cast: Cast, size: int) -> bytes:
    import base64

    # Base64 of zeros, built once per test: the real encoded size of a 25 MB attachment.
    payload = base64.encodebytes(bytes(size)).decode()
    return load_eml(
        "oversized_attachment.eml",
        big_payload=payload,
        carol_token=token_for(cast.carol, cast.case_a),
    )


@pytest.mark.parametrize(("size", "accepted"), [(LIMIT, True), (LIMIT + 1, False)])
def test_inbound_email_attachment_at_the_limit(
    cast: Cast, run_tasks: Callable[[], int], size: int, accepted: bool
) -> None:
    mail.outbox.clear()
    row = deliver(_eml_with_attachment(cast, size), run_tasks)
    # Either way the email is posted, with its text and its small file: nothing is lost.
    assert row.status == InboundStatus.POSTED
    message = posted(row)
    names = dict(message.documents.values_list("name", "size"))
    assert names["brief.txt"] > 0
    if accepted:
        assert names["footage.mov"] == LIMIT
        assert not [m for m in mail.outbox if "too large" in m.subject]
    else:
        assert "footage.mov" not in names
        assert "“footage.mov” (just over 25 MB) was not added: the limit is 25 MB per file." in message.body
        [told] = [m for m in mail.outbox if "too large" in m.subject]
        assert "footage.mov (just over 25 MB)" in told.body


# --- the widget: sniffing, inert serving, who may download ---------------------------------------


@pytest.mark.usefixtures("triage_stub")
def test_visitor_file_is_typed_from_its_bytes_and_served_inert_to_that_visitor_only(widget_on: Cast) -> None:
    widget = Widget("acme")
    public_id = _started(widget)
    evil = SimpleUploadedFile(
        "photo.png", b"<html><script>alert(1)</script></html>", content_type="image/png"
    )
    response = _widget_post_files(widget, f"/conversations/{public_id}/messages", [evil])
    assert response.status_code == 201, response.content
    [line] = [m for m in response.json()["messages"] if m["files"]]
    assert line["kind"] == "visitor"
    [sent] = line["files"]
    assert ConversationFile.objects.get(pk=sent["id"]).content_type == "text/html"
    url = urlsplit(sent["url"])
    download = HttpClient().get(url.path)  # a plain link: no header token, no cookie
    assert download.status_code == 200
    content = b"".join(download.streaming_content)  # type: ignore[attr-defined]
    assert content == b"<html><script>alert(1)</script></html>"
    assert download["Content-Type"] == "application/octet-stream"
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Security-Policy"].startswith("sandbox")
    # The link of another help desk, or a tampered one, opens nothing.
    token = url.path.rsplit("/", 1)[1]
    assert HttpClient().get(f"/widget/api/bravo/files/{token}").status_code == 404
    assert HttpClient().get(url.path[:-2] + "xx").status_code == 404


@pytest.mark.usefixtures("triage_stub")
def test_another_visitor_cannot_reach_a_file_by_id(widget_on: Cast) -> None:
    from django.http import Http404

    from casedesk.support.access import access_conversation_file_as_visitor

    owner = Widget("acme")
    public_id = _started(owner)
    _widget_post_files(owner, f"/conversations/{public_id}/messages", [SimpleUploadedFile("a.pdf", PDF)])
    row = ConversationFile.objects.get()
    stranger = Visitor.objects.create(agency=widget_on.agency_a)
    with pytest.raises(Http404):
        access_conversation_file_as_visitor(stranger, row.pk)
    # And the stranger's widget does not list it.
    other = Widget("acme")
    other_id = _started(other, "Hi")
    assert "a.pdf" not in other.get(f"/conversations/{other_id}").content.decode()
    assert other.get(f"/conversations/{public_id}").status_code == 404


def test_a_signed_in_visitors_file_link_needs_their_session(cast: Cast) -> None:
    from casedesk.support import identity

    visitor = actions.do_get_or_create_visitor(agency=cast.platform, user=cast.bob)
    conversation = actions.do_start_conversation(
        agency=cast.platform, visitor=visitor, requesting_agency=cast.agency_a
    )
    actions.do_post_visitor_message(
        conversation=conversation, body="", files=[SimpleUploadedFile("a.pdf", PDF)]
    )
    row = ConversationFile.objects.get()
    link = f"/widget/api/platform/files/{identity.issue_file_token(visitor, row.pk)}"
    assert HttpClient().get(link).status_code == 404
    assert cast.login(cast.alice).get(link).status_code == 404
    assert cast.login(cast.bob).get(link).status_code == 200


def test_agent_downloads_only_their_own_tenants_files(cast: Cast, run_tasks: Callable[[], int]) -> None:
    conversation = _escalated(cast, run_tasks)
    actions.do_post_visitor_message(
        conversation=conversation, body="see attached", files=[SimpleUploadedFile("brief.pdf", PDF)]
    )
    row = ConversationFile.objects.get()
    url = f"/support/conversations/{conversation.pk}/files/{row.pk}/"
    ok = cast.login(cast.bob).get(url)
    assert ok.status_code == 200
    assert ok["Content-Disposition"].startswith("attachment;")
    assert ok["X-Content-Type-Options"] == "nosniff"
    assert cast.login(cast.dave).get(url).status_code == 404  # another tenant
    # A client of the same agency is not its team: the redirect to sign in or a 404, never the file.
    assert cast.login(cast.carol_user).get(url).status_code == 404
    page = cast.login(cast.bob).get(f"/support/conversations/{conversation.pk}/")
    assert url in page.content.decode()


def test_empty_file_is_refused_with_the_products_sentence(cast: Cast, run_tasks: Callable[[], int]) -> None:
    from casedesk.lib.errors import ActionError

    conversation = _escalated(cast, run_tasks)
    with pytest.raises(ActionError) as refused:
        actions.do_reply_as_agent(
            conversation=conversation, user=cast.bob, body="", files=[SimpleUploadedFile("empty.txt", b"")]
        )
    assert refused.value.message.startswith("“empty.txt” is empty (0 bytes)")


# --- escalation: the files go to the case's Documents, like the lines ---------------------------


@pytest.mark.usefixtures("triage_stub")
def test_files_sent_before_the_escalation_ride_on_the_transcript_into_documents(
    widget_on: Cast, run_tasks: Callable[[], int]
) -> None:
    widget = Widget("acme")
    public_id = _started(widget, "Where is my invoice?")  # the bot answers: no case yet
    _widget_post_files(
        widget, f"/conversations/{public_id}/messages", [SimpleUploadedFile("receipt.pdf", PDF)]
    )
    conversation = Conversation.objects.get(public_id=public_id)
    assert conversation.case is None
    widget.post(f"/conversations/{public_id}/escalate")
    run_tasks()
    run_tasks()  # running the escalation again copies nothing twice
    conversation.refresh_from_db()
    assert conversation.case is not None
    [document] = Document.objects.filter(case=conversation.case)
    assert document.name == "receipt.pdf" and document.size == len(PDF)
    assert document.content_type == "application/pdf" and not document.internal_only
    transcript = Message.objects.filter(case=conversation.case).order_by("id").first()
    assert transcript is not None and document.message_id == transcript.pk
    assert "(file: receipt.pdf, " in transcript.body
    assert ConversationFile.objects.get().case_document_id == document.pk
    documents_tab = widget_on.login(widget_on.bob).get(f"/cases/{conversation.case.pk}/documents/")
    assert "receipt.pdf" in documents_tab.content.decode()


def test_files_after_the_escalation_go_to_the_case_both_ways(
    cast: Cast, run_tasks: Callable[[], int]
) -> None:
    conversation = _escalated(cast, run_tasks)
    assert conversation.case is not None
    actions.do_post_visitor_message(
        conversation=conversation, body="", files=[SimpleUploadedFile("v.pdf", PDF)]
    )
    actions.do_reply_as_agent(
        conversation=conversation, user=cast.bob, body="Signed", files=[SimpleUploadedFile("a.pdf", PDF)]
    )
    mirrored = {d.name: d for d in Document.objects.filter(case=conversation.case).select_related("message")}
    assert set(mirrored) == {"v.pdf", "a.pdf"}
    assert mirrored["v.pdf"].message is not None
    assert mirrored["v.pdf"].message.source == MessageSource.SUPPORT_CHAT
    assert mirrored["v.pdf"].message.author_label.endswith("(support chat)")
    assert mirrored["a.pdf"].uploaded_by_user_id == cast.bob.pk
    assert all(not d.internal_only for d in mirrored.values())
    assert set(ConversationFile.objects.values_list("case_document__name", flat=True)) == {"v.pdf", "a.pdf"}


def test_a_chat_with_more_files_than_one_message_carries_continues_in_more_messages(
    cast: Cast, run_tasks: Callable[[], int]
) -> None:
    from casedesk.cases.actions import MAX_FILES_PER_MESSAGE

    conversation = actions.do_start_conversation(agency=cast.agency_a)
    for index in range(MAX_FILES_PER_MESSAGE + 2):
        actions.do_post_visitor_message(
            conversation=conversation, body="", files=[SimpleUploadedFile(f"f{index}.txt", b"x")]
        )
    actions.do_request_escalation(conversation=conversation)
    run_tasks()
    conversation.refresh_from_db()
    assert Document.objects.filter(case=conversation.case).count() == MAX_FILES_PER_MESSAGE + 2
    assert not ConversationFile.objects.filter(case_document__isnull=True).exists()


def test_the_unseen_reply_email_names_the_files_a_person_sent(
    cast: Cast, run_tasks: Callable[..., int]
) -> None:
    conversation = _escalated(cast, run_tasks)
    actions.do_set_answer_email(conversation=conversation, email="sam@example.com")
    actions.do_reply_as_agent(
        conversation=conversation, user=cast.bob, body="", files=[SimpleUploadedFile("form.pdf", PDF)]
    )
    mail.outbox.clear()
    run_tasks(include_delayed=True)
    [sent] = [m for m in mail.outbox if m.to == ["sam@example.com"]]
    assert f"(file: form.pdf, {len(PDF)} bytes)" in sent.body


@pytest.mark.usefixtures("triage_stub")
def test_a_conversation_can_start_with_a_file_and_a_refused_one_leaves_no_conversation(
    widget_on: Cast, settings: Any
) -> None:
    widget = Widget("acme")
    assert widget.bootstrap().status_code == 200
    started = _widget_post_files(widget, "/conversations", [SimpleUploadedFile("a.pdf", PDF)])
    assert started.status_code == 201, started.content
    assert started.json()["conversation"]["subject"] == "File: a.pdf"
    [line] = started.json()["messages"]  # a file is no question: the bot stays silent
    assert line["kind"] == "visitor" and [f["name"] for f in line["files"]] == ["a.pdf"]
    settings.MAX_ATTACHMENT_BYTES = 10
    refused = _widget_post_files(widget, "/conversations", [SimpleUploadedFile("b.pdf", PDF)], "hello")
    assert refused.status_code == 413
    assert refused.json()["error"].startswith("“b.pdf” is")
    assert Conversation.objects.count() == 1
