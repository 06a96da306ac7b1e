"""Shared helpers for the mail tests: fixture .eml files, reply tokens, processing."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

from django.conf import settings

from casedesk.accounts.models import Contact
from casedesk.cases.models import Case
from casedesk.mail.inbound import receive_email
from casedesk.mail.models import InboundEmail, InboundSource
from casedesk.mail.tokens import issue_reply_token

EML_DIR = Path(__file__).parent / "fixtures" / "eml"


def token_for(contact: Contact, case: Case) -> str:
    return issue_reply_token(contact=contact, case=case).raw_token


def load_eml(name: str, **values: str) -> bytes:
    text = (EML_DIR / name).read_text(encoding="utf-8")
    values.setdefault("domain", settings.INBOUND_EMAIL_DOMAIN)
    values.setdefault("notification_id", f"<unrelated.0001@{settings.INBOUND_EMAIL_DOMAIN}>")
    values.setdefault("big_payload", "")
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    return text.encode("utf-8")


def big_base64(size: int) -> str:
    return base64.encodebytes(b"x" * size).decode()


def deliver(raw: bytes, run_tasks: Callable[[], int]) -> InboundEmail:
    row = receive_email(raw, source=InboundSource.IMPORT)
    run_tasks()
    row.refresh_from_db()
    return row
