"""What the case actions tell the rest of the system (see ``casedesk.lib.events``).

The actions in ``casedesk/cases/actions.py`` (and support's escalation) emit these inside their
transaction; who acts on them is decided at startup:

- ``MessagePosted``, ``MentionNotified``: the mail app enqueues the emails, in the transaction
  (``casedesk/mail/subscribers.py``);
- ``DocumentStored``: the search app enqueues reading the file's text, in the transaction
  (``casedesk/search/apps.py``);
- ``ContactLeftCase``: the mail app revokes the contact's reply addresses, in the transaction;
- ``CaseActivity``, ``NotificationsChanged``: the live app tells open browsers, after commit
  (``casedesk/live/subscribers.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from casedesk.accounts.models import Contact
from casedesk.cases.models import Case, Document, Message, Notification


@dataclass(frozen=True)
class MessagePosted:
    """A new message is on a case thread (internal or not; subscribers apply the access rules)."""

    message: Message


@dataclass(frozen=True)
class DocumentStored:
    """A file was stored on a case (on its own or with a message)."""

    document: Document


@dataclass(frozen=True)
class MentionNotified:
    """A teammate got a new mention notification."""

    notification: Notification


@dataclass(frozen=True)
class ContactLeftCase:
    """A contact was removed from a case: every way in they had must close."""

    case: Case
    contact: Contact


@dataclass(frozen=True)
class CaseActivity:
    """Something viewers of the case may want to see at once (``kind``: ``message.created``, ...).

    ``payload`` holds ids only; ``internal_only`` events are for the case's team alone.
    """

    case_id: int
    kind: str
    payload: dict[str, Any]
    internal_only: bool


@dataclass(frozen=True)
class NotificationsChanged:
    """These people's in-app notifications changed (new ones, or read)."""

    user_ids: tuple[int, ...]
