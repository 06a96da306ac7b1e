"""Questions the assistant should ask about once before handing over: no words, keyboard mash,
placeholder text, or the visitor's previous question again.

Today such a line went to the triage engine, which escalated it for low confidence, so a person
got "lorem ipsum" in their queue. ``unclear_reason`` flags a line; ``actions.do_post_visitor_message``
then answers with ``prompt_for`` once, and hands over as before if the next line is unclear too.
An explicit request for a person is never flagged (every rule needs a line without real words, a
placeholder, or a repeat; the tests hold the human-request phrases of ``triage/human.py``).

The rules are deliberately narrow: a short real question in any language ("refund?", "2FA",
"Passwort vergessen", "¿factura?", "как сбросить пароль") must reach the engine.
"""

from __future__ import annotations

import re
import unicodedata

NO_WORDS = "no_words"
KEYBOARD = "keyboard"
PLACEHOLDER = "placeholder"
REPEAT = "repeat"

# Placeholder and test text people type into a box to see what happens.
_PLACEHOLDER = re.compile(
    r"^(?:lorem ipsum.*|.*\bdolor sit amet\b.*|(?:test(?:ing)?|asdf\w*|qwert\w*|azert\w*|blah|foo|bar|xxx+"
    r"|abc|abcd|hello world)(?:[\s,.!?-]+(?:test(?:ing)?|asdf\w*|qwert\w*|blah|foo|bar|123|xxx+))*)[\s.!?]*$"
)
# Latin-script vowels (with accents stripped) and y, which is a vowel in many words ("rhythm").
_VOWELS = set("aeiouy")
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm", "azertyuiop", "qwertzuiop", "yxcvbnm")


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalised(text: str) -> str:
    """Lower case, accents and punctuation dropped, spaces collapsed: for "same question again"."""
    return " ".join(_WORD.findall(_fold(text)) + re.findall(r"\d+", text))


def _is_latin(word: str) -> bool:
    return all("LATIN" in unicodedata.name(ch, "") for ch in word)


def _mashed(word: str) -> bool:
    """A long Latin-script word with no vowel, one letter over and over, or a run along a row of
    the keyboard ("sdfghjkl", "aaaaaa", "hjkhjk")."""
    if len(word) < 6 or not _is_latin(word):
        return False
    folded = _fold(word)
    if not _VOWELS.intersection(folded):
        return True
    if len(set(folded)) <= 2:
        return True
    return any(all(ch in row for ch in folded) for row in _KEYBOARD_ROWS) and len(set(folded)) >= 4


def unclear_reason(text: str, previous_question: str | None = None) -> str | None:
    """Why the line is not a question the assistant can work with, or None (the usual case)."""
    stripped = text.strip()
    words = _WORD.findall(stripped)
    if not words and not re.search(r"\d", stripped):
        return NO_WORDS
    if _PLACEHOLDER.match(_fold(stripped)):
        return PLACEHOLDER
    if words and all(_mashed(word) for word in words):
        return KEYBOARD
    if (
        previous_question is not None
        and normalised(stripped)
        and normalised(stripped) == normalised(previous_question)
    ):
        return REPEAT
    return None


PROMPTS = {
    REPEAT: (
        "That's the same question as before. Could you tell me a bit more about what you need, "
        "or what the earlier answer was missing? If you'd rather talk to a person, just say so."
    ),
    "default": (
        "I didn't quite catch that. Could you describe what you're trying to do in a few words? "
        "If you'd rather talk to a person, just say so."
    ),
}


def prompt_for(reason: str) -> str:
    return PROMPTS.get(reason, PROMPTS["default"])


def is_prompt(body: str) -> bool:
    return body in PROMPTS.values()
