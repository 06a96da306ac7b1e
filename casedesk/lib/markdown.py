"""Markdown to safe HTML. Owned by Case Messages; the minimal version renders and sanitises."""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table").enable("strikethrough")


def render_markdown(text: str) -> str:
    """Render Markdown; raw HTML is not allowed and the output is sanitised by nh3."""
    html = _md.render(text)
    return nh3.clean(html, link_rel="noopener nofollow")
