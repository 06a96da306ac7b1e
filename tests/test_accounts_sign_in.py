"""Signing in and out, password reset, session timeout and deactivated users."""

from __future__ import annotations

import re
from datetime import timedelta

from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client as HttpClient
from django.utils import timezone

from casedesk.jobs.testing import drain_tasks
from tests.conftest import PASSWORD, Cast


def sign_in(email: str, password: str = PASSWORD) -> tuple[HttpClient, object]:
    http = HttpClient()
    response = http.post("/accounts/login/", {"username": email, "password": password})
    return http, response


def test_team_member_signs_in_with_email_in_any_case_and_lands_on_the_case_list(cast: Cast) -> None:
    http, response = sign_in("ALICE@Acme.test")
    assert response.status_code == 302  # type: ignore[attr-defined]
    landing = http.get("/", follow=True)
    assert landing.redirect_chain[-1][0] == "/cases/"
    assert "Spring campaign" in landing.content.decode()


def test_portal_client_lands_on_their_cases(cast: Cast) -> None:
    http, _ = sign_in(cast.carol_user.email)
    landing = http.get("/", follow=True)
    assert landing.redirect_chain[-1][0] == "/my-cases/"


def test_platform_staff_land_on_the_support_console(cast: Cast) -> None:
    http, _ = sign_in(cast.pat.email)
    response = http.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/support/console/"


def test_wrong_password_gets_a_sentence_and_no_session(cast: Cast) -> None:
    http, response = sign_in(cast.alice.email, "not-the-password")
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert "don&#x27;t match an active account" in response.content.decode()  # type: ignore[attr-defined]
    assert http.get("/cases/").status_code == 302


def test_deactivated_user_cannot_sign_in_and_is_told_the_same_as_a_wrong_password(cast: Cast) -> None:
    _, response = sign_in(cast.vic.email)
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert "match an active account" in response.content.decode()  # type: ignore[attr-defined]


def test_deactivating_a_user_ends_their_existing_sessions(cast: Cast) -> None:
    http, _ = sign_in(cast.bob.email)
    assert http.get("/cases/").status_code == 200
    cast.bob.is_active = False
    cast.bob.save()
    response = http.get("/cases/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_sessions_time_out(cast: Cast) -> None:
    http, _ = sign_in(cast.bob.email)
    assert http.get("/cases/").status_code == 200
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    assert http.get("/cases/")["Location"].startswith("/accounts/login/")


def test_sign_out_is_a_post_and_ends_the_session(cast: Cast) -> None:
    http, _ = sign_in(cast.bob.email)
    assert http.post("/accounts/logout/").status_code == 302
    assert http.get("/cases/").status_code == 302


def test_password_reset_emails_a_working_link_to_site_url(cast: Cast, settings: object) -> None:
    http = HttpClient()
    response = http.post("/accounts/password-reset/", {"email": "bob@ACME.test"})
    assert response["Location"] == "/accounts/password-reset/sent/"
    drain_tasks()  # the email is a durable task
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert mail.outbox[0].to == ["bob@acme.test"]
    match = re.search(r"http://127\.0\.0\.1:8000(/accounts/password-reset/\S+/)", str(body))
    assert match, body
    page = http.get(match.group(1), follow=True)
    assert "Choose a new password" in page.content.decode()
    new = "a-brand-new-password-77"
    done = http.post(page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert done["Location"] == "/accounts/password-reset/done/"
    _, signed = sign_in(cast.bob.email, new)
    assert signed.status_code == 302  # type: ignore[attr-defined]


def test_password_reset_for_an_unknown_address_looks_the_same_and_sends_nothing(cast: Cast) -> None:
    response = HttpClient().post("/accounts/password-reset/", {"email": "nobody@nowhere.test"})
    assert response["Location"] == "/accounts/password-reset/sent/"
    drain_tasks()
    assert mail.outbox == []


def test_sign_in_page_works_on_a_phone_viewport_markup(cast: Cast) -> None:
    body = HttpClient().get("/accounts/login/").content.decode()
    assert 'name="viewport"' in body
    assert 'name="username"' in body and 'type="email"' in body
