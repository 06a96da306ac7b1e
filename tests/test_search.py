"""Search (casedesk/search): the same tests on SQLite (FTS5) and PostgreSQL (tsvector + GIN).

Run on PostgreSQL with: ``scripts/with-postgres.sh .venv/bin/pytest tests/test_search.py``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.http import Http404
from django.utils import timezone

from casedesk.accounts.access import MagicGrant, Viewer, viewer_for_user
from casedesk.accounts.models import MagicLink
from casedesk.cases.access import (
    access_case,
    searchable_documents,
    searchable_messages,
    visible_documents,
    visible_messages,
)
from casedesk.cases.actions import do_delete_message, do_edit_message, do_post_message, do_upload_document
from casedesk.cases.models import Message
from casedesk.search.query import SearchQueryError, parse_query
from casedesk.search.service import SearchFilters, SearchResults, search
from tests.conftest import Cast


def hits(results: SearchResults) -> list[tuple[str, int]]:
    return [(h.kind, h.pk) for g in results.groups for h in g.hits]


def find(viewer: Viewer, q: str, **kwargs: object) -> list[tuple[str, int]]:
    return hits(search(viewer, parse_query(q), **kwargs))  # type: ignore[arg-type]


def magic_viewer(cast: Cast) -> Viewer:
    link, _ = MagicLink.issue(cast.erin, cast.case_a)
    return Viewer(
        magic_grants=(MagicGrant(link_id=link.pk, contact_id=cast.erin.pk, case_id=cast.case_a.pk),)
    )


@pytest.fixture
def posted(cast: Cast) -> dict[str, Message]:
    return {
        "approval": do_post_message(
            case=cast.case_a, body="The client approved version three of the logo.", author_user=cast.alice
        ),
        "note": do_post_message(
            case=cast.case_a,
            body="Internal: the logo budget is nearly spent.",
            author_user=cast.bob,
            internal_only=True,
        ),
        "reply": do_post_message(
            case=cast.case_a,
            body="Looks great, approved from our side.",
            author_user=cast.carol_user,
            author_contact=cast.carol,
        ),
        "other_client": do_post_message(
            case=cast.case_a2, body="Our logo should be approved by Friday.", author_user=cast.alice
        ),
        "other_agency": do_post_message(
            case=cast.case_b, body="Umbrella logo approved at last.", author_user=cast.dave
        ),
    }


def test_index_follows_posts_edits_and_deletes(cast: Cast, posted: dict[str, Message]) -> None:
    alice = viewer_for_user(cast.alice)
    assert find(alice, "budget") == [("message", posted["note"].pk)]
    do_edit_message(message=posted["note"], editor=cast.bob, body="Internal: money is tight.")
    assert find(alice, "budget") == []
    assert find(alice, "money") == [("message", posted["note"].pk)]
    do_delete_message(message=posted["note"], actor=cast.bob)
    assert find(alice, "money") == []


def test_team_finds_internal_notes_of_their_agency_only(cast: Cast, posted: dict[str, Message]) -> None:
    found = find(viewer_for_user(cast.bob), "logo")
    assert ("message", posted["note"].pk) in found
    assert ("message", posted["other_agency"].pk) not in found
    assert set(found) == {("message", posted[k].pk) for k in ("approval", "note", "other_client")}


def test_client_never_finds_internal_note_or_other_clients_case(
    cast: Cast, posted: dict[str, Message]
) -> None:
    carol = viewer_for_user(cast.carol_user)
    assert find(carol, "budget", as_client=True) == []
    assert set(find(carol, "logo", as_client=True)) == {("message", posted["approval"].pk)}
    assert set(find(carol, "approved")) == {
        ("message", posted["approval"].pk),
        ("message", posted["reply"].pk),
    }
    frank = viewer_for_user(cast.frank_user)
    assert find(frank, "logo", as_client=True) == [("message", posted["other_client"].pk)]


def test_client_counts_exclude_what_they_cannot_see(cast: Cast, posted: dict[str, Message]) -> None:
    results = search(viewer_for_user(cast.carol_user), parse_query("logo or budget"), as_client=True)
    assert results.total == 1
    assert "budget" not in str([h.snippet for g in results.groups for h in g.hits])


def test_magic_link_visitor_searches_their_one_case(cast: Cast, posted: dict[str, Message]) -> None:
    erin = magic_viewer(cast)
    assert set(find(erin, "logo", as_client=True)) == {("message", posted["approval"].pk)}
    assert find(erin, "friday", as_client=True) == []
    assert find(erin, "budget", as_client=True) == []


def test_outsider_finds_only_their_agency(cast: Cast, posted: dict[str, Message]) -> None:
    assert find(viewer_for_user(cast.dave), "logo") == [("message", posted["other_agency"].pk)]
    assert find(viewer_for_user(cast.pat), "logo") == []


def test_searchable_querysets_agree_with_visible_per_case(cast: Cast, posted: dict[str, Message]) -> None:
    """The cross-case helpers are visible_messages/visible_documents, case by case."""
    do_upload_document(
        case=cast.case_a,
        upload=SimpleUploadedFile("secret.txt", b"x"),
        uploaded_by_user=cast.alice,
        internal_only=True,
    )
    viewers = [
        viewer_for_user(u) for u in (cast.alice, cast.carol_user, cast.frank_user, cast.dave, cast.pat)
    ]
    viewers.append(magic_viewer(cast))
    for viewer in viewers:
        all_messages = set(searchable_messages(viewer).values_list("pk", flat=True))
        all_documents = set(searchable_documents(viewer).values_list("pk", flat=True))
        expected_messages: set[int] = set()
        expected_documents: set[int] = set()
        for case in (cast.case_a, cast.case_a2, cast.case_b):
            try:
                case = access_case(viewer, case.pk)
            except Http404:
                continue  # a case they may not open contributes nothing
            expected_messages |= set(visible_messages(viewer, case).values_list("pk", flat=True))
            expected_documents |= set(visible_documents(viewer, case).values_list("pk", flat=True))
        assert all_messages == expected_messages
        assert all_documents == expected_documents


def test_websearch_syntax_phrase_exclusion_and_or(cast: Cast, posted: dict[str, Message]) -> None:
    alice = viewer_for_user(cast.alice)
    assert find(alice, '"version three"') == [("message", posted["approval"].pk)]
    assert find(alice, '"three version"') == []
    assert set(find(alice, "approved -logo")) == {("message", posted["reply"].pk)}
    assert set(find(alice, "budget or friday")) == {
        ("message", posted["note"].pk),
        ("message", posted["other_client"].pk),
    }
    assert find(alice, "LOGO BUDGET") == [("message", posted["note"].pk)]


def test_file_names_match_partial_words_and_respect_visibility(cast: Cast) -> None:
    public = do_post_message(
        case=cast.case_a,
        body="Attached",
        author_user=cast.alice,
        files=[SimpleUploadedFile("Invoice-2026-v3.pdf", b"%PDF-1.4 x")],
    )
    internal = do_upload_document(
        case=cast.case_a,
        upload=SimpleUploadedFile("invoice-draft.txt", b"x"),
        uploaded_by_user=cast.alice,
        internal_only=True,
    )
    public_doc = public.documents.get()
    alice = viewer_for_user(cast.alice)
    assert set(find(alice, "invoi")) == {("document", public_doc.pk), ("document", internal.pk)}
    assert find(alice, "v3.pdf") == [("document", public_doc.pk)]
    carol = viewer_for_user(cast.carol_user)
    assert find(carol, "invoice", as_client=True) == [("document", public_doc.pk)]
    assert find(viewer_for_user(cast.dave), "invoice") == []


def test_case_titles_clients_and_contacts(cast: Cast) -> None:
    alice = viewer_for_user(cast.alice)
    by_title = search(alice, parse_query("campa"), agency_id=cast.agency_a.pk)
    assert [c.pk for c in by_title.matching_cases] == [cast.case_a.pk]
    by_contact = search(alice, parse_query("nologin"), agency_id=cast.agency_a.pk)
    assert [c.pk for c in by_contact.matching_cases] == [cast.case_a.pk]
    by_client = search(alice, parse_query("initech"), agency_id=cast.agency_a.pk)
    assert [c.pk for c in by_client.matching_cases] == [cast.case_a2.pk]
    assert search(viewer_for_user(cast.dave), parse_query("campaign")).matching_cases == []
    carol = viewer_for_user(cast.carol_user)
    assert search(carol, parse_query("rebrand"), as_client=True).matching_cases == []
    assert [c.pk for c in search(carol, parse_query("spring"), as_client=True).matching_cases] == [
        cast.case_a.pk
    ]


def test_filters(cast: Cast, posted: dict[str, Message]) -> None:
    alice = viewer_for_user(cast.alice)
    scope = {"agency_id": cast.agency_a.pk}
    assert set(find(alice, "logo", filters=SearchFilters(visibility="internal"), **scope)) == {
        ("message", posted["note"].pk)
    }
    client_visible = set(find(alice, "logo", filters=SearchFilters(visibility="client"), **scope))
    assert ("message", posted["note"].pk) not in client_visible
    assert set(find(alice, "logo", filters=SearchFilters(case_id=cast.case_a2.pk), **scope)) == {
        ("message", posted["other_client"].pk)
    }
    assert set(find(alice, "logo", filters=SearchFilters(client_id=cast.initech.pk), **scope)) == {
        ("message", posted["other_client"].pk)
    }
    assert set(find(alice, "approved", filters=SearchFilters(author_contact_id=cast.carol.pk), **scope)) == {
        ("message", posted["reply"].pk)
    }
    assert set(find(alice, "logo", filters=SearchFilters(author_user_id=cast.bob.pk), **scope)) == {
        ("message", posted["note"].pk)
    }
    Message.objects.filter(pk=posted["approval"].pk).update(created_at=timezone.now() - dt.timedelta(days=30))
    today = timezone.localdate()
    recent = set(find(alice, "logo", filters=SearchFilters(date_from=today - dt.timedelta(days=1)), **scope))
    assert ("message", posted["approval"].pk) not in recent
    old = set(find(alice, "logo", filters=SearchFilters(date_to=today - dt.timedelta(days=2)), **scope))
    assert old == {("message", posted["approval"].pk)}
    with_file = do_post_message(
        case=cast.case_a,
        body="Logo files attached",
        author_user=cast.alice,
        files=[SimpleUploadedFile("mark.pdf", b"%PDF-1.4 x")],
    )
    assert find(alice, "logo", filters=SearchFilters(has_file=True), **scope) == [("message", with_file.pk)]


def test_ordering_newest_first_or_by_relevance_and_paging(cast: Cast) -> None:
    posted = [
        do_post_message(case=cast.case_a, body=f"report number {i}", author_user=cast.alice)
        for i in range(45)
    ]
    strong = do_post_message(
        case=cast.case_a2, body="report report report: the report of reports", author_user=cast.alice
    )
    Message.objects.filter(pk=strong.pk).update(created_at=timezone.now() - dt.timedelta(days=400))
    alice = viewer_for_user(cast.alice)
    first = search(alice, parse_query("report"), page=1)
    assert first.total == 46 and first.pages == 3 and first.has_next
    seen = [pk for _, pk in hits(first)]
    assert seen == [m.pk for m in reversed(posted)][:20]
    last = search(alice, parse_query("report"), page=3)
    assert [pk for _, pk in hits(last)] == [
        posted[4].pk,
        posted[3].pk,
        posted[2].pk,
        posted[1].pk,
        posted[0].pk,
        strong.pk,
    ]
    assert not last.has_next
    assert search(alice, parse_query("report"), page=9).groups == []
    relevant = search(alice, parse_query("report"), filters=SearchFilters(order="relevance"))
    assert hits(relevant)[0] == ("message", strong.pk)


def test_results_grouped_by_case(cast: Cast, posted: dict[str, Message]) -> None:
    results = search(viewer_for_user(cast.alice), parse_query("logo"))
    assert [g.case.pk for g in results.groups] == [cast.case_a2.pk, cast.case_a.pk]
    assert len(results.groups[1].hits) == 2


def test_snippet_highlights_words_and_escapes_text(cast: Cast) -> None:
    do_post_message(
        case=cast.case_a,
        body="<script>alert(1)</script> the proposal is <b>approved</b>",
        author_user=cast.alice,
    )
    results = search(viewer_for_user(cast.alice), parse_query("proposal"))
    html = str(results.groups[0].hits[0].snippet)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<mark>proposal</mark>" in html
    assert "&lt;b&gt;approved&lt;/b&gt;" in html


def test_snippet_shows_the_text_as_read_not_the_markdown_source(cast: Cast) -> None:
    do_post_message(
        case=cast.case_a, body="Photos are in folder *Autumn*, see **v3**.", author_user=cast.alice
    )
    results = search(viewer_for_user(cast.alice), parse_query("autumn"))
    html = str(results.groups[0].hits[0].snippet)
    assert "folder <mark>Autumn</mark>, see v3." in html
    assert "*" not in html


@pytest.mark.parametrize(
    ("raw", "sentence"),
    [
        ("", "Type a word to search for."),
        ("   ", "Type a word to search for."),
        ("x" * 10_000, "10,000 characters long"),
        ('"unclosed phrase', "quotation mark is not closed"),
        ("-logo", "cannot consist only of words to leave out"),
        ("or logo", "“or” goes between two words"),
        ("logo or", "“or” goes between two words"),
        ("!!! ???", "no letters or digits"),
    ],
)
def test_bad_queries_get_a_sentence(raw: str, sentence: str) -> None:
    with pytest.raises(SearchQueryError) as error:
        parse_query(raw)
    assert sentence in str(error.value)
    assert str(error.value).endswith(".")


@pytest.mark.parametrize(
    "raw",
    [
        "NEAR(a b)",
        "a AND b",
        "a* ^b",
        "col:value",
        "a'b",
        "'",
        "()",
        "*",
        '"a" "b"',
        "Ünïcödé façade",
        "a -b or c",
    ],
)
def test_odd_but_valid_queries_run_on_the_engine(cast: Cast, raw: str) -> None:
    do_post_message(case=cast.case_a, body="Ünicode façade a b c value", author_user=cast.alice)
    try:
        parsed = parse_query(raw)
    except SearchQueryError:
        return
    search(viewer_for_user(cast.alice), parsed)  # must not raise a database error


@pytest.mark.postgres_only
def test_agency_language_stems_on_postgres(cast: Cast, run_tasks: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("text-search configurations are PostgreSQL's")
    from casedesk.search.actions import do_set_search_language

    message = do_post_message(case=cast.case_a, body="We are approving the designs", author_user=cast.alice)
    alice = viewer_for_user(cast.alice)
    assert find(alice, "approve") == []  # "simple": no stemming
    do_set_search_language(agency=cast.agency_a, config="english")
    run_tasks()  # the re-index of existing messages is a job
    assert find(alice, "approve") == [("message", message.pk)]
    assert find(alice, "design") == [("message", message.pk)]
    # Another agency keeps "simple".
    other = do_post_message(case=cast.case_b, body="approving budgets", author_user=cast.dave)
    assert find(viewer_for_user(cast.dave), "approve") == []
    assert find(viewer_for_user(cast.dave), "approving") == [("message", other.pk)]
