"""The Python-built message HTML (``casedesk.cases.message_html``), a known exception to
"public APIs only" (DEVELOPERS.md): it writes the markup a template would, so it must escape every
field a template would have escaped. Called directly here with hostile values in every field the
article shows: author names, file names (text and ``alt``), the editable source, the body."""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from casedesk.cases.actions import do_post_message
from casedesk.cases.message_html import ThreadUrls, message_html, messages_html
from casedesk.cases.models import Message, MessageSource
from tests.conftest import Cast

HOSTILE = [
    'Mother\'s Day <b onmouseover="alert(0)">',
    '<script>alert("name")</script>',
    "\"><img src=x onerror='alert(1)'>",
    'O\'Brien & "Sons" <b>bold</b>',
    "javascript:alert(document.cookie)",
]
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(40)


class _Page(HTMLParser):
    """Every element, attribute and text run of a fragment, as a browser would parse it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.texts: list[str] = []
        self._stack: list[str] = []
        self.text_in: dict[str, list[str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        self.tags.append((tag, values))
        if tag not in ("img", "br", "hr", "input"):
            self._stack.append(values.get("class", tag))

    def handle_endtag(self, tag: str) -> None:
        if self._stack:
            self._stack.pop()

    def handle_data(self, data: str) -> None:
        self.texts.append(data)
        if self._stack:
            self.text_in.setdefault(self._stack[-1], []).append(data)


def _parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    page.close()
    return page


def _assert_inert(page: _Page) -> None:
    for tag, attrs in page.tags:
        assert tag not in ("script", "svg", "iframe", "object", "embed", "style"), tag
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            if name in ("href", "src", "data-url", "action"):
                assert not value.strip().lower().startswith(("javascript:", "data:", "vbscript:")), value


def _thread_message(message: Message) -> Message:
    m = Message.objects.select_related("author_user", "author_contact").get(pk=message.pk)
    m.visible_files = list(m.documents.order_by("id"))  # type: ignore[attr-defined]
    return m


@pytest.mark.parametrize("hostile", HOSTILE)
def test_every_field_of_a_team_message_is_escaped(cast: Cast, hostile: str) -> None:
    cast.bob.name = hostile
    cast.bob.save(update_fields=["name"])
    body = (
        f"{hostile}\n\n[click me](javascript:alert(2)) <a href=\"javascript:alert(3)\" onclick='x()'>x</a>"
        f' <img src="javascript:alert(4)" onerror="alert(5)"> <iframe src="https://evil.test"></iframe>'
    )
    message = do_post_message(
        case=cast.case_a,
        body=body,
        author_user=cast.bob,
        files=[SimpleUploadedFile(f"{hostile}.png", PNG), SimpleUploadedFile(f"{hostile}.txt", b"x")],
    )
    Message.objects.filter(pk=message.pk).update(edited_at=timezone.now() + timedelta(minutes=1))
    m = _thread_message(message)
    urls = ThreadUrls.for_case(cast.case_a, is_team=True)
    html = message_html(m, urls=urls, is_team=True, me_user_id=cast.bob.pk)
    page = _parse(html)
    _assert_inert(page)
    # The hostile text comes back as text, unchanged, wherever it is shown.
    assert "".join(page.text_in["msg-author"]) == hostile
    # Stored names (an upload's name loses anything before a "/"), shown exactly as stored.
    stored = [d.name for d in m.visible_files]  # type: ignore[attr-defined]
    assert page.text_in["msg-file-name"] == stored
    alts = [
        attrs["alt"] for tag, attrs in page.tags if tag == "img" and "msg-thumb" in attrs.get("class", "")
    ]
    assert alts == [stored[0]]
    # The editable source is the author's text, escaped into a <template>, not markup.
    assert "".join(page.text_in["msg-source"]) == body
    assert "<script>" not in html and "<iframe" not in html


@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_clients_email_message_is_escaped_for_team_and_client(cast: Cast, hostile: str) -> None:
    cast.carol.name = hostile
    cast.carol.save(update_fields=["name"])
    message = do_post_message(
        case=cast.case_a,
        body=f"Re: {hostile}\n\n<script>alert(6)</script> \"quoted\" 'single'",
        author_contact=cast.carol,
        source=MessageSource.EMAIL,
        files=[SimpleUploadedFile(f"{hostile}.pdf", b"%PDF-1.4\n" + bytes(64))],
    )
    m = _thread_message(message)
    for is_team in (True, False):
        html = messages_html(
            [m],
            cast.case_a,
            is_team=is_team,
            me_user_id=None,
            contact_id=None if is_team else cast.carol.pk,
        )
        page = _parse(str(html))
        _assert_inert(page)
        assert "".join(page.text_in["msg-author"]) == hostile
        assert page.text_in["msg-file-name"] == [d.name for d in m.visible_files]  # type: ignore[attr-defined]
        assert "<script>alert(6)" not in html
        assert "msg-source" not in html  # not the viewer's message: no editable source
