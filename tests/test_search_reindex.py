"""``casedesk reindex``: indexes messages that predate the index, and can run again safely."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connection

from casedesk.accounts.access import viewer_for_user
from casedesk.cases.actions import do_post_message
from casedesk.search.query import parse_query
from casedesk.search.service import search
from tests.conftest import Cast


def _forget_index() -> None:
    """Make the index lose a message, as if it had been written before search existed."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("UPDATE cases_message SET search_vector = NULL")
        else:
            cursor.execute("INSERT INTO search_message_fts(search_message_fts) VALUES ('delete-all')")


def test_reindex_indexes_old_messages_and_is_idempotent(cast: Cast) -> None:
    message = do_post_message(case=cast.case_a, body="Legacy kickoff notes", author_user=cast.alice)
    alice = viewer_for_user(cast.alice)
    _forget_index()
    assert search(alice, parse_query("kickoff")).total == 0
    for _ in range(2):
        out = io.StringIO()
        call_command("reindex", "--no-progress", stdout=out, stderr=io.StringIO())
        assert "Indexed 1 message" in out.getvalue()
        results = search(alice, parse_query("kickoff"))
        assert results.total == 1 and results.groups[0].hits[0].pk == message.pk


def test_reindex_one_agency(cast: Cast) -> None:
    do_post_message(case=cast.case_a, body="alpha", author_user=cast.alice)
    do_post_message(case=cast.case_b, body="alpha", author_user=cast.dave)
    out = io.StringIO()
    call_command(
        "reindex", "--agency", str(cast.agency_b.pk), "--no-progress", stdout=out, stderr=io.StringIO()
    )
    assert "Indexed 1 message" in out.getvalue()
    assert search(viewer_for_user(cast.dave), parse_query("alpha")).total == 1


def test_sqlite_triggers_come_back_after_migrate(cast: Cast) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite drops triggers when it rebuilds a table; PostgreSQL does not")
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER search_message_fts_insert")
    from casedesk.search.engines import ensure_index_triggers

    ensure_index_triggers()
    message = do_post_message(case=cast.case_a, body="resurrected trigger", author_user=cast.alice)
    assert search(viewer_for_user(cast.alice), parse_query("resurrected")).groups[0].hits[0].pk == message.pk
