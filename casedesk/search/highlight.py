"""Snippets with the searched words marked, built from escaped text only.

The text is split around the matches and every piece is escaped before ``<mark>`` tags are put
between them; nothing a person wrote is ever marked safe as it was written.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

SNIPPET_CHARS = 220
LEAD_CHARS = 70


def _stem(word: str) -> str:
    # Stemming languages match "approved" for "approve": mark every word that starts like it.
    return word if len(word) <= 4 else word[: max(4, len(word) - 2)]


def word_pattern(words: Sequence[str]) -> re.Pattern[str] | None:
    stems = sorted({_stem(w) for w in words if w}, key=len, reverse=True)
    if not stems:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(s) for s in stems) + r")\w*", re.IGNORECASE)


def snippet(text: str, words: Sequence[str], length: int = SNIPPET_CHARS) -> SafeString:
    """Up to ``length`` characters of ``text`` around its first match, matches in ``<mark>``."""
    flat = " ".join(text.split())
    pattern = word_pattern(words)
    first = pattern.search(flat) if pattern else None
    start = 0
    if first is not None and first.start() > LEAD_CHARS:
        start = flat.rfind(" ", 0, first.start() - LEAD_CHARS) + 1
    end = min(len(flat), start + length)
    if end < len(flat):
        cut = flat.rfind(" ", start, end)
        end = cut if cut > start else end
    window = flat[start:end]
    pieces: list[str] = ["…" if start > 0 else ""]
    position = 0
    if pattern is not None:
        for match in pattern.finditer(window):
            pieces.append(escape(window[position : match.start()]))
            pieces.append(f"<mark>{escape(match.group())}</mark>")
            position = match.end()
    pieces.append(escape(window[position:]))
    if end < len(flat):
        pieces.append("…")
    # Every piece above went through escape(); only the <mark> tags are ours.
    return mark_safe("".join(pieces))
