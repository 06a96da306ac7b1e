"""``casedesk worker``: production task workers.

One process runs one worker. ``--processes N`` starts N worker processes and supervises them
(SIGTERM/SIGINT are passed on, so each finishes or hands back its current task).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from argparse import ArgumentParser
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from casedesk.jobs.worker import CasedeskWorker, default_worker_id


class Command(BaseCommand):
    # Workers restart often (deploys, crashes, chaos runs); run `casedesk check` at deploy instead.
    requires_system_checks: list[str] = []
    help = "Run background task workers (retries, heartbeats, sweeps, graceful shutdown on SIGTERM)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--queues", default="*", help="Comma-separated queues to process ('*' for all).")
        parser.add_argument("--processes", type=int, default=1, help="How many worker processes to run.")
        parser.add_argument(
            "--worker-id", default="", help="Unique id of this worker (default: host-pid-random)."
        )
        parser.add_argument("--interval", type=float, default=None, help="Seconds to wait when idle.")
        parser.add_argument("--batch", action="store_true", help="Run what is ready, then exit.")
        parser.add_argument("--max-tasks", type=int, default=None, help="Exit after this many tasks.")
        parser.add_argument(
            "--no-sweeps", action="store_true", help="Do not run the sweep and reconciler here."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        processes = int(options["processes"])
        if processes < 1:
            raise CommandError("--processes must be 1 or more.")
        if processes > 1:
            self.supervise(processes, options)
            return
        worker = CasedeskWorker(
            queue_names=[q.strip() for q in options["queues"].split(",") if q.strip()] or ["*"],
            worker_id=options["worker_id"] or default_worker_id(),
            interval=options["interval"],
            batch=options["batch"],
            max_tasks=options["max_tasks"],
            run_sweeps=not options["no_sweeps"],
        )
        worker.configure_signals()
        worker.run()

    def supervise(self, processes: int, options: dict[str, Any]) -> None:
        base_id = options["worker_id"] or default_worker_id()
        command = [sys.executable, "-m", "casedesk.cli", "worker", "--queues", options["queues"]]
        if options["interval"] is not None:
            command += ["--interval", str(options["interval"])]
        if options["batch"]:
            command.append("--batch")
        if options["no_sweeps"]:
            command.append("--no-sweeps")
        children = [
            subprocess.Popen([*command, "--worker-id", f"{base_id[:58]}-{index}"])
            for index in range(processes)
        ]

        def forward(signum: int, frame: FrameType | None) -> None:
            for child in children:
                if child.poll() is None:
                    child.send_signal(signum)

        signal.signal(signal.SIGTERM, forward)
        signal.signal(signal.SIGINT, forward)
        while any(child.poll() is None for child in children):
            time.sleep(0.5)
