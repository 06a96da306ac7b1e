"""``casedesk chaos-escalations``: the fault-injection run (see casedesk/chaos/harness.py).

Runs against a fresh scratch database (a temporary SQLite file, or a temporary database on the
configured PostgreSQL server, dropped afterwards), never against your data.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from casedesk.chaos.scratchdb import REPO_ROOT, casedesk_command, scratch_database


class Command(BaseCommand):
    help = "Escalate N support conversations through real workers while injecting faults; print figures."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--count", type=int, default=100)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--json", action="store_true", help="Print JSON lines only.")
        parser.add_argument(
            "--workers", type=int, default=None, help="Worker processes (default 2 SQLite, 3 PG)."
        )
        parser.add_argument(
            "--database-url", default=None, help="PostgreSQL server to create the scratch DB on."
        )
        parser.add_argument("--path", choices=["auto", "real", "standin"], default="auto")
        parser.add_argument("--timeout", type=float, default=900)
        parser.add_argument("--inner", action="store_true", help="(internal) run inside the scratch database")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["count"] < 1:
            raise CommandError("--count must be 1 or more.")
        if options["inner"]:
            self.inner(options)
            return
        url = options["database_url"]
        if url is None:
            url = os.environ.get("DATABASE_URL", "") if settings.IS_POSTGRES else ""
        workers = options["workers"] or (3 if url.startswith("postgres") else 2)
        with scratch_database(url) as env:
            command = casedesk_command(
                "chaos-escalations", "--inner",
                "--count", str(options["count"]), "--seed", str(options["seed"]),
                "--workers", str(workers), "--path", options["path"], "--timeout", str(options["timeout"]),
            )  # fmt: skip
            if options["json"]:
                command.append("--json")
            done = subprocess.run(command, env=env, cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True)
            sys.stdout.write(done.stdout)
            if done.returncode != 0:
                raise CommandError(f"The chaos run failed (exit {done.returncode}); see the messages above.")

    def inner(self, options: dict[str, Any]) -> None:
        from casedesk.chaos.harness import Harness

        harness = Harness(
            count=options["count"],
            seed=options["seed"],
            workers=options["workers"] or 2,
            path=options["path"],
            timeout=options["timeout"],
            quiet=False,
        )
        first, final = harness.run()
        if options["json"]:
            self.stdout.write(json.dumps(first))
            self.stdout.write(json.dumps(final))
            return
        self.stdout.write(json.dumps(first, indent=2))
        self.stdout.write(json.dumps(final, indent=2))
        ok = first["lost"] == 0 and first["duplicate_cases"] == 0 and final["cases"] == final["requested"]
        self.stdout.write("PASS" if ok else "FAIL: lost, duplicated or unfinished escalations (see above).")
