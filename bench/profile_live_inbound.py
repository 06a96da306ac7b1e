"""In-process micro-benchmarks for the inbound email path and live fan-out.

Not part of ``make bench``; a tool for finding where the time goes, on a database of your own::

    createdb -h 127.0.0.1 -U postgres perf_me
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/perf_me MEDIA_ROOT=/tmp/perf_me_media
    .venv/bin/python manage.py migrate
    .venv/bin/python -m bench.profile_live_inbound inbound --emails 200 [--smtp] [--profile]
    .venv/bin/python -m bench.profile_live_inbound live --viewers 1000 --events 30 [--clients 0.5]

``inbound`` builds the same mail as scenario 4 (a reply to a ``reply+<token>@`` address with a
24 KB PDF, one case per sender with a second contact), stores it (``receive_email``, or over
SMTP to an embedded ``casedesk smtpd`` with ``--smtp``), then runs the ``inbound`` queue through
the real claim → execute path. It prints CPU ms per email for this process and for its
PostgreSQL backend, wall time, and SQL statements per email (counted on a separate sample, since
counting slows things down). The notification emails the posts enqueue (``mail`` queue) are not
run: they belong to the outbound path.

``live`` connects N ``LiveConsumer`` instances through ``channels.testing.WebsocketCommunicator``
to the configured channel layer (Redis when REDIS_URL is set), subscribes them to one case (team
viewers, and with ``--clients`` a share of portal clients), publishes events with
``publish_case_event`` and reports the wall and CPU time per event until every viewer has it.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import resource
import smtplib
import sys
import time
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casedesk.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench.hardware import process_cpu_seconds  # noqa: E402
from bench.scenarios import build_reply  # noqa: E402


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _make_mails(count: int, tag: str) -> tuple[list[tuple[str, str, bytes]], list[int]]:
    from casedesk.accounts.models import Agency, Client, Contact
    from casedesk.cases.actions import do_create_case
    from casedesk.mail.tokens import issue_reply_token

    agency = Agency.objects.create(slug=f"perf-inbound-{tag}", name="Perf Inbound")
    client = Client.objects.create(agency=agency, name="Inbound Client")
    mails = []
    case_ids = []
    for i in range(count):
        sender = Contact.objects.create(
            agency=agency, client=client, name=f"Sender {i}", email=f"sender{i}.{tag}@client.bench.test"
        )
        other = Contact.objects.create(
            agency=agency, client=client, name=f"Colleague {i}", email=f"colleague{i}.{tag}@client.bench.test"
        )
        case = do_create_case(agency=agency, client=client, title=f"Inbound {i}", contacts=[sender, other])
        case_ids.append(case.pk)
        token = issue_reply_token(contact=sender, case=case)
        address = f"reply+{token.raw_token}@{settings.INBOUND_EMAIL_DOMAIN}"
        raw = build_reply(sender.email, address, f"Re: [{case.reference}] Brief", f"{tag}-{i}")
        mails.append((sender.email, address, raw))
    return mails, case_ids


def _store(mails: list[tuple[str, str, bytes]], smtp_port: int | None) -> None:
    from casedesk.mail.inbound import receive_email

    if smtp_port:
        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=30) as smtp:
            for sender, to, raw in mails:
                smtp.sendmail(sender, [to], raw)
    else:
        for sender, to, raw in mails:
            receive_email(raw, source="smtp", envelope_from=sender, envelope_to=[to])


def _process_inbound_queue() -> int:
    from casedesk.jobs.runner import claim_next, execute

    ran = 0
    while (result := claim_next("perf", ["inbound"])) is not None:
        execute(result, "perf")
        ran += 1
    return ran


def _report(label: str, count: int, wall: float, cpu: float, pg_cpu: float | None) -> None:
    pg = f", PostgreSQL backend {1000 * pg_cpu / count:.2f} ms" if pg_cpu is not None else ""
    print(
        f"{label}: {count} emails in {wall:.2f} s wall ({count / wall:.1f}/s); "
        f"CPU per email: this process {1000 * cpu / count:.2f} ms{pg}"
    )


def run_inbound(args: argparse.Namespace) -> None:
    from casedesk.cases.models import Document, Message

    tag = f"{int(time.time())}"
    stop_smtpd = None
    smtp_port = None
    if args.smtp:
        from casedesk.mail.smtpd import start_embedded_smtpd

        smtp_port = args.smtp_port
        stop_smtpd = start_embedded_smtpd("127.0.0.1", smtp_port)
    try:
        # Query counts on a small sample first (capturing slows everything down).
        sample, _ = _make_mails(args.sample, tag + "q")
        _process_inbound_queue()  # anything left over from earlier runs
        with CaptureQueriesContext(connection) as store_q:
            _store(sample, None)
        with CaptureQueriesContext(connection) as process_q:
            ran = _process_inbound_queue()
        print(
            f"SQL statements per email: store {len(store_q) / len(sample):.1f}, "
            f"process {len(process_q) / max(ran, 1):.1f} (sample of {len(sample)})"
        )
        if args.show_queries:
            for q in process_q.captured_queries[: len(process_q) // max(ran, 1)]:
                print("   ", q["time"], q["sql"][:160])

        mails, case_ids = _make_mails(args.emails, tag)
        pg_pid = _backend_pid()
        profiler = cProfile.Profile(time.process_time) if args.profile else None

        pg0, cpu0, t0 = process_cpu_seconds(pg_pid), _cpu(), time.perf_counter()
        if profiler and args.profile == "store":
            profiler.enable()
        _store(mails, smtp_port)
        if profiler:
            profiler.disable()
        pg1, cpu1, t1 = process_cpu_seconds(pg_pid), _cpu(), time.perf_counter()
        store_pg = (pg1 - pg0) if pg0 is not None and pg1 is not None else None
        _report(
            "store" + (" (over SMTP, incl. smtpd thread)" if smtp_port else ""),
            len(mails),
            t1 - t0,
            cpu1 - cpu0,
            None if smtp_port else store_pg,
        )

        if profiler and args.profile == "process":
            profiler.enable()
        ran = _process_inbound_queue()
        if profiler:
            profiler.disable()
        pg2, cpu2, t2 = process_cpu_seconds(pg_pid), _cpu(), time.perf_counter()
        process_pg = (pg2 - pg1) if pg1 is not None and pg2 is not None else None
        _report("process", ran, t2 - t1, cpu2 - cpu1, process_pg)

        posted = Message.objects.filter(case_id__in=case_ids, source="email").count()
        stored = Document.objects.filter(case_id__in=case_ids).count()
        print(f"posted {posted}/{len(mails)}, attachments stored {stored}")
        if profiler and args.dump:
            profiler.dump_stats(args.dump)
        if profiler:
            stats = pstats.Stats(profiler, stream=sys.stdout)
            stats.sort_stats(args.sort).print_stats(args.top)
    finally:
        if stop_smtpd:
            stop_smtpd()


# --- live ----------------------------------------------------------------------------------------


def _live_setup(viewers: int, client_share: float) -> tuple[int, list[list[tuple[bytes, bytes]]]]:
    """A case, a team member and a portal client on it; socket headers for each viewer."""
    from django.test import Client as HttpClient

    from casedesk.accounts.models import Agency, Client, Contact, Membership, Role, User
    from casedesk.cases.actions import do_create_case

    tag = f"{int(time.time() * 1000)}"
    agency = Agency.objects.create(slug=f"perf-live-{tag}", name="Perf Live")
    member = User.objects.create_user(f"member-{tag}@perf.test", "x" * 12, name="Member")
    Membership.objects.create(user=member, agency=agency, role=Role.MEMBER)
    client = Client.objects.create(agency=agency, name="Live Client")
    client_user = User.objects.create_user(f"client-{tag}@perf.test", "x" * 12, name="Client")
    contact = Contact.objects.create(
        agency=agency, client=client, name="Client", email=client_user.email, user=client_user
    )
    case = do_create_case(agency=agency, client=client, title="Live", contacts=[contact], members=[member])

    def headers_for(user: Any) -> list[tuple[bytes, bytes]]:
        http = HttpClient()
        http.force_login(user)
        cookie = http.cookies[settings.SESSION_COOKIE_NAME].value
        return [
            (b"origin", b"http://testserver"),
            (b"host", b"testserver"),
            (b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()),
        ]

    team, portal = headers_for(member), headers_for(client_user)
    clients = round(viewers * client_share)
    return case.pk, [portal] * clients + [team] * (viewers - clients)


async def _live_run(
    case_id: int, headers: list[list[tuple[bytes, bytes]]], events: int, profiler: cProfile.Profile | None
) -> None:
    import json

    from asgiref.sync import sync_to_async
    from asgiref.testing import ApplicationCommunicator

    from casedesk.asgi import application
    from casedesk.live.publish import publish_case_event

    async def open_one(h: list[tuple[bytes, bytes]]) -> ApplicationCommunicator:
        scope = {
            "type": "websocket",
            "path": "/ws/live/",
            "query_string": b"",
            "headers": h,
            "subprotocols": [],
        }
        com = ApplicationCommunicator(application, scope)
        await com.send_input({"type": "websocket.connect"})
        assert (await com.receive_output(10))["type"] == "websocket.accept"
        await com.receive_output(10)  # hello
        await com.send_input(
            {"type": "websocket.receive", "text": json.dumps({"type": "subscribe", "case": case_id})}
        )
        answer = await com.receive_output(10)
        assert "subscribed" in answer["text"], answer
        return com

    sockets: list[ApplicationCommunicator] = []
    for start in range(0, len(headers), 100):
        sockets += await asyncio.gather(*(open_one(h) for h in headers[start : start + 100]))
    print(f"{len(sockets)} viewers subscribed to case {case_id}")
    publish = sync_to_async(publish_case_event)
    walls, cpus = [], []
    if profiler:
        profiler.enable()  # in the event loop's thread, where the fan-out runs
    for n in range(events):
        cpu0, t0 = _cpu(), time.perf_counter()
        await publish(case_id, "message.created", {"message": n}, internal_only=False)
        frames = await asyncio.gather(*(com.receive_output(30) for com in sockets))
        walls.append(time.perf_counter() - t0)
        cpus.append(_cpu() - cpu0)
        assert all(json.loads(f["text"])["payload"]["message"] == n for f in frames), frames[0]
    if profiler:
        profiler.disable()
    walls.sort()
    cpus.sort()
    med = len(walls) // 2
    print(
        f"per event to {len(sockets)} viewers: wall median {1000 * walls[med]:.1f} ms "
        f"(max {1000 * walls[-1]:.1f}), CPU median {1000 * cpus[med]:.1f} ms "
        f"= {1e6 * cpus[med] / len(sockets):.0f} µs per viewer"
    )
    for com in sockets:
        await com.send_input({"type": "websocket.disconnect", "code": 1000})
    await asyncio.gather(*(com.wait(10) for com in sockets), return_exceptions=True)


def run_live(args: argparse.Namespace) -> None:
    from asgiref.sync import async_to_sync

    case_id, headers = _live_setup(args.viewers, args.clients)
    print(f"channel layer: {settings.CHANNEL_LAYERS['default']['BACKEND']}")
    profiler = cProfile.Profile(time.process_time) if args.profile else None
    async_to_sync(_live_run)(case_id, headers, args.events, profiler)
    if profiler:
        pstats.Stats(profiler, stream=sys.stdout).sort_stats(args.sort).print_stats(args.top)


def run_publish(args: argparse.Namespace) -> None:
    """Cost of publishing from a plain thread (a task worker posting an inbound reply)."""
    from casedesk.live.publish import publish_case_event

    publish_case_event(1, "message.created", {"message": 0}, internal_only=False)  # warm up
    cpu0, t0 = _cpu(), time.perf_counter()
    for n in range(args.events):
        publish_case_event(1, "message.created", {"message": n}, internal_only=False)
    wall, cpu = time.perf_counter() - t0, _cpu() - cpu0
    print(
        f"publish from a worker thread ({settings.CHANNEL_LAYERS['default']['BACKEND']}): "
        f"{1000 * wall / args.events:.2f} ms wall, {1000 * cpu / args.events:.2f} ms CPU per event"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="what", required=True)
    inbound = sub.add_parser("inbound")
    inbound.add_argument("--emails", type=int, default=200)
    inbound.add_argument("--sample", type=int, default=5)
    inbound.add_argument("--smtp", action="store_true")
    inbound.add_argument("--smtp-port", type=int, default=2599)
    inbound.add_argument("--profile", choices=["store", "process"])
    inbound.add_argument("--sort", default="cumulative")
    inbound.add_argument("--top", type=int, default=40)
    inbound.add_argument("--show-queries", action="store_true")
    inbound.add_argument("--dump", help="write the profile here (pstats format)")
    live = sub.add_parser("live")
    live.add_argument("--viewers", type=int, default=1000)
    live.add_argument("--events", type=int, default=20)
    live.add_argument("--clients", type=float, default=0.0, help="share of viewers that are portal clients")
    live.add_argument("--profile", action="store_true")
    live.add_argument("--sort", default="tottime")
    live.add_argument("--top", type=int, default=40)
    publish = sub.add_parser("publish")
    publish.add_argument("--events", type=int, default=200)
    args = parser.parse_args()
    if args.what == "inbound":
        run_inbound(args)
    elif args.what == "live":
        run_live(args)
    else:
        run_publish(args)


if __name__ == "__main__":
    main()
