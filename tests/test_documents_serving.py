"""Documents: sniffed types, safe serving headers, share links checked on every fetch, the tab."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from casedesk.cases.actions import do_delete_message, do_post_message, do_remove_contact_from_case
from casedesk.cases.models import Document
from tests.conftest import Cast

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _attach(cast: Cast, name: str, content: bytes, *, internal: bool = False) -> Document:
    message = do_post_message(
        case=cast.case_a,
        body="file",
        author_user=cast.bob,
        internal_only=internal,
        files=[SimpleUploadedFile(name, content)],
    )
    return message.documents.get()


def _body(response: object) -> bytes:
    return b"".join(response.streaming_content)  # type: ignore[attr-defined]


def test_png_that_is_really_html_is_a_sandboxed_download(cast: Cast) -> None:
    document = _attach(cast, "cat.png", b"<html><body><script>alert(document.cookie)</script></body></html>")
    assert document.content_type == "text/html"
    for url in (f"/cases/documents/{document.pk}/view", f"/cases/documents/s/{document.share_token}"):
        response = cast.login(cast.carol_user).get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/octet-stream"
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Security-Policy"].startswith("sandbox")


def test_svg_is_never_inline(cast: Cast) -> None:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    document = _attach(cast, "logo.svg", svg)
    response = cast.login(cast.bob).get(f"/cases/documents/{document.pk}/view")
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"] == "application/octet-stream"


def test_real_images_and_pdfs_are_shown_inline_still_sandboxed(cast: Cast) -> None:
    image = _attach(cast, "photo.bin", PNG)
    response = cast.login(cast.bob).get(f"/cases/documents/{image.pk}/view")
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline;")
    assert response["Content-Security-Policy"].startswith("sandbox")
    assert _body(response) == PNG
    pdf = _attach(cast, "report.pdf", b"%PDF-1.4\n%test")
    assert cast.login(cast.bob).get(f"/cases/documents/{pdf.pk}/view")["Content-Type"] == "application/pdf"
    download = cast.login(cast.bob).get(f"/cases/documents/{pdf.pk}/download")
    assert download["Content-Disposition"].startswith("attachment;")


def test_share_link_is_checked_on_every_fetch(cast: Cast) -> None:
    document = _attach(cast, "brief.pdf", b"%PDF-1.4 brief")
    erin = cast.magic_client()
    url = f"/cases/documents/s/{document.share_token}"
    assert erin.get(url).status_code == 200
    do_remove_contact_from_case(case=cast.case_a, contact=cast.erin)
    assert erin.get(url).status_code == 404
    anonymous = cast.login(cast.carol_user)
    anonymous.logout()
    response = anonymous.get(url)
    assert response.status_code == 302 and "/accounts/login" in response["Location"]


def test_internal_attachments_are_internal(cast: Cast) -> None:
    document = _attach(cast, "margin.xlsx", b"PK\x03\x04internal", internal=True)
    assert document.internal_only
    carol = cast.login(cast.carol_user)
    assert carol.get(f"/cases/documents/s/{document.share_token}").status_code == 404
    assert "margin.xlsx" not in carol.get(f"/my-cases/{cast.case_a.pk}/documents").content.decode()
    team_page = cast.login(cast.bob).get(f"/cases/{cast.case_a.pk}/documents/").content.decode()
    assert "margin.xlsx" in team_page and "tag-internal" in team_page


def test_documents_tab_lists_name_size_type_uploader_and_message(cast: Cast) -> None:
    document = _attach(cast, "photo.png", PNG)
    page = cast.login(cast.carol_user).get(f"/my-cases/{cast.case_a.pk}/documents").content.decode()
    assert "photo.png" in page
    assert "72\xa0bytes" in page
    assert "image/png" in page
    assert "Bob Member" in page
    assert f"#m{document.message_id}" in page
    assert f'src="/cases/documents/{document.pk}/thumbnail"' in page


def test_files_of_a_deleted_message_leave_the_documents_tab(cast: Cast) -> None:
    document = _attach(cast, "oops.txt", b"wrong file")
    assert document.message is not None
    do_delete_message(message=document.message, actor=cast.bob)
    assert cast.login(cast.bob).get(f"/cases/documents/{document.pk}/download").status_code == 404


def test_upload_from_the_documents_tab(cast: Cast) -> None:
    http = cast.login(cast.bob)
    response = http.post(
        f"/cases/{cast.case_a.pk}/documents/",
        {"file": SimpleUploadedFile("contract.pdf", b"%PDF-1.4 c"), "internal_only": "on"},
    )
    assert response.status_code == 302
    document = Document.objects.get(name="contract.pdf")
    assert document.internal_only and document.content_type == "application/pdf"
    missing = http.post(f"/cases/{cast.case_a.pk}/documents/", {}, headers={"Accept": "application/json"})
    assert missing.status_code == 400
    assert missing.json()["error"] == "Choose a file to upload."


def test_under_asgi_files_stream_in_chunks_without_buffering(cast: Cast, tmp_path: object) -> None:
    """Django turns a sync file iterator into one list under ASGI; ours must stay a chunked stream."""
    import warnings

    from asgiref.sync import async_to_sync
    from django.test import AsyncClient

    content = bytes(range(256)) * 1024  # 256 KB: four chunks
    document = _attach(cast, "data.bin", content)
    http = AsyncClient()
    http.cookies = cast.login(cast.bob).cookies

    async def fetch() -> tuple[int, list[bytes], bool]:
        response = await http.get(f"/cases/documents/{document.pk}/download")
        chunks = [chunk async for chunk in response.streaming_content]  # type: ignore[attr-defined]
        return response.status_code, chunks, response.is_async  # type: ignore[attr-defined]

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        status, chunks, is_async = async_to_sync(fetch)()
    assert status == 200 and is_async
    assert len(chunks) == 4
    assert b"".join(chunks) == content


def _real_png(width: int, height: int) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def test_images_get_a_small_thumbnail_made_once(cast: Cast) -> None:
    import io

    from PIL import Image

    document = _attach(cast, "poster.png", _real_png(1600, 900))
    http = cast.login(cast.carol_user)
    response = http.get(f"/cases/documents/{document.pk}/thumbnail")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/webp"
    assert response["Content-Security-Policy"].startswith("sandbox")
    with Image.open(io.BytesIO(_body(response))) as thumb:
        assert thumb.size == (320, 180)
    stored = document.file.storage.exists(str(document.file.name).rsplit("/", 1)[0] + "/thumb.webp")
    assert stored
    assert http.get(f"/cases/documents/{document.pk}/thumbnail").status_code == 200


def test_no_thumbnail_for_files_that_are_not_images(cast: Cast) -> None:
    fake = _attach(cast, "fake.png", PNG)  # a PNG signature and nothing else
    pdf = _attach(cast, "doc.pdf", b"%PDF-1.4 x")
    http = cast.login(cast.bob)
    assert http.get(f"/cases/documents/{fake.pk}/thumbnail").status_code == 404
    assert http.get(f"/cases/documents/{pdf.pk}/thumbnail").status_code == 404


def test_internal_image_thumbnail_is_internal(cast: Cast) -> None:
    document = _attach(cast, "secret.png", _real_png(40, 40), internal=True)
    assert cast.login(cast.carol_user).get(f"/cases/documents/{document.pk}/thumbnail").status_code == 404
    assert cast.login(cast.bob).get(f"/cases/documents/{document.pk}/thumbnail").status_code == 200
