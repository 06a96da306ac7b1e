"""The JSON API: auth, access rules, cursor pagination, posting with files, errors as JSON."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as HttpClient
from django.test import override_settings

from casedesk.api.models import ApiToken
from casedesk.cases.actions import do_post_message
from casedesk.cases.models import Message
from tests.conftest import Cast


def bearer(cast: Cast, user: object) -> dict[str, str]:
    _, raw = ApiToken.issue(user, "test")
    return {"Authorization": f"Bearer {raw}"}


def test_openapi_schema_and_docs_are_served(cast: Cast) -> None:
    http = HttpClient()
    schema = http.get("/api/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/cases/{case_id}/messages" in paths
    assert "/api/notifications" in paths
    assert http.get("/api/docs").status_code == 200


def test_no_credentials_is_a_json_401(cast: Cast) -> None:
    response = HttpClient().get("/api/cases")
    assert response.status_code == 401
    assert "API token" in response.json()["detail"]


def test_token_lists_only_the_users_agency_cases(cast: Cast) -> None:
    response = HttpClient().get("/api/cases", headers=bearer(cast, cast.bob))
    assert response.status_code == 200
    titles = {c["title"] for c in response.json()}
    assert titles == {"Spring campaign", "Initech rebrand"}


def test_revoked_token_is_refused(cast: Cast) -> None:
    token, raw = ApiToken.issue(cast.bob, "old")
    token.revoke()
    assert HttpClient().get("/api/cases", headers={"Authorization": f"Bearer {raw}"}).status_code == 401


def test_other_agency_case_is_a_json_404(cast: Cast) -> None:
    response = HttpClient().get(f"/api/cases/{cast.case_b.pk}/messages", headers=bearer(cast, cast.bob))
    assert response.status_code == 404
    assert response.json()["detail"] == "No such case."


def test_messages_are_cursor_paginated_oldest_to_newest(cast: Cast) -> None:
    for i in range(7):
        do_post_message(case=cast.case_a, body=f"message {i}", author_user=cast.bob)
    http, headers = HttpClient(), bearer(cast, cast.bob)
    first = http.get(f"/api/cases/{cast.case_a.pk}/messages?limit=3", headers=headers).json()
    assert [m["body"] for m in first["items"]] == ["message 4", "message 5", "message 6"]
    second = http.get(
        f"/api/cases/{cast.case_a.pk}/messages?limit=3&before={first['next_before']}", headers=headers
    ).json()
    assert [m["body"] for m in second["items"]] == ["message 1", "message 2", "message 3"]
    third = http.get(
        f"/api/cases/{cast.case_a.pk}/messages?limit=3&before={second['next_before']}", headers=headers
    ).json()
    assert [m["body"] for m in third["items"]] == ["message 0"]
    assert third["next_before"] is None


def test_post_message_with_files_over_the_api(cast: Cast) -> None:
    response = HttpClient().post(
        f"/api/cases/{cast.case_a.pk}/messages",
        {"body": "See attached", "files": [SimpleUploadedFile("a.pdf", b"%PDF-1.4 test")]},
        headers=bearer(cast, cast.bob),
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["author"] == {"name": "Bob Member", "kind": "team"}
    assert data["documents"][0]["content_type"] == "application/pdf"
    assert Message.objects.get().source == "api"


@override_settings(MAX_ATTACHMENT_BYTES=100)
def test_api_refuses_a_file_over_the_limit_with_413(cast: Cast) -> None:
    response = HttpClient().post(
        f"/api/cases/{cast.case_a.pk}/messages",
        {"body": "big", "files": [SimpleUploadedFile("big.bin", b"x" * 101)]},
        headers=bearer(cast, cast.bob),
    )
    assert response.status_code == 413
    body = response.json()
    assert body["code"] == "file_too_large"
    assert "“big.bin” is 101 bytes; the limit is 100 bytes per file." in body["detail"]
    assert not Message.objects.exists()


def test_api_empty_message_is_400_with_a_sentence(cast: Cast) -> None:
    response = HttpClient().post(
        f"/api/cases/{cast.case_a.pk}/messages", {"body": ""}, headers=bearer(cast, cast.bob)
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "Write a message or attach a file before sending."


@pytest.mark.parametrize(
    "path",
    [
        "/api/cases/abc/messages",
        "/api/cases/1/messages?limit=0",
        "/api/cases/1/messages?before=-4",
        "/api/cases/99999999999999999999999/messages",
    ],
)
def test_malformed_input_is_a_json_error_never_a_500(cast: Cast, path: str) -> None:
    response = HttpClient().get(path, headers=bearer(cast, cast.bob))
    assert response.status_code in (404, 422)
    assert "detail" in response.json()


def test_edit_via_api_keeps_history_and_only_the_author_may(cast: Cast) -> None:
    message = do_post_message(case=cast.case_a, body="frist", author_user=cast.bob)
    url = f"/api/cases/{cast.case_a.pk}/messages/{message.pk}"
    ok = HttpClient().patch(
        url, {"body": "first"}, content_type="application/json", headers=bearer(cast, cast.bob)
    )
    assert ok.status_code == 200 and ok.json()["edited_at"] is not None
    assert list(message.revisions.values_list("body", flat=True)) == ["frist"]
    denied = HttpClient().patch(
        url, {"body": "hijack"}, content_type="application/json", headers=bearer(cast, cast.alice)
    )
    assert denied.status_code == 404  # someone else's message: the same 404 as a missing one
    assert message.revisions.count() == 1
    bad = HttpClient().patch(
        url, "{not json", content_type="application/json", headers=bearer(cast, cast.bob)
    )
    assert bad.status_code in (400, 422)


def test_session_auth_works_for_the_browser(cast: Cast) -> None:
    response = cast.login(cast.carol_user).get(f"/api/cases/{cast.case_a.pk}")
    assert response.status_code == 200
    assert response.json()["title"] == "Spring campaign"


def test_session_writes_need_the_csrf_token(cast: Cast) -> None:
    http = HttpClient(enforce_csrf_checks=True)
    http.force_login(cast.bob)
    response = http.post(f"/api/cases/{cast.case_a.pk}/messages", {"body": "no csrf"})
    assert response.status_code == 403
    assert not Message.objects.exists()


def test_missing_file_download_is_a_clear_404(cast: Cast) -> None:
    message = do_post_message(
        case=cast.case_a, body="x", author_user=cast.bob, files=[SimpleUploadedFile("gone.txt", b"hello")]
    )
    document = message.documents.get()
    document.file.storage.delete(str(document.file.name))
    response = HttpClient().get(f"/api/documents/{document.pk}/download", headers=bearer(cast, cast.bob))
    assert response.status_code == 404
    assert "“gone.txt” is missing from storage" in response.json()["detail"]
    page = cast.login(cast.bob).get(f"/cases/documents/{document.pk}/download")
    assert page.status_code == 404
    assert "“gone.txt”" in page.content.decode() and "missing from storage" in page.content.decode()


def test_client_posting_through_the_api_cannot_make_it_internal(cast: Cast) -> None:
    response = HttpClient().post(
        f"/api/cases/{cast.case_a.pk}/messages",
        {"body": "from Carol's script", "internal_only": "true"},
        headers=bearer(cast, cast.carol_user),
    )
    assert response.status_code == 201
    data = response.json()
    assert data["internal_only"] is False
    assert data["author"] == {"name": "Carol Client", "kind": "client"}


def test_upload_and_list_documents_over_the_api(cast: Cast) -> None:
    headers = bearer(cast, cast.bob)
    created = HttpClient().post(
        f"/api/cases/{cast.case_a.pk}/documents",
        {"file": SimpleUploadedFile("notes.txt", b"meeting notes"), "internal_only": "true"},
        headers=headers,
    )
    assert created.status_code == 201
    assert created.json()["internal_only"] is True
    listed = HttpClient().get(f"/api/cases/{cast.case_a.pk}/documents", headers=headers).json()
    assert [d["name"] for d in listed] == ["notes.txt"]
    download = HttpClient().get(listed[0]["download_url"].replace("http://testserver", ""), headers=headers)
    assert b"".join(download.streaming_content) == b"meeting notes"  # type: ignore[attr-defined]
    assert (
        HttpClient()
        .get(f"/api/cases/{cast.case_a.pk}/documents", headers=bearer(cast, cast.carol_user))
        .json()
        == []
    )
    missing = HttpClient().post(f"/api/cases/{cast.case_a.pk}/documents", {}, headers=headers)
    # The schema requires the file, so its absence is a validation error (422) naming the field.
    assert missing.status_code == 422
    assert missing.json()["detail"].startswith("The request was not understood: file: Field required.")


def test_anonymous_write_without_a_session_is_401_not_a_csrf_error(cast: Cast) -> None:
    response = HttpClient(enforce_csrf_checks=True).post(
        f"/api/cases/{cast.case_a.pk}/messages", {"body": "x"}
    )
    assert response.status_code == 401
