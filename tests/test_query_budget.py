"""The thread page and the API list cost the same number of SQL queries for 10 and 1,000 messages."""

from __future__ import annotations

from collections.abc import Callable

from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from casedesk.api.models import ApiToken
from casedesk.cases.actions import do_post_message
from casedesk.cases.models import Message
from tests.conftest import Cast


def grow_thread(cast: Cast, total: int) -> None:
    """Bulk-insert plain messages (fast), with a few real ones carrying files and client authors."""
    existing = Message.objects.filter(case=cast.case_a).count()
    now = timezone.now()
    Message.objects.bulk_create(
        [
            Message(
                case=cast.case_a,
                author_user=cast.bob if i % 3 else None,
                author_contact=None if i % 3 else cast.carol,
                body=f"message {i}",
                body_html=f"<p>message {i}</p>",
                internal_only=i % 4 == 0,
                created_at=now,
            )
            for i in range(existing, total - 3)
        ]
    )
    for i in range(3):
        do_post_message(
            case=cast.case_a,
            body=f"with file {i}",
            author_user=cast.alice,
            files=[SimpleUploadedFile(f"f{i}.txt", b"hello")],
        )


def count_queries(fn: Callable[[], object]) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def test_thread_page_query_count_does_not_grow_with_the_thread(cast: Cast) -> None:
    team, client = cast.login(cast.bob), cast.login(cast.carol_user)
    grow_thread(cast, 10)
    # The first request of a session created outside the sign-in view stamps its refresh time
    # (casedesk.accounts.middleware.SlidingSessionMiddleware); later ones do not write it.
    team.get("/cases/"), client.get("/my-cases/")
    small_team = count_queries(lambda: team.get(f"/cases/{cast.case_a.pk}/messages/"))
    small_client = count_queries(lambda: client.get(f"/my-cases/{cast.case_a.pk}/messages"))
    grow_thread(cast, 1000)
    assert Message.objects.filter(case=cast.case_a).count() == 1000
    big_team = count_queries(lambda: team.get(f"/cases/{cast.case_a.pk}/messages/"))
    big_client = count_queries(lambda: client.get(f"/my-cases/{cast.case_a.pk}/messages"))
    print(f"thread page queries: team {small_team}→{big_team}, client {small_client}→{big_client}")
    assert big_team == small_team
    assert big_client == small_client
    assert small_team <= 20


def test_api_message_list_query_count_does_not_grow_with_the_thread(cast: Cast) -> None:
    _, raw = ApiToken.issue(cast.bob, "budget")
    http, headers = HttpClient(), {"Authorization": f"Bearer {raw}"}
    url = f"/api/cases/{cast.case_a.pk}/messages"
    grow_thread(cast, 10)
    http.get(url, headers=headers)  # the first use of a token also records when it was last used
    small = count_queries(lambda: http.get(url, headers=headers))
    grow_thread(cast, 1000)
    big = count_queries(lambda: http.get(url, headers=headers))
    response = http.get(url, headers=headers)
    assert len(response.json()["items"]) == 50
    print(f"API list queries: {small}→{big}")
    assert big == small
    assert small <= 12


def test_posting_over_the_api_and_its_email_job_stay_within_budget(cast: Cast) -> None:
    """Scenario 1 of the benchmark, in-process: a client-visible post to a case with 2 contacts.

    The post: the token and its user, the case, the membership, then one transaction (message,
    case times, one email task). The job: claim, the message, the recipients with their reply
    addresses and links, the files, the records, one UPDATE for all sent, settle.
    """
    from django_tasks_db.models import DBTaskResult

    from casedesk.jobs.runner import claim_next, execute

    headers = {"Authorization": f"Bearer {ApiToken.issue(cast.bob, 'budget')[1]}"}
    http = HttpClient()
    url = f"/api/cases/{cast.case_a.pk}/messages"

    def post() -> None:
        response = http.post(url, {"body": "The revised brief is attached."}, headers=headers)
        assert response.status_code == 201

    def run_job() -> None:
        result = claim_next("budget-worker", ["*"])
        assert result is not None
        assert execute(result, "budget-worker", savepoint=True)
        assert claim_next("budget-worker", ["*"]) is None

    # Warm-up: the token's last_used_at, and the first email's reply addresses and magic link
    # (issued once; later emails reuse them).
    post()
    run_job()
    assert count_queries(post) <= 9
    assert DBTaskResult.objects.filter(status="READY").count() == 1
    with CaptureQueriesContext(connection) as job:
        run_job()
    # In a test each transaction is a savepoint pair; PostgreSQL claims in one statement (16
    # there), SQLite in an EXCLUSIVE transaction. Includes the final claim that finds nothing.
    assert len(job.captured_queries) <= 19, [q["sql"][:80] for q in job.captured_queries]
    assert len(mail.outbox) == 4


def test_the_api_post_response_is_what_the_thread_then_shows(cast: Cast) -> None:
    headers = {"Authorization": f"Bearer {ApiToken.issue(cast.bob, 'budget')[1]}"}
    url = f"/api/cases/{cast.case_a.pk}/messages"
    posted = HttpClient().post(
        url,
        {"body": "See **this** @**Nobody Here**", "files": [SimpleUploadedFile("a.txt", b"hello")]},
        headers=headers,
    )
    assert posted.status_code == 201
    listed = HttpClient().get(url, headers=headers).json()["items"][-1]
    created = posted.json()
    assert created["mention_warnings"] and listed["mention_warnings"] == []
    created.pop("mention_warnings")
    listed.pop("mention_warnings")
    assert created == listed
