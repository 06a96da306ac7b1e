"""Triage for a tenant: build (and cache) its index from its published help articles.

The cache is per process and keyed by ``(agency_id, max(updated_at), count)`` of the tenant's
published articles, read with one aggregate query per question: an edit, a new article, an
unpublished or deleted one changes the key, so the next question rebuilds the index without a
restart. ``agency_id`` None is the platform's own help centre. An index is only ever built from
one tenant's articles, so one tenant's articles never answer another tenant's question.
"""

from __future__ import annotations

import logging
import re
import threading
from datetime import datetime

from django.conf import settings
from django.db.models import Count, Max, QuerySet
from django.urls import NoReverseMatch, reverse

from casedesk.support.models import HelpArticle
from casedesk.support.triage.engine import (
    HelpEntry,
    TriageAnswer,
    TriageEscalation,
    TriageIndex,
    build_index,
    triage,
)

logger = logging.getLogger(__name__)

CacheKey = tuple[int | None, datetime | None, int, str]

_cache: dict[int | None, tuple[CacheKey, TriageIndex]] = {}
_cache_lock = threading.Lock()

# A section longer than this is split into its paragraphs, so the snippet stays short.
MAX_PASSAGE_CHARS = 700
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")


def split_passages(markdown: str) -> list[str]:
    """Split an article into passages: sections under headings, or their paragraphs if long."""
    sections: list[tuple[str, list[str]]] = [("", [])]
    paragraph: list[str] = []

    def close_paragraph() -> None:
        if paragraph:
            sections[-1][1].append("\n".join(paragraph).strip())
            paragraph.clear()

    for line in markdown.replace("\r\n", "\n").split("\n"):
        heading = _HEADING.match(line)
        if heading:
            close_paragraph()
            sections.append((heading.group(1).strip(), []))
        elif not line.strip():
            close_paragraph()
        else:
            paragraph.append(line)
    close_paragraph()

    passages: list[str] = []
    for title, paragraphs in sections:
        kept = [text for text in paragraphs if text]
        if not kept:
            continue
        whole = "\n\n".join(kept)
        if len(whole) <= MAX_PASSAGE_CHARS:
            passages.append(f"{title}\n\n{whole}" if title else whole)
        else:
            passages.extend(kept)
    return passages


def _published(agency_id: int | None) -> QuerySet[HelpArticle]:
    articles = HelpArticle.objects.filter(is_published=True)
    if agency_id is None:
        return articles.filter(agency__isnull=True)
    return articles.filter(agency_id=agency_id)


def _article_url(article: HelpArticle) -> str:
    try:
        if article.agency is None:
            return reverse("support:help_article", kwargs={"slug": article.slug})
        return reverse(
            "support:agency_help_article", kwargs={"agency_slug": article.agency.slug, "slug": article.slug}
        )
    except NoReverseMatch:
        return ""


def help_entries(agency_id: int | None) -> list[HelpEntry]:
    """The tenant's published articles as triage entries (and nothing from any other tenant)."""
    return [
        HelpEntry(
            key=article.slug,
            title=article.title,
            passages=split_passages(article.body),
            examples=article.example_question_list,
            url=_article_url(article),
        )
        for article in _published(agency_id).select_related("agency").order_by("pk")
    ]


def index_for(agency_id: int | None) -> TriageIndex:
    """The tenant's current index, rebuilt when its articles changed since the cached one."""
    engine = getattr(settings, "TRIAGE_ENGINE", "lexical") or "lexical"
    state = _published(agency_id).aggregate(latest=Max("updated_at"), count=Count("pk"))
    key: CacheKey = (agency_id, state["latest"], state["count"], engine)
    with _cache_lock:
        cached = _cache.get(agency_id)
        if cached and cached[0] == key:
            return cached[1]
    index = build_index(help_entries(agency_id), engine=engine)
    logger.info("Built the triage index for agency %s (%d entries).", agency_id, len(index.entries))
    with _cache_lock:
        _cache[agency_id] = (key, index)
    return index


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


def answer_question(question: str, agency_id: int | None) -> TriageAnswer | TriageEscalation:
    """Triage ``question`` against the help centre of ``agency_id`` (None: the platform's)."""
    return triage(question, index_for(agency_id))
