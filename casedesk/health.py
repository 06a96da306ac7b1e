"""Liveness and readiness probes for load balancers and orchestrators.

``/healthz`` answers 200 whenever the process can serve a request; it touches nothing else, so
a slow database never gets a healthy web process restarted.

``/readyz`` answers 200 only when this process can do useful work: the database answers and,
when ``REDIS_URL`` is set, Redis answers. It also reports two figures an operator watches,
without failing on them: the queue age of the oldest pending task (seconds since the oldest
runnable task became runnable) and the number of failed jobs waiting in Admin → Failed Jobs.
Any failed check gives 503 with the reason in the JSON body.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

_redis_client: Any = None


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    checks: dict[str, Any] = {}
    ready = True

    database = _check(_ping_database)
    checks["database"] = database
    ready = ready and database["ok"]

    if getattr(settings, "REDIS_URL", ""):
        redis_check = _check(_ping_redis)
        checks["redis"] = redis_check
        ready = ready and redis_check["ok"]
    else:
        checks["redis"] = {"ok": True, "detail": "not configured (REDIS_URL is empty)"}

    body: dict[str, Any] = {"status": "ok" if ready else "unavailable", "checks": checks}
    if database["ok"]:
        # Figures, not gates: a long queue means "add workers", not "stop sending traffic here".
        body["oldest_pending_task_age_seconds"] = _safe(oldest_pending_task_age_seconds)
        body["failed_jobs"] = _safe(failed_jobs_count)
    return JsonResponse(body, status=200 if ready else 503)


def _check(probe: Any) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        probe()
    except Exception as exc:  # a probe must answer, whatever broke
        return {"ok": False, "detail": f"{type(exc).__name__}: {exc}"}
    return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 2)}


def _safe(figure: Any) -> Any:
    try:
        return figure()
    except Exception:  # a missing table or app must not turn a probe into a 500
        return None


def _ping_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _ping_redis() -> None:
    global _redis_client
    if _redis_client is None:
        import redis

        _redis_client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1, health_check_interval=30
        )
    _redis_client.ping()


def oldest_pending_task_age_seconds(now: datetime | None = None) -> float:
    """Seconds since the oldest runnable READY task became runnable; 0.0 when the queue is empty.

    A task without ``run_after`` is runnable from ``enqueued_at``; a delayed task (a retry with
    backoff) only from its ``run_after``, so waiting out a backoff does not count as queue age.
    """
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult, get_date_max

    now = now or timezone.now()
    ready = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
    no_delay = (
        ready.filter(run_after=get_date_max()).order_by("enqueued_at").values_list("enqueued_at", flat=True)
    ).first()
    delayed = (
        ready.filter(run_after__lte=now).order_by("run_after").values_list("run_after", flat=True)
    ).first()
    candidates = [moment for moment in (no_delay, delayed) if moment is not None]
    if not candidates:
        return 0.0
    return round(max(0.0, (now - min(candidates)).total_seconds()), 3)


def failed_jobs_count() -> int | None:
    """Failed jobs still waiting for a person (None when the jobs app has no such model yet)."""
    try:
        from casedesk.jobs.models import FailedJob  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        return None
    queryset = FailedJob.objects.all()
    open_rows = getattr(queryset, "open", None)
    if callable(open_rows):
        return int(open_rows().count())
    field_names = {field.name for field in FailedJob._meta.get_fields()}
    for closing_field in ("resolved_at", "replayed_at", "discarded_at"):
        if closing_field in field_names:
            queryset = queryset.filter(**{f"{closing_field}__isnull": True})
    return int(queryset.count())
