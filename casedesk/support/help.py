"""The platform's own help centre, kept as Markdown files in ``casedesk/support/help/``.

Each file starts with a small header (``title:`` and ``questions:`` one per line, between ``---``
lines) followed by the article in Markdown. ``seed_help_articles()`` loads them as platform
articles (``agency=None``); it is idempotent, so ``casedesk load-help`` and ``demo-data`` can run
it any number of times.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from casedesk.support.models import HelpArticle

HELP_DIR = Path(__file__).resolve().parent / "help"


@dataclass(frozen=True)
class HelpFile:
    slug: str
    title: str
    questions: list[str]
    body: str


def parse_help_file(path: Path) -> HelpFile:
    text = path.read_text(encoding="utf-8")
    title, questions, body = path.stem.replace("-", " ").capitalize(), [], text
    if text.startswith("---\n"):
        header, _, body = text[4:].partition("\n---\n")
        in_questions = False
        for line in header.splitlines():
            if line.startswith("title:"):
                title, in_questions = line.removeprefix("title:").strip(), False
            elif line.startswith("questions:"):
                in_questions = True
            elif in_questions and line.strip():
                questions.append(line.strip().lstrip("-").strip())
    return HelpFile(slug=path.stem, title=title, questions=questions, body=body.strip() + "\n")


@transaction.atomic
def seed_help_articles(directory: Path = HELP_DIR) -> tuple[int, int]:
    """Create or update the platform articles from the Markdown files. Returns (created, updated)."""
    created = updated = 0
    for path in sorted(directory.glob("*.md")):
        item = parse_help_file(path)
        fields = {"title": item.title, "body": item.body, "example_questions": "\n".join(item.questions)}
        article = HelpArticle.objects.filter(agency__isnull=True, slug=item.slug).first()
        if article is None:
            HelpArticle.objects.create(agency=None, slug=item.slug, **fields)
            created += 1
        elif any(getattr(article, key) != value for key, value in fields.items()):
            for key, value in fields.items():
                setattr(article, key, value)
            article.save()
            updated += 1
    return created, updated
