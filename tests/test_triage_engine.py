"""The engine as a pure function of (question, index): table tests, no database."""

from __future__ import annotations

import pytest

from casedesk.support.triage import (
    EscalationReason,
    HelpEntry,
    TriageAnswer,
    TriageEscalation,
    build_index,
    triage,
)

HELP_CENTRE = [
    HelpEntry(
        key="reset-password",
        title="Resetting your password",
        passages=[
            "Forgot your password? Use the 'Forgot password' link on the sign-in page; we email a link.",
            "Reset links expire after one hour; ask for a new one if yours has expired.",
        ],
        examples=["I forgot my password", "how do I reset my password", "password reset link not working"],
        url="/help/reset-password/",
    ),
    HelpEntry(
        key="invoices",
        title="Downloading invoices",
        passages=["Invoices are under Settings → Billing. Each invoice has a PDF download button."],
        examples=[
            "where are my invoices",
            "download an invoice as PDF",
            "I need a copy of last month's bill",
        ],
        url="/help/invoices/",
    ),
    HelpEntry(
        key="upload-limits",
        title="File upload limits",
        passages=["Each file may be up to 25 MB. Zip larger folders or share a link instead."],
        examples=["what is the maximum file size", "my upload is too big", "how large can attachments be"],
        url="/help/upload-limits/",
    ),
    HelpEntry(
        key="team-members",
        title="Inviting team members",
        passages=["Owners and admins invite colleagues from Settings → Team with their email address."],
        examples=["how do I add a colleague", "invite someone to my team", "add an agent to my agency"],
        url="/help/team-members/",
    ),
]


@pytest.fixture(scope="module")
def index():  # type: ignore[no-untyped-def]
    return build_index(HELP_CENTRE)


@pytest.mark.parametrize(
    ("question", "entry_key"),
    [
        ("I forgot my password, how can I reset it?", "reset-password"),
        ("where can I download my invoices", "invoices"),
        ("what's the max size for a file upload", "upload-limits"),
        ("how do I invite a colleague to my team", "team-members"),
        ("How do I add an agent to my agency?", "team-members"),
    ],
)
def test_help_question_is_answered_from_the_right_entry(index, question: str, entry_key: str) -> None:  # type: ignore[no-untyped-def]
    outcome = triage(question, index)
    assert isinstance(outcome, TriageAnswer), outcome
    assert outcome.entry_key == entry_key
    assert outcome.url == f"/help/{entry_key}/"
    assert outcome.score >= index.threshold


def test_the_snippet_is_the_best_passage_of_the_entry(index) -> None:  # type: ignore[no-untyped-def]
    outcome = triage("my password reset link has expired", index)
    assert isinstance(outcome, TriageAnswer)
    assert outcome.passage.startswith("Reset links expire")


@pytest.mark.parametrize(
    "question",
    [
        "which river flows through vienna",
        "can you recommend a good pizza place near me",
        "how many miles is a marathon",
        "",
    ],
)
def test_unrelated_question_escalates_for_low_confidence(index, question: str) -> None:  # type: ignore[no-untyped-def]
    outcome = triage(question, index)
    assert isinstance(outcome, TriageEscalation)
    assert outcome.reason is EscalationReason.LOW_CONFIDENCE


def test_a_high_threshold_escalates_what_the_default_answers() -> None:
    strict = build_index(HELP_CENTRE, threshold=5.0)
    outcome = triage("I forgot my password", strict)
    assert isinstance(outcome, TriageEscalation)
    assert outcome.reason is EscalationReason.LOW_CONFIDENCE
    assert "threshold 5.000" in outcome.detail


def test_empty_help_centre_escalates() -> None:
    outcome = triage("how do I reset my password", build_index([]))
    assert outcome == TriageEscalation(
        EscalationReason.EMPTY_HELP_CENTRE, "The help centre has no articles yet."
    )


def test_entries_without_any_text_count_as_an_empty_help_centre() -> None:
    outcome = triage("anything", build_index([HelpEntry(key="blank", title=" ")]))
    assert isinstance(outcome, TriageEscalation)
    assert outcome.reason is EscalationReason.EMPTY_HELP_CENTRE


def test_a_single_article_help_centre_answers_its_topic_and_escalates_the_rest() -> None:
    index = build_index(HELP_CENTRE[:1])
    answered = triage("I forgot my password", index)
    assert isinstance(answered, TriageAnswer)
    assert answered.entry_key == "reset-password"
    escalated = triage("what is the weather like in Paris", index)
    assert isinstance(escalated, TriageEscalation)
    assert escalated.reason is EscalationReason.LOW_CONFIDENCE


def test_unknown_engine_is_refused_with_a_sentence() -> None:
    with pytest.raises(ValueError, match="Unknown triage engine"):
        build_index(HELP_CENTRE, engine="magic")
