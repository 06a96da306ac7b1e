"""The text inside PDF, Word, Excel and text files: extracted once by a job, found by search,
and only by those who may see the file."""

from __future__ import annotations

import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from casedesk.accounts.access import viewer_for_user
from casedesk.cases.actions import do_post_message, do_upload_document
from casedesk.cases.models import Document
from casedesk.search.extract import extract_text
from casedesk.search.models import DocumentText, ExtractionStatus
from casedesk.search.query import parse_query
from casedesk.search.service import search
from tests.conftest import Cast


def pdf_with_text(text: str) -> bytes:
    """A one-page PDF whose content stream draws ``text`` (hand-built, as the PDF spec lays it out)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def docx_with_text(text: str) -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def xlsx_with_text(text: str) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    assert workbook.active is not None
    workbook.active.append(["Item", text])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_each_format_gives_its_text() -> None:
    assert "quarterly zeppelin" in extract_text(pdf_with_text("quarterly zeppelin"), "application/pdf")
    assert "quarterly zeppelin" in extract_text(
        docx_with_text("quarterly zeppelin"),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    assert "quarterly zeppelin" in extract_text(xlsx_with_text("quarterly zeppelin"), "application/zip")
    assert extract_text(b"plain  words\nhere", "text/plain") == "plain words here"


def test_uploaded_files_are_searchable_by_their_text_after_the_job(cast: Cast, run_tasks: Any) -> None:
    files = {
        "brief.pdf": pdf_with_text("The zeppelin brief"),
        "notes.docx": docx_with_text("zeppelin notes for the client"),
        "figures.xlsx": xlsx_with_text("zeppelin budget"),
    }
    message = do_post_message(
        case=cast.case_a,
        body="Files attached",
        author_user=cast.alice,
        files=[SimpleUploadedFile(name, data) for name, data in files.items()],
    )
    internal = do_upload_document(
        case=cast.case_a,
        upload=SimpleUploadedFile("secret.pdf", pdf_with_text("zeppelin margin")),
        uploaded_by_user=cast.alice,
        internal_only=True,
    )
    alice = viewer_for_user(cast.alice)
    assert search(alice, parse_query("zeppelin")).total == 0  # not read yet: the job has not run
    run_tasks()
    statuses = dict(DocumentText.objects.values_list("document__name", "status"))
    assert statuses == dict.fromkeys([*files, "secret.pdf"], ExtractionStatus.OK)
    public_ids = set(Document.objects.filter(message=message).values_list("pk", flat=True))
    found = {h.pk for g in search(alice, parse_query("zeppelin")).groups for h in g.hits}
    assert found == public_ids | {internal.pk}
    carol = viewer_for_user(cast.carol_user)
    client_found = {
        h.pk for g in search(carol, parse_query("zeppelin"), as_client=True).groups for h in g.hits
    }
    assert client_found == public_ids
    assert search(carol, parse_query("margin"), as_client=True).total == 0
    assert search(viewer_for_user(cast.dave), parse_query("zeppelin")).total == 0


def test_extraction_job_is_idempotent_and_records_unreadable_files(cast: Cast, run_tasks: Any) -> None:
    from casedesk.search.extraction import extract_document_text

    broken = do_upload_document(
        case=cast.case_a,
        upload=SimpleUploadedFile("broken.pdf", b"%PDF-1.4 not really a pdf"),
        uploaded_by_user=cast.alice,
    )
    image = do_upload_document(
        case=cast.case_a,
        upload=SimpleUploadedFile("pixel.gif", b"GIF89a" + b"\0" * 20),
        uploaded_by_user=cast.alice,
    )
    run_tasks()
    extract_document_text.call(broken.pk)  # a second run rewrites the same row
    assert DocumentText.objects.get(document=broken).status == ExtractionStatus.FAILED
    assert DocumentText.objects.get(document=image).status == ExtractionStatus.UNSUPPORTED
    assert DocumentText.objects.count() == 2
    assert search(viewer_for_user(cast.alice), parse_query("broken")).total == 1  # still found by name
