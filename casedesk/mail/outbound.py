"""Outbound notification mail. Filled in by the email loop (issue 5)."""

from __future__ import annotations

from typing import Any


def schedule_message_notifications(message: Any) -> None:
    """Called by do_post_message inside its transaction: enqueue one email task per recipient."""
    return None


def schedule_mention_email(notification: Any) -> None:
    """Called when a mention notification is created (team mail, respecting user settings)."""
    return None
