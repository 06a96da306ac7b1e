"""``casedesk run``: everything in one process, for ``make demo`` and small installs.

The web server (uvicorn: HTTP and websockets), background task worker thread(s) and the inbound
SMTP server share this process and its in-memory channel layer, so live updates, outbound mail
(captured by the dev mailbox in demo mode) and email replies all work with nothing else running.
Migrations are not run here: ``make demo`` runs ``casedesk migrate`` first.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from casedesk.jobs.worker import start_embedded_worker
from casedesk.mail.smtpd import start_embedded_smtpd


class Command(BaseCommand):
    help = "Serve casedesk with an embedded task worker and inbound SMTP server, in one process."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8000)))
        parser.add_argument(
            "--worker-threads",
            type=int,
            default=int(os.environ.get("CASEDESK_WORKER_THREADS", 2)),
            help="Task worker threads inside this process (0 turns the embedded worker off).",
        )
        parser.add_argument("--no-smtpd", action="store_true", help="Do not start the inbound SMTP server.")
        parser.add_argument(
            "--access-log",
            action="store_true",
            help="Log every request. Off by default: magic-link and invitation URLs carry tokens.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        import uvicorn

        host: str = options["host"]
        port: int = options["port"]
        stops: list[tuple[str, Callable[[], None]]] = []
        try:
            threads: int = options["worker_threads"]
            if settings.EMBEDDED_WORKER and threads > 0:
                stops.append(("task worker", start_embedded_worker(threads)))
                self.stdout.write(f"Task worker: {threads} thread(s) in this process.")
            if not options["no_smtpd"]:
                smtp_host, smtp_port = settings.INBOUND_SMTP_HOST, settings.INBOUND_SMTP_PORT
                try:
                    stops.append(("inbound SMTP", start_embedded_smtpd(smtp_host, smtp_port)))
                except OSError as exc:
                    self.stderr.write(
                        f"Inbound SMTP could not listen on {smtp_host}:{smtp_port} ({exc}); email replies "
                        "will not arrive. Free the port or set INBOUND_SMTP_PORT, then restart."
                    )
                else:
                    self.stdout.write(
                        f"Inbound SMTP: {smtp_host}:{smtp_port} for @{settings.INBOUND_EMAIL_DOMAIN}."
                    )
            self.stdout.write(self.style.SUCCESS(f"casedesk is running at http://{host}:{port}/"))
            self.stdout.write("Press Ctrl+C to stop.")
            self.stdout.flush()
            config = uvicorn.Config(
                "casedesk.asgi:application",
                host=host,
                port=port,
                lifespan="off",
                ws="websockets-sansio",
                log_level=os.environ.get("UVICORN_LOG_LEVEL", "info"),
                access_log=options["access_log"],
                timeout_graceful_shutdown=5,
            )
            # uvicorn re-raises Ctrl+C after its own clean shutdown; that is a normal stop here.
            with contextlib.suppress(KeyboardInterrupt):
                uvicorn.Server(config).run()
        finally:
            for name, stop in reversed(stops):
                try:
                    stop()
                except Exception as exc:  # stopping must go on for the rest whatever one did
                    self.stderr.write(f"Stopping the {name} failed: {exc}")
            self.stdout.write("casedesk stopped.")
