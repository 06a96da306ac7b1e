"""Sending the accounts app's emails (invitations, password resets).

Accounts records each email as an ``AccountEmail`` row and emits ``AccountEmailRecorded`` in its
transaction; ``casedesk.mail.subscribers`` enqueues the durable task in that same transaction, so
a committed row always has its task. The row is the idempotency record: the task sends only while
``sent_at`` is empty.
"""

from __future__ import annotations

from typing import Any

from django.db.models import F
from django.utils import timezone

from casedesk.accounts.emails import account_email_message
from casedesk.accounts.models import AccountEmail
from casedesk.jobs import durable_task


def _describe(args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    row = AccountEmail.objects.select_related("invitation").filter(pk=int(args[0]) if args else 0).first()
    if row is None:
        return {"tenant_id": None, "label": "Account email", "url": ""}
    tenant = row.invitation.agency_id if row.invitation is not None else None
    return {"tenant_id": tenant, "label": f"{row.get_kind_display()} to {row.to_address}", "url": ""}


@durable_task(kind="accounts.email", queue="mail", max_attempts=8, describe=_describe)
def send_account_email(account_email_id: int) -> None:
    """Send one recorded account email, once.

    Skipped (and left unsent, with the reason in ``last_error``) when what it points at is no
    longer usable. Not exactly-once: a crash between the SMTP send and recording ``sent_at``
    sends it again on retry.
    """
    row = (
        AccountEmail.objects.select_related(
            "invitation__agency",
            "invitation__invited_by",
            "user",
        )
        .filter(pk=account_email_id)
        .first()
    )
    if row is None or row.sent_at is not None:
        return
    email = account_email_message(row)
    if email is None:
        AccountEmail.objects.filter(pk=row.pk).update(last_error="Not sent: the link is no longer usable.")
        return
    AccountEmail.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1, subject=email.subject[:300])
    try:
        email.send()
    except Exception as error:
        AccountEmail.objects.filter(pk=row.pk).update(last_error=repr(error)[:2000])
        raise
    AccountEmail.objects.filter(pk=row.pk, sent_at__isnull=True).update(sent_at=timezone.now(), last_error="")
