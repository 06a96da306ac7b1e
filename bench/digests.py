"""Digest scenario: a burst of 10 client-visible messages on one case with 2 contacts.

In-process, on a scratch SQLite database (or ``DATABASE_URL``), with Django's in-memory email
backend (building every email is measured; the SMTP round trip is not). For each setting of
the agency's window (Settings → General: 2 minutes, and 0 = every message at once) it posts
``--burst`` messages on each of ``--cases`` cases (2 contacts each: one portal login, one magic
link), then runs the worker's claim → run → settle path for every task those posts queued (the
delayed digest tasks as the window ends), and prints:

- client emails per case (the issue's figure: 10 messages to 2 contacts → 2 emails, not 20);
- worker CPU ms per posted message (``time.process_time`` around the task runs).

The burst is posted in well under a minute (milliseconds apart), inside the 2-minute window.
Usage::

    OMP_NUM_THREADS=1 .venv/bin/python -m bench.digests [--cases 20] [--burst 10]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--cases", type=int, default=20)
    parser.add_argument("--burst", type=int, default=10)
    args = parser.parse_args()

    scratch = tempfile.mkdtemp(prefix="casedesk-bench-digests-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casedesk.settings")
    os.environ.setdefault("CASEDESK_DATA_DIR", scratch)
    os.environ.setdefault("SQLITE_PATH", str(Path(scratch) / "bench.sqlite3"))
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    os.environ.setdefault("CASEDESK_DEMO", "0")
    sys.path.insert(0, str(ROOT))

    import django

    django.setup()
    from django.core import mail
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    mail.outbox = []

    from casedesk.accounts.models import Agency, Client, Contact, Membership, User
    from casedesk.cases.actions import do_create_case, do_post_message
    from casedesk.jobs.testing import drain_tasks

    agency = Agency.objects.create(name="Bench Agency", slug=f"bench-{int(time.time())}")
    author = User.objects.create_user(f"author-{agency.slug}@bench.test", "x", name="Bench Author")
    Membership.objects.create(user=author, agency=agency, role="owner")
    client = Client.objects.create(agency=agency, name="Bench Client")
    portal_user = User.objects.create_user(f"portal-{agency.slug}@bench.test", "x", name="Portal Contact")
    contacts = [
        Contact.objects.create(
            agency=agency, client=client, name="Portal Contact", email=portal_user.email, user=portal_user
        ),
        Contact.objects.create(agency=agency, client=client, name="Link Contact", email="link@bench.test"),
    ]

    print(f"digests bench: {args.cases} cases x {args.burst} messages, 2 contacts per case")
    # A first unmeasured round of each (templates compiled, URL resolver and caches warm), then
    # the measured rounds.
    for minutes, n_cases, measured in (
        (2, 1, False),
        (0, 1, False),
        (2, args.cases, True),
        (0, args.cases, True),
    ):
        Agency.objects.filter(pk=agency.pk).update(email_digest_minutes=minutes)
        agency.refresh_from_db()
        cases = []
        for n in range(n_cases):
            case = do_create_case(
                agency=agency,
                client=client,
                title=f"Website refresh {minutes}-{n}-{measured}",
                contacts=contacts,
            )
            cases.append(case)
        drain_tasks(include_delayed=True)  # anything case creation queued
        mail.outbox = []
        post_started = time.process_time()
        for case in cases:
            for i in range(args.burst):
                do_post_message(case=case, body=f"Update {i + 1} of {args.burst}.", author_user=author)
        post_cpu = time.process_time() - post_started
        worker_started = time.process_time()
        ran = drain_tasks()  # the notification tasks, at once
        ran += drain_tasks(include_delayed=True)  # the digest tasks, as their windows end
        worker_cpu = time.process_time() - worker_started
        if not measured:
            continue
        posted = args.cases * args.burst
        client_mail = [m for m in mail.outbox if m.to[0] in {c.email for c in contacts}]
        label = f"window {minutes} min" if minutes else "window 0 (immediate)"
        print(
            f"  {label:22s} emails per case {len(client_mail) / args.cases:5.1f}"
            f"  tasks run {ran:5d}  worker CPU per posted message {1000 * worker_cpu / posted:6.2f} ms"
            f"  post CPU per message {1000 * post_cpu / posted:6.2f} ms"
        )


if __name__ == "__main__":
    main()
