"""Error pages in casedesk's own look: a sentence, what to do, a link home; never Django's debug
pages, a traceback, the URL list or a setting. Under /api/ every error is JSON instead."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client as HttpClient

from tests.conftest import Cast

ROOT = Path(__file__).resolve().parent.parent
LEAKS = ("Traceback", "URLconf", "urlpatterns", "SECRET_KEY", "do-not-show-me", "DEBUG", "settings.py")


def _assert_casedesk_page(response: Any, status: int, heading: str) -> str:
    assert response.status_code == status
    html = response.content.decode()
    assert heading in html
    assert 'href="/"' in html  # a link home
    assert "casedesk" in html
    for leak in LEAKS:
        assert leak not in html, leak
    return html


@pytest.mark.parametrize("who", ["team", "client", "anonymous"])
@pytest.mark.parametrize(
    "path", ["/no-such-page", "/cases/999999/", "/my-cases/999999/", "/s/no-such-agency/"]
)
def test_404_is_casedesk_s_page_for_everyone(cast: Cast, who: str, path: str) -> None:
    http = {"team": cast.login(cast.alice), "client": cast.login(cast.carol_user), "anonymous": HttpClient()}[
        who
    ]
    response = http.get(path)
    if response.status_code == 302:  # signed-out visitors of the team app go to sign in first
        assert who == "anonymous"
        return
    html = _assert_casedesk_page(response, 404, "We can't find that page")
    assert "auth-card" in html  # the sign-in card's look


@pytest.mark.urls("tests.error_urls")
def test_403_and_400_pages_say_what_happened_without_the_reason(cast: Cast) -> None:
    http = cast.login(cast.bob)
    _assert_casedesk_page(http.get("/test-errors/forbidden/"), 403, "You can't do that with this account")
    _assert_casedesk_page(http.get("/test-errors/bad-request/"), 400, "We couldn't understand that request")


def test_a_form_without_a_boundary_is_the_400_page(cast: Cast) -> None:
    response = HttpClient().post("/accounts/login/", b"x", content_type="multipart/form-data")
    _assert_casedesk_page(response, 400, "We couldn't understand that request")


def test_csrf_failure_is_casedesk_s_page(cast: Cast) -> None:
    response = HttpClient(enforce_csrf_checks=True).post(
        "/accounts/login/", {"username": "x", "password": "y"}
    )
    _assert_casedesk_page(response, 403, "That form had expired")


@pytest.mark.urls("tests.error_urls")
def test_500_page_never_shows_the_error(cast: Cast) -> None:
    http = cast.login(cast.bob)
    http.raise_request_exception = False
    _assert_casedesk_page(http.get("/test-errors/crash/"), 500, "Something went wrong on our side")


def _failing_context_processor(request: Any) -> dict[str, Any]:
    raise RuntimeError("the database is down")


@pytest.mark.urls("tests.error_urls")
def test_500_page_renders_when_context_processors_and_the_database_fail(
    cast: Cast, settings: Any, django_db_blocker: Any
) -> None:
    settings.TEMPLATES = [
        {
            **settings.TEMPLATES[0],
            "OPTIONS": {"context_processors": ["tests.test_error_pages._failing_context_processor"]},
        }
    ]
    http = HttpClient(raise_request_exception=False)
    # A 404 needs the context processors, so it fails too, and the 500 page still renders.
    _assert_casedesk_page(http.get("/no-such-page"), 500, "Something went wrong on our side")
    with django_db_blocker.block():  # no database at all
        _assert_casedesk_page(http.get("/test-errors/crash/"), 500, "Something went wrong on our side")


@pytest.mark.urls("tests.error_urls")
def test_api_crash_is_json_not_the_html_page(cast: Cast) -> None:
    response = HttpClient(raise_request_exception=False).get("/api/test-errors/crash")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == "server_error" and body["detail"].endswith(".")
    assert "do-not-show-me" not in response.content.decode()


def _settings_debug(**env: str) -> str:
    clean = {
        k: v for k, v in os.environ.items() if k not in ("DEBUG", "CASEDESK_DEBUG", "DJANGO_SETTINGS_MODULE")
    }
    result = subprocess.run(
        [sys.executable, "-c", "from casedesk import settings; print(settings.DEBUG, settings.DEMO_MODE)"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip()


def test_embedded_settings_run_with_debug_off_unless_casedesk_debug_is_set() -> None:
    assert _settings_debug() == "False True"  # debug off, demo conveniences (dev mailbox) on
    assert _settings_debug(DEBUG="1") == "False True"  # the generic name does not turn it on
    assert _settings_debug(CASEDESK_DEBUG="1") == "True True"
