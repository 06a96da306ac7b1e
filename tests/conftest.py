"""The fixed test cast, shared by every test (see GUIDE.md).

Agency A ("Acme Agency"): owner Alice, admin Adam, member Bob.
Client "Globex" of A: Carol (contact WITH portal access), Erin (contact WITHOUT portal access).
Client "Initech" of A: Frank (portal contact) — "another client of the same agency".
Agency B ("Bravo Agency"): member Dave (the outsider), client "Umbrella" with contact Uma.
Pat: platform support staff. Vic: a deactivated former member of A.
Case ``case_a`` (A, Globex) has Carol and Erin on it and Bob assigned. ``case_a2`` (A, Initech) has Frank.
``case_b`` belongs to agency B.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client as HttpClient

from casedesk.accounts.models import Agency, Client, Contact, MagicLink, Membership, Role, User
from casedesk.cases.actions import do_create_case
from casedesk.cases.models import Case


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run the browser tests last.

    Playwright's sync API keeps an asyncio loop in the main thread for the rest of the session;
    tests that call ``async_to_sync`` (websocket tests) must run before it starts.
    """
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings_parallel_suffix: None, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """On SQLite, test on a file (WAL, busy timeout) as ``casedesk run`` does, not Django's
    default shared-cache in-memory database.

    In shared-cache mode SQLite locks whole tables between connections and answers "database
    table is locked" at once instead of waiting, so a websocket consumer or worker thread that
    reads while a request thread writes failed at random (the live-queue browser test, the
    embedded-worker test). A file in the session's temporary directory is private to this run.
    """
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        database.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("sqlite") / "test.sqlite3")


PASSWORD = "correct-horse-battery-42"


@dataclass
class Cast:
    agency_a: Agency
    agency_b: Agency
    platform: Agency
    alice: User
    adam: User
    bob: User
    carol_user: User
    frank_user: User
    dave: User
    pat: User
    vic: User
    globex: Client
    initech: Client
    umbrella: Client
    carol: Contact
    erin: Contact
    frank: Contact
    uma: Contact
    case_a: Case
    case_a2: Case
    case_b: Case

    def login(self, user: User) -> HttpClient:
        http = HttpClient()
        http.force_login(user)
        return http

    def magic_client(self, contact: Contact | None = None, case: Case | None = None) -> HttpClient:
        """A browser session that came in through Erin's (or the given contact's) magic link."""
        contact = contact or self.erin
        case = case or self.case_a
        _, token = MagicLink.issue(contact, case)
        http = HttpClient()
        response = http.post(f"/accounts/magic/{token}/")
        assert response.status_code == 302, response.content[:500]
        return http


def make_user(email: str, name: str, **extra: object) -> User:
    return User.objects.create_user(email, PASSWORD, name=name, **extra)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """The cast creates ~10 users per test; PBKDF2's deliberate slowness would dominate the suite."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_local_cache() -> None:
    """Sign-in throttle counters and rate limits live in the cache: one test's failures must not
    lock the next test's accounts. Only the in-process cache is cleared, never a shared Redis."""
    from django.core.cache import caches

    for name in caches:
        backend = caches[name]
        if type(backend).__name__ == "LocMemCache":
            backend.clear()


@pytest.fixture
def cast(db: None) -> Cast:
    # Client email goes out at once in the cast (window 0), as the older mail tests expect;
    # tests/test_mail_digests.py turns the batching window on (the product default is 2 minutes).
    agency_a = Agency.objects.create(name="Acme Agency", slug="acme", email_digest_minutes=0)
    agency_b = Agency.objects.create(name="Bravo Agency", slug="bravo", email_digest_minutes=0)
    platform = Agency.objects.create(name="casedesk Support", slug="platform", is_platform=True)
    alice = make_user("alice@acme.test", "Alice Owner")
    adam = make_user("adam@acme.test", "Adam Admin")
    bob = make_user("bob@acme.test", "Bob Member")
    dave = make_user("dave@bravo.test", "Dave Outsider")
    pat = make_user("pat@casedesk.test", "Pat Support", is_platform_staff=True)
    vic = make_user("vic@acme.test", "Vic Former", is_active=False)
    Membership.objects.create(user=alice, agency=agency_a, role=Role.OWNER)
    Membership.objects.create(user=adam, agency=agency_a, role=Role.ADMIN)
    Membership.objects.create(user=bob, agency=agency_a, role=Role.MEMBER)
    Membership.objects.create(user=vic, agency=agency_a, role=Role.MEMBER)
    Membership.objects.create(user=dave, agency=agency_b, role=Role.OWNER)
    Membership.objects.create(user=pat, agency=platform, role=Role.MEMBER)
    globex = Client.objects.create(agency=agency_a, name="Globex")
    initech = Client.objects.create(agency=agency_a, name="Initech")
    umbrella = Client.objects.create(agency=agency_b, name="Umbrella")
    carol_user = make_user("carol@globex.test", "Carol Client")
    frank_user = make_user("frank@initech.test", "Frank Otherclient")
    carol = Contact.objects.create(
        agency=agency_a, client=globex, name="Carol Client", email=carol_user.email, user=carol_user
    )
    erin = Contact.objects.create(
        agency=agency_a, client=globex, name="Erin Nologin", email="erin@globex.test"
    )
    frank = Contact.objects.create(
        agency=agency_a, client=initech, name="Frank Otherclient", email=frank_user.email, user=frank_user
    )
    uma = Contact.objects.create(
        agency=agency_b, client=umbrella, name="Uma Umbrella", email="uma@umbrella.test"
    )
    case_a = do_create_case(
        agency=agency_a, client=globex, title="Spring campaign", contacts=[carol, erin], members=[bob]
    )
    case_a2 = do_create_case(agency=agency_a, client=initech, title="Initech rebrand", contacts=[frank])
    case_b = do_create_case(
        agency=agency_b, client=umbrella, title="Umbrella launch", contacts=[uma], members=[dave]
    )
    return Cast(
        agency_a=agency_a,
        agency_b=agency_b,
        platform=platform,
        alice=alice,
        adam=adam,
        bob=bob,
        carol_user=carol_user,
        frank_user=frank_user,
        dave=dave,
        pat=pat,
        vic=vic,
        globex=globex,
        initech=initech,
        umbrella=umbrella,
        carol=carol,
        erin=erin,
        frank=frank,
        uma=uma,
        case_a=case_a,
        case_a2=case_a2,
        case_b=case_b,
    )


@pytest.fixture
def run_tasks(db: None) -> Iterator[object]:
    """Call ``run_tasks()`` to run every queued background task now, in this process.

    Tests use the real database task backend, so enqueueing is transactional as in
    production; this drains the queue synchronously (see casedesk.jobs.testing).
    """
    from casedesk.jobs.testing import drain_tasks

    yield drain_tasks
