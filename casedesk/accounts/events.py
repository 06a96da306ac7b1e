"""What the accounts actions tell the rest of the system (see ``casedesk.lib.events``).

- ``FreshMagicLinkIssued``: the mail app enqueues the email carrying the link, in the
  transaction (``casedesk/mail/subscribers.py``).
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
