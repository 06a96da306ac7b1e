"""Magic links: a contact without portal access gets into exactly one case."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client as HttpClient
from django.utils import timezone

from casedesk.accounts.access import MAGIC_GRANTS_SESSION_KEY
from casedesk.accounts.actions import do_issue_magic_link, do_send_fresh_magic_link
from casedesk.accounts.models import MagicLink, hash_token
from casedesk.cases.actions import do_remove_contact_from_case
from casedesk.lib.errors import ActionError
from tests.conftest import Cast


def issue(cast: Cast) -> tuple[MagicLink, str]:
    issued = do_issue_magic_link(contact=cast.erin, case=cast.case_a)
    return issued.link, issued.token


def test_token_has_at_least_128_random_bits_and_only_its_hash_is_stored(cast: Cast) -> None:
    link, token = issue(cast)
    assert len(token) >= 22  # base64url: 22 chars = 132 bits; new_token() makes 43 (256 bits)
    assert link.token_hash == hash_token(token)
    assert token not in link.token_hash
    assert not MagicLink.objects.filter(token_hash=token).exists()


def test_issued_url_points_at_site_url(cast: Cast) -> None:
    issued = do_issue_magic_link(contact=cast.erin, case=cast.case_a)
    assert issued.url == f"http://127.0.0.1:8000/accounts/magic/{issued.token}/"


def test_a_link_is_only_issued_for_a_contact_on_the_case(cast: Cast) -> None:
    with pytest.raises(ActionError, match="not on this case"):
        do_issue_magic_link(contact=cast.erin, case=cast.case_a2)


def test_get_shows_continue_and_does_not_use_the_token(cast: Cast) -> None:
    link, token = issue(cast)
    http = HttpClient()
    response = http.get(f"/accounts/magic/{token}/")
    assert response.status_code == 200
    assert "Continue" in response.content.decode()
    assert response["Referrer-Policy"] == "no-referrer"
    link.refresh_from_db()
    assert link.last_used_at is None
    assert MAGIC_GRANTS_SESSION_KEY not in http.session
    assert http.get("/my-cases/")["Location"].startswith("/accounts/login/")


def test_post_exchanges_the_token_for_a_session_and_redirects_without_it(cast: Cast) -> None:
    link, token = issue(cast)
    http = HttpClient()
    http.get("/accounts/login/")  # start a session to see that its key changes
    before = http.session.session_key
    response = http.post(f"/accounts/magic/{token}/")
    assert response.status_code == 302
    assert token not in response["Location"]
    assert response["Location"].startswith(f"/my-cases/{cast.case_a.pk}/")
    assert response["Referrer-Policy"] == "no-referrer"
    assert http.session.session_key != before
    assert http.session[MAGIC_GRANTS_SESSION_KEY] == [
        {"link": link.pk, "contact": cast.erin.pk, "case": cast.case_a.pk}
    ]
    link.refresh_from_db()
    assert link.last_used_at is not None


def test_magic_session_opens_exactly_one_case(cast: Cast) -> None:
    http = cast.magic_client()
    listing = http.get("/my-cases/").content.decode()
    assert "Spring campaign" in listing
    assert "Initech rebrand" not in listing and "Umbrella launch" not in listing
    assert http.get(f"/my-cases/{cast.case_a.pk}/").status_code in (200, 302)
    assert http.get(f"/my-cases/{cast.case_a2.pk}/").status_code == 404
    assert http.get(f"/cases/{cast.case_a.pk}/").status_code == 404


def test_a_second_link_adds_a_grant_and_keeps_the_first(cast: Cast) -> None:
    http = cast.magic_client()
    case_c = cast.case_a2
    from casedesk.cases.actions import do_add_contact_to_case

    do_add_contact_to_case(case=case_c, contact=cast.erin)
    second = do_issue_magic_link(contact=cast.erin, case=case_c)
    assert http.post(f"/accounts/magic/{second.token}/").status_code == 302
    assert [g["case"] for g in http.session[MAGIC_GRANTS_SESSION_KEY]] == [cast.case_a.pk, case_c.pk]


@pytest.mark.parametrize("state", ["expired", "revoked", "unknown"])
def test_dead_links_get_a_clear_page_with_a_fresh_link_form(cast: Cast, state: str) -> None:
    link, token = issue(cast)
    if state == "expired":
        MagicLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    elif state == "revoked":
        MagicLink.objects.filter(pk=link.pk).update(revoked_at=timezone.now())
    else:
        token = "x" * 43
    http = HttpClient()
    for response in (http.get(f"/accounts/magic/{token}/"), http.post(f"/accounts/magic/{token}/")):
        assert response.status_code == 410
        assert response["Referrer-Policy"] == "no-referrer"
        body = response.content.decode()
        assert "This link no longer works" in body
        assert f"/accounts/magic/{token}/fresh/" in body
    assert MAGIC_GRANTS_SESSION_KEY not in http.session


def test_removing_the_contact_revokes_the_link_and_ends_the_open_session(cast: Cast) -> None:
    link, token = issue(cast)
    http = HttpClient()
    http.post(f"/accounts/magic/{token}/")
    assert "Spring campaign" in http.get("/my-cases/").content.decode()
    do_remove_contact_from_case(case=cast.case_a, contact=cast.erin)
    link.refresh_from_db()
    assert link.revoked_at is not None
    assert http.get(f"/my-cases/{cast.case_a.pk}/").status_code == 404
    assert "Spring campaign" not in http.get("/my-cases/").content.decode()
    assert http.post(f"/accounts/magic/{token}/").status_code == 410


def _expire(link: MagicLink) -> None:
    MagicLink.objects.filter(pk=link.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1), created_at=timezone.now() - timedelta(days=30)
    )


def test_fresh_link_is_emailed_to_the_contact_and_works(cast: Cast, run_tasks: Callable[[], int]) -> None:
    link, token = issue(cast)
    _expire(link)
    http = HttpClient()
    with_capture = http.post(f"/accounts/magic/{token}/fresh/", {"email": "ERIN@globex.test"})
    run_tasks()
    assert with_capture.status_code == 200
    assert "Check your email" in with_capture.content.decode()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [cast.erin.email]
    found = re.search(r"http://127\.0\.0\.1:8000(/accounts/magic/[\w-]+/)", str(mail.outbox[0].body))
    assert found, mail.outbox[0].body
    assert http.post(found.group(1)).status_code == 302
    assert "Spring campaign" in http.get("/my-cases/").content.decode()


@pytest.mark.parametrize("case", ["wrong address", "unknown token", "removed from case"])
def test_fresh_link_answer_is_the_same_whatever_happened_and_nothing_is_sent(
    cast: Cast, case: str, run_tasks: Callable[[], int]
) -> None:
    link, token = issue(cast)
    _expire(link)
    email = cast.erin.email
    if case == "wrong address":
        email = "someone@else.test"
    elif case == "unknown token":
        token = "y" * 43
    else:
        do_remove_contact_from_case(case=cast.case_a, contact=cast.erin)
    response = HttpClient().post(f"/accounts/magic/{token}/fresh/", {"email": email})
    run_tasks()
    assert response.status_code == 200
    assert (
        "If " in response.content.decode() and "belongs to someone on this case" in response.content.decode()
    )
    assert mail.outbox == []


def test_fresh_links_are_rate_limited_per_contact_and_case(cast: Cast) -> None:
    link, _token = issue(cast)
    _expire(link)
    assert do_send_fresh_magic_link(link=link, confirm_email=cast.erin.email) is True
    assert do_send_fresh_magic_link(link=link, confirm_email=cast.erin.email) is False


def test_continue_needs_the_csrf_token_even_though_the_page_sends_origin_null(cast: Cast) -> None:
    _, token = issue(cast)
    http = HttpClient(enforce_csrf_checks=True)
    page = http.get(f"/accounts/magic/{token}/")
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert csrf
    # A forged cross-site POST (no token) is refused, whatever its Origin.
    assert http.post(f"/accounts/magic/{token}/", headers={"Origin": "null"}).status_code == 403
    assert http.post(f"/accounts/magic/{token}/", headers={"Origin": "https://evil.test"}).status_code == 403
    # The real form: no-referrer makes the browser send Origin: null; the token carries it.
    real = http.post(
        f"/accounts/magic/{token}/", {"csrfmiddlewaretoken": csrf.group(1)}, headers={"Origin": "null"}
    )
    assert real.status_code == 302
