"""Triage for a tenant: build (and cache) its index from its published help articles.

The cache is per process and keyed by ``(agency_id, max(updated_at), count)`` of the tenant's
published articles, read with one aggregate query per question: an edit, a new article, an
unpublished or deleted one changes the key, so the next question rebuilds the index without a
restart. ``agency_id`` None is the platform's own help centre. An index is only ever built from
one tenant's articles, so one tenant's articles never answer another tenant's question.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from django.conf import settings
from django.db.models import Count, Max, QuerySet
from django.urls import NoReverseMatch, reverse

from casedesk.support.models import HelpArticle
from casedesk.support.triage.engine import (
    EscalationReason,
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
# Tenants whose index is being rebuilt in the background, with the key being built.
_building: dict[int | None, CacheKey] = {}
_cache_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()

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


# A lexical help centre larger than this rebuilds off the request path ("auto"); see below.
LEXICAL_BACKGROUND_ABOVE = 200


def background_rebuilds(engine: str, articles: int = 0) -> bool:
    """Whether a changed help centre is rebuilt off the request path (see ``index_for``).

    ``settings.TRIAGE_BACKGROUND_REBUILD`` (env ``CASEDESK_TRIAGE_BACKGROUND_REBUILD``): "auto"
    (default) for the embedding engines, whose builds take seconds to minutes, and for a lexical
    help centre of more than LEXICAL_BACKGROUND_ABOVE articles (its one-vs-rest model takes about
    17 s for 1,000 articles, measured by `make bench`); a smaller lexical help centre builds in
    well under a second, so it rebuilds in the request and never serves a stale answer. "1"/"0"
    force it on or off.
    """
    configured = str(
        getattr(settings, "TRIAGE_BACKGROUND_REBUILD", None)
        or os.environ.get("CASEDESK_TRIAGE_BACKGROUND_REBUILD", "auto")
    ).lower()
    if configured == "auto":
        return engine != "lexical" or articles > LEXICAL_BACKGROUND_ABOVE
    return configured in {"1", "true", "yes", "on"}


def _build_in_background(agency_id: int | None, key: CacheKey, entries: list[HelpEntry], engine: str) -> None:
    """Runs on the rebuild thread; touches no database (the entries were read by the request)."""
    try:
        index = build_index(entries, engine=engine)
    except Exception:
        logger.exception("Rebuilding the triage index for agency %s failed; keeping the old one.", agency_id)
        with _cache_lock:
            if _building.get(agency_id) == key:
                del _building[agency_id]
        return
    logger.info("Rebuilt the triage index for agency %s (%d entries).", agency_id, len(index.entries))
    with _cache_lock:
        if _building.get(agency_id) == key:
            del _building[agency_id]
        current = _cache.get(agency_id)
        # A newer synchronous build may have landed meanwhile; never replace it with an older one.
        if current is None or current[0] != key:
            _cache[agency_id] = (key, index)


def index_for(agency_id: int | None) -> TriageIndex:
    """The tenant's current index, rebuilt when its articles changed since the cached one.

    With background rebuilds (``background_rebuilds``) a change does not make the visitor wait
    for a slow build: one rebuild thread builds the new index (from entries read here, in the
    request) while the previous index keeps answering, and the next question after it finishes
    uses the new one. A tenant with no index yet gets an interim lexical index built in the request
    (milliseconds) to answer meanwhile. Answers from a stale index are still filtered by
    ``answer_question`` to articles that are published now.
    """
    engine = getattr(settings, "TRIAGE_ENGINE", "lexical") or "lexical"
    state = _published(agency_id).aggregate(latest=Max("updated_at"), count=Count("pk"))
    key: CacheKey = (agency_id, state["latest"], state["count"], engine)
    with _cache_lock:
        cached = _cache.get(agency_id)
        if cached and cached[0] == key:
            return cached[1]
        # No index yet and a lexical engine: building it is as quick as an interim one would be.
        background = (
            state["count"] > 0
            and background_rebuilds(engine, state["count"])
            and (cached is not None or engine != "lexical")
        )
        if cached is not None and background and _building.get(agency_id) == key:
            return cached[1]
    if not background:
        index = build_index(help_entries(agency_id), engine=engine)
        logger.info("Built the triage index for agency %s (%d entries).", agency_id, len(index.entries))
        with _cache_lock:
            _cache[agency_id] = (key, index)
        return index

    entries = help_entries(agency_id)
    if cached is None:
        interim = build_index(entries, engine="lexical")
        # Cached under a key no question will match, so the real index replaces it when it lands.
        cached = ((agency_id, state["latest"], state["count"], "lexical (interim)"), interim)
        with _cache_lock:
            _cache.setdefault(agency_id, cached)
    with _cache_lock:
        if _building.get(agency_id) != key:
            _building[agency_id] = key
            _rebuild_executor().submit(_build_in_background, agency_id, key, entries, engine)
    return cached[1]


def _rebuild_executor() -> ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            # One thread: rebuilds are CPU-bound, and one at a time keeps the web process responsive.
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="triage-rebuild")
        return _executor


def wait_for_rebuilds(timeout: float = 600.0) -> None:
    """Block until the rebuilds queued so far have finished (tests, and a clean shutdown)."""
    with _executor_lock:
        executor = _executor
    if executor is not None:
        executor.submit(lambda: None).result(timeout=timeout)


def clear_cache() -> None:
    wait_for_rebuilds()
    with _cache_lock:
        _cache.clear()
        _building.clear()


def answer_question(question: str, agency_id: int | None) -> TriageAnswer | TriageEscalation:
    """Triage ``question`` against the help centre of ``agency_id`` (None: the platform's)."""
    index = index_for(agency_id)
    outcome = triage(question, index)
    # A stale index may be answering while its replacement builds: never quote an article that has
    # been unpublished or deleted since.
    if (
        isinstance(outcome, TriageAnswer)
        and _building.get(agency_id) is not None
        and not _published(agency_id).filter(slug=outcome.entry_key).exists()
    ):
        return TriageEscalation(
            EscalationReason.LOW_CONFIDENCE,
            "The best matching article is no longer published; the help centre is being re-indexed.",
        )
    return outcome
