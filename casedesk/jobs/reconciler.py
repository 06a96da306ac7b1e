"""The reconciler: finds domain objects stuck between states and surfaces each one as a FailedJob.

Apps register checks in a module named ``reconcile`` (``casedesk/<app>/reconcile.py``), which
the reconciler imports on first run, or anywhere else that is imported at startup::

    from casedesk.jobs.reconciler import StuckItem, register_check, stuck_without_live_task

    def escalations_without_case() -> Iterator[StuckItem]:
        return stuck_without_live_task(
            escalate_conversation,  # the task that would finish them: task(conversation.pk)
            Conversation.objects.filter(state="escalating", case=None, ...),
            kind="support.escalate",
            describe=lambda c: {"tenant_id": c.agency_id, "label": f"Conversation #{c.pk}"},
        )

    register_check("support.escalating_without_case", escalations_without_case)

A check should only report objects with no live task (READY or RUNNING). The usual check,
"marked as waiting for task T, and no live T for it", is ``stuck_without_live_task``; checks of
another shape can use ``live_task_args``. Surfacing is idempotent: one *open* FailedJob per
(check, key), enforced by a unique constraint, so running the reconciler every minute never
piles up duplicates.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from casedesk.jobs.models import FailedJob, FailedJobOrigin, FailedJobStatus

logger = logging.getLogger("casedesk.jobs")

RECONCILER_ERROR = "casedesk.jobs.StuckWork"
ESCALATING_WITHOUT_TASK = "Marked escalating, but it has no case and no queued or running escalation task."

M = TypeVar("M", bound=Model)


@dataclass
class StuckItem:
    kind: str
    key: str
    task: Any  # a django-tasks Task, or its dotted path
    args: list[Any] = field(default_factory=list)
    kwargs: dict[str, Any] = field(default_factory=dict)
    tenant_id: int | None = None
    label: str = ""
    url: str = ""
    reason: str = "This work is stuck between states and has no task that would finish it."

    @property
    def task_path(self) -> str:
        return self.task if isinstance(self.task, str) else str(self.task.module_path)

    @property
    def queue_name(self) -> str:
        return "default" if isinstance(self.task, str) else str(self.task.queue_name)


_CHECKS: dict[str, Callable[[], Iterable[StuckItem]]] = {}


def register_check(name: str, func: Callable[[], Iterable[StuckItem]]) -> None:
    """Register (or replace) a check. ``func()`` yields ``StuckItem``s."""
    _CHECKS[name] = func


def unregister_check(name: str) -> None:
    _CHECKS.pop(name, None)


def registered_checks() -> dict[str, Callable[[], Iterable[StuckItem]]]:
    return dict(_CHECKS)


def live_task_args(task_path: str) -> list[dict[str, Any]]:
    """``args_kwargs`` of every READY or RUNNING task at ``task_path`` (for "has a live task?")."""
    return list(
        DBTaskResult.objects.filter(
            task_path=task_path, status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]
        ).values_list("args_kwargs", flat=True)
    )


def stuck_without_live_task(
    task: Any,
    candidates: Iterable[M],
    *,
    kind: str,
    describe: Callable[[M], dict[str, Any]],
    reason: str = ESCALATING_WITHOUT_TASK,
) -> Iterator[StuckItem]:
    """Each of ``candidates`` (rows marked as waiting for ``task(row.pk)``) that has no live task.

    Pass ``candidates`` as a lazy QuerySet: the live tasks are read first and the rows after, so
    a task that finishes in between has already moved its row out of the candidates and cannot
    be mistaken for stuck work. ``describe(row)`` gives the FailedJob's ``tenant_id``, ``label``
    and ``url``.
    """
    live = {tuple(entry.get("args", [])) for entry in live_task_args(task.module_path)}
    for row in candidates:
        if (row.pk,) in live:
            continue
        yield StuckItem(kind=kind, key=str(row.pk), task=task, args=[row.pk], reason=reason, **describe(row))


def _already_failed(item: StuckItem) -> bool:
    """True when an open FailedJob would already replay exactly this task (e.g. it used up its attempts)."""
    wanted = {"args": list(item.args), "kwargs": dict(item.kwargs)}
    open_jobs = FailedJob.objects.filter(status=FailedJobStatus.OPEN, task_path=item.task_path)
    return any(args_kwargs == wanted for args_kwargs in open_jobs.values_list("args_kwargs", flat=True))


def surface(check_name: str, item: StuckItem) -> FailedJob | None:
    """Record one stuck item as an open FailedJob; None when it is already open."""
    dedupe_key = f"{check_name}:{item.key}"[:200]
    if FailedJob.objects.filter(dedupe_key=dedupe_key, status=FailedJobStatus.OPEN).exists():
        return None
    if _already_failed(item):
        return None
    now = timezone.now()
    try:
        with transaction.atomic():
            return FailedJob.objects.create(
                origin=FailedJobOrigin.RECONCILER,
                kind=item.kind,
                tenant_id=item.tenant_id,
                label=(item.label or item.kind)[:255],
                url=item.url[:500],
                task_path=item.task_path,
                args_kwargs={"args": list(item.args), "kwargs": dict(item.kwargs)},
                queue_name=item.queue_name,
                dedupe_key=dedupe_key,
                error_class=RECONCILER_ERROR,
                error_message=item.reason,
                attempts=0,
                first_failed_at=now,
                last_failed_at=now,
                created_at=now,
            )
    except IntegrityError:
        return None  # another worker surfaced it a moment ago


def discover_checks() -> None:
    """Import every installed app's ``reconcile`` module, where checks register themselves."""
    autodiscover_modules("reconcile")


def run_reconciler() -> int:
    """Run every registered check; returns how many new FailedJobs were opened."""
    discover_checks()
    opened = 0
    for name, check in registered_checks().items():
        try:
            for item in check():
                if surface(name, item) is not None:
                    opened += 1
                    logger.warning("Reconciler %s surfaced stuck work %s", name, item.key)
        except Exception:
            logger.exception("Reconciler check %s failed", name)
    return opened
