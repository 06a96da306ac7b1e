"""Thread messages are built in Python (casedesk/cases/message_html.py), not by a template:
what the template did for free (escaping, dates, links) is checked here."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from casedesk.cases.actions import do_edit_message, do_post_message
from casedesk.cases.message_html import FILE_ICON_LABELS, file_family
from casedesk.cases.models import Message
from casedesk.lib.avatars import colour_class
from tests.conftest import Cast


def test_names_bodies_and_file_names_are_escaped(cast: Cast) -> None:
    cast.bob.name = '<img src=x onerror="alert(1)">'
    cast.bob.save(update_fields=["name"])
    message = do_post_message(
        case=cast.case_a,
        body="a <script>alert(2)</script> & 'b'",
        author_user=cast.bob,
        files=[SimpleUploadedFile('"><svg onload=alert(3)>.txt', b"x")],
    )
    for http, path in (
        (cast.login(cast.bob), f"/cases/{cast.case_a.pk}/messages/"),
        (cast.login(cast.bob), f"/cases/{cast.case_a.pk}/messages/{message.pk}/"),
        (cast.login(cast.carol_user), f"/my-cases/{cast.case_a.pk}/messages"),
    ):
        page = http.get(path).content.decode()
        assert "<script>alert(2)" not in page and "<img src=x" not in page and "<svg onload" not in page
        assert '<span class="msg-author">&lt;img src=x onerror=&quot;alert(1)&quot;&gt;</span>' in page
        assert "&quot;&gt;&lt;svg onload=alert(3)&gt;.txt</a>" in page
    own = cast.login(cast.bob).get(f"/cases/{cast.case_a.pk}/messages/{message.pk}/").content.decode()
    # The author's editable source, escaped; the rendered body is the sanitised body_html.
    assert (
        '<template class="msg-source">a &lt;script&gt;alert(2)&lt;/script&gt; &amp; &#x27;b&#x27;</template>'
        in own
    )


def test_dates_edited_mark_and_links_match_the_audience(cast: Cast) -> None:
    message = do_post_message(
        case=cast.case_a, body="first", author_user=cast.carol_user, author_contact=cast.carol
    )
    do_edit_message(message=message, editor=cast.carol_user, body="second")
    message.refresh_from_db()
    stamp = f"{message.created_at.day} {message.created_at:%b %Y, %H:%M}"
    assert message.edited_at is not None
    edited = f"{message.edited_at.day} {message.edited_at:%b %Y, %H:%M}"
    team = cast.login(cast.bob).get(f"/cases/{cast.case_a.pk}/messages/").content.decode()
    iso = message.created_at.isoformat()
    assert f'<time class="msg-time" datetime="{iso}" title="{stamp} UTC">{stamp}</time>' in team
    assert f'href="/cases/{cast.case_a.pk}/messages/{message.pk}/history"' in team
    assert '<span class="tag tag-client">Client</span>' in team
    assert 'class="link msg-edit"' not in team  # Bob did not write it
    client = cast.login(cast.carol_user).get(f"/my-cases/{cast.case_a.pk}/messages").content.decode()
    assert '<span class="tag tag-client">You</span>' in client
    assert f'<span class="msg-edited" title="Edited {edited}">edited</span>' in client
    assert "/history" not in client
    assert f'data-url="/my-cases/{cast.case_a.pk}/messages/{message.pk}/edit"' in client


def test_client_feed_and_fragment_never_carry_internal_notes(cast: Cast) -> None:
    visible = do_post_message(case=cast.case_a, body="for everyone", author_user=cast.bob)
    note = do_post_message(case=cast.case_a, body="team only psst", author_user=cast.bob, internal_only=True)
    http = cast.login(cast.carol_user)
    feed = http.get(f"/my-cases/{cast.case_a.pk}/messages/feed?after={visible.pk - 1}").content.decode()
    assert "for everyone" in feed and "psst" not in feed and f'id="m{note.pk}"' not in feed
    assert http.get(f"/my-cases/{cast.case_a.pk}/messages/{note.pk}/").status_code == 404
    team_feed = cast.login(cast.alice).get(f"/cases/{cast.case_a.pk}/messages/feed?after={visible.pk - 1}")
    assert 'class="msg msg-internal"' in team_feed.content.decode()


def test_live_catch_up_feed_skips_the_sidebar_queries(cast: Cast) -> None:
    """The feed is fetched by every open page on every live event: messages only, no page shell."""
    do_post_message(case=cast.case_a, body="hello", author_user=cast.bob)
    http = cast.login(cast.bob)
    url = f"/cases/{cast.case_a.pk}/messages/feed?after=0"
    http.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = http.get(url)
    assert "hello" in response.content.decode()
    tables = " ".join(q["sql"] for q in ctx.captured_queries)
    for sidebar_table in (
        "cases_notification",
        "support_conversation",
        "mail_inboundemail",
        "jobs_failedjob",
    ):
        assert sidebar_table not in tables
    assert Message.objects.filter(case=cast.case_a).count() == 1


def test_avatar_initials_and_grouping_key_are_escaped_and_name_the_person(cast: Cast) -> None:
    """The avatar and data-author come from the person, never from raw text: a hostile name
    gives letters only, a client writing from the portal and by email is one person."""
    cast.bob.name = '"><b onmouseover=alert(1)>Bob Ü'
    cast.bob.save(update_fields=["name"])
    by_bob = do_post_message(case=cast.case_a, body="hi", author_user=cast.bob)
    portal = do_post_message(
        case=cast.case_a, body="p", author_user=cast.carol_user, author_contact=cast.carol
    )
    emailed = do_post_message(case=cast.case_a, body="e", author_contact=cast.erin)
    page = cast.login(cast.alice).get(f"/cases/{cast.case_a.pk}/messages/").content.decode()
    bob_class = colour_class(f"u{cast.bob.pk}")
    assert (
        f'<article class="msg" id="m{by_bob.pk}" data-id="{by_bob.pk}" data-author="u{cast.bob.pk}">\n'
        f'<span class="avatar {bob_class}" aria-hidden="true">BÜ</span>\n'
    ) in page
    assert "<b onmouseover" not in page
    assert f'data-id="{portal.pk}" data-author="u{cast.carol_user.pk}"' in page
    assert f'data-id="{emailed.pk}" data-author="c{cast.erin.pk}"' in page
    assert (
        '<span class="avatar ' + colour_class(f"c{cast.erin.pk}") + '" aria-hidden="true">EN</span>' in page
    )


def test_file_chips_carry_a_type_icon_and_the_size(cast: Cast) -> None:
    do_post_message(
        case=cast.case_a,
        body="files",
        author_user=cast.bob,
        files=[
            SimpleUploadedFile("brief.pdf", b"%PDF-1.4\n" + b"0" * 2039, content_type="application/pdf"),
            SimpleUploadedFile("<odd> & 'q'.bin", b"\x00\x01" * 700_000),
        ],
    )
    page = cast.login(cast.carol_user).get(f"/my-cases/{cast.case_a.pk}/messages").content.decode()
    assert (
        '<li class="msg-file file-chip file-chip--pdf">\n<a class="file-thumb" href="/cases/documents/'
        in page
    )
    assert 'alt="First page of brief.pdf"' in page
    assert '<span class="file-icon" aria-hidden="true">PDF</span>' in page
    assert '<span class="msg-file-meta">2.0\xa0KB</span>' in page
    assert '<li class="msg-file file-chip file-chip--other">' in page
    assert (
        "&lt;odd&gt; &amp; &#x27;q&#x27;.bin</a>" in page
        and '<span class="msg-file-meta">1.3\xa0MB</span>' in page
    )


@pytest.mark.parametrize(
    ("content_type", "family"),
    [
        ("image/png", "image"),
        ("application/pdf", "pdf"),
        ("video/mp4", "video"),
        ("audio/mpeg", "audio"),
        ("application/zip", "archive"),
        ("text/csv", "sheet"),
        ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "sheet"),
        ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "doc"),
        ("text/plain", "text"),
        ("application/octet-stream", "other"),
        ("image/svg+xml", "other"),  # never previewed inline, so no image icon either
    ],
)
def test_file_family_names_the_icon(content_type: str, family: str) -> None:
    assert file_family(content_type) == family
    assert family in FILE_ICON_LABELS
