"""Authorization rows for Case Messages: threads, internal messages, edits, documents, share links,
notifications and the API. Content checks make sure an allowed response really is the thing.
"""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse

from casedesk.cases.actions import do_post_message, do_upload_document
from casedesk.cases.models import Document, Message, Notification
from tests.authz.matrix import CLIENTS_ON_CASE_A, NOBODY, TEAM_A, Row
from tests.conftest import Cast

TEAM_OR_CLIENTS_A = TEAM_A | CLIENTS_ON_CASE_A
SIGNED_IN_USERS = frozenset(
    {"owner", "admin", "member", "outsider", "portal_client", "other_client", "platform_staff"}
)
TEAM_OF_ANY_AGENCY = frozenset({"owner", "admin", "member", "outsider", "platform_staff"})

PUBLIC_TEXT = "authz public message"
INTERNAL_TEXT = "authz internal note"


def public_message(cast: Cast) -> Message:
    found = Message.objects.filter(case=cast.case_a, body=PUBLIC_TEXT).first()
    return found or do_post_message(
        case=cast.case_a,
        body=PUBLIC_TEXT,
        author_user=cast.bob,
        files=[SimpleUploadedFile("public.pdf", b"%PDF-1.4 public")],
    )


def _png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), (250, 200, 0)).save(out, format="PNG")
    return out.getvalue()


def internal_message(cast: Cast) -> Message:
    found = Message.objects.filter(case=cast.case_a, body__startswith=INTERNAL_TEXT).first()
    return found or do_post_message(
        case=cast.case_a,
        body=f"{INTERNAL_TEXT} @**Bob Member**",
        author_user=cast.alice,
        internal_only=True,
        files=[SimpleUploadedFile("internal.png", _png())],
    )


def public_document(cast: Cast) -> Document:
    return public_message(cast).documents.get()


def internal_document(cast: Cast) -> Document:
    return internal_message(cast).documents.get()


def loose_internal_document(cast: Cast) -> Document:
    found = Document.objects.filter(case=cast.case_a, message__isnull=True, internal_only=True).first()
    return found or do_upload_document(
        case=cast.case_a,
        upload=SimpleUploadedFile("plan.txt", b"internal plan"),
        uploaded_by_user=cast.alice,
        internal_only=True,
    )


def bobs_notification(cast: Cast) -> Notification:
    internal_message(cast)
    return Notification.objects.get(user=cast.bob)


def contains(text: str) -> Any:
    def check(cast: Cast, response: HttpResponse) -> bool:
        return text in response.content.decode()

    return check


def file_body(expected: bytes) -> Any:
    def check(cast: Cast, response: HttpResponse) -> bool:
        body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
        return body == expected and response["X-Content-Type-Options"] == "nosniff"

    return check


def no_internal(cast: Cast, response: HttpResponse) -> bool:
    body = response.content.decode()
    return PUBLIC_TEXT in body and INTERNAL_TEXT not in body


def _thread_url(cast: Cast) -> str:
    public_message(cast)
    internal_message(cast)
    return f"/cases/{cast.case_a.pk}/messages/"


def _portal_thread_url(cast: Cast) -> str:
    public_message(cast)
    internal_message(cast)
    return f"/my-cases/{cast.case_a.pk}/messages"


ROWS = [
    # Threads
    Row("messages", "view team thread", "GET", _thread_url, TEAM_A, check=contains(INTERNAL_TEXT)),
    Row("messages", "view client thread", "GET", _portal_thread_url, CLIENTS_ON_CASE_A, check=no_internal),
    Row(
        "messages",
        "post as team",
        "POST",
        lambda c: f"/cases/{c.case_a.pk}/messages/",
        TEAM_A,
        data=lambda c: {"body": "hello from the matrix"},
        ok=(302,),
    ),
    Row(
        "messages",
        "post as client",
        "POST",
        lambda c: f"/my-cases/{c.case_a.pk}/messages",
        CLIENTS_ON_CASE_A,
        data=lambda c: {"body": "hello from a client"},
        ok=(302,),
    ),
    Row(
        "messages",
        "post to another agency's case",
        "POST",
        lambda c: f"/cases/{c.case_b.pk}/messages/",
        frozenset({"outsider"}),
        data=lambda c: {"body": "hello"},
        ok=(302,),
    ),
    Row(
        "messages",
        "team feed",
        "GET",
        lambda c: f"/cases/{c.case_a.pk}/messages/feed?after=0&_={public_message(c).pk}",
        TEAM_A,
        check=contains(PUBLIC_TEXT),
    ),
    Row(
        "messages",
        "client feed",
        "GET",
        lambda c: (
            f"/my-cases/{c.case_a.pk}/messages/feed?after=0&_={internal_message(c).pk}{public_message(c).pk}"
        ),
        CLIENTS_ON_CASE_A,
        check=no_internal,
    ),
    Row(
        "messages",
        "edit own message",
        "POST",
        lambda c: f"/cases/{c.case_a.pk}/messages/{public_message(c).pk}/edit",
        frozenset({"member"}),
        data=lambda c: {"body": "edited by the author"},
        ok=(302,),
    ),
    Row(
        "messages",
        "delete own message",
        "POST",
        lambda c: f"/cases/{c.case_a.pk}/messages/{public_message(c).pk}/delete",
        frozenset({"member"}),
        ok=(302,),
    ),
    Row(
        "messages",
        "history",
        "GET",
        lambda c: f"/cases/{c.case_a.pk}/messages/{public_message(c).pk}/history",
        TEAM_A,
    ),
    Row(
        "messages",
        "mention autocomplete",
        "GET",
        lambda c: f"/cases/{c.case_a.pk}/mentionable?q=b",
        TEAM_A,
        check=lambda c, r: "Bob Member" in r.content.decode() and "Carol" not in r.content.decode(),
    ),
    # Internal messages
    Row(
        "internal messages",
        "team fragment",
        "GET",
        lambda c: f"/cases/{c.case_a.pk}/messages/{internal_message(c).pk}/",
        TEAM_A,
        check=contains("Internal"),
    ),
    Row(
        "internal messages",
        "client fragment",
        "GET",
        lambda c: f"/my-cases/{c.case_a.pk}/messages/{internal_message(c).pk}/",
        NOBODY,
    ),
    Row(
        "internal messages",
        "api list",
        "GET",
        lambda c: f"/api/cases/{c.case_a.pk}/messages?_={internal_message(c).pk}{public_message(c).pk}",
        TEAM_OR_CLIENTS_A,
    ),
    Row(
        "internal messages",
        "edit someone else's",
        "POST",
        lambda c: f"/cases/{c.case_a.pk}/messages/{internal_message(c).pk}/edit",
        frozenset({"owner"}),
        data=lambda c: {"body": "changed"},
        ok=(302,),
    ),
    # Documents
    Row(
        "documents",
        "team documents tab",
        "GET",
        lambda c: f"/cases/{c.case_a.pk}/documents/?_={internal_document(c).pk}",
        TEAM_A,
        check=contains("internal.png"),
    ),
    Row(
        "documents",
        "client documents tab",
        "GET",
        lambda c: f"/my-cases/{c.case_a.pk}/documents?_={internal_document(c).pk}{public_document(c).pk}",
        CLIENTS_ON_CASE_A,
        check=lambda c, r: "public.pdf" in r.content.decode() and "internal.png" not in r.content.decode(),
    ),
    Row(
        "documents",
        "download public file",
        "GET",
        lambda c: f"/cases/documents/{public_document(c).pk}/download",
        TEAM_OR_CLIENTS_A,
        check=file_body(b"%PDF-1.4 public"),
    ),
    Row(
        "documents",
        "download internal file",
        "GET",
        lambda c: f"/cases/documents/{internal_document(c).pk}/download",
        TEAM_A,
    ),
    Row(
        "documents",
        "view internal file inline",
        "GET",
        lambda c: f"/cases/documents/{loose_internal_document(c).pk}/view",
        TEAM_A,
        check=file_body(b"internal plan"),
    ),
    Row(
        "documents",
        "internal thumbnail",
        "GET",
        lambda c: f"/cases/documents/{internal_document(c).pk}/thumbnail",
        TEAM_A,
    ),
    Row(
        "documents",
        "upload",
        "POST",
        lambda c: f"/cases/{c.case_a.pk}/documents/",
        TEAM_A,
        data=lambda c: {"file": SimpleUploadedFile("brief.txt", b"brief")},
        ok=(302,),
    ),
    Row(
        "documents",
        "api download internal",
        "GET",
        lambda c: f"/api/documents/{internal_document(c).pk}/download",
        TEAM_A,
    ),
    Row(
        "documents",
        "api list",
        "GET",
        lambda c: f"/api/cases/{c.case_a.pk}/documents",
        TEAM_OR_CLIENTS_A,
    ),
    # Share links
    Row(
        "share links",
        "public file",
        "GET",
        lambda c: f"/cases/documents/s/{public_document(c).share_token}",
        TEAM_OR_CLIENTS_A,
        check=file_body(b"%PDF-1.4 public"),
    ),
    Row(
        "share links",
        "internal file",
        "GET",
        lambda c: f"/cases/documents/s/{internal_document(c).share_token}",
        TEAM_A,
    ),
    # Notifications
    Row("notifications", "list", "GET", lambda c: "/cases/notifications/", TEAM_OF_ANY_AGENCY),
    Row("notifications", "count", "GET", lambda c: "/cases/notifications/count", TEAM_OF_ANY_AGENCY),
    Row(
        "notifications",
        "mark read",
        "POST",
        lambda c: f"/cases/notifications/{bobs_notification(c).pk}/read",
        frozenset({"member"}),
        ok=(302,),
    ),
    Row(
        "notifications",
        "mark all read",
        "POST",
        lambda c: "/cases/notifications/read-all",
        TEAM_OF_ANY_AGENCY,
        ok=(302,),
    ),
    Row(
        "notifications",
        "api mark read",
        "POST",
        lambda c: f"/api/notifications/{bobs_notification(c).pk}/read",
        frozenset({"member"}),
    ),
    Row(
        "notifications",
        "api list",
        "GET",
        lambda c: "/api/notifications",
        SIGNED_IN_USERS | CLIENTS_ON_CASE_A,
    ),
    # API cases
    Row(
        "api cases",
        "list",
        "GET",
        lambda c: "/api/cases",
        SIGNED_IN_USERS | CLIENTS_ON_CASE_A,
    ),
    Row(
        "api cases",
        "get",
        "GET",
        lambda c: f"/api/cases/{c.case_a.pk}",
        TEAM_OR_CLIENTS_A,
        check=contains("Spring campaign"),
    ),
]
