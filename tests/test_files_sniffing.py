"""Type sniffing: the content decides, through puremagic's public ranking; the name only breaks ties."""

from __future__ import annotations

import io
import random
import zipfile

import puremagic
import pytest

from casedesk.lib.files import SNIFF_BYTES, is_safe_inline, sniff_content_type


def _zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
        archive.writestr("[Content_Types].xml", "<Types/>")
    return out.getvalue()


SAMPLES: list[tuple[bytes, str]] = [
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n" + b"x" * 3000 + b"\n%%EOF\n", "report.pdf"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(40), "photo.png"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(40), "photo.jpg"),
    (b"GIF89a" + bytes(40), "a.gif"),
    (b"RIFF\x24\x00\x00\x00WEBPVP8 " + bytes(40), "a.webp"),
    (b"<!DOCTYPE html><html><script>alert(1)</script></html>", "photo.png"),
    (b"<html><body>hi</body></html>", "x.jpg"),
    (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script/></svg>', "x.png"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", "x.gif"),
    (_zip(), "letter.docx"),
    (_zip(), ""),
    (b"\x1f\x8b\x08\x00" + bytes(40), "a.gz"),
    (b"\x00\x00\x00\x18ftypmp42" + bytes(40), "v.mp4"),
    (b"plain text, nothing special", "notes.txt"),
    (b"\x00\x01\x02", "short.bin"),
    (b"%", ""),
]


def _public_answer(head: bytes, filename: str) -> str | None:
    """The first MIME type in ``puremagic.magic_string``'s ranking, or None when nothing matches."""
    try:
        ranked = puremagic.magic_string(head, filename=filename or None)
    except (puremagic.PureError, ValueError):
        return None
    return next((str(match.mime_type) for match in ranked if match.mime_type), None)


@pytest.mark.parametrize(("data", "filename"), SAMPLES)
def test_sniffing_follows_puremagics_public_ranking(data: bytes, filename: str) -> None:
    head = data[:SNIFF_BYTES]
    expected = _public_answer(head, filename)
    got = sniff_content_type(head, filename)
    if expected is None:
        # No signature matched: text or opaque bytes, never a type a browser would render.
        assert got in ("text/plain", "application/octet-stream")
        return
    assert got == expected


@pytest.mark.parametrize(
    ("data", "filename", "expected"),
    [
        (SAMPLES[0][0], "report.pdf", "application/pdf"),
        (SAMPLES[1][0], "photo.png", "image/png"),
        (SAMPLES[2][0], "photo.jpg", "image/jpeg"),
        (SAMPLES[3][0], "a.gif", "image/gif"),
        (b"plain text, nothing special", "notes.txt", "text/plain"),
        (b"\x00\x01\x02", "short.bin", "application/octet-stream"),
    ],
)
def test_common_types_are_recognised_from_their_bytes(data: bytes, filename: str, expected: str) -> None:
    assert sniff_content_type(data, filename) == expected
    # The content decides: the same bytes under a misleading name give the same type.
    assert sniff_content_type(data, "renamed.html") == expected


def test_random_heads_with_real_signatures_follow_the_public_ranking() -> None:
    rng = random.Random(8)
    signatures = [
        (b"%PDF-", 0),
        (b"\x89PNG\r\n\x1a\n", 0),
        (b"\xff\xd8\xff", 0),
        (b"GIF89a", 0),
        (b"PK\x03\x04", 0),
        (b"\x1f\x8b\x08", 0),
        (b"ftypmp42", 4),
        (b"<html", 0),
    ]
    for _ in range(200):
        signature, offset = rng.choice(signatures)
        head = bytearray(rng.randbytes(rng.randint(1, 2048)))
        end = offset + len(signature)
        if end > len(head):
            head.extend(bytes(end - len(head)))
        head[offset:end] = signature
        data = bytes(head)
        expected = _public_answer(data, "")
        got = sniff_content_type(data)
        if expected is None:
            assert got in ("text/plain", "application/octet-stream")
        else:
            assert got == expected


def test_disguised_html_and_svg_are_not_images() -> None:
    assert sniff_content_type(b"<!DOCTYPE html><html><script>x</script>", "photo.png") == "text/html"
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>x</script></svg>'
    assert sniff_content_type(svg, "photo.png") == "image/svg+xml"
    assert not is_safe_inline(sniff_content_type(svg, "photo.png"))
    assert sniff_content_type(b"%PDF-1.4\n" + bytes(100), "x.png") == "application/pdf"
