"""``casedesk web``: the production web server (HTTP + websockets) under uvicorn.

Each worker is a separate process serving ``casedesk.asgi:application``; they share nothing
but the database, Redis (channel layer, cache) and the file storage, so running more of them,
here or on other machines, is how the web tier scales. See docs/deploy.md.
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

ASGI_APP = "casedesk.asgi:application"


class Command(BaseCommand):
    help = "Serve casedesk (HTTP and websockets) with uvicorn and N worker processes."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--workers",
            type=int,
            default=int(os.environ.get("WEB_CONCURRENCY", 2)),
            help="Worker processes (default: $WEB_CONCURRENCY or 2; about one per core).",
        )
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8000)))
        parser.add_argument(
            "--access-log", action="store_true", help="Log every request (off by default: it costs CPU)."
        )
        parser.add_argument(
            "--proxy-headers",
            action="store_true",
            help="Trust X-Forwarded-For/-Proto from --forwarded-allow-ips (behind a reverse proxy).",
        )
        parser.add_argument(
            "--forwarded-allow-ips", default=os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
        )
        parser.add_argument(
            "--backlog", type=int, default=2048, help="Pending connections the kernel may queue."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        import uvicorn

        workers: int = options["workers"]
        if workers < 1:
            raise CommandError("--workers must be 1 or more; use about one worker per CPU core.")
        if not settings.REDIS_URL and workers > 1:
            # Without Redis each process has its own in-memory channel layer, so a live event
            # published by one worker would never reach a browser connected to another.
            self.stderr.write(
                "Warning: REDIS_URL is not set, so live updates only reach browsers connected to the "
                "same worker process. Set REDIS_URL when running more than one worker."
            )
        # Worker processes are spawned fresh and import settings from the environment.
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings.SETTINGS_MODULE)
        self.stdout.write(
            f"casedesk web: {workers} worker(s) on http://{options['host']}:{options['port']} "
            f"(settings {os.environ['DJANGO_SETTINGS_MODULE']}, pid {os.getpid()})"
        )
        uvicorn.run(
            ASGI_APP,
            host=options["host"],
            port=options["port"],
            workers=workers,
            lifespan="off",
            access_log=options["access_log"],
            proxy_headers=options["proxy_headers"],
            forwarded_allow_ips=options["forwarded_allow_ips"],
            backlog=options["backlog"],
            log_level=os.environ.get("UVICORN_LOG_LEVEL", "info"),
            timeout_graceful_shutdown=20,
        )
