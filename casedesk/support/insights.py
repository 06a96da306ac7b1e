"""Settings → Help centre: the questions the bot escalated for low confidence, grouped by similarity.

Reads go through here (owners and admins of the agency only; anyone else gets nothing). The
escalated question is the last visitor line the bot triaged before the conversation's
``Escalation`` (whose ``reason`` says why: ``low_confidence``, ``human_requested``, ...).

Grouping is TF-IDF on character n-grams of the question's content words (n-grams within word
boundaries, so "refund" and "refunds" meet) with average-linkage agglomerative clustering on
cosine distance, from scikit-learn. It is deterministic, needs no model, and takes a fraction of
a second for the 500 questions the page shows at most. The triage engine's MiniLM encoder would
group paraphrases better, but embedding 500 questions took 13.5 s on one core here (numpy
forward pass, `MiniLM.embed`): far too slow for a page view.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from casedesk.accounts.access import Viewer
from casedesk.accounts.models import Agency
from casedesk.support import bot
from casedesk.support.models import ConversationMessage, Escalation, HelpArticle, MessageKind

WINDOW_DAYS = 30
MAX_QUESTIONS = 500
# Cosine distance under which two groups merge (average linkage). Chosen on hand-written
# questions (tests/test_help_insights.py), after dropping English function words: their paraphrases
# merge from 0.75 on, and questions about different things stay apart up to 0.95 at least.
GROUP_DISTANCE = 0.85
_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class EscalatedQuestion:
    message_id: int
    text: str
    asked_at: datetime


@dataclass(frozen=True)
class QuestionGroup:
    questions: list[EscalatedQuestion]

    @property
    def title(self) -> str:
        return self.questions[0].text

    @property
    def message_ids(self) -> list[int]:
        return [question.message_id for question in self.questions]

    @property
    def latest(self) -> datetime:
        return max(question.asked_at for question in self.questions)


def one_line(text: str, limit: int = 300) -> str:
    return _SPACES.sub(" ", text).strip()[:limit]


def low_confidence_questions(
    viewer: Viewer,
    agency: Agency,
    *,
    message_ids: Iterable[int] | None = None,
    now: datetime | None = None,
) -> list[EscalatedQuestion]:
    """The agency's low-confidence escalated questions of the last 30 days, newest first (at most
    500). Only its owners and admins get any; ``message_ids`` narrows to those lines (a form's
    picks are re-checked here, so a forged id of another agency's line matches nothing)."""
    if not viewer.is_manager(agency.pk):
        return []
    since = (now or timezone.now()) - timedelta(days=WINDOW_DAYS)
    escalated_line = (
        ConversationMessage.objects.filter(
            conversation=OuterRef("conversation"),
            kind=MessageKind.VISITOR,
            asked_bot=True,
            created_at__lte=OuterRef("created_at"),
        )
        .order_by("-created_at", "-id")
        .values("id")[:1]
    )
    escalations = Escalation.objects.filter(
        conversation__agency=agency, reason=bot.REASON_LOW_CONFIDENCE, created_at__gte=since
    ).annotate(line_id=Subquery(escalated_line))
    lines = ConversationMessage.objects.filter(
        pk__in=escalations.values("line_id"), conversation__agency=agency
    )
    if message_ids is not None:
        lines = lines.filter(pk__in=list(message_ids))
    rows = lines.order_by("-created_at", "-id").values_list("id", "body", "created_at")[:MAX_QUESTIONS]
    return [EscalatedQuestion(pk, one_line(body), asked_at) for pk, body, asked_at in rows]


def _content_words(text: str) -> str:
    """The question without English function words, which would otherwise pull "Do you ship to
    Canada?" and "Do you sell gift cards?" together on "do you"."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    words = _WORD.findall(text.lower())
    kept = [word for word in words if word not in ENGLISH_STOP_WORDS]
    return " ".join(kept or words)


def group_questions(questions: Sequence[EscalatedQuestion]) -> list[QuestionGroup]:
    """Similar questions together; biggest groups first, then the most recent. Deterministic."""
    if len(questions) < 2:
        return [QuestionGroup([question]) for question in questions]
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectoriser = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)
    try:
        vectors = vectoriser.fit_transform([_content_words(question.text) for question in questions])
    except ValueError:  # nothing but punctuation: no vocabulary, so nothing to group by
        return [QuestionGroup([question]) for question in questions]
    similarity = (vectors @ vectors.T).toarray()
    distances = np.clip(1.0 - similarity, 0.0, 2.0)
    np.fill_diagonal(distances, 0.0)
    labels = AgglomerativeClustering(
        n_clusters=None, metric="precomputed", linkage="average", distance_threshold=GROUP_DISTANCE
    ).fit_predict(distances)
    by_label: dict[int, list[EscalatedQuestion]] = {}
    for label, question in zip(labels, questions, strict=True):
        by_label.setdefault(int(label), []).append(question)
    groups = [
        QuestionGroup(sorted(members, key=lambda q: (q.asked_at, q.message_id), reverse=True))
        for members in by_label.values()
    ]
    groups.sort(key=lambda g: (-len(g.questions), -g.latest.timestamp(), -g.questions[0].message_id))
    return groups


# When a group's questions suggest an article in the "Add to" list: the most similar article's
# cosine (the grouping's character n-grams, fitted on these few texts, so values run low) must be
# at least SUGGEST_SIMILARITY and SUGGEST_MARGIN times the runner-up's; otherwise the list asks for
# a choice. Chosen on the demo's help centre and the hand-written questions of
# tests/test_help_insights.py: a group on an article's topic scores 0.1 or more against it and
# about 0.01 against the others; a group on a topic no article covers, 0.03 at most everywhere.
SUGGEST_SIMILARITY = 0.06
SUGGEST_MARGIN = 2.0


def suggested_articles(groups: Sequence[QuestionGroup], articles: Sequence[HelpArticle]) -> list[int | None]:
    """For each group, the article its questions are most like (title and example questions, the
    same character n-grams as the grouping), or None when none is like them enough: where the
    "Add to" list starts, so a payments group offers "Invoices and payment" first."""
    if not groups or not articles:
        return [None] * len(groups)
    from sklearn.feature_extraction.text import TfidfVectorizer

    article_texts = [
        _content_words(" ".join([article.title, *article.example_question_list])) for article in articles
    ]
    group_texts = [_content_words(" ".join(q.text for q in group.questions)) for group in groups]
    vectoriser = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)
    try:
        vectors = vectoriser.fit_transform(article_texts + group_texts)
    except ValueError:  # no letters anywhere
        return [None] * len(groups)
    similarity = (vectors[len(articles) :] @ vectors[: len(articles)].T).toarray()
    suggestions: list[int | None] = []
    for row in similarity:
        order = np.argsort(-row)
        best = float(row[order[0]])
        runner_up = float(row[order[1]]) if len(order) > 1 else 0.0
        clear = best >= SUGGEST_SIMILARITY and best >= SUGGEST_MARGIN * runner_up
        suggestions.append(articles[int(order[0])].pk if clear else None)
    return suggestions


def agency_articles(viewer: Viewer, agency: Agency) -> QuerySet[HelpArticle]:
    """The agency's own help articles (published and drafts), for its owners and admins."""
    if not viewer.is_manager(agency.pk):
        return HelpArticle.objects.none()
    return HelpArticle.objects.filter(agency=agency).order_by("title", "pk")


def access_article_as_manager(viewer: Viewer, agency: Agency, article_id: int | str) -> HelpArticle:
    try:
        pk = int(article_id)
    except (TypeError, ValueError):
        raise Http404("No such article.") from None
    article = agency_articles(viewer, agency).filter(pk=pk).first()
    if article is None:
        raise Http404("No such article.")
    return article
