"""The two search engines behind one small interface.

``engine()`` picks the one for the database in use. Each takes a queryset that already went
through ``casedesk.cases.access`` (so visibility is decided before search narrows anything) and
returns it filtered to the matches, annotated with ``search_rank`` (higher is better).

- ``PostgresEngine``: the trigger-maintained ``cases_message.search_vector`` with
  ``websearch_to_tsquery`` in each of the languages in play, ranked with ``ts_rank``.
- ``SqliteEngine``: the FTS5 table ``search_message_fts``, ranked with FTS5's bm25 ``rank``.

Names (file names, case titles, clients, contacts) are matched as substrings on both; on
PostgreSQL ``pg_trgm`` indexes serve those ``icontains`` lookups (``schema.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from django.db import connections
from django.db.models import BooleanField, FloatField, Q, QuerySet
from django.db.models.expressions import RawSQL

from casedesk.cases.models import Case, Message
from casedesk.search import schema
from casedesk.search.query import ParsedQuery


class SearchEngine(Protocol):
    vendor: str

    def match_messages(
        self, messages: QuerySet[Message], query: ParsedQuery, languages: Sequence[str]
    ) -> QuerySet[Message]:
        """``messages`` whose body matches ``query``, annotated with ``search_rank``."""
        ...

    def document_text_condition(self, query: ParsedQuery, languages: Sequence[str]) -> RawSQL:
        """A condition on ``cases_document``: the text extracted from the file matches ``query``."""
        ...

    def in_agency(self, rows: QuerySet[Any], table: str, agency_id: int) -> QuerySet[Any]:
        """``rows`` (of ``table``, with a ``case_id``) narrowed to one agency's cases."""
        ...


def name_condition(field: str, query: ParsedQuery) -> Q:
    """``field`` contains the query's words (partial words too), with the same and/or/-word rules."""
    condition = Q(pk__in=[])
    for group in query.groups:
        group_condition = Q()
        for term in group:
            contains = Q(**{f"{field}__icontains": term.typed or term.text})
            group_condition &= ~contains if term.excluded else contains
        condition |= group_condition
    return condition


class PostgresEngine:
    vendor = "postgresql"

    def in_agency(self, rows: QuerySet[Any], table: str, agency_id: int) -> QuerySet[Any]:
        # ``= ANY(ARRAY(subquery))`` is computed once (an InitPlan) and ANDed with one probe of the
        # search index. Written as a join or ``IN (subquery)``, the planner repeats the probe once
        # per case (a nested loop), ten times the work for a three-word phrase (docs/benchmark.md).
        assert table in ("cases_message", "cases_document")
        sql = f"{table}.case_id = ANY(ARRAY(SELECT id FROM cases_case WHERE agency_id = %s))"  # noqa: S608
        return rows.filter(RawSQL(sql, [agency_id], output_field=BooleanField()))  # noqa: S611

    def match_messages(
        self, messages: QuerySet[Message], query: ParsedQuery, languages: Sequence[str]
    ) -> QuerySet[Message]:
        text = query.websearch_text()
        tsqueries = ["websearch_to_tsquery(%s::regconfig, %s)"] * len(languages)
        params: list[str] = []
        for language in languages:
            params += [language, text]
        # One @@ per language, OR-ed: each is a constant tsquery the GIN index can answer.
        matches = " OR ".join(f"cases_message.search_vector @@ {q}" for q in tsqueries)
        rank = f"ts_rank(cases_message.search_vector, {' || '.join(tsqueries)})"
        # The SQL is built from constants only; what the person typed travels in ``params``.
        condition = RawSQL(f"({matches})", params, output_field=BooleanField())  # noqa: S611
        ranking = RawSQL(rank, params, output_field=FloatField())  # noqa: S611
        return messages.filter(condition).annotate(search_rank=ranking)

    def document_text_condition(self, query: ParsedQuery, languages: Sequence[str]) -> RawSQL:
        text = query.websearch_text()
        params: list[str] = []
        for language in languages:
            params += [language, text]
        matches = " OR ".join(
            ["search_documenttext.search_vector @@ websearch_to_tsquery(%s::regconfig, %s)"] * len(languages)
        )
        sql = f"cases_document.id IN (SELECT document_id FROM search_documenttext WHERE {matches})"  # noqa: S608
        return RawSQL(sql, params, output_field=BooleanField())  # noqa: S611 - constant SQL


class SqliteEngine:
    vendor = "sqlite"

    def in_agency(self, rows: QuerySet[Any], table: str, agency_id: int) -> QuerySet[Any]:
        return rows.filter(case_id__in=Case.objects.filter(agency_id=agency_id).values("pk"))

    def match_messages(
        self, messages: QuerySet[Message], query: ParsedQuery, languages: Sequence[str]
    ) -> QuerySet[Message]:
        text = query.fts5_text()
        matches = (
            "cases_message.id IN (SELECT rowid FROM search_message_fts WHERE search_message_fts MATCH %s)"
        )
        # FTS5's rank is bm25, lower is better: negate it so that higher is better on both engines.
        rank = (
            "(SELECT -rank FROM search_message_fts "
            "WHERE search_message_fts MATCH %s AND rowid = cases_message.id)"
        )
        condition = RawSQL(matches, [text], output_field=BooleanField())  # noqa: S611 - constant SQL
        ranking = RawSQL(rank, [text], output_field=FloatField())  # noqa: S611 - constant SQL
        return messages.filter(condition).annotate(search_rank=ranking)

    def document_text_condition(self, query: ParsedQuery, languages: Sequence[str]) -> RawSQL:
        sql = (
            "cases_document.id IN (SELECT rowid FROM search_documenttext_fts "
            "WHERE search_documenttext_fts MATCH %s)"
        )
        return RawSQL(sql, [query.fts5_text()], output_field=BooleanField())  # noqa: S611 - constant SQL


def engine(using: str = "default") -> SearchEngine:
    vendor = connections[using].vendor
    if vendor == "postgresql":
        return PostgresEngine()
    if vendor == "sqlite":
        return SqliteEngine()
    raise NotImplementedError(f"Search supports PostgreSQL and SQLite, not {vendor}.")


def ensure_index_triggers(using: str = "default") -> None:
    """Re-create the SQLite FTS5 table and triggers if a table rebuild dropped them (idempotent)."""
    conn = connections[using]
    if conn.vendor != "sqlite":
        return
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'cases_message'")
        if cursor.fetchone() is None:
            return
        cursor.execute(schema.SQLITE_TABLE)
        for statement in schema.SQLITE_TRIGGERS:
            cursor.execute(statement)
        cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'search_documenttext'")
        if cursor.fetchone() is not None:
            cursor.execute(schema.SQLITE_DOCUMENT_TEXT_TABLE)
            for statement in schema.SQLITE_DOCUMENT_TEXT_TRIGGERS:
                cursor.execute(statement)


def rebuild_index(using: str = "default") -> None:
    """SQLite: rebuild the FTS5 table from ``cases_message`` in one statement."""
    conn = connections[using]
    if conn.vendor == "sqlite":
        ensure_index_triggers(using)
        with conn.cursor() as cursor:
            cursor.execute(schema.SQLITE_REBUILD)
            cursor.execute("INSERT INTO search_documenttext_fts(search_documenttext_fts) VALUES ('rebuild')")


__all__ = ["PostgresEngine", "SearchEngine", "SqliteEngine", "engine", "name_condition"]
