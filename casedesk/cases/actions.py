"""THE write paths for cases. Views, the API, inbound email and the support widget all call these.

Each ``do_*`` runs in one transaction and schedules side effects (live events, emails,
notifications) after commit; work that must not be lost is enqueued as a task inside the
same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from casedesk.accounts.models import Agency, Client, Contact, MagicLink, User
from casedesk.cases.models import Case, CaseContact, CaseSource, CaseStatus


@transaction.atomic
def do_create_case(
    *,
    agency: Agency,
    client: Client,
    title: str,
    contacts: Iterable[Contact] = (),
    members: Iterable[User] = (),
    source: str = CaseSource.MANUAL,
) -> Case:
    if client.agency_id != agency.pk:
        raise ValueError("The client belongs to another agency.")
    # Lock the agency row so two concurrent creations cannot pick the same case number.
    Agency.objects.select_for_update().filter(pk=agency.pk).first()
    case = Case.objects.create(
        agency=agency,
        client=client,
        title=title.strip()[:200],
        source=source,
        number=Case.next_number(agency),
    )
    for contact in contacts:
        do_add_contact_to_case(case=case, contact=contact)
    if members:
        case.members.add(*members)
    return case


def do_add_contact_to_case(*, case: Case, contact: Contact) -> CaseContact:
    if contact.agency_id != case.agency_id:
        raise ValueError("The contact belongs to another agency.")
    row, _ = CaseContact.objects.get_or_create(case=case, contact=contact)
    return row


@transaction.atomic
def do_remove_contact_from_case(*, case: Case, contact: Contact) -> None:
    """Removing a contact revokes every way in they had: magic links and reply addresses."""
    CaseContact.objects.filter(case=case, contact=contact).delete()
    now = timezone.now()
    MagicLink.objects.filter(case=case, contact=contact, revoked_at__isnull=True).update(revoked_at=now)
    # Reply addresses (mail app) are revoked by the same rule; imported lazily to keep the
    # dependency one-way (mail builds on cases).
    from casedesk.mail import tokens as mail_tokens

    mail_tokens.revoke_reply_tokens(case=case, contact=contact)


@transaction.atomic
def do_set_case_status(*, case: Case, status: str) -> Case:
    if status not in CaseStatus.values:
        raise ValueError(f"Unknown status {status!r}.")
    case.status = status
    case.closed_at = timezone.now() if status == CaseStatus.CLOSED else None
    case.save(update_fields=["status", "closed_at", "updated_at"])
    return case
