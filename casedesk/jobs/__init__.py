"""Reliable background work on Django's Tasks API (django-tasks + django-tasks-db).

Define a task with ``durable_task``; enqueue it inside the transaction that needs it::

    @durable_task(kind="mail.send_message_notification", queue="mail", max_attempts=6)
    def send_message_notification(message_id: int, contact_id: int) -> None: ...

    send_message_notification.enqueue(message.pk, contact.pk)   # inside transaction.atomic

What django-tasks-db lacks (retries with backoff, dead-worker recovery, failed jobs with
replay) lives in this package: see ``casedesk/jobs/policy.py`` and ``casedesk/jobs/worker.py``.
"""

from __future__ import annotations

from casedesk.jobs.policy import RetryPolicy, durable_task, policy_for

__all__ = ["RetryPolicy", "durable_task", "policy_for"]
