"""Markdown to safe HTML, and @mention parsing. Owned by Case Messages.

Raw HTML in the source is never passed through (markdown-it with ``html=False`` escapes it),
and the output is sanitised again by nh3 with an allow-list, so no script, event handler,
``javascript:`` URL or style can reach a page. Links get ``rel="noopener nofollow"``.

Mentions are written ``@**Full Name**`` (what the composer's autocomplete inserts; the same
shape Zulip uses) or ``@**email@example.com**``.
"""

from __future__ import annotations

import html
import re
from typing import Any

import nh3
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table").enable("strikethrough")
# Text that came by email was written as plain text: every line break in it is meant.
_md_hard_breaks = (
    MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True})
    .enable("table")
    .enable("strikethrough")
)


def _image_as_link(self: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
    """Remote images would let any sender track who reads the thread; show them as links."""
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    alt = self.renderInlineAsText(token.children or [], options, env) or src
    return f'<a href="{html.escape(src)}">{html.escape(alt)}</a>'


_md.add_render_rule("image", _image_as_link)
_md_hard_breaks.add_render_rule("image", _image_as_link)

MENTION_RE = re.compile(r"@\*\*([^*\n]{1,150})\*\*")
# What the Markdown renderer makes of a mention: "@" followed by a <strong> element.
_RENDERED_MENTION_RE = re.compile(r"@<strong>([^<]{1,200})</strong>")

_ALLOWED_TAGS = {
    "a", "p", "br", "hr", "strong", "em", "del", "s", "code", "pre", "blockquote",
    "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td", "span",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "th": {"align"},
    "td": {"align"},
    "ol": {"start"},
}


def render_markdown(text: str, *, hard_breaks: bool = False) -> str:
    """Render Markdown; raw HTML is not allowed and the output is sanitised by nh3.

    ``hard_breaks`` renders every line break as ``<br>`` (for email, where a signature's lines
    are lines); typed messages keep CommonMark's soft breaks.
    """
    rendered = (_md_hard_breaks if hard_breaks else _md).render(text)
    rendered = _RENDERED_MENTION_RE.sub(lambda m: f'<span class="mention">@{m.group(1)}</span>', rendered)
    return nh3.clean(
        rendered,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener nofollow",
        allowed_classes={"span": {"mention"}},
    )


def mentioned_names(text: str) -> list[str]:
    """The names (or emails) mentioned in ``text``, in order, without duplicates."""
    seen: dict[str, None] = {}
    for match in MENTION_RE.finditer(text):
        name = " ".join(match.group(1).split())
        if name and name.lower() not in {k.lower() for k in seen}:
            seen[name] = None
    return list(seen)


def plain_text(text: str) -> str:
    """A Markdown source as one line of the text a reader sees, without Markdown marks
    (``*Autumn*`` reads "Autumn"): for excerpts and search snippets."""
    words = MENTION_RE.sub(lambda m: "@" + m.group(1), text)
    words = nh3.clean(_md.render(words), tags=set())  # every tag dropped, the text kept
    return html.unescape(" ".join(words.split()))


def plain_excerpt(text: str, length: int = 140) -> str:
    """A one-line plain-text excerpt of a Markdown source for notifications and previews."""
    flat = plain_text(text)
    return flat if len(flat) <= length else flat[: length - 1].rstrip() + "…"
