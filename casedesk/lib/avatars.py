"""Avatars without images: a person's initials on a colour derived from who they are.

The colour is one of a fixed palette (CSS classes ``avatar--c0`` … ``avatar--c7`` in
``cases/thread.css``), because the pages' Content-Security-Policy allows no ``style=``
attribute. Every palette colour carries white initials at a contrast of at least 4.5:1
(WCAG 2.2 AA for normal text); ``tests/test_avatars.py`` computes it.
"""

from __future__ import annotations

import unicodedata
import zlib

# Background colours of the palette, in the order of their classes (avatar--c0 …).
PALETTE = (
    "#4338ca",  # indigo 700
    "#0f766e",  # teal 700
    "#b91c1c",  # red 700
    "#7e22ce",  # purple 700
    "#1d4ed8",  # blue 700
    "#a21caf",  # fuchsia 700
    "#047857",  # emerald 700
    "#9a3412",  # orange 800
)


def initials(name: str) -> str:
    """Up to two letters: the first of the first and last words ("Carol Client" → "CC").

    An email address counts by its local part ("bob.member@…" → "BM"); a name with no
    letters or digits gives "?". Letters are upper-cased; accents and scripts are kept.
    """
    text = name.strip()
    if "@" in text and " " not in text:
        text = text.split("@", 1)[0].replace(".", " ").replace("_", " ").replace("-", " ")
    words = [w for w in (_first_char(word) for word in text.split()) if w]
    if not words:
        return "?"
    letters = words[0] if len(words) == 1 else words[0] + words[-1]
    return letters.upper()


def _first_char(word: str) -> str:
    for char in word:
        if unicodedata.category(char)[0] in ("L", "N"):
            return char
    return ""


def colour_index(key: str) -> int:
    """A stable palette index for a person: the same key gives the same colour on every page,
    process and machine (CRC-32, not ``hash()``, which is salted per process)."""
    return zlib.crc32(key.encode("utf-8")) % len(PALETTE)


def colour_class(key: str) -> str:
    return f"avatar--c{colour_index(key)}"
