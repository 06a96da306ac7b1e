"""The benchmark's own data, written in-process through the ORM into the prod-local database.

Seeding bypasses the HTTP layer on purpose (it is set-up, not what is measured); everything
that is measured goes over HTTP to the running topology, except query counts, which are taken
in-process with CaptureQueriesContext against the same database.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

BENCH_PASSWORD = "bench-password-not-secret-42"


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    import django

    django.setup()


@dataclass
class BenchSite:
    agency_id: int
    owner_id: int
    member_ids: list[int]
    contact_ids: list[int]
    portal_user_id: int
    post_case_id: int
    post_case_ids: list[int] = field(default_factory=list)  # posting spread over many threads
    thread_case_ids: dict[int, int] = field(default_factory=dict)  # size -> case id


def _user(email: str, name: str) -> Any:
    from casedesk.accounts.models import User

    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email, BENCH_PASSWORD, name=name)
    return user


def seed_site(thread_sizes: list[int], post_cases: int = 49) -> BenchSite:
    from casedesk.accounts.models import Agency, Client, Contact, Membership, Role
    from casedesk.cases.actions import do_create_case
    from casedesk.cases.models import Case

    # Scenario 1 measures one email per message per contact, as before digests (comparable with
    # earlier runs); what digests save is measured by `make bench-digests`.
    agency, _ = Agency.objects.get_or_create(
        slug="bench", defaults={"name": "Bench Agency", "email_digest_minutes": 0}
    )
    owner = _user("owner@bench.test", "Olive Owner")
    members = [_user(f"member{i}@bench.test", f"Member {i}") for i in range(3)]
    Membership.objects.get_or_create(user=owner, agency=agency, defaults={"role": Role.OWNER})
    for member in members:
        Membership.objects.get_or_create(user=member, agency=agency, defaults={"role": Role.MEMBER})
    client, _ = Client.objects.get_or_create(agency=agency, name="Bench Client")
    portal_user = _user("portal@client.bench.test", "Paula Portal")
    portal_contact, _ = Contact.objects.get_or_create(
        agency=agency,
        email=portal_user.email,
        defaults={"client": client, "name": "Paula Portal", "user": portal_user},
    )
    plain_contact, _ = Contact.objects.get_or_create(
        agency=agency, email="nologin@client.bench.test", defaults={"client": client, "name": "Nora Nologin"}
    )
    contacts = [portal_contact, plain_contact]

    def case_titled(title: str) -> Case:
        existing = Case.objects.filter(agency=agency, title=title).first()
        if existing is not None:
            return existing
        return do_create_case(
            agency=agency, client=client, title=title, contacts=contacts, members=[owner, *members]
        )

    site = BenchSite(
        agency_id=agency.pk,
        owner_id=owner.pk,
        member_ids=[m.pk for m in members],
        contact_ids=[c.pk for c in contacts],
        portal_user_id=portal_user.pk,
        post_case_id=case_titled("Posting benchmark").pk,
    )
    site.post_case_ids = [site.post_case_id] + [
        case_titled(f"Posting benchmark {i}").pk for i in range(1, post_cases)
    ]
    for size in thread_sizes:
        case = case_titled(f"Thread of {size} messages")
        fill_thread(case.pk, size, owner.pk, portal_contact.pk)
        site.thread_case_ids[size] = case.pk
    analyze()
    return site


def analyze() -> None:
    """Refresh the planner's statistics after bulk seeding, as autovacuum would in a while.

    Without it PostgreSQL still believes a case has a handful of messages and plans the first
    page of a 10,000-message thread as a sort of the whole thread.
    """
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def fill_thread(case_id: int, size: int, author_user_id: int, author_contact_id: int) -> None:
    """Bring a case's thread up to ``size`` messages: a realistic mix of team, client and internal."""
    from casedesk.cases.models import Message
    from casedesk.lib.markdown import render_markdown

    have = Message.objects.filter(case_id=case_id).count()
    if have >= size:
        return
    bodies = [
        "Thanks, I have attached the **revised brief** for the spring campaign. Can you check the "
        "budget line for social and let me know by Friday?",
        "Internal: the client asked for a discount last quarter too; keep the scope tight.",
        "Here is the plan:\n\n- draft copy by Tuesday\n- design review Wednesday\n- launch Monday\n\n"
        "See https://example.com/plan for the timeline.",
    ]
    rendered = [render_markdown(b) for b in bodies]
    rows = []
    for i in range(have, size):
        kind = i % 3
        rows.append(
            Message(
                case_id=case_id,
                author_user_id=author_user_id if kind != 0 else None,
                author_contact_id=author_contact_id if kind == 0 else None,
                body=f"{bodies[kind]} (#{i})",
                body_html=rendered[kind],
                internal_only=kind == 1,
                source="web",
            )
        )
    Message.objects.bulk_create(rows, batch_size=2000)


def session_for(user_id: int) -> str:
    """A signed-in session for the user, created directly in the session store; returns its key."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    from casedesk.accounts.models import User

    user = User.objects.get(pk=user_id)
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return str(store.session_key)


def csrf_secret() -> str:
    from django.utils.crypto import get_random_string

    return get_random_string(32)


def cookie_auth(user_id: int) -> dict[str, str]:
    """Headers that sign a request in as the user, with a matching CSRF cookie and header."""
    from django.conf import settings

    session = session_for(user_id)
    csrf = csrf_secret()
    return {
        "Cookie": f"{settings.SESSION_COOKIE_NAME}={session}; {settings.CSRF_COOKIE_NAME}={csrf}",
        "X-CSRFToken": csrf,
    }
