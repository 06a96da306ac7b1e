"""Chaos run for digests: N client-visible messages under ``kill -9`` of workers and SMTP outages.

On a scratch SQLite database it starts ``--workers`` real ``casedesk worker`` processes sending
over real SMTP to an aiosmtpd sink on loopback (in this process), posts ``--messages`` messages
over ``--cases`` cases (2 contacts each) with the agency's 2-minute window, and meanwhile:

- ``kill -9`` of a random worker every ``--kill-every`` seconds (restarted at once; its claimed
  task is recovered by the dead-worker sweep);
- the SMTP server down for ``--outage`` seconds every ``--outage-every`` seconds;
- some messages made internal or deleted right after posting (must never be mailed), some seen
  by a contact in the portal (must be left out of that contact's email).

The windows' end is brought forward (their delayed tasks made due now) so the run takes
minutes, not hours. When every window is settled and the queue is quiet it prints one JSON line:
pairs expected, mailed once, seen instead, lost, duplicated (in two different emails), resent
(the same email, same Message-ID, received twice: the SMTP accept → commit gap), leaked.

    OMP_NUM_THREADS=1 .venv/bin/python -m bench.chaos_digests --messages 1000
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MARKER = re.compile(r"\[chaos-m(\d+)\]")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Recorder:
    """Keeps (to, Message-ID, message markers) of every email the sink accepts."""

    def __init__(self) -> None:
        self.received: list[tuple[str, str, list[int]]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        text = parsed.get_body(preferencelist=("plain",))
        body = text.get_content() if text is not None else ""
        markers = sorted({int(m) for m in MARKER.findall(body)})
        for rcpt in envelope.rcpt_tos:
            self.received.append((rcpt.lower(), str(parsed["Message-ID"]), markers))
        return "250 OK"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--cases", type=int, default=25)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--kill-every", type=float, default=6.0)
    parser.add_argument("--outage-every", type=float, default=15.0)
    parser.add_argument("--outage", type=float, default=3.0)
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    scratch = Path(tempfile.mkdtemp(prefix="casedesk-chaos-digests-"))
    port = _free_port()
    env = {
        "DJANGO_SETTINGS_MODULE": "casedesk.settings",
        "CASEDESK_DATA_DIR": str(scratch),
        "SQLITE_PATH": str(scratch / "chaos.sqlite3"),
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port),
        "EMAIL_TIMEOUT": "5",
        "CASEDESK_DEMO": "0",
        "CASEDESK_JOBS_HEARTBEAT_SECONDS": "0.5",
        "CASEDESK_JOBS_DEAD_AFTER_SECONDS": "3",
        "CASEDESK_JOBS_SWEEP_SECONDS": "1",
        "CASEDESK_JOBS_BACKOFF_SCALE": "0.05",
        "OMP_NUM_THREADS": "1",
    }
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))

    import logging

    import django

    django.setup()
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's per-command log
    from aiosmtpd.controller import Controller
    from django.core.management import call_command
    from django.db.models import Q
    from django_tasks_db.models import DBTaskResult

    call_command("migrate", verbosity=0)
    from casedesk.accounts.models import Agency, Client, Contact, User
    from casedesk.cases.actions import (
        do_create_case,
        do_delete_message,
        do_post_message,
        do_record_thread_viewed,
    )
    from casedesk.cases.models import Message
    from casedesk.mail.models import DigestWindow, PendingNotification, PendingOutcome

    agency = Agency.objects.create(name="Chaos Agency", slug="chaos", email_digest_minutes=2)
    author = User.objects.create_user("author@chaos.test", "x", name="Chaos Author")
    client = Client.objects.create(agency=agency, name="Chaos Client")
    portal = User.objects.create_user("portal@chaos.test", "x", name="Portal Contact")
    contacts = [
        Contact.objects.create(
            agency=agency, client=client, name="Portal", email="portal@chaos.test", user=portal
        ),
        Contact.objects.create(agency=agency, client=client, name="Link", email="link@chaos.test"),
    ]
    cases = [
        do_create_case(agency=agency, client=client, title=f"Case {n}", contacts=contacts)
        for n in range(args.cases)
    ]

    recorder = Recorder()
    smtp = Controller(recorder, hostname="127.0.0.1", port=port)
    smtp.start()
    smtp_up = True
    log = open(scratch / "workers.log", "ab")  # noqa: SIM115 (the workers write to it until the end)
    command = [sys.executable, "-m", "casedesk.cli", "worker", "--interval", "0.2"]
    workers = [
        subprocess.Popen(command, env={**os.environ}, cwd=ROOT, stdout=log, stderr=log)
        for _ in range(args.workers)
    ]
    kills = outages = 0
    started = time.monotonic()
    next_kill = started + args.kill_every
    next_outage = started + args.outage_every
    withdrawn: set[int] = set()

    def chaos_tick() -> None:
        nonlocal kills, outages, next_kill, next_outage, smtp, smtp_up
        now = time.monotonic()
        if now >= next_kill:
            index = rng.randrange(len(workers))
            workers[index].send_signal(signal.SIGKILL)
            workers[index].wait()
            workers[index] = subprocess.Popen(command, env={**os.environ}, cwd=ROOT, stdout=log, stderr=log)
            kills += 1
            next_kill = now + args.kill_every * rng.uniform(0.5, 1.5)
        if smtp_up and now >= next_outage:
            smtp.stop()
            smtp_up = False
            outages += 1
        elif not smtp_up and now >= next_outage + args.outage:
            smtp = Controller(recorder, hostname="127.0.0.1", port=port)
            smtp.start()
            smtp_up = True
            next_outage = now + args.outage_every

    def bring_windows_forward() -> None:
        from django.utils import timezone

        DBTaskResult.objects.filter(task_path__endswith="send_client_digest", status="READY").filter(
            Q(run_after__gt=timezone.now())
        ).update(run_after=timezone.now())

    for n in range(args.messages):
        case = cases[n % len(cases)]
        message = do_post_message(case=case, body=f"Update [chaos-m{n}] placeholder.", author_user=author)
        Message.objects.filter(pk=message.pk).update(body=f"Update [chaos-m{message.pk}].")
        roll = rng.random()
        if roll < 0.05:
            Message.objects.filter(pk=message.pk).update(internal_only=True)
            withdrawn.add(message.pk)
        elif roll < 0.08:
            do_delete_message(message=message, actor=author)
            withdrawn.add(message.pk)
        elif roll < 0.12:
            do_record_thread_viewed(case=case, contact=contacts[0])  # the portal contact looks
        if n % 20 == 0:
            chaos_tick()
            if n % 100 == 0:
                bring_windows_forward()
        time.sleep(0.01)

    deadline = started + args.timeout
    while time.monotonic() < deadline:
        chaos_tick()
        bring_windows_forward()
        busy = DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]).count()
        waiting = PendingNotification.objects.filter(outcome=PendingOutcome.WAITING).count()
        open_windows = DigestWindow.objects.filter(closed_at__isnull=True).count()
        if busy == 0 and waiting == 0 and open_windows == 0:
            break
        time.sleep(1.0)
    if not smtp_up:
        smtp = Controller(recorder, hostname="127.0.0.1", port=port)
        smtp.start()
    for worker in workers:
        worker.send_signal(signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
    smtp.stop()

    # Expected pairs: every (message, contact) posted by the team to both contacts.
    address = {c.pk: c.email for c in contacts}
    emails_per_pair: dict[tuple[str, int], set[str]] = defaultdict(set)
    receipts: Counter[tuple[str, int]] = Counter()
    for to, message_id, markers in recorder.received:
        for marker in markers:
            emails_per_pair[(to, marker)].add(message_id)
            receipts[(to, marker)] += 1
    all_ids = list(Message.objects.filter(case__agency=agency).values_list("pk", flat=True))
    seen = {
        (address[p.contact_id], p.message_id)
        for p in PendingNotification.objects.filter(outcome=PendingOutcome.SEEN)
    }
    expected = [(address[c.pk], m) for m in all_ids if m not in withdrawn for c in contacts]
    mailed_once = sum(1 for pair in expected if len(emails_per_pair.get(pair, ())) == 1)
    seen_first = sum(1 for pair in expected if not emails_per_pair.get(pair) and pair in seen)
    lost = [pair for pair in expected if not emails_per_pair.get(pair) and pair not in seen]
    duplicated = [pair for pair in expected if len(emails_per_pair.get(pair, ())) > 1]
    resent = sum(1 for pair in expected if receipts.get(pair, 0) > len(emails_per_pair.get(pair, ())))
    leaked = [pair for pair in emails_per_pair if pair[1] in withdrawn]
    figures = {
        "messages": args.messages,
        "contacts_per_case": 2,
        "pairs_expected": len(expected),
        "mailed_once": mailed_once,
        "seen_first": seen_first,
        "lost": len(lost),
        "duplicated_in_two_emails": len(duplicated),
        "resent_same_message_id": resent,
        "withdrawn_leaked": len(leaked),
        "emails_received": len(recorder.received),
        "distinct_emails": len({mid for _, mid, _ in recorder.received}),
        "kills": kills,
        "smtp_outages": outages,
        "failed_jobs": DBTaskResult.objects.filter(status="FAILED").count(),
        "seconds": round(time.monotonic() - started, 1),
        "scratch": str(scratch),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
