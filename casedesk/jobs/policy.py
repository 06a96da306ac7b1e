"""Retry policy per task kind, registered by ``durable_task``."""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.utils.module_loading import import_string
from django_tasks import task

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class RetryPolicy:
    kind: str
    max_attempts: int = 5
    backoff_base_seconds: float = 2.0
    backoff_max_seconds: float = 15 * 60
    retryable: bool = True
    # Describes what a job was about, for Admin → Failed Jobs:
    # (args, kwargs) -> {"tenant_id": int | None, "label": str, "url": str}
    describe: Callable[..., dict[str, Any]] | None = None

    def delay_for(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after the given (1-based) failed attempt.

        Exponential with "equal jitter": a uniform draw from [ceiling/2, ceiling] where
        ceiling = min(max, base * 2**(attempt-1)), so retries spread out but never come early.
        """
        rng = rng or random.Random()
        ceiling = min(self.backoff_max_seconds, self.backoff_base_seconds * (2 ** max(0, attempt - 1)))
        return rng.uniform(ceiling / 2, ceiling)


class PermanentFailure(Exception):
    """Raise from a task to fail it at once, without retries (e.g. its subject no longer exists)."""


_POLICIES: dict[str, RetryPolicy] = {}


def policy_for(task_path: str) -> RetryPolicy:
    """The policy registered for a task path; importing the task registers it if needed."""
    if task_path not in _POLICIES:
        with contextlib.suppress(ImportError):
            import_string(task_path)
    return _POLICIES.get(task_path) or RetryPolicy(kind=task_path)


def durable_task(
    *,
    kind: str,
    queue: str = "default",
    max_attempts: int = 5,
    backoff_base_seconds: float = 2.0,
    retryable: bool = True,
    describe: Callable[..., dict[str, Any]] | None = None,
    priority: int = 0,
    backoff_max_seconds: float = 15 * 60,
) -> Callable[[F], Any]:
    """Declare a background task with its retry policy. Returns a django-tasks ``Task``.

    ``max_attempts`` counts every run, the first included. Failed attempts are retried after
    ``RetryPolicy.delay_for`` (exponential, with jitter); ``retryable=False`` fails at the first
    error. When the attempts are used up the job shows in Admin → Failed Jobs, described by
    ``describe(args, kwargs) -> {"tenant_id", "label", "url"}``.
    """

    def wrap(func: F) -> Any:
        t = task(queue_name=queue, priority=priority)(func)
        _POLICIES[t.module_path] = RetryPolicy(
            kind=kind,
            max_attempts=1 if not retryable else max_attempts,
            backoff_base_seconds=backoff_base_seconds,
            backoff_max_seconds=backoff_max_seconds,
            retryable=retryable,
            describe=describe,
        )
        return t

    return wrap
