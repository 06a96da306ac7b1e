"""Search settings: the text-search language of each agency.

The index itself lives in the database (a ``tsvector`` column on PostgreSQL, an FTS5 table on
SQLite; see ``migrations/0001_initial.py`` and ``engines.py``), not in a model.
"""

from __future__ import annotations

from django.db import models

from casedesk.accounts.models import Agency

# PostgreSQL's built-in text-search configurations worth offering; "simple" (no stemming, no
# stop words) is the fallback for every agency without a row and for every language not listed.
TEXT_SEARCH_LANGUAGES: dict[str, str] = {
    "simple": "Any language (no stemming)",
    "danish": "Danish",
    "dutch": "Dutch",
    "english": "English",
    "finnish": "Finnish",
    "french": "French",
    "german": "German",
    "hungarian": "Hungarian",
    "italian": "Italian",
    "norwegian": "Norwegian",
    "portuguese": "Portuguese",
    "romanian": "Romanian",
    "russian": "Russian",
    "spanish": "Spanish",
    "swedish": "Swedish",
    "turkish": "Turkish",
}
FALLBACK_LANGUAGE = "simple"


class AgencySearchLanguage(models.Model):
    """Which stemming and stop words an agency's messages are indexed with (PostgreSQL)."""

    agency = models.OneToOneField(Agency, on_delete=models.CASCADE, primary_key=True, related_name="+")
    config = models.CharField(max_length=20, default=FALLBACK_LANGUAGE)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(config__in=list(TEXT_SEARCH_LANGUAGES)), name="search_language_known"
            )
        ]

    def __str__(self) -> str:
        return f"{self.agency_id}: {self.config}"


class ExtractionStatus(models.TextChoices):
    OK = "ok", "Text extracted"
    UNSUPPORTED = "unsupported", "No text to read in this kind of file"
    FAILED = "failed", "The file could not be read"


class DocumentText(models.Model):
    """The text inside a file (PDF, Word, Excel, plain text), extracted once after upload.

    The index over it lives in the database, as for messages (``schema.py``). Visibility is the
    document's: rows are only ever reached through ``searchable_documents``.
    """

    document = models.OneToOneField(
        "cases.Document", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    text = models.TextField(blank=True)
    status = models.CharField(max_length=12, choices=ExtractionStatus.choices)
    error = models.CharField(max_length=300, blank=True)
    extracted_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"text of document {self.document_id} ({self.status})"
