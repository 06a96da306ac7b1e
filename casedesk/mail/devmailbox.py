"""Dev mailbox email backend (demo/debug only). Filled in by the email loop (issue 5)."""

from __future__ import annotations

from django.core.mail.backends.locmem import EmailBackend as LocmemBackend


class DevMailboxBackend(LocmemBackend):
    pass
