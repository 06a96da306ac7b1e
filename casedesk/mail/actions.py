"""Write paths of the mail app: quarantine decisions and a person's email preferences."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from casedesk.accounts.models import Contact, User
from casedesk.cases.models import Case, CaseContact
from casedesk.lib.errors import ActionError
from casedesk.mail.inbound import post_quarantined
from casedesk.mail.models import InboundEmail, InboundStatus, MatchedRule


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
