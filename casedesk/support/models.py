"""Support chat: help centre articles, conversations, escalations.

``HelpArticle`` is shared by the triage engine (support/triage/) and the help centre pages.
"""

from __future__ import annotations

from django.db import models

from casedesk.accounts.models import Agency


class HelpArticle(models.Model):
    """A help-centre article in Markdown.

    ``agency`` is None for the platform's own articles (they answer agency-team questions);
    otherwise the article belongs to that agency and answers its customers' questions.
    """

    agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.CASCADE, related_name="help_articles"
    )
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=120)
    body = models.TextField(help_text="Markdown.")
    # One example question per line; they help triage match the way people actually ask.
    example_questions = models.TextField(blank=True)
    is_published = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "slug"], name="help_slug_per_agency"),
            models.UniqueConstraint(
                fields=["slug"], condition=models.Q(agency__isnull=True), name="help_slug_platform"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def example_question_list(self) -> list[str]:
        return [line.strip() for line in self.example_questions.splitlines() if line.strip()]
