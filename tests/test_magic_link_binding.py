"""A magic link opens the case in the first browser that continues with it, and only there.

Another browser gets "email me a fresh link", which goes to the contact's own address through
the durable email task. GETs (mail scanners) never bind or consume. The team sees and revokes a
case's links on its "Client links" tab; revoking ends that browser's access at its next request.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.test import Client as HttpClient

from casedesk.accounts.access import MAGIC_GRANTS_SESSION_KEY
from casedesk.accounts.actions import do_continue_magic_link, do_issue_magic_link, do_revoke_magic_link
from casedesk.accounts.models import MagicLink, hash_token
from casedesk.accounts.views import BROWSER_COOKIE
from casedesk.lib.errors import ActionError
from casedesk.mail.models import EmailKind, OutboundEmail
from casedesk.mail.outbound import send_fresh_magic_link_email
from tests.conftest import Cast

LINK_IN_MAIL = re.compile(r"http://127\.0\.0\.1:8000(/accounts/magic/[\w-]+/)")


def issue(cast: Cast) -> tuple[MagicLink, str]:
    issued = do_issue_magic_link(contact=cast.erin, case=cast.case_a)
    return issued.link, f"/accounts/magic/{issued.token}/"


def test_the_first_browser_to_continue_is_bound_and_gets_a_lasting_httponly_cookie(cast: Cast) -> None:
    link, url = issue(cast)
    first = HttpClient()
    response = first.post(url)
    assert response.status_code == 302
    cookie = response.cookies[BROWSER_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["path"] == "/accounts/magic/"
    assert int(cookie["max-age"]) >= 180 * 24 * 3600
    link.refresh_from_db()
    assert link.browser_hash == hash_token(cookie.value) and link.bound_at is not None
    assert cookie.value not in link.browser_hash


def test_a_second_browser_gets_the_fresh_link_page_and_no_access(cast: Cast) -> None:
    _link, url = issue(cast)
    assert HttpClient().post(url).status_code == 302
    second = HttpClient()
    for response in (second.get(url), second.post(url)):
        assert response.status_code == 403
        assert response["Referrer-Policy"] == "no-referrer"
        body = response.content.decode()
        assert "This link was opened in another browser" in body
        assert "Email me a fresh link" in body and f"{url}resend/" in body
        assert 'name="email"' not in body  # nothing to type: the link goes to the contact's address
    assert MAGIC_GRANTS_SESSION_KEY not in second.session
    assert second.get(f"/my-cases/{cast.case_a.pk}/").status_code == 302  # to sign in: no access


def test_the_bound_browser_continues_again_in_a_new_session(cast: Cast) -> None:
    _, url = issue(cast)
    browser = HttpClient()
    assert browser.post(url).status_code == 302
    browser.cookies.pop("sessionid")  # the session ended (browser restarted); the cookie stays
    assert browser.get(url).status_code == 200
    again = browser.post(url)
    assert again.status_code == 302
    assert "Spring campaign" in browser.get("/my-cases/").content.decode()


def test_gets_from_mail_scanners_never_bind_or_consume_the_link(cast: Cast) -> None:
    link, url = issue(cast)
    for _ in range(3):
        scanner = HttpClient()
        response = scanner.get(url)
        assert response.status_code == 200 and "Continue" in response.content.decode()
        assert BROWSER_COOKIE not in response.cookies
    link.refresh_from_db()
    assert link.browser_hash == "" and link.bound_at is None and link.last_used_at is None
    assert HttpClient().post(url).status_code == 302


def test_of_two_browsers_continuing_at_once_exactly_one_is_bound(cast: Cast) -> None:
    link, _ = issue(cast)
    first = do_continue_magic_link(link=link, browser_secret=None)
    second = do_continue_magic_link(link=link, browser_secret=None)
    assert first is not None and second is None
    assert do_continue_magic_link(link=link, browser_secret=first) == first


def test_a_malformed_browser_cookie_counts_as_no_cookie(cast: Cast) -> None:
    _link, url = issue(cast)
    browser = HttpClient()
    browser.cookies[BROWSER_COOKIE] = "short"
    response = browser.post(url)
    assert response.status_code == 302 and response.cookies[BROWSER_COOKIE].value != "short"


def test_the_fresh_link_goes_to_the_contacts_own_address_by_durable_task_and_opens_here(
    cast: Cast, run_tasks: Callable[[], int]
) -> None:
    _, url = issue(cast)
    assert HttpClient().post(url).status_code == 302
    second = HttpClient()
    # Whatever the form is sent with, the address is never taken from the request.
    response = second.post(f"{url}resend/", {"email": "stranger@evil.test"})
    assert response.status_code == 200
    assert "Check your email" in response.content.decode()
    assert mail.outbox == []  # queued in the transaction, sent by the worker
    assert run_tasks() >= 1
    assert [m.to for m in mail.outbox] == [[cast.erin.email]]
    row = OutboundEmail.objects.get(kind=EmailKind.FRESH_MAGIC_LINK)
    assert row.to_address == cast.erin.email and row.sent_at is not None
    assert row.agency_id == cast.agency_a.pk and row.contact_id == cast.erin.pk
    found = LINK_IN_MAIL.search(str(mail.outbox[0].body))
    assert found, mail.outbox[0].body
    fresh = MagicLink.objects.get(token_hash=hash_token(found.group(1).split("/")[-2]))
    # Idempotent: the task running again (retry, replay) sends nothing more.
    send_fresh_magic_link_email.func(fresh.pk)
    assert len(mail.outbox) == 1
    assert second.post(found.group(1)).status_code == 302
    assert "Spring campaign" in second.get("/my-cases/").content.decode()


def test_no_fresh_link_for_a_revoked_link_or_a_contact_who_left(
    cast: Cast, run_tasks: Callable[[], int]
) -> None:
    from casedesk.cases.actions import do_remove_contact_from_case

    link, url = issue(cast)
    do_revoke_magic_link(link=link, actor=cast.alice)
    assert HttpClient().post(f"{url}resend/").status_code == 200
    _other, other_url = issue(cast)
    do_remove_contact_from_case(case=cast.case_a, contact=cast.erin)
    assert HttpClient().post(f"{other_url}resend/").status_code == 200
    run_tasks()
    assert mail.outbox == []


def test_the_team_lists_a_cases_active_links_and_revoking_ends_the_browsers_access(
    cast: Cast, django_assert_max_num_queries: Any
) -> None:
    link, url = issue(cast)
    unused, _ = issue(cast)
    revoked, _ = issue(cast)
    MagicLink.objects.filter(pk=revoked.pk).update(revoked_at=link.created_at)
    browser = HttpClient()
    assert browser.post(url).status_code == 302
    assert browser.get(f"/my-cases/{cast.case_a.pk}/messages").status_code == 200
    alice = cast.login(cast.alice)
    alice.get(f"/cases/{cast.case_a.pk}/links/")
    with django_assert_max_num_queries(12):  # 9 measured, whatever the number of links
        page = alice.get(f"/cases/{cast.case_a.pk}/links/")
    assert page.status_code == 200
    body = page.content.decode()
    assert body.count('<td data-label="Contact">Erin Nologin') == 2  # bound and unused; not revoked
    assert "Bound to one browser since" in body and "Not opened yet" in body
    assert f"/cases/{cast.case_a.pk}/links/{link.pk}/revoke" in body
    assert f"/links/{revoked.pk}/revoke" not in body
    response = alice.post(f"/cases/{cast.case_a.pk}/links/{link.pk}/revoke")
    assert response.status_code == 302
    link.refresh_from_db()
    assert link.revoked_at is not None
    assert browser.get(f"/my-cases/{cast.case_a.pk}/messages").status_code == 404
    assert "Spring campaign" not in browser.get("/my-cases/").content.decode()
    assert unused.pk in set(MagicLink.objects.usable().values_list("pk", flat=True))


def test_a_link_is_revoked_only_from_its_own_case_by_its_own_team(cast: Cast) -> None:
    link, _ = issue(cast)
    # Another case of the same agency: the id does not belong to it.
    assert cast.login(cast.alice).post(f"/cases/{cast.case_a2.pk}/links/{link.pk}/revoke").status_code == 404
    assert cast.login(cast.dave).post(f"/cases/{cast.case_a.pk}/links/{link.pk}/revoke").status_code == 404
    assert cast.login(cast.carol_user).get(f"/cases/{cast.case_a.pk}/links/").status_code == 404
    with pytest.raises(ActionError, match="Only the agency's team"):
        do_revoke_magic_link(link=link, actor=cast.dave)
    link.refresh_from_db()
    assert link.revoked_at is None


def test_forget_this_browser_drops_the_binding_secret_so_the_link_stops_opening_here(cast: Cast) -> None:
    _, url = issue(cast)
    browser = HttpClient()
    assert browser.post(url).status_code == 302
    response = browser.post("/accounts/logout/")
    assert response.status_code == 302
    dropped = response.cookies[BROWSER_COOKIE]
    assert dropped.value == "" and dropped["path"] == "/accounts/magic/"
    assert browser.get(f"/my-cases/{cast.case_a.pk}/messages").status_code == 302  # to sign in
    assert browser.post(url).status_code == 403  # someone at this computer later: a fresh link only


def test_fresh_link_requests_from_a_second_browser_are_throttled_like_the_request_form(cast: Cast) -> None:
    from casedesk.accounts import throttle

    limit = throttle.rule("magic-link").per_account
    _, url = issue(cast)
    assert HttpClient().post(url).status_code == 302
    second = HttpClient()
    answers = [second.post(f"{url}resend/").status_code for _ in range(limit + 1)]
    assert answers[:limit] == [200] * limit and answers[limit] == 429


def test_a_rolled_back_fresh_link_request_leaves_no_email_task(cast: Cast) -> None:
    from django.db import transaction
    from django_tasks_db.models import DBTaskResult

    from casedesk.accounts.actions import do_send_fresh_magic_link

    link, _ = issue(cast)
    task_path = send_fresh_magic_link_email.module_path
    with pytest.raises(RuntimeError), transaction.atomic():
        assert do_send_fresh_magic_link(link=link) is True
        assert DBTaskResult.objects.filter(task_path=task_path).count() == 1
        raise RuntimeError("crash before commit")
    assert not DBTaskResult.objects.filter(task_path=task_path).exists()
