"""`casedesk demo-data`: a believable agency, idempotent, printing every login."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client as HttpClient

from casedesk.accounts.models import Agency, Client, Contact, Membership, Role, User
from casedesk.cases.models import Case, Message
from casedesk.management.commands.demo_data import DEMO_PASSWORD


def run() -> str:
    out = StringIO()
    call_command("demo_data", stdout=out, stderr=StringIO())
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "agencies": Agency.objects.count(),
        "memberships": Membership.objects.count(),
        "clients": Client.objects.count(),
        "contacts": Contact.objects.count(),
        "cases": Case.objects.count(),
        "messages": Message.objects.count(),
    }


@pytest.fixture
def demo(db: None, settings: object) -> str:
    return run()


def test_builds_a_believable_agency(demo: str) -> None:
    agency = Agency.objects.get(slug="northwind")
    roles = sorted(Membership.objects.filter(agency=agency).values_list("role", flat=True))
    assert roles == sorted([Role.OWNER, Role.ADMIN, Role.MEMBER])
    assert Client.objects.filter(agency=agency).count() == 4
    contacts = Contact.objects.filter(agency=agency)
    assert contacts.filter(user__isnull=False).exists() and contacts.filter(user__isnull=True).exists()
    cases = Case.objects.filter(agency=agency)
    assert cases.count() == 10
    assert all(case.messages.exists() for case in cases)
    assert Message.objects.filter(case__agency=agency, internal_only=True).count() >= 3
    assert Message.objects.filter(case__agency=agency, author_contact__isnull=False).exists()
    assert set(cases.values_list("status", flat=True)) == {"open", "waiting", "closed"}
    platform = Agency.objects.get(slug="platform")
    assert platform.is_platform
    assert User.objects.filter(is_platform_staff=True, memberships__agency=platform).exists()
    assert Agency.objects.filter(is_platform=False).exclude(pk=agency.pk).exists()


def test_prints_every_login_and_a_working_magic_link(demo: str) -> None:
    assert DEMO_PASSWORD in demo
    for user in User.objects.all():
        assert user.email in demo
    found = re.search(r"http://127\.0\.0\.1:8000(/accounts/magic/\w+/)", demo)
    assert found, demo
    http = HttpClient()
    assert http.post(found.group(1)).status_code == 302
    listing = http.get("/my-cases/", follow=True)
    assert len(listing.context["cases"]) == 1


def test_printed_owner_signs_in_and_sees_the_case_list(demo: str) -> None:
    http = HttpClient()
    http.post("/accounts/login/", {"username": "maya@northwind.example", "password": DEMO_PASSWORD})
    response = http.get("/cases/?status=all")
    assert response.status_code == 200
    assert len(response.context["cases"]) == 10


def test_second_run_changes_nothing_and_says_so(demo: str) -> None:
    before = counts()
    first_link = re.findall(r"/accounts/magic/\w+/", demo)
    again = run()
    assert counts() == before
    assert "already loaded; nothing changed" in again
    assert re.findall(r"/accounts/magic/\w+/", again) == first_link


def test_the_support_widget_has_a_history_through_the_real_bot(demo: str) -> None:
    from casedesk.accounts.access import viewer_for_user
    from casedesk.support import insights
    from casedesk.support.models import Conversation, ConversationState, Escalation, MessageKind

    agency = Agency.objects.get(slug="northwind")
    conversations = Conversation.objects.filter(agency=agency)
    assert conversations.count() == 9
    answered = conversations.filter(messages__kind=MessageKind.BOT_ANSWER).distinct()
    assert answered.count() == 3 and all(c.state == ConversationState.BOT for c in answered)
    assert Escalation.objects.filter(conversation__agency=agency, reason="low_confidence").count() == 6
    assert conversations.filter(state=ConversationState.WITH_HUMAN, messages__kind=MessageKind.AGENT).exists()
    # Settings → Help centre groups them: the three retainer questions, the two about TikTok ads.
    viewer = viewer_for_user(User.objects.get(email="maya@northwind.example"))
    groups = insights.group_questions(insights.low_confidence_questions(viewer, agency))
    sizes = {len(group.questions): " ".join(q.text for q in group.questions) for group in groups}
    assert sorted(sizes) == [1, 2, 3]
    assert sizes[3].count("retainer") == 3 and sizes[2].count("TikTok") == 2
