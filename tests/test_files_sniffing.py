"""Type sniffing: the indexed signature lookup gives exactly what puremagic gives."""

from __future__ import annotations

import io
import random
import zipfile

import puremagic
import puremagic.main as puremagic_main
import pytest

from casedesk.lib.files import (
    SNIFF_BYTES,
    _magic_matches,
    _SignatureIndex,
    is_safe_inline,
    sniff_content_type,
)


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


@pytest.mark.parametrize(("data", "filename"), SAMPLES)
def test_indexed_sniffing_matches_puremagic(data: bytes, filename: str) -> None:
    head = data[:SNIFF_BYTES]
    try:
        expected = puremagic.magic_string(head, filename=filename or None)
    except puremagic.PureError:
        expected = None
    try:
        got = _magic_matches(head, filename)
    except puremagic.PureError:
        got = None
    if expected is None:
        assert got is None
        return
    assert got is not None
    # Multi-part matches come from a set in puremagic too, so compare as sorted lists.
    assert sorted(map(repr, got)) == sorted(map(repr, expected))


def test_indexed_sniffing_matches_puremagic_on_random_heads() -> None:
    rng = random.Random(8)
    # Random heads carrying real signatures at their offsets, so the index is exercised across many rows.
    rows = list(puremagic_main.magic_header_array)
    for _ in range(400):
        row = rng.choice(rows)
        head = bytearray(rng.randbytes(rng.randint(1, 2048)))
        end = row.offset + len(row.byte_match)
        if end > len(head):
            head.extend(bytes(end - len(head)))
        head[row.offset : end] = row.byte_match
        data = bytes(head)
        try:
            expected = sorted(map(repr, puremagic.magic_string(data)))
        except puremagic.PureError:
            expected = []
        try:
            got = sorted(map(repr, _magic_matches(data)))
        except puremagic.PureError:
            got = []
        assert got == expected


def test_disguised_html_and_svg_are_not_images() -> None:
    assert sniff_content_type(b"<!DOCTYPE html><html><script>x</script>", "photo.png") == "text/html"
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>x</script></svg>'
    assert sniff_content_type(svg, "photo.png") == "image/svg+xml"
    assert not is_safe_inline(sniff_content_type(svg, "photo.png"))
    assert sniff_content_type(b"%PDF-1.4\n" + bytes(100), "x.png") == "application/pdf"


@pytest.mark.parametrize(
    "filename",
    ["report.pdf", "archive.tar.gz", "a.b.c.PNG", "noext", "x.tar.bz2", ".hidden", "weird.", "a.x.tar"],
)
def test_extension_matches_puremagic(filename: str) -> None:
    assert _SignatureIndex().extension(filename) == puremagic_main.ext_from_filename(filename)
