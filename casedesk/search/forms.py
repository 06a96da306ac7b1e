"""The search box and its filters, shared by the team page, the portal page and the API."""

from __future__ import annotations

from typing import Any

from django import forms

from casedesk.search.query import MAX_QUERY_CHARS, ParsedQuery, SearchQueryError, parse_query
from casedesk.search.service import SearchFilters

VISIBILITY_CHOICES = [
    ("", "Everything"),
    ("internal", "Internal notes only"),
    ("client", "Client-visible only"),
]
ORDER_CHOICES = [("newest", "Newest first"), ("relevance", "Most relevant first")]


class SearchForm(forms.Form):
    # No max_length here: a long query gets the parser's sentence, not a generic one.
    q = forms.CharField(required=False, label="Search", strip=True)
    case = forms.IntegerField(required=False, min_value=1, label="Case")
    client = forms.IntegerField(required=False, min_value=1, label="Client")
    author = forms.RegexField(
        regex=r"^[uc]\d+$",
        required=False,
        label="Author",
        error_messages={"invalid": "Choose an author from the list."},
    )
    date_from = forms.DateField(
        required=False, label="From", error_messages={"invalid": "Type the start date as YYYY-MM-DD."}
    )
    date_to = forms.DateField(
        required=False, label="To", error_messages={"invalid": "Type the end date as YYYY-MM-DD."}
    )
    has_file = forms.BooleanField(required=False, label="With a file")
    visibility = forms.ChoiceField(required=False, choices=VISIBILITY_CHOICES, label="Show")
    order = forms.ChoiceField(required=False, choices=ORDER_CHOICES, label="Order")
    page = forms.IntegerField(required=False, min_value=1, label="Page")

    max_query_chars = MAX_QUERY_CHARS

    def clean_q(self) -> ParsedQuery | None:
        raw = self.cleaned_data.get("q") or ""
        if not raw.strip():
            return None  # the page with no query yet: a form, no error
        try:
            return parse_query(raw)
        except SearchQueryError as error:
            raise forms.ValidationError(str(error)) from None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error(
                "date_to", "The end date is before the start date. Swap them or pick another end date."
            )
        return data

    def filters(self) -> SearchFilters:
        data = self.cleaned_data
        author = data.get("author") or ""
        return SearchFilters(
            case_id=data.get("case"),
            client_id=data.get("client"),
            author_user_id=int(author[1:]) if author.startswith("u") else None,
            author_contact_id=int(author[1:]) if author.startswith("c") else None,
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            has_file=bool(data.get("has_file")),
            visibility=data.get("visibility") or "",
            order=data.get("order") or "newest",
        )

    def error_sentences(self) -> list[str]:
        return [str(e) for errors in self.errors.values() for e in errors]
