"""Shared helpers for the support-chat tests: a fake triage engine and widget API calls."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client as HttpClient

from casedesk.support import bot

SITE = "http://testserver"


def fake_triage(question: str, agency_id: int | None) -> bot.BotAnswer | bot.BotEscalation:
    """Stands in for issue 7's engine: answers questions about invoices, escalates the rest."""
    text = question.lower()
    if any(word in text for word in ("human", "person", "agent")):
        return bot.BotEscalation(bot.REASON_HUMAN_REQUESTED, "asked for a person")
    if "invoice" in text:
        return bot.BotAnswer(
            title="Invoices and billing",
            passage="Invoices are sent on the first working day of each month.",
            url="/s/acme/help/invoices/" if agency_id is not None else "/help/invoices/",
            score=0.9,
            entry_key="invoices",
        )
    return bot.BotEscalation(bot.REASON_LOW_CONFIDENCE, "no article is close enough")


@pytest.fixture
def triage_stub(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bot, "triage", fake_triage)


class Widget:
    """A visitor's widget talking to the JSON API, like widget.js does."""

    def __init__(self, agency_slug: str, http: HttpClient | None = None, origin: str = "") -> None:
        self.slug = agency_slug
        self.http = http or HttpClient()
        self.origin = origin
        self.token = ""

    def headers(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        if self.token:
            headers["X-Visitor-Token"] = self.token
        if self.origin:
            headers["Origin"] = self.origin
        return headers

    def post(self, path: str, data: dict[str, Any] | None = None) -> Any:
        return self.http.post(
            f"/widget/api/{self.slug}{path}",
            data=json.dumps(data or {}),
            content_type="application/json",
            headers=self.headers(),
        )

    def get(self, path: str) -> Any:
        return self.http.get(f"/widget/api/{self.slug}{path}", headers=self.headers())

    def bootstrap(self, page_url: str | None = None, **extra: Any) -> Any:
        response = self.post("/bootstrap", {"page_url": page_url or f"{SITE}/s/{self.slug}/", **extra})
        if response.status_code == 200:
            self.token = response.json()["token"]
        return response

    def ask(self, text: str) -> Any:
        return self.post("/conversations", {"body": text, "page_url": f"{SITE}/s/{self.slug}/"})
