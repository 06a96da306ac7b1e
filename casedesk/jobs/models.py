"""Bookkeeping for reliable background work.

The queue itself is django-tasks-db's ``DBTaskResult``. These tables add what it lacks:

- ``TaskFailure``: one row per failed attempt of a task (for backoff and first-failure times).
- ``FailedJob``: work that used up its attempts (or that the reconciler found stuck), with
  everything needed to replay it. Shown in Admin → Failed Jobs.
- ``JobAuditEntry``: who replayed or discarded a failed job, when, and why.
- ``WorkerHeartbeat``: each worker's last sign of life; the sweep uses it to find dead workers.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from casedesk.accounts.models import Agency


class TaskFailure(models.Model):
    """One failed attempt of one queued task (``task_id`` is the ``DBTaskResult`` id)."""

    task_id = models.UUIDField(db_index=True)
    attempt = models.PositiveIntegerField()
    worker_id = models.CharField(max_length=64, blank=True)
    error_class = models.CharField(max_length=255)
    error_message = models.TextField(blank=True)
    failed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"attempt {self.attempt} of {self.task_id}: {self.error_class}"


class FailedJobStatus(models.TextChoices):
    OPEN = "open", "Open"
    REPLAYED = "replayed", "Replayed"
    DISCARDED = "discarded", "Discarded"


class FailedJobOrigin(models.TextChoices):
    TASK = "task", "Task used up its attempts"
    RECONCILER = "reconciler", "Found stuck by the reconciler"


class FailedJob(models.Model):
    """Work that did not succeed and needs a person: replay it or discard it with a reason."""

    origin = models.CharField(max_length=12, choices=FailedJobOrigin.choices, default=FailedJobOrigin.TASK)
    kind = models.CharField(max_length=100, db_index=True)
    tenant = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.CASCADE, related_name="failed_jobs"
    )
    label = models.CharField(max_length=255, blank=True)
    url = models.CharField(max_length=500, blank=True)
    task_path = models.CharField(max_length=255)
    args_kwargs = models.JSONField(default=dict)
    queue_name = models.CharField(max_length=32, default="default")
    # The DBTaskResult that failed (None for reconciler findings). Unique: one FailedJob per task.
    task_id = models.UUIDField(null=True, blank=True, unique=True)
    # Reconciler findings carry "<check>:<object key>"; one *open* job per key (see constraints).
    dedupe_key = models.CharField(max_length=200, null=True, blank=True)
    error_class = models.CharField(max_length=255, blank=True)
    error_message = models.TextField(blank=True)
    traceback = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    first_failed_at = models.DateTimeField(default=timezone.now)
    last_failed_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    status = models.CharField(max_length=10, choices=FailedJobStatus.choices, default=FailedJobStatus.OPEN)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution_reason = models.TextField(blank=True)
    replay_task_id = models.UUIDField(null=True, blank=True, db_index=True)
    replay_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replays"
    )

    class Meta:
        ordering = ["-last_failed_at", "-id"]
        indexes = [models.Index(fields=["status", "tenant", "-last_failed_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["dedupe_key"],
                condition=models.Q(status="open", dedupe_key__isnull=False),
                name="one_open_failed_job_per_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.label or self.task_path}"

    @property
    def is_open(self) -> bool:
        return self.status == FailedJobStatus.OPEN

    @property
    def args(self) -> list[object]:
        return list(self.args_kwargs.get("args", []))

    @property
    def kwargs(self) -> dict[str, object]:
        return dict(self.args_kwargs.get("kwargs", {}))


class JobAuditAction(models.TextChoices):
    REPLAY = "replay", "Replayed"
    DISCARD = "discard", "Discarded"


class JobAuditEntry(models.Model):
    """A person's decision about a failed job. Never updated or deleted."""

    failed_job = models.ForeignKey(FailedJob, on_delete=models.CASCADE, related_name="audit_entries")
    action = models.CharField(max_length=10, choices=JobAuditAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(blank=True)
    new_task_id = models.UUIDField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.action} of failed job {self.failed_job_id} by {self.actor_id}"


class WorkerHeartbeat(models.Model):
    """A worker's last sign of life, upserted every few seconds by a background thread."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    pid = models.PositiveIntegerField()
    host = models.CharField(max_length=255)
    queues = models.CharField(max_length=255, default="*")
    started_at = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now, db_index=True)
    current_task_id = models.UUIDField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"worker {self.worker_id} (pid {self.pid} on {self.host})"
