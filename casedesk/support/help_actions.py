"""THE write paths for an agency's help articles from Settings → Help centre.

Saving an article bumps its ``updated_at``, which changes the tenant's triage cache key
(``casedesk.support.triage.service.index_for``): the next question rebuilds the index, the same
way as any other article edit. A draft is unpublished, so it is not in the index until published.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils.text import slugify

from casedesk.accounts.models import Agency
from casedesk.lib.errors import ActionError
from casedesk.support.models import HelpArticle

DRAFT_BODY = (
    "_Draft: write the answer here, then publish the article._\n\n"
    "Visitors asked the assistant these questions and it could not answer them:\n\n"
)


def _clean_questions(questions: Sequence[str]) -> list[str]:
    seen: set[str] = set()
    cleaned: list[str] = []
    for question in questions:
        text = " ".join(question.split())[:300]
        if text and text.casefold() not in seen:
            seen.add(text.casefold())
            cleaned.append(text)
    if not cleaned:
        raise ActionError(
            "None of those questions are in the list any more. Reload the page and pick again.",
            code="no_questions",
        )
    return cleaned


@transaction.atomic
def do_add_example_questions(*, article: HelpArticle, questions: Sequence[str]) -> list[str]:
    """Append the questions the article does not have yet. Returns those added (maybe none).

    Idempotent: adding the same questions twice changes nothing the second time (and then the
    article is not saved, so the index is not rebuilt for nothing).
    """
    wanted = _clean_questions(questions)
    article = HelpArticle.objects.select_for_update().get(pk=article.pk)
    existing = article.example_question_list
    known = {line.casefold() for line in existing}
    added = [question for question in wanted if question.casefold() not in known]
    if added:
        article.example_questions = "\n".join([*existing, *added])
        article.save(update_fields=["example_questions", "updated_at"])
    return added


def _free_slug(agency: Agency, title: str) -> str:
    base = slugify(title)[:100].strip("-") or "draft"
    taken = set(
        HelpArticle.objects.filter(agency=agency, slug__startswith=base).values_list("slug", flat=True)
    )
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


@transaction.atomic
def do_draft_article_from_questions(*, agency: Agency, questions: Sequence[str]) -> HelpArticle:
    """An unpublished article of ``agency`` titled after the first question, with all of them as
    its example questions and listed in its body for whoever writes the answer."""
    wanted = _clean_questions(questions)
    title = wanted[0][:200]
    return HelpArticle.objects.create(
        agency=agency,
        title=title,
        slug=_free_slug(agency, title),
        body=DRAFT_BODY + "\n".join(f"- {question}" for question in wanted) + "\n",
        example_questions="\n".join(wanted),
        is_published=False,
    )
