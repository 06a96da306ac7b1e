"""Per-(contact, case) reply addresses. Owned by the mail app; see issue 5."""

from __future__ import annotations

from typing import Any


def revoke_reply_tokens(*, case: Any, contact: Any) -> None:
    """Revoke every reply address of this contact on this case. Filled in by the email loop."""
    return None
