"""The dev mailbox shows each person only the mail they may see, and replies only on that mail.

Platform staff: everything. An agency's team: the mail sent for that agency (to its clients'
contacts and to its teammates). Anyone with an account: the mail addressed to them. Magic-link
sessions and anonymous visitors: nothing. Off under production settings.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client as HttpClient

from casedesk.cases.actions import do_post_message
from casedesk.mail.models import CapturedEmail, InboundEmail
from casedesk.mail.smtpd import start_embedded_smtpd
from tests.conftest import Cast
from tests.fixtures.eml.helpers import posted

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def demo_mailbox(settings: Any) -> None:
    settings.DEMO_MODE = True
    settings.EMAIL_BACKEND = "casedesk.mail.devmailbox.DevMailboxBackend"


def _mail_of_both_agencies(cast: Cast, run_tasks: Callable[[], int]) -> dict[str, CapturedEmail]:
    """Real notifications of agency A (to Carol and Erin) and B (to Uma), and Bob's password reset."""
    do_post_message(case=cast.case_a, body="Draft for Globex", author_user=cast.bob)
    do_post_message(case=cast.case_b, body="Draft for Umbrella", author_user=cast.dave)
    run_tasks()
    HttpClient().post("/accounts/password-reset/", {"email": cast.bob.email})
    run_tasks()  # account emails are sent by a durable task too
    by_recipient = {row.to_addresses[0]: row for row in CapturedEmail.objects.all()}
    assert set(by_recipient) == {cast.carol.email, cast.erin.email, cast.uma.email, cast.bob.email}
    return by_recipient


def _listed(http: HttpClient) -> set[str]:
    response = http.get("/dev/mailbox")
    assert response.status_code == 200
    body = response.content.decode()
    return {address for address in _ADDRESSES if f"To {address}" in body}


_ADDRESSES = ("carol@globex.test", "erin@globex.test", "uma@umbrella.test", "bob@acme.test")


@pytest.mark.django_db
def test_each_viewer_lists_only_the_mail_they_may_see(
    cast: Cast, run_tasks: Callable[[], int], demo_mailbox: None, django_assert_max_num_queries: Any
) -> None:
    _mail_of_both_agencies(cast, run_tasks)
    acme = {"carol@globex.test", "erin@globex.test"}
    assert _listed(cast.login(cast.alice)) == acme  # not B's mail, not Bob's password reset
    assert _listed(cast.login(cast.bob)) == acme | {"bob@acme.test"}
    assert _listed(cast.login(cast.dave)) == {"uma@umbrella.test"}
    assert _listed(cast.login(cast.carol_user)) == {"carol@globex.test"}
    assert _listed(cast.login(cast.frank_user)) == set()
    assert _listed(cast.login(cast.pat)) == set(_ADDRESSES)
    anonymous = HttpClient().get("/dev/mailbox")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    assert cast.magic_client().get("/dev/mailbox").status_code == 404
    http = cast.login(cast.pat)
    http.get("/dev/mailbox")
    with django_assert_max_num_queries(8):  # 5 measured, whatever the number of emails
        http.get("/dev/mailbox")


@pytest.mark.django_db
def test_mail_of_another_agency_is_404_on_every_page_and_its_reply_is_refused(
    cast: Cast, run_tasks: Callable[[], int], demo_mailbox: None
) -> None:
    mail = _mail_of_both_agencies(cast, run_tasks)
    to_carol = mail[cast.carol.email]
    dave = cast.login(cast.dave)
    assert dave.get(f"/dev/mailbox/{to_carol.pk}/").status_code == 404
    assert dave.get(f"/dev/mailbox/{to_carol.pk}/html").status_code == 404
    assert dave.post(f"/dev/mailbox/{to_carol.pk}/reply", {"body": "Hijack"}).status_code == 404
    # Guessed ids get the same answer as ids that exist.
    assert dave.post("/dev/mailbox/999999/reply", {"body": "Hijack"}).status_code == 404
    assert dave.get("/dev/mailbox/not-a-number/").status_code == 404
    # A client sees their own mail, not a colleague's on the same case.
    carol = cast.login(cast.carol_user)
    assert b"Reply as this contact" in carol.get(f"/dev/mailbox/{to_carol.pk}/").content
    assert carol.get(f"/dev/mailbox/{mail[cast.erin.email].pk}/").status_code == 404
    # An owner does not read a teammate's password reset.
    assert cast.login(cast.alice).get(f"/dev/mailbox/{mail[cast.bob.email].pk}/").status_code == 404


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def inbound_port(settings: Any) -> Iterator[int]:
    port = _free_port()
    settings.INBOUND_SMTP_HOST, settings.INBOUND_SMTP_PORT = "127.0.0.1", port
    stop = start_embedded_smtpd("127.0.0.1", port)
    try:
        yield port
    finally:
        stop()


def _wait_for_inbound(count: int) -> None:
    deadline = time.monotonic() + 10
    while InboundEmail.objects.count() < count:
        assert time.monotonic() < deadline, "the reply never reached the inbound SMTP server"
        time.sleep(0.05)


@pytest.mark.django_db(transaction=True)
def test_a_client_replies_as_themselves_through_the_inbound_pipeline_and_nobody_else_can(
    cast: Cast, run_tasks: Callable[[], int], demo_mailbox: None, inbound_port: int
) -> None:
    do_post_message(case=cast.case_a, body="Which colour?", author_user=cast.bob)
    run_tasks()
    to_carol = CapturedEmail.objects.get(to_addresses=[cast.carol.email])
    refused = cast.login(cast.dave).post(f"/dev/mailbox/{to_carol.pk}/reply", {"body": "Hijack"})
    assert refused.status_code == 404
    sent = cast.login(cast.carol_user).post(f"/dev/mailbox/{to_carol.pk}/reply", {"body": "Blue, please."})
    assert sent.status_code == 302
    _wait_for_inbound(1)
    run_tasks()
    row = InboundEmail.objects.get()
    message = posted(row)
    assert message.body == "Blue, please." and message.author_contact == cast.carol
    assert message.case == cast.case_a


def test_dev_mailbox_stays_off_under_production_settings_whatever_the_environment_says() -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "casedesk.settings_production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": "postgres://casedesk@127.0.0.1:5432/casedesk",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "ALLOWED_HOSTS": "casedesk.example.com",
        # Someone copied the demo's environment into production.
        "CASEDESK_DEMO": "1",
        "DEBUG": "1",
    }
    env.pop("EMAIL_BACKEND", None)
    script = (
        "import django; django.setup()\n"
        "from django.conf import settings\n"
        "from django.http import Http404\n"
        "from django.test import RequestFactory\n"
        "from casedesk.mail import access, views\n"
        "print('enabled', access.dev_mailbox_enabled())\n"
        "print('backend', settings.EMAIL_BACKEND)\n"
        "for view, args in ((views.dev_mailbox, ()), (views.dev_mailbox_detail, (1,))):\n"
        "    try:\n"
        "        view(RequestFactory().get('/dev/mailbox'), *args)\n"
        "    except Http404:\n"
        "        print('404', view.__name__)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "enabled False" in lines
    assert "backend django.core.mail.backends.smtp.EmailBackend" in lines
    assert "404 dev_mailbox" in lines and "404 dev_mailbox_detail" in lines


@pytest.mark.django_db
def test_mail_captured_before_the_upgrade_gets_its_owner_from_the_migration(
    cast: Cast, run_tasks: Callable[[], int], demo_mailbox: None
) -> None:
    import importlib

    from django.apps import apps

    mail = _mail_of_both_agencies(cast, run_tasks)
    CapturedEmail.objects.update(agency=None, recipient_user=None)  # as stored before the migration
    migration = importlib.import_module("casedesk.mail.migrations.0003_captured_email_owner")
    migration.fill_owners(apps, None)
    owners = {
        address: (row.agency_id, row.recipient_user_id)
        for address, row in ((a, CapturedEmail.objects.get(pk=r.pk)) for a, r in mail.items())
    }
    assert owners == {
        cast.carol.email: (cast.agency_a.pk, cast.carol_user.pk),
        cast.erin.email: (cast.agency_a.pk, None),
        cast.uma.email: (cast.agency_b.pk, None),
        cast.bob.email: (None, cast.bob.pk),
    }
