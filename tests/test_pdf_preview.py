"""A PDF's first page as its thumbnail (PDFium), served like an image's, through the same access."""

from __future__ import annotations

import io

import pypdfium2
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from casedesk.cases.actions import do_post_message
from casedesk.cases.models import Document
from casedesk.lib.files import make_pdf_preview
from tests.conftest import Cast


def _pdf(width: float = 612, height: float = 792, pages: int = 2) -> bytes:
    """A real PDF of blank pages (US Letter by default), written by PDFium itself."""
    pdf = pypdfium2.PdfDocument.new()
    for _ in range(pages):
        pdf.new_page(width, height)
    out = io.BytesIO()
    pdf.save(out)
    pdf.close()
    return out.getvalue()


def test_first_page_becomes_a_small_webp_in_the_page_shape() -> None:
    data = make_pdf_preview(io.BytesIO(_pdf()))
    assert data is not None
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "WEBP"
        assert image.height == 320 and 245 <= image.width <= 249  # 612:792 portrait


def test_damaged_empty_or_absurd_pdfs_get_no_preview() -> None:
    assert make_pdf_preview(io.BytesIO(b"%PDF-1.4\n% not really\n")) is None
    assert make_pdf_preview(io.BytesIO(b"")) is None
    assert make_pdf_preview(io.BytesIO(_pdf(pages=0))) is None
    assert make_pdf_preview(io.BytesIO(_pdf(width=20_000, height=20_000, pages=1))) is None


def test_pdf_thumbnail_is_served_to_the_case_and_hidden_from_the_other_agency(cast: Cast) -> None:
    do_post_message(
        case=cast.case_a,
        body="brief",
        author_user=cast.bob,
        files=[SimpleUploadedFile("brief.pdf", _pdf(), content_type="application/pdf")],
    )
    document = Document.objects.get(case=cast.case_a)
    assert document.content_type == "application/pdf"
    url = f"/cases/documents/{document.pk}/thumbnail"
    response = cast.login(cast.carol_user).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/webp"
    assert b"".join(response.streaming_content)[:4] == b"RIFF"  # type: ignore[attr-defined]
    assert cast.login(cast.dave).get(url).status_code == 404


def test_a_damaged_pdf_has_no_thumbnail_and_says_404(cast: Cast) -> None:
    do_post_message(
        case=cast.case_a,
        body="broken",
        author_user=cast.bob,
        files=[SimpleUploadedFile("broken.pdf", b"%PDF-1.4\n% truncated\n", content_type="application/pdf")],
    )
    document = Document.objects.get(case=cast.case_a)
    assert cast.login(cast.bob).get(f"/cases/documents/{document.pk}/thumbnail").status_code == 404
