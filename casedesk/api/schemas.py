"""JSON shapes of the API."""

from __future__ import annotations

from datetime import date, datetime

from ninja import Schema
from pydantic import Field

from casedesk.cases.actions import MAX_BODY_CHARS

# What a message body must hold: something besides spaces (NUL characters are dropped on save).
NON_BLANK = r"[^\s\x00]"


class ErrorOut(Schema):
    detail: str
    code: str = "invalid"
    field: str | None = None


class CaseOut(Schema):
    id: int
    reference: str
    title: str
    status: str
    agency: str
    client: str
    created_at: datetime
    updated_at: datetime
    last_message_at: datetime | None
    url: str


class DocumentOut(Schema):
    id: int
    case_id: int
    message_id: int | None
    name: str
    size: int
    content_type: str
    internal_only: bool
    uploaded_by: str
    created_at: datetime
    download_url: str
    share_url: str


class AuthorOut(Schema):
    name: str
    kind: str  # "team", "client" or "system"


class MessageOut(Schema):
    id: int
    case_id: int
    author: AuthorOut
    body: str
    body_html: str
    internal_only: bool
    source: str
    created_at: datetime
    edited_at: datetime | None
    documents: list[DocumentOut]
    mention_warnings: list[str] = []


class MessagePageOut(Schema):
    items: list[MessageOut]
    # Pass as ``before`` to get the previous page; null when this is the start of the thread.
    next_before: int | None


class MessageEditIn(Schema):
    body: str = Field(
        pattern=NON_BLANK,
        max_length=MAX_BODY_CHARS,
        description="The new text (Markdown). Not blank: to remove a message's text, delete the message.",
    )


class NotificationOut(Schema):
    id: int
    kind: str
    text: str
    url: str
    case_id: int | None
    message_id: int | None
    created_at: datetime
    read_at: datetime | None


class NotificationPageOut(Schema):
    items: list[NotificationOut]
    unread: int


class CountOut(Schema):
    count: int


class SupportDayOut(Schema):
    day: date
    questions: int
    bot_answers: int
    confirmed: int = Field(description="Bot answers the visitor confirmed with “Yes”.")
    assumed: int = Field(description="Bot answers with no feedback in a conversation never escalated.")
    escalated: int
    csat_good: int = Field(description="Closed conversations the visitor rated Good that day.")
    csat_bad: int = Field(description="Closed conversations the visitor rated Not good that day.")
    median_reply_minutes: float | None


class SupportStatsOut(Schema):
    agency_id: int
    days: int
    totals: dict[str, int]
    csat_percent: float | None = Field(description="Share of Good among ratings, 0–100; null without any.")
    median_reply_minutes: float | None
    per_day: list[SupportDayOut]
