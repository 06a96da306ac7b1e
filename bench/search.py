"""Search at scale on PostgreSQL: ``python -m bench.search`` (also a ``make bench`` scenario).

Seeds its own database (``casedesk_bench_search``) with fast bulk SQL (``INSERT … SELECT
generate_series``): N agencies × 2 clients × 5 cases, M messages spread evenly over the cases,
a fifth of them internal notes, bodies of 12 words drawn with a skewed (Zipf-like) frequency from a
fixed vocabulary, plus one planted phrase ("final invoice approved") in 0.2 % of messages. The
search index is kept by the trigger (the same one production runs); the GIN index is built once
after the load instead of row by row.

Then, in-process, through ``casedesk.search.service.search`` (exactly what the pages and the API
call, count and page and row loading included), for viewers of 20 agencies spread across the
range:

- p50/p95 for a team query and a client query, each with one word and a three-word phrase;
- the rows examined by the page query and the count query, from ``EXPLAIN (ANALYZE, FORMAT JSON)``
  (per scan node: rows returned + rows removed by filter or recheck, times loops);
- index upkeep on the posting path: CPU per ``do_post_message`` (this process + the PostgreSQL
  backend, from /proc) with the trigger and the GIN index, and with both removed.

Usage::

    .venv/bin/python -m bench.search [--messages 1000000] [--agencies 1000] [--runs 40] [--reseed]

It prints a table and writes bench/results/search-<date>.json. Timings on a shared machine vary;
the load average is printed next to them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DATABASE = "casedesk_bench_search"
PHRASE = "final invoice approved"
CASES_PER_CLIENT = 5
CLIENTS_PER_AGENCY = 2
SAMPLED_AGENCIES = 20
SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "te", "vo", "zi", "pa", "do", "fe", "gu", "hi", "jo", "be"]
REAL_WORDS = [
    "logo", "invoice", "banner", "draft", "review", "campaign", "budget", "meeting", "launch", "contract",
    "feedback", "design", "version", "approved", "final", "schedule", "website", "copy", "photo", "print",
]  # fmt: skip


def vocabulary() -> list[str]:
    """2,020 words: 20 real ones first (the most frequent), then made-up ones, always the same."""
    rng = random.Random(17)
    words = list(REAL_WORDS)
    seen = set(words)
    while len(words) < 2020:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


def _database_url() -> str:
    return os.environ.get("BENCH_SEARCH_DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{DATABASE}")


def _ensure_database(url: str) -> None:
    from urllib.parse import urlparse

    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def setup(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casedesk.settings")
    os.environ.pop("DATABASE_POOL_MAX_SIZE", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _scalar(sql: str, params: list[Any] | None = None) -> Any:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        row = cursor.fetchone()
    return row[0] if row else None


def _execute(sql: str, params: list[Any] | None = None) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])


def seed(agencies: int, messages: int, reseed: bool) -> dict[str, Any]:
    """Bulk-load the data set unless the same one is there already. Returns what was seeded."""
    from django.db import transaction
    from tqdm import tqdm

    _execute("CREATE TABLE IF NOT EXISTS bench_search_meta (agencies int, messages int, seconds float)")
    existing = _scalar("SELECT agencies || ',' || messages || ',' || seconds FROM bench_search_meta")
    if existing and not reseed:
        a, m, seconds = existing.split(",")
        if int(a) == agencies and int(m) == messages:
            return {
                "agencies": agencies,
                "messages": messages,
                "seed_seconds": float(seconds),
                "reused": True,
            }
    t0 = time.monotonic()
    for table in (
        "cases_message",
        "cases_casecontact",
        "cases_case",
        "accounts_contact",
        "accounts_client",
        "accounts_membership",
        "search_agencysearchlanguage",
        "accounts_agency",
        "bench_search_meta",
    ):
        _execute(f"TRUNCATE {table} CASCADE")
    now = "now() - interval '400 days'"
    with transaction.atomic():
        _execute(
            "INSERT INTO accounts_agency (name, slug, brand_color, support_widget_for_customers, is_platform,"
            " created_at) SELECT 'Bench agency ' || g, 'bench-search-' || g, '#4f46e5', false, false, now()"
            " FROM generate_series(1, %s) g",
            [agencies],
        )
        # A quarter of the agencies index in English (stemming), the rest with "simple".
        _execute(
            "INSERT INTO search_agencysearchlanguage (agency_id, config) SELECT id, 'english'"
            " FROM accounts_agency WHERE id %% 4 = 0"
        )
        _execute(
            "INSERT INTO accounts_client (name, created_at, agency_id) SELECT 'Client ' || a.id || '-' || k,"
            " now(), a.id FROM accounts_agency a, generate_series(1, %s) k",
            [CLIENTS_PER_AGENCY],
        )
        _execute(
            "INSERT INTO accounts_contact (name, email, created_at, agency_id, client_id)"
            " SELECT 'Contact of ' || c.name, 'contact-' || c.id || '@bench.test', now(), c.agency_id, c.id"
            " FROM accounts_client c"
        )
        _execute(
            "INSERT INTO cases_case"  # noqa: S608 - built from constants
            " (number, title, status, source, created_at, updated_at, agency_id, client_id)"
            " SELECT row_number() OVER (PARTITION BY c.agency_id ORDER BY c.id, k),"
            " 'Case ' || c.id || '-' || k,"
            f" 'open', 'manual', {now}, now(), c.agency_id, c.id FROM accounts_client c,"
            " generate_series(1, %s) k",
            [CASES_PER_CLIENT],
        )
        _execute(
            "INSERT INTO cases_casecontact (added_at, case_id, contact_id) SELECT now(), k.id, t.id"
            " FROM cases_case k JOIN accounts_contact t ON t.client_id = k.client_id"
        )
    first_case = _scalar("SELECT min(id) FROM cases_case")
    cases = _scalar("SELECT count(*) FROM cases_case")
    words = vocabulary()
    # Skewed draw: index = n * u^2.5 makes the first words common and the tail rare.
    pick = "w[1 + floor(power(random(), 2.5) * %s)::int]"
    body = " || ' ' || ".join([pick] * 12)
    _execute("DROP INDEX IF EXISTS search_message_vector_gin")
    chunk = 50_000
    with tqdm(total=messages, unit="msg", desc="seeding messages", file=sys.stderr) as bar:
        for start in range(0, messages, chunk):
            count = min(chunk, messages - start)
            with transaction.atomic():
                _execute(
                    "INSERT INTO cases_message (body, body_html, internal_only, source, created_at, case_id)"  # noqa: S608
                    f" SELECT {body} || CASE WHEN random() < 0.002 THEN ' {PHRASE}' ELSE '' END, '',"
                    " random() < 0.2, 'web',"
                    f" {now} + (g * interval '30 seconds'), %s + (g %% %s)"
                    " FROM (SELECT %s::text[] AS w) v, generate_series(%s, %s) g",
                    [*[len(words)] * 12, first_case, cases, words, start, start + count - 1],
                )
            bar.update(count)
    t_index = time.monotonic()
    _execute("SET maintenance_work_mem = '256MB'")
    _execute("CREATE INDEX search_message_vector_gin ON cases_message USING gin (search_vector)")
    _execute("ANALYZE")
    seconds = round(time.monotonic() - t0, 1)
    _execute("INSERT INTO bench_search_meta VALUES (%s, %s, %s)", [agencies, messages, seconds])
    return {
        "agencies": agencies,
        "messages": messages,
        "cases": cases,
        "seed_seconds": seconds,
        "gin_build_seconds": round(time.monotonic() - t_index, 1),
        "reused": False,
    }


def viewers() -> list[dict[str, Any]]:
    """A team member and a portal client for 20 agencies spread over the range (created once)."""
    from casedesk.accounts.models import Agency, Contact, Membership, Role, User
    from casedesk.cases.models import Case

    agency_ids = list(Agency.objects.order_by("id").values_list("id", flat=True))
    step = max(1, len(agency_ids) // SAMPLED_AGENCIES)
    out = []
    for agency_id in agency_ids[::step][:SAMPLED_AGENCIES]:
        team, _ = User.objects.get_or_create(email=f"team-{agency_id}@bench.test", defaults={"name": "Team"})
        Membership.objects.get_or_create(user=team, agency_id=agency_id, defaults={"role": Role.MEMBER})
        contact = Contact.objects.filter(agency_id=agency_id).order_by("id").first()
        assert contact is not None
        if contact.user_id is None:
            client_user, _ = User.objects.get_or_create(email=contact.email, defaults={"name": contact.name})
            contact.user = client_user
            contact.save(update_fields=["user"])
        case = Case.objects.filter(agency_id=agency_id).order_by("id").first()
        out.append({"agency_id": agency_id, "team": team, "client": contact.user, "case": case})
    return out


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def _rows_examined(plan: dict[str, Any]) -> int:
    total = 0
    node_type = plan.get("Node Type", "")
    if "Scan" in node_type:
        loops = plan.get("Actual Loops", 1)
        kept = plan.get("Actual Rows", 0)
        removed = plan.get("Rows Removed by Filter", 0) + plan.get("Rows Removed by Index Recheck", 0)
        total += int((kept + removed) * loops)
    for child in plan.get("Plans", []):
        total += _rows_examined(child)
    return total


def explain(sql: str, params: Any) -> dict[str, Any]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    root = plan[0]
    return {
        "rows_examined": _rows_examined(root["Plan"]),
        "rows_returned": root["Plan"].get("Actual Rows"),
        "execution_ms": round(root.get("Execution Time", 0.0), 2),
        "uses_gin": "search_message_vector_gin" in json.dumps(root),
    }


def time_queries(sample: list[dict[str, Any]], runs: int) -> list[dict[str, Any]]:
    from casedesk.accounts.access import Viewer
    from casedesk.search.query import parse_query
    from casedesk.search.service import SearchFilters, hit_rows, search

    words = vocabulary()
    queries = {"one word": words[10], "three-word phrase": f'"{PHRASE}"'}
    rows = []
    for who in ("team", "client"):
        for label, text in queries.items():
            parsed = parse_query(text)
            times: list[float] = []
            totals: list[int] = []
            for i in range(runs + 3):
                person = sample[i % len(sample)]
                viewer = Viewer(user=person[who])
                t0 = time.perf_counter()
                if who == "team":
                    results = search(viewer, parsed, agency_id=person["agency_id"])
                else:
                    results = search(viewer, parsed, as_client=True)
                elapsed = (time.perf_counter() - t0) * 1000
                if i >= 3:  # the first runs warm caches
                    times.append(elapsed)
                    totals.append(results.total)
            person = sample[0]
            viewer = Viewer(user=person[who])
            scope: dict[str, Any] = (
                {"agency_id": person["agency_id"]} if who == "team" else {"as_client": True}
            )
            hits, ordering = hit_rows(viewer, parsed, SearchFilters(), **scope)
            page_sql, page_params = hits.order_by(*ordering)[:20].query.sql_with_params()
            count_sql, count_params = hits.query.sql_with_params()
            page_plan = explain(page_sql, page_params)
            count_plan = explain(f"SELECT count(*) FROM ({count_sql}) hits", count_params)  # noqa: S608
            rows.append(
                {
                    "viewer": who,
                    "query": label,
                    "text": text,
                    "runs": len(times),
                    "p50_ms": round(statistics.median(times), 1),
                    "p95_ms": round(_percentile(times, 95), 1),
                    "mean_hits": round(statistics.mean(totals), 1),
                    "page_rows_examined": page_plan["rows_examined"],
                    "count_rows_examined": count_plan["rows_examined"],
                    "page_execution_ms": page_plan["execution_ms"],
                    "count_execution_ms": count_plan["execution_ms"],
                    "uses_gin": page_plan["uses_gin"] and count_plan["uses_gin"],
                }
            )
    return rows


def _backend_cpu_ms() -> float:
    pid = _scalar("SELECT pg_backend_pid()")
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000.0 / os.sysconf("SC_CLK_TCK")


def posting_cpu(sample: list[dict[str, Any]], posts: int) -> dict[str, Any]:
    """CPU ms per ``do_post_message`` with the search index kept current and without (trigger off)."""
    from casedesk.cases.actions import do_post_message

    def measure() -> float:
        cpu0, db0 = time.process_time(), _backend_cpu_ms()
        for i in range(posts):
            person = sample[i % len(sample)]
            do_post_message(
                case=person["case"],
                body=f"Status update {i}: the {PHRASE.split()[1]} for the banner campaign is ready",
                author_user=person["team"],
            )
        return ((time.process_time() - cpu0) * 1000 + (_backend_cpu_ms() - db0)) / posts

    measure()  # warm-up: imports, caches, first connection
    # Alternate with/without three times: the machine is shared and its load drifts. "Without"
    # disables the trigger (the vector stays NULL, so the GIN index gets no entries either).
    with_index: list[float] = []
    without_index: list[float] = []
    for _ in range(3):
        with_index.append(measure())
        _execute("ALTER TABLE cases_message DISABLE TRIGGER search_message_vector")
        try:
            without_index.append(measure())
        finally:
            _execute("ALTER TABLE cases_message ENABLE TRIGGER search_message_vector")
    _execute("UPDATE cases_message SET body = body WHERE search_vector IS NULL")
    with_ms = statistics.median(with_index)
    without_ms = statistics.median(without_index)
    return {
        "posts_per_run": posts,
        "cpu_ms_per_post_with_index": round(with_ms, 2),
        "cpu_ms_per_post_without_index": round(without_ms, 2),
        "upkeep_pct": round((with_ms - without_ms) / without_ms * 100, 1),
        "runs_with_index_ms": [round(v, 2) for v in with_index],
        "runs_without_index_ms": [round(v, 2) for v in without_index],
    }


def run(messages: int, agencies: int, runs: int, posts: int, reseed: bool) -> dict[str, Any]:
    url = _database_url()
    _ensure_database(url)
    setup(url)
    report: dict[str, Any] = {"load_average_before": os.getloadavg()}
    report["data"] = seed(agencies, messages, reseed)
    sample = viewers()
    report["queries"] = time_queries(sample, runs)
    report["posting"] = posting_cpu(sample, posts)
    report["load_average_after"] = os.getloadavg()
    return report


def render(report: dict[str, Any]) -> str:
    data = report["data"]
    lines = [
        f"search: {data['messages']:,} messages, {data['agencies']:,} agencies "
        f"(seeded in {data['seed_seconds']} s{', reused' if data.get('reused') else ''}); "
        f"load average {report['load_average_before']} → {report['load_average_after']}",
        "",
        "| viewer | query | p50 ms | p95 ms | goal p95 < 100 ms | hits (mean) | rows examined: page / count "
        "| EXPLAIN ms: page / count | GIN |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in report["queries"]:
        lines.append(
            f"| {row['viewer']} | {row['query']} | {row['p50_ms']} | {row['p95_ms']} | "
            f"{'yes' if row['p95_ms'] < 100 else 'no'} | {row['mean_hits']} | "
            f"{row['page_rows_examined']:,} / {row['count_rows_examined']:,} | "
            f"{row['page_execution_ms']} / {row['count_execution_ms']} | "
            f"{'yes' if row['uses_gin'] else 'no'} |"
        )
    post = report["posting"]
    lines += [
        "",
        f"posting path CPU per message ({post['posts_per_run']} posts per run): "
        f"{post['cpu_ms_per_post_with_index']} ms with the index, {post['cpu_ms_per_post_without_index']} ms "
        f"without → upkeep {post['upkeep_pct']} % (goal < 10 %); medians of 3 alternating runs: "
        f"{post['runs_with_index_ms']} vs {post['runs_without_index_ms']}",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.search", description=__doc__)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--agencies", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=40, help="Timed searches per (viewer, query).")
    parser.add_argument("--posts", type=int, default=200, help="Posts per posting-CPU run.")
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args(argv)
    started = dt.datetime.now(dt.UTC)
    report = run(args.messages, args.agencies, args.runs, args.posts, args.reseed)
    report["started_at"] = started.isoformat(timespec="seconds")
    RESULTS.mkdir(parents=True, exist_ok=True)
    output = args.output or RESULTS / f"search-{started:%Y-%m-%dT%H%M%SZ}.json"
    output.write_text(json.dumps(report, indent=2, default=str))
    print(render(report))
    print(f"\nJSON: {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())


def scenario_rows(quick: bool, output: Path) -> list[dict[str, Any]]:
    """For ``bench.run``: run this module in its own process (its own database and Django setup)."""
    import subprocess

    size = ["--messages", "20000", "--agencies", "100", "--runs", "10", "--posts", "30"] if quick else []
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    env.pop("DATABASE_URL", None)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    subprocess.run(
        [sys.executable, "-m", "bench.search", *size, "--output", str(output)], check=True, cwd=ROOT, env=env
    )
    report = json.loads(output.read_text())
    return [{"scenario": "search", "status": "ok", "report": report, "table": render(report)}]
