"""Avatars without images: initials, and a colour derived from the person that carries white
initials at WCAG AA contrast."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from casedesk.lib.avatars import PALETTE, colour_class, colour_index, initials

CSS = Path(__file__).resolve().parent.parent / "casedesk/cases/static/cases/thread-people.css"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Carol Client", "CC"),
        ("Bob", "B"),
        ("  jenna   brooks  ", "JB"),
        ("Mary Ann van der Berg", "MB"),
        ("bob.member@acme.test", "BM"),
        ("éloïse d'Aubigné", "ÉD"),
        ("李 小龙", "李小"),
        ("(Acme) Support", "AS"),
        ("", "?"),
        ("—", "?"),
    ],
)
def test_initials_take_the_first_and_last_word(name: str, expected: str) -> None:
    assert initials(name) == expected


def test_colour_is_stable_and_spread_over_the_palette() -> None:
    assert colour_index("u12") == colour_index("u12") == 3  # crc32: the same on every machine
    assert colour_class("u12") == "avatar--c3"
    used = {colour_index(f"u{n}") for n in range(200)}
    assert used == set(range(len(PALETTE)))


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


@pytest.mark.parametrize("colour", PALETTE)
def test_white_initials_meet_aa_contrast_on_every_palette_colour(colour: str) -> None:
    ratio = (1.0 + 0.05) / (_luminance(colour) + 0.05)
    assert ratio >= 4.5, f"{colour}: {ratio:.2f}:1"


def test_the_stylesheet_has_exactly_the_palette() -> None:
    css = CSS.read_text()
    found = dict(re.findall(r"\.avatar--c(\d+) \{ background: (#[0-9a-f]{6}); \}", css))
    assert found == {str(i): colour for i, colour in enumerate(PALETTE)}
