"""Our own addresses and Message-IDs, at ``INBOUND_EMAIL_DOMAIN``: built and read here only.

Outbound mail writes them (reply addresses, Message-IDs, the per-case thread root) and inbound
mail reads them back (routing a reply, recognising our own mail coming back, refusing mail for
other domains at RCPT), so both sides use these functions and agree by construction.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

_REPLY_ADDRESS = re.compile(r"^reply\+(?P<token>[a-z0-9]{8,64})@(?P<domain>.+)$", re.IGNORECASE)
_THREAD_ROOT = re.compile(r"^<case-(\d+)\.([0-9a-f]{20})\.thread@(.+)>$")


def our_domain() -> str:
    return settings.INBOUND_EMAIL_DOMAIN.lower()


def domain_of(address: str) -> str:
    """The domain of ``local@domain`` or ``<local@domain>``, lower-cased ("" without one)."""
    cleaned = address.strip().strip("<>")
    return cleaned.rsplit("@", 1)[-1].lower() if "@" in cleaned else ""


def is_ours(address_or_message_id: str) -> bool:
    """An address or Message-ID at our inbound domain (our reply addresses, our own mail)."""
    return domain_of(address_or_message_id) == our_domain()


def reply_address(raw_token: str) -> str:
    """``reply+<token>@INBOUND_EMAIL_DOMAIN``: where one contact's replies on one case go."""
    return f"reply+{raw_token}@{settings.INBOUND_EMAIL_DOMAIN}"


def token_from_address(address: str) -> str | None:
    """The token in ``reply+<token>@<our inbound domain>``, or None for any other address."""
    match = _REPLY_ADDRESS.match(address.strip().strip("<>"))
    if match is None or match.group("domain").lower() != our_domain():
        return None
    return match.group("token").lower()


def message_id(key: str) -> str:
    """A Message-ID of ours for the email recorded under idempotency ``key``."""
    safe = key.replace(":", ".")
    return f"<{safe}.{timezone.now().strftime('%Y%m%d%H%M%S')}@{settings.INBOUND_EMAIL_DOMAIN}>"


def thread_root_signature(case_id: int) -> str:
    """Keyed with SECRET_KEY so that nobody can aim mail at a case by guessing its id."""
    return salted_hmac("casedesk.mail.thread_root", str(case_id)).hexdigest()[:20]


def thread_root_id(case_id: int) -> str:
    """A fixed Message-ID every notification of a case refers to, so mail clients thread them."""
    return f"<case-{case_id}.{thread_root_signature(case_id)}.thread@{settings.INBOUND_EMAIL_DOMAIN}>"


def case_id_from_thread_root(value: str) -> int | None:
    """The case a Message-ID names when it is one of our signed thread roots; None otherwise."""
    root = _THREAD_ROOT.match(value)
    if root is None or root.group(3).lower() != our_domain():
        return None
    case_id = int(root.group(1))
    return case_id if constant_time_compare(root.group(2), thread_root_signature(case_id)) else None
