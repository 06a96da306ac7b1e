"""Settings → Help centre: low-confidence escalations grouped by similarity, turned into example
questions or a draft article; per tenant, for owners and admins only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from casedesk.accounts.access import Viewer
from casedesk.accounts.models import Agency
from casedesk.support import actions, insights
from casedesk.support.help_actions import do_add_example_questions, do_draft_article_from_questions
from casedesk.support.models import Conversation, ConversationMessage, Escalation, HelpArticle
from casedesk.support.triage import service
from tests.conftest import Cast
from tests.support_helpers import triage_stub  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("triage_stub")]

URL = "/settings/help-centre/"
REFUNDS = ["How do I get a refund for my order?", "Can I get a refund on my order", "refund my order please"]
SHIPPING = ["Do you ship to Canada?", "Do you ship to Canadian addresses?", "Is shipping to Canada possible"]
LONE = ["What are your opening hours?", "Can I pay with PayPal?", "Do you sell gift cards?"]


def ask(agency: Agency, question: str) -> Conversation:
    """A visitor asks; the stub triage escalates anything without "invoice" for low confidence
    (and "person" as a request for a person)."""
    conversation = actions.do_start_conversation(agency=agency)
    actions.do_post_visitor_message(conversation=conversation, body=question)
    return conversation


def article(agency: Agency, title: str = "Refunds", examples: str = "") -> HelpArticle:
    return HelpArticle.objects.create(
        agency=agency,
        title=title,
        slug=title.lower(),
        body="# Refunds\n\nWithin 30 days.",
        example_questions=examples,
    )


def question_ids(agency: Agency) -> dict[str, int]:
    return dict(
        ConversationMessage.objects.filter(conversation__agency=agency, kind="visitor").values_list(
            "body", "id"
        )
    )


def _q(pk: int, text: str) -> insights.EscalatedQuestion:
    return insights.EscalatedQuestion(pk, text, datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=pk))


# --- grouping ------------------------------------------------------------------------------------


def test_similar_questions_are_grouped_and_different_ones_are_not() -> None:
    texts = REFUNDS + SHIPPING + LONE
    groups = insights.group_questions([_q(i, text) for i, text in enumerate(texts)])
    found = {frozenset(q.text for q in g.questions) for g in groups}
    assert found == {frozenset(REFUNDS), frozenset(SHIPPING), *(frozenset({text}) for text in LONE)}


@pytest.mark.parametrize(
    ("together", "apart"),
    [
        (
            [
                "How do I reset my password?",
                "I forgot my password, how do I reset it",
                "password reset link not working",
            ],
            ["How do I delete my account?", "Where is my parcel?"],
        ),
        (
            ["Can I change my delivery address?", "How to change the delivery address of my order"],
            ["Do you have a shop in Berlin?", "Is there a student discount?", "How long is the warranty?"],
        ),
    ],
)
def test_questions_not_used_to_pick_the_threshold_group_the_same_way(
    together: list[str], apart: list[str]
) -> None:
    groups = insights.group_questions([_q(i, text) for i, text in enumerate(together + apart)])
    found = {frozenset(q.text for q in g.questions) for g in groups}
    assert found == {frozenset(together), *(frozenset({text}) for text in apart)}


def test_grouping_is_deterministic_and_orders_biggest_then_newest() -> None:
    items = [_q(i, text) for i, text in enumerate(LONE + REFUNDS + ["Do you ship to Canada?"])]
    first = insights.group_questions(items)
    again = insights.group_questions(list(reversed(items)))
    assert [g.message_ids for g in first] == [g.message_ids for g in again]
    assert [len(g.questions) for g in first] == [3, 1, 1, 1, 1]
    assert first[0].message_ids == [5, 4, 3]  # newest first within a group
    assert first[1].title == "Do you ship to Canada?"  # then the newest single


def test_grouping_survives_questions_without_letters() -> None:
    groups = insights.group_questions([_q(1, "?"), _q(2, "!!")])
    assert sorted(g.message_ids for g in groups) == [[1], [2]]


# --- what is listed --------------------------------------------------------------------------------


def test_only_low_confidence_escalations_of_the_last_30_days_are_listed(cast: Cast) -> None:
    ask(cast.agency_a, "How do I get a refund for my order?")
    ask(cast.agency_a, "I want a person please")  # human requested: not listed
    ask(cast.agency_a, "Where is my invoice?")  # answered: not listed
    old = ask(cast.agency_a, "Do you ship to Canada?")
    Escalation.objects.filter(conversation=old).update(created_at=timezone.now() - timedelta(days=31))
    viewer = Viewer(cast.alice)
    listed = [q.text for q in insights.low_confidence_questions(viewer, cast.agency_a)]
    assert listed == ["How do I get a refund for my order?"]
    assert Escalation.objects.filter(conversation__agency=cast.agency_a, reason="human_requested").exists()


def test_the_escalated_line_is_the_question_that_escalated(cast: Cast) -> None:
    conversation = actions.do_start_conversation(agency=cast.agency_a)
    actions.do_post_visitor_message(conversation=conversation, body="Where is my invoice?")  # answered
    actions.do_post_visitor_message(conversation=conversation, body="Can I pay with PayPal?")  # escalates
    actions.do_post_visitor_message(conversation=conversation, body="hello? anyone?")  # after handoff
    listed = [q.text for q in insights.low_confidence_questions(Viewer(cast.alice), cast.agency_a)]
    assert listed == ["Can I pay with PayPal?"]


def test_page_shows_groups_and_both_buttons(cast: Cast) -> None:
    article(cast.agency_a)
    for text in [*REFUNDS, "Can I pay with PayPal?"]:
        ask(cast.agency_a, text)
    page = cast.login(cast.alice).get(URL).content.decode()
    assert "4 questions in 2 groups" in page
    for text in REFUNDS:
        assert text in page
    assert page.count("Add as example questions") == 2
    assert page.count("Draft a new article") == 2
    assert ">Help centre</a>" in page  # the Settings tab


def test_empty_state_says_what_it_means(cast: Cast) -> None:
    ask(cast.agency_a, "I want a person please")
    page = cast.login(cast.alice).get(URL).content.decode()
    assert "No low-confidence escalations in the last 30 days." in page
    assert "asked for a person" in page
    assert "Draft a new article" not in page


# --- tenancy -----------------------------------------------------------------------------------------


def test_another_agency_never_sees_these_questions(cast: Cast) -> None:
    ask(cast.agency_a, "Acme secret question about refunds")
    ask(cast.agency_b, "Bravo secret question about refunds")
    alice_page = cast.login(cast.alice).get(URL).content.decode()
    dave_page = cast.login(cast.dave).get(URL).content.decode()
    assert "Acme secret" in alice_page and "Bravo secret" not in alice_page
    assert "Bravo secret" in dave_page and "Acme secret" not in dave_page
    assert cast.login(cast.dave).get(f"{URL}?agency={cast.agency_a.pk}").status_code == 404
    assert insights.low_confidence_questions(Viewer(cast.dave), cast.agency_a) == []


def test_members_and_clients_get_404(cast: Cast) -> None:
    ask(cast.agency_a, "How do I get a refund for my order?")
    for user in (cast.bob, cast.carol_user):
        assert cast.login(user).get(f"{URL}?agency={cast.agency_a.pk}").status_code == 404


def test_forged_ids_of_another_agency_add_nothing(cast: Cast) -> None:
    target = article(cast.agency_a)
    ask(cast.agency_b, "Bravo secret question about refunds")
    bravo_id = question_ids(cast.agency_b)["Bravo secret question about refunds"]
    response = cast.login(cast.alice).post(
        "/settings/help-centre/add-examples/",
        {"agency": cast.agency_a.pk, "article": target.pk, "question": [bravo_id]},
        follow=True,
    )
    target.refresh_from_db()
    assert target.example_questions == ""
    assert "None of those questions are in the list any more" in response.content.decode()


def test_cannot_add_to_another_agencys_article(cast: Cast) -> None:
    bravo_article = article(cast.agency_b, "Bravo refunds")
    ask(cast.agency_a, "How do I get a refund for my order?")
    ids = list(question_ids(cast.agency_a).values())
    response = cast.login(cast.alice).post(
        "/settings/help-centre/add-examples/",
        {"agency": cast.agency_a.pk, "article": bravo_article.pk, "question": ids},
    )
    assert response.status_code == 404
    bravo_article.refresh_from_db()
    assert bravo_article.example_questions == ""


def test_adding_without_choosing_an_article_says_so_and_changes_nothing(cast: Cast) -> None:
    refunds = article(cast.agency_a, "Refunds")
    ask(cast.agency_a, "How do I get a refund for my order?")
    ids = list(question_ids(cast.agency_a).values())
    client = cast.login(cast.alice)
    response = client.post(
        "/settings/help-centre/add-examples/",
        {"agency": cast.agency_a.pk, "article": "", "question": ids},
        follow=True,
    )
    assert response.status_code == 200
    assert "Choose the article to add these questions to" in response.content.decode()
    refunds.refresh_from_db()
    assert refunds.example_questions == ""


# --- the buttons ---------------------------------------------------------------------------------------


def test_add_as_example_questions_edits_the_article_and_changes_the_index_key(cast: Cast) -> None:
    target = article(cast.agency_a, examples="Can I get a refund on my order")
    for text in REFUNDS:
        ask(cast.agency_a, text)
    before = target.updated_at
    entries_before = service.help_entries(cast.agency_a.pk)[0].examples
    ids = list(question_ids(cast.agency_a).values())
    response = cast.login(cast.adam).post(
        "/settings/help-centre/add-examples/",
        {"agency": cast.agency_a.pk, "article": target.pk, "question": ids},
        follow=True,
    )
    target.refresh_from_db()
    # The one it had is kept first and not added twice; the new ones follow, newest first.
    assert target.example_question_list == [
        "Can I get a refund on my order",
        "refund my order please",
        "How do I get a refund for my order?",
    ]
    assert target.updated_at > before  # the triage cache key moves: the next question rebuilds
    assert service.help_entries(cast.agency_a.pk)[0].examples != entries_before
    assert "Added 2 example questions to “Refunds”" in response.content.decode()


def test_adding_the_same_questions_twice_changes_nothing(cast: Cast) -> None:
    target = article(cast.agency_a)
    assert do_add_example_questions(article=target, questions=REFUNDS) == REFUNDS
    target.refresh_from_db()
    stamp = target.updated_at
    assert do_add_example_questions(article=target, questions=[q.upper() for q in REFUNDS]) == []
    target.refresh_from_db()
    assert target.updated_at == stamp


def test_draft_a_new_article_creates_an_unpublished_draft_with_the_questions(cast: Cast) -> None:
    for text in SHIPPING:
        ask(cast.agency_a, text)
    ids = list(question_ids(cast.agency_a).values())
    response = cast.login(cast.alice).post(
        "/settings/help-centre/draft-article/", {"agency": cast.agency_a.pk, "question": ids}, follow=True
    )
    draft = HelpArticle.objects.get(agency=cast.agency_a)
    assert draft.is_published is False
    assert sorted(draft.example_question_list) == sorted(SHIPPING)
    for text in SHIPPING:
        assert f"- {text}" in draft.body
    page = response.content.decode()
    assert "It stays unpublished" in page and "Unpublished drafts" in page
    assert service.help_entries(cast.agency_a.pk) == []  # not answering visitors yet


def test_drafts_get_free_slugs(cast: Cast) -> None:
    first = do_draft_article_from_questions(agency=cast.agency_a, questions=["Do you ship to Canada?"])
    second = do_draft_article_from_questions(agency=cast.agency_a, questions=["Do you ship to Canada?"])
    assert (first.slug, second.slug) == ("do-you-ship-to-canada", "do-you-ship-to-canada-2")


def test_a_member_cannot_press_the_buttons(cast: Cast) -> None:
    target = article(cast.agency_a)
    ask(cast.agency_a, "How do I get a refund for my order?")
    ids = list(question_ids(cast.agency_a).values())
    bob = cast.login(cast.bob)
    data = {"agency": cast.agency_a.pk, "article": target.pk, "question": ids}
    assert bob.post("/settings/help-centre/add-examples/", data).status_code == 404
    assert bob.post("/settings/help-centre/draft-article/", data).status_code == 404
    assert HelpArticle.objects.filter(agency=cast.agency_a).count() == 1


# --- query count --------------------------------------------------------------------------------------


def _page_queries(cast: Cast) -> int:
    http = cast.login(cast.alice)
    http.get(URL)  # warm the session
    with CaptureQueriesContext(connection) as captured:
        response = http.get(URL)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_page_query_count_does_not_grow_with_questions_or_articles(cast: Cast) -> None:
    article(cast.agency_a)
    ask(cast.agency_a, "How do I get a refund for my order?")
    few = _page_queries(cast)
    for index, text in enumerate(REFUNDS + SHIPPING + LONE):
        ask(cast.agency_a, text)
        article(cast.agency_a, f"Article {index}")
    do_draft_article_from_questions(agency=cast.agency_a, questions=["Do you ship to Canada?"])
    assert _page_queries(cast) == few


# --- which article the "Add to" list offers first --------------------------------------------


def test_a_group_offers_the_article_it_is_about_first(cast: Cast) -> None:
    refunds = article(cast.agency_a, "Refunds", "How do I get my money back?\nCan I return an order?")
    shipping = article(cast.agency_a, "Shipping", "Where is my parcel?\nHow long does delivery take?")
    groups = [
        insights.QuestionGroup([_q(1, text) for text in REFUNDS]),
        insights.QuestionGroup([_q(10, "Do you ship parcels to Canada?"), _q(11, "delivery to canada?")]),
        insights.QuestionGroup([_q(20, "Do you sell gift cards?")]),  # no article is about this
    ]
    assert insights.suggested_articles(groups, [refunds, shipping]) == [refunds.pk, shipping.pk, None]
    assert insights.suggested_articles(groups, []) == [None, None, None]


def test_the_page_preselects_the_suggested_article_or_asks_for_a_choice(cast: Cast) -> None:
    refunds = article(cast.agency_a, "Refunds", "How do I get a refund?")
    article(cast.agency_a, "Opening hours", "When are you open?")
    for text in [*REFUNDS, "Do you sell gift cards?"]:
        ask(cast.agency_a, text)
    page = cast.login(cast.alice).get(URL).content.decode()
    assert f'<option value="{refunds.pk}" selected>Refunds</option>' in page
    assert page.count("Choose an article…") == 1  # the gift-card group: nothing to suggest
