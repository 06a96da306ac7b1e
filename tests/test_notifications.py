"""The bell: unread count in the sidebar, the list, mark read, mark all read, client replies."""

from __future__ import annotations

from typing import Any

from casedesk.accounts.models import Membership
from casedesk.cases.actions import do_post_message
from casedesk.cases.models import Notification, NotificationKind
from tests.conftest import Cast


def _mention_bob(cast: Cast, times: int = 1) -> None:
    for i in range(times):
        do_post_message(case=cast.case_a, body=f"{i} @**Bob Member**", author_user=cast.alice)


def test_bell_shows_the_unread_count(cast: Cast) -> None:
    _mention_bob(cast, 2)
    page = cast.login(cast.bob).get(f"/cases/{cast.case_a.pk}/messages/").content.decode()
    assert '<span class="bell-count" id="bell-count">2</span>' in page
    assert cast.login(cast.bob).get("/cases/notifications/count").json() == {"unread": 2}


def test_mark_one_read_then_open_it(cast: Cast) -> None:
    _mention_bob(cast, 2)
    http = cast.login(cast.bob)
    first = Notification.objects.filter(user=cast.bob).first()
    assert first is not None
    response = http.post(f"/cases/notifications/{first.pk}/read", {"open": "1"})
    assert response.status_code == 302
    assert response["Location"] == first.url
    assert http.get("/cases/notifications/count").json() == {"unread": 1}


def test_mark_all_read(cast: Cast) -> None:
    _mention_bob(cast, 3)
    http = cast.login(cast.bob)
    assert http.post("/cases/notifications/read-all").status_code == 302
    assert http.get("/cases/notifications/count").json() == {"unread": 0}
    page = http.get("/cases/notifications/").content.decode()
    assert "Alice Owner mentioned you" in page
    assert "notif-unread" not in page


def test_someone_elses_notification_cannot_be_marked(cast: Cast) -> None:
    _mention_bob(cast)
    notification = Notification.objects.get(user=cast.bob)
    assert cast.login(cast.alice).post(f"/cases/notifications/{notification.pk}/read").status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_client_reply_notifies_the_team_members_on_the_case(cast: Cast) -> None:
    do_post_message(
        case=cast.case_a, body="Any news?", author_user=cast.carol_user, author_contact=cast.carol
    )
    rows = Notification.objects.filter(kind=NotificationKind.CLIENT_REPLY)
    assert [n.user for n in rows] == [cast.bob]  # Bob is the one assigned to case_a
    assert rows[0].text.startswith("Carol Client replied on case-1")


def test_notifications_from_an_agency_you_left_are_hidden(cast: Cast) -> None:
    _mention_bob(cast)
    Membership.objects.filter(user=cast.bob, agency=cast.agency_a).update(is_active=False)
    Membership.objects.create(user=cast.bob, agency=cast.agency_b)
    http = cast.login(cast.bob)
    assert http.get("/cases/notifications/count").json() == {"unread": 0}
    assert "mentioned you" not in http.get("/cases/notifications/").content.decode()


def test_api_lists_and_marks_notifications(cast: Cast) -> None:
    _mention_bob(cast, 2)
    http = cast.login(cast.bob)
    data = http.get("/api/notifications").json()
    assert data["unread"] == 2 and len(data["items"]) == 2
    assert http.post(f"/api/notifications/{data['items'][0]['id']}/read").json()["read_at"] is not None
    assert http.post("/api/notifications/read-all").json() == {"count": 1}
    assert http.get("/api/notifications?unread=true").json() == {"items": [], "unread": 0}


def test_client_reply_notifies_every_active_member_on_the_case_and_nobody_else(cast: Cast) -> None:
    cast.case_a.members.add(cast.alice, cast.vic)  # Vic is deactivated
    Membership.objects.create(user=cast.dave, agency=cast.agency_a, is_active=False)
    cast.case_a.members.add(cast.dave)  # on the case, but his membership here is inactive
    message = do_post_message(case=cast.case_a, body="Hello team", author_contact=cast.carol)
    rows = Notification.objects.filter(kind=NotificationKind.CLIENT_REPLY, message=message)
    assert sorted(n.user.email for n in rows) == sorted([cast.alice.email, cast.bob.email])
    assert all(n.agency_id == cast.agency_a.pk and n.case_id == cast.case_a.pk for n in rows)
    assert all(n.url.endswith(f"#m{message.pk}") for n in rows)


def test_notification_excerpt_is_plain_text_without_markdown() -> None:
    from casedesk.lib.markdown import plain_excerpt

    text = "Photos are in the folder *Autumn*, see **this** and [the brief](https://x.test) @**Bob Member**"
    assert plain_excerpt(text) == "Photos are in the folder Autumn, see this and the brief @Bob Member"
    assert plain_excerpt("Use <b>bold</b> & `code`") == "Use <b>bold</b> & code"


def test_notifications_page_shows_avatar_sentence_and_plain_excerpt(
    cast: Cast, django_assert_max_num_queries: Any
) -> None:
    _mention_bob(cast, 5)
    do_post_message(case=cast.case_a, body="A **bold** reply", author_contact=cast.carol)
    http = cast.login(cast.bob)
    with django_assert_max_num_queries(12):  # no query per row: authors come with the list
        page = http.get("/cases/notifications/").content.decode()
    assert page.count('<span class="notif-dot"><span class="visually-hidden">Unread</span></span>') == 6
    assert f"Carol Client replied in {cast.case_a.reference} “Spring campaign”" in page
    assert '<p class="notif-excerpt">A bold reply</p>' in page
    assert 'aria-hidden="true">AO</span>' in page and 'aria-hidden="true">CC</span>' in page
    assert "Mark all read" in page


def test_deleted_message_and_support_notifications_read_as_sentences(cast: Cast) -> None:
    from casedesk.cases.actions import do_delete_message

    message = do_post_message(case=cast.case_a, body="@**Bob Member** secret plan", author_user=cast.alice)
    do_delete_message(message=message, actor=cast.alice)
    Notification.objects.create(
        user=cast.bob,
        agency=cast.agency_a,
        kind=NotificationKind.SUPPORT,
        case=cast.case_a,
        text="Globex is waiting for a person in the support chat.",
        url="/support/",
    )
    page = cast.login(cast.bob).get("/cases/notifications/").content.decode()
    assert "This message was deleted." in page and "secret plan" not in page
    assert "Globex is waiting for a person in the support chat." in page


def test_mark_all_read_is_offered_only_while_something_is_unread(cast: Cast) -> None:
    _mention_bob(cast)
    http = cast.login(cast.bob)
    http.post("/cases/notifications/read-all")
    page = http.get("/cases/notifications/").content.decode()
    assert "Mark all read" not in page and "notif-dot" not in page
    assert "Alice Owner mentioned you in" in page
