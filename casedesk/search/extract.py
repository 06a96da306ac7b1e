"""The text inside a file, for search: PDF (pypdf), Word .docx (python-docx), Excel .xlsx (openpyxl)
and plain text. Pure: bytes in, text out; the job that calls it is ``extraction.py``.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from typing import BinaryIO

MAX_TEXT_CHARS = 200_000  # enough for any document people search; keeps the index row bounded
MAX_PDF_PAGES = 300
MAX_SHEET_CELLS = 100_000

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEXT_TYPES = {"text/plain", "text/csv", "text/markdown"}


class UnsupportedFile(Exception):
    """This kind of file has no text we read (images, archives, ...)."""


def _pdf(stream: BinaryIO) -> str:
    from pypdf import PdfReader

    reader = PdfReader(stream)
    parts = []
    for page in reader.pages[:MAX_PDF_PAGES]:
        parts.append(page.extract_text() or "")
        if sum(len(p) for p in parts) > MAX_TEXT_CHARS:
            break
    return "\n".join(parts)


def _docx(stream: BinaryIO) -> str:
    import docx

    document = docx.Document(stream)
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append(" ".join(cell.text for cell in row.cells))
    return "\n".join(parts)


def _xlsx(stream: BinaryIO) -> str:
    from openpyxl import load_workbook

    workbook = load_workbook(stream, read_only=True, data_only=True)
    parts: list[str] = []
    cells = 0
    try:
        for sheet in workbook.worksheets:
            parts.append(sheet.title)
            for row in sheet.iter_rows(values_only=True):
                values = [str(v) for v in row if v is not None]
                cells += len(row)
                if values:
                    parts.append(" ".join(values))
                if cells > MAX_SHEET_CELLS:
                    return "\n".join(parts)
    finally:
        workbook.close()
    return "\n".join(parts)


def _text(stream: BinaryIO) -> str:
    return stream.read(MAX_TEXT_CHARS * 4).decode("utf-8", errors="replace")


READERS: dict[str, Callable[[BinaryIO], str]] = {PDF: _pdf, DOCX: _docx, XLSX: _xlsx}


def has_reader(content_type: str) -> bool:
    """Whether files of this (sniffed) type may hold text we read; decided without the bytes."""
    return content_type in READERS or content_type in TEXT_TYPES or content_type == "application/zip"


def extract_text(data: bytes | BinaryIO, content_type: str) -> str:
    """The file's text (whitespace-collapsed, at most ``MAX_TEXT_CHARS``); raises ``UnsupportedFile``.

    ``content_type`` is the sniffed one stored on the document (from the bytes, not the name).
    Office files sniffed as a plain ZIP are tried by their inner layout.
    """
    stream: BinaryIO = io.BytesIO(data) if isinstance(data, bytes) else data
    reader = READERS.get(content_type)
    if reader is None and content_type in TEXT_TYPES:
        reader = _text
    if reader is None and content_type == "application/zip":
        reader = _office_by_layout(stream)
    if reader is None:
        raise UnsupportedFile(content_type)
    text = reader(stream)
    return " ".join(text.split())[:MAX_TEXT_CHARS]


def _office_by_layout(stream: BinaryIO) -> Callable[[BinaryIO], str] | None:
    try:
        with zipfile.ZipFile(stream) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile:
        return None
    finally:
        stream.seek(0)
    if "word/document.xml" in names:
        return _docx
    if "xl/workbook.xml" in names:
        return _xlsx
    return None
