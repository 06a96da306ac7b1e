"""/healthz and /readyz: what a load balancer and an operator see."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.test import Client as HttpClient
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from casedesk import health


def _ready_task(enqueued_ago: timedelta, run_after: Any = None) -> DBTaskResult:
    from django_tasks_db.models import get_date_max

    row = DBTaskResult.objects.create(
        status="READY",
        args_kwargs={"args": [], "kwargs": {}},
        task_path="casedesk.tests.fake_task",
        queue_name="default",
        backend_name="default",
        run_after=run_after or get_date_max(),
        exception_class_path="",
        traceback="",
    )
    DBTaskResult.objects.filter(pk=row.pk).update(enqueued_at=timezone.now() - enqueued_ago)
    return row


def test_healthz_answers_without_touching_the_database(client: HttpClient) -> None:
    # No `db` fixture: pytest-django would fail the test on any query.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_is_ok_with_an_empty_queue(client: HttpClient, settings: Any) -> None:
    settings.REDIS_URL = ""
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["oldest_pending_task_age_seconds"] == 0.0


@pytest.mark.django_db
def test_readyz_reports_the_age_of_the_oldest_pending_task(client: HttpClient, settings: Any) -> None:
    settings.REDIS_URL = ""
    _ready_task(timedelta(seconds=90))
    _ready_task(timedelta(seconds=5))
    body = client.get("/readyz").json()
    assert 89 <= body["oldest_pending_task_age_seconds"] < 120


@pytest.mark.django_db
def test_a_task_waiting_out_its_backoff_does_not_count_as_queue_age() -> None:
    now = timezone.now()
    _ready_task(timedelta(hours=1), run_after=now + timedelta(minutes=10))
    assert health.oldest_pending_task_age_seconds(now) == 0.0
    # Once its run_after has passed, its age counts from then, not from when it was enqueued.
    later = now + timedelta(minutes=10, seconds=30)
    assert health.oldest_pending_task_age_seconds(later) == pytest.approx(30, abs=1)


@pytest.mark.django_db
def test_readyz_is_503_with_the_reason_when_the_database_is_down(client: HttpClient, settings: Any) -> None:
    settings.REDIS_URL = ""
    with mock.patch.object(health, "_ping_database", side_effect=RuntimeError("connection refused")):
        response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert "connection refused" in body["checks"]["database"]["detail"]


@pytest.mark.django_db
def test_readyz_is_503_when_redis_is_configured_but_unreachable(client: HttpClient, settings: Any) -> None:
    # Port 9 (discard) on loopback: nothing listens there, so the connection is refused at once.
    settings.REDIS_URL = "redis://127.0.0.1:9/0"
    health._redis_client = None
    try:
        response = client.get("/readyz")
    finally:
        health._redis_client = None
    assert response.status_code == 503
    assert response.json()["checks"]["redis"]["ok"] is False


@pytest.mark.django_db
def test_readyz_checks_redis_when_it_is_configured(client: HttpClient, settings: Any) -> None:
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_connect_timeout=0.5).ping()
    except Exception:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    settings.REDIS_URL = "redis://127.0.0.1:6379/0"
    health._redis_client = None
    try:
        response = client.get("/readyz")
    finally:
        health._redis_client = None
    assert response.status_code == 200
    assert response.json()["checks"]["redis"]["ok"] is True


@pytest.mark.django_db
def test_readyz_reports_failed_jobs_or_none_when_the_jobs_app_has_no_model_yet(client: HttpClient) -> None:
    body = client.get("/readyz").json()
    assert "failed_jobs" in body
    assert body["failed_jobs"] is None or isinstance(body["failed_jobs"], int)
