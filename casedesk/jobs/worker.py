"""Task workers: ``casedesk worker`` processes and the embedded worker threads of ``casedesk run``.

``CasedeskWorker`` extends django-tasks-db's ``Worker`` with what production needs:

- claiming through ``casedesk.jobs.runner.claim_next`` (SKIP LOCKED on PostgreSQL, an EXCLUSIVE
  transaction on SQLite) and settling through the retry policy (``runner.execute``);
- a heartbeat thread that records the worker's last sign of life every few seconds and, from the
  same thread, runs the dead-worker sweep and the reconciler on their own schedules;
- graceful shutdown: SIGTERM lets the current task finish for ``JOBS_SHUTDOWN_GRACE_SECONDS``,
  then hands it back to READY (without counting the attempt) and exits. A second signal hands it
  back at once. Only the main thread can install signal handlers, so embedded workers (threads)
  are stopped through their ``stop_event`` instead.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from types import FrameType

from django.db import DatabaseError, close_old_connections, connection
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker

from casedesk.jobs import conf
from casedesk.jobs.models import WorkerHeartbeat
from casedesk.jobs.runner import claim_next, execute, hand_back, reset_connection_if_broken

logger = logging.getLogger("casedesk.jobs")


def default_worker_id(suffix: str = "") -> str:
    host = socket.gethostname().split(".")[0][:24]
    return f"{host}-{os.getpid()}-{secrets.token_hex(3)}{suffix}"[:64]


class Heartbeat(threading.Thread):
    """Upserts the worker's ``WorkerHeartbeat`` row; also runs the periodic sweeps."""

    def __init__(self, worker: CasedeskWorker, *, run_sweeps: bool) -> None:
        super().__init__(name=f"heartbeat-{worker.worker_id}", daemon=True)
        self.worker = worker
        self.run_sweeps = run_sweeps
        self.halt = threading.Event()

    def beat(self, *, stopped: bool = False) -> None:
        now = timezone.now()
        WorkerHeartbeat.objects.update_or_create(
            worker_id=self.worker.worker_id,
            defaults={
                "pid": os.getpid(),
                "host": socket.gethostname()[:255],
                "queues": ",".join(self.worker.queue_names)[:255],
                "last_seen": now,
                "current_task_id": None if stopped else self.worker.current_task_id,
                "stopped_at": now if stopped else None,
            },
            create_defaults={
                "pid": os.getpid(),
                "host": socket.gethostname()[:255],
                "queues": ",".join(self.worker.queue_names)[:255],
                "started_at": now,
                "last_seen": now,
                "current_task_id": self.worker.current_task_id,
            },
        )

    def run(self) -> None:
        from casedesk.jobs.reconciler import run_reconciler
        from casedesk.jobs.sweeps import sweep_dead_workers

        interval = conf.heartbeat_seconds()
        next_sweep = time.monotonic() + conf.sweep_seconds() * (0.5 + secrets.randbelow(100) / 100)
        next_reconcile = time.monotonic() + conf.reconcile_seconds() * (0.5 + secrets.randbelow(100) / 100)
        # Sweep only after this worker has been connected for a full dead-after period: right
        # after a database outage every worker's heartbeat looks stale, including live ones.
        connected_since: float | None = time.monotonic()
        try:
            while not self.halt.wait(interval):
                try:
                    self.beat()
                    now = time.monotonic()
                    if connected_since is None:
                        connected_since = now
                    steady = now - connected_since >= conf.dead_after_seconds()
                    if self.run_sweeps and steady and now >= next_sweep:
                        next_sweep = now + conf.sweep_seconds()
                        sweep_dead_workers()
                    if self.run_sweeps and steady and now >= next_reconcile:
                        next_reconcile = now + conf.reconcile_seconds()
                        run_reconciler()
                except Exception as error:
                    connected_since = None
                    logger.warning("Heartbeat of %s failed: %s", self.worker.worker_id, error)
                    with contextlib.suppress(DatabaseError):
                        connection.close()
        finally:
            connection.close()

    def stop(self) -> None:
        self.halt.set()
        if self.is_alive():
            self.join(timeout=10)
        for _ in range(20):
            try:
                self.beat(stopped=True)
                return
            except DatabaseError:
                reset_connection_if_broken()
                time.sleep(0.25)


class CasedeskWorker(Worker):
    def __init__(
        self,
        *,
        queue_names: Iterable[str] = ("*",),
        worker_id: str | None = None,
        interval: float | None = None,
        batch: bool = False,
        max_tasks: int | None = None,
        stop_event: threading.Event | None = None,
        run_sweeps: bool = True,
        grace_seconds: float | None = None,
    ) -> None:
        super().__init__(
            queue_names=list(queue_names),
            interval=conf.poll_seconds() if interval is None else interval,
            batch=batch,
            backend_name="default",
            startup_delay=False,
            max_tasks=max_tasks,
            worker_id=worker_id or default_worker_id(),
            excluded_queue_names=[],
        )
        self.stop_event = stop_event or threading.Event()
        self.current_task_id: uuid.UUID | None = None
        self.heartbeat = Heartbeat(self, run_sweeps=run_sweeps)
        self.grace_seconds = conf.shutdown_grace_seconds() if grace_seconds is None else grace_seconds
        self._grace_timer: threading.Timer | None = None

    # --- signals (main thread only) -----------------------------------------------------------

    def configure_signals(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            logger.info("Worker %s runs in a thread; stop it with its stop_event.", self.worker_id)
            return
        super().configure_signals()

    def shutdown(self, signum: int, frame: FrameType | None) -> None:
        if not self.running:
            logger.warning(
                "Second %s: handing the current task back and exiting now.", signal.strsignal(signum)
            )
            self._abandon_and_exit()
            return
        logger.warning(
            "Received %s: finishing the current task (up to %gs), then exiting.",
            signal.strsignal(signum),
            self.grace_seconds,
        )
        self.running = False
        self.stop_event.set()
        if self.current_task_id is not None:
            self._grace_timer = threading.Timer(self.grace_seconds, self._abandon_and_exit)
            self._grace_timer.daemon = True
            self._grace_timer.start()

    def _abandon_and_exit(self) -> None:
        task_id = self.current_task_id
        if task_id is not None:
            try:
                handed = hand_back(task_id, self.worker_id)
                logger.warning(
                    "Task %s %s.", task_id, "handed back to READY" if handed else "already settled"
                )
            except Exception:
                logger.exception("Could not hand task %s back; the sweep will take it.", task_id)
        try:
            self.heartbeat.beat(stopped=True)
        except Exception:
            logger.warning("Could not record the stop of %s.", self.worker_id)
        os._exit(1)

    # --- loop ---------------------------------------------------------------------------------

    def should_run(self) -> bool:
        return self.running and not self.stop_event.is_set()

    def run(self) -> None:
        logger.info(
            "Starting worker %s on queues %s (pid %d)",
            self.worker_id,
            ",".join(self.queue_names),
            os.getpid(),
        )
        try:
            self.heartbeat.beat()
        except DatabaseError as error:
            logger.warning("First heartbeat of %s failed: %s", self.worker_id, error)
            reset_connection_if_broken()
        self.heartbeat.start()
        try:
            while self.should_run():
                try:
                    close_old_connections()
                    result = claim_next(self.worker_id, self.queue_names)
                except DatabaseError as error:
                    logger.warning("Worker %s could not claim work: %s", self.worker_id, error)
                    with contextlib.suppress(DatabaseError):
                        connection.close()
                    self.stop_event.wait(min(self.interval, 1.0) or 0.2)
                    continue
                if result is None:
                    if self.batch:
                        break
                    self.stop_event.wait(self.interval)
                    continue
                self.run_task(result)
                if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                    break
        finally:
            if self._grace_timer is not None:
                self._grace_timer.cancel()
            self.heartbeat.stop()
            connection.close()
            logger.info("Worker %s stopped after %d task(s).", self.worker_id, self._run_tasks)

    def run_task(self, db_task_result: object) -> None:
        from django_tasks_db.models import DBTaskResult

        assert isinstance(db_task_result, DBTaskResult)
        self.running_task = True
        self.current_task_id = db_task_result.pk
        try:
            execute(db_task_result, self.worker_id)
        except Exception:
            # Only bookkeeping can land here (the database stayed down for minutes); the task
            # is still RUNNING under our id, and the sweep will settle it once we are gone.
            logger.exception("Could not settle task %s; leaving it to the sweep.", db_task_result.pk)
            self.running = False
        finally:
            self.current_task_id = None
            self.running_task = False
            self._run_tasks += 1


def start_embedded_worker(threads: int = 1, queue_names: Iterable[str] = ("*",)) -> Callable[[], None]:
    """Start worker thread(s) inside this process (embedded mode); returns a stop function.

    ``stop()`` asks the threads to finish their current task, waits up to the shutdown grace
    period, and hands any task still running back to READY.
    """
    stop_event = threading.Event()
    workers = [
        CasedeskWorker(
            queue_names=queue_names, worker_id=default_worker_id(f"-embedded{index}"), stop_event=stop_event
        )
        for index in range(max(1, threads))
    ]
    runners = [
        threading.Thread(target=worker.run, name=f"worker-{worker.worker_id}", daemon=True)
        for worker in workers
    ]
    for runner in runners:
        runner.start()

    def stop() -> None:
        stop_event.set()
        deadline = time.monotonic() + conf.shutdown_grace_seconds()
        for worker, runner in zip(workers, runners, strict=True):
            worker.running = False
            runner.join(timeout=max(0.0, deadline - time.monotonic()))
            if runner.is_alive() and worker.current_task_id is not None:
                hand_back(worker.current_task_id, worker.worker_id)

    return stop
