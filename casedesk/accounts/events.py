"""What the accounts actions tell the rest of the system (see ``casedesk.lib.events``).

Accounts sits below the apps that act on these: it says what happened, and mail, which
subscribes at startup (``casedesk/mail/subscribers.py``), enqueues the email in the transaction.

- ``FreshMagicLinkIssued``: a contact asked for a fresh link; mail emails it.
- ``AccountEmailRecorded``: an ``AccountEmail`` (invitation, password reset) must be sent.
"""

from __future__ import annotations

from dataclasses import dataclass

from casedesk.accounts.models import MagicLink


@dataclass(frozen=True)
class FreshMagicLinkIssued:
    """A contact asked for a fresh link to a case; it must reach the contact's own address.

    The link was issued with ``derived=True``, so the email task can rebuild its URL from the id.
    """

    link: MagicLink


@dataclass(frozen=True)
class AccountEmailRecorded:
    """An ``AccountEmail`` row was written in this transaction and must be sent (once)."""

    account_email_id: int
