"""Fresh, migrated throwaway databases for multi-process runs (chaos harness, dead-worker tests).

``scratch_database()`` yields an environment (``os.environ`` plus ``SQLITE_PATH`` or
``DATABASE_URL``) for subprocesses: a temporary SQLite file, or a temporary database
``chaos_<pid>_<n>`` on the configured PostgreSQL server, dropped afterwards.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse, urlunparse

_counter = itertools.count(1)
REPO_ROOT = Path(__file__).resolve().parents[2]


def casedesk_command(*args: str) -> list[str]:
    """``casedesk <args>`` run with this interpreter (works from a checkout or an install)."""
    return [sys.executable, "-m", "casedesk.cli", *args]


def _with_path(url: str, database: str) -> str:
    parts = urlparse(url)
    return urlunparse(parts._replace(path=f"/{database}"))


def _pg_admin(url: str, sql: str) -> None:
    import psycopg

    admin_url = _with_path(url, "postgres").replace("postgresql://", "postgres://", 1)
    with psycopg.connect(admin_url.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


@contextmanager
def scratch_database(database_url: str | None = None, *, migrate: bool = True) -> Iterator[dict[str, str]]:
    """A fresh migrated database; yields the environment that points subprocesses at it.

    ``database_url`` (or ``DATABASE_URL``) naming PostgreSQL creates a temporary database on that
    server; otherwise a temporary SQLite file is used.
    """
    url = database_url if database_url is not None else os.environ.get("DATABASE_URL", "")
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "casedesk.settings")
    env.pop("CASEDESK_TEST_DB_NAME", None)
    existing = env.get("PYTHONPATH", "")
    env["PYTHONPATH"] = f"{REPO_ROOT}{os.pathsep}{existing}" if existing else str(REPO_ROOT)
    if url.startswith(("postgres://", "postgresql://")):
        name = f"chaos_{os.getpid()}_{next(_counter)}"
        _pg_admin(url, f'DROP DATABASE IF EXISTS "{name}"')
        _pg_admin(url, f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = _with_path(url, name)
        try:
            if migrate:
                subprocess.run(
                    casedesk_command("migrate", "-v0", "--skip-checks"), env=env, check=True, cwd=REPO_ROOT
                )
            yield env
        finally:
            _pg_admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        return
    with tempfile.TemporaryDirectory(prefix="casedesk-scratch-") as folder:
        env.pop("DATABASE_URL", None)
        env["SQLITE_PATH"] = str(Path(folder) / "scratch.sqlite3")
        env["CASEDESK_DATA_DIR"] = folder
        if migrate:
            subprocess.run(
                casedesk_command("migrate", "-v0", "--skip-checks"), env=env, check=True, cwd=REPO_ROOT
            )
        yield env
