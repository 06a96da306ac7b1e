"""The database objects behind search, one set per database vendor.

PostgreSQL: a ``tsvector`` column on ``cases_message`` that a ``BEFORE INSERT OR UPDATE`` trigger
fills with ``to_tsvector(<the agency's configuration>, body)`` (the database keeps it current,
whoever writes the row), a GIN index on it, and ``pg_trgm`` GIN indexes for partial matches of
file names, case titles and client and contact names. A generated column cannot read the
agency's language from another table, hence the trigger.

SQLite: an FTS5 external-content table over ``cases_message.body`` with the three triggers the
FTS5 documentation gives for keeping it in step (insert, delete, update).

The migration applies these; ``ensure_index_triggers`` re-creates the SQLite triggers after a
migrate (see ``apps.py``) and ``casedesk reindex`` rebuilds the index from the rows.
"""

from __future__ import annotations

POSTGRES_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "ALTER TABLE cases_message ADD COLUMN IF NOT EXISTS search_vector tsvector",
    """
    CREATE OR REPLACE FUNCTION search_message_vector() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      NEW.search_vector := to_tsvector(
        COALESCE(
          (SELECT l.config::regconfig FROM search_agencysearchlanguage l
             JOIN cases_case c ON c.agency_id = l.agency_id WHERE c.id = NEW.case_id),
          'simple'::regconfig),
        COALESCE(NEW.body, ''));
      RETURN NEW;
    END
    $$
    """,
    "DROP TRIGGER IF EXISTS search_message_vector ON cases_message",
    """
    CREATE TRIGGER search_message_vector BEFORE INSERT OR UPDATE OF body, case_id ON cases_message
    FOR EACH ROW EXECUTE FUNCTION search_message_vector()
    """,
    "CREATE INDEX IF NOT EXISTS search_message_vector_gin ON cases_message USING gin (search_vector)",
    # Django's icontains on PostgreSQL is ``UPPER(col::text) LIKE UPPER(%s)``: index that expression.
    "CREATE INDEX IF NOT EXISTS search_document_name_trgm ON cases_document "
    "USING gin (UPPER(name::text) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS search_case_title_trgm ON cases_case "
    "USING gin (UPPER(title::text) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS search_client_name_trgm ON accounts_client "
    "USING gin (UPPER(name::text) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS search_contact_name_trgm ON accounts_contact "
    "USING gin (UPPER(name::text) gin_trgm_ops)",
]

POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS search_contact_name_trgm",
    "DROP INDEX IF EXISTS search_client_name_trgm",
    "DROP INDEX IF EXISTS search_case_title_trgm",
    "DROP INDEX IF EXISTS search_document_name_trgm",
    "DROP INDEX IF EXISTS search_message_vector_gin",
    "DROP TRIGGER IF EXISTS search_message_vector ON cases_message",
    "DROP FUNCTION IF EXISTS search_message_vector()",
    "ALTER TABLE cases_message DROP COLUMN IF EXISTS search_vector",
]

# Fill the column for rows that existed before the trigger (fires the trigger: same rule).
POSTGRES_FILL = "UPDATE cases_message SET body = body WHERE search_vector IS NULL"

SQLITE_TABLE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_message_fts USING fts5("
    "body, content='cases_message', content_rowid='id', tokenize='unicode61 remove_diacritics 2')"
)
SQLITE_TRIGGERS = [
    """
    CREATE TRIGGER IF NOT EXISTS search_message_fts_insert AFTER INSERT ON cases_message BEGIN
      INSERT INTO search_message_fts(rowid, body) VALUES (new.id, new.body);
    END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS search_message_fts_delete AFTER DELETE ON cases_message BEGIN
      INSERT INTO search_message_fts(search_message_fts, rowid, body) VALUES ('delete', old.id, old.body);
    END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS search_message_fts_update AFTER UPDATE OF body ON cases_message BEGIN
      INSERT INTO search_message_fts(search_message_fts, rowid, body) VALUES ('delete', old.id, old.body);
      INSERT INTO search_message_fts(rowid, body) VALUES (new.id, new.body);
    END
    """,
]
SQLITE_REBUILD = "INSERT INTO search_message_fts(search_message_fts) VALUES ('rebuild')"
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS search_message_fts_update",
    "DROP TRIGGER IF EXISTS search_message_fts_delete",
    "DROP TRIGGER IF EXISTS search_message_fts_insert",
    "DROP TABLE IF EXISTS search_message_fts",
]


def forward_statements(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [*POSTGRES_FORWARD, POSTGRES_FILL]
    if vendor == "sqlite":
        return [SQLITE_TABLE, *SQLITE_TRIGGERS, SQLITE_REBUILD]
    return []


def backward_statements(vendor: str) -> list[str]:
    return {"postgresql": POSTGRES_BACKWARD, "sqlite": SQLITE_BACKWARD}.get(vendor, [])


# --- the text inside files (migration 0002) ---------------------------------------------------

POSTGRES_DOCUMENT_TEXT_FORWARD = [
    "ALTER TABLE search_documenttext ADD COLUMN IF NOT EXISTS search_vector tsvector",
    """
    CREATE OR REPLACE FUNCTION search_documenttext_vector() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      NEW.search_vector := to_tsvector(
        COALESCE(
          (SELECT l.config::regconfig FROM search_agencysearchlanguage l
             JOIN cases_case c ON c.agency_id = l.agency_id
             JOIN cases_document d ON d.case_id = c.id WHERE d.id = NEW.document_id),
          'simple'::regconfig),
        COALESCE(NEW.text, ''));
      RETURN NEW;
    END
    $$
    """,
    "DROP TRIGGER IF EXISTS search_documenttext_vector ON search_documenttext",
    """
    CREATE TRIGGER search_documenttext_vector BEFORE INSERT OR UPDATE OF text ON search_documenttext
    FOR EACH ROW EXECUTE FUNCTION search_documenttext_vector()
    """,
    "CREATE INDEX IF NOT EXISTS search_documenttext_vector_gin ON search_documenttext "
    "USING gin (search_vector)",
]
POSTGRES_DOCUMENT_TEXT_BACKWARD = [
    "DROP INDEX IF EXISTS search_documenttext_vector_gin",
    "DROP TRIGGER IF EXISTS search_documenttext_vector ON search_documenttext",
    "DROP FUNCTION IF EXISTS search_documenttext_vector()",
]
SQLITE_DOCUMENT_TEXT_TABLE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_documenttext_fts USING fts5("
    "text, content='search_documenttext', content_rowid='document_id', "
    "tokenize='unicode61 remove_diacritics 2')"
)
SQLITE_DOCUMENT_TEXT_TRIGGERS = [
    """
    CREATE TRIGGER IF NOT EXISTS search_documenttext_fts_insert AFTER INSERT ON search_documenttext BEGIN
      INSERT INTO search_documenttext_fts(rowid, text) VALUES (new.document_id, new.text);
    END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS search_documenttext_fts_delete AFTER DELETE ON search_documenttext BEGIN
      INSERT INTO search_documenttext_fts(search_documenttext_fts, rowid, text)
        VALUES ('delete', old.document_id, old.text);
    END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS search_documenttext_fts_update
    AFTER UPDATE OF text ON search_documenttext BEGIN
      INSERT INTO search_documenttext_fts(search_documenttext_fts, rowid, text)
        VALUES ('delete', old.document_id, old.text);
      INSERT INTO search_documenttext_fts(rowid, text) VALUES (new.document_id, new.text);
    END
    """,
]
SQLITE_DOCUMENT_TEXT_BACKWARD = [
    "DROP TRIGGER IF EXISTS search_documenttext_fts_update",
    "DROP TRIGGER IF EXISTS search_documenttext_fts_delete",
    "DROP TRIGGER IF EXISTS search_documenttext_fts_insert",
    "DROP TABLE IF EXISTS search_documenttext_fts",
]


def document_text_forward(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return POSTGRES_DOCUMENT_TEXT_FORWARD
    if vendor == "sqlite":
        return [SQLITE_DOCUMENT_TEXT_TABLE, *SQLITE_DOCUMENT_TEXT_TRIGGERS]
    return []


def document_text_backward(vendor: str) -> list[str]:
    return {"postgresql": POSTGRES_DOCUMENT_TEXT_BACKWARD, "sqlite": SQLITE_DOCUMENT_TEXT_BACKWARD}.get(
        vendor, []
    )
