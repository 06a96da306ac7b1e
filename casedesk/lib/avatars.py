"""Avatars without images: a person's initials on a colour derived from who they are.

The colour is one of a fixed palette (CSS classes ``avatar--c0`` … ``avatar--c7`` in
``cases/thread.css``), because the pages' Content-Security-Policy allows no ``style=``
attribute. Every palette colour carries white initials at a contrast of at least 4.5:1
(WCAG 2.2 AA for normal text); ``tests/test_avatars.py`` computes it.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zlib
from typing import IO

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


def photo_token(storage_name: str) -> str:
    """The URL token of a stored photo ("people/<token>.webp" → "<token>"), or "" for none."""
    token = storage_name.rsplit("/", 1)[-1].removesuffix(".webp")
    return token if PHOTO_TOKEN_RE.match(token) else ""


def avatar_html(name: str, key: str, photo_url: str = "") -> str:
    """A person's avatar: their photo when they uploaded one, else initials on their colour.
    Hidden from screen readers, because the name is always written next to it."""
    from django.utils.html import escape

    inside = f'<img src="{escape(photo_url)}" alt="" loading="lazy">' if photo_url else escape(initials(name))
    return f'<span class="avatar {colour_class(key)}" aria-hidden="true">{inside}</span>\n'


PHOTO_PX = 256
PHOTO_MAX_BYTES = 5 * 1024 * 1024
PHOTO_MAX_SOURCE_PIXELS = 50_000_000
PHOTO_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def make_photo(fileobj: IO[bytes]) -> bytes | None:
    """A profile photo as a centred square WebP of ``PHOTO_PX``, or None when the file is not a
    picture Pillow can safely read. Re-encoding keeps no metadata (location, camera) and no
    bytes of the upload itself."""
    import warnings

    from PIL import Image, ImageOps

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(fileobj) as source:
                if source.width * source.height > PHOTO_MAX_SOURCE_PIXELS:
                    return None
                source.draft("RGB", (PHOTO_PX * 2, PHOTO_PX * 2))
                image = ImageOps.exif_transpose(source).convert("RGB")
                image = ImageOps.fit(image, (PHOTO_PX, PHOTO_PX))
                out = io.BytesIO()
                image.save(out, format="WEBP", quality=82)
                return out.getvalue()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        return None
