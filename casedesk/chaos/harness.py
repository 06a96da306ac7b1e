"""The fault-injection run behind ``casedesk chaos-escalations`` (runs against a scratch database).

It starts real ``casedesk worker`` processes, creates N support conversations, asks for each one
to be escalated, and injects faults while they run:

- ``kill -9`` of a worker *before*, *during* (inside the open transaction) and *after* the case
  is written (fault points in the escalation task: the worker SIGKILLs itself there), plus
  ``kill -9`` of random busy workers from outside at random moments;
- exceptions in the handler (once: retried; always: ends in Failed Jobs);
- the database refusing connections for a few seconds (every fault point raises
  ``OperationalError``; on PostgreSQL the database is also closed to new connections with
  ``ALLOW_CONNECTIONS false`` and every worker backend is terminated);
- the SMTP server down for a few seconds while notification emails go out;
- duplicate delivery: the same escalation task enqueued twice.

When the queue is quiet it prints one JSON line of figures, then replays every failed job with
faults off and prints a second line with the final figures.
"""

from __future__ import annotations

import json
import logging
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from email import message_from_bytes
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection, transaction
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from tqdm import tqdm

from casedesk.chaos.scratchdb import REPO_ROOT, casedesk_command
from casedesk.jobs.actions import do_replay_failed_jobs
from casedesk.jobs.faults import CHAOS_DIR_ENV
from casedesk.jobs.models import FailedJob, FailedJobStatus, TaskFailure
from casedesk.jobs.reconciler import run_reconciler

# --- the escalation path under test -----------------------------------------------------------


class EscalationPath:
    """What the harness needs from an escalation implementation."""

    name = ""
    email_header = ""
    task: Any = None

    def setup(self, count: int, seed: int) -> list[int]:
        raise NotImplementedError

    def request(self, conversation_id: int) -> None:
        raise NotImplementedError

    def fault_key(self, conversation_id: int) -> str:
        return str(conversation_id)

    def cases(self) -> dict[int, int | None]:
        """conversation id → case id (None when it has no case yet)."""
        raise NotImplementedError

    def visitor_replies(self) -> dict[int, int]:
        """Agent reply id → conversation id, for the replies the visitor should get by email."""
        return {}

    def support_chat_cases(self) -> int:
        from casedesk.cases.models import Case, CaseSource

        return Case.objects.filter(source=CaseSource.SUPPORT_CHAT).count()


class RealEscalation(EscalationPath):
    """casedesk.support: do_start_conversation → do_request_escalation → escalate_conversation."""

    name = "support.escalate_conversation"
    email_header = "X-Casedesk-Conversation"

    def __init__(self) -> None:
        self.owner: Any = None
        from casedesk.support.escalation import escalate_conversation

        self.task = escalate_conversation

    def setup(self, count: int, seed: int) -> list[int]:
        from casedesk.accounts.models import Agency, Membership, Role, User
        from casedesk.support.actions import do_start_conversation
        from casedesk.support.models import WidgetSettings

        agency = Agency.objects.create(name="Chaos Agency", slug=f"chaos-{seed}")
        owner = User.objects.create_user(f"owner-{seed}@chaos.test", None, name="Chaos Owner")
        Membership.objects.create(user=owner, agency=agency, role=Role.OWNER)
        # Replies are emailed at once (no "seen" wait), so every request also exercises that email.
        WidgetSettings.objects.create(agency=agency, unseen_reply_email_minutes=0)
        self.owner = owner
        return [do_start_conversation(agency=agency, subject=f"Chaos question {n}").pk for n in range(count)]

    def request(self, conversation_id: int) -> None:
        from casedesk.support.actions import do_reply_as_agent, do_request_escalation, do_set_answer_email
        from casedesk.support.models import Conversation

        conversation = Conversation.objects.get(pk=conversation_id)
        do_request_escalation(conversation=conversation)
        # The visitor left an address; a person answers; the visitor never sees it in the widget.
        do_set_answer_email(conversation=conversation, email=f"visitor-{conversation_id}@chaos.test")
        do_reply_as_agent(conversation=conversation, user=self.owner, body="A person answers.")

    def visitor_replies(self) -> dict[int, int]:
        from casedesk.support.models import ConversationMessage, MessageKind

        rows = ConversationMessage.objects.filter(kind=MessageKind.AGENT, author_user=self.owner)
        return dict(rows.values_list("pk", "conversation_id"))

    def cases(self) -> dict[int, int | None]:
        from casedesk.support.models import Conversation

        return dict(Conversation.objects.values_list("pk", "case_id"))


class StandInEscalation(EscalationPath):
    """casedesk.chaos.standin: the stand-in used until the support app's escalation exists."""

    name = "chaos.escalate_conversation (stand-in)"
    email_header = "X-Chaos-Key"

    def __init__(self) -> None:
        from casedesk.chaos.standin import escalate_chaos_conversation

        self.task = escalate_chaos_conversation
        self.keys: dict[int, str] = {}

    def setup(self, count: int, seed: int) -> list[int]:
        from casedesk.accounts.models import Agency
        from casedesk.chaos.models import ChaosConversation

        agency = Agency.objects.create(name="Chaos Agency", slug=f"chaos-{seed}")
        rows = ChaosConversation.objects.bulk_create(
            [ChaosConversation(agency=agency, key=f"c{seed}-{n}") for n in range(count)]
        )
        ids = [row.pk for row in ChaosConversation.objects.filter(agency=agency).order_by("pk")]
        self.keys = dict(ChaosConversation.objects.filter(agency=agency).values_list("pk", "key"))
        assert len(rows) == len(ids)
        return ids

    def request(self, conversation_id: int) -> None:
        from casedesk.chaos.standin import do_request_chaos_escalation

        do_request_chaos_escalation(conversation_id)

    def fault_key(self, conversation_id: int) -> str:
        return self.keys[conversation_id]

    def cases(self) -> dict[int, int | None]:
        from casedesk.chaos.models import ChaosConversation

        return dict(ChaosConversation.objects.values_list("pk", "case_id"))


def pick_path(wanted: str) -> EscalationPath:
    if wanted in ("auto", "real"):
        try:
            return RealEscalation()
        except ImportError:
            if wanted == "real":
                raise
    return StandInEscalation()


# --- the SMTP sink ----------------------------------------------------------------------------


class Sink:
    """A local aiosmtpd server that counts notification emails per conversation; can be stopped."""

    def __init__(self, header: str) -> None:
        self.header = header
        self.port = free_port()
        self.received: Counter[str] = Counter()
        self.visitor_replies: Counter[str] = Counter()  # reply id → visitor emails received
        self.total = 0
        self.controller: Any = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.original_content or envelope.content)
        visitor_reply = parsed.get("X-Casedesk-Visitor-Reply")
        if visitor_reply is not None:
            self.visitor_replies[str(visitor_reply)] += 1
        else:
            self.received[str(parsed.get(self.header, "?"))] += 1
        self.total += 1
        return "250 Message accepted for delivery"

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        for _ in range(50):
            try:
                self.controller.start()
                return
            except (OSError, RuntimeError):
                time.sleep(0.1)
        raise RuntimeError("The SMTP sink could not restart on its port.")

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def up(self) -> bool:
        return self.controller is not None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- workers ----------------------------------------------------------------------------------


@dataclass
class Fleet:
    env: dict[str, str]
    size: int
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    started: int = 0
    log: Any = None

    def spawn(self) -> None:
        self.started += 1
        worker_id = f"chaos-{os.getpid()}-{self.started}"
        self.procs[worker_id] = subprocess.Popen(
            casedesk_command("worker", "--worker-id", worker_id, "--interval", "0.2"),
            env=self.env,
            cwd=REPO_ROOT,
            stdout=self.log,
            stderr=self.log,
        )

    def fill(self) -> int:
        """Replace workers that died (killed by a fault); returns how many were restarted."""
        dead = [worker_id for worker_id, proc in self.procs.items() if proc.poll() is not None]
        for worker_id in dead:
            del self.procs[worker_id]
        while len(self.procs) < self.size:
            self.spawn()
        return len(dead)

    def kill_one(self, rng: random.Random) -> bool:
        alive = [proc for proc in self.procs.values() if proc.poll() is None]
        if not alive:
            return False
        os.kill(rng.choice(alive).pid, signal.SIGKILL)
        return True

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 30
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()


# --- the run ----------------------------------------------------------------------------------

FAULTS: list[tuple[str, float, list[dict[str, Any]]]] = [
    ("kill_before_case", 0.015, [{"point": "escalation.before_case_write", "action": "kill", "times": 1}]),
    ("kill_during_case", 0.015, [{"point": "escalation.during_case_write", "action": "kill", "times": 1}]),
    ("kill_after_case", 0.015, [{"point": "escalation.after_case_write", "action": "kill", "times": 1}]),
    ("raise_once", 0.05, [{"point": "escalation.before_case_write", "action": "raise", "times": 1}]),
    ("raise_always", 0.02, [{"point": "escalation.before_case_write", "action": "raise", "times": 1000}]),
    ("email_raise_always", 0.01, [{"point": "escalation.before_email", "action": "raise", "times": 1000}]),
    # The visitor's "a person answered" email (issue 16): each unseen reply mailed once.
    (
        "visitor_email_kill_before_send",
        0.015,
        [{"point": "visitor_email.before_send", "action": "kill", "times": 1}],
    ),
    (
        "visitor_email_raise_once",
        0.03,
        [{"point": "visitor_email.before_send", "action": "raise", "times": 1}],
    ),
    (
        "visitor_email_raise_always",
        0.01,
        [{"point": "visitor_email.before_send", "action": "raise", "times": 1000}],
    ),
]
DUPLICATE_RATE = 0.05


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return round(values[0], 1)
    return round(statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1], 1)


class Harness:
    def __init__(
        self, *, count: int, seed: int, workers: int, path: str, timeout: float, quiet: bool
    ) -> None:
        self.count = count
        self.rng = random.Random(seed)
        self.seed = seed
        self.workers = workers
        self.path = pick_path(path)
        self.timeout = timeout
        self.quiet = quiet
        self.folder = Path(tempfile.mkdtemp(prefix="casedesk-chaos-"))
        (self.folder / "fired").mkdir()
        self.is_postgres = connection.vendor == "postgresql"
        self.injected: Counter[str] = Counter()
        self.planned: Counter[str] = Counter()

    # -- plan and environment --

    def write_plan(self, ids: list[int]) -> None:
        faults: dict[str, list[dict[str, Any]]] = {}
        for conversation_id in ids:
            roll = self.rng.random()
            for name, rate, spec in FAULTS:
                if roll < rate:
                    faults[self.path.fault_key(conversation_id)] = spec
                    self.planned[name] += 1
                    break
                roll -= rate
        (self.folder / "plan.json").write_text(json.dumps({"faults": faults}))

    def worker_env(self, sink: Sink) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                CHAOS_DIR_ENV: str(self.folder),
                "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "EMAIL_HOST": "127.0.0.1",
                "EMAIL_PORT": str(sink.port),
                "CASEDESK_JOBS_HEARTBEAT_SECONDS": "0.5",
                "CASEDESK_JOBS_DEAD_AFTER_SECONDS": "6",
                "CASEDESK_JOBS_SWEEP_SECONDS": "1",
                "CASEDESK_JOBS_RECONCILE_SECONDS": "5",
                "CASEDESK_JOBS_BACKOFF_SCALE": "0.05",
                "CASEDESK_JOBS_POLL_SECONDS": "0.2",
                "CASEDESK_JOBS_SHUTDOWN_GRACE_SECONDS": "5",
                "LOG_LEVEL": "WARNING",
                "PYTHONUNBUFFERED": "1",
            }
        )
        return env

    # -- database faults --

    def database_down(self, seconds: float) -> None:
        (self.folder / "db_down_until").write_text(f"{time.time() + seconds:.3f}")
        self.injected["database_down"] += 1
        if self.is_postgres:
            self._pg_admin(
                f'ALTER DATABASE "{settings.DATABASES["default"]["NAME"]}" WITH ALLOW_CONNECTIONS false'
            )
            self._pg_terminate_workers()

    def database_up(self) -> None:
        if self.is_postgres:
            self._pg_admin(
                f'ALTER DATABASE "{settings.DATABASES["default"]["NAME"]}" WITH ALLOW_CONNECTIONS true'
            )

    def _pg_admin(self, sql: str) -> None:
        import psycopg

        db = settings.DATABASES["default"]
        with psycopg.connect(
            host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], password=db["PASSWORD"] or None,
            dbname="postgres", autocommit=True,
        ) as admin:  # fmt: skip
            admin.execute(sql)  # type: ignore[arg-type]

    def _pg_terminate_workers(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )

    # -- observation --

    def live_tasks(self) -> int:
        return DBTaskResult.objects.filter(
            status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]
        ).count()

    def snapshot(self, sink: Sink) -> dict[str, Any]:
        cases = self.path.cases()
        with_case = {cid for cid, case_id in cases.items() if case_id is not None}
        open_jobs = list(FailedJob.objects.filter(status=FailedJobStatus.OPEN))
        covered = set()
        task_path = self.path.task.module_path
        for job in open_jobs:
            if job.task_path == task_path and job.args:
                covered.add(int(str(job.args[0])))
        lost = [cid for cid in self.ids if cid not in with_case and cid not in covered]
        emails = sink.received
        replies = self.path.visitor_replies()
        visitor_failed = {
            int(str(job.args[0]))
            for job in open_jobs
            if job.task_path == "casedesk.support.visitor_email.send_visitor_reply_email" and job.args
        }
        visitor_lost = [r for r in replies if sink.visitor_replies[str(r)] == 0 and r not in visitor_failed]
        return {
            "requested": self.count,
            "cases": len(with_case & set(self.ids)),
            "failed_jobs": len(open_jobs),
            "lost": len(lost),
            "duplicate_cases": max(0, self.path.support_chat_cases() - len(with_case)),
            "emails_sent": sink.total,
            "duplicate_emails": sum(n - 1 for n in emails.values() if n > 1),
            "visitor_replies": len(replies),
            "visitor_emails_sent": sum(sink.visitor_replies.values()),
            "visitor_emails_lost": len(visitor_lost),
            "duplicate_visitor_emails": sum(n - 1 for n in sink.visitor_replies.values() if n > 1),
            "_lost_ids": lost[:20],
            "_open_jobs": open_jobs,
        }

    def fault_to_failed_job_ms(self, open_jobs: list[FailedJob]) -> list[float]:
        """Per failed job: from the first fault that hit its work (a fired fault-point marker or
        the task's first failed attempt, whichever is earlier) to the FailedJob row."""
        fired: dict[str, float] = {}
        for marker in (self.folder / "fired").iterdir():
            key = marker.name.rsplit(".", 2)[0]
            try:
                at = float(marker.read_text().strip())
            except ValueError:
                continue
            fired[key] = min(at, fired.get(key, at))
        first_failures = {
            task_id: failed_at.timestamp()
            for task_id, failed_at in TaskFailure.objects.filter(
                task_id__in=[job.task_id for job in open_jobs if job.task_id], attempt=1
            ).values_list("task_id", "failed_at")
        }
        delays = []
        for job in open_jobs:
            starts = []
            if job.task_id in first_failures:
                starts.append(first_failures[job.task_id])
            if job.args:
                try:
                    key = self.path.fault_key(int(str(job.args[0])))
                except (KeyError, ValueError):
                    key = ""
                if key in fired:
                    starts.append(fired[key])
            if starts:
                delays.append(max(0.0, (job.created_at.timestamp() - min(starts)) * 1000))
        return delays

    def progress_value(self) -> int:
        snap_cases = {cid for cid, case_id in self.path.cases().items() if case_id is not None}
        failed = FailedJob.objects.filter(status=FailedJobStatus.OPEN).count()
        return min(self.count, len(snap_cases & set(self.ids)) + failed)

    # -- phases --

    def request_some(self, pending: deque[int], budget_seconds: float) -> None:
        """Ask for escalations for up to ``budget_seconds``, so faults overlap the requests."""
        until = time.monotonic() + budget_seconds
        while pending and time.monotonic() < until:
            conversation_id = pending[0]
            try:
                self.path.request(conversation_id)
                if self.rng.random() < DUPLICATE_RATE:
                    with transaction.atomic():
                        self.path.task.enqueue(conversation_id)
                    self.injected["duplicate_delivery"] += 1
            except DatabaseError:
                connection.close()  # the database is "down": try this one again next tick
                return
            pending.popleft()

    def wait_until_quiet(
        self, fleet: Fleet, sink: Sink, *, inject: bool, bar: Any, pending: deque[int] | None = None
    ) -> None:
        pending = pending if pending is not None else deque()
        deadline = time.monotonic() + self.timeout
        quiet_checks = 0
        next_kill = time.monotonic() + self.rng.uniform(2, 5)
        next_smtp = time.monotonic() + self.rng.uniform(3, 8)
        next_db = time.monotonic() + self.rng.uniform(4, 10)
        smtp_back_at = db_back_at = 0.0
        while time.monotonic() < deadline:
            now = time.monotonic()
            fleet.fill()
            if not sink.up and now >= smtp_back_at:
                sink.start()
            if db_back_at and now >= db_back_at:
                self.database_up()
                db_back_at = 0.0
            if inject:
                if now >= next_kill:
                    if fleet.kill_one(self.rng):
                        self.injected["external_kill_9"] += 1
                    next_kill = now + self.rng.uniform(6, 12)
                if now >= next_smtp and sink.up:
                    sink.stop()
                    self.injected["smtp_down"] += 1
                    smtp_back_at = now + self.rng.uniform(1.5, 4)
                    next_smtp = now + self.rng.uniform(12, 20)
                if now >= next_db and not db_back_at:
                    seconds = self.rng.uniform(1.5, 3)
                    self.database_down(seconds)
                    db_back_at = now + seconds
                    next_db = now + self.rng.uniform(15, 25)
            if pending:
                self.request_some(pending, 0.5)
            else:
                time.sleep(0.5)
            try:
                close_old_connections()
                live = self.live_tasks()
                if bar is not None:
                    bar.n = self.progress_value()
                    bar.refresh()
            except DatabaseError:
                connection.close()
                continue
            if live == 0 and sink.up and not db_back_at and not pending:
                quiet_checks += 1
                if quiet_checks >= 3:
                    inject = False
                    try:
                        run_reconciler()
                    except DatabaseError:
                        connection.close()
                        continue
                    if self.live_tasks() == 0:
                        return
            else:
                quiet_checks = 0
        raise RuntimeError(
            f"The queue was still busy after {self.timeout:.0f}s; raise --timeout or lower --count."
        )

    def run(self) -> tuple[dict[str, Any], dict[str, Any]]:
        logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's per-command chatter
        started = time.monotonic()
        self.ids = self.path.setup(self.count, self.seed)
        self.write_plan(self.ids)
        sink = Sink(self.path.email_header)
        sink.start()
        log = open(self.folder / "workers.log", "ab")  # noqa: SIM115
        fleet = Fleet(env=self.worker_env(sink), size=self.workers, log=log)
        fleet.fill()
        bar = None if self.quiet else tqdm(total=self.count, desc="escalations", file=sys.stderr, unit="conv")
        try:
            self.wait_until_quiet(fleet, sink, inject=True, bar=bar, pending=deque(self.ids))
            chaos_seconds = time.monotonic() - started
            first = self.snapshot(sink)
            delays = self.fault_to_failed_job_ms(first.pop("_open_jobs"))
            lost_ids = first.pop("_lost_ids")
            first.update(
                {
                    "fault_to_failed_job_ms": {"p50": percentile(delays, 50), "p95": percentile(delays, 95)},
                    "faults_planned": dict(self.planned),
                    "faults_injected": dict(self.injected),
                    "fault_points_fired": sum(1 for _ in (self.folder / "fired").iterdir()),
                    "workers": self.workers,
                    "worker_starts": fleet.started,
                    "database": connection.vendor,
                    "escalation_path": self.path.name,
                    "seconds": round(chaos_seconds, 1),
                }
            )
            if lost_ids:
                first["lost_ids_sample"] = lost_ids
            # Phase 2: faults off, replay everything in Failed Jobs.
            (self.folder / "off").write_text("off")
            if bar is not None:
                bar.set_description("replaying")
            replayed, problems = do_replay_failed_jobs(
                list(FailedJob.objects.filter(status=FailedJobStatus.OPEN).order_by("id")), actor=None
            )
            self.wait_until_quiet(fleet, sink, inject=False, bar=bar)
            final = self.snapshot(sink)
            final.pop("_open_jobs")
            final.pop("_lost_ids")
            final = {
                "phase": "after_replay",
                "replayed": replayed,
                "replay_problems": problems,
                **final,
                "seconds": round(time.monotonic() - started, 1),
            }
            return first, final
        finally:
            if bar is not None:
                bar.close()
            fleet.stop()
            sink.stop()
            log.close()
