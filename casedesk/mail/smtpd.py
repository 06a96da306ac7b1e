"""Inbound SMTP server (aiosmtpd). Filled in by the email loop (issue 5)."""

from __future__ import annotations

from collections.abc import Callable


def start_embedded_smtpd(host: str, port: int) -> Callable[[], None]:
    """Start the inbound SMTP server in a thread of this process; returns a stop function."""
    return lambda: None
