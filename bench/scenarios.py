"""The six casedesk scenarios, the peer's two, and the ceiling.

Each scenario returns a list of result rows (dicts). A scenario whose feature is missing from
this checkout returns a row with ``status`` saying so, never a made-up figure.
"""

from __future__ import annotations

import email.policy
import json
import os
import resource
import smtplib
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from bench import hardware
from bench.procs import ROOT, Viewers, run_json
from bench.site import BenchSite, cookie_auth
from bench.stats import latency_summary, median_of_rounds

Progress = Callable[[str], None]


@dataclass
class Config:
    base_url: str
    rounds: int = 3
    post_concurrency: list[int] = field(default_factory=lambda: [10, 50, 200])
    post_seconds: float = 10.0
    hot_case_concurrency: int | None = 50
    thread_sizes: list[int] = field(default_factory=lambda: [10, 1000, 10000])
    thread_requests: int = 20
    live_viewers: int = 1000
    live_posts: int = 30
    inbound_emails: int = 200
    triage_articles: int = 1000
    triage_questions: int = 300
    hold_steps: list[int] = field(default_factory=lambda: [1000, 2000, 4000, 8000])
    quick: bool = False


def not_landed(scenario: str, reason: str) -> list[dict[str, Any]]:
    return [{"scenario": scenario, "status": f"not measured: {reason}"}]


def _load() -> list[float]:
    return hardware.load_average()


# --- Targets: where to post and read, discovered from what this checkout has ---------------------


def _reverse(name: str, *args: Any) -> str | None:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse(name, args=list(args))
    except NoReverseMatch:
        return None


def openapi(base_url: str, headers: dict[str, str]) -> dict[str, Any] | None:
    request = urllib.request.Request(f"{base_url}/api/openapi.json", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return dict(json.loads(response.read()))
    except (OSError, ValueError):
        return None


def api_messages_path(spec: dict[str, Any] | None, method: str) -> tuple[str, dict[str, Any]] | None:
    """The API path for a case's messages that accepts ``method``, with its operation."""
    if not spec:
        return None
    for path, operations in (spec.get("paths") or {}).items():
        if "case" in path and path.rstrip("/").endswith("/messages") and method in operations:
            return path, operations[method]
    return None


def fill_path(path: str, case_id: int | str) -> str:
    import re

    return re.sub(r"\{[^}]+\}", str(case_id), path)


def post_target(cfg: Config, site: BenchSite, headers: dict[str, str]) -> dict[str, Any] | None:
    """A loadgen spec that posts one client-visible message; ``{case}`` in its URL takes turns
    over ``spec["cases"]`` (the one posting case unless the caller spreads the load)."""
    found = api_messages_path(openapi(cfg.base_url, headers), "post")
    if found is not None:
        path, operation = found
        content = ((operation.get("requestBody") or {}).get("content")) or {}
        spec: dict[str, Any] = {
            "url": cfg.base_url + fill_path(path, "{case}"),
            "cases": [site.post_case_id],
            "method": "POST",
            "headers": {**headers, "Accept": "application/json"},
            "capture_id": True,
            "channel": "api",
        }
        if "application/json" in content:
            spec["json"] = {"body": "Bench message {nonce}: the revised brief is attached."}
        else:
            spec["form"] = {"body": "Bench message {nonce}: the revised brief is attached."}
        if _probe(spec):
            return spec
    sentinel = 987654321
    page = _reverse("cases:messages", sentinel)
    if page is None:
        return None
    spec = {
        "url": cfg.base_url + page.replace(str(sentinel), "{case}"),
        "cases": [site.post_case_id],
        "method": "POST",
        "headers": {**headers, "Accept": "application/json"},
        "form": {"body": "Bench message {nonce}: the revised brief is attached."},
        "capture_id": True,
        "channel": "page form (Accept: application/json)",
    }
    return spec if _probe(spec) else None


def _probe(spec: dict[str, Any]) -> bool:
    result = run_json("bench.loadgen", {**spec, "requests": 1, "concurrency": 1, "time_limit": 30}, 60)
    if result["ok"] != 1:
        sys.stderr.write(f"bench: probe of {spec['url']} failed: {result['errors']}\n")
    return bool(result["ok"] == 1)


def wait_for_queue(timeout: float) -> tuple[float | None, int]:
    """(seconds until no task is runnable or running, tasks left waiting to retry after a failure).

    Seconds is None if work was still runnable after ``timeout``. Tasks whose ``run_after`` is in
    the future are backing off after a failure; waiting them out would measure the retry
    policy, not throughput, so they are counted instead.
    """
    from django.db.models import Q
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult, get_date_max

    started = time.monotonic()
    while time.monotonic() - started < timeout:
        now = timezone.now()
        runnable = DBTaskResult.objects.filter(
            Q(status="RUNNING")
            | Q(status="READY", run_after=get_date_max())
            | Q(status="READY", run_after__lte=now)
        )
        if not runnable.exists():
            retrying = DBTaskResult.objects.filter(status="READY", run_after__gt=now).exclude(
                run_after=get_date_max()
            )
            return round(time.monotonic() - started, 2), retrying.count()
        time.sleep(0.25)
    return None, -1


def failed_tasks() -> int:
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(status="FAILED").count()


def cpu_groups(process_pids: dict[str, int | None], database: str) -> dict[str, list[int]]:
    """Pids to account CPU to: each prod-local process with its children, and the PostgreSQL
    backends connected to the benchmark's database (other databases' backends are not ours)."""
    from django.db import connection

    groups = {name: hardware.process_tree(pid) for name, pid in process_pids.items() if pid}
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [database])
        groups["postgres"] = [row[0] for row in cursor.fetchall()]
    return groups


# --- 1. Post a message -------------------------------------------------------------------------


def ceiling(dsn: str, concurrency: int, requests: int, seconds: float) -> dict[str, Any]:
    spec = {"dsn": dsn, "concurrency": concurrency, "requests": requests, "time_limit": seconds}
    result = run_json("bench.ceiling", spec, seconds + 60)
    return {"throughput": result["throughput"], **latency_summary(result["latencies_ms"])}


def scenario_post(
    cfg: Config,
    site: BenchSite,
    dsn: str,
    mails_sent: Callable[[], int],
    progress: Progress,
    process_pids: dict[str, int | None] | None = None,
    database: str = "",
) -> list[dict[str, Any]]:
    headers = cookie_auth(site.owner_id)
    target = post_target(cfg, site, headers)
    if target is None:
        return not_landed("1 post", "no message posting endpoint (API or page form) answered")
    ws_url = cfg.base_url.replace("http://", "ws://") + "/ws/live/"
    viewers = Viewers(
        {
            "url": ws_url,
            "headers": {"Cookie": headers["Cookie"], "Origin": cfg.base_url},
            "count": 20,
            # Every viewer watches every posting case. The consumer allows 50 groups per
            # connection, one of which is the user's own, so 49 cases at most.
            "subscribe": [{"type": "subscribe", "case": case_id} for case_id in site.post_case_ids[:49]],
            "time_limit": 90,
            "listen_limit": 3600,
        }
    )
    connected = viewers.read_line("READY ", 120)
    if not connected or int(connected) == 0:
        viewers.close()
        return not_landed("1 post", "the live viewers could not subscribe to the posting cases")
    rows: list[dict[str, Any]] = []
    # Many clients usually write in many threads: spread the load over the posting cases. One
    # extra run puts everyone in the same thread (a hot case), which serialises on the case row.
    variants = [(c, site.post_case_ids) for c in cfg.post_concurrency]
    if cfg.hot_case_concurrency:
        variants.append((cfg.hot_case_concurrency, [site.post_case_id]))
    try:
        for concurrency, cases in variants:
            rounds = []
            for round_no in range(cfg.rounds):
                progress(
                    f"1 post: c={concurrency} over {len(cases)} case(s), round {round_no + 1}/{cfg.rounds}"
                )
                mails_before = mails_sent()
                failed_before = failed_tasks()
                groups = cpu_groups(process_pids or {}, database)
                cpu_before = hardware.cpu_snapshot(groups)
                load = _load()
                result = run_json(
                    "bench.loadgen",
                    {
                        **target,
                        "cases": cases,
                        "mode": "closed",
                        "concurrency": concurrency,
                        "requests": 100_000,
                        "time_limit": cfg.post_seconds,
                        "warmup": 10,
                        "nonce_prefix": f"bench-p{concurrency}c{len(cases)}r{round_no}",
                    },
                    cfg.post_seconds + 120,
                )
                drain, retrying = wait_for_queue(180)
                groups_after = cpu_groups(process_pids or {}, database)
                for name, pids in groups.items():
                    groups_after[name] = sorted(set(groups_after.get(name, [])) | set(pids))
                cpu = hardware.cpu_delta(cpu_before, hardware.cpu_snapshot(groups_after))
                cpu["load generator"] = result["client_cpu_seconds"]
                time.sleep(1.2)  # the mail sink writes its count twice a second
                lat = latency_summary(result["latencies_ms"])
                ok = result["ok"]
                total = sum(result["statuses"].values())
                rounds.append(
                    {
                        "msgs_per_s": result["throughput"],
                        "p50_ms": lat["p50"],
                        "p95_ms": lat["p95"],
                        "p99_ms": lat["p99"],
                        "posted": ok,
                        "errors": total - ok,
                        "emails_sent": mails_sent() - mails_before,
                        "queue_drain_s_after_load": drain,
                        "end_to_end_msgs_per_s": round(ok / (result["wall_seconds"] + (drain or 0)), 2),
                        "tasks_failed": failed_tasks() - failed_before,
                        "tasks_backing_off_after_failure": retrying,
                        "client_cpu_s": result["client_cpu_seconds"],
                        "wall_s": result["wall_seconds"],
                        "load_avg_1m": load[0] if load else None,
                        # CPU spent per posted message, by process type, including the email
                        # drain after the load: independent of how busy the machine was.
                        **{
                            f"cpu_ms_per_msg_{k.replace(' ', '_')}": round(1000 * v / ok, 2) if ok else None
                            for k, v in cpu.items()
                        },
                        "cpu_ms_per_msg_total": round(1000 * sum(cpu.values()) / ok, 2) if ok else None,
                        # casedesk's own processes only: the mail sink and the load generator stand
                        # in for a mail server and for browsers, which run elsewhere in production.
                        "cpu_ms_per_msg_casedesk": round(
                            1000
                            * sum(v for k, v in cpu.items() if k not in {"mailsink", "load generator"})
                            / ok,
                            2,
                        )
                        if ok
                        else None,
                        "error_samples": result["errors"][:2],
                    }
                )
            summary = median_of_rounds(rounds)
            cores = os.cpu_count() or 1
            total_cpu = summary.get("cpu_ms_per_msg_casedesk")
            # What the measured CPU cost per message allows on this many idle cores: an upper
            # bound (it ignores waiting on locks and disk), independent of other load.
            summary["cpu_bound_msgs_per_s"] = round(cores * 1000 / total_cpu, 1) if total_cpu else None
            progress(f"1 post: ceiling at c={concurrency}")
            top = ceiling(dsn, concurrency, 100_000, min(cfg.post_seconds, 10))
            summary.update(
                scenario="1 post",
                concurrency=concurrency,
                cases=len(cases),
                channel=target["channel"],
                viewers_connected=int(connected or 0),
                ceiling_inserts_per_s=top["throughput"],
                ceiling_p99_ms=top["p99"],
                share_of_ceiling_pct=round(100 * summary["msgs_per_s"] / top["throughput"], 1)
                if top["throughput"]
                else None,
                rounds=rounds,
                status="ok",
            )
            rows.append(summary)
    finally:
        viewers.close()
    return rows


# --- 2. Post to live event with many viewers ---------------------------------------------------


def scenario_live(cfg: Config, site: BenchSite, progress: Progress) -> list[dict[str, Any]]:
    headers = cookie_auth(site.owner_id)
    target = post_target(cfg, site, headers)
    if target is None:
        return not_landed("2 live", "no message posting endpoint answered")
    ws_url = cfg.base_url.replace("http://", "ws://") + "/ws/live/"
    per_process = 500
    groups = []
    progress(f"2 live: connecting {cfg.live_viewers} viewers")
    for i in range(0, cfg.live_viewers, per_process):
        count = min(per_process, cfg.live_viewers - i)
        groups.append(
            Viewers(
                {
                    "url": ws_url,
                    "headers": {"Cookie": cookie_auth(site.member_ids[0])["Cookie"], "Origin": cfg.base_url},
                    "count": count,
                    "subscribe": {"type": "subscribe", "case": site.post_case_id},
                    "time_limit": 120,
                    "listen_limit": 1800,
                    "grace": 2.0,
                }
            )
        )
    connected = sum(int(g.read_line("READY ", 180) or 0) for g in groups)
    if connected == 0:
        for g in groups:
            g.close()
        return not_landed("2 live", "no live connection could subscribe to the case")
    rounds = []
    try:
        sends: list[list[dict[str, Any]]] = []
        for round_no in range(cfg.rounds):
            progress(f"2 live: round {round_no + 1}/{cfg.rounds} ({connected} viewers)")
            result = run_json(
                "bench.loadgen",
                {
                    **target,
                    "mode": "paced",
                    "interval": 0.25,
                    "requests": cfg.live_posts,
                    "time_limit": 120,
                    "return_sent": True,
                    "nonce_prefix": f"bench-live{round_no}",
                },
                240,
            )
            sends.append(result["sent"])
            time.sleep(2)
    finally:
        results = [g.finish(120) for g in groups]
    receipts: dict[str, list[float]] = {}
    for part in results:
        for key, arrivals in (part.get("receipts") or {}).items():
            receipts.setdefault(key, []).extend(arrivals)
    for sent in sends:
        latencies: list[float] = []
        after_response: list[float] = []
        post_ms: list[float] = []
        expected = 0
        for item in sent:
            post_ms.append((item["t_done"] - item["t"]) * 1000)
            expected += connected
            times: list[float] = []
            for key, values in receipts.items():
                if key == item["nonce"] or (item["id"] is not None and key.endswith(f":{item['id']}")):
                    times.extend(values)
            # One event per viewer per message: the first arrival of each counts.
            times = sorted(times)[:connected]
            latencies.extend((t - item["t"]) * 1000 for t in times)
            after_response.extend((t - item["t_done"]) * 1000 for t in times)
        lat = latency_summary(latencies)
        after = latency_summary(after_response)
        post = latency_summary(post_ms)
        rounds.append(
            {
                "p50_ms": lat["p50"],
                "p95_ms": lat["p95"],
                "p99_ms": lat["p99"],
                "max_ms": lat["max"],
                "delivered_pct": round(100 * len(latencies) / expected, 2) if expected else None,
                # The POST's own latency is part of the figure above; these split it out.
                "post_p50_ms": post["p50"],
                "after_response_p50_ms": after["p50"],
                "after_response_p99_ms": after["p99"],
                "posts": len(sent),
            }
        )
    summary = median_of_rounds(rounds)
    summary.update(
        scenario="2 live",
        viewers=connected,
        viewer_processes=len(groups),
        channel=target["channel"],
        sample_unmatched=[u for part in results for u in part.get("unmatched", [])][:2],
        rounds=rounds,
        status="ok",
    )
    return [summary]


# --- 3. Open a thread --------------------------------------------------------------------------


def query_count(path: str, user_id: int, accept: str = "text/html") -> tuple[int, int]:
    """(queries, status) for one in-process request, against the same database."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from casedesk.accounts.models import User

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(pk=user_id))
    client.get(path, HTTP_ACCEPT=accept)  # warm caches a real page view would have warm
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path, HTTP_ACCEPT=accept)
    return len(ctx.captured_queries), response.status_code


def _timed_gets(url: str, headers: dict[str, str], count: int, timeout: float = 120) -> dict[str, Any]:
    result = run_json(
        "bench.loadgen",
        {
            "url": url,
            "method": "GET",
            "headers": headers,
            "mode": "closed",
            "concurrency": 1,
            "requests": count,
            "time_limit": timeout,
            "warmup": 2,
            "timeout": timeout,
        },
        timeout * 2 + 60,
    )
    return {**latency_summary(result["latencies_ms"]), "errors": result["errors"][:1]}


def scenario_thread(cfg: Config, site: BenchSite, progress: Progress) -> list[dict[str, Any]]:
    headers = cookie_auth(site.owner_id)
    spec = openapi(cfg.base_url, headers)
    api = api_messages_path(spec, "get")
    rows: list[dict[str, Any]] = []
    for size in cfg.thread_sizes:
        case_id = site.thread_case_ids[size]
        targets: list[tuple[str, str | None, str]] = [
            ("thread page", _reverse("cases:messages", case_id), "text/html"),
            ("API list", fill_path(api[0], case_id) if api else None, "application/json"),
        ]
        for label, path, accept in targets:
            if path is None:
                rows.append(
                    {
                        "scenario": "3 open thread",
                        "what": label,
                        "messages": size,
                        "status": "not measured: this checkout has no such endpoint",
                    }
                )
                continue
            rounds = []
            for round_no in range(cfg.rounds):
                progress(f"3 thread: {label}, {size} messages, round {round_no + 1}/{cfg.rounds}")
                got = _timed_gets(cfg.base_url + path, {**headers, "Accept": accept}, cfg.thread_requests)
                rounds.append(
                    {"p50_ms": got["p50"], "p95_ms": got["p95"], "p99_ms": got["p99"], "n": got["n"]}
                )
            queries, status = query_count(path, site.owner_id, accept)
            summary = median_of_rounds(rounds)
            summary.update(
                scenario="3 open thread",
                what=label,
                messages=size,
                queries=queries,
                http_status=status,
                rounds=rounds,
                status="ok",
            )
            rows.append(summary)
    return rows


# --- 4. Inbound email --------------------------------------------------------------------------


def _pdf_bytes(size: int = 24 * 1024) -> bytes:
    head = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n"
    return head + b"%" + b"0" * (size - len(head) - 7) + b"\n%%EOF\n"


def build_reply(sender: str, to: str, subject: str, nonce: str) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = f"<{nonce}@client.bench.test>"
    message.set_content(
        f"Thanks, here is the signed brief ({nonce}).\n\nOn Monday, Bench Agency wrote:\n> Please sign it.\n"
    )
    message.add_attachment(_pdf_bytes(), maintype="application", subtype="pdf", filename=f"brief-{nonce}.pdf")
    # CRLF line ends: smtplib sends bytes as they are, and SMTP lines end in CRLF.
    return message.as_bytes(policy=email.policy.SMTP)


def scenario_inbound(
    cfg: Config,
    site: BenchSite,
    smtp_port: int | None,
    progress: Progress,
    process_pids: dict[str, int | None] | None = None,
    database: str = "",
) -> list[dict[str, Any]]:
    try:
        from casedesk.mail.inbound import receive_email
        from casedesk.mail.tokens import issue_reply_token
    except ImportError as exc:
        return not_landed("4 inbound", f"the inbound email path is not in this checkout ({exc})")
    from django.conf import settings

    from casedesk.accounts.models import Agency, Client, Contact
    from casedesk.cases.actions import do_create_case
    from casedesk.cases.models import Document, Message

    rounds = []
    per_round = cfg.inbound_emails
    for round_no in range(cfg.rounds):
        progress(f"4 inbound: round {round_no + 1}/{cfg.rounds} ({per_round} emails)")
        # A fresh agency and fresh senders per round: the per-sender and per-agency hourly
        # limits of the inbound path are part of the product and must not cap the benchmark.
        agency, _ = Agency.objects.get_or_create(
            slug=f"bench-inbound-{round_no}-{int(time.time())}", defaults={"name": "Bench Inbound"}
        )
        client = Client.objects.create(agency=agency, name="Inbound Client")
        # One case per sender, each with a second contact (who gets the usual notification),
        # as replies arrive in real life: many threads, not one thread with 200 people on it.
        mails = []
        case_ids = []
        for i in range(per_round):
            sender = Contact.objects.create(
                agency=agency,
                client=client,
                name=f"Sender {i}",
                email=f"sender{i}.r{round_no}@client.bench.test",
            )
            other = Contact.objects.create(
                agency=agency,
                client=client,
                name=f"Colleague {i}",
                email=f"colleague{i}.r{round_no}@client.bench.test",
            )
            case = do_create_case(
                agency=agency, client=client, title=f"Inbound benchmark {i}", contacts=[sender, other]
            )
            case_ids.append(case.pk)
            token = issue_reply_token(contact=sender, case=case)
            address = f"reply+{token.raw_token}@{settings.INBOUND_EMAIL_DOMAIN}"
            subject = f"Re: [{case.reference}] Brief"
            mails.append(
                (sender.email, address, build_reply(sender.email, address, subject, f"in{round_no}-{i}"))
            )
        messages_before = Message.objects.filter(case_id__in=case_ids).count()
        groups = cpu_groups(process_pids or {}, database)
        cpu_before = hardware.cpu_snapshot(groups)
        started = time.monotonic()
        via = "smtp"
        if smtp_port:
            with smtplib.SMTP("127.0.0.1", smtp_port, timeout=30) as smtp:
                for from_address, to, raw in mails:
                    smtp.sendmail(from_address, [to], raw)
        else:
            from casedesk.mail.inbound import receive_email

            via = "import path (receive_email; casedesk smtpd is not running)"
            for from_address, to, raw in mails:
                receive_email(raw, source="import", envelope_from=from_address, envelope_to=[to])
        fed = time.monotonic() - started
        deadline = time.monotonic() + 180
        done = 0
        while time.monotonic() < deadline:
            done = Message.objects.filter(case_id__in=case_ids, source="email").count() - messages_before
            if done >= per_round:
                break
            time.sleep(0.2)
        elapsed = time.monotonic() - started
        groups_after = cpu_groups(process_pids or {}, database)
        for name, pids in groups.items():
            groups_after[name] = sorted(set(groups_after.get(name, [])) | set(pids))
        cpu = hardware.cpu_delta(cpu_before, hardware.cpu_snapshot(groups_after))
        stored = Document.objects.filter(case_id__in=case_ids).count()
        rounds.append(
            {
                "emails_per_s": round(done / elapsed, 2) if elapsed else None,
                "posted": done,
                "attachments_stored": stored,
                "feed_seconds": round(fed, 2),
                "total_seconds": round(elapsed, 2),
                "load_avg_1m": _load()[0],
                # CPU per email until it was posted (notification emails still queued excluded).
                **{
                    f"cpu_ms_per_email_{k}": round(1000 * v / done, 2) if done else None
                    for k, v in cpu.items()
                },
                "cpu_ms_per_email_casedesk": round(
                    1000 * sum(v for k, v in cpu.items() if k != "mailsink") / done, 2
                )
                if done
                else None,
            }
        )
        if done == 0:
            break
    summary = median_of_rounds(rounds)
    summary.update(scenario="4 inbound", emails=per_round, via=via, rounds=rounds, status="ok")
    return [summary]


# --- 5. Triage ---------------------------------------------------------------------------------


TOPICS = [
    "invoice",
    "password",
    "attachment",
    "email reply",
    "widget",
    "failed job",
    "portal",
    "magic link",
    "notification",
    "mention",
    "internal note",
    "case status",
    "document",
    "share link",
    "team member",
    "client contact",
    "export",
    "billing",
    "colour",
    "domain",
    "webhook",
    "API token",
    "dark mode",
    "upload",
]
VERBS = ["change", "reset", "find", "delete", "share", "download", "turn off", "set up", "fix", "invite"]
PLACES = ["settings", "the portal", "the thread", "the sidebar", "the help centre", "the case list", "email"]


def generate_articles(count: int) -> list[dict[str, str]]:
    """``count`` distinct, plausible help articles (title, body, example questions)."""
    articles = []
    for i in range(count):
        topic = TOPICS[i % len(TOPICS)]
        verb = VERBS[(i // len(TOPICS)) % len(VERBS)]
        place = PLACES[(i // (len(TOPICS) * len(VERBS))) % len(PLACES)]
        title = f"How to {verb} a {topic} in {place} ({i})"
        body = (
            f"# {title}\n\nTo {verb} a {topic}, open {place} and choose **{topic.title()}**. "
            f"Then select {verb} and confirm. Changes apply at once for everyone on the team. "
            f"If you cannot {verb} the {topic}, ask an owner or admin of your agency: only they can "
            f"change this in {place}. Article number {i}."
        )
        questions = (
            f"how do I {verb} my {topic}\ncan I {verb} a {topic} from {place}\nwhere is {topic} {verb}"
        )
        articles.append({"title": title, "slug": f"bench-{i}", "body": body, "example_questions": questions})
    return articles


def scenario_triage(cfg: Config, site: BenchSite, progress: Progress) -> list[dict[str, Any]]:
    try:
        from casedesk.support.triage import answer_question
    except ImportError as exc:
        return not_landed(
            "5 triage", f"casedesk.support.triage.answer_question is not in this checkout ({exc})"
        )
    from casedesk.accounts.models import Agency
    from casedesk.support.models import HelpArticle

    agency = Agency.objects.get(pk=site.agency_id)
    if HelpArticle.objects.filter(agency=agency).count() < cfg.triage_articles:
        HelpArticle.objects.filter(agency=agency).delete()
        HelpArticle.objects.bulk_create(
            [HelpArticle(agency=agency, **a) for a in generate_articles(cfg.triage_articles)], batch_size=500
        )
    questions = []
    for i in range(cfg.triage_questions):
        if i % 4 == 3:
            questions.append(f"what is the weather like in city number {i} tomorrow")  # out of scope
        else:
            topic = TOPICS[(i * 7) % len(TOPICS)]
            verb = VERBS[(i * 3) % len(VERBS)]
            questions.append(f"I need to {verb} the {topic}, how?")

    def ask(question: str) -> Any:
        return answer_question(question, agency.pk)

    progress("5 triage: first question (builds the index)")
    started = time.perf_counter()
    first = ask("how do I reset my password")
    build_ms = (time.perf_counter() - started) * 1000
    rounds = []
    answered = 0
    for round_no in range(cfg.rounds):
        progress(f"5 triage: round {round_no + 1}/{cfg.rounds}")
        latencies = []
        answered = 0
        wall = time.perf_counter()
        for question in questions:
            t0 = time.perf_counter()
            result = ask(question)
            latencies.append((time.perf_counter() - t0) * 1000)
            if "answer" in type(result).__name__.lower():
                answered += 1
        wall = time.perf_counter() - wall
        lat = latency_summary(latencies)
        rounds.append(
            {
                "questions_per_s": round(len(questions) / wall, 1),
                "p50_ms": lat["p50"],
                "p99_ms": lat["p99"],
                "load_avg_1m": _load()[0],
            }
        )
    summary = median_of_rounds(rounds)
    summary.update(
        scenario="5 triage",
        articles=HelpArticle.objects.filter(agency=agency).count(),
        questions=len(questions),
        answered_share_last_round=round(answered / len(questions), 3),
        first_question_ms_incl_index_build=round(build_ms, 1),
        first_result=repr(first)[:200],
        rounds=rounds,
        status="ok (in-process, one thread)",
    )
    return [summary]


# --- 6. Idle live connections on one web worker ------------------------------------------------


def _raise_limit() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def scenario_connections(
    cfg: Config, site: BenchSite, env: dict[str, str], port: int, progress: Progress
) -> list[dict[str, Any]]:
    """One extra `casedesk web --workers 1` (same settings), filled with idle subscribed sockets."""
    log = ROOT / "var" / "bench" / "single-worker.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "casedesk"),
            "web",
            "--workers",
            "1",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--backlog",
            "4096",
        ],
        env={**os.environ, **env},
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        preexec_fn=_raise_limit,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                    break
            except OSError:
                time.sleep(0.3)
        time.sleep(1.0)
        baseline = hardware.rss_kib(server.pid) or 0
        headers = cookie_auth(site.member_ids[1])
        viewers = Viewers(
            {
                "mode": "hold",
                "url": f"ws://127.0.0.1:{port}/ws/live/",
                "headers": {"Cookie": headers["Cookie"], "Origin": f"http://127.0.0.1:{port}"},
                "steps": cfg.hold_steps,
                "subscribe": {"type": "subscribe", "case": site.post_case_id},
                "time_limit": 240,
            }
        )
        steps: list[dict[str, Any]] = []
        try:
            for target in cfg.hold_steps:
                progress(f"6 connections: opening up to {target}")
                held = viewers.read_line("HELD ", 300)
                if held is None:
                    break
                time.sleep(2.0)
                rss = hardware.rss_kib(server.pid) or 0
                n = int(held)
                steps.append(
                    {
                        "target": target,
                        "held": n,
                        "rss_mib": round(rss / 1024, 1),
                        "kib_per_connection": round((rss - baseline) / n, 1) if n else None,
                    }
                )
                viewers.send("next")
                if n < target:
                    break
        finally:
            viewers.close()
        best = max(steps, key=lambda step: int(step["held"] or 0)) if steps else {}
        return [
            {
                "scenario": "6 idle connections",
                "max_held": best.get("held"),
                "tried_up_to": cfg.hold_steps[-1],
                "baseline_rss_mib": round(baseline / 1024, 1),
                "rss_mib_at_max": best.get("rss_mib"),
                "kib_per_connection": best.get("kib_per_connection"),
                "steps": steps,
                "fd_limit": resource.getrlimit(resource.RLIMIT_NOFILE)[1],
                "status": "ok" if steps else "not measured: no connection was held",
            }
        ]
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


# --- The peer ----------------------------------------------------------------------------------


def peer_post(
    base_url: str,
    ticket_id: int,
    queue_id: int,
    headers: dict[str, str],
    concurrency: int,
    seconds: float,
    rounds: int,
    progress: Progress,
) -> dict[str, Any]:
    spec = {
        "url": f"{base_url}/tickets/{ticket_id}/update/",
        "method": "POST",
        "headers": headers,
        "form": {
            "comment": "Bench follow-up {nonce}: the revised brief is attached.",
            "new_status": "1",
            "public": "True",
            "title": "Posting benchmark",
            "queue": str(queue_id),
            "priority": "3",
            "owner": "-1",
        },
        "mode": "closed",
        "concurrency": concurrency,
        "requests": 100_000,
        "time_limit": seconds,
        "warmup": 5,
        "timeout": 60,
    }
    results = []
    for round_no in range(rounds):
        progress(f"peer post: c={concurrency} round {round_no + 1}/{rounds}")
        result = run_json("bench.loadgen", spec, seconds + 180)
        lat = latency_summary(result["latencies_ms"])
        total = sum(result["statuses"].values())
        results.append(
            {
                "msgs_per_s": result["throughput"],
                "p50_ms": lat["p50"],
                "p95_ms": lat["p95"],
                "p99_ms": lat["p99"],
                "errors": total - result["ok"],
                "error_samples": result["errors"][:1],
                "load_avg_1m": _load()[0],
            }
        )
    return {**median_of_rounds(results), "rounds": results}


def peer_thread(
    base_url: str,
    ticket_id: int,
    headers: dict[str, str],
    requests: int,
    rounds: int,
    progress: Progress,
    label: str,
) -> dict[str, Any]:
    results = []
    for round_no in range(rounds):
        progress(f"peer thread: {label} round {round_no + 1}/{rounds}")
        got = _timed_gets(f"{base_url}/tickets/{ticket_id}/", headers, requests, timeout=120)
        results.append({"p50_ms": got["p50"], "p95_ms": got["p95"], "n": got["n"], "load_avg_1m": _load()[0]})
    return {**median_of_rounds(results), "rounds": results}


def peer_query_count(ticket_id: int, python: Path, site_dir: Path, env: dict[str, str]) -> int | None:
    code = (
        "import os,django;os.environ.setdefault('DJANGO_SETTINGS_MODULE','hdsite.settings');django.setup();"
        "from django.test import Client;from django.test.utils import CaptureQueriesContext;"
        "from django.db import connection;from django.contrib.auth import get_user_model;"
        "c=Client(HTTP_HOST='127.0.0.1');c.force_login(get_user_model().objects.get(username='benchstaff'));"
        f"c.get('/tickets/{ticket_id}/');\n"
        "with CaptureQueriesContext(connection) as q: r=c.get('/tickets/%d/')\n"
        % ticket_id
        + "print(len(q.captured_queries))"
    )
    try:
        out = subprocess.run(
            [str(python), "-c", code],
            cwd=site_dir,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        ).stdout
        return int(out.strip().splitlines()[-1])
    except (subprocess.SubprocessError, ValueError, IndexError):
        return None
