"""Sessions slide their idle timeout forward without a database write on every request."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from casedesk.accounts.middleware import SESSION_REFRESHED_KEY, session_refresh_seconds
from tests.conftest import Cast


def _session_writes(ctx: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].startswith(("UPDATE", "INSERT")) and "django_session" in q["sql"]
    ]


def test_an_unchanged_session_is_not_rewritten_on_every_request(cast: Cast) -> None:
    http = cast.login(cast.bob)
    assert http.get(f"/api/cases/{cast.case_a.pk}").status_code == 200  # first request: refreshed
    with CaptureQueriesContext(connection) as ctx:
        assert http.get(f"/api/cases/{cast.case_a.pk}").status_code == 200
        response = http.post(
            f"/api/cases/{cast.case_a.pk}/messages",
            {"body": "no session write for this"},
            headers={"X-CSRFToken": "x" * 32},
            cookies={settings.CSRF_COOKIE_NAME: "x" * 32},
        )
    assert response.status_code == 201, response.content
    assert _session_writes(ctx) == []


def test_the_idle_timeout_still_slides_forward(cast: Cast) -> None:
    http = cast.login(cast.bob)
    assert http.get("/cases/").status_code == 200
    key = http.cookies[settings.SESSION_COOKIE_NAME].value
    row = Session.objects.get(session_key=key)
    data = row.get_decoded()
    assert isinstance(data[SESSION_REFRESHED_KEY], int)
    # The last write is older than the refresh interval: the next request writes the session
    # again, moving its expiry (and the cookie's) forward.
    data[SESSION_REFRESHED_KEY] -= session_refresh_seconds()
    old_expiry = timezone.now() + timedelta(hours=1)  # as if written long ago
    Session.objects.filter(session_key=key).update(
        session_data=Session.objects.encode(data), expire_date=old_expiry
    )
    response = http.get("/cases/")
    assert response.status_code == 200
    new_expiry = Session.objects.get(session_key=key).expire_date
    assert new_expiry > timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE - 60)
    assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == settings.SESSION_COOKIE_AGE
    assert http.get("/cases/").status_code == 200
