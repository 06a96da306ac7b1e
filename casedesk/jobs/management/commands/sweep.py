"""``casedesk sweep``: take back tasks of dead workers and run the reconciler once (cron-friendly)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from casedesk.jobs.reconciler import run_reconciler
from casedesk.jobs.sweeps import prune_heartbeats, sweep_dead_workers


class Command(BaseCommand):
    # Workers restart often (deploys, crashes, chaos runs); run `casedesk check` at deploy instead.
    requires_system_checks: list[str] = []
    help = "Return tasks held by dead workers to the queue, and surface stuck work as failed jobs."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--dead-after", type=float, default=None, help="Seconds of silence before a worker is dead."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        taken_back = sweep_dead_workers(dead_after=options["dead_after"])
        surfaced = run_reconciler()
        pruned = prune_heartbeats()
        self.stdout.write(
            f"Took back {taken_back} task(s) from dead workers; surfaced {surfaced} stuck item(s); "
            f"forgot {pruned} old heartbeat(s)."
        )
