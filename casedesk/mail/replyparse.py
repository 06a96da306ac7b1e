"""Reply extraction: keep what the person just wrote, drop quoted history and signatures.

The parser works on lines and holds no words of its own: every language's openers, verbs,
banners, header field names and device footers come from ``reply_languages.LANGUAGES`` (add a
language there). It looks for the first *splitter*: an attribution header ("On … wrote:",
"Le … a écrit :", "Am … schrieb …:", Gmail's date-first and names-first forms, verb-less
"<date>, Name <address>:"), joined over up to four wrapped lines; an "-----Original
Message-----" banner; Outlook's ``____`` rule; a From:/Sent: header block with translated field
names; "Message du …"; or a date + address line. What follows a splitter is history, except
when the history is a ``>``-quoted block and the person wrote more text *below* it
(interleaved replies, Thunderbird's reply-below-quote). ``>`` blocks at the end of the message
are history too. Then trailing signatures are removed ("-- " blocks, "-Name" sign-offs,
mailing-list footers, device lines such as "Sent from my iPhone" in every table language); the
full text keeps them (``ParsedReply.full``).

Forwarded messages are left alone: a person forwarding a thread wants it read.

HTML-only mail is converted to Markdown text first (``html_to_text``): known quote containers
of Gmail, Outlook, Apple Mail, Thunderbird, Yahoo, Proton and Zoho are dropped before
html2text renders the rest, so the same text rules then apply.

Written for casedesk; the test sets it is scored on are listed in docs/email.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import html2text

from casedesk.mail.reply_languages import LANGUAGES

_CJK = re.compile(r"[\u1100-\u11ff\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uff00-\uffef]")


def _phrase(text: str) -> str:
    """A table entry as a pattern: literal text, any run of spaces matching any whitespace."""
    return r"\s+".join(re.escape(word) for word in text.split())


def _alternation(texts: set[str], *, bounded: bool = False) -> str:
    """Longest first, so "Il giorno" wins over "Il"; ``bounded`` adds word boundaries (not for CJK)."""
    parts = []
    for text in sorted(texts, key=len, reverse=True):
        pattern = _phrase(text)
        if bounded and not _CJK.match(text[0]):
            pattern = r"(?<!\w)" + pattern
        if bounded and not _CJK.match(text[-1]) and (text[-1].isalnum()):
            pattern += r"(?!\w)"
        parts.append(pattern)
    return "|".join(parts)


def _collect(field: str) -> set[str]:
    return {text for language in LANGUAGES for text in getattr(language, field)}


_DEVICE_NAME = r"[\w'’.()+\- ]{2,40}?"


def _device_pattern(text: str) -> str:
    return r"\s*".join(
        part if part == _DEVICE_NAME else _phrase(part) for part in _split_device(text) if part.strip()
    )


def _split_device(text: str) -> list[str]:
    pieces = text.split("{device}")
    out: list[str] = []
    for index, piece in enumerate(pieces):
        if index:
            out.append(_DEVICE_NAME)
        out.append(piece)
    return out


# Words that open an attribution line, by language.
_OPENERS = _alternation(_collect("openers"))
# The verb of an attribution line ("… wrote:"), by language.
_VERBS = _alternation(_collect("verbs"))
_VERB = re.compile(_alternation(_collect("verbs"), bounded=True), re.IGNORECASE)
_VERB_END = re.compile(rf"(?:\b|^)(?:{_VERBS})(?:[^\n]{{0,120}}[:：]|\s*[:：]?)[\s\-*]*$", re.IGNORECASE)
_OPENER_START = re.compile(rf"(?:^|(?<=[\s\-]))(?:{_OPENERS})\s", re.IGNORECASE)
_DATE_ADDRESS = re.compile(r"^\s*\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\b.*@[^\s]*\s*>?\s*:?\s*$")

_ORIGINAL_MESSAGE = re.compile(
    rf"^\s*[-_=*]{{2,}}\s*(?:{_alternation(_collect('original_message'))})\s*[-_=*]{{2,}}\s*$", re.IGNORECASE
)
_FORWARDED = re.compile(
    rf"^\s*(?:[-=_]{{2,}}\s*(?:{_alternation(_collect('forwarded'))})\s*[-=_]{{2,}}"
    rf"|(?:{_alternation(_collect('forwarded_lines'))})\s*[:：])\s*$",
    re.IGNORECASE,
)
_HISTORY_LINE = re.compile(rf"^\s*>?\s*(?:{_alternation(_collect('history_lines'))})\b", re.IGNORECASE)

_FROM_KEYS = _alternation(_collect("from_fields"))
_DATE_KEYS = _alternation(_collect("date_fields"))
_FIELD_KEYS = _alternation(
    _collect("from_fields") | _collect("date_fields") | _collect("to_fields") | _collect("subject_fields")
)
_HEADER_LINE = r"^\s*\*?\s*(?:{keys})\s*\*?\s*[:：]"
_FROM_LINE = re.compile(_HEADER_LINE.format(keys=_FROM_KEYS), re.IGNORECASE)
_DATE_LINE = re.compile(_HEADER_LINE.format(keys=_DATE_KEYS), re.IGNORECASE)
_FIELD_LINE = re.compile(_HEADER_LINE.format(keys=_FIELD_KEYS), re.IGNORECASE)
_BLOCK_AFTER_DATE = re.compile(
    _HEADER_LINE.format(
        keys=_alternation(_collect("from_fields") | _collect("to_fields") | _collect("subject_fields"))
    ),
    re.IGNORECASE,
)

_SEPARATOR_ONLY = re.compile(r"^[\s\-_=*~]*$")
# "-- " (RFC 3676 §4.3); "\--" is the same line after html2text escaped it (Gmail's HTML).
_SIGNATURE_DASHES = re.compile(r"^\s*\\?--\s*$|^\s*—\s*$|^\s*_{3,}\s*$")
_SIGNATURE_NAME = re.compile(r"^\s*-[A-Za-zÀ-ÿ][\w.'’ ]{0,40}$")
_DEVICE_LINE = re.compile(
    r"^\s*(?:"
    + "|".join(_device_pattern(text) for text in sorted(_collect("device_lines")))
    + r")\s*[.!]?\s*$",
    re.IGNORECASE,
)
_LINK_TARGET = re.compile(r"<(?:https?|mailto):[^>\s]*>|\(https?://[^)\s]*\)")
_MARKDOWN_LINK = re.compile(r"\[([^\]\n]*)\]\((?:https?|mailto):[^)\s]*\)")
# Bidirectional formatting marks (Gmail wraps Hebrew and Arabic headers in them).
_BIDI_MARKS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")

_MAX_HEADER_LINES = 6


@dataclass(frozen=True)
class ParsedReply:
    """``text`` is what lands in the thread; ``full`` is the whole body as received."""

    text: str
    full: str
    had_quote: bool


def _is_quote(line: str) -> bool:
    return line.lstrip().startswith(">")


def _attribution_at(lines: list[str], end: int) -> tuple[int, int] | None:
    """If line ``end`` closes an attribution header, return (first line, column it starts at)."""
    line = lines[end]
    if _is_quote(line) and not line.lstrip().lstrip(">").strip().lower().startswith("wrote"):
        return None
    if not _VERB_END.search(line):
        return None
    if re.match(rf"^\s*(?:-+\s*)?(?:{_OPENERS})\s", line, re.IGNORECASE) or line.lstrip().startswith("-"):
        return end, 0
    earlier = _earlier_lines(lines, end)
    for start in earlier:
        if re.match(rf"^\s*(?:-+\s*)?(?:{_OPENERS})\s", lines[start], re.IGNORECASE):
            return start, 0
    match = _OPENER_START.search(line)
    if match is not None and (re.search(r"\d", line[match.start() :]) or "@" in line[match.start() :]):
        return end, match.start()
    if re.match(r"^\s*\d", line):
        return end, 0
    for start in earlier:
        if re.match(r"^\s*\d", lines[start]):
            return start, 0
    if "@" in line:
        return end, 0
    return None


def _earlier_lines(lines: list[str], end: int) -> list[int]:
    """Lines above ``end`` that may belong to the same header, nearest first."""
    found: list[int] = []
    length = len(lines[end])
    for start in range(end - 1, max(-1, end - _MAX_HEADER_LINES), -1):
        candidate = lines[start]
        if _is_quote(candidate) and candidate.strip() not in (">",):
            break
        length += len(candidate)
        if length > 400:
            break
        found.append(start)
        if _VERB_END.search(candidate):
            break
    return found


_DATED_ADDRESS_COLON = re.compile(r"\d{1,2}:\d{2}.*@[^\s]+?>?\s*:\s*$")


def _header_block_at(lines: list[str], index: int) -> bool:
    """A From:/Sent:/To:/Subject: block (Outlook, GMX, Samsung and others) starts at ``index``.

    Field names are not enough on their own ("From: the printer …" / "Sent: nothing yet" in a
    body): the block also needs an address or a date (a digit).
    """
    line = lines[index]
    if _is_quote(line):
        return False
    if _FROM_LINE.match(line):
        follower = _FIELD_LINE
    elif _DATE_LINE.match(line):
        follower = _BLOCK_AFTER_DATE
    else:
        return False
    block = [line]
    seen = 0
    for nxt in lines[index + 1 : index + 8]:
        if not nxt.strip():
            if len(block) > 1:
                break
            continue
        seen += 1
        if _FIELD_LINE.match(nxt) if len(block) > 1 else follower.match(nxt):
            block.append(nxt)
            continue
        if len(block) > 1 or seen >= 3:
            break
    if len(block) < 2:
        return False
    text = " ".join(block)
    return "@" in text or bool(re.search(r"\d", text))


_RULE = re.compile(r"^\s*(?:_{10,}|(?:\*\s*){3})\s*$")  # Outlook's rule; html2text's <hr>


def _rule_above_fields_at(lines: list[str], index: int) -> bool:
    """Outlook (web, iOS, Android): a "____" rule right above a From: or Sent: field line."""
    if not _RULE.match(lines[index]):
        return False
    following = [nxt for nxt in lines[index + 1 : index + 3] if nxt.strip()]
    return bool(following) and bool(_FROM_LINE.match(following[0]) or _DATE_LINE.match(following[0]))


def _history_line_at(lines: list[str], index: int) -> bool:
    """ "Message du 01/12/26 09:14" (Orange, SFR): a date on the line, or header fields below it."""
    line = lines[index]
    if not _HISTORY_LINE.match(line) or len(line) > 120:
        return False
    if re.search(r"\d", line):
        return True
    following = [nxt.lstrip(">").strip() for nxt in lines[index + 1 : index + 4] if nxt.lstrip(">").strip()]
    return bool(following) and bool(_FIELD_LINE.match(following[0]))


def _date_address_at(lines: list[str], index: int) -> bool:
    if not re.match(r"^\s*\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\b", lines[index]):
        return False
    first = lines[index].rstrip()
    if _DATE_ADDRESS.match(first):
        return True
    window = " ".join(part.strip() for part in lines[index : index + 2])
    return bool(re.match(r"^\s*\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\b.*@\S*\s*>?\s*:\s*$", window))


def _dated_address_header_at(lines: list[str], index: int) -> bool:
    """Mail.ru / Yandex style: "26.06.2014, 14:41, "Name" <a@example.com>:" (no verb)."""
    line = lines[index]
    return (
        not _is_quote(line)
        and len(line) < 200
        and bool(_COMPLETE_START.match(line))  # starts with the date, not with a sentence
        and bool(_DATED_ADDRESS_COLON.search(line))
    )


@dataclass(frozen=True)
class _Splitter:
    line: int  # first line of the history
    column: int  # text before this column on that line is still the reply
    forwarded: bool = False
    end: int | None = None  # first line after an attribution header, when known


_COLON_END = re.compile(r"[:：]\s*$")
_DASHES_AROUND = re.compile(r"^\s*-{2,}.*\S\s*-{2,}\s*$")  # Zoho: "---- On … wrote ----"
_TIME_OR_DATE = re.compile(
    r"\d{1,2}\s*[:.h]\s*\d{2}(?!\d)|\d{1,4}\s*[./-]\s*\d{1,2}\s*[./-]\s*\d{2,4}|(?<!\d)(?:19|20)\d{2}(?!\d)"
)
_ADDRESS_COLON_END = re.compile(r"@[^\s<>()]+\s*[>)\]]?\s*[:：]\s*$")
_HEADER_START = re.compile(rf"^\s*(?:-+\s*)?(?:(?:{_OPENERS})(?:\s|,)|\d|\W)", re.IGNORECASE)
# How a header's first line starts: an opener ("On", "Am", "Le"), a date, a short weekday
# before the day ("tir. 1.", "вт, 1", "ti 1.12."), or Zoho's dashes.
_COMPLETE_START = re.compile(
    rf"^\s*(?:-+\s*)?(?:(?:{_OPENERS})(?:\s|,)|\d|(?:\S{{1,4}}[.,]|\S{{1,3}})\s*\d)", re.IGNORECASE
)
_MAX_WINDOW = 4


def _looks_like_attribution(text: str, *, quote_follows: bool) -> bool:
    """Is ``text`` (one to three lines joined) a complete "On … wrote:" header, in any language?"""
    text = text.strip()
    if not text or len(text) > 400 or text.startswith(">"):
        return False
    verbs = list(_VERB.finditer(text))
    dated = bool(_TIME_OR_DATE.search(text))
    if verbs and _DASHES_AROUND.match(text):  # "---- On … wrote ----", "---- Bob wrote ----"
        return True
    if not _COLON_END.search(text):
        return False
    if verbs:
        verb = verbs[-1]
        tail = text[verb.end() :].strip(" :：")
        starts_like_header = (
            bool(_HEADER_START.match(text) or _COMPLETE_START.match(text)) or verbs[0].start() == 0
        )
        # "Bob <bob@…> ezt írta (…):", "Bob <bob@…>, … tarihinde şunu yazdı:", "Bob <bob@…> 于… 写道："
        address_first = "@" in text[: verb.start()]
        if "@" in text and (starts_like_header or address_first) and (dated or len(tail) <= 100):
            return True
        # No address (Thunderbird, Fastmail): a date right after the opener, the verb near the end.
        if dated and starts_like_header and re.search(r"\d", text[:30]) and len(tail) <= 60:
            return True
        if dated and re.match(r"\W{0,2}\d", tail):  # "Bob kirjoitti 1.12.2026 klo 9.14:"
            return True
        if quote_follows and len(tail) <= 60 and len(text) <= 200:
            return True
    # Gmail in Russian, Japanese, Czech, Hebrew …: "<date> <time>, Name <address>:" with no verb.
    return bool(_ADDRESS_COLON_END.search(text) and dated and _COMPLETE_START.match(text))


def _next_text_is_quote(lines: list[str], index: int) -> bool:
    for line in lines[index : index + 6]:  # bounded: a header's quote starts right below it
        if line.strip():
            return _is_quote(line)
    return False


def _window_attribution_at(lines: list[str], end: int) -> tuple[int, int] | None:
    """If an attribution header ends on line ``end``, return (its first line, the line after it).

    Gmail and others wrap long headers over two or three lines, even inside the address
    ("… schrieb Bob <" / "bob@example.com>:") or the verb ("… ha" / "scritto:").
    """
    last = lines[end]
    if not last.strip() or _is_quote(last):
        return None
    if not (_COLON_END.search(last) or _DASHES_AROUND.match(last)):
        return None
    quote_follows = _next_text_is_quote(lines, end + 1)
    found: int | None = None
    for size in range(1, _MAX_WINDOW + 1):
        start = end - size + 1
        if start < 0:
            break
        added = lines[start]
        if not added.strip() or _is_quote(added):
            break
        if size > 1 and re.search(r"[.!?。！？]\s*$", added):
            break  # a sentence of the reply above the header, not a part of it
        has_address = "@" in added or "<" in added
        if found is not None and _COMPLETE_START.match(lines[found]) and not has_address:
            break  # the header found so far starts like a header: the line above is the reply
        joined = " ".join(line.strip() for line in lines[start : end + 1])
        if _looks_like_attribution(joined, quote_follows=quote_follows) and (
            found is None
            or has_address
            or _COMPLETE_START.match(added)
            # a name wrapped above "… <address> ezt írta:" (names-first forms), after a blank line
            or (start > 0 and not lines[start - 1].strip())
        ):
            found = start
    return None if found is None else (found, end + 1)


def _find_splitter(lines: list[str], start: int = 0) -> _Splitter | None:
    for index in range(start, len(lines)):
        line = lines[index]
        if _FORWARDED.match(line):
            return _Splitter(index, 0, forwarded=True)
        shared = _attribution_at(lines, index)
        if shared is not None and shared[1] > 0 and shared[0] >= start:
            first, column = shared
            if not re.search(r"\d", lines[first][:column]) and "@" in lines[first][column:]:
                return _Splitter(first, column)  # "reply On … wrote:" on one line
        window = _window_attribution_at(lines, index)
        if window is not None and window[0] >= start:
            return _Splitter(window[0], 0, end=window[1])
        if (
            _ORIGINAL_MESSAGE.match(line)
            or _rule_above_fields_at(lines, index)
            or _history_line_at(lines, index)
            or _header_block_at(lines, index)
            or _date_address_at(lines, index)
            or _dated_address_header_at(lines, index)
        ):
            return _Splitter(index, 0)
        # Headers broken by blank lines or a stray ">" (Polymail): the older, looser search, only
        # when the header carries an address or the history below it is quoted.
        loose = _attribution_at(lines, index)
        if loose is not None and loose[0] >= start:
            first, column = loose
            header = "\n".join(lines[first : index + 1])[column:]
            if _next_text_is_quote(lines, index + 1) or ("@" in header and _COMPLETE_START.match(header)):
                return _Splitter(first, column)
    return None


def _header_end(lines: list[str], splitter: _Splitter) -> int:
    """Index of the first line after an attribution header that starts at ``splitter``."""
    if splitter.end is not None:
        return splitter.end
    for end in range(splitter.line, min(len(lines), splitter.line + _MAX_HEADER_LINES)):
        if _VERB_END.search(lines[end]):
            return end + 1
    return splitter.line + 1


def _strip_quotes(lines: list[str]) -> tuple[list[str], bool]:
    """Remove quoted history; returns the kept lines and whether anything was removed."""
    splitter = _find_splitter(lines)
    if splitter is not None and splitter.forwarded:
        return lines, False
    if splitter is None:
        return _strip_trailing_quote_block(lines)
    head = lines[: splitter.line]
    prefix = lines[splitter.line][: splitter.column].rstrip().rstrip("-").rstrip()
    if prefix:
        head = [*head, prefix]
    is_attribution = not (
        _ORIGINAL_MESSAGE.match(lines[splitter.line])
        or _rule_above_fields_at(lines, splitter.line)
        or _history_line_at(lines, splitter.line)
        or _header_block_at(lines, splitter.line)
    )
    if is_attribution:
        after = _header_end(lines, splitter)
        rest = lines[after:]
        first_text = next((i for i, line in enumerate(rest) if line.strip()), None)
        if first_text is not None and _is_quote(rest[first_text]):
            last_quote = max(i for i, line in enumerate(rest) if _is_quote(line))
            tail = rest[last_quote + 1 :]
            if any(line.strip() for line in tail):
                kept_tail, _ = _strip_quotes(tail)
                gap = splitter.line > 0 and not lines[splitter.line - 1].strip() and not prefix
                return _join_parts(head, kept_tail, gap), True
    head, _ = _strip_trailing_quote_block(head)
    return head, True


def _join_parts(head: list[str], tail: list[str], gap: bool) -> list[str]:
    head = _trim_blank(head)
    tail = _trim_blank(tail)
    if not head:
        return tail
    if not tail:
        return head
    return [*head, "", *tail] if gap else [*head, *tail]


def _trim_blank(lines: list[str]) -> list[str]:
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return lines[start:end]


def _strip_trailing_quote_block(lines: list[str]) -> tuple[list[str], bool]:
    """A ``>`` block followed by nothing but blank lines is history (Hotmail, Apple Mail)."""
    end = len(lines)
    while end > 0 and not lines[end - 1].strip():
        end -= 1
    index = end
    while index > 0 and (_is_quote(lines[index - 1]) or not lines[index - 1].strip()):
        index -= 1
    if index == end or not any(_is_quote(line) for line in lines[index:end]):
        return lines, False
    quoted = [line for line in lines[index:end] if line.strip()]
    if index == 0 and len(quoted) == len([line for line in lines if line.strip()]):
        return lines, False  # the whole message is quoted: keep it rather than post nothing
    return lines[:index], True


def _is_device_line(line: str) -> bool:
    """ "Sent from my iPhone", "Von meinem iPhone gesendet", "Get Outlook for iOS<https://…>" …"""
    text = _LINK_TARGET.sub(" ", _MARKDOWN_LINK.sub(r"\1", line))
    return bool(_DEVICE_LINE.match(" ".join(text.split())))


def _strip_signature(lines: list[str]) -> list[str]:
    lines = _trim_blank(lines)
    if not lines:
        return lines
    lines = _strip_device_lines(lines)
    # "-- " blocks, "-Name" sign-offs and "____" list footers near the end.
    window = max(0, len(lines) - 12)
    for index in range(window, len(lines)):
        if index == 0:
            continue
        line = lines[index]
        if _SIGNATURE_DASHES.match(line) or (_SIGNATURE_NAME.match(line) and len(lines) - index <= 8):
            lines = _trim_blank(lines[:index])
            break
    while lines and _SEPARATOR_ONLY.match(lines[-1]):
        lines = _trim_blank(lines[:-1])
    # Outlook for iOS puts its footer above the "____" rule cut just now.
    return _strip_device_lines(lines)


def _strip_device_lines(lines: list[str]) -> list[str]:
    """Device and app footers on the last lines ("Sent from my iPhone", "Get Outlook for iOS")."""
    while len(lines) > 1 and _is_device_line(lines[-1]):
        lines = _trim_blank(lines[:-1])
    return lines


def unflow(text: str, *, delete_space: bool = False) -> str:
    """Undo RFC 3676 ``format=flowed`` (Apple Mail, Thunderbird): soft-wrapped lines become one.

    A line ending in a space continues on the next line of the same quote depth; "-- " (the
    signature separator) never does. ``delete_space`` is ``DelSp=yes``: the space was added.
    """
    out: list[str] = []
    pending: str | None = None
    pending_depth = 0
    for raw in text.replace("\r\n", "\n").split("\n"):
        depth = len(raw) - len(raw.lstrip(">"))
        line = raw[depth:]
        if line.startswith(" "):
            line = line[1:]  # space-stuffing
        flowed = line.endswith(" ") and line != "-- "
        if pending is not None and depth != pending_depth:
            out.append(_quoted(pending, pending_depth))
            pending = None
        if flowed and delete_space:
            line = line[:-1]
        pending = line if pending is None else pending + line
        pending_depth = depth
        if not flowed:
            out.append(_quoted(pending, depth))
            pending = None
    if pending is not None:
        out.append(_quoted(pending, pending_depth))
    return "\n".join(out)


def _quoted(line: str, depth: int) -> str:
    return f"{'>' * depth} {line}" if depth else line


def extract_reply(body: str) -> ParsedReply:
    """The new text of a plain-text reply, without quoted history or signature."""
    full = body.replace("\r\n", "\n").replace("\r", "\n")
    lines = _BIDI_MARKS.sub("", full).split("\n")
    kept, had_quote = _strip_quotes(lines)
    kept = _strip_signature(kept)
    if not had_quote:
        # A ">" block with only a signature below it: "Sure.\n\n> old\n\n-- \nJenna".
        kept, had_quote = _strip_trailing_quote_block(kept)
        kept = _strip_signature(kept)
    text = "\n".join(line.rstrip() for line in kept).strip("\n")
    text = re.sub(r"\n{3,}", "\n\n", text)
    if not text.strip():
        # Never post an empty message because the parser was too eager.
        text = full.strip()
    return ParsedReply(text=text, full=full.strip(), had_quote=had_quote)


# --- HTML ---------------------------------------------------------------------------------------

_QUOTE_CONTAINERS = re.compile(
    r"""<(?P<tag>div|blockquote|table)\b[^>]*(?:class|id)\s*=\s*["']?[^"'>]*\b(?:gmail_quote|gmail_extra_quote|"""
    r"""yahoo_quoted|moz-cite-prefix|divRplyFwdMsg|OLK_SRC_BODY_SECTION|OutlookMessageHeader|"""
    r"""AppleOriginalContents|protonmail_quote|zmail_extra|mail_quote|ms-outlook-mobile-reply)\b""",
    re.IGNORECASE,
)


def _cut_html_history(html: str) -> str:
    """Cut the HTML at the first known quote container (everything after is history)."""
    cut = len(html)
    match = _QUOTE_CONTAINERS.search(html)
    if match is not None:
        cut = min(cut, match.start())
    blockquote = re.search(r"<blockquote\b[^>]*type\s*=\s*[\"']?cite", html, re.IGNORECASE)
    if blockquote is not None:
        cut = min(cut, blockquote.start())
    # Outlook's header block: a div with a top border, holding "From:" in bold.
    outlook = re.search(
        r"<div\b[^>]*style\s*=\s*[\"'][^\"']*border(?:-top|:none;border-top)[^\"']*[\"'][^>]*>\s*(?:<[^>]+>\s*)*"
        r"(?:<b>|<span[^>]*>)?\s*(?:From|Von|De|Fra|Från|Van|Da|Od|От)\s*:",
        html,
        re.IGNORECASE,
    )
    if outlook is not None:
        cut = min(cut, outlook.start())
    return html[:cut]


_DIV_TAG = re.compile(r"<div\b[^>]*>|</div\s*>", re.IGNORECASE)
_SOFT_BREAKS = re.compile(r"(?:\s*\x00\s*)+")
# Outlook writes every line as <p class=MsoNormal> with no margin: lines, not paragraphs.
_OUTLOOK_LINE = re.compile(
    r"<p\b[^>]*class\s*=\s*[\"']?MsoNormal\b[^>]*>(?P<line>.*?)</p\s*>", re.IGNORECASE | re.DOTALL
)


def _lines_as_breaks(html: str) -> str:
    """Gmail, Apple Mail and Yahoo write one <div> per line; make each a line, not a paragraph.

    A run of div boundaries is one line break; ``<div><br></div>`` (an empty line) keeps its
    ``<br>``, so blank lines between paragraphs survive.
    """
    html = _OUTLOOK_LINE.sub(lambda match: f"<div>{match.group('line')}</div>", html)
    marked = _DIV_TAG.sub("\x00", html)
    return _SOFT_BREAKS.sub("<br>", marked)


def html_to_text(html: str) -> str:
    """Render HTML mail as Markdown text: paragraphs, line breaks, lists and links survive.

    No markup survives as HTML (the result is rendered by ``render_markdown``, which escapes raw
    HTML and sanitises links); images and emphasis are dropped; ``mailto:`` links become their text.
    """
    converter = html2text.HTML2Text()
    converter.body_width = 0
    converter.ignore_images = True
    converter.ignore_emphasis = True
    converter.ignore_tables = True
    converter.single_line_break = False
    converter.protect_links = False
    converter.inline_links = True
    converter.ignore_links = False
    converter.ignore_mailto_links = True
    converter.skip_internal_links = True
    text = converter.handle(_lines_as_breaks(html))
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def extract_reply_from_html(html: str) -> ParsedReply:
    full = html_to_text(html)
    cut = html_to_text(_cut_html_history(html))
    parsed = extract_reply(cut if cut.strip() else full)
    return ParsedReply(text=parsed.text, full=full, had_quote=parsed.had_quote or cut != full)
