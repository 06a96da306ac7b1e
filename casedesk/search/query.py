"""What a person typed into the search box, parsed once for every engine.

The syntax is PostgreSQL's ``websearch_to_tsquery``: words must all appear, ``"a phrase"`` must
appear as written, ``-word`` (or ``-"a phrase"``) must not, and ``or`` between words offers
alternatives. As in PostgreSQL, ``or`` splits the query into groups: ``a b or c`` is "a and b,
or c". Both engines get the same parsed groups (``engines.py``), so they agree on what matches.

Bad input raises ``SearchQueryError`` with a sentence to show, never a 500.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_QUERY_CHARS = 500
MAX_TERMS = 32

# A word is a run of letters and digits (any script); anything else separates words, as both
# PostgreSQL's parser and FTS5's unicode61 tokenizer do.
WORD = re.compile(r"\w+", re.UNICODE)


class SearchQueryError(ValueError):
    """A query that cannot be searched; ``str(error)`` is the sentence to show."""


@dataclass(frozen=True)
class Term:
    words: tuple[str, ...]  # lower-cased; more than one is a phrase
    excluded: bool = False
    # As typed (without quotes or the minus): names are matched on it, so "v3.pdf" finds a file.
    typed: str = ""

    @property
    def text(self) -> str:
        return " ".join(self.words)


@dataclass(frozen=True)
class ParsedQuery:
    raw: str
    groups: tuple[tuple[Term, ...], ...]  # OR of groups; each group is an AND of its terms

    @property
    def highlight_words(self) -> tuple[str, ...]:
        """Words to mark in snippets: those searched for, never the excluded ones."""
        seen: dict[str, None] = {}
        for group in self.groups:
            for term in group:
                if not term.excluded:
                    for word in term.words:
                        seen.setdefault(word, None)
        return tuple(seen)

    def websearch_text(self) -> str:
        """The query again, in the syntax of ``websearch_to_tsquery``, rebuilt from the parse."""
        groups = []
        for group in self.groups:
            parts = []
            for term in group:
                text = f'"{term.text}"' if len(term.words) > 1 else term.text
                parts.append(f"-{text}" if term.excluded else text)
            groups.append(" ".join(parts))
        return " or ".join(groups)

    def fts5_text(self) -> str:
        """The query as an FTS5 MATCH expression (every word quoted, so no word is an operator)."""

        def quoted(term: Term) -> str:
            return '"' + " ".join(term.words).replace('"', '""') + '"'

        groups = []
        for group in self.groups:
            wanted = " AND ".join(quoted(t) for t in group if not t.excluded)
            expression = f"({wanted})"
            for term in group:
                if term.excluded:
                    expression = f"({expression} NOT {quoted(term)})"
            groups.append(expression)
        return " OR ".join(groups)


TOKEN = re.compile(r'(-?)"([^"]*)("?)|(\S+)')


def parse_query(raw: str | None) -> ParsedQuery:
    text = (raw or "").strip()
    if not text:
        raise SearchQueryError("Type a word to search for.")
    if len(text) > MAX_QUERY_CHARS:
        raise SearchQueryError(
            f"This search is {len(text):,} characters long; the limit is {MAX_QUERY_CHARS}. "
            "Search for the few words that matter."
        )
    groups: list[list[Term]] = [[]]
    dangling_or = False
    for match in TOKEN.finditer(text):
        minus, phrase, closing, bare = match.groups()
        if bare is not None:
            if bare.lower() == "or":
                if not groups[-1]:
                    raise SearchQueryError("“or” goes between two words, as in: invoice or receipt.")
                groups.append([])
                dangling_or = True
                continue
            excluded = bare.startswith("-") and len(bare) > 1
            typed = bare[1:] if excluded else bare
            words = tuple(w.lower() for w in WORD.findall(typed))
        else:
            if closing != '"':
                raise SearchQueryError(
                    'A quotation mark is not closed. Put a second " after the phrase, or remove the first.'
                )
            excluded = minus == "-"
            typed = " ".join(phrase.split())
            words = tuple(w.lower() for w in WORD.findall(phrase))
        dangling_or = False
        if words:
            groups[-1].append(Term(words=words, excluded=excluded, typed=typed))
    if dangling_or:
        raise SearchQueryError("“or” goes between two words, as in: invoice or receipt.")
    if not any(groups):
        raise SearchQueryError("There are no letters or digits in this search. Type a word to search for.")
    for group in groups:
        if not group:
            raise SearchQueryError("“or” goes between two words, as in: invoice or receipt.")
        if all(term.excluded for term in group):
            left_out = ", ".join(f"-{t.text}" for t in group)
            raise SearchQueryError(
                f"Add a word to look for next to {left_out}: "
                "a search cannot consist only of words to leave out."
            )
    if sum(len(group) for group in groups) > MAX_TERMS:
        raise SearchQueryError(
            f"This search has more than {MAX_TERMS} words. Search for the few that matter."
        )
    return ParsedQuery(raw=text, groups=tuple(tuple(group) for group in groups))
