"""The team thread page: order, load earlier, catch-up feed, edit with history, delete, internal look."""

from __future__ import annotations

from django.utils import timezone

from casedesk.cases.actions import do_post_message
from casedesk.cases.models import Message, MessageRevision
from tests.conftest import Cast


def _many(cast: Cast, count: int) -> list[int]:
    now = timezone.now()
    rows = Message.objects.bulk_create(
        [
            Message(
                case=cast.case_a, author_user=cast.bob, body=f"n{i}", body_html=f"<p>n{i}</p>", created_at=now
            )
            for i in range(count)
        ]
    )
    return [m.pk for m in rows]


def test_thread_shows_the_newest_page_oldest_first_with_load_earlier(cast: Cast) -> None:
    ids = _many(cast, 60)
    page = cast.login(cast.bob).get(f"/cases/{cast.case_a.pk}/messages/").content.decode()
    assert "<p>n10</p>" in page and "<p>n9</p>" not in page
    assert page.index("<p>n10</p>") < page.index("<p>n59</p>")
    assert 'id="thread-earlier"' in page and f'data-before="{ids[10]}"' in page


def test_feed_pages_back_with_before_and_catches_up_with_after(cast: Cast) -> None:
    ids = _many(cast, 60)
    http = cast.login(cast.bob)
    earlier = http.get(f"/cases/{cast.case_a.pk}/messages/feed?before={ids[10]}")
    assert earlier["X-Has-Earlier"] == "0"
    body = earlier.content.decode()
    assert "<p>n0</p>" in body and "<p>n9</p>" in body and "<p>n10</p>" not in body
    newer = http.get(f"/cases/{cast.case_a.pk}/messages/feed?after={ids[57]}").content.decode()
    assert "<p>n58</p>" in newer and "<p>n59</p>" in newer and "<p>n57</p>" not in newer
    junk = http.get(f"/cases/{cast.case_a.pk}/messages/feed?after=abc")
    assert junk.status_code == 200  # a bad cursor means "no cursor", never a 500


def test_internal_messages_look_internal_to_the_team(cast: Cast) -> None:
    do_post_message(case=cast.case_a, body="psst", author_user=cast.bob, internal_only=True)
    page = cast.login(cast.alice).get(f"/cases/{cast.case_a.pk}/messages/").content.decode()
    assert 'class="msg msg-internal"' in page
    assert '<span class="tag tag-internal" title="Only your team sees this message">Internal</span>' in page


def test_author_edits_keeps_history_and_shows_edited(cast: Cast) -> None:
    message = do_post_message(case=cast.case_a, body="Teh plan", author_user=cast.bob)
    http = cast.login(cast.bob)
    response = http.post(
        f"/cases/{cast.case_a.pk}/messages/{message.pk}/edit",
        {"body": "The plan"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200
    fragment = http.get(f"/cases/{cast.case_a.pk}/messages/{message.pk}/").content.decode()
    assert "The plan" in fragment and ">edited</a>" in fragment
    history = http.get(f"/cases/{cast.case_a.pk}/messages/{message.pk}/history").content.decode()
    assert "Teh plan" in history and "The plan" in history


def test_edit_to_empty_is_refused_and_the_text_stays(cast: Cast) -> None:
    message = do_post_message(case=cast.case_a, body="keep me", author_user=cast.bob)
    response = cast.login(cast.bob).post(
        f"/cases/{cast.case_a.pk}/messages/{message.pk}/edit",
        {"body": " "},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["error"].startswith("A message cannot be empty.")
    message.refresh_from_db()
    assert message.body == "keep me"


def test_delete_hides_the_message_and_keeps_its_text(cast: Cast) -> None:
    message = do_post_message(case=cast.case_a, body="wrong thread", author_user=cast.bob)
    http = cast.login(cast.bob)
    assert http.post(f"/cases/{cast.case_a.pk}/messages/{message.pk}/delete").status_code == 302
    assert "wrong thread" not in http.get(f"/cases/{cast.case_a.pk}/messages/").content.decode()
    assert http.get(f"/cases/{cast.case_a.pk}/messages/{message.pk}/").status_code == 404
    assert MessageRevision.objects.get(message=message).body == "wrong thread"


def test_clients_cannot_edit_team_messages(cast: Cast) -> None:
    message = do_post_message(case=cast.case_a, body="team words", author_user=cast.bob)
    carol = cast.login(cast.carol_user)
    url = f"/my-cases/{cast.case_a.pk}/messages/{message.pk}/edit"
    assert carol.post(url, {"body": "client words"}).status_code == 404
    message.refresh_from_db()
    assert message.body == "team words"


def test_portal_client_edits_their_own_reply(cast: Cast) -> None:
    message = do_post_message(
        case=cast.case_a, body="Thnaks", author_user=cast.carol_user, author_contact=cast.carol
    )
    carol = cast.login(cast.carol_user)
    response = carol.post(f"/my-cases/{cast.case_a.pk}/messages/{message.pk}/edit", {"body": "Thanks"})
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.body == "Thanks" and message.edited_at is not None
