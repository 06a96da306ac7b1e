"""Write paths of the mail app: quarantine decisions, and fresh magic links sent by email."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from casedesk.accounts.actions import do_issue_magic_link
from casedesk.accounts.models import Contact, MagicLink, User
from casedesk.cases.models import Case, CaseContact
from casedesk.lib.errors import ActionError
from casedesk.mail.inbound import post_quarantined
from casedesk.mail.models import InboundEmail, InboundStatus, MatchedRule
from casedesk.mail.outbound import send_fresh_magic_link_email

# A contact asking for fresh links again and again gets at most one email per this many seconds.
FRESH_LINK_MIN_INTERVAL_SECONDS = 60


@transaction.atomic
def do_accept_quarantined_email(*, inbound: InboundEmail, case: Case, contact: Contact, actor: User) -> None:
    """Post a quarantined email to ``case`` as ``contact`` (who must be on that case)."""
    row = InboundEmail.objects.select_for_update().get(pk=inbound.pk)
    if row.status != InboundStatus.QUARANTINED:
        raise ActionError("This email was already handled by someone else; reload the page.", code="handled")
    if case.agency_id != row.agency_id:
        raise ActionError("Choose one of your agency's cases.", code="invalid", field="case")
    if not CaseContact.objects.filter(case=case, contact=contact).exists():
        raise ActionError(
            f"{contact.name} is not on {case.reference}. Add them to the case first, or choose a contact "
            "who is on it.",
            code="not_on_case",
            field="contact",
        )
    if row.case_id != case.pk:
        row.matched_rule = MatchedRule.MANUAL
    row.case = case
    row.resolved_by = actor
    row.resolved_at = timezone.now()
    row.save(update_fields=["case", "matched_rule", "resolved_by", "resolved_at"])
    post_quarantined(row, case=case, contact=contact)
    row.refresh_from_db(fields=["status", "reason"])
    if row.status != InboundStatus.POSTED:
        raise ActionError(f"The email could not be posted: {row.reason}", code="not_posted")


@transaction.atomic
def do_reject_quarantined_email(*, inbound: InboundEmail, actor: User) -> None:
    updated = InboundEmail.objects.filter(pk=inbound.pk, status=InboundStatus.QUARANTINED).update(
        status=InboundStatus.REJECTED,
        reason=f"Rejected by {actor.name or actor.email}.",
        resolved_by=actor,
        resolved_at=timezone.now(),
    )
    if not updated:
        raise ActionError("This email was already handled by someone else; reload the page.", code="handled")


@transaction.atomic
def do_send_fresh_magic_link(*, link: MagicLink, confirm_email: str | None = None) -> bool:
    """Email the contact of ``link`` a fresh link to the same case, at the contact's own address.

    For a link that stopped working (the form asks for the address, ``confirm_email``, and sends
    only when it is the contact's) and for a link bound to another browser (no address asked:
    the mail can only go to the contact). Never to an address typed in. The email is a durable
    task (``send_fresh_magic_link_email``, ids only) enqueued in this transaction. Sends nothing
    when the contact left the case, or got a fresh link in the last minute. Callers show the
    same answer whatever happens; the return value (True when an email is queued) is for tests.
    """
    contact, case = link.contact, link.case
    if confirm_email is not None and contact.email.strip().lower() != confirm_email.strip().lower():
        return False
    if not CaseContact.objects.filter(case=case, contact=contact).exists():
        return False
    recent = timezone.now() - timedelta(seconds=FRESH_LINK_MIN_INTERVAL_SECONDS)
    if (
        MagicLink.objects.filter(contact=contact, case=case, created_at__gt=recent)
        .exclude(token_salt="")
        .exists()
    ):
        return False
    issued = do_issue_magic_link(contact=contact, case=case, derived=True)
    send_fresh_magic_link_email.enqueue(issued.link.pk)
    return True
