"""The search pages: team (one agency, internal notes marked), portal (own cases), bad input, query count."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from casedesk.cases.actions import do_post_message
from tests.conftest import Cast


@pytest.fixture
def thread(cast: Cast) -> dict[str, int]:
    public = do_post_message(
        case=cast.case_a, body="The client approved the v3 banner.", author_user=cast.alice
    )
    note = do_post_message(
        case=cast.case_a,
        body="Banner budget is tight, keep it quiet.",
        author_user=cast.bob,
        internal_only=True,
    )
    return {"public": public.pk, "note": note.pk}


def test_team_page_shows_hits_grouped_with_marks_and_links(cast: Cast, thread: dict[str, int]) -> None:
    page = cast.login(cast.alice).get("/search/", {"q": "banner"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "<mark>banner</mark>" in html.lower()
    assert f"/cases/{cast.case_a.pk}/messages/?before={thread['note'] + 1}#m{thread['note']}" in html
    assert "search-hit-internal" in html and "Internal</span>" in html
    assert html.count('class="card search-group"') == 1
    assert "2 messages or files for" in html


def test_hit_link_opens_the_thread_at_that_message(cast: Cast, thread: dict[str, int]) -> None:
    for i in range(60):
        do_post_message(case=cast.case_a, body=f"filler {i}", author_user=cast.alice)
    http = cast.login(cast.alice)
    newest = http.get(f"/cases/{cast.case_a.pk}/messages/").content.decode()
    assert f'id="m{thread["public"]}"' not in newest  # older than the newest page
    opened = http.get(f"/cases/{cast.case_a.pk}/messages/?before={thread['public'] + 1}").content.decode()
    assert f'id="m{thread["public"]}"' in opened
    portal = cast.login(cast.carol_user).get(
        f"/my-cases/{cast.case_a.pk}/messages?before={thread['public'] + 1}"
    )
    assert f'id="m{thread["public"]}"' in portal.content.decode()


def test_search_box_in_header_with_static_shortcut_script(cast: Cast) -> None:
    html = cast.login(cast.bob).get("/cases/").content.decode()
    assert 'action="/search/"' in html and "data-search-shortcut" in html
    assert "search/search.js" in html
    assert not re.search(r"<script>(?!\s*</script>)", html.split("search/search.js")[0][-400:])
    portal = cast.login(cast.carol_user).get("/my-cases/").content.decode()
    assert 'action="/search/my-cases/"' in portal


def test_portal_page_never_shows_internal_note(cast: Cast, thread: dict[str, int]) -> None:
    for http in (cast.login(cast.carol_user), cast.magic_client()):
        html = http.get("/search/my-cases/", {"q": "banner or budget"}).content.decode()
        assert "v3" in html
        assert "tight" not in html.lower() and "search-hit-internal" not in html
        assert f"#m{thread['note']}" not in html
        assert "1 message or file for" in html
        assert (
            f"/my-cases/{cast.case_a.pk}/messages?before={thread['public'] + 1}#m{thread['public']}" in html
        )


def test_clients_and_outsiders_get_404_on_team_search(cast: Cast, thread: dict[str, int]) -> None:
    assert cast.login(cast.carol_user).get("/search/", {"q": "banner"}).status_code == 404
    assert cast.magic_client().get("/search/", {"q": "banner"}).status_code == 404
    outsider = cast.login(cast.dave).get("/search/", {"q": "banner"})
    assert outsider.status_code == 200
    assert (
        "search-hit" not in outsider.content.decode()
        and "0 messages or files for" in outsider.content.decode()
    )
    wrong_agency = cast.login(cast.dave).get("/search/", {"q": "banner", "agency": str(cast.agency_a.pk)})
    assert wrong_agency.status_code == 404


@pytest.mark.parametrize(
    ("q", "sentence"),
    [
        ("x" * 10_000, "the limit is 500"),
        ('"open', "quotation mark is not closed"),
        ("-alone", "only of words to leave out"),
    ],
)
def test_bad_queries_get_a_sentence_on_both_pages(cast: Cast, q: str, sentence: str) -> None:
    for http, url in (
        (cast.login(cast.alice), "/search/"),
        (cast.login(cast.carol_user), "/search/my-cases/"),
    ):
        page = http.get(url, {"q": q})
        assert page.status_code == 400
        assert sentence in page.content.decode()


def test_bad_filters_get_a_sentence(cast: Cast) -> None:
    page = cast.login(cast.alice).get("/search/", {"q": "x", "date_from": "yesterday", "page": "0"})
    assert page.status_code == 400
    assert "Type the start date as YYYY-MM-DD." in page.content.decode()


def test_empty_box_shows_the_form_without_error(cast: Cast) -> None:
    page = cast.login(cast.alice).get("/search/")
    assert page.status_code == 200 and 'role="alert"' not in page.content.decode()


def test_team_results_page_query_count_is_constant(cast: Cast, django_assert_max_num_queries: object) -> None:
    http = cast.login(cast.alice)
    do_post_message(
        case=cast.case_a,
        body="quarterly report",
        author_user=cast.alice,
        files=[SimpleUploadedFile("quarterly.pdf", b"%PDF-1.4 x")],
    )
    http.get("/search/", {"q": "quarterly"})  # session, caches warmed
    with CaptureQueriesContext(connection) as small:
        http.get("/search/", {"q": "quarterly"})
    print("search page queries:", len(small.captured_queries))
    for i in range(25):
        case = cast.case_a if i % 2 else cast.case_a2
        do_post_message(
            case=case,
            body=f"quarterly report {i}",
            author_user=cast.bob if i % 3 else cast.alice,
            files=[SimpleUploadedFile(f"quarterly-{i}.pdf", b"%PDF-1.4 x")] if i % 5 == 0 else [],
        )
    with django_assert_max_num_queries(len(small.captured_queries)):  # type: ignore[operator]
        page = http.get("/search/", {"q": "quarterly"})
    assert page.status_code == 200
    assert "More results" in page.content.decode()
