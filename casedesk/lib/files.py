"""Uploaded files: type sniffing from content, sizes people can read, safe serving.

Nothing here reads a whole file into memory: sniffing looks at the first few kilobytes and
serving streams the stored file in chunks (``FileResponse``).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import IO, Any

import puremagic
from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import FileResponse

SNIFF_BYTES = 8192

# Types a browser may show in the page. Everything else (HTML, SVG, scripts, office files,
# archives, unknown) is served as a download. SVG is left out on purpose: it can carry script.
SAFE_INLINE_TYPES = frozenset(
    {
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "image/bmp",
        "image/avif",
        "application/pdf",
        "video/mp4",
        "video/webm",
        "video/ogg",
        "video/quicktime",
    }
)
# Applied to every served file: even an inline PDF or image cannot run script or reach out.
FILE_CSP = (
    "sandbox; default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'; "
    "frame-ancestors 'self'"  # the thread's PDF preview frames it; nobody else may
)


def human_size(size: int) -> str:
    """``31.2 MB``, ``25 MB``, ``812 KB``, ``14 bytes`` (binary multiples, as file managers show)."""
    if size < 1024:
        return f"{size} byte" + ("" if size == 1 else "s")
    value = float(size)
    for unit in ("KB", "MB", "GB", "TB"):
        value /= 1024
        if value < 1024 or unit == "TB":
            text = f"{value:.1f}".rstrip("0").rstrip(".")
            return f"{text} {unit}"
    raise AssertionError("unreachable")


def size_over_limit(size: int, limit: int) -> str:
    """How big a refused file is, in the limit's unit: ``31.2 MB``, or ``just over 25 MB`` when
    rounding would make it look the same as the limit (a file one byte too large)."""
    shown = human_size(size)
    return f"just over {human_size(limit)}" if shown == human_size(limit) else shown


def upload_limit_bytes() -> int:
    """THE size rule for every file people send us (pages, API, widget, inbound email):
    ``settings.MAX_ATTACHMENT_BYTES``, 25 MB unless configured otherwise."""
    return int(settings.MAX_ATTACHMENT_BYTES)


def is_over_upload_limit(size: int) -> bool:
    return size > upload_limit_bytes()


def upload_name(upload: Any) -> str:
    """The display name of an uploaded file: its last path part, trimmed, at most 255 characters."""
    name = getattr(upload, "name", None) or "file"
    return (str(name).replace("\\", "/").rsplit("/", 1)[-1].strip() or "file")[:255]


def upload_size(upload: Any) -> int:
    size = getattr(upload, "size", None)
    return int(size) if size is not None else 0


def read_head(fileobj: Any, limit: int = SNIFF_BYTES) -> bytes:
    """The first ``limit`` bytes of an uploaded or stored file, leaving its position at the start."""
    with contextlib.suppress(AttributeError, OSError, ValueError):
        fileobj.seek(0)
    head = fileobj.read(limit) or b""
    with contextlib.suppress(AttributeError, OSError, ValueError):
        fileobj.seek(0)
    return head if isinstance(head, bytes) else head.encode()


def sniff_content_type(head: bytes, filename: str = "") -> str:
    """The MIME type the *content* says it is. The name only breaks ties between content matches.

    A file named ``photo.png`` whose bytes are HTML comes back as ``text/html``.
    """
    if not head:
        return "application/octet-stream"
    try:
        # puremagic's public ranking: content signatures, highest confidence first.
        matches = puremagic.magic_string(head, filename=filename or None)
    except (puremagic.PureError, ValueError):
        matches = []
    for match in matches:
        if match.mime_type:
            return str(match.mime_type)
    if b"\x00" not in head:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError:
            # A multi-byte character cut at the sniff boundary still counts as text.
            try:
                head[:-4].decode("utf-8")
            except UnicodeDecodeError:
                return "application/octet-stream"
        return "text/plain"
    return "application/octet-stream"


def sniff_upload(fileobj: IO[bytes] | Any, filename: str = "") -> str:
    return sniff_content_type(read_head(fileobj), filename)


def is_safe_inline(content_type: str) -> bool:
    return content_type in SAFE_INLINE_TYPES


def kind_of(content_type: str) -> str:
    """A short family name for icons and previews: image, pdf, video, text, other."""
    if content_type in SAFE_INLINE_TYPES and content_type.startswith("image/"):
        return "image"
    if content_type == "application/pdf":
        return "pdf"
    if content_type.startswith("video/") and content_type in SAFE_INLINE_TYPES:
        return "video"
    return "other"


STREAM_CHUNK_BYTES = 64 * 1024


async def _read_chunks(fileobj: IO[bytes]) -> AsyncIterator[bytes]:
    try:
        while True:
            chunk = await sync_to_async(fileobj.read, thread_sensitive=False)(STREAM_CHUNK_BYTES)
            if not chunk:
                break
            yield chunk
    finally:
        await sync_to_async(fileobj.close, thread_sensitive=False)()


def file_response(
    fileobj: IO[bytes], *, filename: str, content_type: str, inline: bool, asynchronous: bool = False
) -> FileResponse:
    """Stream a stored file with headers that stop it from ever running as a page.

    Inline only for safe types; everything else is an attachment. Always ``nosniff`` and a
    sandboxing CSP, so a ``.png`` that is really HTML or SVG never runs.

    ``asynchronous``: under ASGI, Django would read a sync file iterator into a list (the whole
    file in memory) before sending it; an async iterator of chunks keeps memory flat.
    """
    show_inline = inline and is_safe_inline(content_type)
    served_type = content_type if show_inline else "application/octet-stream"
    response = FileResponse(
        fileobj, as_attachment=not show_inline, filename=filename or "file", content_type=served_type
    )
    if asynchronous:
        # Headers (length, disposition) are already set from the file; swap in async chunks.
        response.streaming_content = _read_chunks(fileobj)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = FILE_CSP
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Cache-Control"] = "private, no-store"
    return response


THUMBNAIL_PX = 320
# Refuse to decode absurd images (decompression bombs) for a thumbnail: 50 megapixels is plenty.
THUMBNAIL_MAX_SOURCE_PIXELS = 50_000_000


def make_thumbnail(fileobj: IO[bytes], max_px: int = THUMBNAIL_PX) -> bytes | None:
    """A small WebP of an image, or None when the file is not an image Pillow can safely read.

    Pillow decodes lazily and JPEG ``draft`` mode decodes at reduced size, so a large photo
    is never fully expanded in memory just to show a thumbnail.
    """
    import io
    import warnings

    from PIL import Image, ImageOps

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(fileobj) as source:
                if source.width * source.height > THUMBNAIL_MAX_SOURCE_PIXELS:
                    return None
                source.draft("RGB", (max_px * 2, max_px * 2))
                image: Image.Image = ImageOps.exif_transpose(source)
                image.thumbnail((max_px, max_px))
                if image.mode not in ("RGB", "RGBA"):
                    image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
                out = io.BytesIO()
                image.save(out, format="WEBP", quality=80)
                return out.getvalue()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        return None


# A PDF whose first page is larger than this (in points, 1/72 in) is not previewed: a poster-sized
# page would be rendered at a tiny scale anyway, and absurd sizes are how a PDF wastes memory.
PDF_PREVIEW_MAX_POINTS = 14_400  # 200 in, PDF's own limit


def make_pdf_preview(fileobj: IO[bytes], max_px: int = THUMBNAIL_PX) -> bytes | None:
    """The first page of a PDF as a small WebP, or None when PDFium cannot read it.

    PDFium is the PDF engine of Chromium, built to render untrusted files; only page 1 is
    loaded, rendered straight at thumbnail size.
    """
    import io

    import pypdfium2

    try:
        pdf = pypdfium2.PdfDocument(fileobj.read())
    except pypdfium2.PdfiumError:
        return None
    try:
        if len(pdf) == 0:
            return None
        page = pdf[0]
        try:
            width, height = page.get_size()
            if not (0 < width <= PDF_PREVIEW_MAX_POINTS and 0 < height <= PDF_PREVIEW_MAX_POINTS):
                return None
            bitmap = page.render(scale=max_px / max(width, height))
            image = bitmap.to_pil().convert("RGB")
        finally:
            page.close()
        out = io.BytesIO()
        image.save(out, format="WEBP", quality=80)
        return out.getvalue()
    except (pypdfium2.PdfiumError, OSError, ValueError):
        return None
    finally:
        pdf.close()
