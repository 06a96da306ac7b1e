"""Explicit requests for a person, in several languages.

A question that asks for a person escalates at once, whatever the help centre holds. The rules
are phrase patterns, not single words, so that "how do I add an agent to my team?" or "what is a
user agent?" stay help questions; a message that is nothing but a person-word ("agent!",
"human please", "operador") counts as a request. ``HUMAN_REQUEST_PATTERNS`` is the table the
tests read; add a language by adding lines to it and rows to tests/test_triage_human.py.
"""

from __future__ import annotations

import re
import unicodedata

# Words that, alone (with politeness around them), mean "give me a person".
PERSON_WORDS = (
    # English
    "human", "humans", "person", "agent", "live agent", "operator", "representative", "rep",
    "real person", "someone", "somebody", "staff", "support agent", "human agent", "customer service",
    # French, German, Spanish, Italian, Portuguese, Dutch
    "humain", "un humain", "conseiller", "opérateur", "operateur", "mensch", "ein mensch",
    "mitarbeiter", "operador", "humano", "agente", "operatore", "umano", "atendente", "medewerker",
    # Swedish, Danish, Norwegian, Polish, Russian, Czech, Turkish
    "människa", "handläggare", "menneske", "konsultant", "człowiek", "operator", "оператор",
    "человек", "живой человек", "člověk", "operátor", "temsilci", "insan",
)  # fmt: skip

POLITENESS = (
    r"please|pls|plz|now|asap|thanks|thank you|hi|hello|hey|a|an|the|s'il vous pla[iî]t|svp|bitte|"
    r"por favor|per favore|alsjeblieft|graag|tack|tak|takk|prosz[eę]|пожалуйста|pros[ií]m|l[uü]tfen"
)

# Phrase patterns: each one is a request for a person, in context.
HUMAN_REQUEST_PATTERNS: tuple[tuple[str, str], ...] = (
    # English
    ("en", r"\b(talk|speak|chat|get through|connect|(connect|put)\s+me(\s+through)?)\s+(to|with)\s+"
     r"(a|an|the|some|your)?\s*"
     r"(real\s+|live\s+|actual\s+)?(human|person|people|someone|somebody|agent|operator|representative|rep"
     r"|staff|support (team|agent|staff)|customer (service|support))\b"),
    ("en", r"\b(real|actual|live)\s+(human|person|people|agent|operator|representative)\b"),
    ("en", r"\bhuman\s+(being|agent|support|help)\b"),
    ("en", r"\b(transfer|escalate|put)\s+me\s+"
     r"(through|to\s+(a|an|the|someone|somebody|support|customer|staff))"),
    ("en", r"\b(i\s+)?(want|need|would like|'d like)\s+(to\s+(talk|speak)\s+to\s+)?(a|an)\s+"
     r"(human|person|agent|operator|representative)\b"),
    ("en", r"\b(is|are)\s+(there|you)\s+(a\s+)?(human|real|person|someone|anyone)\b.*\?"),
    ("en", r"\bnot\s+(a\s+)?(bot|robot|machine)\b"),
    # French
    ("fr", r"\b(parler|discuter)\s+(à|a|avec)\s+(un|une|le|la)?\s*"
     r"(humain|personne|conseill[eè]re?|agent|op[ée]rat(eur|rice)|quelqu'un)\b"),
    ("fr", r"\b(vrai|vraie|véritable)\s+(personne|humain|conseiller|agent)\b"),
    ("fr", r"\bêtre\s+humain\b|\bun\s+humain\b|\bune\s+personne\s+réelle\b"),
    # German
    ("de", r"\b(mit|zu)\s+(einem|einer|einem echten|einer echten)\s+"
     r"(mensch|menschen|person|mitarbeiter|mitarbeiterin|berater|beraterin)\b"),
    ("de", r"\b(echte[nmr]?|richtige[nmr]?)\s+(mensch|menschen|person|mitarbeiter)\b"),
    ("de", r"\b(menschen|mitarbeiter)\s+sprechen\b"),
    # Spanish
    ("es", r"\b(hablar|chatear|comunicarme)\s+con\s+(un|una|el|la)?\s*"
     r"(persona|humano|agente|operador|operadora|representante|alguien)\b"),
    ("es", r"\b(persona|humano|agente)\s+(real|de verdad)\b|\bun\s+humano\b"),
    # Italian
    ("it", r"\b(parlare|chattare)\s+con\s+(un|una|un'|l')?\s*(persona|umano|operatore|operatrice|agente|"
     r"qualcuno|consulente)\b"),
    ("it", r"\b(persona|operatore)\s+(reale|vera|vero|umano)\b|\bun\s+umano\b"),
    # Portuguese
    ("pt", r"\b(falar|conversar)\s+com\s+(um|uma|o|a)?\s*(pessoa|humano|atendente|agente|operador|"
     r"algu[eé]m)\b"),
    ("pt", r"\b(pessoa|humano|atendente)\s+(real|de verdade)\b|\bum\s+humano\b"),
    # Dutch
    ("nl", r"\bmet\s+(een\s+)?(mens|persoon|medewerker|medewerkster|iemand)\b.*\b(spreken|praten|chatten)\b"),
    ("nl", r"\b(spreken|praten|chatten)\s+met\s+(een\s+)?(mens|persoon|medewerker|medewerkster|iemand)\b"),
    ("nl", r"\b(echte?)\s+(mens|persoon|medewerker)\b"),
    # Swedish, Danish, Norwegian
    ("sv", r"\b(prata|tala|chatta)\s+med\s+(en\s+)?(människa|person|handläggare|någon|medarbetare)\b"),
    ("sv", r"\b(riktig|verklig)\s+(person|människa|handläggare)\b|\ben\s+människa\b"),
    ("da", r"\b(tale|snakke|chatte)\s+med\s+(et|en)?\s*"
     r"(menneske|person|medarbejder|medarbeider|nogen|noen)\b"),
    ("da", r"\b(rigtig|ægte|ekte|virkelig)\s+(person|menneske|medarbejder|medarbeider)\b|\bet\s+menneske\b"),
    # Polish
    ("pl", r"\b(rozmawia[ćc]|porozmawia[ćc]|po[łl][aą]czy[ćc])\s+(si[eę]\s+)?z\s+"
     r"(cz[łl]owiekiem|konsultantem|konsultantk[aą]|osob[aą]|kim[śs])\b"),
    ("pl", r"\b(prawdziw[aąey]+|żyw[aąey]+)\s+(osob[aąy]|cz[łl]owiek\w*|konsultant\w*)\b"),
    # Russian
    ("ru", r"(поговорить|связаться|соединить|переключить|общаться)\s+(меня\s+)?с\s+"
     r"(человеком|оператором|живым|сотрудником|специалистом|консультантом)"),
    ("ru", r"(живой|живым|живого|настоящий|настоящим)\s+(человек|оператор)"),
    # Czech, Turkish
    ("cs", r"\b(mluvit|hovořit)\s+s\s+(člověkem|operátorem|někým)\b"),
    ("tr", r"\b(gerçek\s+bir\s+(insan|kişi)|müşteri\s+temsilcisi|temsilciyle|insanla\s+konuş)"),
)  # fmt: skip

_PATTERNS = tuple(re.compile(pattern, re.IGNORECASE) for _, pattern in HUMAN_REQUEST_PATTERNS)
_POLITENESS = re.compile(rf"\b({POLITENESS})\b", re.IGNORECASE)
_PERSON_ONLY = re.compile(
    r"^(" + "|".join(re.escape(word) for word in sorted(PERSON_WORDS, key=len, reverse=True)) + r")(\s+\1)*$"
)


def normalise(text: str) -> str:
    """Casefold, NFC, apostrophes unified, punctuation (but not letters of any script) to spaces."""
    text = unicodedata.normalize("NFC", text).casefold().replace("’", "'")
    text = re.sub(r"[^\w\s'?]", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def is_human_request(question: str) -> bool:
    """True when the question explicitly asks for a person rather than for help content."""
    text = normalise(question)
    if not text:
        return False
    bare = re.sub(r"\s+", " ", _POLITENESS.sub(" ", text.replace("?", " "))).strip()
    if bare and _PERSON_ONLY.match(bare):
        return True
    return any(pattern.search(text) for pattern in _PATTERNS)
