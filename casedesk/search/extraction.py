"""The job that reads the text inside an uploaded file, once, for search.

Enqueued by ``casedesk.cases.actions`` in the upload's own transaction (so a stored file always
gets its job), it takes the document id and is idempotent: running it again rewrites the same row.
A file whose text cannot be read is recorded as such (and stays findable by its name); only an
unexpected error (storage unreachable) raises, so the job is retried.
"""

from __future__ import annotations

from django.db import transaction

from casedesk.cases.models import Document
from casedesk.jobs import durable_task
from casedesk.search.extract import UnsupportedFile, extract_text, has_reader
from casedesk.search.models import DocumentText, ExtractionStatus

MAX_EXTRACT_BYTES = 30 * 1024 * 1024


@durable_task(kind="search.extract_document_text", queue="default", max_attempts=4)
def extract_document_text(document_id: int) -> None:
    document = Document.objects.filter(pk=document_id).first()
    if document is None:
        return  # deleted since: nothing to index
    status, text, error = ExtractionStatus.OK, "", ""
    if document.size > MAX_EXTRACT_BYTES:
        status, error = ExtractionStatus.UNSUPPORTED, "larger than the extraction limit"
    elif not has_reader(document.content_type):
        status = ExtractionStatus.UNSUPPORTED  # images, video, archives: no need to read the bytes
    else:
        with document.file.open("rb") as stream:
            try:
                text = extract_text(stream, document.content_type)  # type: ignore[arg-type]  # a binary file
            except UnsupportedFile:
                status = ExtractionStatus.UNSUPPORTED
            except Exception as exc:  # a malformed file of a supported kind: record it, do not retry
                status, error = ExtractionStatus.FAILED, f"{type(exc).__name__}: {exc}"[:300]
    with transaction.atomic():
        DocumentText.objects.update_or_create(
            document_id=document.pk, defaults={"text": text, "status": status, "error": error}
        )
