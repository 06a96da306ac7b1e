"""Sign-in, magic-link requests and password resets are throttled per account and per IP, with a
429 page (or JSON) and Retry-After; the counters hold across processes through a shared cache."""

from __future__ import annotations

import socket
import uuid
from typing import Any

import pytest
from django.core import mail
from django.test import Client as HttpClient

from casedesk.accounts import throttle
from casedesk.accounts.models import MagicLink
from casedesk.jobs.testing import drain_tasks
from tests.conftest import PASSWORD, Cast

LOGIN = "/accounts/login/"
RESET = "/accounts/password-reset/"


def sign_in(http: HttpClient, email: str, password: str, **extra: Any) -> Any:
    return http.post(LOGIN, {"username": email, "password": password}, **extra)


def test_thirty_wrong_passwords_get_429_after_the_limit_with_retry_after(cast: Cast) -> None:
    http = HttpClient()
    statuses = [sign_in(http, cast.alice.email, f"wrong-{i}").status_code for i in range(30)]
    limit = throttle.rule("sign-in").per_account
    assert statuses[: limit - 1] == [200] * (limit - 1)  # the form again, with its error
    assert statuses[limit - 1 :] == [429] * (30 - limit + 1)
    response = sign_in(http, cast.alice.email, "wrong-again")
    assert 0 < int(response["Retry-After"]) <= 900
    page = response.content.decode()
    assert "Too many failed sign-ins" in page and "15 minutes" in page
    assert "Content-Security-Policy" in response.headers  # casedesk's page, with its policy


def test_the_right_password_is_refused_while_the_account_is_locked(cast: Cast) -> None:
    http = HttpClient()
    for i in range(throttle.rule("sign-in").per_account):
        sign_in(http, cast.alice.email, f"wrong-{i}")
    response = sign_in(http, cast.alice.email, PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in http.session
    # Another account from the same network is not locked by Alice's failures.
    assert sign_in(HttpClient(), cast.bob.email, PASSWORD).status_code == 302


def test_django_admin_sign_in_is_refused_while_locked(cast: Cast) -> None:
    cast.alice.is_staff = cast.alice.is_superuser = True
    cast.alice.save()
    http = HttpClient()
    for i in range(throttle.rule("sign-in").per_account):
        http.post("/django-admin/login/", {"username": cast.alice.email, "password": f"wrong-{i}"})
    http.post("/django-admin/login/", {"username": cast.alice.email, "password": PASSWORD})
    assert "_auth_user_id" not in http.session
    assert sign_in(HttpClient(), cast.alice.email, PASSWORD).status_code == 429


def test_a_successful_sign_in_clears_the_accounts_failures(cast: Cast) -> None:
    limit = throttle.rule("sign-in").per_account
    for _ in range(3):
        for i in range(limit - 1):
            assert sign_in(HttpClient(), cast.alice.email, f"wrong-{i}").status_code == 200
        assert sign_in(HttpClient(), cast.alice.email, PASSWORD).status_code == 302


def test_one_ip_guessing_many_accounts_is_locked_per_ip(cast: Cast) -> None:
    rule = throttle.rule("sign-in")
    http = HttpClient()
    for i in range(rule.per_ip):
        sign_in(http, f"nobody-{i}@example.test", "guess")  # each account stays under its limit
    assert sign_in(http, cast.bob.email, PASSWORD).status_code == 429
    # Another IP is not affected.
    assert sign_in(HttpClient(REMOTE_ADDR="10.1.2.3"), cast.bob.email, PASSWORD).status_code == 302


def test_api_callers_get_json(cast: Cast) -> None:
    http = HttpClient()
    for i in range(throttle.rule("sign-in").per_account):
        sign_in(http, cast.alice.email, f"wrong-{i}")
    response = sign_in(http, cast.alice.email, "x", HTTP_ACCEPT="application/json")
    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    data = response.json()
    assert data["detail"].startswith("Too many failed sign-ins") and data["retry_after"] > 0
    assert response["Retry-After"] == str(data["retry_after"])


def test_password_reset_requests_are_throttled_per_address(cast: Cast) -> None:
    rule = throttle.rule("password-reset")
    http = HttpClient()
    statuses = [
        http.post(RESET, {"email": cast.alice.email}).status_code for _ in range(rule.per_account + 3)
    ]
    assert statuses == [302] * rule.per_account + [429] * 3
    drain_tasks()  # the reset emails are durable tasks
    assert len(mail.outbox) == rule.per_account
    refused = http.post(RESET, {"email": cast.alice.email})
    assert int(refused["Retry-After"]) > 0 and "Too many password reset requests" in refused.content.decode()
    # Someone else's address from another network still gets its email.
    assert HttpClient(REMOTE_ADDR="10.9.9.9").post(RESET, {"email": cast.bob.email}).status_code == 302


def test_password_reset_requests_are_throttled_per_ip(cast: Cast) -> None:
    rule = throttle.rule("password-reset")
    http = HttpClient()
    for i in range(rule.per_ip):
        assert http.post(RESET, {"email": f"someone-{i}@example.test"}).status_code == 302
    assert http.post(RESET, {"email": cast.bob.email}).status_code == 429


def test_fresh_magic_link_requests_are_throttled(cast: Cast) -> None:
    rule = throttle.rule("magic-link")
    _, token = MagicLink.issue(cast.erin, cast.case_a)
    http = HttpClient()
    url = f"/accounts/magic/{token}/fresh/"
    statuses = [http.post(url, {"email": cast.erin.email}).status_code for _ in range(rule.per_account + 2)]
    assert statuses == [200] * rule.per_account + [429] * 2
    refused = http.post(url, {"email": cast.erin.email})
    assert int(refused["Retry-After"]) > 0
    assert "Too many link requests" in refused.content.decode()
    assert refused["Referrer-Policy"] == "no-referrer"  # the token is in this page's URL


def _redis_url() -> str:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        pytest.skip("Redis is not reachable at 127.0.0.1:6379; start it to test shared counters")
    return "redis://127.0.0.1:6379/0"


def test_counters_are_shared_by_two_cache_clients_on_redis(cast: Cast, settings: Any) -> None:
    """Two web processes = two Redis clients: failures counted through one lock the other."""
    url = _redis_url()
    prefix = f"test-throttle-{uuid.uuid4().hex}"  # never collides with anyone else's keys
    backend = "django.core.cache.backends.redis.RedisCache"
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "process_one": {"BACKEND": backend, "LOCATION": url, "KEY_PREFIX": prefix},
        "process_two": {"BACKEND": backend, "LOCATION": url, "KEY_PREFIX": prefix},
    }
    from django.core.cache import caches

    assert caches["process_one"] is not caches["process_two"]
    http = HttpClient()
    limit = throttle.rule("sign-in").per_account
    try:
        for i in range(limit - 1):
            settings.THROTTLE_CACHE = "process_one" if i % 2 else "process_two"
            assert sign_in(http, cast.alice.email, f"wrong-{i}").status_code == 200
        settings.THROTTLE_CACHE = "process_one"
        assert sign_in(http, cast.alice.email, "wrong-last").status_code == 429
        settings.THROTTLE_CACHE = "process_two"
        refused = sign_in(HttpClient(), cast.alice.email, PASSWORD)
        assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    finally:
        rule = throttle.rule("sign-in")
        keys = [
            throttle._key(rule, scope, kind)
            for scope, _ in throttle._scopes(rule, "127.0.0.1", cast.alice.email)
            for kind in ("count", "lock")
        ]
        caches["process_one"].delete_many(keys)
