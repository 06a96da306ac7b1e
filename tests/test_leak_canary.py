"""The leak canary: unique strings planted where clients and outsiders must never see them.

Planted: an internal message (text), an internal message's attachment (file name and file
content), and another agency's case (title and message). Then, as every client role (portal
client, magic-link client, another client of the same agency) and as a member of the other
agency, every channel is collected: portal HTML, team pages they try, the API, live events,
notification emails, documents lists, share links and file URLs, unread counts, case lists and
search. Zero hits, and the test asserts the list of channels it covered.
"""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as HttpClient
from django.utils.html import strip_tags

from casedesk.api.models import ApiToken
from casedesk.cases.actions import do_edit_message, do_post_message, do_upload_document
from casedesk.cases.models import Document, Message
from tests.conftest import Cast
from tests.live_helpers import collect, open_socket, subscribe

INTERNAL_TEXT = "CANARY-internal-text-5d1f0a"
INTERNAL_FILENAME = "CANARY-internal-filename-8b2c.txt"
INTERNAL_FILE_CONTENT = "CANARY-internal-content-3e9d77"
OTHER_AGENCY_TITLE = "CANARY-other-agency-title-a41b"
OTHER_AGENCY_TEXT = "CANARY-other-agency-text-c0f3"
# Searched for by their last part only, so that a page echoing the query is not a false hit.
SEARCH_URLS = [
    f"{path}?q={canary.rsplit('-', 1)[-1].removesuffix('.txt')}"
    for path in ("/search/", "/search/my-cases/", "/api/search")
    for canary in (
        INTERNAL_TEXT,
        INTERNAL_FILENAME,
        INTERNAL_FILE_CONTENT,
        OTHER_AGENCY_TITLE,
        OTHER_AGENCY_TEXT,
    )
]
CANARIES = (INTERNAL_TEXT, INTERNAL_FILENAME, INTERNAL_FILE_CONTENT, OTHER_AGENCY_TITLE, OTHER_AGENCY_TEXT)

EXPECTED_CHANNELS = {
    "portal HTML",
    "team pages (tried)",
    "API",
    "live events",
    "notification emails",
    "documents list",
    "share links and file URLs",
    "unread counts",
    "case list",
    "search",
}


def plant(cast: Cast, capture: Any) -> dict[str, Any]:
    with capture(execute=True):
        public = do_post_message(case=cast.case_a, body="Public update for Globex", author_user=cast.alice)
        internal = do_post_message(
            case=cast.case_a,
            body=f"{INTERNAL_TEXT} @**Bob Member** do not tell the client",
            author_user=cast.alice,
            internal_only=True,
            files=[SimpleUploadedFile(INTERNAL_FILENAME, INTERNAL_FILE_CONTENT.encode())],
        )
        do_upload_document(
            case=cast.case_a,
            upload=SimpleUploadedFile("budget-" + INTERNAL_FILENAME, INTERNAL_FILE_CONTENT.encode()),
            uploaded_by_user=cast.alice,
            internal_only=True,
        )
        cast.case_b.title = OTHER_AGENCY_TITLE
        cast.case_b.save()
        other = do_post_message(
            case=cast.case_b,
            body=OTHER_AGENCY_TEXT,
            author_user=cast.dave,
            files=[SimpleUploadedFile("b.txt", OTHER_AGENCY_TEXT.encode())],
        )
        client_reply = do_post_message(
            case=cast.case_a, body="Thanks!", author_user=cast.carol_user, author_contact=cast.carol
        )
    internal_docs = list(Document.objects.filter(case=cast.case_a, internal_only=True))
    return {
        "public": public,
        "internal": internal,
        "other": other,
        "client_reply": client_reply,
        "internal_docs": internal_docs,  # includes the loose upload
        "other_docs": list(Document.objects.filter(case=cast.case_b)),
    }


def fetch(http: HttpClient, url: str, **headers: str) -> str:
    response = http.get(url, headers=headers or None)
    if response.get("Content-Disposition") or hasattr(response, "streaming_content"):
        return b"".join(response.streaming_content).decode(errors="replace") + response.get(  # type: ignore[attr-defined]
            "Content-Disposition", ""
        )
    return response.content.decode(errors="replace")


@pytest.mark.django_db(transaction=True)  # live sockets read the database from other threads
def test_nothing_internal_or_from_another_agency_reaches_clients_or_outsiders(
    cast: Cast, django_capture_on_commit_callbacks: Any, run_tasks: Any
) -> None:
    planted = plant(cast, django_capture_on_commit_callbacks)
    a, b = cast.case_a.pk, cast.case_b.pk
    internal_id = planted["internal"].pk
    message_ids = [m.pk for m in Message.objects.all()]
    internal_doc_ids = [d.pk for d in planted["internal_docs"]]
    all_doc_ids = list(Document.objects.values_list("pk", flat=True))
    share_tokens = [d.share_token for d in Document.objects.filter(internal_only=True)] + [
        d.share_token for d in planted["other_docs"]
    ]

    roles: dict[str, HttpClient] = {
        "portal_client": cast.login(cast.carol_user),
        "magic_client": cast.magic_client(),
        "other_client": cast.login(cast.frank_user),
        "outsider": cast.login(cast.dave),
    }
    role_users = {"portal_client": cast.carol_user, "other_client": cast.frank_user, "outsider": cast.dave}
    collected: dict[str, dict[str, list[str]]] = {role: {} for role in roles}

    def add(role: str, channel: str, text: str) -> None:
        collected[role].setdefault(channel, []).append(text)

    for role, http in roles.items():
        for case_id in (a, b):
            for url in (
                f"/my-cases/{case_id}/",
                f"/my-cases/{case_id}/messages",
                f"/my-cases/{case_id}/messages/feed?after=0",
                f"/my-cases/{case_id}/messages/feed?before=999999999",
                *[f"/my-cases/{case_id}/messages/{mid}/" for mid in message_ids],
            ):
                add(role, "portal HTML", fetch(http, url))
            add(role, "documents list", fetch(http, f"/my-cases/{case_id}/documents"))
            add(role, "documents list", fetch(http, f"/my-cases/{case_id}/documents?fragment=1"))
            for url in (
                f"/cases/{case_id}/",
                f"/cases/{case_id}/messages/",
                f"/cases/{case_id}/messages/feed?after=0",
                f"/cases/{case_id}/messages/{internal_id}/",
                f"/cases/{case_id}/messages/{internal_id}/history",
                f"/cases/{case_id}/mentionable?q=",
                f"/cases/{case_id}/documents/",
                f"/cases/{case_id}/documents/?fragment=1",
            ):
                add(role, "team pages (tried)", fetch(http, url))
            for url in (
                f"/api/cases/{case_id}",
                f"/api/cases/{case_id}/messages",
                f"/api/cases/{case_id}/messages?after=0",
                f"/api/cases/{case_id}/documents",
            ):
                add(role, "API", fetch(http, url))
        add(role, "API", fetch(http, "/api/cases"))
        add(role, "API", fetch(http, "/api/notifications"))
        for doc_id in all_doc_ids:
            add(role, "API", fetch(http, f"/api/documents/{doc_id}/download"))
        if role in role_users:
            _, raw = ApiToken.issue(role_users[role], "canary")
            token = {"Authorization": f"Bearer {raw}"}
            for url in (
                "/api/cases",
                f"/api/cases/{a}/messages",
                f"/api/cases/{a}/documents",
                f"/api/cases/{b}",
            ):
                add(role, "API", fetch(HttpClient(), url, **token))
        for doc_id in all_doc_ids:
            add(role, "share links and file URLs", fetch(http, f"/cases/documents/{doc_id}/download"))
            add(role, "share links and file URLs", fetch(http, f"/cases/documents/{doc_id}/view"))
        for token in share_tokens:
            add(role, "share links and file URLs", fetch(http, f"/cases/documents/s/{token}"))
        add(role, "unread counts", fetch(http, "/cases/notifications/count"))
        add(role, "unread counts", fetch(http, "/cases/notifications/"))
        add(role, "case list", fetch(http, "/my-cases/"))
        add(role, "case list", fetch(http, "/cases/"))
        add(role, "case list", fetch(http, "/"))
        for url in (
            f"/my-cases/?q={INTERNAL_TEXT}",
            f"/cases/?q={INTERNAL_TEXT}",
            f"/cases/?q={OTHER_AGENCY_TITLE}",
            *SEARCH_URLS,
            *[f"{url}&case={case_id}" for url in SEARCH_URLS for case_id in (a, b)],
        ):
            # Snippets mark the matched word (<mark>), which splits a canary: check the text too.
            text = fetch(http, url)
            add(role, "search", text)
            add(role, "search", strip_tags(text))

    # Live events: every role listens on both cases while more internal activity happens.
    async def listen() -> dict[str, list[dict[str, Any]]]:
        sockets = {}
        for role, http in roles.items():
            communicator, connected = await open_socket(http)
            assert connected, role
            await subscribe(communicator, a)
            await subscribe(communicator, b)
            sockets[role] = communicator

        def more_activity() -> None:
            with django_capture_on_commit_callbacks(execute=True):
                note = do_post_message(
                    case=cast.case_a,
                    body=f"{INTERNAL_TEXT} second note",
                    author_user=cast.bob,
                    internal_only=True,
                    files=[SimpleUploadedFile(INTERNAL_FILENAME, INTERNAL_FILE_CONTENT.encode())],
                )
                do_edit_message(message=note, editor=cast.bob, body=f"{INTERNAL_TEXT} edited")
                do_post_message(case=cast.case_b, body=OTHER_AGENCY_TEXT, author_user=cast.dave)
                do_post_message(case=cast.case_a, body="A public reply", author_user=cast.bob)

        await sync_to_async(more_activity)()
        events = {role: await collect(communicator) for role, communicator in sockets.items()}
        for communicator in sockets.values():
            await communicator.disconnect()
        return events

    events = async_to_sync(listen)()
    internal_ids = set(Message.objects.filter(internal_only=True).values_list("pk", flat=True))
    for role, role_events in events.items():
        add(role, "live events", repr(role_events))
        # Not even the id of an internal message or another agency's case travels to them.
        for event in role_events:
            assert event["payload"].get("message") not in internal_ids, (role, event)
            foreign_case = a if role == "outsider" else b
            assert event["payload"].get("case") != foreign_case, (role, event)
    # Clients on the case do get the public reply live: the channel is really open.
    assert any(e["event"] == "message.created" for e in events["portal_client"])
    assert any(e["event"] == "message.created" for e in events["magic_client"])

    # Notification emails, once every queued job has run.
    run_tasks()
    addresses = {
        "portal_client": cast.carol.email,
        "magic_client": cast.erin.email,
        "other_client": cast.frank.email,
        "outsider": cast.dave.email,
    }
    for role, address in addresses.items():
        emails = [m for m in mail.outbox if address in m.to]
        add(
            role,
            "notification emails",
            repr([(m.subject, m.body, getattr(m, "alternatives", None), m.attachments) for m in emails]),
        )
        if role == "outsider":
            assert not [m for m in emails if OTHER_AGENCY_TEXT not in m.body and "Umbrella" not in m.subject]

    hits = [
        (role, channel, canary)
        for role, channels in collected.items()
        for channel, texts in channels.items()
        for text in texts
        for canary in CANARIES
        if canary in text and not (role == "outsider" and canary in (OTHER_AGENCY_TITLE, OTHER_AGENCY_TEXT))
    ]
    # Positive control: the same collectors do find the canaries where they are allowed.
    alice, dave = cast.login(cast.alice), cast.login(cast.dave)
    assert INTERNAL_TEXT in fetch(alice, f"/cases/{a}/messages/")
    assert INTERNAL_FILENAME in fetch(alice, f"/cases/{a}/documents/")
    assert INTERNAL_FILE_CONTENT in fetch(alice, f"/cases/documents/{internal_doc_ids[0]}/download")
    assert OTHER_AGENCY_TEXT in fetch(dave, f"/api/cases/{b}/messages")
    assert INTERNAL_TEXT in strip_tags(fetch(alice, "/search/?q=5d1f0a"))
    assert INTERNAL_FILENAME in strip_tags(fetch(alice, "/search/?q=8b2c"))
    assert OTHER_AGENCY_TITLE in strip_tags(fetch(dave, "/search/?q=a41b"))
    assert OTHER_AGENCY_TEXT in strip_tags(fetch(dave, "/api/search?q=c0f3"))

    covered = sorted({channel for channels in collected.values() for channel in channels})
    print("leak canary covered channels:", ", ".join(covered))
    print("requests/texts collected:", sum(len(t) for c in collected.values() for t in c.values()))
    assert set(covered) == EXPECTED_CHANNELS
    assert hits == []
