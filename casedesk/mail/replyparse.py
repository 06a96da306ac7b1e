"""Reply extraction: keep what the person just wrote, drop quoted history and signatures.

The parser works on lines. It looks for the first *splitter*: an attribution header
("On … wrote:", "Le … a écrit :", "Am … schrieb …:", "W dniu … napisał:", …), an
"-----Original Message-----" banner, a From:/Sent: header block (Outlook, in many
languages), or a date + address line. What follows a splitter is history, except when the
history is a ``>``-quoted block and the person wrote more text *below* it (interleaved
replies, Thunderbird's reply-below-quote). ``>`` blocks at the end of the message are
history too. Then trailing signatures are removed ("-- " blocks, "-Name" sign-offs,
mailing-list footers, "Sent from my iPhone" in several languages).

Forwarded messages are left alone: a person forwarding a thread wants it read.

HTML-only mail is converted to text first (``html_to_text``): known quote containers of
Gmail, Outlook, Apple Mail, Thunderbird and Yahoo are dropped before html2text renders the
rest, so the same text rules then apply.

Written for casedesk; the public test sets it is scored on are listed in docs/email.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import html2text

# Words that open an attribution line, by language.
_OPENERS = r"On|Le|Am|El|Il|Em|Op|Den|På|Pa|W\s+dniu|Vào|Dne|Dňa|Kl\.|Il\s+giorno|Em\s+\S+|El\s+\S+|Op\s+\S+"
# The verb of an attribution line ("… wrote:"), by language.
_VERBS = (
    r"wrote|sent|writes|a\s+écrit|a\s+ecrit|écrit|schrieb|geschrieben|escribió|escribio|ha\s+scritto|"
    r"scrisse|escreveu|escreveu|schreef|geschreven|skrev|skrivit|kirjoitti|napisał\(a\)|napisała|napisał|"
    r"napisal|pisze|napsala|написал\(а\)|написала|написал|пишет|đã\s+viết|írta|napsal|yazdı|έγραψε|skriver"
)
_VERB_END = re.compile(rf"(?:\b|^)(?:{_VERBS})(?:[^\n]{{0,120}}:|\s*:?)[\s\-*]*$", re.IGNORECASE)
_OPENER_START = re.compile(rf"(?:^|(?<=[\s\-]))(?:{_OPENERS})\s", re.IGNORECASE)
_ATTRIBUTION_START = re.compile(rf"^\s*(?:-+\s*)?(?:(?:{_OPENERS})\s|\d)", re.IGNORECASE)
_DATE_ADDRESS = re.compile(r"^\s*\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\b.*@[^\s]*\s*>?\s*:?\s*$")

_ORIGINAL_MESSAGE = re.compile(
    r"^\s*[-_=*]{2,}\s*(?:Original\s+Message|Reply\s+Message|Ursprüngliche\s+Nachricht|Antwort\s+Nachricht|"
    r"Originalnachricht|Oprindelig\s+meddelelse|Message\s+d'origine|Message\s+original|Mensaje\s+original|"
    r"Messaggio\s+originale|Mensagem\s+original|Oorspronkelijk\s+bericht|Origineel\s+bericht|"
    r"Originalmeddelande|Ursprungligt\s+meddelande|Opprinnelig\s+melding|Alkuperäinen\s+viesti|"
    r"Wiadomość\s+oryginalna|Oryginalna\s+wiadomość|Исходное\s+сообщение|Původní\s+zpráva|"
    r"Eredeti\s+üzenet|Orijinal\s+Mesaj)\s*[-_=*]{2,}\s*$",
    re.IGNORECASE,
)
_FORWARDED = re.compile(
    r"^\s*(?:-{2,}\s*(?:Forwarded\s+message|Weitergeleitete\s+Nachricht|Message\s+transféré|"
    r"Mensaje\s+reenviado|Messaggio\s+inoltrato|Mensagem\s+encaminhada|Doorgestuurd\s+bericht|"
    r"Vidarebefordrat\s+meddelande|Videresendt\s+meddelelse|Пересылаемое\s+сообщение|"
    r"Wiadomość\s+przekazana)\s*-{2,}|Begin\s+forwarded\s+message:|Début\s+du\s+message\s+réexpédié\s*:|"
    r"Anfang\s+der\s+weitergeleiteten\s+Nachricht:)\s*$",
    re.IGNORECASE,
)

_FROM_KEYS = (
    r"From|Von|De|Fra|Från|Van|Da|Od|От|Lähettäjä|Feladó|Kimden|Frá|Remitente|Expéditeur|Mittente|"
    r"Afzender|Nadawca|Enviado\s+por"
)
_FIELD_KEYS = (
    r"Sent|Date|To|Subject|Cc|Gesendet|Datum|An|Betreff|Envoyé|À|A|Objet|Sendt|Til|Emne|Skickat|Till|Ämne|"
    r"Enviado|Para|Asunto|Fecha|Inviato|Oggetto|Data|Verzonden|Verstuurd|Aan|Onderwerp|Wysłano|Do|Temat|"
    r"Отправлено|Дата|Кому|Тема|Lähetetty|Vastaanottaja|Aihe|Päivämäärä|Assunto|Kopie|Kopia|Копия"
)
_HEADER_LINE = r"^\s*\*?\s*(?:{keys})\s*\*?\s*:"
_FROM_LINE = re.compile(_HEADER_LINE.format(keys=_FROM_KEYS), re.IGNORECASE)
_DATE_LINE = re.compile(_HEADER_LINE.format(keys=r"Date|Datum|Fecha|Data|Sent|Дата"), re.IGNORECASE)
_FIELD_LINE = re.compile(_HEADER_LINE.format(keys=_FIELD_KEYS + "|" + _FROM_KEYS), re.IGNORECASE)
_BLOCK_AFTER_DATE = re.compile(
    _HEADER_LINE.format(keys=r"From|To|Subject|Von|An|Betreff|De|À|Objet|Para|Asunto"), re.IGNORECASE
)

_SEPARATOR_ONLY = re.compile(r"^[\s\-_=*~]*$")
_SIGNATURE_DASHES = re.compile(r"^\s*--\s*$|^\s*—\s*$|^\s*_{3,}\s*$")
_SIGNATURE_NAME = re.compile(r"^\s*-[A-Za-zÀ-ÿ][\w.'’ ]{0,40}$")
_MOBILE_SIGNATURE = re.compile(
    r"^\s*(?:Sent\s+from\s+(?:my\s+)?[\w’' ()-]{2,40}|Sent\s+with\s+\w[\w ]{0,30}|Get\s+Outlook\s+for\s+\w+|"
    r"Sent\s+via\s+[\w ]{2,30}|Envoyé\s+de\s+mon\s+[\w ]{2,30}|Envoyé\s+depuis\s+mon\s+[\w ]{2,30}|"
    r"Von\s+meinem\s+[\w ]{2,30}\s+gesendet|Gesendet\s+von\s+meinem\s+[\w ]{2,30}|"
    r"Enviado\s+desde\s+mi\s+[\w ]{2,30}|Enviado\s+do\s+meu\s+[\w ]{2,30}|"
    r"Inviato\s+da\s+(?:il\s+mio\s+)?[\w ]{2,30}|"
    r"Verzonden\s+(?:vanaf|met)\s+(?:mijn\s+)?[\w ]{2,30}|Skickat\s+från\s+min\s+[\w ]{2,30}|"
    r"Sendt\s+fra\s+min\s+[\w ]{2,30}|Lähetetty\s+[\w ]{2,30}|Wysłane\s+z\s+(?:mojego\s+)?[\w ]{2,30}|"
    r"Отправлено\s+с\s+[\w ]{2,30})\s*$",
    re.IGNORECASE,
)

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
    """A From:/Sent:/To:/Subject: block (Outlook and others) starts at ``index``."""
    line = lines[index]
    if _is_quote(line):
        return False
    if _FROM_LINE.match(line):
        follower = _FIELD_LINE
    elif _DATE_LINE.match(line):
        follower = _BLOCK_AFTER_DATE
    else:
        return False
    seen = 0
    for nxt in lines[index + 1 : index + 5]:
        if not nxt.strip():
            continue
        seen += 1
        if follower.match(nxt):
            return True
        if seen >= 3:
            break
    return False


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
    return not _is_quote(line) and len(line) < 200 and bool(_DATED_ADDRESS_COLON.search(line))


@dataclass(frozen=True)
class _Splitter:
    line: int  # first line of the history
    column: int  # text before this column on that line is still the reply
    forwarded: bool = False


def _find_splitter(lines: list[str], start: int = 0) -> _Splitter | None:
    for index in range(start, len(lines)):
        line = lines[index]
        if _FORWARDED.match(line):
            return _Splitter(index, 0, forwarded=True)
        if (
            _ORIGINAL_MESSAGE.match(line)
            or _header_block_at(lines, index)
            or _date_address_at(lines, index)
            or _dated_address_header_at(lines, index)
        ):
            return _Splitter(index, 0)
        found = _attribution_at(lines, index)
        if found is not None:
            first, column = found
            if first < start:
                continue
            return _Splitter(first, column)
    return None


def _header_end(lines: list[str], splitter: _Splitter) -> int:
    """Index of the first line after an attribution header that starts at ``splitter``."""
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
        _ORIGINAL_MESSAGE.match(lines[splitter.line]) or _header_block_at(lines, splitter.line)
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


def _strip_signature(lines: list[str]) -> list[str]:
    lines = _trim_blank(lines)
    if not lines:
        return lines
    # Mobile sign-offs on the last line.
    if _MOBILE_SIGNATURE.match(lines[-1]) and len(lines) > 1:
        lines = _trim_blank(lines[:-1])
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
    return lines


def extract_reply(body: str) -> ParsedReply:
    """The new text of a plain-text reply, without quoted history or signature."""
    full = body.replace("\r\n", "\n").replace("\r", "\n")
    lines = full.split("\n")
    kept, had_quote = _strip_quotes(lines)
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


def html_to_text(html: str) -> str:
    """Render HTML mail as plain text safely (no markup survives; links become text)."""
    converter = html2text.HTML2Text()
    converter.body_width = 0
    converter.ignore_images = True
    converter.ignore_emphasis = True
    converter.ignore_tables = True
    converter.single_line_break = False
    converter.protect_links = False
    converter.inline_links = False
    converter.ignore_links = True
    text = converter.handle(html)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def extract_reply_from_html(html: str) -> ParsedReply:
    full = html_to_text(html)
    cut = html_to_text(_cut_html_history(html))
    parsed = extract_reply(cut if cut.strip() else full)
    return ParsedReply(text=parsed.text, full=full, had_quote=parsed.had_quote or cut != full)
