"""In-process cost of posting a message and of sending its notification emails.

Not the benchmark (``make bench`` measures the running topology over HTTP); this isolates the
posting path the benchmark's scenario 1 exercises, so a change can be measured in a minute:

- N posts of a client-visible message through the API (``POST /api/cases/{id}/messages``) with
  Django's test client, signed in the way ``make bench`` signs in (session cookie + CSRF token;
  ``--auth token`` uses an API token instead), to cases with 2 client contacts (one with a portal
  login, one without), as ``bench.site`` seeds them;
- then every task those posts queued, through the worker's own claim → run → settle path
  (``casedesk.jobs.runner``), sending over real SMTP to ``bench.mailsink`` on loopback.

It prints CPU ms per post (this process, and the PostgreSQL backend serving it, read from
/proc), SQL queries per post and per message's email work, and CPU ms per message for the
email work. Usage::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/casedesk_profile_post \\
        .venv/bin/python -m bench.profile_post --posts 300 [--auth token] [--profile web|worker]

``--via asgi`` posts through ``casedesk.asgi.application`` in-process instead of the test client
(middleware and thread hops as under uvicorn); set ``DATABASE_POOL_MAX_SIZE=4`` for it, as
production does.

The database is created and migrated when missing (PostgreSQL only) and reused afterwards.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ensure_database(url: str) -> None:
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def _backend_cpu_ms() -> float:
    """CPU time used so far by the PostgreSQL backend of this thread's connection."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    return ticks * 1000.0 / os.sysconf("SC_CLK_TCK")


def _database_cpu_ms() -> float:
    """CPU time used so far by every PostgreSQL backend connected to this database (``--via asgi``:
    requests use pooled connections of other threads; nothing else should use this database)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        pids = [row[0] for row in cursor.fetchall()]
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks * 1000.0 / os.sysconf("SC_CLK_TCK")


def _cpu_ms() -> float:
    return time.process_time() * 1000.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=300)
    parser.add_argument("--cases", type=int, default=10)
    parser.add_argument("--auth", choices=["session", "token"], default="session")
    parser.add_argument("--profile", choices=["", "web", "worker"], default="")
    parser.add_argument(
        "--via",
        choices=["client", "asgi"],
        default="client",
        help="client: Django's test client (multipart); asgi: the ASGI application in-process, "
        "with the URL-encoded form bench.loadgen sends (middleware run as under uvicorn)",
    )
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit(
            "Set DATABASE_URL to a PostgreSQL database, e.g. postgres://postgres@127.0.0.1:5432/casedesk_profile_post"
        )
    _ensure_database(url)
    mail_port = _free_port()
    sink = subprocess.Popen(
        [sys.executable, "-m", "bench.mailsink", "--port", str(mail_port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert sink.stdout is not None
    sink.stdout.readline()  # "listening"
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "casedesk.settings",
            "DEBUG": "0",
            "CASEDESK_DEMO": "0",
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(mail_port),
            "CASEDESK_EMBEDDED_WORKERS": "0",
        }
    )
    try:
        run(args)
    finally:
        sink.terminate()
        sink.wait(5)


def run(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django_tasks_db.models import DBTaskResult

    from bench.site import csrf_secret, seed_site, session_for
    from casedesk.api.models import ApiToken
    from casedesk.jobs.runner import claim_next, execute
    from casedesk.mail.models import OutboundEmail

    call_command("migrate", verbosity=0)
    site = seed_site([], post_cases=args.cases)
    # Leftovers from an interrupted run would be counted as this run's email work.
    DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]).delete()

    client = Client(enforce_csrf_checks=True)
    headers: dict[str, str] = {"Accept": "application/json"}
    if args.auth == "session":
        csrf = csrf_secret()
        client.cookies[settings.SESSION_COOKIE_NAME] = session_for(site.owner_id)
        client.cookies[settings.CSRF_COOKIE_NAME] = csrf
        headers["X-CSRFToken"] = csrf
    else:
        from casedesk.accounts.models import User

        _, raw = ApiToken.issue(User.objects.get(pk=site.owner_id), "profile_post")
        headers["Authorization"] = f"Bearer {raw}"

    cases = site.post_case_ids
    counter = iter(range(10**9))

    def post_with_client() -> None:
        n = next(counter)
        response = client.post(
            f"/api/cases/{cases[n % len(cases)]}/messages",
            {"body": f"Bench message {n}: the revised brief is attached."},
            headers=headers,
        )
        assert response.status_code == 201, (response.status_code, response.content[:500])

    post = post_with_client
    backend_cpu_ms = _backend_cpu_ms
    if args.via == "asgi":
        post = _asgi_poster(client, headers, cases, counter)
        backend_cpu_ms = _database_cpu_ms

    def drain() -> int:
        ran = 0
        while (result := claim_next("profile-worker", ["*"])) is not None:
            execute(result, "profile-worker")
            ran += 1
        return ran

    # Warm-up: imports, template loading, the first connection; then its email work.
    for _ in range(10):
        post()
    drain()

    with CaptureQueriesContext(connection) as web_queries:
        for _ in range(5):
            post()
    with CaptureQueriesContext(connection) as worker_queries:
        tasks_for_5 = drain()
    queries_per_post = len(web_queries) / 5
    worker_queries_per_message = len(worker_queries) / 5
    one_post = [q["sql"] for q in web_queries.captured_queries[: len(web_queries) // 5]]
    one_message_email = [q["sql"] for q in worker_queries.captured_queries[: len(worker_queries) // 5]]

    # CPU time, not wall time: waiting on PostgreSQL or SMTP is not what this script hunts.
    profiler = cProfile.Profile(time.process_time) if args.profile else None
    sent_before = OutboundEmail.objects.filter(sent_at__isnull=False).count()
    pg0, cpu0, t0 = backend_cpu_ms(), _cpu_ms(), time.perf_counter()
    if profiler and args.profile == "web":
        profiler.enable()
    for _ in range(args.posts):
        post()
    if profiler and args.profile == "web":
        profiler.disable()
    pg1, cpu1, t1 = backend_cpu_ms(), _cpu_ms(), time.perf_counter()
    if profiler and args.profile == "worker":
        profiler.enable()
    tasks = drain()
    if profiler and args.profile == "worker":
        profiler.disable()
    pg2, cpu2, t2 = backend_cpu_ms(), _cpu_ms(), time.perf_counter()
    worker_wall_ms = (t2 - t1) * 1000
    sent = OutboundEmail.objects.filter(sent_at__isnull=False).count() - sent_before

    n = args.posts
    figures: dict[str, Any] = {
        "auth": args.auth,
        "via": args.via,
        "posts": n,
        "queries_per_post": queries_per_post if args.via == "client" else "n/a (other threads)",
        "web_cpu_ms_per_post": round((cpu1 - cpu0) / n, 2),
        "web_postgres_cpu_ms_per_post": round((pg1 - pg0) / n, 2),
        "web_wall_ms_per_post": round((t1 - t0) * 1000 / n, 2),
        "tasks_per_message": round(tasks / n, 2),
        "tasks_for_5_messages": tasks_for_5,
        "emails_sent_per_message": round(sent / n, 2),
        "worker_queries_per_message": worker_queries_per_message,
        "worker_cpu_ms_per_message": round((cpu2 - cpu1) / n, 2),
        "worker_wall_ms_per_message": round(worker_wall_ms / n, 2),
        "worker_postgres_cpu_ms_per_message": round((pg2 - pg1) / n, 2),
        "total_cpu_ms_per_message": round(((cpu2 - cpu0) + (pg2 - pg0)) / n, 2),
    }
    width = max(len(k) for k in figures)
    for key, value in figures.items():
        print(f"{key:<{width}}  {value}")
    if os.environ.get("PROFILE_POST_SHOW_QUERIES"):
        print("\n-- one post:")
        for sql in one_post:
            print(" ", sql[:220])
        print("\n-- one message's email work:")
        for sql in one_message_email:
            print(" ", sql[:220])
    if profiler:
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(70)
        stats.print_callers("_parser.py.*_parse\b|_compile")
        stats.sort_stats("tottime").print_stats(30)


def _asgi_poster(client: Any, headers: dict[str, str], cases: list[int], counter: Any) -> Any:
    """``post()`` through ``casedesk.asgi.application`` on one event loop.

    Run it as production runs (``DATABASE_POOL_MAX_SIZE`` set, as ``scripts/prod-local.sh`` does):
    Django runs each request's sync code in a fresh thread. ``cProfile`` only sees the calling
    thread, so with ``--profile web`` the view's own work is missing: profile with ``--via client``
    (the CPU figures here count every thread of the process).
    """
    import asyncio
    from urllib.parse import urlencode

    from casedesk.asgi import application

    loop = asyncio.new_event_loop()
    cookie = "; ".join(f"{name}={morsel.value}" for name, morsel in client.cookies.items())
    raw_headers = [(b"host", b"127.0.0.1"), (b"content-type", b"application/x-www-form-urlencoded")]
    raw_headers += [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    if cookie:
        raw_headers.append((b"cookie", cookie.encode()))

    async def one(path: str, body: bytes) -> tuple[int, bytes]:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [*raw_headers, (b"content-length", str(len(body)).encode())],
            "client": ("127.0.0.1", 40000),
            "server": ("127.0.0.1", 8000),
        }
        incoming = [{"type": "http.request", "body": body, "more_body": False}]
        status = 0
        chunks: list[bytes] = []

        async def receive() -> dict[str, Any]:
            if incoming:
                return incoming.pop(0)
            await asyncio.Event().wait()  # no disconnect: the request runs to its end
            raise AssertionError("unreachable")

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await application(scope, receive, send)
        return status, b"".join(chunks)

    def post() -> None:
        n = next(counter)
        body = urlencode({"body": f"Bench message {n}: the revised brief is attached."}).encode()
        status, content = loop.run_until_complete(one(f"/api/cases/{cases[n % len(cases)]}/messages", body))
        assert status == 201, (status, content[:500])

    return post


if __name__ == "__main__":
    main()
