"""The HTML of thread messages, for the team's and the client's thread views.

One function builds every message ``<article>`` the pages show: the first page, "load earlier",
the live catch-up feed and the single-message fragment, for the team (``/cases/...``) and for
clients (``/my-cases/...``). It replaces a per-message ``{% include %}`` that cost about half of
the thread page's time (issue 8): Django's template engine resolved ~40 nodes, three ``date``
filters and up to four ``{% url %}`` reversals per message. Here each message is a handful of
string operations; ``body_html`` is stored sanitised at write time and is inserted as is.

It only formats: the messages and files it gets have already been through
``casedesk.cases.access`` (``visible_messages`` / ``visible_documents``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.template.defaultfilters import filesizeformat
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from casedesk.cases.models import Case, Document, Message, MessageSource
from casedesk.lib.avatars import avatar_html, photo_token
from casedesk.lib.files import kind_of

THUMBNAIL_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
# Stands in for an id while reversing a URL once; rsplit finds it at the end of the path.
_MARKER = 987654321


def _url_maker(name: str, *args: int) -> tuple[str, str]:
    """(head, tail) such that head + str(id) + tail == reverse(name, args=[*args, id])."""
    head, tail = reverse(name, args=[*args, _MARKER]).rsplit(str(_MARKER), 1)
    return escape(head), escape(tail)  # as {% url %} in a template would be (a script prefix)


def _token_url_maker(name: str) -> tuple[str, str]:
    """(head, tail) such that head + token + tail == reverse(name, args=[token])."""
    head, tail = reverse(name, args=["TOKEN"]).rsplit("TOKEN", 1)
    return escape(head), escape(tail)


@dataclass(frozen=True)
class ThreadUrls:
    """URL shapes for one case and audience, reversed once per response instead of per message."""

    history: tuple[str, str] | None
    edit: tuple[str, str]
    delete: tuple[str, str]
    inline: tuple[str, str]
    thumbnail: tuple[str, str]
    download: tuple[str, str]
    photo: tuple[str, str]

    @classmethod
    def for_case(cls, case: Case, *, is_team: bool) -> ThreadUrls:
        ns = "cases" if is_team else "portal"
        return cls(
            history=_url_maker("cases:message_history", case.pk) if is_team else None,
            edit=_url_maker(f"{ns}:message_edit", case.pk),
            delete=_url_maker(f"{ns}:message_delete", case.pk),
            inline=_url_maker("cases:document_inline"),
            thumbnail=_url_maker("cases:document_thumbnail"),
            download=_url_maker("cases:document_download"),
            photo=_token_url_maker("accounts:photo"),
        )


def _url(shape: tuple[str, str], pk: int) -> str:
    return f"{shape[0]}{pk}{shape[1]}"


def _short(local: datetime) -> str:
    """``local|date:"j M Y, H:i"`` without the format parser (three of these per message)."""
    month = MONTHS_3[local.month].title()
    return f"{local.day} {month} {local.year:04d}, {local.hour:02d}:{local.minute:02d}"


# A file chip's icon: a short label on a colour per family (classes file-chip--<family>).
FILE_ICON_LABELS = {
    "image": "IMG",
    "pdf": "PDF",
    "video": "VID",
    "audio": "AUD",
    "archive": "ZIP",
    "sheet": "XLS",
    "doc": "DOC",
    "text": "TXT",
    "other": "FILE",
}
_ARCHIVES = frozenset(
    {
        "application/zip",
        "application/x-tar",
        "application/gzip",
        "application/x-7z-compressed",
        "application/x-rar",
    }
)


def file_family(content_type: str) -> str:
    """The icon family of a file, from its sniffed type (``kind_of`` first, for the previewable ones)."""
    kind = kind_of(content_type)
    if kind != "other":
        return kind
    if content_type in _ARCHIVES:
        return "archive"
    if content_type.startswith("audio/"):
        return "audio"
    if content_type == "text/csv" or "spreadsheet" in content_type or "ms-excel" in content_type:
        return "sheet"
    if "wordprocessing" in content_type or content_type in ("application/msword", "application/rtf"):
        return "doc"
    if content_type.startswith("text/"):
        return "text"
    return "other"


def author_key(m: Message) -> str:
    """Who wrote a message, as a stable key: a portal client's messages carry their user too,
    so one person has one key (and one avatar colour) whichever way they write."""
    if m.author_user_id:
        return f"u{m.author_user_id}"
    if m.author_contact_id:
        return f"c{m.author_contact_id}"
    return "system"


def _photo_url(m: Message, urls: ThreadUrls) -> str:
    token = photo_token(m.author_user.photo) if m.author_user is not None else ""
    return f"{urls.photo[0]}{token}{urls.photo[1]}" if token else ""


def file_chip_html(d: Document, urls: ThreadUrls) -> str:
    """One attachment: a thumbnail (images; a PDF's first page), a type icon, the name (a
    download) and its size."""
    name = escape(d.name)
    kind = file_family(d.content_type)
    thumb = ""
    if d.content_type in THUMBNAIL_TYPES or kind == "pdf":
        alt = f"First page of {name}" if kind == "pdf" else name
        thumb = (
            f'<a class="file-thumb" href="{_url(urls.inline, d.pk)}" target="_blank" rel="noopener">'
            f'<img class="msg-thumb" src="{_url(urls.thumbnail, d.pk)}" alt="{alt}" loading="lazy">'
            "</a>\n"
        )
    return (
        f'<li class="msg-file file-chip file-chip--{kind}">\n{thumb}'
        f'<span class="file-icon" aria-hidden="true">{FILE_ICON_LABELS[kind]}</span>\n'
        '<span class="file-text">'
        f'<a class="msg-file-name" href="{_url(urls.download, d.pk)}" download>{name}</a>\n'
        f'<span class="msg-file-meta">{escape(filesizeformat(d.size))}</span></span>\n</li>\n'
    )


def _files_html(files: Iterable[Document], urls: ThreadUrls) -> str:
    return '<ul class="msg-files">\n' + "".join(file_chip_html(d, urls) for d in files) + "</ul>\n"


def message_html(
    m: Message,
    *,
    urls: ThreadUrls,
    is_team: bool,
    me_user_id: int | None,
    contact_id: int | None = None,
) -> str:
    """One message as the ``<article>`` the thread script expects (``data-id``, ``.msg-body``,
    ``.msg-edit`` / ``.msg-delete`` with ``data-url``, ``template.msg-source``).

    ``m`` comes from ``casedesk.cases.threads`` (authors selected, ``visible_files`` prefetched).
    ``contact_id`` is the client viewer's contact: their own messages say "You".
    """
    classes = "msg"
    if m.internal_only:
        classes += " msg-internal"
    if m.is_from_client:
        classes += " msg-client"
    tags = ""
    if m.is_from_client:
        you = not is_team and contact_id is not None and m.author_contact_id == contact_id
        tags += f'<span class="tag tag-client">{"You" if you else "Client"}</span>\n'
    elif not is_team and m.author_user_id:
        tags += '<span class="tag tag-team">Team</span>\n'
    if m.internal_only:
        tags += '<span class="tag tag-internal" title="Only your team sees this message">Internal</span>\n'
    if m.source == MessageSource.EMAIL:
        tags += '<span class="tag">by email</span>\n'
    elif m.source == MessageSource.SUPPORT_CHAT:
        tags += '<span class="tag">chat</span>\n'
    created = timezone.localtime(m.created_at)
    created_short = _short(created)
    edited = ""
    if m.edited_at is not None:
        edited_short = _short(timezone.localtime(m.edited_at))
        if is_team and urls.history is not None:
            edited = (
                f'<a class="msg-edited" href="{_url(urls.history, m.pk)}" '
                f'title="Edited {edited_short}: see earlier versions">edited</a>'
            )
        else:
            edited = f'<span class="msg-edited" title="Edited {edited_short}">edited</span>'
    key = author_key(m)
    # data-author and the time's datetime let the thread script group consecutive messages
    # and put day separators in the viewer's time zone, on the first page and on live inserts.
    parts = [
        f'\n<article class="{classes}" id="m{m.pk}" data-id="{m.pk}" data-author="{key}">\n',
        avatar_html(m.author_name, key, _photo_url(m, urls)),
        '<header class="msg-head">\n',
        f'<span class="msg-author">{escape(m.author_name)}</span>\n',
        tags,
        f'<time class="msg-time" datetime="{created.isoformat()}" '
        f'title="{created_short} {escape(created.tzname() or "")}">{created_short}</time>\n',
        edited,
        f'\n</header>\n<div class="msg-body">{m.body_html}</div>\n',
    ]
    if is_team and m.source == MessageSource.EMAIL:
        # The mail app's own partial ("Show full email"); only email messages pay for it.
        parts.append(get_template("mail/partials/full_email_toggle.html").render({"message": m}))
        parts.append("\n")
    files = getattr(m, "visible_files", None)
    if files:
        parts.append(_files_html(files, urls))
    if me_user_id and m.author_user_id == me_user_id:
        edit_url, delete_url = _url(urls.edit, m.pk), _url(urls.delete, m.pk)
        parts.append(
            '<div class="msg-actions">\n'
            f'<button type="button" class="link msg-edit" data-url="{edit_url}">Edit</button>\n'
            f'<button type="button" class="link msg-delete" data-url="{delete_url}">Delete</button>\n'
            f'</div>\n<template class="msg-source">{escape(m.body)}</template>\n'
        )
    parts.append("</article>\n")
    return "".join(parts)


def messages_html(
    messages: Iterable[Message],
    case: Case,
    *,
    is_team: bool,
    me_user_id: int | None,
    contact_id: int | None = None,
) -> SafeString:
    """Every message of a window, oldest first, as one safe string for a template or a response."""
    urls = ThreadUrls.for_case(case, is_team=is_team)
    # Safe: every value above is escaped, and body_html is sanitised when a message is written.
    return mark_safe(
        "".join(
            message_html(m, urls=urls, is_team=is_team, me_user_id=me_user_id, contact_id=contact_id)
            for m in messages
        )
    )
